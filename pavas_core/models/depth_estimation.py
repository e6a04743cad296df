"""Metric depth per frame from a depth-estimation model native in transformers.

Supported: Depth Anything V2 *metric* checkpoints (`DepthAnythingForDepthEstimation` with
`depth_estimation_type="metric"`: depth in metres = sigmoid · max_depth) and Depth Pro
(`DepthProForDepthEstimation`: metric depth, and the field of view when the checkpoint has its
FOV head). A relative Depth Anything model gives inverse depth up to an unknown affine map, not
depth, and is refused with a message. The model is read from a local folder (config.json + weights,
as `save_pretrained` writes it); never downloaded, never with remote code.

Frames are resized (aspect kept, sides multiples of the model's patch size) and normalised with
the checkpoint's preprocessor_config.json when it has one (ImageNet mean/std otherwise).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import BadInputError, MissingWeightsError, UnsupportedCheckpointError
from ..progress import ProgressCallback, report

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
DEFAULT_INPUT_SIDE = 518  # Depth Anything's training size (shorter side)


@dataclass
class DepthModel:
    """A loaded depth model and how to feed it."""

    model: Any  # transformers PreTrainedModel
    kind: str  # depth_anything | depth_pro
    input_side: int  # shorter side the frames are resized to
    multiple: int  # sides rounded to a multiple of this
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    name: str


def load_depth_model(model_dir: str | os.PathLike, *, device: str | None = None, dtype: Any = None) -> DepthModel:
    """A transformers depth-estimation model from a local folder (once per folder, device and dtype)."""
    import torch

    from ..runtime import REGISTRY, file_key, resolve_device, resolve_dtype

    path = Path(model_dir)
    config_file = path / "config.json"
    if not config_file.is_file():
        raise MissingWeightsError(f"depth model: expected a transformers model folder with config.json at {path}; "
                                  "found none (save a Depth Anything V2 metric or Depth Pro model there)")
    dev, dt = resolve_device(device), resolve_dtype(dtype)
    key = ("depth_model", file_key(config_file), str(dt), str(dev))
    return REGISTRY.get(key, lambda: _load(path, dev, dt, torch))


MAX_INPUT_SIDE = 4096  # a preprocessor size above this is not a depth model's input size


def _load(path: Path, device, dtype, torch) -> DepthModel:
    from ..perception.hf_folder import check_transformers, check_weight_dtypes, load_failed, read_folder_config

    transformers = check_transformers("the depth model")
    model_type = read_folder_config(path).get("model_type")  # malformed config.json: one clear error
    if not isinstance(model_type, str):
        raise UnsupportedCheckpointError(f"depth model: {path} has no model_type text in config.json; use Depth "
                                         "Anything V2 metric or Depth Pro")
    try:
        config = transformers.AutoConfig.from_pretrained(path, local_files_only=True, trust_remote_code=False)
    except Exception as e:  # an unknown model type, a config transformers cannot read
        raise UnsupportedCheckpointError(f"depth model: {path} is not a transformers model folder "
                                         f"({str(e).splitlines()[0][:200] if str(e) else type(e).__name__})") from None
    kind = {"depth_anything": "depth_anything", "depth_pro": "depth_pro"}.get(config.model_type)
    if kind is None:
        raise UnsupportedCheckpointError(f"depth model: {path} holds a {config.model_type!r} model; use Depth Anything "
                                         "V2 metric or Depth Pro")
    if kind == "depth_anything" and getattr(config, "depth_estimation_type", "relative") != "metric":
        raise UnsupportedCheckpointError(f"depth model: {path} is a relative Depth Anything model (inverse depth up to "
                                         "scale); use a metric checkpoint (Depth-Anything-V2-Metric-*)")
    mean, std, side = _preprocessing(path / "preprocessor_config.json")
    check_weight_dtypes(path, "a depth model")
    try:
        model = transformers.AutoModelForDepthEstimation.from_pretrained(path, local_files_only=True,
                                                                         trust_remote_code=False)
    except Exception as e:  # missing or mis-shaped weights, a pickle weights_only refuses
        raise load_failed(path, "a depth model", e) from None
    model = model.to(device=device, dtype=dtype).eval()
    patch = getattr(getattr(config, "backbone_config", None), "patch_size", None) or getattr(config, "patch_size", 14)
    return DepthModel(model, kind, side, int(patch), mean, std, path.name)


def _preprocessing(pre: Path) -> tuple[tuple[float, ...], tuple[float, ...], int]:
    """(mean, std, input side) from a preprocessor_config.json, checked; ImageNet's and 518 without one."""
    from ..fileio import read_json

    mean, std, side = IMAGENET_MEAN, IMAGENET_STD, DEFAULT_INPUT_SIDE
    if not pre.is_file():
        return mean, std, side
    cfg = read_json(pre, f"depth model: {pre.name}")
    if not isinstance(cfg, dict):
        raise BadInputError(f"depth model: {pre} is not a JSON object")

    def triple(name: str, default: tuple[float, ...], positive: bool) -> tuple[float, ...]:
        value = cfg.get(name, default)
        ok = (isinstance(value, (list, tuple)) and len(value) == 3
              and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                      and (v > 0 or not positive) for v in value))
        if not ok:
            raise BadInputError(f"depth model: {pre.name}: {name} must be three finite numbers, got {value!r}")
        return tuple(float(v) for v in value)

    mean, std = triple("image_mean", mean, False), triple("image_std", std, True)
    size = cfg.get("size", {})
    if isinstance(size, dict):
        value = size.get("height", size.get("shortest_edge", side))
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_INPUT_SIDE:
            raise BadInputError(f"depth model: {pre.name}: size must be a whole number of pixels from 1 to "
                                f"{MAX_INPUT_SIDE}, got {value!r}")
        side = value
    return mean, std, side


def _input_size(h: int, w: int, side: int, multiple: int) -> tuple[int, int]:
    scale = side / min(h, w)
    return (max(multiple, int(round(h * scale / multiple)) * multiple),
            max(multiple, int(round(w * scale / multiple)) * multiple))


def estimate_depth(model: DepthModel, frames: np.ndarray, *, batch: int = 4, input_side: int | None = None,
                   progress: ProgressCallback | None = None) -> tuple[np.ndarray, float | None]:
    """(T, h, w, 3) uint8 → ((T, h, w) float32 depth in metres, horizontal field of view in degrees or None).

    The field of view comes from Depth Pro's FOV head (None for models without one)."""
    import torch
    import torch.nn.functional as F

    t, h, w = frames.shape[:3]
    net = model.model
    p = next(net.parameters())
    ih, iw = _input_size(h, w, input_side or model.input_side, model.multiple)
    mean = torch.tensor(model.mean, dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(model.std, dtype=torch.float32).view(1, 3, 1, 1)
    out = np.empty((t, h, w), np.float32)
    fovs = []
    for start in range(0, t, batch):
        x = torch.from_numpy(np.ascontiguousarray(frames[start:start + batch])).permute(0, 3, 1, 2).float() / 255.0
        x = F.interpolate(x, size=(ih, iw), mode="bicubic", align_corners=False).clamp(0, 1)
        x = ((x - mean) / std).to(device=p.device, dtype=p.dtype)
        with torch.no_grad():
            res = net(pixel_values=x)
        depth = res.predicted_depth.float()
        if depth.ndim == 3:
            depth = depth[:, None]
        depth = F.interpolate(depth, size=(h, w), mode="bilinear", align_corners=False)[:, 0]
        out[start:start + len(x)] = depth.cpu().numpy()
        fov = getattr(res, "field_of_view", None)
        if fov is not None:
            fovs.extend(float(v) for v in fov.float().flatten().cpu())
        report(progress, min(start + batch, t), t)
    fov_deg = float(np.median(fovs)) if fovs and all(math.isfinite(f) for f in fovs) else None
    return out, fov_deg
