"""Geometry from ComfyUI's own geometry nodes: Depth Anything 3 (DA3_GEOMETRY) and MoGe (MOGE_GEOMETRY).

Users of current ComfyUI (0.25) already run these models in their graphs; their outputs are
accepted as the geometry stage's input instead of loading a second copy. The formats, as ComfyUI
0.25 writes them (comfy_extras/nodes_depth_anything_3.py, nodes_moge.py), are plain dicts of
tensors (B frames, H×W the picture's size):

DA3_GEOMETRY: "depth" (B, H, W) raw model depth; "image"; "mode" ("mono" | "multiview"); optional
"sky" (B, H, W) probability; "confidence" (B, H, W); multiview only: "extrinsics" (1, B, 3, 4)
world-to-camera [R|t] and "intrinsics" (1, B, 3, 3) in pixels of the H×W picture (pixel centres
at integer coordinates). Multi-view DA3 (Small/Base) is not metric; the Metric variant (mono) is,
the Mono variant is not, and the packet does not say which: `metric` tells ("auto" = not metric,
the scale then comes from free fall or a known size, which also holds for a metric model).

MOGE_GEOMETRY: "points" (B, H, W, 3) camera-frame points (OpenCV axes), inf where masked;
"depth" (B, H, W); "intrinsics" (B, 3, 3) normalised (fx in picture widths, centre 0.5); "mask"
(B, H, W) bool; "normal" only from MoGe-2, whose points are metric (MoGe-1's are not); "image".
A panorama packet has no intrinsics (spherical points) and is refused.

Neither gives camera poses in mono / MoGe mode: they come from the background (egomotion.py).
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ...errors import BadInputError
from ..geometry import focal_from_fov
from ..pointmaps import PointMaps, resize_points
from .pointmap_geometry import PointMapGeometry
from .registry import register_backend

METRIC_CHOICES = ("auto", "yes", "no")


def _array(value: Any, name: str, ndim: int) -> np.ndarray:
    try:
        arr = value.detach().float().cpu().numpy() if hasattr(value, "detach") else np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError) as e:
        raise BadInputError(f"geometry: '{name}' is not a tensor ({e})") from e
    if arr.ndim != ndim:
        raise BadInputError(f"geometry: '{name}' must have {ndim} dimensions, got shape {arr.shape}")
    return arr.astype(np.float32, copy=False)


def _frames_match(n_given: int, n_clip: int, what: str) -> None:
    if n_given != n_clip:
        raise BadInputError(f"geometry: the {what} has {n_given} frame(s), the clip {n_clip}; run it on the same "
                            "frames as the clip")


def da3_point_maps(packet: Mapping[str, Any], num_frames: int, grid_size: tuple[int, int], *,
                   metric: str = "auto", focal_px: float | None = None, hfov_deg: float = 60.0) -> PointMaps:
    """A DA3_GEOMETRY dict → point maps on the analysis grid (see the module docstring)."""
    if not isinstance(packet, Mapping) or "depth" not in packet:
        raise BadInputError("geometry: expected a DA3_GEOMETRY (a dict with 'depth') from 'Run Depth Anything 3'")
    depth = _array(packet["depth"], "depth", 3)
    b, h, w = depth.shape
    _frames_match(b, num_frames, "Depth Anything 3 output")
    warnings = []
    depth = np.where(np.isfinite(depth) & (depth > 0), depth, np.nan)
    if "sky" in packet:  # sky has no usable depth
        sky = _array(packet["sky"], "sky", 3)
        if sky.shape != depth.shape:
            raise BadInputError(f"geometry: DA3 sky of shape {sky.shape} does not match its depth {depth.shape}")
        depth = np.where(sky >= 0.5, np.nan, depth)
    gw, gh = grid_size
    poses = None
    if "intrinsics" in packet and "extrinsics" in packet:
        k = _array(packet["intrinsics"], "intrinsics", 4)[0]
        e = _array(packet["extrinsics"], "extrinsics", 4)[0]
        if k.shape != (b, 3, 3) or e.shape[0] != b or e.shape[1:] not in ((3, 4), (4, 4)):
            raise BadInputError(f"geometry: DA3 intrinsics {k.shape} / extrinsics {e.shape} do not match {b} frames")
        fx, fy, cx, cy = k[:, 0, 0], k[:, 1, 1], k[:, 0, 2], k[:, 1, 2]
        if not (np.isfinite(k).all() and (fx > 0).all() and (fy > 0).all()):
            raise BadInputError("geometry: DA3 intrinsics are not a camera (non-positive or non-finite focal length)")
        u, v = np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32)  # DA3: pixel centres at integers
        x = (u[None, None, :] - cx[:, None, None]) / fx[:, None, None] * depth
        y = (v[None, :, None] - cy[:, None, None]) / fy[:, None, None] * depth
        points = np.stack([x, y, depth], axis=-1)
        w2c = np.tile(np.eye(4, dtype=np.float64), (b, 1, 1))
        w2c[:, :3, :4] = e[:, :3, :4]
        if not np.isfinite(w2c).all():
            warnings.append("da3: camera poses contain non-finite values: estimated from the background instead")
        else:
            poses = np.linalg.inv(w2c)
        focal, focal_source = float(np.median(fx)) * gw / w, "da3"
    else:
        if focal_px is not None:
            focal, focal_source = focal_px, "user"
        else:
            focal, focal_source = focal_from_fov(gw, hfov_deg), "assumed_fov"
            warnings.append(f"da3: mono mode has no intrinsics: assumed a {hfov_deg:g}° horizontal field of view "
                            "(give focal_px)")
        f_native = focal * w / gw
        u = (np.arange(w, dtype=np.float32) + 0.5 - w / 2.0) / f_native
        v = (np.arange(h, dtype=np.float32) + 0.5 - h / 2.0) / f_native
        points = np.stack([depth * u[None, None, :], depth * v[None, :, None], depth], axis=-1)
    conf = _array(packet["confidence"], "confidence", 3) if "confidence" in packet else None
    if conf is not None and conf.shape != depth.shape:
        raise BadInputError(f"geometry: DA3 confidence of shape {conf.shape} does not match its depth {depth.shape}")
    is_metric = metric == "yes"
    if metric not in METRIC_CHOICES:
        raise BadInputError(f"geometry: metric must be one of {', '.join(METRIC_CHOICES)}, got {metric!r}")
    return PointMaps(resize_points(points, grid_size), focal_px=focal, source="da3", metric=is_metric,
                     confidence=None if conf is None else resize_points(conf[..., None], grid_size)[..., 0],
                     camera_to_world=poses, focal_source=focal_source, warnings=warnings,
                     extra={"da3_mode": str(packet.get("mode", "unknown"))})


def moge_point_maps(packet: Mapping[str, Any], num_frames: int, grid_size: tuple[int, int], *,
                    metric: str = "auto") -> PointMaps:
    """A MOGE_GEOMETRY dict → point maps on the analysis grid (see the module docstring)."""
    if not isinstance(packet, Mapping) or "points" not in packet:
        raise BadInputError("geometry: expected a MOGE_GEOMETRY (a dict with 'points') from 'Run MoGe Inference'")
    if "intrinsics" not in packet:
        raise BadInputError("geometry: this MoGe output has no intrinsics (a panorama?); use 'Run MoGe Inference' "
                            "on the clip's frames")
    points = _array(packet["points"], "points", 4)
    b, h, w, _ = points.shape
    _frames_match(b, num_frames, "MoGe output")
    points = np.where(np.isfinite(points).all(axis=-1, keepdims=True), points, np.nan)
    if "mask" in packet:
        mask = _array(packet["mask"], "mask", 3) > 0.5
        if mask.shape != points.shape[:3]:
            raise BadInputError(f"geometry: MoGe mask of shape {mask.shape} does not match its points {points.shape}")
        points = np.where(mask[..., None], points, np.nan)
    k = _array(packet["intrinsics"], "intrinsics", 3)
    if k.shape != (b, 3, 3) or not (np.isfinite(k[:, 0, 0]).all() and (k[:, 0, 0] > 0).all()):
        raise BadInputError(f"geometry: MoGe intrinsics of shape {k.shape} are not {b} cameras")
    gw, _ = grid_size
    focal = float(np.median(k[:, 0, 0])) * gw  # normalised: fx in picture widths
    if metric not in METRIC_CHOICES:
        raise BadInputError(f"geometry: metric must be one of {', '.join(METRIC_CHOICES)}, got {metric!r}")
    is_metric = metric == "yes" or (metric == "auto" and "normal" in packet)  # MoGe-2 (normals) is metric
    warnings = [] if is_metric else ["moge: MoGe-1 point maps are not metric: the scale comes from free fall or a "
                                     "known size"]
    return PointMaps(resize_points(points, grid_size), focal_px=focal, source="moge", metric=is_metric,
                     focal_source="moge", warnings=warnings)


class Da3Geometry(PointMapGeometry):
    name = "da3"

    def __init__(self, geometry: Mapping[str, Any] | None = None, metric: str = "auto") -> None:
        self.packet, self.metric = geometry, metric

    def point_maps(self, ctx, discovery, observation, options, progress=None) -> PointMaps:
        if self.packet is None:
            raise BadInputError("geometry 'da3' needs the output of ComfyUI's 'Run Depth Anything 3' "
                                "(use 'Metric Geometry (Depth Anything 3)')")
        user_focal = options.focal_px * ctx.source_to_grid if options.focal_px is not None else None
        return da3_point_maps(self.packet, ctx.num_frames, ctx.grid_size, metric=self.metric, focal_px=user_focal,
                              hfov_deg=options.assumed_hfov_deg)


class MoGeGeometry(PointMapGeometry):
    name = "moge"

    def __init__(self, geometry: Mapping[str, Any] | None = None, metric: str = "auto") -> None:
        self.packet, self.metric = geometry, metric

    def point_maps(self, ctx, discovery, observation, options, progress=None) -> PointMaps:
        if self.packet is None:
            raise BadInputError("geometry 'moge' needs the output of ComfyUI's 'Run MoGe Inference' "
                                "(use 'Metric Geometry (MoGe)')")
        return moge_point_maps(self.packet, ctx.num_frames, ctx.grid_size, metric=self.metric)


def _plane_from_weight_free(ctx) -> tuple[float, float]:
    """(depth m, focal px) the weight-free geometry measures for the first object (examples)."""
    from ..options import EstimateOptions
    from .gravity import GravityGeometry
    from .motion import MotionDiscoverer, MotionObserver

    opts = EstimateOptions()
    disc = MotionDiscoverer().discover(ctx, opts)
    geo = GravityGeometry().geometry(ctx, disc, MotionObserver().observe(ctx, disc, None, opts), opts)
    return float(geo.objects[0].extra["depth_m"]), float(geo.focal_px)


def example_da3_packet(ctx) -> dict:
    """For the contract test: a multi-view DA3 packet of a plane at the depth the weight-free geometry
    measured (what DA3 would say of a ball moving across a wall), with static cameras."""
    import torch

    z, f = _plane_from_weight_free(ctx)
    w, h = ctx.grid_size
    n = ctx.num_frames
    k = torch.tensor([[f, 0.0, (w - 1) / 2.0], [0.0, f, (h - 1) / 2.0], [0.0, 0.0, 1.0]])
    return {"depth": torch.full((n, h, w), z), "image": torch.from_numpy(ctx.frames).float() / 255.0,
            "mode": "multiview", "intrinsics": k.expand(1, n, 3, 3).clone(),
            "extrinsics": torch.eye(4)[:3].expand(1, n, 3, 4).clone()}


def example_moge_packet(ctx) -> dict:
    """For the contract test: a MoGe-2-like packet of the same plane (metric, with normals)."""
    import torch

    z, f = _plane_from_weight_free(ctx)
    w, h = ctx.grid_size
    n = ctx.num_frames
    u = (torch.arange(w) + 0.5 - w / 2) / f
    v = (torch.arange(h) + 0.5 - h / 2) / f
    pts = torch.stack(torch.broadcast_tensors(u[None, :] * z, v[:, None] * z, torch.full((h, w), z)), -1)
    return {"points": pts.expand(n, h, w, 3).clone(), "depth": torch.full((n, h, w), z),
            "intrinsics": torch.tensor([[f / w, 0, 0.5], [0, f / h, 0.5], [0, 0, 1.0]]).expand(n, 3, 3).clone(),
            "mask": torch.ones(n, h, w, dtype=torch.bool), "normal": torch.zeros(n, h, w, 3),
            "image": torch.from_numpy(ctx.frames).float() / 255.0}


register_backend("geometry", "da3", Da3Geometry,
                 description="ComfyUI's Depth Anything 3 output (DA3_GEOMETRY): depth, and camera poses in "
                             "multi-view mode; scale from free fall unless the model is metric",
                 sources={"metric_scale_source": ("da3", "gravity", "size_prior", "user"), "backend": "da3",
                          "focal_source": ("da3", "assumed_fov", "user"), "size_source": ("da3", "gravity", "prior")},
                 example_settings=lambda ctx, discovery: {"geometry": example_da3_packet(ctx)})
register_backend("geometry", "moge", MoGeGeometry,
                 description="ComfyUI's MoGe output (MOGE_GEOMETRY): metric point maps (MoGe-2) per frame; camera "
                             "motion from the background",
                 sources={"metric_scale_source": ("moge", "gravity", "size_prior", "user"), "backend": "moge",
                          "focal_source": "moge", "size_source": ("moge", "gravity", "prior")},
                 example_settings=lambda ctx, discovery: {"geometry": example_moge_packet(ctx)})
