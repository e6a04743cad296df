"""The geometry stage for every source of per-pixel 3D points (CUT3R, depth models, DA3, MoGe, ...).

A backend of this kind only says how it gets point maps (`PointMapGeometry.point_maps`); the rest
is shared: camera poses from the background when the source has none (egomotion.py), each
object's robust 3D centroid per frame in the world frame (pointmaps.py), one metric scale for the
whole scene when the source is not metric, and the SceneGeometry the dynamics fits. Every
fallback (a frame without depth, an object without mask, poses or scale that had to be
estimated) is named in the warnings.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...progress import ProgressCallback, report
from ..egomotion import camera_motion
from ..pointmaps import (
    PointMaps,
    gravity_scale,
    object_points,
    scene_noise,
)
from ..priors import mass_prior
from .base import Discovery, ObjectGeometry, Observation, SceneGeometry, StageContext

GENERIC_SIZE_M = 0.15


def _known_size(obj, user_size: float | None) -> tuple[float | None, str]:
    if user_size is not None:
        return float(user_size), "user"
    if obj.size_m is not None:
        return float(obj.size_m), "given"
    if obj.name_source != "generic":
        prior = mass_prior(obj.name)
        if prior.matched is not None:
            return prior.size_m, "prior"
    return None, ""


def normalised_poses(poses: np.ndarray) -> np.ndarray:
    """Camera-to-world poses re-anchored so that the world is the first frame's camera.

    Rotations are re-orthonormalised (a source may give slightly non-rigid matrices)."""
    out = np.linalg.inv(poses[0]) @ poses
    u, _, vt = np.linalg.svd(out[:, :3, :3])
    fix = np.ones((len(out), 3))
    fix[:, 2] = np.sign(np.linalg.det(u @ vt))
    out[:, :3, :3] = (u * fix[:, None, :]) @ vt
    out[:, 3] = [0.0, 0.0, 0.0, 1.0]
    return out


class PointMapGeometry:
    """Base of the geometry backends that measure 3D points per pixel. Subclasses set `name`
    (registered backend) and implement `point_maps`."""

    name = "pointmaps"
    frame = "world"  # a subclass that ignores camera motion on purpose (a comparison) says "camera"

    def point_maps(self, ctx: StageContext, discovery: Discovery, observation: Observation, options: Any,
                   progress: ProgressCallback | None = None) -> PointMaps:
        raise NotImplementedError

    def geometry(self, ctx: StageContext, discovery: Discovery, observation: Observation, options: Any,
                 progress: ProgressCallback | None = None) -> SceneGeometry:
        def part(lo: float, hi: float):
            if progress is None:
                return None
            return lambda d, t: report(progress, int(round(1000 * (lo + (hi - lo) * (d / t if t else 1.0)))), 1000)

        maps = self.point_maps(ctx, discovery, observation, options, progress=part(0.0, 0.8))
        maps.check(ctx.num_frames, ctx.grid_size)
        n = ctx.num_frames
        warnings = list(maps.warnings)
        valid = np.stack([maps.valid(k) for k in range(n)])
        empty = np.flatnonzero(~valid.any(axis=(1, 2)))
        if empty.size:
            warnings.append(f"{self.name}: {empty.size} frame(s) without any valid depth (e.g. frame {int(empty[0])}): "
                            "no object position there")
        extra: dict[str, Any] = dict(maps.extra)
        if maps.camera_to_world is not None:
            poses, pose_source = normalised_poses(np.asarray(maps.camera_to_world, dtype=np.float64)), maps.source
        else:
            objects_px = np.zeros((n,) + valid.shape[1:], bool)
            for obs in observation.objects:
                for k in np.flatnonzero(obs.masks.visible()):
                    objects_px[k] |= obs.masks.dense(k)
            motion = camera_motion(ctx.frames, maps.points_cam, valid, objects_px, maps.focal_px)
            poses, pose_source = motion.camera_to_world, "background"
            extra["camera_keyframes"] = motion.keyframes
            extra["camera_residual_dn"] = round(float(np.nanmedian(motion.residual_dn[1:])), 3) if n > 1 else 0.0
            if not motion.reliable:
                warnings.append(f"{self.name}: camera motion partly unknown ({motion.note})")
        report(progress, 850, 1000)

        measured = [object_points(maps, obs.masks, poses) for obs in observation.objects]
        focal = maps.focal_px
        usable = []
        for i, (obs, mp) in enumerate(zip(observation.objects, measured)):
            finite = np.isfinite(mp.centroid_world).all(axis=1)
            usable.append(finite & (obs.reliable | ~obs.overlap))
            if mp.no_depth_frames:
                warnings.append(f"object {i} ({discovery.objects[i].name}): {mp.no_depth_frames} frame(s) with a mask "
                                "but no valid depth inside it (NaN or missing depth): no position there")
            if not obs.masks.visible().any():
                warnings.append(f"object {i} ({discovery.objects[i].name}): no mask in any frame; no geometry")

        factor, scale_source, scale_detail = 1.0, maps.source, f"{maps.source} metric depth"
        if not maps.metric:
            factor, scale_source, scale_detail, note = self._scale(ctx, discovery, measured, usable, options, focal)
            warnings.append(note)
        elif options.meters_per_px is not None or options.scene_width_m is not None:
            warnings.append(f"{self.name}: the depth is metric; --meters-per-px / scene width are not used")

        objects, sources = [], []
        for i, (obs, mp, use) in enumerate(zip(observation.objects, measured, usable)):
            centroid = mp.centroid_world * factor
            depth = mp.depth_m * factor
            seen = np.isfinite(centroid).all(axis=1)
            if not seen.any():
                objects.append(ObjectGeometry(np.full((n, 3), np.nan), np.zeros(n, bool), mp.at_edge.copy(),
                                              pixel_size_m=float("nan"), noise_m=float("nan"), size_m=None,
                                              size_source=None, scale_source=scale_source,
                                              scale_detail="no depth where the object was seen"))
                sources.append(scale_source)
                continue
            pixel_m = float(np.nanmedian(depth[seen])) / focal
            whole = seen & ~mp.at_edge
            size_m = float(np.nanmedian((mp.size_px * depth / focal)[whole if whole.any() else seen]))
            user_size = options.per_object("object_size_m", i)
            size_source = scale_source if scale_source in ("gravity", "user") or maps.metric else "prior"
            if user_size is not None:
                size_m, size_source = float(user_size), "user"
            objects.append(ObjectGeometry(
                centroid, use & seen, mp.at_edge.copy(), pixel_size_m=pixel_m,
                noise_m=scene_noise(ctx.times_s, centroid, pixel_m), size_m=size_m, size_source=size_source,
                scale_source=scale_source, scale_detail=scale_detail,
                extra={"metric_scale_source": scale_source, "depth_m": round(float(np.nanmedian(depth[seen])), 4),
                       "depth_samples": int(seen.sum())},
            ))
            sources.append(scale_source)
        cam = poses.copy()
        cam[:, :3, 3] *= factor
        report(progress, 1, 1)
        wa, ha = ctx.grid_size
        extra.update({
            "axes": "world = the first frame's camera: x right, y down, z forward (metres)",
            "camera_poses_from": pose_source,
            "camera_travel_m": round(float(np.linalg.norm(cam[:, :3, 3], axis=1).max()), 4),
            "analysis_size": [int(wa), int(ha)],
            "scale_factor": round(float(factor), 6),
        })
        return SceneGeometry(
            objects=objects, frame=self.frame, camera_to_world=cam, focal_px=focal,
            focal_source=maps.focal_source or maps.source, backend=maps.source, metric_scale_source=scale_source,
            stage_backend=self.name, extra=extra, warnings=warnings,
        )

    def _scale(self, ctx: StageContext, discovery: Discovery, measured, usable, options: Any, focal: float
               ) -> tuple[float, str, str, str]:
        """One metres-per-unit factor for geometry known up to scale → (factor, source, detail, note)."""
        units = []
        for mp in measured:
            d = mp.depth_m[np.isfinite(mp.depth_m)]
            units.append(float(np.median(d)) / focal if d.size else 1.0)
        found = gravity_scale(ctx.times_s, [m.centroid_world for m in measured], usable, units, fps=ctx.fps,
                              gravity_mps2=options.gravity_mps2, penalty=options.scale_fit_penalty)
        if found is not None:
            factor, note = found
            return factor, "gravity", note, (f"{self.name}: the depth is not metric; scale {factor:.4g} m per unit "
                                             f"from free fall ({note})")
        for i, (obj, mp) in enumerate(zip(discovery.objects, measured)):
            size, src = _known_size(obj, options.per_object("object_size_m", i))
            seen = np.isfinite(mp.depth_m) & ~mp.at_edge
            if size is not None and seen.any():
                measured_size = float(np.median(mp.size_px[seen] * mp.depth_m[seen] / focal))
                if measured_size > 0 and math.isfinite(measured_size):
                    factor = size / measured_size
                    source = "user" if src == "user" else "size_prior"
                    return factor, source, f"{size:.3g} m {src} size of object {i}", (
                        f"{self.name}: the depth is not metric and nothing falls freely; scale from object {i}'s "
                        f"{'given' if src in ('user', 'given') else 'typical'} size {size:.3g} m")
        sizes = [float(np.median(mp.size_px[np.isfinite(mp.depth_m)] * mp.depth_m[np.isfinite(mp.depth_m)] / focal))
                 for mp in measured if np.isfinite(mp.depth_m).any()]
        factor = GENERIC_SIZE_M / sizes[0] if sizes and sizes[0] > 0 else 1.0
        return factor, "size_prior", f"generic {GENERIC_SIZE_M} m size", (
            f"{self.name}: the depth is not metric, nothing falls freely and no size is known: scale from a generic "
            f"{GENERIC_SIZE_M} m object size (give --size-m)")
