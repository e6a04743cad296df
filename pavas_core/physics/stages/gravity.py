"""Weight-free geometry: a pinhole camera whose metric scale comes from gravity (the default).

Without depth sensing, metres per pixel at an object's depth (Z/f) is what a free-fall fit
measures: gravity shows in the image as a_px = g·f/Z (geometry.py). Per object:
1. centroids from its masks (a blob cut by the picture's edge is re-centred from its usual extent),
   camera shake removed, motion in depth from the apparent size (kept when it explains the track);
2. a piecewise free-flight fit in the image (flight.py) gives gravity in pixels;
3. the scale is the user's, else gravity's (when the fit is trustworthy: enough flight, consistent,
   not tilted), else the object's known size (given, or from the prior table by name), else one
   borrowed from the other objects, else a generic 0.15 m size — each fallback with a warning;
4. the metric centroid per frame: X = (u − cx)·m, Y = (v − cy)·m, Z = Z_ref·s(t) in the first
   frame's camera frame (shake is read as a small camera rotation: `camera_to_world`).
Under a moving camera (global_motion.py classes the clip "moving": dolly, pan, zoom) step 1 takes
out, instead of the shake, the camera's image motion at the object's own depth (`camera_image_motion`),
so the fit and the speeds are in the world frame (`frame: "world"`); a constant-velocity camera
adds a constant image velocity only, so gravity's metric scale is unaffected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import ndimage

from ...progress import ProgressCallback, report
from ..flight import FLIGHT, FlightFit, better_start, estimate_noise, fit_flights, weighted_median
from ..gating import TIP_DROP_SHARE
from ..geometry import DepthModel, MetricScale, fit_depth_model, focal_from_fov
from ..priors import mass_prior
from ..segmentation import Detection, border_margin_px, detection_from_mask
from .base import Discovery, ObjectGeometry, ObjectObservation, Observation, SceneGeometry, StageContext
from .registry import register_backend

GENERIC_SIZE_M = 0.15
# without a size, a short flight still beats a generic size: 5 flight samples and gravity to ±15 %
WEAK_GRAVITY_SAMPLES = 5
WEAK_GRAVITY_REL = 0.15
# a camera rolls a few degrees; an image "gravity" tilted more is no fall but a slow roll or a pivot
# across the floor (generated scenes: 8 of 9 fits tilted 15-30° set a scale wrong by +75 % to ×140,
# and a tube rolling on the floor made 35 m/s impacts)
MAX_IMAGE_GRAVITY_TILT_DEG = 15.0


@dataclass
class _Sample:
    frame: int
    det: Detection
    overlap: bool  # shares its blob with another object
    reliable: bool  # ... but its centroid is still its own


@dataclass
class _ImageTrack:
    """One object's image trajectory and free-flight fit (analysis grid)."""

    samples: list[_Sample]
    frames: np.ndarray  # (N,) frame indices
    t_s: np.ndarray  # (N,)
    xy_px: np.ndarray  # (N, 2) depth-corrected, shake-free centroids
    clean: np.ndarray  # (N,) usable for fitting
    at_edge: np.ndarray  # (N,)
    size_px: float  # apparent size at the reference depth
    depth: DepthModel
    fit: FlightFit | None
    noise_px: float
    gravity_ok: bool
    gravity_note: str
    gravity_short: bool = False  # a short flight that still pins gravity (WEAK_GRAVITY_*): the last resort
    extent_px: float = 0.0  # the object's length: its whole blobs' longest side (_longest_side; 0: unknown)


def _border_centroid(det: Detection, box_w: float, box_h: float) -> tuple[float, float, bool]:
    """Centroid of an object whose blob may be cut by the picture's edge → (u, v, usable).

    A cut blob's centroid is pulled inwards; along the cut axis the centre is taken from the blob's
    far edge and the object's usual extent instead (the other axis is unaffected by symmetry).
    Blobs showing less than 40 % of the object across the cut are not usable.
    """
    u, v = det.u_px, det.v_px
    if not det.touches_border:
        return u, v, True
    if not (box_w > 0 and box_h > 0):
        return u, v, False
    x0, y0, x1, y1 = det.box_xyxy
    w, h = det.frame_size
    e = det.edge_px
    cut_l, cut_r = x0 <= e and (x1 - x0) < 0.92 * box_w, x1 >= w - e and (x1 - x0) < 0.92 * box_w
    cut_t, cut_b = y0 <= e and (y1 - y0) < 0.92 * box_h, y1 >= h - e and (y1 - y0) < 0.92 * box_h
    if (cut_l and cut_r) or (cut_t and cut_b):
        return u, v, False
    if cut_l or cut_r:
        if x1 - x0 < 0.4 * box_w:
            return u, v, False
        u = x1 - box_w / 2 if cut_l else x0 + box_w / 2
    if cut_t or cut_b:
        if y1 - y0 < 0.4 * box_h:
            return u, v, False
        v = y1 - box_h / 2 if cut_t else y0 + box_h / 2
    return u, v, True


BOX_WHOLE_TOL = 0.1  # a box within ±10 % of the object's usual width and height shows all of it


def _box_is_whole(samples: list[_Sample], box_w: float, box_h: float) -> np.ndarray:
    """(N,) whether each blob's box is the object's usual box (width and height within BOX_WHOLE_TOL)."""
    if not (box_w > 0 and box_h > 0):
        return np.zeros(len(samples), bool)
    w = np.array([p.det.box_xyxy[2] - p.det.box_xyxy[0] for p in samples])
    h = np.array([p.det.box_xyxy[3] - p.det.box_xyxy[1] for p in samples])
    return (np.abs(w / box_w - 1.0) <= BOX_WHOLE_TOL) & (np.abs(h / box_h - 1.0) <= BOX_WHOLE_TOL)


def _whole_blobs(samples: list[_Sample]) -> list[Detection]:
    """The blobs that show the object whole: clear of the picture's edge and of other objects."""
    return [p.det for p in samples if not p.det.touches_border and not p.overlap]


def _object_extent(samples: list[_Sample]) -> tuple[float, float]:
    """Usual width and height (px) of the object's blob when it is whole.

    From blobs clear of the picture's edge; an object that always touches an edge (it bounces
    along it) is measured across the edge it touches (a ball or a box is about as wide as high;
    the low percentile avoids the stretch of motion blur).
    """
    whole = _whole_blobs(samples)
    if len(whole) >= 3:
        return (float(np.median([d.box_xyxy[2] - d.box_xyxy[0] for d in whole])),
                float(np.median([d.box_xyxy[3] - d.box_xyxy[1] for d in whole])))
    across = []
    for p in samples:
        x0, y0, x1, y1 = p.det.box_xyxy
        w, h = p.det.frame_size
        e = p.det.edge_px
        side = x0 <= e or x1 >= w - e
        top_bottom = y0 <= e or y1 >= h - e
        if p.overlap or side == top_bottom:
            continue
        across.append(y1 - y0 if side else x1 - x0)
    if len(across) < 3:
        return 0.0, 0.0
    size = float(np.percentile(across, 20))
    return size, size


def _longest_side(samples: list[_Sample]) -> float:
    """The object's length (px): the longer side of its whole blobs' boxes, at their 90th percentile
    (a post that topples away from the camera is seen end-on once it lies, a short blob, for most
    of its track; one stray blob must not set it)."""
    sides = [max(d.box_xyxy[2] - d.box_xyxy[0], d.box_xyxy[3] - d.box_xyxy[1]) for d in _whole_blobs(samples)]
    return float(np.percentile(sides, 90)) if len(sides) >= 3 else 0.0


AREA_WINDOW = 21  # blobs in the median window of the usual area
STILL_PX_PER_FRAME = 0.5  # a blob whose centroid moves less than this is at rest


def _typical_area(areas: np.ndarray, frames: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """(N,) the usual area of the object's blob around each sample: a running median.

    A body at rest fades into the background, so its blobs then show part of it. Where it rested
    long (a roller that fell onto a crate: 170 frames at half its area after 7 frames of fall) those
    blobs outvoted the whole ones of its fall, which then passed for merged ("larger than usual")
    and were left out. A moving blob's usual area is therefore the median of the moving blobs
    around it; a still one's, of all blobs around it.
    """
    size = min(AREA_WINDOW, len(areas))
    # mirrored ends: with "nearest" the first (last) blob would outvote its neighbours at the track's ends
    typical = ndimage.median_filter(areas, size=size, mode="mirror")
    if len(areas) < 3:
        return typical
    step = np.gradient(uv, frames.astype(np.float64), axis=0)
    moving = np.linalg.norm(step, axis=1) >= STILL_PX_PER_FRAME
    if moving.sum() >= 3:
        typical[moving] = ndimage.median_filter(areas[moving], size=min(size, int(moving.sum())), mode="mirror")
    return typical


def _samples(ctx: StageContext, obs: ObjectObservation, edge_px: float) -> list[_Sample]:
    out = []
    for k, f in enumerate(obs.masks.frames):
        if f is None:
            continue
        det = detection_from_mask(k, f.y0, f.x0, f.crop, edge_px=edge_px, frame_size=ctx.grid_size)
        out.append(_Sample(k, det, bool(obs.overlap[k]), bool(obs.reliable[k])))
    return out


def _gravity_quality(fit: FlightFit) -> tuple[bool, bool, str]:
    """(trusted: gravity pinned by a long flight, usable as a last resort: a short flight, note)."""
    g_px = float(np.linalg.norm(fit.accel))
    n_flight = sum(sg.n for sg in fit.segments if sg.kind == FLIGHT)
    rel = fit.accel_sigma / g_px if g_px > 0 else math.inf
    tilt = math.degrees(math.atan2(abs(fit.accel[0]), fit.accel[1]))
    ok = n_flight >= 8 and rel < 0.08 and tilt < MAX_IMAGE_GRAVITY_TILT_DEG
    short = n_flight >= WEAK_GRAVITY_SAMPLES and rel < WEAK_GRAVITY_REL and tilt < MAX_IMAGE_GRAVITY_TILT_DEG
    return ok, short, f"{n_flight} flight samples, ±{100 * rel:.1f} %, tilt {tilt:.0f}°"


def _image_track(ctx: StageContext, samples: list[_Sample], shifts: np.ndarray, *, penalty: float) -> _ImageTrack:
    """Centroids, depth model and free-flight fit of one object in the image."""
    fps, times = ctx.fps, ctx.times_s
    width, height = ctx.grid_size
    frames = np.array([p.frame for p in samples], dtype=int)
    box_w, box_h = _object_extent(samples)
    centroids = [_border_centroid(p.det, box_w, box_h) for p in samples]
    uv = np.array([[u - shifts[p.frame, 0], v - shifts[p.frame, 1]] for (u, v, _), p in zip(centroids, samples)])
    sizes = np.array([p.det.size_px for p in samples])
    clean = np.array([(not p.overlap or p.reliable) and ok for (_, _, ok), p in zip(centroids, samples)])
    # a blob much smaller or larger than usual is partly hidden, partly camouflaged or merged with
    # something: its centroid is not the object's (blobs cut by the picture's edge were handled above)
    areas = np.array([p.det.area_px for p in samples])
    typical = _typical_area(areas, frames, uv)
    at_edge = np.array([p.det.touches_border for p in samples])
    whole_area = (areas > 0.75 * typical) & (areas < 1.5 * typical)
    # a blob with a hollow or patchy inside (an object over a copy of itself: a slow bounce seen
    # against neighbours in which it is still there) may still show the object's whole outline:
    # when its box is the object's usual box, the box's centre is the object's
    outline = ~at_edge & (areas > 0.25 * typical) & (areas <= 0.75 * typical) & _box_is_whole(samples, box_w, box_h)
    for k in np.flatnonzero(outline & clean):
        x0, y0, x1, y1 = samples[k].det.box_xyxy
        uv[k] = (0.5 * (x0 + x1) - shifts[samples[k].frame, 0], 0.5 * (y0 + y1) - shifts[samples[k].frame, 1])
    clean &= at_edge | whole_area | outline
    t = times[frames]
    centre = np.array([width / 2.0, height / 2.0])
    sized = clean & ~at_edge & ~outline & (areas > 0.7 * np.median(areas[clean] if clean.any() else areas))
    depth = fit_depth_model(t[sized], sizes[sized]) if sized.sum() >= 8 else DepthModel(float(t.mean()), 0.0, False)
    flat = DepthModel(depth.t_ref_s, 0.0, False)
    fit, ok, short, note = None, False, False, "too few clean samples"
    if clean.sum() >= 5:
        # in the picture a roll toward or away from the camera drifts along gravity (flight.py)
        fit = fit_flights(t[clean], uv[clean], fps=fps, penalty=penalty, ground_drift=True)
        chosen = flat
        if depth.active and fit is not None:
            # motion in depth from apparent size: keep it only if it explains the track better
            s = depth.scale(t)
            xy_d = centre + (uv - centre) * s[:, None]
            fit_d = fit_flights(t[clean], xy_d[clean], fps=fps, penalty=penalty, noise=fit.noise, ground_drift=True)
            if fit_d is not None and fit_d.cost < fit.cost - 2.0 * penalty:
                fit, chosen = fit_d, depth
        depth = chosen
        if fit is not None and not _gravity_quality(fit)[0]:
            # a block tipping over a ledge's edge curves down more gently than gravity for a few
            # frames, and those windows can win the first vote (a crate: 1045 px/s² against its
            # fall's 1648, refined to ±15 % and 11° of tilt: no scale) though the fall's own gravity,
            # refined, fits the track better
            xy_c = (centre + (uv - centre) * depth.scale(t)[:, None])[clean]
            fit = better_start(fit, t[clean], xy_c, fps=fps, penalty=penalty,
                               accept=lambda f: _gravity_quality(f)[0])
        if fit is None:
            note = "no free-flight parabola found"
        else:
            ok, short, note = _gravity_quality(fit)
    else:
        depth = flat
    s = depth.scale(t)
    xy = centre + (uv - centre) * s[:, None]
    length = _longest_side(samples)
    if (ok or short) and length > 0 and np.ptp(uv[clean, 1]) < TIP_DROP_SHARE * length:
        # a body whose whole track goes down less than half its length toppled over (or rocked):
        # its centre swung on an arc under less than gravity, and as a "fall" it made a bottle 1.1 m
        # long and its landing 3.9 m/s for 1.3
        ok, short, note = False, False, note + "; it falls less than half its length (a topple, not a fall)"
    whole_clean = clean & ~at_edge & ~outline
    # the object's size as a whole: each blob weighs by its area (a sliver of a resting object's
    # edge, or a half-hidden view, says less about the whole than its full view)
    size_ref = (weighted_median((sizes * s)[whole_clean], areas[whole_clean]) if whole_clean.any()
                else weighted_median(sizes, areas))
    noise = fit.noise if fit is not None else (estimate_noise(t[clean], xy[clean]) if clean.any() else 0.3)
    return _ImageTrack(samples, frames, t, xy, clean, at_edge, size_ref, depth, fit, noise, ok, note, short,
                       length)


def _known_size_m(obj, user_size: float | None) -> tuple[float | None, str]:
    """A size for the scale fallback: the user's, a discoverer's, else the prior table's for the name."""
    if user_size is not None:
        return float(user_size), "given"
    if obj.size_m is not None:
        return float(obj.size_m), "given"
    if obj.name_source != "generic":
        prior = mass_prior(obj.name)
        if prior.matched is not None:
            return prior.size_m, "prior"
    return None, ""


def shake_rotations(shifts_px: np.ndarray, focal_px: float) -> np.ndarray:
    """(T, 4, 4) camera-to-world of a camera whose picture moved by (dx, dy) px: read as a small rotation.

    World = the first frame's camera. A point straight ahead appears at (cx + dx, cy + dy) in frame
    k, so camera k looks by atan(dx/f) to the left... and the rotation maps camera k into frame 0.
    """
    t = shifts_px.shape[0]
    out = np.tile(np.eye(4), (t, 1, 1))
    for k, (dx, dy) in enumerate(shifts_px):
        if dx == 0 and dy == 0:
            continue
        a, b = math.atan2(dx, focal_px), -math.atan2(dy, focal_px)
        ry = np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])
        rx = np.array([[1, 0, 0], [0, math.cos(b), -math.sin(b)], [0, math.sin(b), math.cos(b)]])
        out[k, :3, :3] = (ry @ rx).T  # (world → camera k) is ry·rx; its inverse maps camera k → world
    return out


class GravityGeometry:
    """Pinhole geometry with the metric scale from free fall, a known size or the user."""

    def geometry(self, ctx: StageContext, discovery: Discovery, observation: Observation, options: Any,
                 progress: ProgressCallback | None = None) -> SceneGeometry:
        shifts, static = ctx.camera_shake()
        motion = ctx.global_motion()
        moving = motion.kind == "moving"
        edge = border_margin_px(shifts, static) + 1
        wa, ha = ctx.grid_size
        n = ctx.num_frames
        g = options.gravity_mps2
        tracks, compensations = [], []
        for i, obs in enumerate(observation.objects):
            samples = _samples(ctx, obs, edge)
            # under a moving camera each object has its own image motion of the camera (parallax)
            comp = camera_image_motion(motion, samples, n) if moving and samples else shifts
            compensations.append(comp)
            tracks.append(_image_track(ctx, samples, comp, penalty=options.scale_fit_penalty) if samples else None)
            report(progress, i + 1, len(observation.objects) + 1)

        if options.focal_px is not None:
            focal, focal_source = options.focal_px * ctx.source_to_grid, "user"
        else:
            focal, focal_source = focal_from_fov(wa, options.assumed_hfov_deg), "assumed_fov"
        user_mpp = None
        if options.meters_per_px is not None:
            user_mpp = options.meters_per_px / ctx.source_to_grid
        elif options.scene_width_m is not None:
            user_mpp = options.scene_width_m / wa
        gravity_mpps = [g / float(np.linalg.norm(tr.fit.accel)) for tr in tracks if tr is not None and tr.gravity_ok]

        objects, warnings, sources = [], [], []
        centre = np.array([wa / 2.0, ha / 2.0])
        for i, (obj, tr) in enumerate(zip(discovery.objects, tracks)):
            label = obj.name
            if tr is None:
                objects.append(ObjectGeometry(np.full((n, 3), np.nan), np.zeros(n, bool), np.zeros(n, bool),
                                              pixel_size_m=float("nan"), noise_m=float("nan"), size_m=None,
                                              size_source=None, scale_source="size_prior",
                                              scale_detail="not visible"))
                warnings.append(f"object {i} ({label}): never visible; no geometry")
                sources.append("size_prior")
                continue
            user_size = options.per_object("object_size_m", i)
            known_size, known_from = _known_size_m(obj, user_size)
            own_fall = tr.gravity_ok  # the picture's fit pinned this object's gravity (or it set the scale)
            if user_mpp is not None:
                scale = MetricScale(user_mpp, "user", "given")
            elif tr.gravity_ok:
                scale = MetricScale(g / float(np.linalg.norm(tr.fit.accel)), "gravity", tr.gravity_note)
            elif known_size is not None:
                scale = MetricScale(known_size / max(tr.size_px, 1e-6), "size_prior", f"{known_size:.3g} m {known_from} size")
                warnings.append(f"object {i} ({label}): no reliable gravity fit ({tr.gravity_note}); metric scale "
                                f"from its {'given' if known_from == 'given' else 'typical'} size {known_size:.3g} m")
            elif gravity_mpps:
                scale = MetricScale(float(np.median(gravity_mpps)), "gravity", "borrowed from other objects")
                warnings.append(f"object {i} ({label}): no reliable gravity fit ({tr.gravity_note}); metric scale "
                                "borrowed from the other objects (same depth assumed)")
            elif tr.gravity_short:
                # a few frames of fall measure gravity to ±15 %: far closer than a generic size
                own_fall = True
                scale = MetricScale(g / float(np.linalg.norm(tr.fit.accel)), "gravity",
                                    f"short flight: {tr.gravity_note}")
                warnings.append(f"object {i} ({label}): gravity from a short flight only ({tr.gravity_note}); "
                                "metric scale from it (give --size-m or --meters-per-px to be sure)")
            else:
                scale = MetricScale(GENERIC_SIZE_M / max(tr.size_px, 1e-6), "size_prior",
                                    f"generic {GENERIC_SIZE_M} m size")
                warnings.append(f"object {i} ({label}): no gravity fit and no known size; metric scale from a "
                                f"generic {GENERIC_SIZE_M} m object size (give --size-m or --meters-per-px)")
            sources.append(scale.source)
            mpp = scale.meters_per_px
            z_ref = mpp * focal
            centroid = np.full((n, 3), np.nan)
            s = tr.depth.scale(tr.t_s)
            centroid[tr.frames, 0] = (tr.xy_px[:, 0] - centre[0]) * mpp
            centroid[tr.frames, 1] = (tr.xy_px[:, 1] - centre[1]) * mpp
            centroid[tr.frames, 2] = z_ref * s
            usable = np.zeros(n, bool)
            usable[tr.frames] = tr.clean
            at_edge = np.zeros(n, bool)
            at_edge[tr.frames] = tr.at_edge
            if user_size is not None:
                size_m, size_source = float(user_size), "user"
            else:
                size_m = tr.size_px * mpp
                size_source = {"gravity": "gravity", "user": "user", "size_prior": "prior"}[scale.source]
            extra = {
                "metric_scale_source": scale.source,
                "metric_scale_detail": scale.detail,
                "meters_per_px": mpp * ctx.source_to_grid,  # per pixel of the video, at the object's reference depth
                "depth_m": round(z_ref, 4),
                "depth_rate_per_s": round(tr.depth.rate_per_s, 5),
            }
            if tr.fit is not None:
                a = tr.fit.accel / ctx.source_to_grid
                extra["image_gravity_px_s2"] = [round(float(a[0]), 3), round(float(a[1]), 3)]
            objects.append(ObjectGeometry(centroid, usable, at_edge, pixel_size_m=mpp, noise_m=tr.noise_px * mpp,
                                          size_m=size_m, size_source=size_source, scale_source=scale.source,
                                          scale_detail=scale.detail, extra=extra,
                                          gravity_m=np.array([*(tr.fit.accel * mpp), 0.0]) if own_fall else None,
                                          extent_m=tr.extent_px * mpp if tr.extent_px > 0 else None,
                                          scale_borrowed=scale.source == "gravity" and not own_fall))
        if user_mpp is not None:
            overall = "user"
        elif sources and all(src == "gravity" for src in sources):
            overall = "gravity"
        else:
            overall = "size_prior"  # some object fell back to a size (or there was nothing to scale)
        if focal_source == "assumed_fov" and discovery.objects:
            warnings.append(f"focal length unknown: assumed a {options.assumed_hfov_deg:g}° horizontal field of view "
                            "(depths z scale with it; speeds across the picture do not)")
        report(progress, 1, 1)
        extra = {
            "axes": "camera frame of the first frame: x right, y down, z forward (metres)",
            "frame": "camera",
            "per_object_scale_sources": sources,
            "camera_static": static,
            "camera_motion": motion.kind,
            "camera_motion_source": motion.source if motion.kind != "static" else "none",
            "camera_shake_px": round(float(np.abs(shifts).max() / ctx.source_to_grid), 3) if not moving else None,
            "analysis_size": [int(wa), int(ha)],
        }
        camera_to_world = shake_rotations(shifts, focal)
        if moving:
            camera_to_world = _travel_poses(motion, tracks, compensations, objects, n)
            extra.update({
                "axes": "world = where the camera was at the first frame: x right, y down, z forward (metres)",
                "frame": "world",
                "camera_motion_model": WORLD_FRAME_MODEL,
                "camera_motion_px": round(float(np.abs(motion.translation_px).max() / ctx.source_to_grid), 2),
            })
            warnings.append("the camera moves (" + WORLD_FRAME_MODEL + "): speeds are in the world frame, "
                            "approximate where an object never comes near the floor")
        return SceneGeometry(
            objects=objects, frame="world" if moving else "camera", camera_to_world=camera_to_world, focal_px=focal,
            focal_source=focal_source, backend="pinhole", metric_scale_source=overall, stage_backend="gravity",
            extra=extra, warnings=warnings,
        )


WORLD_FRAME_MODEL = ("camera translation taken out of each object's track as the background's image motion at "
                     "the object's depth: the floor's motion at the row of the object's lowest point")


def ground_row(samples: list[_Sample]) -> float:
    """Image row of the floor at the object's depth: under its centre where it is lowest (where it lands).

    The contact point lies about one radius below the centre in the picture (the silhouette reaches
    lower: seen from above the floor, a ball's outline extends below its contact point); the radius
    is half the blob's size across its minor axis (blur-tolerant). The 95th percentile of the
    samples clear of the picture's edge, robust to a few odd blobs."""
    whole = [p.det for p in samples if not p.det.touches_border] or [p.det for p in samples]
    return float(np.percentile([d.v_px + d.size_px / 2 for d in whole], 95))


def camera_image_motion(motion, samples: list[_Sample], n: int) -> np.ndarray:
    """(T, 2) image displacement since frame 0 that the camera's motion gives this object.

    A travelling camera moves a static point's image by f·ΔC/Z: nearer things slide faster. The
    background's motion field holds that for the background's depth at every pixel; at the object's
    own depth it is the floor's motion at the floor row under the object (`ground_row`), read at the
    object's column in each frame. (An object in front of the back wall moves faster in the picture
    than the wall behind it; compensating by the wall would leave a residual velocity.)
    """
    row = ground_row(samples)
    frames = np.array([p.frame for p in samples])
    cols = np.array([p.det.u_px for p in samples])
    out = np.zeros((n, 2))
    out[frames] = motion.at(frames, cols, np.full(len(frames), row))
    # frames without a sample: the column of the nearest sample (only shown, never fitted)
    if len(frames) < n:
        missing = np.setdiff1d(np.arange(n), frames)
        near = np.abs(missing[:, None] - frames[None, :]).argmin(axis=1)
        out[missing] = motion.at(missing, cols[near], np.full(len(missing), row))
    return out


def _travel_poses(motion, tracks: list, compensations: list[np.ndarray], objects: list[ObjectGeometry],
                  n: int) -> np.ndarray:
    """(T, 4, 4) camera-to-world of a camera that translates: −(image displacement at an object's
    depth) × metres per pixel there, from the object seen longest (identity when none is seen)."""
    out = np.tile(np.eye(4), (n, 1, 1))
    best = max((i for i, tr in enumerate(tracks) if tr is not None), key=lambda i: len(tracks[i].frames), default=None)
    if best is None:
        return out
    mpp = objects[best].pixel_size_m
    out[:, 0, 3] = -compensations[best][:, 0] * mpp
    out[:, 1, 3] = -compensations[best][:, 1] * mpp
    return out


register_backend("geometry", "gravity", GravityGeometry, default=True,
                 description="pinhole camera; metric scale from free fall (gravity), a known size or the user",
                 sources={"metric_scale_source": ("gravity", "size_prior", "user"), "backend": "pinhole",
                          "focal_source": ("assumed_fov", "user"), "size_source": ("gravity", "prior", "user")})
