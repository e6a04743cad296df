"""Per-frame 3D point maps → each object's metric centroid per frame, in the world frame.

Every learned geometry backend (CUT3R, a metric depth model, ComfyUI's Depth Anything 3 or MoGe
output) ends up with the same thing: for each frame, a 3D point per pixel of the analysis grid in
that frame's camera (x right, y down, z forward, metres when the model is metric) and, when known,
the camera's pose in a world frame. This module turns that into per-object trajectories:

- the centroid of an object's masked points is taken over the mask's *interior* (the mask eroded by
  one pixel when it is large enough: depth at an object's outline mixes object and background, the
  "flying pixels" of depth models), then trimmed (points whose depth is far from the median
  depth are dropped) so that a few wrong depths cannot pull it;
- centroids are moved into the world frame with the camera poses (world = the first frame's camera
  unless the source says otherwise), so camera motion does not read as object motion;
- a frame without enough valid points gives no centroid (NaN; the object's speed is null there);
- geometry that is only known up to scale (DA3 multi-view, MoGe v1) is made metric with one factor
  for the whole scene, from free fall (gravity in the 3D trajectory) or else a known object size.

Speeds are not computed here: the shared dynamics (dynamics.py) fits the trajectories.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from ..errors import BadInputError
from .flight import FLIGHT, estimate_noise, fit_flights
from .masks import ObjectMasks

MIN_POINTS = 3  # fewer valid points than this in a frame: no centroid there
TRIM_SIGMAS = 3.0  # points farther than this many robust sigmas from the median depth are not averaged
TRIM_MIN_FRACTION = 0.01  # ... but never closer than this share of the depth (a flat object has MAD 0)
ERODE_MIN_AREA_PX = 12  # a mask is eroded only if at least this many pixels remain


@dataclass
class PointMaps:
    """What a geometry source measured, on the analysis grid.

    points_cam: (T, h, w, 3) float32 camera-frame points of each frame; NaN (or z ≤ 0) where unknown.
    confidence: (T, h, w) or None; points below `min_confidence` are not used.
    camera_to_world: (T, 4, 4) or None (unknown: estimated from the background, egomotion.py).
    focal_px: focal length in analysis pixels (for the pixel size at a depth).
    metric: the points are in metres (else up to one unknown scale factor for the whole clip).
    source: the vocabulary value of the backend (cut3r, depth, da3, moge, ...).
    """

    points_cam: np.ndarray
    focal_px: float
    source: str
    metric: bool = True
    confidence: np.ndarray | None = None
    min_confidence: float = 0.0
    camera_to_world: np.ndarray | None = None
    focal_source: str = ""
    warnings: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    @property
    def num_frames(self) -> int:
        return int(self.points_cam.shape[0])

    @property
    def grid_size(self) -> tuple[int, int]:
        return int(self.points_cam.shape[2]), int(self.points_cam.shape[1])

    def valid(self, k: int) -> np.ndarray:
        """(h, w) bool: points of frame k that may be used (finite, in front of the camera, confident)."""
        p = self.points_cam[k]
        ok = np.isfinite(p).all(axis=-1) & (p[..., 2] > 0)
        if self.confidence is not None and self.min_confidence > 0:
            ok &= np.nan_to_num(self.confidence[k], nan=-np.inf) >= self.min_confidence
        return ok

    def check(self, num_frames: int, grid_size: tuple[int, int]) -> "PointMaps":
        """BadInputError unless the maps cover the clip's frames on its analysis grid."""
        p = self.points_cam
        if p.ndim != 4 or p.shape[-1] != 3:
            raise BadInputError(f"geometry: point maps must be (frames, height, width, 3), got {p.shape}")
        if p.shape[0] != num_frames:
            raise BadInputError(f"geometry: {p.shape[0]} frames of depth for a clip of {num_frames} frames; "
                                "give the geometry node the same frames as the clip")
        if (p.shape[2], p.shape[1]) != tuple(grid_size):
            raise BadInputError(f"geometry: point maps of {p.shape[2]}x{p.shape[1]} for an analysis grid of "
                                f"{grid_size[0]}x{grid_size[1]}")
        if self.camera_to_world is not None and self.camera_to_world.shape != (num_frames, 4, 4):
            raise BadInputError(f"geometry: camera poses must be ({num_frames}, 4, 4), got "
                                f"{self.camera_to_world.shape}")
        if not (math.isfinite(self.focal_px) and self.focal_px > 0):
            raise BadInputError(f"geometry: the focal length must be a positive number, got {self.focal_px}")
        return self


def depth_to_points(depth_m: np.ndarray, focal_px: float, cx_px: float | None = None,
                    cy_px: float | None = None, *, fy_px: float | None = None) -> np.ndarray:
    """(T, h, w) depth (z) → (T, h, w, 3) camera-frame points; pixel centres at (i + 0.5).

    NaN, infinite or non-positive depth stays invalid (NaN points)."""
    depth = np.asarray(depth_m, dtype=np.float32)
    t, h, w = depth.shape
    cx = w / 2.0 if cx_px is None else cx_px
    cy = h / 2.0 if cy_px is None else cy_px
    fy = focal_px if fy_px is None else fy_px
    u = (np.arange(w, dtype=np.float32) + 0.5 - np.float32(cx)) / np.float32(focal_px)
    v = (np.arange(h, dtype=np.float32) + 0.5 - np.float32(cy)) / np.float32(fy)
    z = np.where(np.isfinite(depth) & (depth > 0), depth, np.nan).astype(np.float32)
    return np.stack([z * u[None, None, :], z * v[None, :, None], z], axis=-1)


def resize_points(points: np.ndarray, grid_size: tuple[int, int]) -> np.ndarray:
    """(T, H, W, C) maps → (T, h, w, C) on another grid by nearest sampling of pixel centres.

    Nearest, not interpolation: averaging depths across an object's outline would invent points
    between the object and the background."""
    t, h0, w0 = points.shape[:3]
    w, h = grid_size
    if (w0, h0) == (w, h):
        return points
    ys = np.minimum(((np.arange(h) + 0.5) * h0 / h).astype(int), h0 - 1)
    xs = np.minimum(((np.arange(w) + 0.5) * w0 / w).astype(int), w0 - 1)
    return points[:, ys][:, :, xs]


def transform_points(pose: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(4, 4) rigid transform applied to (..., 3) points."""
    return points @ pose[:3, :3].T + pose[:3, 3]


# --- one object ----------------------------------------------------------------------------

@dataclass
class ObjectPoints:
    """One object's measurements from the point maps (before any rescaling).

    centroid_cam: (T, 3) centroids in each frame's camera; centroid_world: (T, 3) in the world frame.
    n_points: (T,) points used; depth_m: (T,) median depth; size_px: (T,) the mask's extent.
    at_edge: (T,) the mask touches the picture's edge.
    """

    centroid_cam: np.ndarray
    centroid_world: np.ndarray
    n_points: np.ndarray
    depth_m: np.ndarray
    size_px: np.ndarray
    at_edge: np.ndarray
    no_depth_frames: int  # frames where the object had a mask but no usable depth


def interior(mask: np.ndarray) -> np.ndarray:
    """The mask without its outline pixels, when enough remains (else the mask itself)."""
    eroded = ndimage.binary_erosion(mask, iterations=1, border_value=0)
    return eroded if np.count_nonzero(eroded) >= ERODE_MIN_AREA_PX else mask


def robust_centroid(points: np.ndarray) -> np.ndarray:
    """(N, 3) → (3,): mean of the points whose depth agrees with the median depth.

    Wrong points are wrong in depth (an outline pixel that took the background's depth, a flying
    pixel between object and background): points farther in z from the median than
    TRIM_SIGMAS robust standard deviations (at least TRIM_MIN_FRACTION of the depth) are dropped,
    and the rest averaged. Trimming by depth alone keeps the lateral average unbiased."""
    z = points[:, 2]
    med = float(np.median(z))
    if len(points) < 5:
        return np.median(points, axis=0)
    mad = 1.4826 * float(np.median(np.abs(z - med)))
    keep = np.abs(z - med) <= max(TRIM_SIGMAS * mad, TRIM_MIN_FRACTION * med)
    return points[keep].mean(axis=0)


def object_points(maps: PointMaps, masks: ObjectMasks, poses: np.ndarray) -> ObjectPoints:
    """Centroids of one object's masked points per frame (NaN where not visible or without depth)."""
    n = maps.num_frames
    w, h = maps.grid_size
    cam = np.full((n, 3), np.nan)
    world = np.full((n, 3), np.nan)
    count = np.zeros(n, int)
    depth = np.full(n, np.nan)
    size = np.full(n, np.nan)
    at_edge = np.zeros(n, bool)
    no_depth = 0
    for k, fm in enumerate(masks.frames):
        if fm is None:
            continue
        x0, y0, x1, y1 = fm.box_xyxy()
        at_edge[k] = x0 <= 0 or y0 <= 0 or x1 >= w or y1 >= h
        size[k] = 2.0 * math.sqrt(fm.area_px / math.pi)
        region = interior(fm.crop)
        sl = (slice(fm.y0, fm.y0 + fm.crop.shape[0]), slice(fm.x0, fm.x0 + fm.crop.shape[1]))
        sel = region & maps.valid(k)[sl]
        if np.count_nonzero(sel) < MIN_POINTS:
            no_depth += 1
            continue
        pts = maps.points_cam[k][sl][sel].astype(np.float64)
        c = robust_centroid(pts)
        cam[k] = c
        world[k] = transform_points(poses[k], c)
        count[k] = len(pts)
        depth[k] = float(np.median(pts[:, 2]))
    return ObjectPoints(cam, world, count, depth, size, at_edge, no_depth)


# --- scale for geometry known up to a factor -----------------------------------------------

@dataclass(frozen=True)
class SceneScale:
    factor: float  # metres per unit of the point maps
    source: str  # metric_scale_source: the backend's own (metric), gravity, size_prior
    detail: str


def gravity_scale(times_s: np.ndarray, trajectories: list[np.ndarray], usable: list[np.ndarray],
                  units: list[float], *, fps: float, gravity_mps2: float, penalty: float) -> tuple[float, str] | None:
    """Metres per unit from free flight in 3D trajectories of unknown scale, or None.

    Each trajectory is fitted piecewise (flight.py); a fit with enough flight samples, a
    consistent acceleration and a direction close to the picture's down axis gives
    g / |a|. The median over objects is returned with a note."""
    factors, notes = [], []
    for traj, use, unit in zip(trajectories, usable, units):
        ok = use & np.isfinite(traj).all(axis=1)
        if ok.sum() < 8:
            continue
        fit = fit_flights(times_s[ok], traj[ok], fps=fps, penalty=penalty, unit=unit)
        if fit is None:
            continue
        a = float(np.linalg.norm(fit.accel))
        n_flight = sum(s.n for s in fit.segments if s.kind == FLIGHT)
        rel = fit.accel_sigma / a if a > 0 else math.inf
        if n_flight >= 8 and rel < 0.08:
            factors.append(gravity_mps2 / a)
            notes.append(f"{n_flight} flight samples, ±{100 * rel:.1f} %")
    if not factors:
        return None
    return float(np.median(factors)), "; ".join(notes)


def scene_noise(times_s: np.ndarray, centroid: np.ndarray, unit: float) -> float:
    ok = np.isfinite(centroid).all(axis=1)
    if ok.sum() < 6:
        return 0.3 * unit
    return estimate_noise(times_s[ok], centroid[ok], unit=unit)
