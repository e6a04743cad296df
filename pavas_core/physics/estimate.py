"""Physics Parameter Estimation: video → PhysicsTracks, as a chain of stages.

    discover → boxes → observe → geometry → mass → dynamics → assemble

Each stage runs the backend the options name (`EstimateOptions.discover/boxes/masks/geometry/mass`,
registered in stages/registry.py; the weight-free defaults need no model files). Dynamics is
shared by every backend (dynamics.py). `assemble_physics` turns the stage results into
PhysicsTracks in the video's own pixel grid; every value records where it came from and every
fallback taken is listed in `warnings`.

A clip made of several shots (hard cuts, fades: shots.py) is estimated shot by shot, never
tracking or fitting across a boundary; the shots' objects are listed one after the other (an
object of one shot is a different object from any of another shot) with the clip's frame indices
and times. Each impact is then gated (gating.py): only those a physical trajectory supports are
sonified; the others stay, silent, with the reason, and a note says why a clip came out silent.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ..errors import BadInputError
from ..progress import ProgressCallback, report
from ..video.clip import Clip
from .dynamics import object_dynamics
from .gating import NEAR_CUT, NON_RIGID, rigidity, silence_unseen_landings_without_support
from .masks import ObjectMasks
from .options import EstimateOptions
from .shots import IMPACT_GUARD_S, detect_shot_boundaries, near_boundary, shot_ranges
from .stages.base import (
    Boxes,
    Discovery,
    MassEstimate,
    Observation,
    SceneGeometry,
    StageContext,
    make_context,
)
from .stages.registry import STAGE_FLAGS, create_backend
from .tracks import Geometry, Impact, ObjectTrack, PhysicsTracks, Shot, delta_ke_j

# an object whose outline changes this much beyond motion in depth (gating.rigidity) is not rigid
NON_RIGID_OUTLINE_CHANGE = 0.9  # rigid synthetic objects (blur, overlaps) reach 0.7, a warped face 1.2-1.6

ESTIMATOR_NAME = "pavas_core.physics.estimate"
ESTIMATOR_VERSION = 2

__all__ = ["EstimateOptions", "estimate_physics", "assemble_physics", "run_stage", "observe", "settle_masses"]

# share of the progress bar each stage takes (motion discovery does the heavy segmentation)
_PROGRESS_SHARE = {"discover": 0.65, "boxes": 0.05, "observe": 0.05, "geometry": 0.15, "mass": 0.02,
                   "dynamics": 0.08}


class _StageProgress:
    """One overall progress callback fed by each stage's own (done, total)."""

    STEPS = 1000

    def __init__(self, progress: ProgressCallback | None) -> None:
        self.progress = progress
        self.offset = 0.0

    def stage(self, name: str) -> ProgressCallback | None:
        if self.progress is None:
            return None
        start, share = self.offset, _PROGRESS_SHARE[name]
        self.offset += share

        def callback(done: int, total: int):
            frac = min(max(done / total, 0.0), 1.0) if total else 1.0
            report(self.progress, int(round(self.STEPS * (start + share * frac))), self.STEPS)

        return callback


def run_stage(stage: str, options: EstimateOptions, *args: Any, progress: ProgressCallback | None = None,
              backend: Any = None) -> Any:
    """Run one stage with the backend the options name (or the `backend` object given)."""
    name = getattr(options, STAGE_FLAGS[stage])
    if backend is None:
        backend = create_backend(stage, name, **options.backend_settings.get(name, {}))
    method = {"discover": "discover", "boxes": "boxes", "observe": "observe", "geometry": "geometry",
              "mass": "mass"}[stage]
    return getattr(backend, method)(*args, options, progress=progress)


def estimate_physics(clip: Clip, *, options: EstimateOptions | None = None,
                     progress: ProgressCallback | None = None) -> PhysicsTracks:
    """Estimate per-object mass, metric speed and impacts of `clip` with the stages `options` name."""
    opts = (options or EstimateOptions()).validate()
    ctx = make_context(clip, analysis_max_side=opts.analysis_max_side)
    shots = clip_shots(ctx) if opts.split_shots else [_whole_shot(ctx)]
    if len(shots) == 1:
        tracks = _estimate_in_context(ctx, opts, progress, shots=shots)
    else:
        tracks = _estimate_per_shot(clip, ctx, shots, opts, progress)
    return finish_gating(tracks)


def _estimate_in_context(ctx: StageContext, opts: EstimateOptions, progress: ProgressCallback | None, *,
                         shots: list[Shot]) -> PhysicsTracks:
    steps = _StageProgress(progress)
    discovery = run_stage("discover", opts, ctx, progress=steps.stage("discover"))
    observation = observe(opts, ctx, discovery, progress=steps.stage("boxes"), observe_progress=steps.stage("observe"))
    geometry = run_stage("geometry", opts, ctx, discovery, observation, progress=steps.stage("geometry"))
    masses = settle_masses(discovery, run_stage("mass", opts, ctx, discovery, geometry, progress=steps.stage("mass")),
                           opts)
    return assemble_physics(ctx, discovery, observation, geometry, masses, opts, progress=steps.stage("dynamics"),
                            shots=shots)


# --- shots ------------------------------------------------------------------------------------------
def _whole_shot(ctx: StageContext) -> Shot:
    return Shot(0, ctx.num_frames - 1, float(ctx.times_s[0]), _end_time(ctx, ctx.num_frames - 1), "start")


def _end_time(ctx: StageContext, last_frame: int) -> float:
    """When frame `last_frame` leaves the screen: the next frame's time, or the clip's end."""
    if last_frame + 1 < ctx.num_frames:
        return round(float(ctx.times_s[last_frame + 1]), 6)
    end = max(float(ctx.clip.duration_s or 0.0), float(ctx.times_s[-1]) + 1.0 / ctx.fps)
    return round(end, 6)


def clip_shots(ctx: StageContext) -> list[Shot]:
    """The shots of the context's analysis frames (hard cuts and fades, shots.py), cached in the context."""
    def compute() -> list[Shot]:
        ranges = shot_ranges(ctx.num_frames, detect_shot_boundaries(ctx.frames))
        return [Shot(a, b, round(float(ctx.times_s[a]), 6), _end_time(ctx, b), kind) for a, b, kind in ranges]

    return ctx.cached("shots", compute)


def _estimate_per_shot(clip: Clip, ctx: StageContext, shots: list[Shot], opts: EstimateOptions,
                       progress: ProgressCallback | None) -> PhysicsTracks:
    """Each shot on its own (a sub-clip of its frames), then one PhysicsTracks in the clip's frames and times."""
    from ..limits import MAX_OBJECTS
    from .stages.base import MIN_FRAMES

    sub_opts = dataclasses.replace(opts, split_shots=False)
    total = sum(s.end_frame - s.start_frame + 1 for s in shots)
    done = 0
    objects: list[ObjectTrack] = []
    warnings: list[str] = []
    first: PhysicsTracks | None = None
    n = ctx.num_frames
    for k, shot in enumerate(shots):
        a, b = shot.start_frame, shot.end_frame
        length = b - a + 1
        share = (lambda d, t, a0=done, ln=length: report(progress, a0 + int(ln * d / max(t, 1)), total))
        done += length
        if length < MIN_FRAMES:
            continue
        t0 = float(ctx.times_s[a])
        sub_clip = dataclasses.replace(
            clip, frames=clip.frames[a : b + 1], timestamps_s=np.asarray(ctx.times_s[a : b + 1]) - t0,
            duration_s=shot.end_s - shot.start_s, audio=None)
        sub_ctx = StageContext(clip=sub_clip, frames=ctx.frames[a : b + 1], times_s=ctx.times_s[a : b + 1] - t0,
                               fps=ctx.fps, clip_to_grid=ctx.clip_to_grid, source_size=ctx.source_size)
        part = _estimate_in_context(sub_ctx, sub_opts, share if progress is not None else None,
                                    shots=[_whole_shot(sub_ctx)])
        first = first or part
        warnings.extend(f"shot {k + 1} ({shot.start_s:.2f}–{shot.end_s:.2f} s): {w}" for w in part.warnings)
        base = len(objects)  # the shot's object ids start here (same_object_as is within the shot)
        for obj in part.objects:
            if len(objects) >= MAX_OBJECTS:
                warnings.append(f"shot {k + 1}: more than {MAX_OBJECTS} objects in the clip; later objects dropped")
                break
            shifted = _shift_object(obj, len(objects), a, t0, n, shot=k)
            if shifted.extra.get("same_object_as") is not None:
                shifted.extra["same_object_as"] = base + int(shifted.extra["same_object_as"])
            objects.append(shifted)
    report(progress, 1, 1)
    if first is None:  # every shot too short to see motion
        width, height = ctx.source_size
        first = PhysicsTracks(fps=ctx.fps, num_frames=n, width=width, height=height, objects=[],
                              geometry=Geometry(backend="pinhole", metric_scale_source="gravity"),
                              estimator={"name": ESTIMATOR_NAME, "version": ESTIMATOR_VERSION, "pixel_grid": "video"})
        warnings.append("every shot is too short to see motion: the physics has no objects")
    tracks = dataclasses.replace(first, num_frames=n, objects=objects, warnings=list(dict.fromkeys(warnings)),
                                 shots=list(shots))
    tracks.estimator = dict(first.estimator, shots_estimated_separately=True)
    _gate_near_cuts(tracks)
    return tracks.validate()


def _shift_object(obj: ObjectTrack, new_id: int, offset: int, t0: float, n: int, *, shot: int) -> ObjectTrack:
    """An object of a shot's sub-clip in the whole clip's frames (None outside the shot)."""
    before, after = offset, n - offset - len(obj.speed_mps)

    def pad(values: list | None) -> list | None:
        return None if values is None else [None] * before + list(values) + [None] * after

    masks = obj.masks
    if masks is not None:
        masks = ObjectMasks(masks.grid_size, [None] * before + list(masks.frames) + [None] * after)
    impacts = [dataclasses.replace(im, frame=im.frame + offset, time_s=round(im.time_s + t0, 5))
               for im in obj.impacts]
    return dataclasses.replace(obj, id=new_id, speed_mps=pad(obj.speed_mps), centroid_m=pad(obj.centroid_m),
                               box_xyxy_px=pad(obj.box_xyxy_px), masks=masks, impacts=impacts,
                               extra=dict(obj.extra, shot=shot))


def _gate_near_cuts(tracks: PhysicsTracks) -> None:
    """Silence the impacts within IMPACT_GUARD_S of a cut or fade (too little trajectory on one side)."""
    for obj in tracks.objects:
        for im in obj.impacts:
            if im.sonified and near_boundary(im.time_s, tracks.shots, IMPACT_GUARD_S):
                im.sonified, im.reason = False, NEAR_CUT


def finish_gating(tracks: PhysicsTracks) -> PhysicsTracks:
    """Add the note that says, in plain words, which candidate impacts were kept silent and why."""
    silent = [im for o in tracks.objects for im in o.impacts if not im.sonified]
    loud = sum(1 for o in tracks.objects for im in o.impacts if im.sonified)
    if not silent and loud:
        return tracks
    counts: dict[str, int] = {}
    for im in silent:
        key = (im.reason or "no reason given").split(" (confidence")[0]
        counts[key] = counts.get(key, 0) + 1
    why = "; ".join(f"{v} {k}" if v > 1 else k for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
    if loud:
        note = f"{len(silent)} of {len(silent) + loud} candidate impacts kept silent ({why})"
    elif silent:
        note = (f"no impact: {len(silent)} candidate event{'s' if len(silent) > 1 else ''} rejected ({why}); "
                "the sound will be silent")
    elif tracks.objects:
        note = ("no impact: no moving object fell freely into a contact (no free-flight trajectory ending in a "
                "bounce or landing); the sound will be silent")
    else:
        return tracks
    tracks.warnings = list(tracks.warnings) + [note]
    return tracks


def observe(options: EstimateOptions, ctx: StageContext, discovery: Discovery, boxes: Boxes | None = None, *,
            progress: ProgressCallback | None = None, observe_progress: ProgressCallback | None = None,
            backend: Any = None) -> Observation:
    """The boxes stage (unless `boxes` are given), then the observe stage with them.

    The observation keeps the boxes it was made from (`Observation.boxes`), so their warnings and
    backend reach the assembled physics whichever node or function ran the stages.
    """
    if boxes is None:
        boxes = run_stage("boxes", options, ctx, discovery, progress=progress)
    observation = run_stage("observe", options, ctx, discovery, boxes, progress=observe_progress or progress,
                            backend=backend)
    observation.boxes = boxes
    return observation


def settle_masses(discovery: Discovery, masses: list[MassEstimate], options: EstimateOptions) -> list[MassEstimate]:
    """The mass stage's estimates with what outranks them: the material a discoverer saw, then the
    user's mass and material (source "user"). Returns new estimates; the inputs are not changed."""
    from ..materials import resolve_material

    out = []
    for i, (disc, m) in enumerate(zip(discovery.objects, masses)):
        m = dataclasses.replace(m, extra=dict(m.extra), warnings=list(m.warnings))
        if disc.material is not None:
            m.material, m.material_source = disc.material, disc.material_source
        user_mass = options.per_object("mass_kg", i)
        if user_mass is not None:
            m.mass_kg, m.source, m.confidence, m.warnings = float(user_mass), "user", 1.0, []
        user_material = options.per_object("material", i)
        if user_material is not None:
            m.material, note = resolve_material(user_material)
            m.material_source = "user"
            if note:
                m.warnings.append(f"object {i}: {note}")
        out.append(m)
    return out


def _check_lengths(ctx: StageContext, discovery: Discovery, observation: Observation, geometry: SceneGeometry,
                   masses: list[MassEstimate]) -> None:
    n = len(discovery.objects)
    counts = {"observe": len(observation.objects), "geometry": len(geometry.objects), "mass": len(masses)}
    bad = {k: v for k, v in counts.items() if v != n}
    if bad:
        raise BadInputError(f"physics: the stages disagree on the number of objects ({n} discovered, "
                            + ", ".join(f"{v} from {k}" for k, v in bad.items()) + "); connect them from one chain")
    for i, o in enumerate(observation.objects):
        if o.masks.num_frames != ctx.num_frames:
            raise BadInputError(f"physics: object {i} has masks for {o.masks.num_frames} frames, the clip has "
                                f"{ctx.num_frames}")


def assemble_physics(ctx: StageContext, discovery: Discovery, observation: Observation, geometry: SceneGeometry,
                     masses: list[MassEstimate], options: EstimateOptions | None = None, *,
                     progress: ProgressCallback | None = None, shots: list[Shot] | None = None) -> PhysicsTracks:
    """Dynamics for every object, then PhysicsTracks in the video's own pixel grid.

    shots: the shots these stages ran on (default: those found in the context's frames; stages run
    on a clip of several shots saw across its cuts, which a warning says)."""
    opts = options or EstimateOptions()
    _check_lengths(ctx, discovery, observation, geometry, masses)
    if shots is None:
        shots = clip_shots(ctx) if opts.split_shots else [_whole_shot(ctx)]
    n_frames = ctx.num_frames
    grid_to_source = 1.0 / ctx.source_to_grid
    boxes = observation.boxes  # the prompts the observer was given (their warnings come first)
    warnings = (list(discovery.warnings) + (list(boxes.warnings) if boxes is not None else [])
                + list(observation.warnings) + list(geometry.warnings))
    objects: list[ObjectTrack] = []
    for i, (disc, obs, geo, mass) in enumerate(zip(discovery.objects, observation.objects, geometry.objects, masses)):
        dyn = object_dynamics(geo, ctx.times_s, ctx.fps, penalty=opts.segment_penalty, gravity_mps2=opts.gravity_mps2)
        outline_change, outline_facts = _outline_change(obs, geo)
        report(progress, i + 1, len(discovery.objects) + 1)

        mass_kg, mass_source, mass_conf = mass.mass_kg, mass.source, mass.confidence
        material, material_source = mass.material, mass.material_source
        warnings.extend(mass.warnings)
        size_m, size_source = geo.size_m, geo.size_source

        impacts = []
        for im in dyn.impacts:
            reason = im.silent_reason(opts.min_impact_confidence)
            if reason is None and outline_change > NON_RIGID_OUTLINE_CHANGE:
                reason = NON_RIGID
            extra = {"surface": im.surface, "position_m": im.position_m}
            if im.check is not None:
                extra["checks"] = {**{k: round(v, 3) for k, v in im.check.scores.items()}, **im.check.facts}
            impacts.append(Impact(frame=im.frame, time_s=im.time_s, v_before=im.v_before, v_after=im.v_after,
                                  delta_ke_j=delta_ke_j(mass_kg, im.v_before, im.v_after), confidence=im.confidence,
                                  sonified=reason is None, reason=reason, extra=extra))
        box_list = []
        for k in range(n_frames):
            b = obs.box_xyxy(k)
            box_list.append(None if b is None else [round(v * grid_to_source, 2) for v in b])
        extra = dict(obs.extra)
        extra.update(geo.extra)
        extra.update(dyn.extra)
        extra.update(mass.extra)
        if disc.extra.get("same_object_as") is not None:  # an earlier object seen again (naming.py)
            extra["same_object_as"] = disc.extra["same_object_as"]
        extra.update(outline_facts)
        objects.append(ObjectTrack(
            id=i, name=disc.name, action=disc.action or dyn.action, mass_kg=float(mass_kg), mass_source=mass_source,
            speed_mps=dyn.speed_mps, centroid_m=dyn.centroid_m, impacts=impacts, frame=geometry.frame,
            material=material, material_source=material_source,
            size_m=None if size_m is None else round(float(size_m), 5), size_source=size_source,
            box_xyxy_px=box_list, name_source=disc.name_source, mass_confidence=round(float(mass_conf), 3),
            mask_source=obs.mask_source or observation.mask_source, masks=obs.masks, extra=extra,
        ))
    if not objects:
        warnings.append("no moving object found: the physics has no objects (the sound will be silent)")
    if len(shots) > 1:
        warnings.append(f"the clip has {len(shots)} shots (cuts or fades) and these stages ran across them: objects "
                        "may be tracked across a cut (the all-in-one estimator runs each shot on its own)")
    warnings = list(dict.fromkeys(warnings))  # two stages may report the same fallback (e.g. boxes and masks)
    report(progress, 1, 1)
    width, height = ctx.source_size
    tracks = PhysicsTracks(
        fps=ctx.fps, num_frames=n_frames, width=width, height=height, objects=objects,
        geometry=Geometry(
            backend=geometry.backend, metric_scale_source=geometry.metric_scale_source,
            focal_px=round(geometry.focal_px * grid_to_source, 3), focal_source=geometry.focal_source,
            extra=dict(geometry.extra),
        ),
        warnings=warnings,
        estimator={"name": ESTIMATOR_NAME, "version": ESTIMATOR_VERSION,
                   "stages": {"discover": discovery.backend,
                              **({"boxes": boxes.backend} if boxes is not None else {}),
                              "observe": observation.backend,
                              "geometry": geometry.stage_backend,
                              "mass": masses[0].backend if masses else getattr(opts, "mass")},
                   "pixel_grid": "video",
                   **({"noise_sigma_dn": round(ctx.cache["noise_sigma_dn"], 3)} if "noise_sigma_dn" in ctx.cache else {})},
        shots=list(shots),
    )
    silence_unseen_landings_without_support(tracks)
    _gate_near_cuts(tracks)
    return tracks.validate()


def _outline_change(obs: Any, geo: Any) -> tuple[float, dict[str, Any]]:
    """How much the object's outline changes beyond motion in depth (gating.rigidity), from its masks."""
    masks = getattr(obs, "masks", None)
    if masks is None:
        return 0.0, {}
    keep = [k for k, f in enumerate(masks.frames) if f is not None and not bool(geo.at_edge[k])]
    if not keep:
        return 0.0, {}
    areas = np.array([masks.frames[k].area_px for k in keep], dtype=np.float64)
    boxes = np.array([masks.frames[k].box_xyxy() for k in keep], dtype=np.float64)
    aspects = np.maximum(boxes[:, 2] - boxes[:, 0], 1.0) / np.maximum(boxes[:, 3] - boxes[:, 1], 1.0)
    elongations = np.array([masks.frames[k].elongation() for k in keep], dtype=np.float64)
    t = np.arange(len(masks.frames), dtype=np.float64)[keep]
    score, facts = rigidity(areas, aspects, t, elongations)
    return score, {"outline_change": round(score, 4), **facts}
