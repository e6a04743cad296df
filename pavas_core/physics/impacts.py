"""Impacts from a piecewise free-flight fit: contact time between frames, speeds just before/after.

Two consecutive flight segments share gravity, so the difference of their parabolas is linear in
time: the contact is where they meet (least-squares closest approach), which usually falls
between two frames. The velocities just before and after are the two fits' derivatives at that
instant — much more accurate than finite differences across the contact frame. A flight that
ends on the floor (then rests or slides) lands where its parabola reaches the resting height.

A cut between segments is kept as an impact only if the velocity jump is well above its
uncertainty, points against gravity (floor) or reverses the horizontal motion (wall), and the two
fits actually meet; otherwise the two segments are merged and refitted.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .flight import FLIGHT, GROUND, FlightFit, Segment, fit_segment


@dataclass
class Contact:
    time_s: float
    pos: np.ndarray  # (D,) where the fits meet (trajectory units)
    vel_before: np.ndarray  # (D,) units/s
    vel_after: np.ndarray  # (D,) units/s
    kind: str  # floor | wall | landing
    gap: float  # distance between the two fits at the contact
    gap_sigma: float  # standard error of that distance (fits extrapolated to the contact)
    dv_sigma: float  # standard error of the velocity jump, units/s
    before: int  # index of the segment before
    after: int
    seen: bool = True  # False: a landing inferred from the track's vanishing (see final_landing)
    jump_sigmas: float | None = None  # significance of the jump (None: |vel_after − vel_before| / dv_sigma)

    def significance(self) -> float:
        """How many standard errors the velocity jump stands above zero."""
        if self.jump_sigmas is not None:
            return self.jump_sigmas
        return float(np.linalg.norm(self.vel_after - self.vel_before)) / max(self.dv_sigma, 1e-12)


def _meeting(a: Segment, b: Segment, lo: float, hi: float) -> float:
    """Time in [lo, hi] where two same-gravity parabolas are closest."""
    t1, t2 = lo, hi if hi > lo else lo + 1e-3
    d1 = a.pos(t1) - b.pos(t1)
    d2 = a.pos(t2) - b.pos(t2)
    slope = (d2 - d1) / (t2 - t1)
    den = float(slope @ slope)
    t = t1 if den < 1e-12 else t1 - float(d1 @ slope) / den
    return float(np.clip(t, lo, hi))


def _landing(a: Segment, level: float, down: np.ndarray, lo: float, hi: float, *, exact: bool = False
             ) -> float | None:
    """Time in [lo, hi] where flight `a` reaches the floor `level` (position along `down`); where it
    does not reach it there, the time it comes closest (None with `exact`)."""
    # (c0 + c1 τ + c2 τ²)·down = level, τ = t − t0
    c2, c1, c0 = float(a.c2 @ down), float(a.c1 @ down), float(a.c0 @ down) - level
    roots = np.roots([c2, c1, c0]) if abs(c2) > 1e-12 else np.array([-c0 / c1]) if abs(c1) > 1e-12 else np.array([])
    cands = [float(r.real) + a.t0 for r in np.atleast_1d(roots) if abs(r.imag) < 1e-9]
    cands = [t for t in cands if lo - 1e-9 <= t <= hi + 1e-9]
    if cands:
        return min(cands)
    if exact:
        return None
    grid = np.linspace(lo, hi, 21)
    return float(grid[int(np.argmin(np.abs((a.pos(grid) @ down) - level)))])


def landing_time(a: Segment, level: float, down: np.ndarray, lo: float, hi: float) -> float | None:
    """Time in [lo, hi] where flight `a` reaches `level` (along `down`), or None where it does not."""
    return _landing(a, level, down, lo, hi, exact=True)


def above_fall(a: Segment, t: np.ndarray | float, points: np.ndarray, down: np.ndarray) -> np.ndarray:
    """How far above flight `a`'s parabola (against `down`) the points seen at times `t` lie: more
    than `off_fall_tolerance` and the object was no longer falling freely there."""
    return (a.pos(t) - np.asarray(points)) @ down


def off_fall_tolerance(fit: FlightFit) -> float:
    """How far off a flight's parabola a sample may lie and still be on it: the noise and a pixel."""
    return 3.0 * fit.noise + fit.unit


def _ground_level(fit: FlightFit, g: Segment, down: np.ndarray) -> float:
    """Floor level of a ground segment: its lowest positions (it may still hop a little)."""
    q = fit.points[g.i0 : g.i1 + 1] @ down
    return float(np.percentile(q, 90)) if len(q) >= 3 else float(q.max())


def contact_between(fit: FlightFit, i: int, *, frame_dt: float, floor_level: float | None = None) -> Contact | None:
    """The contact between segments i and i+1 of `fit`, or None for a release (ground → flight).

    floor_level: where earlier bounces met the floor (along gravity); a landing ends there.
    """
    return _contact(fit, fit.segments[i], fit.segments[i + 1], i, frame_dt=frame_dt, floor_level=floor_level)


def _contact(fit: FlightFit, a: Segment, b: Segment, i: int, *, frame_dt: float,
             floor_level: float | None = None) -> Contact | None:
    t = fit.t_s
    lo = float(t[a.i1]) - 0.25 * frame_dt
    hi = float(t[b.i0]) + 0.25 * frame_dt
    down = fit.down
    if a.kind == FLIGHT and b.kind == FLIGHT:
        tc = _meeting(a, b, lo, hi)
        kind = "floor" if float((b.vel(tc) - a.vel(tc)) @ down) < 0 else "wall"
    elif a.kind == FLIGHT and b.kind == GROUND:
        # where it came to rest, once that is well measured: the level of earlier bounces is
        # extrapolated from fast, often motion-blurred flights and can be off by a pixel or two
        own = _ground_level(fit, b, down)
        tc = None if floor_level is None or b.n >= 5 else _landing(a, floor_level, down, lo, hi, exact=True)
        if tc is None:
            # the earlier bounces' floor is not where this flight ends (a block sliding along a
            # ledge "bounced" on it before it fell to the floor below): it lands where it then rests
            tc = _landing(a, own, down, lo, hi)
        kind = "landing"
    else:
        return None
    va, vb = a.vel(tc), b.vel(tc)
    if b.kind == GROUND and b.n < GROUND_QUADRATIC_MIN_SAMPLES:
        vb = _steady_ground_velocity(fit, b, down)
    gap = float(np.linalg.norm(a.pos(tc) - b.pos(tc)))
    sig = float(np.hypot(a.vel_sigma(), b.vel_sigma()))
    gap_sig = float(np.hypot(a.pos_sigma(tc), b.pos_sigma(tc)))
    z = _continuous_jump_sigmas(fit, a, b, tc) if b.kind == FLIGHT else None
    return Contact(tc, 0.5 * (a.pos(tc) + b.pos(tc)), va, vb, kind, gap, gap_sig, sig, i, i + 1, jump_sigmas=z)


def _continuous_jump_sigmas(fit: FlightFit, a: Segment, b: Segment, tc: float) -> float:
    """Significance of the velocity jump between flights `a` and `b` when both pass through one point at tc.

    Without a jump the two are one parabola, so one place at the contact is part of that hypothesis;
    fitting both flights with a shared position at tc then measures each velocity over the lever arm
    from the contact to its samples. Three samples after a bounce (the ball fading into a same-coloured
    wall) give a free velocity 3-4 times less certain than that: a clear bounce looked like noise.
    """
    t, p = fit.t_s, fit.points
    ta, tb = t[a.i0 : a.i1 + 1] - tc, t[b.i0 : b.i1 + 1] - tc
    na, nb = len(ta), len(tb)
    basis = np.zeros((na + nb, 3))
    basis[:, 0] = 1.0
    basis[:na, 1] = ta
    basis[na:, 2] = tb
    tau = np.concatenate([ta, tb])
    y = np.concatenate([p[a.i0 : a.i1 + 1], p[b.i0 : b.i1 + 1]]) - 0.5 * fit.accel[None, :] * tau[:, None] ** 2
    coef, *_ = np.linalg.lstsq(basis, y, rcond=None)
    cov = np.linalg.pinv(basis.T @ basis)
    var_axis = float(cov[1, 1] + cov[2, 2] - 2.0 * cov[1, 2]) * _local_noise(fit, basis, coef, y) ** 2
    dv = coef[2] - coef[1]
    sigma = np.sqrt(max(var_axis, 0.0) * p.shape[1])
    return float(np.linalg.norm(dv)) / max(float(sigma), 1e-12)


# weight (degrees of freedom) of the track's overall noise against the residuals around one contact
PRIOR_NOISE_DOF = 6


def _local_noise(fit: FlightFit, basis: np.ndarray, coef: np.ndarray, y: np.ndarray) -> float:
    """Position noise around a contact: the joint fit's residuals, pooled with the track's noise.

    The track's noise comes from all its samples, blurred and half-hidden ones included; the
    flights on either side of one contact are often much cleaner (a residual a third of it), and a
    wrong cut shows there as larger residuals."""
    resid = y - basis @ coef
    dof = resid.size - coef.size
    if dof <= 0:
        return fit.noise
    return float(np.sqrt((PRIOR_NOISE_DOF * fit.noise**2 + float(np.sum(resid**2))) / (PRIOR_NOISE_DOF + dof)))


# a ground segment's quadratic across gravity passes exactly through three samples: its slope at
# the segment's end (where a landing meets it) can then be any speed (12 m/s after a 1.8 m/s fall)
GROUND_QUADRATIC_MIN_SAMPLES = 5


def _steady_ground_velocity(fit: FlightFit, g: Segment, down: np.ndarray) -> np.ndarray:
    """Mean velocity across gravity of a short ground segment (a straight line through its samples)."""
    tt, pp = fit.t_s[g.i0 : g.i1 + 1], fit.points[g.i0 : g.i1 + 1]
    if len(tt) < 2:
        return np.zeros(fit.points.shape[1])
    return _sideways(np.polyfit(tt - tt.mean(), pp, 1)[0], down)


def _sideways(v: np.ndarray, down: np.ndarray) -> np.ndarray:
    """The part of `v` perpendicular to gravity."""
    return v - float(v @ down) * down


# a tumbling body's outline centroid is not its centre of mass, and at an impact its spin changes
# at once: the two fits may miss each other by a share of the body's size (a stone slab landing on
# an edge and falling flat: 3 cm for a slab measured 9 cm across)
BODY_GAP_SHARE = 0.1
LANDING_UNCHECKED_WAIT_FRAMES = 4  # a rest seen within this many frames of the landing is not checked for its place


# a fall seen this long and stopped by a jump this many standard errors strong ends on a surface,
# whatever level the object's other contacts had; one that came down this fast (a drop of 20 cm
# or more: no kink of a body tipping off a ledge) and lost this much of its speed needs a jump of
# fewer standard errors
# (8 samples: about a quarter of a second at 30 fps; 10 lost a post's landing on a box, 2.9 m/s
# measured, 2.73 true, after a 9-sample fall, 200 standard errors, judged by the floor 17 cm below)
SELF_EVIDENT_FALL_SAMPLES = 8
SELF_EVIDENT_FALL_JUMP_SIGMAS = 50.0
SELF_EVIDENT_FALL_SPEED_MPS = 2.0
SELF_EVIDENT_FALL_STOP_SHARE = 1.0 / 3.0  # at most this share of its speed left after the contact
SELF_EVIDENT_FAST_FALL_JUMP_SIGMAS = 20.0
# a velocity jump of this many standard errors between two flights ends a fall there (`fall_samples_before`)
FALL_CUT_MAX_JUMP_SIGMAS = 8.0


def fall_samples_before(c: Contact, fit: FlightFit) -> int:
    """Samples of the fall that ends at contact `c`: the flight segment before it, and the flight
    segments before that one which it goes on from still coming down (the fit cuts a tumbling body's
    long fall where its centroid wobbles, with no contact there), each with no velocity jump of
    FALL_CUT_MAX_JUMP_SIGMAS or more where it joins the next: a velocity that changes in the air
    is no free fall going on (a cartoon's sinusoidal hop, cut into two "flights", made its landing
    a self-evident fall of 18 samples and sounded)."""
    j = c.before
    if not 0 <= j < len(fit.segments) or fit.segments[j].kind != FLIGHT:
        return 0
    down = fit.down
    n = int(fit.segments[j].n)
    while j > 0 and fit.segments[j - 1].kind == FLIGHT:
        seg, prev = fit.segments[j], fit.segments[j - 1]
        if float(seg.vel(float(fit.t_s[seg.i0])) @ down) <= 0:
            break  # it rose from there: a bounce, the fall began after it
        tc = 0.5 * (float(fit.t_s[prev.i1]) + float(fit.t_s[seg.i0]))
        if _continuous_jump_sigmas(fit, prev, seg, tc) >= FALL_CUT_MAX_JUMP_SIGMAS:
            break  # its velocity changed there in the air: no one free fall goes on across it
        j -= 1
        n += int(fit.segments[j].n)
    return n


def self_evident_fall(c: Contact, fit: FlightFit) -> bool:
    """A long free fall stopped hard (SELF_EVIDENT_FALL_*): what stopped it is a surface, wherever
    the object's other contacts were met.

    The level checks (`is_physical`'s reference floor, `gating.check_contact`'s surface) are for
    contacts a short "flight" may have invented (a kink as a block tips over a ledge's edge); the
    level of the other contacts is a poor judge of a fall seen for a third of a second and stopped
    by a jump of 200 standard errors: a tube that then rolled toward the camera met the floor lower
    in the picture at each later contact (its 3.8 m/s landing, 15 samples of fall, 20 cm "off"), a
    crate that slid off a platform had its two kinks up there outvote the floor (2.6 m/s, 12
    samples, 35 cm "off"), and a tall block that landed on its corner held its centre 13 cm above
    where it came to lie flat (2.9 m/s after 20 samples of fall, no contact at all). A fall that met
    the surface at SELF_EVIDENT_FALL_SPEED_MPS or more along gravity and kept at most
    SELF_EVIDENT_FALL_STOP_SHARE of its speed asks for fewer standard errors
    (SELF_EVIDENT_FAST_FALL_JUMP_SIGMAS): a block that fell 25 frames and landed at 3.3 m/s (0.8 m/s
    after), a jump of 46 standard errors (a noisy blob), then tumbled on toward the camera, was "not
    at a consistent surface" by 15 cm. The kink of a body tipping off a ledge (32 standard errors)
    came down at 1.3 m/s; a cartoon's sinusoidal hops (3.7-5 m/s, 29-49 standard errors) kept 60-93 %
    of their speed, and without the stop three of them sounded."""
    if fall_samples_before(c, fit) < SELF_EVIDENT_FALL_SAMPLES:
        return False
    down = fit.down
    speed_before = float(np.linalg.norm(c.vel_before))
    fast_hard_stop = (float(c.vel_before @ down) >= SELF_EVIDENT_FALL_SPEED_MPS
                      and float(np.linalg.norm(c.vel_after)) <= SELF_EVIDENT_FALL_STOP_SHARE * speed_before)
    return c.significance() >= (SELF_EVIDENT_FAST_FALL_JUMP_SIGMAS if fast_hard_stop else SELF_EVIDENT_FALL_JUMP_SIGMAS)


# a contact that leaves a body coming down with at most this share of its speed stopped it: a floor
# contact whichever way the jump points (as SELF_EVIDENT_FALL_STOP_SHARE: a hard stop)
FLOOR_STOP_SHARE = SELF_EVIDENT_FALL_STOP_SHARE


def is_physical(c: Contact, fit: FlightFit, *, frame_dt: float, min_jump: float,
                floor_ref: float | None = None, body_size: float = 0.0) -> bool:
    """A real impact: a clear velocity jump, upward or stopping a body coming down (floor) or
    reversing sideways motion (wall), the fits meet (to within the noise and, for a body of size
    `body_size`, BODY_GAP_SHARE of it), and a floor contact happens at the floor (`floor_ref`:
    where the clearest bounces met it). A landing:
    coming down, and the first sample after the fall within reach of where the fall ended."""
    dv = c.vel_after - c.vel_before
    jump = float(np.linalg.norm(dv))
    if jump < min_jump or c.significance() < 5.0:
        return False
    down = fit.down
    gap_tol = 3.0 * fit.noise + 3.0 * c.gap_sigma + 0.25 * jump * frame_dt + BODY_GAP_SHARE * body_size
    if c.kind == "landing":
        # it was coming down; and a rest first seen long after the fall (a track joined across a
        # gap) must be within reach of where the fall ended, given how fast it slides: such a
        # "rest" can be another blob a metre away. (Right after a landing the blob is often merged
        # with what it landed on or half background: no test of its place there)
        if float(c.vel_before @ down) <= 0:
            return False
        fall = fit.segments[c.before]
        first = min(fall.i1 + 1, len(fit.t_s) - 1)
        wait = max(float(fit.t_s[first]) - c.time_s, 0.0)
        if wait <= LANDING_UNCHECKED_WAIT_FRAMES * frame_dt:
            return True
        reach = float(np.linalg.norm(fit.points[first] - fall.pos(c.time_s)))
        return reach <= gap_tol + fit.unit + float(np.linalg.norm(c.vel_after)) * wait
    if c.kind == "floor":
        up_jump = -float(dv @ down)
        # moving down before, and most of the jump is upward, or the contact stopped it: a body
        # toppling over lands moving sideways as much as down (its jump 35° above the horizontal)
        stopped = float(np.linalg.norm(c.vel_after)) <= FLOOR_STOP_SHARE * float(np.linalg.norm(c.vel_before))
        ok = float(c.vel_before @ down) > 0 and (up_jump > 0.6 * jump or stopped)
    else:  # wall: the sideways velocity reverses
        before, after = _sideways(c.vel_before, down), _sideways(c.vel_after, down)
        ok = float(before @ after) < 0 and float(np.linalg.norm(_sideways(dv, down))) > 0.6 * jump
    if c.kind == "floor" and floor_ref is not None and not self_evident_fall(c, fit):
        level_tol = 1.5 * fit.unit + 3.0 * fit.noise + 3.0 * c.gap_sigma + 0.15 * jump * frame_dt
        ok = ok and abs(float(c.pos @ down) - floor_ref) <= level_tol
    return ok and c.gap <= gap_tol


def find_contacts(fit: FlightFit, *, frame_dt: float, min_jump: float, body_size: float = 0.0) -> list[Contact]:
    """Validate every cut of `fit`; cuts that are not impacts are merged away when one curve fits both sides.

    body_size: the object's size in the fit's units (0: a point). Modifies fit.segments in place
    and returns the impacts in time order. A cut that is no impact
    is merged away when one curve fits both sides; a segment of one or two samples that makes no
    impact with a neighbour is dropped (typically a motion-blurred contact frame); otherwise the
    cut stays a segment boundary without an impact (the motion changes there for another reason).
    A short segment where a real fall lands is kept (`_where_a_fall_landed`).
    """
    _drop_blurred_slivers(fit, frame_dt=frame_dt, min_jump=min_jump)
    floor_ref = _reference_floor(fit, frame_dt=frame_dt, min_jump=min_jump)
    keep_cut: set[tuple[int, int]] = set()  # (first sample after the cut) of cuts kept without impact
    changed = True
    while changed:
        changed = False
        for i in range(len(fit.segments) - 1):
            a, b = fit.segments[i], fit.segments[i + 1]
            if (b.i0, b.kind) in keep_cut or (a.kind == GROUND and b.kind == FLIGHT):
                continue  # a release (or a kick) is not an impact
            if not (a.kind == GROUND and b.kind == GROUND):
                c = contact_between(fit, i, frame_dt=frame_dt)
                if c is not None and is_physical(c, fit, frame_dt=frame_dt, min_jump=min_jump,
                                                 floor_ref=floor_ref, body_size=body_size):
                    continue
            merged = _best_merge(fit, a, b)
            if merged is not None:
                fit.segments[i : i + 2] = [merged]
            elif min(a.n, b.n) <= 2 and len(fit.segments) > 2 and not _where_a_fall_landed(
                    fit, i if a.n <= b.n else i + 1, frame_dt=frame_dt, min_jump=min_jump, floor_ref=floor_ref,
                    body_size=body_size):
                del fit.segments[i if a.n <= b.n else i + 1]
            else:
                keep_cut.add((b.i0, b.kind))
                continue
            changed = True
            break
    out = []
    for i in range(len(fit.segments) - 1):
        a, b = fit.segments[i], fit.segments[i + 1]
        if (b.i0, b.kind) in keep_cut:
            continue
        c = contact_between(fit, i, frame_dt=frame_dt, floor_level=_floor_level(out, fit))
        if c is not None:
            out.append(c)
    return out


FALL_CHAIN_MIN_SAMPLES = 3  # the last flight of a fall cut in two still bounds its landing with this many


def _real_fall(fit: FlightFit, seg: Segment, body_size: float, *, fall_samples: int | None = None) -> bool:
    """Whether flight segment `seg` is a fall a landing can be judged by: VANISHED_LANDING_MIN_FLIGHT
    samples or more, its centre coming down by STOP_MIN_FALL_SHARE of the body's size at least (a few
    samples of a toppling body's arc, or a body pushed off its rest, are not). fall_samples: the
    samples of the whole fall it ends (`fall_samples_before`), when the fit may have cut that fall in
    two (a box tipping off a ledge: 7 + 4 samples); then FALL_CHAIN_MIN_SAMPLES of its own will do."""
    own_min = VANISHED_LANDING_MIN_FLIGHT
    if fall_samples is not None and fall_samples >= VANISHED_LANDING_MIN_FLIGHT:
        own_min = FALL_CHAIN_MIN_SAMPLES
    if seg.kind != FLIGHT or seg.n < own_min:
        return False
    down = fit.down
    levels = seg.pos(fit.t_s[seg.i0 : seg.i1 + 1]) @ down
    return float(levels[-1] - levels.min()) >= STOP_MIN_FALL_SHARE * body_size


LANDED_DOWN_SPEED_SHARE = 0.25  # a body still coming down at this share of its fall's speed has not landed


def _where_a_fall_landed(fit: FlightFit, j: int, *, frame_dt: float, min_jump: float, floor_ref: float | None,
                         body_size: float) -> bool:
    """Whether segment j, of one or two samples, is where a real fall landed: the flight before it is
    a fall (`_real_fall`), and the two meet in a physical floor contact that takes speed away and
    leaves the body no longer coming down (LANDED_DOWN_SPEED_SHARE: a segment made of the fall's last
    sample and the first landed one, a merged blob left out between them, still comes down).

    A short segment whose cut on its other side is no impact is dropped as a blurred contact frame;
    but a body seen where it landed for two frames, then merged with another blob (a block that slid
    off a ledge, 37 cm of fall, 2.8 m/s), lost its landing with those two frames, and the fall ran
    on into the merged blob's "flight"."""
    if j == 0:
        return False
    c = contact_between(fit, j - 1, frame_dt=frame_dt)
    if c is None or not _real_fall(fit, fit.segments[j - 1], body_size, fall_samples=fall_samples_before(c, fit)):
        return False  # a bounce's short hop, whose two-sample "landing" is noise
    down = fit.down
    return (c.kind in ("floor", "landing")
            and float(c.vel_after @ down) < LANDED_DOWN_SPEED_SHARE * float(c.vel_before @ down)
            and float(np.linalg.norm(c.vel_after)) < float(np.linalg.norm(c.vel_before))
            and is_physical(c, fit, frame_dt=frame_dt, min_jump=min_jump, floor_ref=floor_ref, body_size=body_size))


# a body's centre at contact lies up to this share of its size above its lowest (edge vs face): a
# sample that shows it already stopped is no farther above where its fits meet (gating.py checks
# floor levels with it too)
BODY_LEVEL_SHARE = 0.5
# a stop is looked for only after the centre fell this share of the body's size in the flight before
# (a block pushed off its rest by a crate landing on it came down 3 cm, 0.1 of its size, and a blob
# merged with the crate's "stopped" it a frame after that)
STOP_MIN_FALL_SHARE = 0.5


def stopped_by_then(c: Contact, fit: FlightFit, *, frame_dt: float, body_size: float = 0.0) -> Contact:
    """`c`, moved earlier when a sample that no segment's curve explains (an outlier, or left by a
    dropped sliver), between its fall's last fitted sample and its time, shows the object already
    stopped: above the fall's parabola by more than the noise and than a tumbling body's outline
    wobbles (BODY_GAP_SHARE of `body_size`, the object's size in the fit's units), yet near the level
    where it stopped (BODY_LEVEL_SHARE of its size; `_stop_level`). The fall must be one:
    VANISHED_LANDING_MIN_FLIGHT samples or more (a few samples of a toppling body's arc are not),
    coming down by STOP_MIN_FALL_SHARE of its size. frame_dt: the clip's frame period, s.

    Where the fits meet is late when the body does not rebound at once: a crate landing on an edge
    and settling 4 cm lower over the next frames had its fall meet its resting level 1.2 frames
    after the contact, the samples in between outliers of both fits. The first stopped sample
    bounds the contact: it is where the fall reaches that sample's level (between it and the sample
    before), with the speeds of both fits there. Only for a fall the caller trusts (its scale and
    gravity measured): a guessed scale's "parabola" of a toppling post is an arc."""
    a, b = fit.segments[c.before], fit.segments[c.after]
    if c.kind not in ("floor", "landing") or not _real_fall(fit, a, body_size, fall_samples=fall_samples_before(c, fit)):
        return c  # no fall: a body pushed or tipping from rest, whose blob merges with what it leans on
    t_end = float(fit.t_s[a.i1])
    down = fit.down
    unfitted = np.ones(len(fit.t_s), bool)  # samples no segment's curve explains (a sliver's, dropped)
    for sg in fit.segments:
        unfitted[sg.i0 : sg.i1 + 1] = False
    ts = np.concatenate([fit.t_s[unfitted], fit.outlier_t_s])
    ps = np.concatenate([fit.points[unfitted], fit.outlier_points.reshape(-1, fit.points.shape[1])])
    between = np.flatnonzero((ts > t_end + 1e-9) & (ts < c.time_s - 1e-9))
    if between.size == 0:
        return c
    prev = t_end
    stop_level = _stop_level(c, fit, t_end, down, frame_dt=frame_dt)
    for k in between[np.argsort(ts[between])]:
        tk = float(ts[k])
        q = float(ps[k] @ down)
        stopped = float(above_fall(a, tk, ps[k], down)) > max(off_fall_tolerance(fit), BODY_GAP_SHARE * body_size)
        if stopped and stop_level - q <= BODY_LEVEL_SHARE * body_size:
            tc = landing_time(a, q, down, prev, tk)
            if tc is None:
                tc = 0.5 * (prev + tk)
            va = a.vel(tc)
            vb = b.vel(tc) if b.kind == FLIGHT else c.vel_after
            return dataclasses.replace(c, time_s=float(tc), pos=0.5 * (a.pos(tc) + b.pos(tc)), vel_before=va,
                                       vel_after=vb)
        prev = tk
    return c


# the frames after a contact in which the body must be seen for its lowest place there to count
STOP_LEVEL_WINDOW_FRAMES = 2.0


def _stop_level(c: Contact, fit: FlightFit, t_end: float, down: np.ndarray, *, frame_dt: float) -> float:
    """Where the body stopped at contact `c` (along `down`): where its fits meet, unless the body was
    seen within STOP_LEVEL_WINDOW_FRAMES after the contact and never came that low since its fall's
    last fitted sample (t_end); then the lowest place it was seen there. Two parabolas that meet
    past the samples, a flight's and its rebound's, can meet below the floor (a crate landing on an
    edge, then slapping flat: 9 cm below its lowest sample), and a stopped sample then looked too
    high above that meeting to bound the contact (its fall met the rebound 1 frame late)."""
    meet = float(c.pos @ down)
    t_all = np.concatenate([fit.t_s, fit.outlier_t_s])
    q_all = np.concatenate([fit.points, fit.outlier_points.reshape(-1, fit.points.shape[1])]) @ down
    window = (t_all > t_end + 1e-9) & (t_all <= c.time_s + STOP_LEVEL_WINDOW_FRAMES * frame_dt)
    seen_after = window & (t_all > c.time_s)
    if not seen_after.any():
        return meet  # nothing seen after the contact (a gap, the track's end): no better level
    lowest = float(q_all[window].max())
    return lowest if meet > lowest + off_fall_tolerance(fit) else meet


def _drop_blurred_slivers(fit: FlightFit, *, frame_dt: float, min_jump: float) -> None:
    """Remove runs of one- or two-sample segments between two longer flights when the two flights
    alone make a clean impact: such slivers are the blurred, half-hidden or camouflaged frames
    around a contact, not extra bounces."""
    i = 1
    while i < len(fit.segments) - 1:
        if fit.segments[i].n > 2 or fit.segments[i - 1].n < 3 or fit.segments[i - 1].kind != FLIGHT:
            i += 1
            continue
        j = i
        while j < len(fit.segments) and fit.segments[j].n <= 2 and (fit.segments[j].i1 - fit.segments[i].i0) < 5:
            j += 1
        if j >= len(fit.segments) or fit.segments[j].n < 3:
            i = j + 1
            continue
        a, b = fit.segments[i - 1], fit.segments[j]
        c = _contact(fit, a, b, i - 1, frame_dt=frame_dt)
        if c is not None and is_physical(c, fit, frame_dt=frame_dt, min_jump=min_jump):
            del fit.segments[i:j]
        else:
            i = j


def _reference_floor(fit: FlightFit, *, frame_dt: float, min_jump: float) -> float | None:
    """Floor level (along gravity) where the clearest bounces of the first segmentation meet it."""
    down = fit.down
    found = []
    for i in range(len(fit.segments) - 1):
        if fit.segments[i].kind != FLIGHT or fit.segments[i + 1].kind != FLIGHT:
            continue
        c = contact_between(fit, i, frame_dt=frame_dt)
        if c is not None and c.kind == "floor" and min(fit.segments[i].n, fit.segments[i + 1].n) >= 3 \
                and is_physical(c, fit, frame_dt=frame_dt, min_jump=min_jump):
            found.append((float(np.linalg.norm(c.vel_after - c.vel_before)), float(c.pos @ down)))
    if len(found) < 2:
        return None
    # the level most bounces agree on (a mis-assigned bounce of another object is at its own level)
    tol = 2.0 * fit.unit + 3.0 * fit.noise
    support = [sum(j2 for j2, l2 in found if abs(l2 - lvl) <= tol) for _, lvl in found]
    best = found[int(np.argmax(support))][1]
    agree = [lvl for _, lvl in found if abs(lvl - best) <= tol]
    return float(np.median(agree)) if len(agree) >= 2 else None


def _floor_level(contacts: list[Contact], fit: FlightFit) -> float | None:
    """Where the object met the floor in its earlier bounces (they all touch the same floor)."""
    down = fit.down
    levels = [float(c.pos @ down) for c in contacts if c.kind == "floor"]
    return float(np.median(levels[-3:])) if levels else None


def _best_merge(fit: FlightFit, a: Segment, b: Segment) -> Segment | None:
    """One segment over a and b if either model fits it about as well as the noise allows, else None."""
    best = None
    for kind in (FLIGHT, GROUND):
        seg = fit_segment(fit.t_s, fit.points, a.i0, b.i1, kind, fit.accel, fit.noise, fit.ground_drift)
        if best is None or seg.rms < best.rms:
            best = seg
    limit = max(3.0 * fit.noise, 1.5 * max(a.rms, b.rms))
    return best if best.rms <= limit else None


def final_landing(fit: FlightFit, contacts: list[Contact], *, frame_dt: float, t_end_s: float,
                  vanished_at_s: float | None = None, vanished_pos: np.ndarray | None = None) -> Contact | None:
    """The landing that ends a track: the object vanished on reaching the floor.

    A resting object becomes background, so the frames after its last landing may show nothing to
    fit. When the last flight is coming down and would reach the floor level of the earlier
    bounces within a couple of frames after its last sample, that landing is reported, with the
    speed after it taken as zero (unknown, and small: the object stopped there).

    vanished_at_s, vanished_pos: the time and place of the track's last sample (fitted or not), when
    the caller allows a landing nobody saw (see `_vanished_landing`): a first one, or one after
    earlier contacts whose floor is not where this fall ends (a block bounces on an edge, then lands
    flat: its centre lower); None: only landings on a floor seen in earlier bounces.
    """
    if not fit.segments:
        return None
    level = _floor_level(contacts, fit)
    landing = _landing_on_floor(fit, level, frame_dt=frame_dt, t_end_s=t_end_s) if level is not None else None
    if landing is not None or vanished_at_s is None:
        return landing
    return _vanished_landing(fit, frame_dt=frame_dt, t_end_s=t_end_s, t_last_s=vanished_at_s,
                             last_pos=vanished_pos, after=contacts[-1].after if contacts else 0)


def _landing_on_floor(fit: FlightFit, level: float, *, frame_dt: float, t_end_s: float) -> Contact | None:
    """The last flight's landing on the floor `level` of earlier bounces, within a couple of frames
    after its last sample (see `final_landing`)."""
    if fit.segments[-1].kind != FLIGHT or fit.segments[-1].n < 3:
        return None
    seg = fit.segments[-1]
    down = fit.down
    t_last = float(fit.t_s[seg.i1])
    if float(seg.vel(t_last) @ down) <= 0:
        return None  # still going up: it left the picture or the track, it did not land
    hi = t_last + 2.5 * frame_dt
    if hi > t_end_s:
        return None  # the clip ends: nothing to say about a vanishing
    tol = off_fall_tolerance(fit)
    early = _landing_before_last_sample(fit, level, down, tol)
    if early is not None:
        return early
    tc = _landing(seg, level, down, t_last, hi)
    pos = seg.pos(tc)
    if tc <= t_last or abs(float(pos @ down) - level) > tol:
        return None
    v = seg.vel(tc)
    return Contact(tc, pos, v, np.zeros_like(v), "landing", 0.0, seg.pos_sigma(tc), seg.vel_sigma(),
                   len(fit.segments) - 1, len(fit.segments))


def _landing_before_last_sample(fit: FlightFit, level: float, down: np.ndarray, tol: float) -> Contact | None:
    """A final flight whose last sample already rests on the floor (one frame after the landing).

    That sample is absorbed into the flight's fit; without it the flight passes through the floor
    before the sample's time. Then the flight is refitted without it, the sample becomes a one-sample
    ground segment, and the landing is where the refitted flight meets the floor.
    """
    seg = fit.segments[-1]
    if seg.n < 5:
        return None
    k = seg.i1
    t_prev, t_k = float(fit.t_s[k - 1]), float(fit.t_s[k])
    q_k = float(fit.points[k] @ down)
    if abs(q_k - level) > tol:
        return None  # the last sample is not on the floor
    trimmed = fit_segment(fit.t_s, fit.points, seg.i0, k - 1, FLIGHT, fit.accel, fit.noise)
    if float(trimmed.vel(t_prev) @ down) <= 0 or float(trimmed.pos(t_prev) @ down) > level:
        return None  # not coming down, or already below the floor
    if float(trimmed.pos(t_k) @ down) < level + tol:
        return None  # the flight alone explains the last sample: no landing before it
    if trimmed.rms > 1.5 * fit.noise + 0.5 * fit.unit or trimmed.rms >= seg.rms:
        return None
    tc = _landing(trimmed, level, down, t_prev, t_k)
    if not (t_prev < tc < t_k):
        return None
    rest = fit_segment(fit.t_s, fit.points, k, k, GROUND, fit.accel, fit.noise)
    fit.segments[-1:] = [trimmed, rest]
    return Contact(tc, trimmed.pos(tc), trimmed.vel(tc), np.zeros(fit.points.shape[1]), "landing", 0.0, trimmed.pos_sigma(tc),
                   trimmed.vel_sigma(), len(fit.segments) - 2, len(fit.segments) - 1)


# a first landing inferred from a vanishing needs a well-measured fall before it, and at most a
# few stray samples after that fall (a blob merging with its shadow near the floor)
VANISHED_LANDING_MIN_FLIGHT = 5
VANISHED_LANDING_MAX_TAIL = 3


def _vanished_landing(fit: FlightFit, *, frame_dt: float, t_end_s: float, t_last_s: float,
                      last_pos: np.ndarray | None = None, after: int = 0) -> Contact | None:
    """A landing that no frame shows: the object fell, then vanished from one frame to the next.

    An object at rest is background (under a moving camera at once, as it moves with the room), so
    a fall that ends in a landing can leave nothing after its last flight sample, and no earlier
    bounce tells where the floor is. The contact is then between the track's last sample and the
    next frame; it is put half a frame after that sample (off by half a frame at most), with the
    fall's speed there. Only a fall of VANISHED_LANDING_MIN_FLIGHT samples or more after segment
    `after` (the object's last contact) qualifies, and what the track shows after it must be brief
    (VANISHED_LANDING_MAX_TAIL samples, never above the fall's parabola: the object was not on its
    way back up; they may make a short flight of their own: a blob merging with its shadow near the
    floor is pulled down faster than the fall, and a 3-sample tail split off that way left a box's
    3 m/s landing unreported). The landing is marked unseen, with the speed of the fall itself.

    last_pos: the track's last sample, fitted or not (a blob half gone into the background as the
    object settles is not fitted): seen above the fall's parabola, the object had already landed
    there, and the contact is where the fall reaches that level (a slab seen flat on the floor one
    frame after its last fall sample: its landing, put half a frame after that sample, came out 1.3
    frames late).
    """
    falls = [k for k, sg in enumerate(fit.segments)
             if k >= after and sg.kind == FLIGHT and sg.n >= VANISHED_LANDING_MIN_FLIGHT]
    if not falls:
        return None
    k = falls[-1]
    seg = fit.segments[k]
    tail = fit.segments[k + 1 :]
    if sum(sg.n for sg in tail) > VANISHED_LANDING_MAX_TAIL:
        return None
    t_fit_end = float(fit.t_s[seg.i1])
    if t_last_s - t_fit_end > (VANISHED_LANDING_MAX_TAIL + 1.5) * frame_dt:
        return None  # the track went on long after the fall (one frame may lack a blob): not a vanishing
    if t_last_s + 1.5 * frame_dt > t_end_s:
        return None  # the clip ends: nothing to say about a vanishing
    down = fit.down
    after = slice(seg.i1 + 1, len(fit.t_s))
    rise = above_fall(seg, fit.t_s[after], fit.points[after], down)
    if rise.size and float(rise.max()) > off_fall_tolerance(fit):
        return None  # it came back up: a bounce, not a landing
    tc = t_last_s + 0.5 * frame_dt
    if last_pos is not None and t_last_s > t_fit_end:
        if float(above_fall(seg, t_last_s, last_pos, down)) > off_fall_tolerance(fit):
            q_last = float(np.asarray(last_pos) @ down)
            tc = _landing(seg, q_last, down, t_fit_end, t_last_s)  # stopped before its last sample
    v = seg.vel(tc)
    if float(v @ down) <= 0.5 * float(np.linalg.norm(v)):
        return None  # not coming down steeply: it left the picture or the track, it did not land
    del fit.segments[k + 1 :]  # the stray samples belong to the fall (the fit now ends with it)
    return Contact(tc, seg.pos(tc), v, np.zeros_like(v), "landing", 0.0, seg.pos_sigma(tc), seg.vel_sigma(),
                   k, k + 1, seen=False)
