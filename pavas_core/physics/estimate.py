"""Weight-free Physics Parameter Estimation: video → PhysicsTracks (the embedded default).

motion segmentation → tracking → per object: motion-in-depth model, piecewise free-flight fit
(gravity seen in the image), impacts, metric scale (gravity | size prior | user), per-frame
speed and 3D centroid (camera frame) → mass from the prior table (or the user) → PhysicsTracks.
Every value records where it came from and every fallback is listed in `warnings`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from scipy import ndimage

from ..errors import BadInputError
from ..limits import MAX_OBJECTS, MIN_ANALYSIS_SIDE_PX, check_analysis_size
from ..progress import ProgressCallback, report
from ..video.clip import Clip, frames_to_uint8
from .flight import FLIGHT, FlightFit, fit_flights
from .geometry import ASSUMED_HFOV_DEG, DepthModel, MetricScale, fit_depth_model, focal_from_fov
from .impacts import Contact, final_landing, find_contacts
from .priors import MassPrior, mass_prior
from .segmentation import segment_motion
from .tracking import Track, TrackerConfig, track_detections
from .tracks import Geometry, Impact, ObjectTrack, PhysicsTracks, delta_ke_j
from .velocity import piecewise_from_fit, smoothed_states

MIN_FRAMES = 3
ESTIMATOR_NAME = "pavas_core.physics.estimate"
ESTIMATOR_VERSION = 1


@dataclass(kw_only=True)
class EstimateOptions:
    """What a user may tell the estimator; everything is optional.

    Per-object values (names, sizes, masses) apply in the order objects first appear; a single
    value applies to every object. Pixel quantities (meters_per_px, focal_px) refer to the video's
    own pixels (`clip.source_size`), whatever size the clip was decoded at.
    """

    object_names: list[str] = field(default_factory=list)  # e.g. ["basketball", "wooden block"]
    object_size_m: float | Sequence[float] | None = None  # characteristic size (diameter / longest side)
    mass_kg: float | Sequence[float] | None = None  # overrides the prior: mass_source "user"
    meters_per_px: float | None = None  # metric scale at the objects' depth (wins over gravity)
    scene_width_m: float | None = None  # alternative scale: width of the picture at the objects' depth
    focal_px: float | None = None  # else an assumed field of view (focal_source "assumed_fov")
    assumed_hfov_deg: float = ASSUMED_HFOV_DEG
    gravity_mps2: float = 9.81
    max_objects: int = 4
    analysis_max_side: int = 320  # frames are analysed at this size (longest side, px)
    segment_penalty: float = 120.0  # cost of one more trajectory segment (in noise-variance units)


@dataclass
class _ObjectAnalysis:
    track: Track
    frames: np.ndarray  # (N,) frame indices of every detection
    t_s: np.ndarray  # (N,)
    xy_px: np.ndarray  # (N, 2) depth-corrected, shake-free centroids (analysis grid)
    clean: np.ndarray  # (N,) bool: usable for fitting
    size_px: float  # apparent size at the reference depth
    depth: DepthModel
    fit: FlightFit | None
    contacts: list[Contact]
    gravity_ok: bool
    gravity_note: str


def _per_object(value, i: int):
    if value is None or isinstance(value, (int, float)):
        return value
    seq = list(value)
    if not seq:
        return None
    return seq[i] if i < len(seq) else (seq[0] if len(seq) == 1 else None)


def _resize_frames(frames: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
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


def _border_centroid(det, box_w: float, box_h: float) -> tuple[float, float, bool]:
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


def _object_extent(pts) -> tuple[float, float]:
    """Usual width and height (px) of the object's blob when it is whole.

    From blobs clear of the picture's edge; an object that always touches an edge (it bounces
    along it) is measured across the edge it touches (a ball or a box is about as wide as high;
    the low percentile avoids the stretch of motion blur).
    """
    whole = [p.det for p in pts if not p.det.touches_border and not p.shared]
    if len(whole) >= 3:
        return (float(np.median([d.box_xyxy[2] - d.box_xyxy[0] for d in whole])),
                float(np.median([d.box_xyxy[3] - d.box_xyxy[1] for d in whole])))
    across = []
    for p in pts:
        x0, y0, x1, y1 = p.det.box_xyxy
        w, h = p.det.frame_size
        e = p.det.edge_px
        side = x0 <= e or x1 >= w - e
        top_bottom = y0 <= e or y1 >= h - e
        if p.shared or side == top_bottom:
            continue
        across.append(y1 - y0 if side else x1 - x0)
    if len(across) < 3:
        return 0.0, 0.0
    size = float(np.percentile(across, 20))
    return size, size


def _analyse_track(track: Track, shifts: np.ndarray, times: np.ndarray, fps: float, *, penalty: float,
                   width: int, height: int) -> _ObjectAnalysis:
    pts = track.points
    frames = np.array([p.frame for p in pts])
    box_w, box_h = _object_extent(pts)
    centroids = [_border_centroid(p.det, box_w, box_h) for p in pts]
    uv = np.array([[u - shifts[p.frame, 0], v - shifts[p.frame, 1]] for (u, v, _), p in zip(centroids, pts)])
    sizes = np.array([p.det.size_px for p in pts])
    clean = np.array([(not p.shared or p.split) and ok for (_, _, ok), p in zip(centroids, pts)])
    # a blob much smaller or larger than usual is partly hidden, partly camouflaged or merged with
    # something: its centroid is not the object's (blobs cut by the picture's edge were handled above)
    areas = np.array([p.det.area_px for p in pts])
    # mirrored ends: with "nearest" the first (last) blob would outvote its neighbours at the track's ends
    typical = ndimage.median_filter(areas, size=min(21, len(areas)), mode="mirror")
    at_edge = np.array([p.det.touches_border for p in pts])
    clean &= at_edge | ((areas > 0.75 * typical) & (areas < 1.5 * typical))
    t = times[frames]
    centre = np.array([width / 2.0, height / 2.0])
    sized = clean & ~at_edge & (areas > 0.7 * np.median(areas[clean] if clean.any() else areas))
    depth = fit_depth_model(t[sized], sizes[sized]) if sized.sum() >= 8 else DepthModel(float(t.mean()), 0.0, False)
    flat = DepthModel(depth.t_ref_s, 0.0, False)
    fit, contacts, ok, note = None, [], False, "too few clean samples"
    if clean.sum() >= 5:
        fit = fit_flights(t[clean], uv[clean], fps=fps, penalty=penalty)
        chosen = flat
        if depth.active and fit is not None:
            # motion in depth from apparent size: keep it only if it explains the track better
            s = depth.scale(t)
            xy_d = centre + (uv - centre) * s[:, None]
            fit_d = fit_flights(t[clean], xy_d[clean], fps=fps, penalty=penalty, noise_px=fit.noise_px)
            if fit_d is not None and fit_d.cost < fit.cost - 2.0 * penalty:
                fit, chosen = fit_d, depth
        depth = chosen
        if fit is None:
            note = "no free-flight parabola found"
        else:
            g_px = float(np.linalg.norm(fit.accel_px))
            contacts = find_contacts(fit, frame_dt=1.0 / fps, min_jump_px=0.05 * g_px)  # ≈ 0.5 m/s
            last_seen = track.points[-1].det
            if not last_seen.touches_border:
                landing = final_landing(fit, contacts, frame_dt=1.0 / fps, t_end_s=float(times[-1]))
                if landing is not None:
                    contacts.append(landing)
            n_flight = sum(sg.n for sg in fit.segments if sg.kind == FLIGHT)
            rel = fit.accel_sigma_px / g_px if g_px > 0 else math.inf
            tilt = math.degrees(math.atan2(abs(fit.accel_px[0]), fit.accel_px[1]))
            ok = n_flight >= 8 and rel < 0.08 and tilt < 30.0
            note = f"{n_flight} flight samples, ±{100 * rel:.1f} %, tilt {tilt:.0f}°"
    else:
        depth = flat
    s = depth.scale(t)
    xy = centre + (uv - centre) * s[:, None]
    whole_clean = clean & ~at_edge
    size_ref = float(np.median((sizes * s)[whole_clean])) if whole_clean.any() else float(np.median(sizes))
    return _ObjectAnalysis(track, frames, t, xy, clean, size_ref, depth, fit, contacts, ok, note)


def _action(obj: _ObjectAnalysis, speeds: np.ndarray) -> str:
    n_bounces = sum(1 for c in obj.contacts if c.kind in ("floor", "wall"))
    if n_bounces >= 2:
        return "bouncing"
    if obj.fit is None:
        return "moving"
    first = obj.fit.segments[0]
    v0 = first.vel(obj.t_s[0])
    down = obj.fit.accel_px / (np.linalg.norm(obj.fit.accel_px) + 1e-12)
    g_px = float(np.linalg.norm(obj.fit.accel_px))
    # initial speed in units of "seconds of free fall": thrown objects start fast or upward
    if first.kind == FLIGHT and (float(v0 @ down) < -0.1 * g_px or np.linalg.norm(v0) > 0.25 * g_px):
        return "thrown"
    if first.kind == FLIGHT:
        return "falling" if not obj.contacts else "dropped"
    return "sliding" if np.nanmax(speeds, initial=0.0) > 0.2 else "resting"


def estimate_physics(clip: Clip, *, options: EstimateOptions | None = None,
                     progress: ProgressCallback | None = None) -> PhysicsTracks:
    """Estimate per-object mass, speed and impacts of `clip` without any model weights."""
    opts = options or EstimateOptions()
    frames = np.asarray(clip.frames)
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise BadInputError(f"estimate: expected frames of shape (T, H, W, 3), got {frames.shape}")
    if frames.shape[0] < MIN_FRAMES:
        raise BadInputError(f"estimate: need at least {MIN_FRAMES} frames to see motion, got {frames.shape[0]}")
    if frames.dtype != np.uint8:
        frames = frames_to_uint8(frames)
    if not (opts.gravity_mps2 > 0 and math.isfinite(opts.gravity_mps2)):
        raise BadInputError("estimate: gravity_mps2 must be a positive number")
    for name, val in (("meters_per_px", opts.meters_per_px), ("scene_width_m", opts.scene_width_m),
                      ("focal_px", opts.focal_px)):
        if val is not None and not (val > 0 and math.isfinite(val)):
            raise BadInputError(f"estimate: {name} must be a positive number, got {val!r}")
    n_frames, height, width = frames.shape[:3]
    times = np.asarray(clip.timestamps_s, dtype=np.float64)
    if times.shape != (n_frames,):
        times = np.arange(n_frames) / clip.fps
    fps = float(clip.fps)
    warnings: list[str] = []

    if isinstance(opts.analysis_max_side, bool) or not isinstance(opts.analysis_max_side, int) \
            or opts.analysis_max_side < MIN_ANALYSIS_SIDE_PX:
        raise BadInputError(f"estimate: the analysis size must be a whole number of at least {MIN_ANALYSIS_SIDE_PX} px, "
                            f"got {opts.analysis_max_side!r}")
    if isinstance(opts.max_objects, bool) or not isinstance(opts.max_objects, int) \
            or not 1 <= opts.max_objects <= MAX_OBJECTS:
        raise BadInputError(f"estimate: max_objects must be a whole number from 1 to {MAX_OBJECTS}, "
                            f"got {opts.max_objects!r}")
    check_analysis_size(width, height, "estimate: the clip's frames")
    small, sx = _resize_frames(frames, opts.analysis_max_side)
    # user pixel hints are in the video's own pixels: source → clip → analysis grid
    source_to_analysis = sx * (width / clip.source_size[0] if clip.source_size else 1.0)
    ha, wa = small.shape[1:3]
    check_analysis_size(wa, ha, f"estimate: frames analysed at {opts.analysis_max_side} px")
    total = n_frames + 2

    def seg_progress(done: int, _total: int):
        report(progress, done, total)

    seg = segment_motion(small, min_settle_frames=max(5, int(round(0.3 * fps))), progress=seg_progress)
    gap = max(3, int(round(0.25 * fps)))
    tracks = track_detections(seg.detections, config=TrackerConfig(max_gap_frames=gap, link_gap_frames=2 * gap,
                                                                   arc_link_gap_frames=int(round(1.0 * fps)),
                                                                   min_points=max(5, int(round(0.15 * fps)))))
    # keep the objects seen longest when there are more than asked for
    if len(tracks) > opts.max_objects:
        keep = sorted(tracks, key=lambda tr: -len(tr.points))[: opts.max_objects]
        warnings.append(f"{len(tracks)} moving objects found; kept the {opts.max_objects} seen longest")
        tracks = sorted(keep, key=lambda tr: tr.first_frame)
    analyses = [_analyse_track(tr, seg.shifts_px, times, fps, penalty=opts.segment_penalty, width=wa, height=ha)
                for tr in tracks]
    report(progress, n_frames + 1, total)

    # --- focal length and metric scale ----------------------------------------------------------
    if opts.focal_px is not None:
        focal_a, focal_source = opts.focal_px * source_to_analysis, "user"
    else:
        focal_a, focal_source = focal_from_fov(wa, opts.assumed_hfov_deg), "assumed_fov"
    user_mpp_a = None
    if opts.meters_per_px is not None:
        user_mpp_a = opts.meters_per_px / source_to_analysis
    elif opts.scene_width_m is not None:
        user_mpp_a = opts.scene_width_m / wa
    g = opts.gravity_mps2
    gravity_mpps = [g / float(np.linalg.norm(a.fit.accel_px)) for a in analyses if a.gravity_ok]

    objects: list[ObjectTrack] = []
    scale_sources: list[str] = []
    for i, obj in enumerate(analyses):
        name = _per_object(opts.object_names, i) or None
        size_hint = _per_object(opts.object_size_m, i)
        mass_hint = _per_object(opts.mass_kg, i)
        label = name or "object"
        prior: MassPrior | None = mass_prior(name) if name else None
        obj_warn: list[str] = []
        if user_mpp_a is not None:
            scale = MetricScale(user_mpp_a, "user", "given")
        elif obj.gravity_ok:
            scale = MetricScale(g / float(np.linalg.norm(obj.fit.accel_px)), "gravity", obj.gravity_note)
        elif size_hint is not None or (prior is not None and prior.matched is not None):
            size_m = float(size_hint) if size_hint is not None else prior.size_m
            scale = MetricScale(size_m / max(obj.size_px, 1e-6), "size_prior",
                                f"{size_m:.3g} m {'given' if size_hint is not None else 'prior'} size")
            obj_warn.append(f"object {i} ({label}): no reliable gravity fit ({obj.gravity_note}); metric scale "
                            f"from its {'given' if size_hint is not None else 'typical'} size {size_m:.3g} m")
        elif gravity_mpps:
            scale = MetricScale(float(np.median(gravity_mpps)), "gravity", "borrowed from other objects")
            obj_warn.append(f"object {i} ({label}): no reliable gravity fit ({obj.gravity_note}); metric scale "
                            "borrowed from the other objects (same depth assumed)")
        else:
            size_m = 0.15
            scale = MetricScale(size_m / max(obj.size_px, 1e-6), "size_prior", "generic 0.15 m size")
            obj_warn.append(f"object {i} ({label}): no gravity fit and no known size; metric scale from a generic "
                            f"{size_m} m object size (give --size-m or --meters-per-px)")
        scale_sources.append(scale.source)
        mpp = scale.meters_per_px
        size_measured_m = obj.size_px * mpp

        # --- per-frame states ---------------------------------------------------------------
        speeds: list[float | None] = [None] * n_frames
        centroids: list[list[float] | None] = [None] * n_frames
        boxes: list[list[float] | None] = [None] * n_frames
        t_vis = obj.t_s
        if obj.fit is not None:
            pw = piecewise_from_fit(obj.fit, obj.contacts)
            pos_px, vel_px = pw.states(t_vis)
        else:
            pos_px, vel_px = smoothed_states(t_vis, obj.xy_px, fps=fps)
        s = obj.depth.scale(t_vis)
        z_ref = mpp * focal_a
        vz = z_ref * obj.depth.rate_per_s
        centre = np.array([wa / 2.0, ha / 2.0])
        for k, f in enumerate(obj.frames):
            v3 = np.array([vel_px[k, 0] * mpp, vel_px[k, 1] * mpp, vz])
            speeds[f] = float(np.linalg.norm(v3))
            xyz = [(pos_px[k, 0] - centre[0]) * mpp, (pos_px[k, 1] - centre[1]) * mpp, z_ref * float(s[k])]
            centroids[f] = [round(float(c), 5) for c in xyz]
            x0, y0, x1, y1 = obj.track.points[k].det.box_xyxy
            boxes[f] = [round(x0 / sx, 2), round(y0 / sx, 2), round(x1 / sx, 2), round(y1 / sx, 2)]

        # --- mass ---------------------------------------------------------------------------
        if mass_hint is not None:
            if not (mass_hint > 0 and math.isfinite(mass_hint)):
                raise BadInputError(f"estimate: mass_kg must be positive, got {mass_hint!r}")
            mass, mass_source = float(mass_hint), "user"
            material = prior.material if prior else None
            material_source = "prior" if prior else None
        else:
            # a generic or size-based prior is redone with the size measured in the video
            if prior is None or prior.source in ("generic", "material_size") or prior.matched in (
                    "sphere", "cube", "cylinder", "disc"):
                prior = mass_prior(label, size_m=size_measured_m)
            mass, mass_source = prior.mass_kg, "prior"
            material, material_source = prior.material, "prior"
            obj_warn.extend(f"object {i}: {w}" for w in prior.warnings)
        if size_hint is not None:
            size_m_out, size_source = float(size_hint), "user"
        else:
            size_m_out = size_measured_m
            size_source = {"gravity": "gravity", "user": "user", "size_prior": "prior"}[scale.source]

        # --- impacts ------------------------------------------------------------------------
        impacts = []
        for c in obj.contacts:
            if not (times[0] - 0.5 / fps <= c.time_s <= times[-1] + 0.5 / fps):
                continue
            sc = float(obj.depth.scale(c.time_s))
            vb = round(float(np.linalg.norm([c.vel_before_px[0] * mpp, c.vel_before_px[1] * mpp, vz])), 5)
            va = round(float(np.linalg.norm([c.vel_after_px[0] * mpp, c.vel_after_px[1] * mpp, vz])), 5)
            frame = int(min(np.searchsorted(times, c.time_s - 1e-6), n_frames - 1))
            jump = float(np.linalg.norm(c.vel_after_px - c.vel_before_px))
            conf = float(np.clip(1.0 - c.dv_sigma_px * 5.0 / max(jump, 1e-9), 0.0, 1.0))
            pos = [(c.pos_px[0] - centre[0]) * mpp, (c.pos_px[1] - centre[1]) * mpp, z_ref * sc]
            impacts.append(Impact(
                frame=frame, time_s=round(float(c.time_s), 5), v_before=vb, v_after=va,
                delta_ke_j=delta_ke_j(mass, vb, va), confidence=round(conf, 3),
                extra={"surface": c.kind, "position_m": [round(float(x), 4) for x in pos]},
            ))
        speed_arr = np.array([sp for sp in speeds if sp is not None])
        extra = {
            "metric_scale_source": scale.source,
            "metric_scale_detail": scale.detail,
            "meters_per_px": mpp * sx,  # in the clip's pixel grid, at the object's reference depth
            "depth_m": round(z_ref, 4),
            "depth_rate_per_s": round(obj.depth.rate_per_s, 5),
            "track_samples": int(len(obj.frames)),
        }
        if obj.fit is not None:
            a = obj.fit.accel_px
            extra["image_gravity_px_s2"] = [round(float(a[0] / sx), 3), round(float(a[1] / sx), 3)]
            extra["implied_gravity_mps2"] = round(float(np.linalg.norm(a)) * mpp, 4)
        if prior is not None:
            extra["prior"] = {"matched": prior.matched, "source": prior.source, "score": round(prior.score, 3)}
        objects.append(ObjectTrack(
            id=i, name=label, action=_action(obj, speed_arr), mass_kg=float(mass), mass_source=mass_source,
            speed_mps=speeds, centroid_m=centroids, impacts=impacts, frame="camera", material=material,
            material_source=material_source, size_m=round(float(size_m_out), 5), size_source=size_source,
            box_xyxy_px=boxes, extra=extra,
        ))
        warnings.extend(obj_warn)

    if not objects:
        warnings.append("no moving object found: the physics has no objects (the sound will be silent)")
    if user_mpp_a is not None:
        overall = "user"
    elif scale_sources and all(src == "gravity" for src in scale_sources):
        overall = "gravity"
    else:
        overall = "size_prior"  # some object fell back to a size (or there was nothing to scale)
    if focal_source == "assumed_fov" and objects:
        warnings.append(f"focal length unknown: assumed a {opts.assumed_hfov_deg:g}° horizontal field of view "
                        "(depths z scale with it; speeds across the picture do not)")
    geometry = Geometry(
        backend="pinhole",
        metric_scale_source=overall,
        focal_px=round(focal_a / sx, 3),
        focal_source=focal_source,
        extra={
            "axes": "camera frame: x right, y down, z forward (metres)",
            "per_object_scale_sources": scale_sources,
            "camera_static": seg.camera_static,
            "camera_shake_px": round(float(np.abs(seg.shifts_px).max() / sx), 3),
            "analysis_size": [int(wa), int(ha)],
        },
    )
    report(progress, total, total)
    return PhysicsTracks(
        fps=fps, num_frames=n_frames, width=width, height=height, objects=objects, geometry=geometry,
        warnings=warnings,
        estimator={"name": ESTIMATOR_NAME, "version": ESTIMATOR_VERSION, "backend": "motion+gravity",
                   "noise_sigma_dn": round(seg.noise_sigma_dn, 3)},
    ).validate()
