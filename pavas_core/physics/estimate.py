"""Physics Parameter Estimation: video → PhysicsTracks, as a chain of stages.

    discover → boxes → observe → geometry → mass → dynamics → assemble

Each stage runs the backend the options name (`EstimateOptions.discover/boxes/masks/geometry/mass`,
registered in stages/registry.py; the weight-free defaults need no model files). Dynamics is
shared by every backend (dynamics.py). `assemble_physics` turns the stage results into
PhysicsTracks in the video's own pixel grid; every value records where it came from and every
fallback taken is listed in `warnings`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..errors import BadInputError
from ..progress import ProgressCallback, report
from ..video.clip import Clip
from .dynamics import object_dynamics
from .options import EstimateOptions
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
from .tracks import Geometry, Impact, ObjectTrack, PhysicsTracks, delta_ke_j

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
    steps = _StageProgress(progress)
    ctx = make_context(clip, analysis_max_side=opts.analysis_max_side)
    discovery = run_stage("discover", opts, ctx, progress=steps.stage("discover"))
    observation = observe(opts, ctx, discovery, progress=steps.stage("boxes"), observe_progress=steps.stage("observe"))
    geometry = run_stage("geometry", opts, ctx, discovery, observation, progress=steps.stage("geometry"))
    masses = settle_masses(discovery, run_stage("mass", opts, ctx, discovery, geometry, progress=steps.stage("mass")),
                           opts)
    return assemble_physics(ctx, discovery, observation, geometry, masses, opts, progress=steps.stage("dynamics"))


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
                     progress: ProgressCallback | None = None) -> PhysicsTracks:
    """Dynamics for every object, then PhysicsTracks in the video's own pixel grid."""
    opts = options or EstimateOptions()
    _check_lengths(ctx, discovery, observation, geometry, masses)
    n_frames = ctx.num_frames
    grid_to_source = 1.0 / ctx.source_to_grid
    boxes = observation.boxes  # the prompts the observer was given (their warnings come first)
    warnings = (list(discovery.warnings) + (list(boxes.warnings) if boxes is not None else [])
                + list(observation.warnings) + list(geometry.warnings))
    objects: list[ObjectTrack] = []
    for i, (disc, obs, geo, mass) in enumerate(zip(discovery.objects, observation.objects, geometry.objects, masses)):
        dyn = object_dynamics(geo, ctx.times_s, ctx.fps, penalty=opts.segment_penalty)
        report(progress, i + 1, len(discovery.objects) + 1)

        mass_kg, mass_source, mass_conf = mass.mass_kg, mass.source, mass.confidence
        material, material_source = mass.material, mass.material_source
        warnings.extend(mass.warnings)
        size_m, size_source = geo.size_m, geo.size_source

        impacts = [Impact(frame=im.frame, time_s=im.time_s, v_before=im.v_before, v_after=im.v_after,
                          delta_ke_j=delta_ke_j(mass_kg, im.v_before, im.v_after), confidence=im.confidence,
                          extra={"surface": im.surface, "position_m": im.position_m})
                   for im in dyn.impacts]
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
    warnings = list(dict.fromkeys(warnings))  # two stages may report the same fallback (e.g. boxes and masks)
    report(progress, 1, 1)
    width, height = ctx.source_size
    return PhysicsTracks(
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
    ).validate()
