"""Learned perception, one node per stage: a VLM names the moving objects and their masses,
Florence-2 finds them, SAM-2 segments them through the clip; and converters that take what
ComfyUI's own SAM 3 tracking and Generate Text (VLM) nodes make.

Loaders read models/LLM (VLM and Florence-2 folders) and models/sam2 (SAM-2 weight files) and
hold each model once, wrapped for ComfyUI's memory manager (_models.py). The model libraries
(transformers, sam2) are imported only when a node runs: without them only these nodes fail.
"""

from __future__ import annotations

from ..pavas_core.errors import BadInputError
from ._common import (
    CATEGORY_PHYSICS,
    PAVAS_BOXES,
    PAVAS_CLIP,
    PAVAS_FLORENCE2,
    PAVAS_MASKS,
    PAVAS_OBJECTS,
    PAVAS_SAM2,
    PAVAS_VLM,
    expect,
    expect_clip,
    split_names,
)
from ._models import PRECISIONS, ModelHandle, activate, load_handle
from .model_folders import list_model_dirs, list_models, model_dir_path, model_path

CATEGORY_PERCEPTION = CATEGORY_PHYSICS + "/perception"
SAM3_TRACK_DATA = "SAM3_TRACK_DATA"  # ComfyUI core's type (comfy_extras/nodes_sam3.py)

_PRECISION_TOOLTIP = "Weight precision: auto = bf16 on GPUs that support it, else fp16; fp32 on the CPU."
_REMOTE_CODE_TOOLTIP = ("Run Python code shipped inside the model folder. Off: only transformers' own model classes "
                        "are used (safe). Turn on only for a folder you trust.")


def _objects(value):
    from ..pavas_core.physics.stages import Discovery

    return expect(value, Discovery, "objects", "PAVAS_OBJECTS from 'Moving Objects' or 'Objects and Mass (VLM)'")


def _handle(value, kind: str, what: str) -> ModelHandle:
    handle = expect(value, ModelHandle, what, f"the output of 'Load {what}'")
    if handle.kind != kind:
        raise BadInputError(f"{what}: connect 'Load {what}' here (got a {handle.kind} model)")
    return handle


def _validate_dir(folder: str, name: str, listed: list[str], expected: str):
    if name not in listed:
        return (f"model folder {name!r} not found in models/{folder}; expected {expected}. Put the whole folder "
                f"(config.json, weights, processor files) into ComfyUI/models/{folder} and refresh.")
    return True


def _vlm_dirs() -> list[str]:
    return list_model_dirs("LLM", exclude_types=("florence2",))


def _florence_dirs() -> list[str]:
    return list_model_dirs("LLM", model_types=("florence2",))


class PavasLoadVLM:
    DESCRIPTION = ("Loads a vision-language model from models/LLM (a transformers folder: Qwen2.5-VL, Qwen3-VL, "
                   "SmolVLM2, InternVL-hf or another model transformers supports natively). Loaded once and shared.")
    CATEGORY = CATEGORY_PERCEPTION
    FUNCTION = "load"
    RETURN_TYPES = (PAVAS_VLM,)
    RETURN_NAMES = ("vlm",)
    OUTPUT_TOOLTIPS = ("The model, for 'Objects and Mass (VLM)'.",)

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {
            "model": (_vlm_dirs(), {"tooltip": "A model folder in ComfyUI/models/LLM (e.g. Qwen2.5-VL-3B-Instruct)."}),
            "precision": (list(PRECISIONS), {"default": "auto", "tooltip": _PRECISION_TOOLTIP}),
            "trust_remote_code": ("BOOLEAN", {"default": False, "tooltip": _REMOTE_CODE_TOOLTIP}),
        }}

    @classmethod
    def VALIDATE_INPUTS(cls, model):
        return _validate_dir("LLM", model, _vlm_dirs(), "a vision-language model folder (e.g. Qwen2.5-VL-3B-Instruct)")

    def load(self, model, precision, trust_remote_code):
        from ..pavas_core.perception.vlm import load_vlm

        path = model_dir_path("LLM", model)

        def build(dtype, device):
            vlm = load_vlm(path, dtype=dtype, device=device, trust_remote_code=bool(trust_remote_code))
            return vlm, vlm.model

        return (load_handle("vlm", (path,), model, precision, build, options=(bool(trust_remote_code),)),)


def _discovery_result(discovery):
    names = "\n".join(f"{i}: {o.name}" for i, o in enumerate(discovery.objects))
    return names or "no moving object found"


class PavasObjectsAndMassVLM:
    DESCRIPTION = ("Stage 1 with a VLM: which objects really move (not the camera), what they are, their action, "
                   "material and mass. Frames sampled over the clip go to the model; an answer that is not valid "
                   "JSON is asked again, then the motion objects are used (said in the warnings).")
    CATEGORY = CATEGORY_PERCEPTION
    FUNCTION = "discover"
    RETURN_TYPES = (PAVAS_OBJECTS, "STRING", "STRING")
    RETURN_NAMES = ("objects", "names", "answer")
    OUTPUT_TOOLTIPS = ("The objects (with the VLM's masses, for 'Object Mass' with backend vlm).",
                       "The objects' names, one per line.", "The VLM's raw answer(s).")

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {
            "clip": (PAVAS_CLIP, {"tooltip": "The clip from 'Load Video (PAVAS)' or 'Clip From Frames or Video'."}),
            "vlm": (PAVAS_VLM, {"tooltip": "From 'Load VLM'."}),
            "object_names": ("STRING", {"default": "", "tooltip": "Optional: what the moving objects are, comma "
                                                                  "separated; the VLM is told and its names replaced."}),
            "max_objects": ("INT", {"default": 4, "min": 1, "max": 16, "tooltip": "At most this many moving objects."}),
            "frames": ("INT", {"default": 8, "min": 1, "max": 64,
                               "tooltip": "How many frames, spread over the clip, the VLM sees."}),
            "max_answer_tokens": ("INT", {"default": 384, "min": 16, "max": 8192,
                                          "tooltip": "Longest answer of the VLM, in tokens (a few objects need ~150)."}),
            "analysis_max_side": ("INT", {"default": 320, "min": 64, "max": 2048, "step": 16,
                                          "tooltip": "Physics runs on frames this size (longest side, px)."}),
        }}

    def discover(self, clip, vlm, object_names, max_objects, frames, max_answer_tokens, analysis_max_side):
        from ..pavas_core.physics.estimate import run_stage
        from ..pavas_core.physics.options import EstimateOptions
        from ..pavas_core.physics.stages import create_backend, make_context
        from ._comfy import progress_callback

        handle = _handle(vlm, "vlm", "VLM")
        opts = EstimateOptions(object_names=split_names(object_names), max_objects=int(max_objects),
                               analysis_max_side=int(analysis_max_side), discover="vlm").validate()
        ctx = make_context(expect_clip(clip), analysis_max_side=opts.analysis_max_side)
        activate(handle)
        backend = create_backend("discover", "vlm", model=handle.model, num_frames=int(frames),
                                 max_new_tokens=int(max_answer_tokens))
        discovery = run_stage("discover", opts, ctx, progress=progress_callback(), backend=backend)
        answers = "\n---\n".join(discovery.extra.get("vlm_answers", []))
        names = _discovery_result(discovery)
        return {"ui": {"text": [names]}, "result": (discovery, names, answers)}


class PavasObjectsFromText:
    DESCRIPTION = ("Stage 1 from any VLM's text answer, e.g. ComfyUI's 'Generate Text' (ask it the question of "
                   "'VLM Physics Question'). The answer is read like the pack's own VLM's: strict JSON, "
                   "masses checked; an unusable answer gives the motion objects, with a warning.")
    CATEGORY = CATEGORY_PERCEPTION
    FUNCTION = "discover"
    RETURN_TYPES = (PAVAS_OBJECTS, "STRING")
    RETURN_NAMES = ("objects", "names")
    OUTPUT_TOOLTIPS = ("The objects (with the answer's masses, for 'Object Mass' with backend vlm).",
                       "The objects' names, one per line.")

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {
            "clip": (PAVAS_CLIP, {"tooltip": "The clip the answer is about."}),
            "text": ("STRING", {"forceInput": True, "tooltip": "The VLM's answer (e.g. from core 'Generate Text')."}),
            "object_names": ("STRING", {"default": "", "tooltip": "Optional: names that replace the VLM's, in order."}),
            "max_objects": ("INT", {"default": 4, "min": 1, "max": 16, "tooltip": "At most this many moving objects."}),
            "analysis_max_side": ("INT", {"default": 320, "min": 64, "max": 2048, "step": 16,
                                          "tooltip": "Physics runs on frames this size (longest side, px)."}),
        }}

    def discover(self, clip, text, object_names, max_objects, analysis_max_side):
        from ..pavas_core.physics.estimate import run_stage
        from ..pavas_core.physics.options import EstimateOptions
        from ..pavas_core.physics.stages import create_backend, make_context
        from ._comfy import progress_callback

        opts = EstimateOptions(object_names=split_names(object_names), max_objects=int(max_objects),
                               analysis_max_side=int(analysis_max_side), discover="vlm_text").validate()
        ctx = make_context(expect_clip(clip), analysis_max_side=opts.analysis_max_side)
        backend = create_backend("discover", "vlm_text", answer=str(text))
        discovery = run_stage("discover", opts, ctx, progress=progress_callback(), backend=backend)
        names = _discovery_result(discovery)
        return {"ui": {"text": [names]}, "result": (discovery, names)}


class PavasVLMQuestion:
    DESCRIPTION = ("The question the pack asks a VLM about a clip, as text: connect it to the prompt of core "
                   "'Generate Text' (with the video frames), and its answer to 'Objects and Mass from Text'.")
    CATEGORY = CATEGORY_PERCEPTION
    FUNCTION = "question"
    RETURN_TYPES = ("STRING",)
    RETURN_NAMES = ("prompt",)
    OUTPUT_TOOLTIPS = ("The question (asks for JSON objects with name, action, moving, mass_kg, material).",)

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {
            "object_names": ("STRING", {"default": "", "tooltip": "Optional: the objects' names, told to the VLM."}),
            "max_objects": ("INT", {"default": 4, "min": 1, "max": 16, "tooltip": "At most this many moving objects."}),
        }}

    def question(self, object_names, max_objects):
        from ..pavas_core.perception.vlm_answer import build_prompt

        return (build_prompt(num_frames=None, duration_s=None, object_names=split_names(object_names),
                             max_objects=int(max_objects)),)


class PavasLoadFlorence2:
    DESCRIPTION = ("Loads Florence-2 from models/LLM: a folder in transformers' native format (e.g. "
                   "florence-community/Florence-2-base or -large). Loaded once and shared.")
    CATEGORY = CATEGORY_PERCEPTION
    FUNCTION = "load"
    RETURN_TYPES = (PAVAS_FLORENCE2,)
    RETURN_NAMES = ("florence2",)
    OUTPUT_TOOLTIPS = ("The model, for 'Detect Objects (Florence-2)'.",)

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {
            "model": (_florence_dirs(), {"tooltip": "A Florence-2 folder in ComfyUI/models/LLM (e.g. Florence-2-base)."}),
            "precision": (list(PRECISIONS), {"default": "auto", "tooltip": _PRECISION_TOOLTIP}),
        }}

    @classmethod
    def VALIDATE_INPUTS(cls, model):
        return _validate_dir("LLM", model, _florence_dirs(), "a native-format Florence-2 folder (e.g. Florence-2-base)")

    def load(self, model, precision):
        from ..pavas_core.perception.florence2 import load_florence2

        path = model_dir_path("LLM", model)

        def build(dtype, device):
            detector = load_florence2(path, dtype=dtype, device=device)
            return detector, detector.model

        return (load_handle("florence2", (path,), model, precision, build),)


class PavasDetectObjectsFlorence2:
    DESCRIPTION = ("Stage 2 (boxes): Florence-2 finds each object by its name on the first frames it is visible. "
                   "Objects it does not find keep their motion boxes (said in the warnings).")
    CATEGORY = CATEGORY_PERCEPTION
    FUNCTION = "detect"
    RETURN_TYPES = (PAVAS_BOXES,)
    RETURN_NAMES = ("boxes",)
    OUTPUT_TOOLTIPS = ("One box per object, for 'Segment Objects (SAM-2)'.",)

    @classmethod
    def INPUT_TYPES(cls):
        from ..pavas_core.perception.florence2 import DEFAULT_TASK, TASKS
        from ..pavas_core.physics.stages.florence2 import DEFAULT_SCAN_FRAMES

        return {"required": {
            "objects": (PAVAS_OBJECTS, {"tooltip": "From 'Objects and Mass (VLM)' or 'Moving Objects'."}),
            "florence2": (PAVAS_FLORENCE2, {"tooltip": "From 'Load Florence-2'."}),
            "task": (list(TASKS), {"default": DEFAULT_TASK, "tooltip": "How Florence-2 is asked: open-vocabulary "
                                                                        "detection of each name, or phrase grounding."}),
            "scan_frames": ("INT", {"default": DEFAULT_SCAN_FRAMES, "min": 1, "max": 256,
                                    "tooltip": "Frames spread over the clip that are searched, first to last."}),
        }}

    def detect(self, objects, florence2, task, scan_frames):
        from ..pavas_core.physics.estimate import run_stage
        from ..pavas_core.physics.options import EstimateOptions
        from ..pavas_core.physics.stages import create_backend
        from ._comfy import progress_callback

        discovery = _objects(objects)
        handle = _handle(florence2, "florence2", "Florence-2")
        ctx = discovery.require_context()
        activate(handle)
        backend = create_backend("boxes", "florence2", detector=handle.model, task=task, scan_frames=int(scan_frames))
        boxes = run_stage("boxes", EstimateOptions(boxes="florence2"), ctx, discovery, progress=progress_callback(),
                          backend=backend)
        boxes.context = ctx
        return (boxes,)


class PavasLoadSAM2:
    DESCRIPTION = ("Loads SAM-2 (or SAM 2.1) from models/sam2: the released .pt checkpoints or .safetensors "
                   "copies. Which model (tiny, small, base+, large) is read from the file's tensors.")
    CATEGORY = CATEGORY_PERCEPTION
    FUNCTION = "load"
    RETURN_TYPES = (PAVAS_SAM2,)
    RETURN_NAMES = ("sam2",)
    OUTPUT_TOOLTIPS = ("The model, for 'Segment Objects (SAM-2)'.",)

    @classmethod
    def INPUT_TYPES(cls):
        from ..pavas_core.perception.sam2_video import IMAGE_SIZE_STEP, MAX_IMAGE_SIZE, MIN_IMAGE_SIZE
        from ..pavas_core.physics.stages.sam2 import DEFAULT_IMAGE_SIZE

        return {"required": {
            "model": (list_models("sam2"), {"tooltip": "A SAM-2 weight file in ComfyUI/models/sam2 "
                                                       "(e.g. sam2.1_hiera_tiny.pt)."}),
            "image_size": ("INT", {"default": DEFAULT_IMAGE_SIZE, "min": MIN_IMAGE_SIZE, "max": MAX_IMAGE_SIZE,
                                   "step": IMAGE_SIZE_STEP,
                                   "tooltip": "SAM-2 works on frames resized to this square size: 1024 is its own; "
                                              "512 or 256 let a CPU or a small GPU cope."}),
            "precision": (list(PRECISIONS), {"default": "auto", "tooltip": _PRECISION_TOOLTIP}),
        }}

    @classmethod
    def VALIDATE_INPUTS(cls, model):
        if model not in list_models("sam2"):
            return (f"weight file {model!r} not found in models/sam2; expected a SAM-2 checkpoint such as "
                    "sam2.1_hiera_tiny.pt. Put it into ComfyUI/models/sam2 and refresh.")
        return True

    def load(self, model, image_size, precision):
        from ..pavas_core.perception.sam2_video import load_sam2

        path = model_path("sam2", model)

        def build(dtype, device):
            predictor = load_sam2(path, image_size=int(image_size), dtype=dtype, device=device)
            return predictor, predictor

        return (load_handle("sam2", (path,), model, precision, build, options=(int(image_size),)),)


def _masks_outputs(observation, ctx, mask_object):
    from ..pavas_core.comfy_types import objects_to_mask_batch

    observation.context = ctx
    out = objects_to_mask_batch([o.masks for o in observation.objects], ctx.num_frames,
                                (ctx.clip.width, ctx.clip.height), int(mask_object))
    return (observation, out)


_MASK_OBJECT = ("INT", {"default": -1, "min": -1, "max": 1023,
                        "tooltip": "Which object the MASK output shows (its id); -1: all objects."})


class PavasSegmentObjectsSAM2:
    DESCRIPTION = ("Stage 3 (masks) with SAM-2: each object is prompted with its box and tracked through the clip. "
                   "Where SAM-2 loses an object its motion mask stands in (said in the warnings).")
    CATEGORY = CATEGORY_PERCEPTION
    FUNCTION = "segment"
    RETURN_TYPES = (PAVAS_MASKS, "MASK")
    RETURN_NAMES = ("masks", "mask")
    OUTPUT_TOOLTIPS = ("Per-object masks for 'Metric Geometry' and 'Assemble Physics'.",
                       "The masks of `mask_object` (or all, -1) as a MASK [frames, height, width] at the clip's size.")

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "objects": (PAVAS_OBJECTS, {"tooltip": "From 'Objects and Mass (VLM)' or 'Moving Objects'."}),
                "sam2": (PAVAS_SAM2, {"tooltip": "From 'Load SAM-2'."}),
                "mask_object": _MASK_OBJECT,
            },
            "optional": {
                "boxes": (PAVAS_BOXES, {"tooltip": "From 'Detect Objects (Florence-2)'. Not connected: each object's "
                                                   "motion box is the prompt."}),
            },
        }

    def segment(self, objects, sam2, mask_object, boxes=None):
        from ..pavas_core.physics.estimate import observe
        from ..pavas_core.physics.options import EstimateOptions
        from ..pavas_core.physics.stages import Boxes, create_backend
        from ._comfy import progress_callback

        discovery = _objects(objects)
        handle = _handle(sam2, "sam2", "SAM-2")
        ctx = discovery.require_context()
        if boxes is not None:
            boxes = expect(boxes, Boxes, "boxes", "PAVAS_BOXES from 'Detect Objects (Florence-2)'")
            if boxes.context is not None and boxes.context is not ctx:
                raise BadInputError("boxes: they come from other objects; connect the same 'objects' to both nodes")
        activate(handle)
        backend = create_backend("observe", "sam2", predictor=handle.model)  # its image size was set at loading
        observation = observe(EstimateOptions(masks="sam2"), ctx, discovery, boxes, progress=progress_callback(),
                              backend=backend)
        return _masks_outputs(observation, ctx, mask_object)


class PavasObjectMasksFromSAM3:
    DESCRIPTION = ("Stage 3 (masks) from ComfyUI's own SAM 3 video tracking ('Run SAM3 Video Track' → track_data): "
                   "each tracked object's masks, matched to the objects in order (or by object_indices). "
                   "Frames where SAM 3 did not track an object have no mask for it.")
    CATEGORY = CATEGORY_PERCEPTION
    FUNCTION = "convert"
    RETURN_TYPES = (PAVAS_MASKS, "MASK")
    RETURN_NAMES = ("masks", "mask")
    OUTPUT_TOOLTIPS = PavasSegmentObjectsSAM2.OUTPUT_TOOLTIPS

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {
            "objects": (PAVAS_OBJECTS, {"tooltip": "The objects of the same clip (e.g. from 'Moving Objects')."}),
            "track_data": (SAM3_TRACK_DATA, {"tooltip": "From core 'Run SAM3 Video Track' on the clip's frames."}),
            "object_indices": ("STRING", {"default": "", "tooltip": "SAM 3 object indices for the objects, in order, "
                                                                    "comma separated (e.g. '2, 0'). Empty: all, in order."}),
            "mask_object": _MASK_OBJECT,
        }}

    def convert(self, objects, track_data, object_indices, mask_object):
        from ..pavas_core.physics.stages.mask_input import observe_sam3_track
        from ._comfy import progress_callback

        discovery = _objects(objects)
        parts = split_names(object_indices)
        if not all(p.isdigit() for p in parts):
            raise BadInputError(f"object_indices: expected whole numbers separated by commas, got {object_indices!r}")
        observation = observe_sam3_track(discovery, track_data, object_indices=[int(p) for p in parts] or None,
                                         progress=progress_callback())
        return _masks_outputs(observation, discovery.require_context(), mask_object)


NODE_CLASS_MAPPINGS = {
    "PAVAS_LoadVLM": PavasLoadVLM,
    "PAVAS_ObjectsAndMassVLM": PavasObjectsAndMassVLM,
    "PAVAS_ObjectsFromText": PavasObjectsFromText,
    "PAVAS_VLMQuestion": PavasVLMQuestion,
    "PAVAS_LoadFlorence2": PavasLoadFlorence2,
    "PAVAS_DetectObjectsFlorence2": PavasDetectObjectsFlorence2,
    "PAVAS_LoadSAM2": PavasLoadSAM2,
    "PAVAS_SegmentObjectsSAM2": PavasSegmentObjectsSAM2,
    "PAVAS_ObjectMasksFromSAM3": PavasObjectMasksFromSAM3,
}
NODE_DISPLAY_NAME_MAPPINGS = {
    "PAVAS_LoadVLM": "Load VLM (PAVAS)",
    "PAVAS_ObjectsAndMassVLM": "Objects and Mass (VLM)",
    "PAVAS_ObjectsFromText": "Objects and Mass from Text",
    "PAVAS_VLMQuestion": "VLM Physics Question",
    "PAVAS_LoadFlorence2": "Load Florence-2 (PAVAS)",
    "PAVAS_DetectObjectsFlorence2": "Detect Objects (Florence-2)",
    "PAVAS_LoadSAM2": "Load SAM-2 (PAVAS)",
    "PAVAS_SegmentObjectsSAM2": "Segment Objects (SAM-2)",
    "PAVAS_ObjectMasksFromSAM3": "Object Masks from SAM 3",
}
