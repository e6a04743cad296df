"""The stages of physics estimation and the typed results they hand each other.

    discover → boxes → observe → geometry → mass → (dynamics, shared) → PhysicsTracks

- discover: which objects move (name, action, moving, material?) and where the names came from;
- boxes: where each object is on a few frames (prompts for a promptable segmenter such as SAM-2);
- observe: per object and per frame, a mask (box = its extent) in the analysis grid, None where the
  object is not visible, with flags saying which masks are the object's own;
- geometry: per object and per frame, a metric 3D centroid in a stated frame (camera or world),
  camera poses, the metric scale and where it came from;
- mass: kg per object with source and confidence.
Dynamics (speed from a piecewise fit of the metric trajectory, impacts with ΔKE) is not a
pluggable stage: it is computed the same way whatever produced the geometry (dynamics.py).

Every stage is a small interface (a Protocol below) with the weight-free code as its default
backend. A backend is one module plus one `register_backend` call (registry.py); the estimator,
the CLI and the nodes find it there. All backends are held to one contract test
(tests/physics/test_stage_contract.py).

All pixel quantities inside the stages are in the *analysis grid*: the clip's frames resized so
that the longest side is `EstimateOptions.analysis_max_side` (`StageContext.grid_size`). The
assembled PhysicsTracks converts them to the video's own pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

import numpy as np

from ...errors import BadInputError
from ...limits import check_analysis_size
from ...progress import ProgressCallback, report
from ...video.clip import Clip, frames_to_uint8
from ..masks import ObjectMasks

MIN_FRAMES = 3


# --- shared per-clip context ------------------------------------------------------------------------
@dataclass
class StageContext:
    """One clip prepared for the stages, and what several stages compute once and share.

    frames: (T, h, w, 3) uint8 at the analysis size; times_s: (T,) presentation times.
    `cache` holds shared intermediate results (camera shake, motion tracks) keyed by name; results
    that later stages receive travel with this context, so the per-stage ComfyUI nodes reuse them.
    """

    clip: Clip
    frames: np.ndarray
    times_s: np.ndarray
    fps: float
    clip_to_grid: float  # analysis px per px of the clip's frames
    source_size: tuple[int, int]  # (w, h) of the video itself
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def num_frames(self) -> int:
        return int(self.frames.shape[0])

    @property
    def grid_size(self) -> tuple[int, int]:
        """(w, h) of the analysis grid."""
        return int(self.frames.shape[2]), int(self.frames.shape[1])

    @property
    def source_to_grid(self) -> float:
        """Analysis px per px of the video itself (user hints are in the video's own pixels)."""
        return self.clip_to_grid * (self.clip.width / self.source_size[0])

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]

    def global_motion(self):
        """The background's motion over the clip (global_motion.GlobalMotion): static, shake or moving."""
        from ..global_motion import estimate_global_motion

        return self.cached("global_motion", lambda: estimate_global_motion(self.frames))

    def camera_shake(self) -> tuple[np.ndarray, bool]:
        """(T, 2) image translation (dx, dy) of each frame against frame 0 (analysis px), camera static?

        A static camera (global_motion) gets exact zeros; a shaking one the whole-picture phase
        correlation of segmentation.py; a moving one (dolly, pan, zoom) zeros and False: its motion
        is not a translation of the picture, see `global_motion()`."""
        from ..segmentation import camera_shake

        def compute() -> tuple[np.ndarray, bool]:
            motion = self.global_motion()
            if motion.kind == "static":
                return np.zeros((self.num_frames, 2)), True
            if motion.kind == "moving":
                return np.zeros((self.num_frames, 2)), False
            return camera_shake(self.frames)

        return self.cached("camera_shake", compute)


def resize_frames(frames: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """(T, H, W, 3) uint8 → frames whose longest side is ≤ max_side, and the scale factor applied."""
    t, h, w = frames.shape[:3]
    scale = min(1.0, max_side / max(h, w))
    if scale >= 1.0:
        return frames, 1.0
    factor = int(round(1.0 / scale))
    if abs(1.0 / scale - factor) < 1e-6 and h % factor == 0 and w % factor == 0:
        x = frames.reshape(t, h // factor, factor, w // factor, factor, 3).mean(axis=(2, 4), dtype=np.float32)
        return np.rint(x).astype(np.uint8), 1.0 / factor
    from PIL import Image

    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    out = np.stack([np.asarray(Image.fromarray(f).resize((nw, nh), Image.BILINEAR, reducing_gap=2.0)) for f in frames])
    return out, nw / w


def make_context(clip: Clip, *, analysis_max_side: int) -> StageContext:
    """Check the clip and prepare it for the stages (frames at the analysis size, real timing)."""
    frames = np.asarray(clip.frames)
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise BadInputError(f"estimate: expected frames of shape (T, H, W, 3), got {frames.shape}")
    if frames.shape[0] < MIN_FRAMES:
        raise BadInputError(f"estimate: need at least {MIN_FRAMES} frames to see motion, got {frames.shape[0]}")
    if frames.dtype != np.uint8:
        frames = frames_to_uint8(frames)
    check_analysis_size(frames.shape[2], frames.shape[1], "estimate: the clip's frames")
    n = frames.shape[0]
    times = np.asarray(clip.timestamps_s, dtype=np.float64)
    if times.shape != (n,):
        times = np.arange(n) / clip.fps
    small, sx = resize_frames(frames, analysis_max_side)
    check_analysis_size(small.shape[2], small.shape[1], f"estimate: frames analysed at {analysis_max_side} px")
    source = tuple(clip.source_size) if clip.source_size else (int(frames.shape[2]), int(frames.shape[1]))
    return StageContext(clip=clip, frames=small, times_s=times, fps=float(clip.fps), clip_to_grid=sx,
                        source_size=(int(source[0]), int(source[1])))


# --- discover ---------------------------------------------------------------------------------------
@dataclass
class DiscoveredObject:
    name: str  # "object" when nothing says what it is
    name_source: str  # user | vlm | generic
    action: str | None = None  # bouncing, falling, ... when the discoverer knows it
    moving: bool = True  # false for an object that is in the picture but does not move by itself
    material: str | None = None
    material_source: str | None = None  # vlm | user
    mass_kg: float | None = None  # a discoverer that also judges mass (a VLM) says so here
    size_m: float | None = None  # a size the discoverer judged (e.g. a VLM); the geometry may use it
    size_source: str | None = None
    handle: Any = None  # backend-private link to what was found (e.g. the motion track); not saved
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Discovery:
    objects: list[DiscoveredObject]
    backend: str
    warnings: list[str] = field(default_factory=list)
    context: StageContext | None = None  # the clip the objects were found in
    extra: dict[str, Any] = field(default_factory=dict)  # backend facts (e.g. the VLM's raw answer)

    def require_context(self) -> StageContext:
        if self.context is None:
            raise BadInputError("physics: these objects carry no clip; connect them from 'Moving Objects'")
        return self.context


class Discoverer(Protocol):
    def discover(self, ctx: StageContext, options: Any, progress: ProgressCallback | None = None) -> Discovery: ...


# --- boxes ------------------------------------------------------------------------------------------
BoxXYXY = tuple[float, float, float, float]  # (x0, y0, x1, y1) in analysis px, x1/y1 exclusive


@dataclass
class ObjectBoxes:
    """Where one object is on a few frames: frame index → box (analysis grid), with a score 0..1.

    source: who found the boxes ("florence2", "motion", ...); "none" when nothing did (no boxes).
    """

    boxes: dict[int, BoxXYXY]
    scores: dict[int, float]
    source: str

    def first(self) -> tuple[int, BoxXYXY] | None:
        """(frame, box) of the earliest frame with a box, or None."""
        if not self.boxes:
            return None
        k = min(self.boxes)
        return k, self.boxes[k]


@dataclass
class Boxes:
    objects: list[ObjectBoxes]  # one per discovered object, in the same order
    backend: str
    warnings: list[str] = field(default_factory=list)
    context: StageContext | None = None  # set when the result travels on its own (per-stage nodes)


class BoxFinder(Protocol):
    def boxes(self, ctx: StageContext, discovery: Discovery, options: Any,
              progress: ProgressCallback | None = None) -> Boxes: ...


# --- observe ----------------------------------------------------------------------------------------
@dataclass
class ObjectObservation:
    """masks: the object's pixels per frame (analysis grid), None where it is not visible.

    reliable[k]: the mask's centroid is the object's own (not a blob it shares with another object).
    overlap[k]: the object overlaps or touches another object in frame k (its extent may be off).
    mask_source: where this object's masks came from when it differs from the observation's (an
        object a learned segmenter lost, observed by the fallback instead); None = the observation's.
    extra: backend facts written into the object's extra in physics.json (e.g. box_source).
    """

    masks: ObjectMasks
    reliable: np.ndarray  # (T,) bool
    overlap: np.ndarray  # (T,) bool
    extra: dict[str, Any] = field(default_factory=dict)
    mask_source: str | None = None

    def box_xyxy(self, k: int) -> tuple[int, int, int, int] | None:
        return self.masks.box_xyxy(k)


@dataclass
class Observation:
    objects: list[ObjectObservation]  # one per discovered object, in the same order
    grid_size: tuple[int, int]  # (w, h) of the masks: the analysis grid
    backend: str
    mask_source: str  # value of ObjectTrack.mask_source
    warnings: list[str] = field(default_factory=list)
    context: StageContext | None = None  # set when the result travels on its own (per-stage nodes)
    boxes: Boxes | None = None  # the boxes stage's result the observer was given (set by estimate.observe)


class Observer(Protocol):
    """`boxes` are the boxes stage's result; observers that need no prompts ignore them."""

    def observe(self, ctx: StageContext, discovery: Discovery, boxes: Boxes, options: Any,
                progress: ProgressCallback | None = None) -> Observation: ...


# --- geometry ---------------------------------------------------------------------------------------
@dataclass
class ObjectGeometry:
    """The metric trajectory of one object as measured (not yet fitted).

    centroid_m: (T, 3) in the scene geometry's frame, NaN where there is no measurement.
    usable: (T,) bool, the samples a trajectory fit may use (the others are shown, not fitted).
    at_edge: (T,) bool, the object is cut by the picture's edge (a track that ends there left the
        picture rather than landing).
    pixel_size_m: metres one analysis pixel spans at the object's depth (the measurement's
        resolution: the dynamics' fixed tolerances are in this unit).
    noise_m: the centroids' noise per axis of the picture plane.
    """

    centroid_m: np.ndarray
    usable: np.ndarray
    at_edge: np.ndarray
    pixel_size_m: float
    noise_m: float
    size_m: float | None
    size_source: str | None
    scale_source: str  # metric_scale_source vocabulary
    scale_detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # backend facts written into the object's extra
    # gravity (m/s², this geometry's frame) as the object's own fall showed it, when its scale came
    # from that fall: the trajectory fit starts from it instead of voting again between candidates
    gravity_m: np.ndarray | None = None
    # the object's longest extent (m) in the picture, when the geometry measures it: a body tipping
    # over from rest drops its centre by less than half of it (gating.py)
    extent_m: float | None = None
    # the scale is the one the picture's other falls gave (the same depth assumed), not this object's
    # own: something else fell in the clip, and what moves beside it may be its shadow (dynamics.py)
    scale_borrowed: bool = False


@dataclass
class SceneGeometry:
    objects: list[ObjectGeometry]  # one per discovered object
    frame: str  # "camera" (of the first frame, x right, y down, z forward) or "world" (y down)
    camera_to_world: np.ndarray  # (T, 4, 4); identity for a static camera
    focal_px: float  # analysis px
    focal_source: str
    backend: str  # geometry.backend vocabulary (pinhole, cut3r, ...)
    metric_scale_source: str  # over all objects
    stage_backend: str  # the registered geometry backend that made this (e.g. "gravity")
    extra: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    context: StageContext | None = None  # set when the result travels on its own (per-stage nodes)


class GeometryEstimator(Protocol):
    def geometry(self, ctx: StageContext, discovery: Discovery, observation: Observation, options: Any,
                 progress: ProgressCallback | None = None) -> SceneGeometry: ...


# --- mass -------------------------------------------------------------------------------------------
@dataclass
class MassEstimate:
    mass_kg: float
    source: str  # mass_source vocabulary
    confidence: float  # 0..1
    material: str | None = None
    material_source: str | None = None
    backend: str = ""  # the registered mass backend that made this (e.g. "prior")
    extra: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


class MassEstimator(Protocol):
    def mass(self, ctx: StageContext, discovery: Discovery, geometry: SceneGeometry, options: Any,
             progress: ProgressCallback | None = None) -> list[MassEstimate]: ...


def done(progress: ProgressCallback | None) -> None:
    """Report a stage without steps of its own as finished."""
    report(progress, 1, 1)
