"""SAM-2 video masks from box prompts, with the `sam2` package's own video predictor.

    predictor = load_sam2("models/sam2/sam2.1_hiera_tiny.pt", image_size=512, device="cuda")
    masks = track_boxes(predictor, frames, [(0, (40, 30, 90, 80))])   # one ObjectMasks per prompt

Three things differ from the package's own entry points, each for a reason:
- The model is built from the packaged sam2.1 (or sam2) YAML with OmegaConf and hydra's
  `instantiate`, never with `hydra.compose`: compose searches hydra's *global* config path, which
  another custom node (or an absolute config path) breaks — a long-standing cause of "cannot find
  config" errors in ComfyUI installs.
- Frames come from memory (the clip's uint8 frames), converted one at a time when the predictor
  asks for them, at `image_size` (a parameter: 1024 is SAM-2's own size; 512 or less lets a CPU
  or a small GPU cope). The package itself only reads JPEG folders or .mp4 files.
- Long clips run in bounded memory: after each frame, tracking outputs older than what SAM-2's
  memory can still attend to (`num_maskmem` frames of mask memory, `max_obj_ptrs_in_encoder`
  object pointers) are dropped from the state; the masks themselves are kept, cropped to their
  boxes (physics.masks.ObjectMasks).
The weights: a `.pt` checkpoint ({"model": state dict}, read with weights_only=True) or a
`.safetensors` file; which variant (tiny, small, base+, large; SAM 2 or 2.1) is read from the
tensors, not from the file name.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import BadInputError, PavasError, UnsupportedCheckpointError
from ..physics.masks import ObjectMasks
from ..progress import ProgressCallback, report

# variant → (blocks in the Hiera trunk, config file name stem); blocks are what the tensors tell
VARIANTS = {"tiny": (12, "hiera_t"), "small": (16, "hiera_s"), "base_plus": (24, "hiera_b+"), "large": (48, "hiera_l")}
DEFAULT_IMAGE_SIZE = 1024
MIN_IMAGE_SIZE = 128
MAX_IMAGE_SIZE = 2048
IMAGE_SIZE_STEP = 64  # the Hiera trunk halves the picture four times after a stride-4 patch embedding
IMAGE_MEAN = (0.485, 0.456, 0.406)  # what SAM-2 normalises its frames with (sam2.utils.misc)
IMAGE_STD = (0.229, 0.224, 0.225)


def check_sam2() -> Any:
    try:
        import sam2  # noqa: F401  (initialises hydra's config module; we never compose through it)
        from hydra.utils import instantiate
        from omegaconf import OmegaConf
    except ImportError as exc:
        raise BadInputError(
            f"SAM-2 needs the 'sam2' package ({exc.name} is missing): install it without building anything with "
            "SAM2_BUILD_CUDA=0 python -m pip install --no-build-isolation --no-deps 'sam2>=1.1' "
            "(and pip install -r requirements.txt for hydra-core and iopath)") from None
    return sam2, instantiate, OmegaConf


def check_image_size(image_size: Any) -> int:
    if isinstance(image_size, bool) or not isinstance(image_size, int) \
            or not MIN_IMAGE_SIZE <= image_size <= MAX_IMAGE_SIZE or image_size % IMAGE_SIZE_STEP:
        raise BadInputError(f"SAM-2 image size must be a multiple of {IMAGE_SIZE_STEP} from {MIN_IMAGE_SIZE} to "
                            f"{MAX_IMAGE_SIZE} px, got {image_size!r}")
    return image_size


def detect_variant(state_dict: dict[str, Any]) -> tuple[str, str]:
    """(variant, version "2.1" or "2") of a SAM-2 state dict, from its tensors."""
    blocks = {int(k.split(".")[3]) for k in state_dict if k.startswith("image_encoder.trunk.blocks.")}
    count = max(blocks) + 1 if blocks else 0
    for variant, (n, _) in VARIANTS.items():
        if n == count:
            version = "2.1" if "no_obj_embed_spatial" in state_dict else "2"
            return variant, version
    raise UnsupportedCheckpointError(
        f"SAM-2: the file's image encoder has {count} blocks; SAM-2 has "
        + ", ".join(f"{n} ({v})" for v, (n, _) in VARIANTS.items()) + " — is this a SAM-2 checkpoint?")


def config_path(variant: str, version: str = "2.1") -> Path:
    """The packaged YAML of a variant (inside the installed sam2 package)."""
    import importlib.resources

    if variant not in VARIANTS:
        raise BadInputError(f"SAM-2 variant must be one of {', '.join(VARIANTS)}, got {variant!r}")
    stem = VARIANTS[variant][1]
    rel = f"configs/sam2.1/sam2.1_{stem}.yaml" if version == "2.1" else f"configs/sam2/sam2_{stem}.yaml"
    return Path(str(importlib.resources.files("sam2") / rel))


def build_sam2(variant: str = "tiny", *, version: str = "2.1", image_size: int = DEFAULT_IMAGE_SIZE) -> Any:
    """A SAM2VideoPredictor with random weights, from the packaged config (no hydra.compose)."""
    _, instantiate, OmegaConf = check_sam2()
    cfg = OmegaConf.load(config_path(variant, version))
    model = cfg.model
    model["_target_"] = "sam2.sam2_video_predictor.SAM2VideoPredictor"
    model["image_size"] = check_image_size(image_size)
    # what the package's build_sam2_video_predictor adds for inference (apply_postprocessing=True),
    # except hole filling, which needs the CUDA extension this install deliberately does not build
    model["sam_mask_decoder_extra_args"] = {"dynamic_multimask_via_stability": True,
                                            "dynamic_multimask_stability_delta": 0.05,
                                            "dynamic_multimask_stability_thresh": 0.98}
    model["binarize_mask_from_pts_for_mem_enc"] = True
    model["fill_hole_area"] = 0
    OmegaConf.resolve(cfg)
    return instantiate(cfg.model, _recursive_=True).eval()


def load_sam2(path: str | os.PathLike, *, image_size: int = DEFAULT_IMAGE_SIZE, dtype: Any = None,
              device: Any = "cpu") -> Any:
    """Build the predictor the file's tensors describe and load them strictly."""
    import torch

    from ..models.checkpoint import load_state_dict, load_strict

    state = load_state_dict(path)
    variant, version = detect_variant(state)
    try:
        predictor = build_sam2(variant, version=version, image_size=image_size)
    except PavasError:
        raise
    except Exception as exc:
        raise UnsupportedCheckpointError(f"SAM-2: cannot build the {variant} model ({exc})") from None
    load_strict(predictor, state, f"SAM-2 {version} {variant} ({Path(path).name})")
    predictor = predictor.to(device=device, dtype=dtype or torch.float32)
    predictor.pavas_variant = f"sam{version}_{variant}"
    return predictor


class MemoryFrames:
    """The predictor's view of the clip: frame k as a normalised (3, S, S) tensor, made when asked.

    Nothing but the clip's own uint8 frames is held, whatever the clip's length.
    """

    def __init__(self, frames: np.ndarray, image_size: int) -> None:
        self.frames = frames
        self.image_size = image_size

    def __len__(self) -> int:
        return int(self.frames.shape[0])

    def __getitem__(self, k: int):
        import torch
        from PIL import Image

        img = Image.fromarray(np.ascontiguousarray(self.frames[k])).resize((self.image_size, self.image_size),
                                                                           Image.BICUBIC)
        x = torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0).permute(2, 0, 1)
        mean = torch.tensor(IMAGE_MEAN).view(3, 1, 1)
        std = torch.tensor(IMAGE_STD).view(3, 1, 1)
        return (x - mean) / std


def new_state(predictor: Any, frames: np.ndarray) -> dict[str, Any]:
    """The predictor's inference state for frames in memory (what its init_state builds for a JPEG folder)."""
    device = predictor.device
    h, w = int(frames.shape[1]), int(frames.shape[2])
    state: dict[str, Any] = {
        "images": MemoryFrames(frames, predictor.image_size), "num_frames": int(frames.shape[0]),
        "offload_video_to_cpu": False, "offload_state_to_cpu": False,
        "video_height": h, "video_width": w, "device": device, "storage_device": device,
        "point_inputs_per_obj": {}, "mask_inputs_per_obj": {}, "cached_features": {}, "constants": {},
        "obj_id_to_idx": OrderedDict(), "obj_idx_to_id": OrderedDict(), "obj_ids": [],
        "output_dict_per_obj": {}, "temp_output_dict_per_obj": {}, "frames_tracked_per_obj": {},
    }
    return state


def memory_window(predictor: Any) -> int:
    """How many frames back SAM-2 can still attend to (mask memories, object pointers)."""
    stride = int(getattr(predictor, "memory_temporal_stride_for_eval", 1))
    return max(int(predictor.num_maskmem) * stride, int(predictor.max_obj_ptrs_in_encoder)) + 1


def _prune(state: dict[str, Any], frame_idx: int, window: int, reverse: bool) -> None:
    for obj in state["output_dict_per_obj"].values():
        old = obj["non_cond_frame_outputs"]
        for k in [k for k in old if (k > frame_idx + window if reverse else k < frame_idx - window)]:
            del old[k]


def held_frame_outputs(state: dict[str, Any]) -> int:
    """Tracking outputs the state holds (over all objects): bounded by the memory window."""
    return sum(len(o["non_cond_frame_outputs"]) + len(o["cond_frame_outputs"])
               for o in state["output_dict_per_obj"].values())


def track_boxes(predictor: Any, frames: np.ndarray,
                prompts: Sequence[tuple[int, tuple[float, float, float, float]] | None], *,
                progress: ProgressCallback | None = None, state_out: list | None = None) -> list[ObjectMasks]:
    """Masks of each prompted object in every frame (the frames' own pixel grid).

    frames: (T, h, w, 3) uint8; prompts[i]: (frame, (x0, y0, x1, y1) in those pixels) or None (the
    object gets no masks). SAM-2 tracks forward from the earliest prompt, then backward from it.
    A frame where SAM-2 sees no object (its occlusion score) gets no mask.
    state_out: a list that receives the inference state (tests inspect what it holds).
    """
    import torch

    t, h, w = int(frames.shape[0]), int(frames.shape[1]), int(frames.shape[2])
    out = [ObjectMasks.empty(t, (w, h)) for _ in prompts]
    prompted = [(i, p) for i, p in enumerate(prompts) if p is not None]
    if not prompted:
        return out
    window = memory_window(predictor)
    state = new_state(predictor, frames)
    if state_out is not None:
        state_out.append(state)
    with torch.inference_mode():
        for obj_id, (k, box) in prompted:
            x0, y0, x1, y1 = (float(v) for v in box)
            predictor.add_new_points_or_box(state, frame_idx=int(k), obj_id=obj_id,
                                            box=np.array([x0, y0, x1, y1], dtype=np.float32))
        start = min(int(k) for _, (k, _) in prompted)
        total = t
        done = 0
        for reverse in (False, True):
            if reverse and start == 0:
                break
            for frame_idx, obj_ids, masks in predictor.propagate_in_video(state, start_frame_idx=start,
                                                                           reverse=reverse):
                binary = (masks[:, 0] > 0.0).cpu().numpy()
                for j, obj_id in enumerate(obj_ids):
                    m = binary[j]
                    if m.any():
                        ys, xs = np.nonzero(m)
                        y0, x0 = int(ys.min()), int(xs.min())
                        out[obj_id].with_frame(frame_idx, y0, x0, m[y0:ys.max() + 1, x0:xs.max() + 1])
                _prune(state, frame_idx, window, reverse)
                done += 1
                report(progress, min(done, total), total)
    report(progress, total, total)
    return out


class ReplayPredictor:
    """An object with the interface `track_boxes` uses of SAM2VideoPredictor that replays given masks.

    For the stage contract test and for checks of what the SAM-2 observer does with SAM-2's masks
    (lost frames, a prompt it does not take), with exact masks and no weights. masks[i] are object
    i's masks in the frames' grid; `drop[i]` lists frames where object i is "lost" (no mask).
    """

    num_maskmem = 7
    max_obj_ptrs_in_encoder = 16
    memory_temporal_stride_for_eval = 1
    image_size = 128

    def __init__(self, masks: Sequence[ObjectMasks], drop: dict[int, Sequence[int]] | None = None) -> None:
        import torch

        self.masks = list(masks)
        self.drop = {i: set(v) for i, v in (drop or {}).items()}
        self.device = torch.device("cpu")
        self.prompts: dict[int, tuple[int, Any]] = {}

    def add_new_points_or_box(self, state: dict, frame_idx: int, obj_id: int, box: Any = None) -> None:
        self.prompts[obj_id] = (frame_idx, box)
        state["obj_ids"] = sorted(self.prompts)
        state["output_dict_per_obj"].setdefault(obj_id, {"cond_frame_outputs": {frame_idx: None},
                                                         "non_cond_frame_outputs": {}})

    def propagate_in_video(self, state: dict, start_frame_idx: int, reverse: bool = False):
        import torch

        t = state["num_frames"]
        order = range(start_frame_idx, -1, -1) if reverse else range(start_frame_idx, t)
        ids = list(state["obj_ids"])
        for k in order:
            planes = []
            for i in ids:
                dense = self.masks[i].dense(k) if k not in self.drop.get(i, ()) else None
                if dense is None:
                    dense = np.zeros((state["video_height"], state["video_width"]), bool)
                state["output_dict_per_obj"][i]["non_cond_frame_outputs"][k] = None
                planes.append(np.where(dense, 10.0, -10.0).astype(np.float32))
            yield k, ids, torch.from_numpy(np.stack(planes))[:, None]
