"""Weight-free discover, boxes and observe backends: moving blobs, tracked with stable identities.

Motion segmentation finds what moves against a static or shaking background (segmentation.py), or
under a moving camera against each frame's warped neighbours (moving_background.py);
the tracker (tracking.py) links the blobs into objects. Discovery names the tracks (the user's
names in order of first appearance, one per object, a track seen again keeping its name: see
naming.py; else a generic "object"); the boxes are each track's first blob
boxes (the prompts a segmenter such as SAM-2 gets when no detector runs); observation hands over
each track's blob masks. All three share one segmentation and tracking per clip (StageContext.cache).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...progress import ProgressCallback
from ..masks import ObjectMasks
from ..moving_background import segment_moving_camera
from ..rest_hold import hold_to_rest
from ..segmentation import segment_motion
from ..tracking import Track, TrackerConfig, path_extent_px, track_detections
from .base import (
    Boxes,
    DiscoveredObject,
    ObjectBoxes,
    Discovery,
    ObjectObservation,
    Observation,
    StageContext,
    done,
)
from .registry import register_backend

from ..naming import GENERIC_NAME, assign_names, reappearances  # noqa: F401  (GENERIC_NAME: re-exported)


def motion_tracks(ctx: StageContext, progress: ProgressCallback | None = None) -> list[Track]:
    """Every moving object's track in the clip (computed once per context), in order of appearance."""

    def compute() -> list[Track]:
        fps = ctx.fps
        motion = ctx.global_motion()
        if motion.kind == "moving":  # dolly, pan, zoom: each frame against its warped neighbours
            seg = segment_moving_camera(ctx.frames, motion, fps=fps, progress=progress)
        else:
            seg = segment_motion(ctx.frames, min_settle_frames=max(5, int(round(0.3 * fps))),
                                 shake=ctx.camera_shake(), progress=progress)
        ctx.cache["noise_sigma_dn"] = seg.noise_sigma_dn
        gap = max(3, int(round(0.25 * fps)))
        cfg = TrackerConfig(max_gap_frames=gap, link_gap_frames=2 * gap, arc_link_gap_frames=int(round(1.0 * fps)),
                            min_points=max(5, int(round(0.15 * fps))))
        tracks = track_detections(seg.detections, config=cfg)
        if motion.kind == "moving":  # an object about to rest stops being "moving" early
            hold_to_rest(tracks, ctx.frames, motion, fps=fps)
        return tracks

    return ctx.cached("motion_tracks", compute)


def named_objects(tracks: list[Track], options: Any, times_s: np.ndarray) -> tuple[list[DiscoveredObject], list[str]]:
    """Objects for `tracks` (in order of first appearance) named by naming.assign_names, and its notes."""
    first_seen = [float(times_s[tr.first_frame]) if tr.first_frame < len(times_s) else 0.0 for tr in tracks]
    naming = assign_names(options.object_names, first_seen, reappearances(tracks))
    out = []
    for name, source, same_as in zip(naming.names, naming.sources, naming.same_as):
        extra = {"same_object_as": same_as} if same_as is not None else {}
        out.append(DiscoveredObject(name=name, name_source=source, extra=extra))
    return out, naming.warnings


def _moved_most(track: Track) -> tuple[bool, float, int]:
    """Whether the object was seen in most frames of its span, how far it went (extent of its path,
    px), then how long it was seen. A long-lived blob that never goes anywhere (the flicker of a
    resting place, a texture edge) must not push out a real object that flew across the picture for
    a second; nor must a chain of specks picked up here and there (a moving camera's misregistered
    tile joints, linked across gaps into a "path" across the picture): an object in view is found
    in most frames."""
    span = track.last_frame - track.first_frame + 1
    return len(track.points) >= WELL_SEEN_SHARE * span, path_extent_px(track), len(track.points)


WELL_SEEN_SHARE = 0.5


TRAJECTORY_SCALES = ("gravity", "user")  # metric scales a rank by physical impacts can trust


def physical_impacts(ctx: StageContext, tracks: list[Track], options: Any) -> list[int]:
    """For each track, the impacts the weight-free chain would sonify: its blob masks, the gravity
    geometry and the dynamics with their gates (the outline test aside); none for a track whose metric
    scale is not its own free fall's (or the user's). Cheap next to the segmentation that found the
    tracks; used to rank them, not as their physics."""
    from ..dynamics import object_dynamics
    from .gravity import GravityGeometry

    discovery = Discovery([DiscoveredObject(name=GENERIC_NAME, name_source="generic", handle=tr) for tr in tracks],
                          backend="motion", context=ctx)
    observation = MotionObserver().observe(ctx, discovery, None, options)
    geometry = GravityGeometry().geometry(ctx, discovery, observation, options)
    counts = []
    for geo in geometry.objects:
        if geo.scale_source not in TRAJECTORY_SCALES:
            # with a guessed size its "gravity" is the guess's: a blob of a flat cartoon that the
            # generic size happened to make fall at g won this rank and was sonified
            counts.append(0)
            continue
        dyn = object_dynamics(geo, ctx.times_s, ctx.fps, penalty=options.segment_penalty,
                              gravity_mps2=options.gravity_mps2)
        counts.append(sum(1 for im in dyn.impacts if im.silent_reason(options.min_impact_confidence) is None))
    return counts


class MotionDiscoverer:
    """Moving objects = tracks of moving blobs; when there are too many, the ones that moved most or,
    under a moving camera, those whose motion shows the most physical impacts, then the ones that
    moved most.

    Under a travelling camera the misregistered texture of a room with depth (parallax) makes many
    long, far-travelling "objects" that never fall; ranked by distance alone they pushed the bouncing
    objects out of the cut. (A static camera keeps the plain rank: its leftovers are resting places'
    flicker, which the distance rank already puts last.)"""

    def discover(self, ctx: StageContext, options: Any, progress: ProgressCallback | None = None) -> Discovery:
        tracks = motion_tracks(ctx, progress)
        warnings = []
        if len(tracks) > options.max_objects:
            if ctx.global_motion().kind == "moving":
                impacts = physical_impacts(ctx, tracks, options)
                ranks = [(n, *_moved_most(tr)) for n, tr in zip(impacts, tracks)]
                by = "with the most physical impacts, then the ones that moved most"
            else:
                ranks = [_moved_most(tr) for tr in tracks]
                by = "that moved most"
            order = sorted(range(len(tracks)), key=ranks.__getitem__, reverse=True)
            keep = [tracks[i] for i in order[: options.max_objects]]
            warnings.append(f"{len(tracks)} moving objects found; kept the {options.max_objects} {by} "
                            f"(--max-objects {options.max_objects}): the other {len(tracks) - options.max_objects} "
                            "are left out of the physics and make no sound")
            tracks = sorted(keep, key=lambda tr: tr.first_frame)
        objects, naming_notes = named_objects(tracks, options, ctx.times_s)
        warnings.extend(naming_notes)
        for obj, tr in zip(objects, tracks):
            obj.handle = tr
        done(progress)
        return Discovery(objects, backend="motion", warnings=warnings, context=ctx)


def object_tracks(ctx: StageContext, discovery: Discovery,
                  progress: ProgressCallback | None = None) -> tuple[list[Track | None], list[str]]:
    """Each discovered object's motion track, and warnings.

    Objects found by another discoverer (no track attached) get the moving tracks in order of
    appearance; an object no track is left for gets None.
    """
    warnings = []
    handles = [o.handle if isinstance(o.handle, Track) else None for o in discovery.objects]
    if any(h is None for h in handles):
        used = {id(h) for h in handles if h is not None}
        spare = iter(t for t in motion_tracks(ctx, progress) if id(t) not in used)
        handles = [h if h is not None else next(spare, None) for h in handles]
        missing = sum(h is None for h in handles)
        if missing:
            warnings.append(f"{missing} named object(s) matched no moving blob: no masks for them")
    return handles, warnings


MOTION_PROMPT_FRAMES = 3  # boxes of a track's first few blobs (a segmenter uses the earliest)


def motion_boxes(ctx: StageContext, discovery: Discovery,
                 progress: ProgressCallback | None = None) -> tuple[list[ObjectBoxes], list[str]]:
    """The boxes of each object's first blobs that are its own (not shared with another object)."""
    tracks, warnings = object_tracks(ctx, discovery, progress)
    out = []
    for tr in tracks:
        boxes: dict[int, tuple[float, float, float, float]] = {}
        scores: dict[int, float] = {}
        for p in (tr.points if tr is not None else []):
            if p.det.mask is None or (p.shared and not p.split):
                continue
            ys, xs = np.nonzero(p.det.mask)
            if ys.size == 0:
                continue
            y0, x0 = p.det.mask_origin
            boxes[p.frame] = (float(x0 + xs.min()), float(y0 + ys.min()), float(x0 + xs.max() + 1),
                              float(y0 + ys.max() + 1))
            scores[p.frame] = 1.0
            if len(boxes) >= MOTION_PROMPT_FRAMES:
                break
        out.append(ObjectBoxes(boxes, scores, "motion" if boxes else "none"))
    return out, warnings


class MotionBoxes:
    """Boxes of each object's moving blob on the first frames it is seen alone."""

    def boxes(self, ctx: StageContext, discovery: Discovery, options: Any,
              progress: ProgressCallback | None = None) -> Boxes:
        objects, warnings = motion_boxes(ctx, discovery, progress)
        done(progress)
        return Boxes(objects, backend="motion", warnings=warnings)


class MotionObserver:
    """Each object's blob mask per frame, from its motion track (see `object_tracks`)."""

    def observe(self, ctx: StageContext, discovery: Discovery, boxes: Boxes | None, options: Any,
                progress: ProgressCallback | None = None) -> Observation:
        handles, warnings = object_tracks(ctx, discovery, progress)
        observed = [self._observe_track(ctx, tr) for tr in handles]
        done(progress)
        return Observation(observed, grid_size=ctx.grid_size, backend="motion", mask_source="motion",
                           warnings=warnings)

    @staticmethod
    def _observe_track(ctx: StageContext, track: Track | None) -> ObjectObservation:
        n = ctx.num_frames
        masks = ObjectMasks.empty(n, ctx.grid_size)
        reliable = np.zeros(n, bool)
        overlap = np.zeros(n, bool)
        if track is not None:
            for p in track.points:
                d = p.det
                if d.mask is None:
                    continue
                masks.with_frame(p.frame, d.mask_origin[0], d.mask_origin[1], d.mask)
                reliable[p.frame] = not p.shared or p.split
                overlap[p.frame] = p.shared
        extra = {"track_samples": len(track.points) if track else 0}
        held = sum(p.held for p in track.points) if track else 0
        if held:
            extra["held_samples"] = held  # followed by its colour to rest after its motion ended (rest_hold.py)
        return ObjectObservation(masks, reliable, overlap, extra=extra)


register_backend("discover", "motion", MotionDiscoverer, default=True,
                 description="moving blobs (motion segmentation and tracking); names from the user, else generic",
                 sources={"name_source": ("user", "generic")})
register_backend("boxes", "motion", MotionBoxes, default=True,
                 description="the box of each object's moving blob on the first frames it is seen alone")
register_backend("observe", "motion", MotionObserver, default=True,
                 description="each moving object's blob mask per frame", sources={"mask_source": "motion"})
