"""Metric geometry from learned models: CUT3R (a weight file in models/cut3r), a metric depth model
(transformers folder in models/depth), and ComfyUI's own Depth Anything 3 and MoGe outputs. Each
node is the geometry stage with one backend (pavas_core/physics/stages/cut3r_geometry.py,
depth_geometry.py, comfy_geometry.py); the result plugs into 'Object Mass' and 'Assemble Physics'
like 'Metric Geometry'.
"""

from __future__ import annotations

import os

from ._common import CATEGORY_PHYSICS, PAVAS_GEOMETRY, PAVAS_MASKS, PAVAS_OBJECTS

PAVAS_DEPTH_MODEL = "PAVAS_DEPTH_MODEL"
PAVAS_CUT3R = "PAVAS_CUT3R"
CUT3R_FOLDER = "cut3r"
DEPTH_FOLDER = "depth"
_METRIC = (["auto", "yes", "no"], {
    "default": "auto",
    "tooltip": "Is the depth in metres? auto: DA3 multi-view and MoGe-1 are not, MoGe-2 is; when it is not, the "
               "scale comes from free fall or the object's size.",
})
_FOCAL = ("FLOAT", {"default": 0.0, "min": 0.0, "max": 100000.0, "step": 1.0,
                    "tooltip": "Camera focal length in pixels of the video file's own frames. 0 = from the model, "
                               "else a 60° field of view."})
_SIZE = ("FLOAT", {"default": 0.0, "min": 0.0, "max": 100.0, "step": 0.01,
                   "tooltip": "Object size in metres; sets the scale when the depth is not metric and nothing falls. "
                              "0 = from the name."})


def depth_model_folders() -> list[str]:
    """Sub-folders of models/depth (any registered path) that hold a transformers config.json."""
    from ._comfy import optional_module

    fp = optional_module("folder_paths")
    if fp is None or DEPTH_FOLDER not in getattr(fp, "folder_names_and_paths", {}):
        return []
    found = set()
    for root in fp.get_folder_paths(DEPTH_FOLDER):
        if os.path.isdir(root):
            found.update(d for d in os.listdir(root) if os.path.isfile(os.path.join(root, d, "config.json")))
    return sorted(found)


def _depth_model_path(name: str) -> str:
    from ..pavas_core.errors import MissingWeightsError
    from ._comfy import folder_paths

    fp = folder_paths()
    for root in fp.get_folder_paths(DEPTH_FOLDER) if DEPTH_FOLDER in fp.folder_names_and_paths else []:
        path = os.path.join(root, name)
        if name and os.path.isfile(os.path.join(path, "config.json")):
            return path
    raise MissingWeightsError(f"depth model folder {name!r} not found in models/{DEPTH_FOLDER} (a folder with "
                              "config.json and the weights, as transformers saves it)")


def _measure(objects, masks, backend: str, settings: dict, focal_px: float = 0.0, object_size_m: float = 0.0):
    from ..pavas_core.physics.estimate import run_stage
    from ..pavas_core.physics.options import EstimateOptions
    from ..pavas_core.physics.stages import create_backend
    from ._comfy import progress_callback
    from .physics_stage_nodes import chain_inputs

    discovery, ctx, observation, _ = chain_inputs(objects, masks=masks)
    opts = EstimateOptions(geometry=backend, focal_px=float(focal_px) or None,
                           object_size_m=float(object_size_m) or None).validate()
    geometry = run_stage("geometry", opts, ctx, discovery, observation, progress=progress_callback(),
                         backend=create_backend("geometry", backend, **settings))
    geometry.context = ctx
    return (geometry,)


_COMMON_INPUTS = {
    "objects": (PAVAS_OBJECTS, {"tooltip": "From 'Moving Objects'."}),
    "masks": (PAVAS_MASKS, {"tooltip": "From 'Object Masks' (the moving objects' pixels are never used to find "
                                       "the camera's motion)."}),
}


class PavasLoadDepthModel:
    DESCRIPTION = ("Loads a metric depth model (Depth Anything V2 metric or Depth Pro, a transformers folder with "
                   "config.json and weights) from models/depth. Nothing is downloaded; no remote code runs.")
    CATEGORY = CATEGORY_PHYSICS + "/models"
    FUNCTION = "load"
    RETURN_TYPES = (PAVAS_DEPTH_MODEL,)
    RETURN_NAMES = ("depth_model",)
    OUTPUT_TOOLTIPS = ("The depth model, for 'Metric Geometry (Depth)'.",)

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {
            "model": (depth_model_folders(), {"tooltip": "A folder in models/depth (e.g. "
                                                        "Depth-Anything-V2-Metric-Indoor-Small-hf)."}),
            "precision": (["fp32", "fp16", "bf16"], {"default": "fp32", "tooltip": "Weights and activations."}),
        }}

    def load(self, model, precision):
        from ..pavas_core.models.depth_estimation import load_depth_model

        return (load_depth_model(_depth_model_path(model), dtype=precision),)


class PavasMetricGeometryDepth:
    DESCRIPTION = ("Metric 3D centroid of each object per frame from a metric depth model; the camera's motion is "
                   "found in the background, so speeds are in the world frame even when the camera moves.")
    CATEGORY = CATEGORY_PHYSICS + "/stages"
    FUNCTION = "measure"
    RETURN_TYPES = (PAVAS_GEOMETRY,)
    RETURN_NAMES = ("geometry",)
    OUTPUT_TOOLTIPS = ("Per-object metric trajectories in the world frame, for 'Object Mass' and 'Assemble Physics'.",)

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {**_COMMON_INPUTS,
                             "depth_model": (PAVAS_DEPTH_MODEL, {"tooltip": "From 'Load Depth Model'."}),
                             "focal_px": _FOCAL}}

    def measure(self, objects, masks, depth_model, focal_px):
        from ..pavas_core.models.depth_estimation import DepthModel
        from ._common import expect

        model = expect(depth_model, DepthModel, "depth_model", "PAVAS_DEPTH_MODEL from 'Load Depth Model'")
        return _measure(objects, masks, "depth", {"model": model}, focal_px)


class PavasLoadCut3r:
    DESCRIPTION = ("Loads CUT3R (cut3r_512_dpt_4_64.pth, or a .safetensors copy with its config) from models/cut3r "
                   "into PAVAS's own implementation. The file is read safely (no code in it runs). CUT3R's weights "
                   "are licensed CC BY-NC-SA 4.0: non-commercial use only.")
    CATEGORY = CATEGORY_PHYSICS + "/models"
    FUNCTION = "load"
    RETURN_TYPES = (PAVAS_CUT3R,)
    RETURN_NAMES = ("cut3r",)
    OUTPUT_TOOLTIPS = ("The CUT3R network, for 'Metric Geometry (CUT3R)'.",)

    @classmethod
    def INPUT_TYPES(cls):
        from ._models import PRECISIONS
        from .model_folders import list_models

        return {"required": {
            "model": (list_models(CUT3R_FOLDER), {"tooltip": "A CUT3R weight file in ComfyUI/models/cut3r "
                                                            "(cut3r_512_dpt_4_64.pth; weights CC BY-NC-SA 4.0, "
                                                            "non-commercial use only)."}),
            "precision": (list(PRECISIONS), {"default": "auto", "tooltip": "Weight precision: auto = bf16 on GPUs "
                                                                         "that support it, else fp16; fp32 on the "
                                                                         "CPU."}),
        }}

    @classmethod
    def VALIDATE_INPUTS(cls, model):
        from .model_folders import list_models

        if model not in list_models(CUT3R_FOLDER):
            return (f"weight file {model!r} not found in models/{CUT3R_FOLDER}; expected cut3r_512_dpt_4_64.pth. "
                    f"Put it into ComfyUI/models/{CUT3R_FOLDER} and refresh.")
        return True

    def load(self, model, precision):
        from ..pavas_core.perception.cut3r import load_cut3r
        from ._models import load_handle
        from .model_folders import model_path

        path = model_path(CUT3R_FOLDER, model)

        def build(dtype, device):
            network = load_cut3r(path, device=device, dtype=dtype)
            return network, network

        return (load_handle("cut3r", (path,), model, precision, build),)


class PavasMetricGeometryCut3r:
    DESCRIPTION = ("Metric 3D centroid of each object per frame from CUT3R: its point maps and camera poses, read "
                   "frame by frame, so speeds are in the world frame even when the camera moves.")
    CATEGORY = CATEGORY_PHYSICS + "/stages"
    FUNCTION = "measure"
    RETURN_TYPES = (PAVAS_GEOMETRY,)
    RETURN_NAMES = ("geometry",)
    OUTPUT_TOOLTIPS = ("Per-object metric trajectories in the world frame, for 'Object Mass' and 'Assemble Physics'.",)

    @classmethod
    def INPUT_TYPES(cls):
        from ..pavas_core.physics.stages.cut3r_geometry import DEFAULT_SIZE

        return {"required": {**_COMMON_INPUTS,
                             "cut3r": (PAVAS_CUT3R, {"tooltip": "From 'Load CUT3R'."}),
                             "size": ("INT", {"default": DEFAULT_SIZE, "min": 64, "max": 1024, "step": 16,
                                              "tooltip": "Long side of CUT3R's input in px (512: as trained; "
                                                         "smaller is faster and coarser)."}),
                             "focal_px": _FOCAL}}

    def measure(self, objects, masks, cut3r, size, focal_px):
        from ..pavas_core.errors import BadInputError
        from ._models import ModelHandle, activate

        if not isinstance(cut3r, ModelHandle) or cut3r.kind != "cut3r":
            raise BadInputError("Metric Geometry (CUT3R): connect 'Load CUT3R' to cut3r")
        activate(cut3r)
        return _measure(objects, masks, "cut3r", {"model": cut3r.model, "size": int(size)}, focal_px)


class PavasMetricGeometryDA3:
    DESCRIPTION = ("Metric geometry from ComfyUI's 'Run Depth Anything 3' on the clip's frames (DA3_GEOMETRY): "
                   "its depth, and its camera poses in multi-view mode (else found in the background).")
    CATEGORY = CATEGORY_PHYSICS + "/stages"
    FUNCTION = "measure"
    RETURN_TYPES = (PAVAS_GEOMETRY,)
    RETURN_NAMES = ("geometry",)
    OUTPUT_TOOLTIPS = ("Per-object metric trajectories in the world frame, for 'Object Mass' and 'Assemble Physics'.",)

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {**_COMMON_INPUTS,
                             "da3_geometry": ("DA3_GEOMETRY", {"tooltip": "From 'Run Depth Anything 3', run on the "
                                                                         "same frames as the clip."}),
                             "metric": _METRIC, "focal_px": _FOCAL, "object_size_m": _SIZE}}

    def measure(self, objects, masks, da3_geometry, metric, focal_px, object_size_m):
        return _measure(objects, masks, "da3", {"geometry": da3_geometry, "metric": metric}, focal_px, object_size_m)


class PavasMetricGeometryMoGe:
    DESCRIPTION = ("Metric geometry from ComfyUI's 'Run MoGe Inference' on the clip's frames (MOGE_GEOMETRY): its "
                   "point maps; the camera's motion is found in the background.")
    CATEGORY = CATEGORY_PHYSICS + "/stages"
    FUNCTION = "measure"
    RETURN_TYPES = (PAVAS_GEOMETRY,)
    RETURN_NAMES = ("geometry",)
    OUTPUT_TOOLTIPS = ("Per-object metric trajectories in the world frame, for 'Object Mass' and 'Assemble Physics'.",)

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {**_COMMON_INPUTS,
                             "moge_geometry": ("MOGE_GEOMETRY", {"tooltip": "From 'Run MoGe Inference', run on the "
                                                                           "same frames as the clip."}),
                             "metric": _METRIC, "object_size_m": _SIZE}}

    def measure(self, objects, masks, moge_geometry, metric, object_size_m):
        return _measure(objects, masks, "moge", {"geometry": moge_geometry, "metric": metric}, 0.0, object_size_m)


NODE_CLASS_MAPPINGS = {
    "PAVAS_LoadCut3r": PavasLoadCut3r,
    "PAVAS_MetricGeometryCut3r": PavasMetricGeometryCut3r,
    "PAVAS_LoadDepthModel": PavasLoadDepthModel,
    "PAVAS_MetricGeometryDepth": PavasMetricGeometryDepth,
    "PAVAS_MetricGeometryDA3": PavasMetricGeometryDA3,
    "PAVAS_MetricGeometryMoGe": PavasMetricGeometryMoGe,
}
NODE_DISPLAY_NAME_MAPPINGS = {
    "PAVAS_LoadCut3r": "Load CUT3R",
    "PAVAS_MetricGeometryCut3r": "Metric Geometry (CUT3R)",
    "PAVAS_LoadDepthModel": "Load Depth Model",
    "PAVAS_MetricGeometryDepth": "Metric Geometry (Depth)",
    "PAVAS_MetricGeometryDA3": "Metric Geometry (Depth Anything 3)",
    "PAVAS_MetricGeometryMoGe": "Metric Geometry (MoGe)",
}
