"""Geometry backend "cut3r": CUT3R's metric point maps and camera poses, frame by frame.

CUT3R (perception/cut3r/) reads the clip one frame at a time with a persistent state and gives,
per frame, a metric point map in that frame's camera and the camera's pose in the world frame
(the first frame's camera). The shared point-map geometry (stages/pointmap_geometry.py) then takes
each object's robust centroid of its masked points and moves it into the world frame with those
poses, so camera motion shows in the poses, not in the objects' speeds.

Memory stays bounded: only the network's state and each frame's maps on the (small) analysis
grid are kept. Fallbacks, each named in the warnings: a frame whose points are not finite gives no
position there; a non-finite pose makes the camera motion come from the background instead
(egomotion.py, as for a depth model); the focal length is fitted to the point maps unless the user
gives it.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from ...errors import BadInputError
from ...progress import report
from ..pointmaps import PointMaps, resize_points
from .pointmap_geometry import PointMapGeometry
from .registry import BackendSetting, register_backend

DEFAULT_SIZE = 512  # long side of the network's input, as the released model was trained
MAX_FOCAL_SAMPLES = 200_000


def input_size(width: int, height: int, long_side: int, patch: int = 16) -> tuple[int, int]:
    """(w, h) of the network's input: long side ≈ `long_side`, both multiples of the patch, aspect kept
    as closely as the patch allows (the whole picture is used: nothing is cropped)."""
    s = long_side / max(width, height)
    return (max(patch, int(round(width * s / patch)) * patch), max(patch, int(round(height * s / patch)) * patch))


def to_network_input(frame_uint8: np.ndarray, size: tuple[int, int]):
    """(H, W, 3) uint8 → (1, 3, h, w) float32 tensor in [-1, 1] at `size` = (w, h)."""
    import torch
    from PIL import Image

    img = Image.fromarray(frame_uint8)
    if img.size != size:
        shrink = size[0] < img.size[0]
        img = img.resize(size, Image.LANCZOS if shrink else Image.BICUBIC)
    x = torch.from_numpy(np.asarray(img, dtype=np.float32) / 127.5 - 1.0)
    return x.permute(2, 0, 1)[None].contiguous()


def fit_focal(points: np.ndarray, valid: np.ndarray) -> float | None:
    """Focal length (grid pixels) that best projects camera-frame points to their pixels, principal
    point at the picture's centre: the robust (iteratively reweighted, L1-like) fit of
    (u − cx, v − cy) = f · (x, y) / z over the valid pixels. None when it cannot be found."""
    t, h, w = points.shape[:3]
    u = np.arange(w) + 0.5 - w / 2.0
    v = np.arange(h) + 0.5 - h / 2.0
    uu, vv = np.broadcast_to(u[None, None, :], (t, h, w)), np.broadcast_to(v[None, :, None], (t, h, w))
    ok = valid & np.isfinite(points).all(axis=-1) & (points[..., 2] > 0)
    if ok.sum() < 8:
        return None
    idx = np.flatnonzero(ok.ravel())
    idx = idx[:: max(1, len(idx) // MAX_FOCAL_SAMPLES)]  # an even subsample bounds the work on long clips
    p = points.reshape(-1, 3)[idx].astype(np.float64)
    a = np.stack([uu.ravel()[idx], vv.ravel()[idx]], axis=-1).ravel()
    b = (p[:, :2] / p[:, 2:3]).ravel()
    weight = np.ones_like(a)
    f = float("nan")
    for _ in range(10):
        den = float(np.sum(weight * b * b))
        if den <= 0:
            return None
        f = float(np.sum(weight * a * b)) / den
        weight = 1.0 / np.maximum(np.abs(a - f * b), 1e-3)
    return f if math.isfinite(f) and f > 0 else None


class Cut3rGeometry(PointMapGeometry):
    name = "cut3r"

    def __init__(self, model_path: str | None = None, model: Any = None, size: int = DEFAULT_SIZE,
                 device: str | None = None, precision: str | None = None) -> None:
        self.model_path, self.model, self.device, self.precision = model_path, model, device, precision
        self.size = int(size)
        if not 32 <= self.size <= 2048:
            raise BadInputError(f"--cut3r-size must be between 32 and 2048 px, got {self.size}")

    def _model(self):
        if self.model is None:
            if not self.model_path:
                raise BadInputError("geometry 'cut3r' needs the CUT3R weights: give --cut3r FILE "
                                    "(cut3r_512_dpt_4_64.pth), or use 'Load CUT3R' → 'Metric Geometry (CUT3R)'")
            from ...perception.cut3r import load_cut3r
            from ...runtime import resolve_device, resolve_dtype

            self.model = load_cut3r(self.model_path, device=resolve_device(self.device),
                                    dtype=resolve_dtype(self.precision))
        return self.model

    def point_maps(self, ctx, discovery, observation, options, progress=None) -> PointMaps:
        import torch

        from ...video.clip import frames_to_uint8

        model = self._model()
        param = next(model.parameters())
        source = ctx.clip.frames if getattr(ctx.clip, "frames", None) is not None else ctx.frames
        n = ctx.num_frames
        if len(source) != n:
            source = ctx.frames
        h0, w0 = np.asarray(source[0]).shape[:2]
        size = input_size(w0, h0, self.size, model.cfg.patch)
        grid = ctx.grid_size
        points = np.full((n, grid[1], grid[0], 3), np.nan, np.float32)
        conf = np.full((n, grid[1], grid[0]), np.nan, np.float32)
        poses = np.full((n, 4, 4), np.nan)
        state = None
        with torch.inference_mode():
            for k in range(n):
                frame = frames_to_uint8(np.asarray(source[k])[None])[0]
                x = to_network_input(frame, size).to(device=param.device, dtype=param.dtype)
                out, state = model.step(x, state)
                pts = out.points_self[0].float().cpu().numpy()
                points[k] = resize_points(pts[None], grid)[0]
                conf[k] = resize_points(out.conf_self[0].float().cpu().numpy()[None, ..., None], grid)[0, ..., 0]
                poses[k] = out.camera_to_world()[0].double().cpu().numpy()
                report(progress, k + 1, n)
        warnings = []
        finite = np.isfinite(poses).all(axis=(1, 2))
        camera_to_world = poses
        if not finite.all():
            bad = int(np.flatnonzero(~finite)[0])
            warnings.append(f"cut3r: camera pose not finite in {int((~finite).sum())} frame(s) (e.g. frame {bad}): "
                            "camera motion found from the background instead")
            camera_to_world = None
        if options.focal_px is not None:
            focal, focal_source = options.focal_px * ctx.source_to_grid, "user"
        else:
            maps_valid = np.isfinite(points).all(axis=-1) & (points[..., 2] > 0)
            fitted = fit_focal(points, maps_valid)
            if fitted is None:
                from ..geometry import focal_from_fov

                focal, focal_source = focal_from_fov(grid[0], options.assumed_hfov_deg), "assumed_fov"
                warnings.append(f"cut3r: no focal length fits the point maps (too few valid points, or they are "
                                f"not a pinhole projection): assumed a {options.assumed_hfov_deg:g}° horizontal "
                                "field of view (give --focal-px)")
            else:
                focal, focal_source = fitted, "cut3r"
        name = os.path.basename(getattr(model, "source_path", "") or "") or "in-memory model"
        return PointMaps(points, focal_px=focal, source="cut3r", metric=True, confidence=conf,
                         camera_to_world=camera_to_world, focal_source=focal_source, warnings=warnings,
                         extra={"cut3r_model": name, "cut3r_input_size": list(size)})


def _example_settings(ctx, discovery) -> dict[str, Any]:
    """For the contract test: a micro CUT3R with seeded random weights at a small input size."""
    from ...perception.cut3r import MICRO, random_cut3r

    return {"model": random_cut3r(MICRO, seed=0), "size": 64}


register_backend("geometry", "cut3r", Cut3rGeometry,
                 description="CUT3R (user-supplied weights, CC BY-NC-SA 4.0): metric point maps and camera poses "
                             "frame by frame; world-frame centroids",
                 sources={"metric_scale_source": "cut3r", "backend": "cut3r",
                          "focal_source": ("cut3r", "assumed_fov", "user"), "size_source": "cut3r"},
                 settings=(BackendSetting(key="model_path", flag="--cut3r", help="CUT3R weights "
                                          "(cut3r_512_dpt_4_64.pth, or a .safetensors copy with its config)",
                                          metavar="FILE"),
                           BackendSetting(key="size", flag="--cut3r-size", help="long side of CUT3R's input in px "
                                          f"(default {DEFAULT_SIZE})", value_type=int, metavar="PX"),
                           BackendSetting("device", "--device", "device of the learned models", metavar="DEV"),
                           BackendSetting("precision", "--precision", "weight precision of the learned models",
                                          metavar="P")),
                 example_settings=_example_settings, example_calibrated=False)
