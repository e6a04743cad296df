"""Dynamics: speed per frame and impacts from a metric trajectory, whatever produced the geometry.

The measured 3D centroids are fitted piecewise (flight.py, in metres): free flight under one
gravity vector between contacts, resting or sliding on the floor, outliers dropped. Speeds are
the fit's analytic derivatives (finite differences of noisy centroids would amplify the noise);
without a gravity fit, a local quadratic (Savitzky–Golay) fit gives them. Impacts are the
contacts the fit supports (impacts.py): the two flights meet, the velocity jump is well above
its uncertainty, upward for a floor or reversing for a wall; each gets a confidence from how far
the jump stands above its standard error. Each impact is then tested for what a real impact looks like (gating.py: free
flight before, gravity, a consistent surface, a supported loss of speed); its confidence is the
weakest test's score. ΔKE needs the mass and is added when the physics is assembled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .flight import FLIGHT, FlightFit, fit_flights, points_down
from .gating import (DRIVEN, DRIVEN_GAIN_SHARE, MIN_FLIGHT_SAMPLES, NO_OWN_FALL, STEADY, TIP_DROP_SHARE,
                     TOPPLE_GUESSED_SCALE_SPREAD, TOPPLE_MIN_ACCEL_SHARE, TOPPLE_MIN_DROP_SHARE, ImpactCheck,
                     check_contact, contact_level,
                     energy_gained, flight_samples_before, height_level, is_gravity, level_tolerance,
                     pivot_landing_speed, rest_start_level, rests_after, steady_runs, tipped_over, topple_drop)
from .impacts import (VANISHED_LANDING_MAX_TAIL, Contact, final_landing, find_contacts, landing_time,
                      stopped_by_then)
from .stages.base import ObjectGeometry
from .velocity import piecewise_from_fit, smoothed_states

# a velocity jump below this share of gravity·1 s (≈ 0.5 m/s on Earth) is not an impact
MIN_JUMP_FRACTION_OF_G = 0.05
# metric scales that come from a guess rather than from the object's own fall (or the user)
GUESSED_SCALES = ("size_prior",)
MIN_FIT_SAMPLES = 5  # fewer usable samples: no flight fit (speeds from smoothed differences)
# The metric scale of an object with its own fall was set so that the picture's fit of that fall
# is gravity (stages/gravity.py); this fit of the metric track may still settle on another shared
# acceleration, pulled by samples that are no free flight (a pivot over a ledge's edge, a slide),
# and every speed it gives then inherits the error (a plastic brick's landing came out 13 % slow
# under 0.71 g). Beyond this relative departure from the scale's gravity the track is refitted from
# that gravity, and the refit is kept when it at least halves the departure: a refit that barely
# moves it only trades one segmentation for another.
GRAVITY_REFIT_DEPARTURE = 0.10
GRAVITY_REFIT_GAIN = 0.5


@dataclass
class ImpactEstimate:
    frame: int
    time_s: float
    v_before: float  # m/s
    v_after: float
    confidence: float
    surface: str  # floor | wall | landing
    position_m: list[float]
    check: ImpactCheck | None = None  # the physical tests (gating.py); confidence is its weakest score

    def silent_reason(self, min_confidence: float) -> str | None:
        """Why the trajectory's tests keep this impact silent at `min_confidence`, or None when they
        let it sound (the outline test is the caller's: it needs the masks)."""
        return self.check.reason(min_confidence) if self.check is not None else None


@dataclass
class ObjectDynamics:
    speed_mps: list[float | None]  # per frame
    centroid_m: list[list[float] | None]  # per frame: the fitted position
    impacts: list[ImpactEstimate]
    action: str  # bouncing | thrown | falling | dropped | sliding | resting | moving
    extra: dict[str, Any] = field(default_factory=dict)


def object_dynamics(geo: ObjectGeometry, times_s: np.ndarray, fps: float, *, penalty: float,
                    gravity_mps2: float = 9.81) -> ObjectDynamics:
    """Speeds, fitted positions and impacts of one object. times_s: (T,) of every frame."""
    n = len(times_s)
    seen = np.flatnonzero(np.isfinite(geo.centroid_m).all(axis=1))
    speeds: list[float | None] = [None] * n
    centroids: list[list[float] | None] = [None] * n
    if seen.size == 0:
        return ObjectDynamics(speeds, centroids, [], "moving", {"track_samples": 0})
    t = times_s[seen]
    pos = geo.centroid_m[seen]
    use = geo.usable[seen] & ~_stray_tail(seen, geo.usable[seen])
    fit = None
    imposed = False  # the fit's gravity is the frame's vertical, not seen in the object's own motion
    contacts = []
    if use.sum() >= MIN_FIT_SAMPLES:
        fit = fit_flights(t[use], pos[use], fps=fps, penalty=penalty, noise=geo.noise_m, unit=geo.pixel_size_m)
        if fit is not None and geo.gravity_m is not None:
            fit = _refit_from_the_scales_gravity(fit, t[use], pos[use], fps=fps, penalty=penalty, geo=geo,
                                                 gravity_mps2=gravity_mps2)
        if fit is None and _may_topple(geo):  # that fit is only for a topple's landing
            fit = _fit_under_the_vertical(t[use], pos[use], fps=fps, penalty=penalty, geo=geo,
                                          gravity_mps2=gravity_mps2)
            imposed = fit is not None
    if fit is not None:
        g = float(np.linalg.norm(fit.accel))
        contacts = find_contacts(fit, frame_dt=1.0 / fps, min_jump=MIN_JUMP_FRACTION_OF_G * g,
                                 body_size=float(geo.size_m or 0.0))
        if geo.scale_source not in GUESSED_SCALES and is_gravity(fit.accel, gravity_mps2):
            contacts = [stopped_by_then(c, fit, frame_dt=1.0 / fps, body_size=float(geo.size_m or 0.0)) for c in contacts]
        if not geo.at_edge[seen[-1]]:  # a track that ends at the picture's edge left it, it did not land
            # a first landing no frame shows is inferred only from a fall whose gravity the scale
            # did not assume: with a guessed size, any downward motion can pass for a fall
            # (and only from a track that ends on a clean sample: a merged or cut blob is no vanishing)
            ends_clean = use[-1] or _left_out_blobs_on_their_fall(fit, t, pos, use, float(geo.size_m or 0.0))
            vanished = float(t[-1]) if geo.scale_source not in GUESSED_SCALES and ends_clean else None
            landing = final_landing(fit, contacts, frame_dt=1.0 / fps, t_end_s=float(times_s[-1]),
                                    vanished_at_s=vanished, vanished_pos=pos[-1])
            if landing is not None:
                contacts.append(landing)
        p_fit, v_fit = piecewise_from_fit(fit, contacts).states(t)
    else:
        p_fit, v_fit = smoothed_states(t, pos, fps=fps)
    for k, f in enumerate(seen):
        speeds[f] = float(np.linalg.norm(v_fit[k]))
        centroids[f] = [round(float(c), 5) for c in p_fit[k]]

    impacts = []
    gained, lost = energy_gained(fit, contacts) if fit is not None else (0.0, 0.0)
    driven = gained > DRIVEN_GAIN_SHARE * lost
    extent = float(geo.extent_m or 0.0)
    rest_levels = [rest_start_level(c, fit, track_starts_at_edge=bool(geo.at_edge[seen[0]])) for c in contacts]
    steady = steady_runs(contacts)
    by_time = sorted(range(len(contacts)), key=lambda j: contacts[j].time_s)
    run_starts = {a for a, b in zip(by_time, by_time[1:]) if a not in steady and b in steady}  # each run's first
    # a steady run's contacts are no floor contacts to check the others' levels against (a body rolling
    # toward the camera seems to come lower at every one)
    levels = [None if k in steady else lv
              for k, lv in enumerate(floor_levels(contacts, fit, rest_levels=rest_levels, extent=extent))]
    topples = (topple_landings(contacts, fit, rest_levels=rest_levels, extent=extent, gravity_mps2=gravity_mps2,
                               guessed_scale=geo.scale_source in GUESSED_SCALES)
               if _may_topple(geo) else [None] * len(contacts))
    # where a toppling body was seen still coming down past its contact: (when it landed, how much deeper)
    deeper = [_topple_seen_deeper(c, t, pos, fps=fps, tol=geo.pixel_size_m + 2.0 * geo.noise_m)
              if tp is not None else None for c, tp in zip(contacts, topples)]
    topple_drops = [tp if d is None else tp + d[1] for tp, d in zip(topples, deeper)]  # counted to where it landed
    last_contact_impact = None  # the impact of the track's last contact, when it is within the clip
    for k, c in enumerate(contacts):
        if not (times_s[0] - 0.5 / fps <= c.time_s <= times_s[-1] + 0.5 / fps):
            continue
        frame = _frame_of(times_s, c.time_s)
        others = [lv for j, lv in enumerate(levels) if j != k and lv is not None]
        # the floor contact (after a real fall) that the flight before this one started from
        launch = [(lv, contacts[j].time_s) for j, lv in enumerate(levels)
                  if lv is not None and contacts[j].after == c.before]
        check = check_contact(c, fit, gravity_mps2=gravity_mps2, floor_levels=others,
                              launch_level=launch[0][0] if launch else None,
                              launch_time_s=launch[0][1] if launch else None, frame_dt=1.0 / fps,
                              body_size=float(geo.size_m or 0.0), rest_level=rest_levels[k], extent=extent,
                              topple_drop_m=topple_drops[k])
        if lost > 0:  # with no loss at all every contact already fails "no speed loss"
            check.facts["energy_gained_ratio"] = round(gained / lost, 3)
        if driven and check.failed is None:
            check.failed = DRIVEN
        if k in steady and check.failed is None:
            check.failed = STEADY
        if "pivot_speed_mps" in check.facts and k in run_starts and check.failed is None:
            # a topple lands once, then lies still or bounces lower and lower: a "topple landing"
            # that starts a steady run is a roll's first turn (a run's first contact may otherwise
            # be the last real bounce before a body rolls on)
            check.failed = STEADY
        if imposed and topples[k] is None and check.failed is None:
            check.failed = NO_OWN_FALL  # its "flights" are the imposed gravity's, not a fall seen
        conf = check.confidence
        # a topple's landing speed comes from its drop (gating.pivot_landing_speed), not the fit
        v_before = check.facts.get("pivot_speed_mps", float(np.linalg.norm(c.vel_before)))
        time_s = float(c.time_s)
        if "pivot_speed_mps" in check.facts and deeper[k] is not None:  # its speed counts that depth already
            time_s = deeper[k][0]
            check.facts["seen_deeper_m"] = round(deeper[k][1], 4)
            frame = _frame_of(times_s, time_s)
        impacts.append(ImpactEstimate(
            frame=frame, time_s=round(time_s, 5),
            v_before=round(float(v_before), 5),
            v_after=round(float(np.linalg.norm(c.vel_after)), 5),
            confidence=round(conf, 3), surface=c.kind, position_m=[round(float(x), 4) for x in c.pos],
            check=check,
        ))
        if k == len(contacts) - 1:
            last_contact_impact = impacts[-1]
    if last_contact_impact is not None and not geo.at_edge[seen[-1]]:
        tip = _tip_at_vanishing(contacts[-1], last_contact_impact, t, pos, use, times_s=times_s, fps=fps, geo=geo,
                                gravity_mps2=gravity_mps2)
        if tip is not None:
            impacts.append(tip)
    extra: dict[str, Any] = {"track_samples": int(seen.size)}
    if imposed:
        extra["fit_gravity"] = "frame_vertical"
    elif fit is not None:
        extra["implied_gravity_mps2"] = round(float(np.linalg.norm(fit.accel)), 4)
    speed_arr = np.array([s for s in speeds if s is not None])
    return ObjectDynamics(speeds, centroids, impacts, _action(fit, contacts, t, speed_arr), extra)


def _refit_from_the_scales_gravity(fit: FlightFit, t: np.ndarray, pos: np.ndarray, *, fps: float, penalty: float,
                                   geo: ObjectGeometry, gravity_mps2: float) -> FlightFit:
    """`fit`, or the track refitted from the gravity its own fall set the scale with (`geo.gravity_m`)
    when `fit` is no gravity at all or departs from it by more than GRAVITY_REFIT_DEPARTURE. The
    picture's fit of this object found gravity and this one voted for other windows (a block that
    tips over a ledge's edge curves down gently for a few frames, and its tumbling on the floor
    passes for flights under that weak "gravity"). The refit must be gravity, and when `fit` was
    gravity too, halve its departure at least (GRAVITY_REFIT_GAIN)."""
    lost = not is_gravity(fit.accel, gravity_mps2)
    off = departure_from(fit.accel, geo.gravity_m)
    if not lost and off <= GRAVITY_REFIT_DEPARTURE:
        return fit
    alt = fit_flights(t, pos, fps=fps, penalty=penalty, noise=geo.noise_m, unit=geo.pixel_size_m,
                      start=geo.gravity_m)
    if alt is None or not is_gravity(alt.accel, gravity_mps2):
        return fit
    return alt if lost or departure_from(alt.accel, geo.gravity_m) <= GRAVITY_REFIT_GAIN * off else fit


def departure_from(accel: np.ndarray, gravity: np.ndarray) -> float:
    """|accel − gravity| / |gravity|: how far a fitted acceleration is from a known gravity (same units)."""
    accel = np.asarray(accel, dtype=np.float64)
    gravity = np.asarray(gravity, dtype=np.float64)[: accel.shape[0]]
    return float(np.linalg.norm(accel - gravity) / (np.linalg.norm(gravity) + 1e-12))


def _may_topple(geo: ObjectGeometry) -> bool:
    """Whether a topple's landing of this object can be measured (its speed from its centre's drop).

    Not under a scale borrowed from the picture's other falls (`ObjectGeometry.scale_borrowed`):
    that puts the body at the other object's depth, so its drop in metres is a guess; and beside a
    falling body, what moves over the floor is as often its shadow or a sliver of its blob (every
    such topple landing on the generated rigid sets was one: 12 held at the frame's vertical,
    0.6-1.5 m/s, and 2 more under the track's own fit, 1.0 and 1.3 m/s)."""
    return not geo.scale_borrowed


def _fit_under_the_vertical(t: np.ndarray, pos: np.ndarray, *, fps: float, penalty: float, geo: ObjectGeometry,
                            gravity_mps2: float) -> FlightFit | None:
    """The flights of a track that shows no gravity of its own, segmented under the frame's vertical.

    A body that topples over from rest is first seen already turning (it was background while it
    stood), and its centre swings on an arc: with a few noisy samples before the landing no window
    of it passes for a free fall, and without a fit its landing was never looked for. Started from
    gravity along the frame's "down" and refined as usual, the fit cuts the arc where it lands;
    only a topple's landing (its speed from its drop, `topple_landings`) may sound from it.

    A refinement that turns the acceleration sideways is no fall (a slide's deceleration), but the
    arc of a topple seen in its last few frames pulls it sideways too (a bottle's, by 37°): then the
    track is segmented again with gravity held at the vertical, and the gating still lets only a
    topple's landing sound (the caller asks `_may_topple` first)."""
    down = np.zeros(pos.shape[1])
    down[1] = gravity_mps2
    fit = fit_flights(t, pos, fps=fps, penalty=penalty, noise=geo.noise_m, unit=geo.pixel_size_m, start=down)
    if fit is not None and bool(points_down(fit.accel)):
        return fit
    return fit_flights(t, pos, fps=fps, penalty=penalty, noise=geo.noise_m, unit=geo.pixel_size_m, start=down,
                       refine_gravity=False)


def topple_landings(contacts: list[Contact], fit: FlightFit | None, *, rest_levels: list[float | None],
                    extent: float, gravity_mps2: float, guessed_scale: bool = False) -> list[float | None]:
    """Per contact: where the body landed after toppling over from rest, its centre's drop
    (`gating.topple_drop`), else None. rest_levels: `gating.rest_start_level` of each (the contacts
    after one rest share it); extent: the object's longest extent (0: unknown); fit: None only
    when there are no contacts. None at all when the fit's acceleration is below
    TOPPLE_MIN_ACCEL_SHARE of gravity (nothing turned it over; under a `guessed_scale`, a size prior,
    TOPPLE_GUESSED_SCALE_SPREAD times less: the metric acceleration is only as right as the prior).

    It is the first contact since the body left rest that came down a topple's size (the fit may cut
    the arc with a kink or two on the way), after which the body goes no lower than half its extent
    (a block tipping over a ledge's edge falls on to the floor far below: that kink is no landing)."""
    out: list[float | None] = [None] * len(contacts)
    floor = TOPPLE_MIN_ACCEL_SHARE / (TOPPLE_GUESSED_SCALE_SPREAD if guessed_scale else 1.0)
    if not contacts or float(np.linalg.norm(fit.accel)) < floor * gravity_mps2:
        return out
    done: set[float] = set()  # the rests whose topple landing is found
    for k in sorted(range(len(contacts)), key=lambda j: contacts[j].time_s):
        c, rest = contacts[k], rest_levels[k]
        if rest is None or rest in done:
            continue
        drop = topple_drop(c, fit, rest_level=rest, extent=extent)
        if drop is None:
            continue
        later = fit.points[fit.t_s > c.time_s, 1]  # height levels (gating.height_level)
        if later.size == 0 or later.max() - height_level(c.pos) <= 0.5 * extent:
            out[k] = drop
        done.add(rest)
    return out


def floor_levels(contacts: list[Contact], fit: FlightFit, *, rest_levels: list[float | None],
                 extent: float) -> list[float | None]:
    """Each contact's level along gravity where it tells where the floor is (the level the object's
    other contacts are checked against), else None. rest_levels: `gating.rest_start_level` of each;
    extent: the object's longest extent (0: unknown).

    A landing the object then rests at may be on top of something else (a body that falls onto
    another one); a "contact" with no free fall before it is a kink (a crate tipping over a ledge's
    edge: high above the floor, it made both of the crate's real bounces "not at a consistent
    surface"); so is the end of a tip from rest (a block sliding off a ledge, cut where it tips: 0.27 m
    above the floor, its real 3.4 m/s landing was "not at a consistent surface")."""
    return [contact_level(c, fit) if c.kind in ("floor", "landing") and not rests_after(c, fit)
            and flight_samples_before(c, fit) >= MIN_FLIGHT_SAMPLES
            and not tipped_over(c, rest_level=rl, extent=extent)[0] else None
            for c, rl in zip(contacts, rest_levels)]


TOPPLE_DEEPER_WINDOW_FRAMES = 2.5  # how long after a topple's landing a sample still coming down is looked for


def _topple_seen_deeper(c: Contact, t: np.ndarray, pos: np.ndarray, *, fps: float, tol: float
                        ) -> tuple[float, float] | None:
    """(when, how much deeper) a toppling body was seen still coming down past contact `c`, where the
    fit met the level it then lies at, else None. t, pos: every sample of the track, usable or not;
    tol: a pixel and twice the track's noise.

    A post or a bottle toppling onto its side comes down lower in the picture than where it then
    lies (it rocks back off its landing edge, or slides away), and its blobs at the landing are
    often merged or cut ones the fit leaves out: the fall's parabola met the level of the rest
    1.0-1.9 frames before the body landed, and the drop to that level gave 10-25 % too little speed.
    Samples from half a frame before the contact on, each lower than the one before, the last of
    them lower than the contact and than the sample before it by more than `tol` (still coming down
    fast: a body sliding on toward the camera creeps lower a few millimetres a frame), show where it
    landed: at the deepest one (on the generated rigid sets the truth lies 0.7 frame before it to
    0.9 after)."""
    level = height_level(c.pos)
    near = np.flatnonzero((t >= c.time_s - 0.5 / fps) & (t <= c.time_s + TOPPLE_DEEPER_WINDOW_FRAMES / fps))
    if near.size == 0:
        return None
    last = height_level(pos[near[0] - 1]) if near[0] > 0 else -np.inf
    found = None
    for i in near:
        h = height_level(pos[i])
        if h <= last:
            break
        if h - level > tol and h - last > tol:  # still coming down fast, not a slow slide toward the camera
            found = (float(t[i]), h - level)
        last = h
    return found


TIP_MAX_SAMPLES_AFTER = 3  # the body tipped flat this few samples before its track ends (it settled: background)


def _tip_at_vanishing(c0: Contact, landed: ImpactEstimate, t: np.ndarray, pos: np.ndarray, use: np.ndarray, *,
                      times_s: np.ndarray, fps: float, geo: ObjectGeometry,
                      gravity_mps2: float) -> ImpactEstimate | None:
    """A body's last contact as it tips flat after its landing, just before its track ends.

    A block or slab that lands on an edge after a real fall (`landed`, contact `c0`: it sounds) often
    tips over onto a face a few frames later, and that second blow (1-1.5 m/s in generated scenes)
    is the last: the body is at rest at once, so it becomes background and its track ends within a
    frame or two, and no fit sees a segment after the contact. What the track shows is its centre
    coming down by a tip's size (between TOPPLE_MIN_DROP_SHARE and TIP_DROP_SHARE of its extent)
    from its highest fitted sample after the landing (a merged blob's centroid is not the body's) to
    the level of its last samples (seen at rest, often merged with its resting place), reached at most
    TIP_MAX_SAMPLES_AFTER samples before the end. The contact is where that descent reaches the
    final level. Its speed comes from energy: the speed the body kept from its landing, plus what
    the drop frees into the centre's motion (`gating.pivot_landing_speed`); the blob of a turning
    block moves unlike its centre (its speed there came out 30 % low). It is only as sure as the
    landing. A track that ends while the centre is still coming down is `_tip_cut_by_vanishing`.
    t, pos, use: the track's seen samples' times and positions, and which the fit may use."""
    if landed.check is None or landed.check.failed is not None or c0.kind not in ("floor", "landing"):
        return None
    if geo.scale_source in GUESSED_SCALES:
        return None  # a drop in a guessed scale says nothing of a speed
    extent = float(geo.extent_m or 0.0)
    if extent <= 0 or float(t[-1]) + 1.5 / fps > float(times_s[-1]):
        return None  # unknown size, or the clip ends: nothing to say about a vanishing
    after = t > c0.time_s + 0.5 / fps
    if after.sum() < 4:
        return None
    ta, h = t[after], pos[after, 1]  # height levels (gating.height_level: y points down)
    tol = level_tolerance(float(geo.pixel_size_m or 0.0), float(geo.noise_m or 0.0))  # levels this close are one
    if abs(float(h[-1] - h[-2])) > tol:  # still moving when the track ends
        return _tip_cut_by_vanishing(landed, ta, h, use[after], pos[after][-1], times_s=times_s, fps=fps,
                                     extent=extent, tol=tol, gravity_mps2=gravity_mps2)
    final = float(np.median(h[-2:]))
    above = np.flatnonzero(h < final - tol)
    if above.size == 0:
        return None
    k = int(above[-1])  # the descent's last sample above the final level
    fitted = np.flatnonzero(use[after][: k + 1])
    if fitted.size == 0:
        return None
    top = int(fitted[np.argmin(h[fitted])])
    drop = final - float(h[top])
    if not (max(TOPPLE_MIN_DROP_SHARE * extent, tol) <= drop <= TIP_DROP_SHARE * extent):
        return None
    if k < 1 or k == top or len(h) - 1 - k > TIP_MAX_SAMPLES_AFTER:
        return None
    rate = float(h[k] - h[k - 1]) / float(ta[k] - ta[k - 1])
    if rate <= 0:
        return None  # not coming down into the final level
    tc = float(ta[k]) + min((final - float(h[k])) / rate, float(ta[k + 1] - ta[k]))
    # the energy the drop frees, on top of what the body kept from its landing
    v = float(np.hypot(pivot_landing_speed(drop, gravity_mps2), landed.v_after))
    return _tip_impact(landed, tc, drop, v, pos[after][k], times_s=times_s)


TIP_CUT_MIN_STEPS = 2  # samples coming down, each below the one before, that end a track cut by its tip


def _tip_cut_by_vanishing(landed: ImpactEstimate, ta: np.ndarray, h: np.ndarray, use: np.ndarray, last_pos: np.ndarray,
                          *, times_s: np.ndarray, fps: float, extent: float, tol: float,
                          gravity_mps2: float) -> ImpactEstimate | None:
    """The tip after a landing whose blow the track does not reach: the centre still coming down at
    its last sample, and the body not seen after it.

    A block that lands on an edge often stands on it a few frames, then tips over onto a face, and
    lying still it turns into background at once: its track ends on the way down (generated scenes:
    the blow 0.4 frame before to 1.3 frames after the last sample, 0.25 at the median). Seen moving
    at its last sample and gone at the next frame, the body lay down about between the two; the
    contact is taken halfway, and the drop runs on to it at the last step's rate. The speed is what
    that drop frees (`gating.pivot_landing_speed`) alone: a body that stood on its edge has spent its
    landing's speed (adding it made these blows 20 % fast at the median, against 1 % without, on 14
    of them). The descent must be a tip's size from the highest fitted sample before it
    (TOPPLE_MIN_DROP_SHARE to TIP_DROP_SHARE of the extent): a ball whose track breaks off on its way
    down falls further. The half frame is `impacts._vanished_landing`'s, for a fall that vanishes.
    ta, h, use: the samples after the landing (times, height levels, fit-usable); last_pos: the
    track's last position."""
    j = len(h) - 1
    while j > 0 and h[j] > h[j - 1]:  # the trailing descent starts at sample j
        j -= 1
    if len(h) - 1 - j < TIP_CUT_MIN_STEPS:
        return None
    fitted = np.flatnonzero(use[: j + 1])
    if fitted.size == 0:
        return None
    top = float(h[fitted[np.argmin(h[fitted])]])
    if float(h[-1]) - top > TIP_DROP_SHARE * extent:
        return None  # more than a tip brings down: a fall of its own
    half_frame = 0.5 / fps
    rate = float(h[-1] - h[-2]) / float(ta[-1] - ta[-2])
    drop = min(float(h[-1]) + rate * half_frame - top, TIP_DROP_SHARE * extent)
    if drop < max(TOPPLE_MIN_DROP_SHARE * extent, tol):
        return None
    imp = _tip_impact(landed, float(ta[-1]) + half_frame, drop, pivot_landing_speed(drop, gravity_mps2), last_pos,
                      times_s=times_s)
    # its blow is inferred from the vanishing, as an unseen landing's is: a track handed over to
    # another one, or lost high above the others' floor, did not vanish by lying down
    # (gating.silence_unseen_landings_without_support)
    imp.check.facts.update({"tip_cut_by_vanishing": True, "landing_seen": False})
    return imp


def _tip_impact(landed: ImpactEstimate, time_s: float, drop: float, v: float, pos: np.ndarray, *,
                times_s: np.ndarray) -> ImpactEstimate:
    """The blow of a body tipping flat after `landed`, which it is only as sure as."""
    check = ImpactCheck(scores={"landing": landed.confidence})
    check.facts.update({"tip_after_landing": True, "tip_drop_m": round(drop, 4)})
    return ImpactEstimate(frame=_frame_of(times_s, time_s), time_s=round(time_s, 5),
                          v_before=round(float(v), 5), v_after=0.0, confidence=round(check.confidence, 3),
                          surface="landing", position_m=[round(float(x), 4) for x in pos], check=check)


def _frame_of(times_s: np.ndarray, time_s: float) -> int:
    """The frame an event at `time_s` falls in (the first frame at or after it, the clip's last at most)."""
    return int(min(np.searchsorted(times_s, time_s - 1e-6), len(times_s) - 1))


def _left_out_blobs_on_their_fall(fit: FlightFit, t: np.ndarray, pos: np.ndarray, use: np.ndarray,
                                  size_m: float) -> bool:
    """Whether a track whose last blobs were left out of the fit (cut or merged: a tin landing on a
    brick, its lower part over the brick's edge) still ends where its fall leads: at most
    VANISHED_LANDING_MAX_TAIL blobs are left out after the fit's last sample, the fit ends in a flight,
    and each left-out centroid is within half the object's size of the fall's parabola (a blob merged
    into another body's is farther off), or shows the object already landed: on a level the fall
    reached after its last fitted sample, within half the object's size of where the fall was then
    (a blob half gone into the background as the object settles); once landed, the blobs after stay
    there (a slab seen at rest, merged with its shadow, for three frames after its 3.2 m/s landing)."""
    left_out = len(use) - 1 - int(np.flatnonzero(use)[-1]) if use.any() else len(use)
    if left_out in (0, len(use)) or left_out > VANISHED_LANDING_MAX_TAIL or size_m <= 0 or not fit.segments:
        return False
    seg = fit.segments[-1]
    if seg.kind != FLIGHT:
        return False
    down = fit.down
    t_fit_end = float(fit.t_s[seg.i1])
    landed_at = None  # the level the blobs rest on, once one shows the object landed
    for k in range(len(use) - left_out, len(use)):
        q = float(pos[k] @ down)
        if landed_at is not None:
            if abs(q - landed_at) > 0.25 * size_m:
                return False  # not at rest where it landed
        elif float(np.linalg.norm(pos[k] - seg.pos(float(t[k])))) > 0.5 * size_m:
            # off the parabola: it had already landed, seen at rest on a level its fall reached after
            # the last fitted sample, beside where the fall then was (a fall at 4 m/s goes 13 cm in a
            # frame at 30 fps)
            tc = landing_time(seg, q, down, t_fit_end, float(t[k]))
            if tc is None:
                return False
            gap = pos[k] - seg.pos(tc)
            if float(np.linalg.norm(gap - float(gap @ down) * down)) > 0.5 * size_m:
                return False
            landed_at = q
    # a lone left-out blob may just be on its way down; more of them must show where it landed
    # (two cut blobs of a ball still falling toward a landing 5 frames after the track's end)
    return left_out == 1 or landed_at is not None


# a track's last few samples, seen again only after a long gap, may be another blob the tracker
# took (it waits 0.25 s): a box that landed hidden behind a glider "bounced" off three samples of
# it 13 frames later, at 3.4 m/s from 1.6, and its landing was lost as "no speed loss"
STRAY_TAIL_MAX_SAMPLES = 3
STRAY_TAIL_GAP_FRAMES = 6


def _stray_tail(frames: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """Mask of the usable samples after the track's last gap of more than STRAY_TAIL_GAP_FRAMES
    frames, when they are STRAY_TAIL_MAX_SAMPLES or fewer (too few to tell a flight by)."""
    out = np.zeros(len(frames), dtype=bool)
    idx = np.flatnonzero(usable)
    gaps = np.flatnonzero(np.diff(frames[idx]) > STRAY_TAIL_GAP_FRAMES)
    if gaps.size == 0:
        return out
    start = gaps[-1] + 1  # the tail's first usable sample
    # only a short tail after enough of a track to fit without it
    if idx.size - start <= STRAY_TAIL_MAX_SAMPLES and start >= MIN_FIT_SAMPLES:
        out[idx[start:]] = True
    return out


def _action(fit: FlightFit | None, contacts: list, t: np.ndarray, speeds: np.ndarray) -> str:
    n_bounces = sum(1 for c in contacts if c.kind in ("floor", "wall"))
    if n_bounces >= 2:
        return "bouncing"
    if fit is None:
        return "moving"
    first = fit.segments[0]
    v0 = first.vel(t[0])
    down = fit.down
    g = float(np.linalg.norm(fit.accel))
    # initial speed in units of "seconds of free fall": thrown objects start fast or upward
    if first.kind == FLIGHT and (float(v0 @ down) < -0.1 * g or np.linalg.norm(v0) > 0.25 * g):
        return "thrown"
    if first.kind == FLIGHT:
        return "falling" if not contacts else "dropped"
    return "sliding" if np.nanmax(speeds, initial=0.0) > 0.2 else "resting"
