"""Which impacts make a sound: the tests an impact must pass, and its confidence.

An impact found by the trajectory fit (impacts.py) is a candidate. It is *sonified* only when the
object's metric trajectory shows what a real impact looks like:

- free flight before the contact: the segment before it is a flight (acceleration = the fit's
  gravity), long enough (FLIGHT_SAMPLES_FULL samples give full confidence; MIN_FLIGHT_SAMPLES at
  least, one fewer for a contact right on the floor the object's other bounces met, or at the end
  of a hop off the floor that a real fall met) and following its parabola to within the noise; no
  frame between that flight and the contact shows the body more than its size away from it; a
  flight that starts from rest ends more than half the body's longest extent lower (else the body
  tipped over about an edge: a pivot, not a free fall) — except where it lands after toppling onto
  its side (the first contact since it left rest at least TOPPLE_MIN_DROP_SHARE of its extent
  lower, after which it goes no lower): that landing sounds, at the speed its drop gives a body
  turning about an edge (`pivot_landing_speed`), and no gravity or parabola is asked of its arc;
- that gravity is gravity: downward (within MAX_GRAVITY_TILT_DEG of the frame's "down") and of
  the expected size in m/s² (a geometry whose scale does not come from gravity can show otherwise);
- a contact with a consistent surface: a floor contact lies at the level of the object's other
  floor contacts (give or take BODY_LEVEL_SHARE of the body's size: a block's centre is higher when
  it meets the floor on an edge than on a face), a landing either there or where the object then stays at rest (it is held
  there: a body that falls onto another one rests on its top); a first landing that no frame
  shows (the object vanished coming down, as a body at rest becomes background) scores
  UNSEEN_LANDING_SCORE here;
- a speed change the fit supports (the velocity jump well above its standard error, see
  impacts.Contact.significance) and a loss of
  speed (v_after < v_before: an "impact" that speeds the object up is not one);
- a rigid object (see `rigidity`): a face, a body or cloth changes its outline as it moves;
- a passive object (see `energy_gained`): one that regains in the air what its contacts took is
  driven (a hand, a motor, an animated figure), and none of its contacts is an impact;
- bouncing, not moving steadily on (see `steady_runs`): in a run of contacts close together whose
  flights give back at least half of what the contacts took, the body keeps its speed (a tin
  rolling on, its outline wobbling), and only the run's first contact may be an impact;
- enough trajectory on both sides: not within shots.IMPACT_GUARD_S of a cut or fade.

Each graded test gives a score in 0..1; the impact's confidence is the smallest. A failed hard test
(no flight before, seen away from it, tipped over from rest, no speed loss, not gravity, driven, steady,
non-rigid, near a cut) or a confidence below `EstimateOptions.min_impact_confidence` leaves the
impact in physics.json with `sonified: false` and the reason in plain words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .flight import FLIGHT, GROUND, FlightFit, unit_down
from .impacts import BODY_LEVEL_SHARE, Contact, fall_samples_before, self_evident_fall

if TYPE_CHECKING:
    from .tracks import PhysicsTracks

DEFAULT_MIN_IMPACT_CONFIDENCE = 0.5
FLIGHT_SAMPLES_FULL = 4  # flight samples before the contact that give full confidence (3: 2/3)
MIN_FLIGHT_SAMPLES = 3  # fewer: no free flight to speak of
MAX_GRAVITY_TILT_DEG = 35.0
GRAVITY_REL_TOL = 0.25  # implied gravity within ±25 % of g: full confidence, falling to none at ±60 %
GRAVITY_REL_ZERO = 0.6
GRAVITY_REL_MAX = 0.5  # beyond ±50 %: not gravity at all
JUMP_SIGMAS = (5.0, 8.0)  # a velocity jump of 5 standard errors: zero confidence; of 8 or more: full
SUPPORTED_REST_SAMPLES = 5  # a landing followed by this many samples at rest lies on a surface (it is held there)
UNSEEN_LANDING_SCORE = 0.6  # a landing no frame shows (the object vanished coming down): sounds, with less confidence
PARABOLA_RMS = (8.0, 4.0)  # the flight before, off its parabola by 8 noise sigmas: zero; by 4 or less: full

# plain-words reasons (also the note's wording)
NO_FLIGHT = "no free fall before contact"
SHORT_FLIGHT = "too little free fall before contact"
NOT_GRAVITY = "the motion before contact does not accelerate like gravity"
NO_SPEED_LOSS = "no speed loss (v_after >= v_before)"
OFF_FLIGHT = "the object was seen away from its free fall before contact"
TIPPED = "it tipped over from rest (a pivot, not a free fall): its speed is not measured"
WEAK_JUMP = "the speed change is not supported by the trajectory fit"
SURFACE = "contact not at a consistent surface"
ROUGH_FLIGHT = "the flight before contact does not follow a parabola"
NEAR_CUT = "too close to a cut (less than 0.25 s of the shot on one side)"
NON_RIGID = "non-rigid motion (the object's outline changes as it moves)"
DRIVEN = "the object gains energy after its contacts (driven motion, not a free fall)"
STEADY = "its speed does not fall from contact to contact (a body rolling or sliding on, not bouncing)"
NO_OWN_FALL = "its track shows no free fall of its own (only a topple's landing can sound)"
LOW_CONFIDENCE = "confidence below the threshold"
HANDED_OVER = "the object did not vanish: another track takes over where it was last seen (no landing seen)"
NO_FLOOR_THERE = "the object vanished far above the floor the other objects met (no landing seen)"
UNSURE_LANDING = "the landing it tipped over after is not sure enough"

_SCORE_REASONS = {"flight": SHORT_FLIGHT, "gravity": NOT_GRAVITY, "jump": WEAK_JUMP, "surface": SURFACE,
                  "parabola": ROUGH_FLIGHT, "landing": UNSURE_LANDING}


@dataclass
class ImpactCheck:
    """The tests of one candidate impact."""

    scores: dict[str, float] = field(default_factory=dict)  # graded tests, 0..1
    failed: str | None = None  # the first hard test failed (plain words), else None
    facts: dict[str, float] = field(default_factory=dict)  # the measured quantities behind the scores

    @property
    def confidence(self) -> float:
        return 0.0 if self.failed else min(self.scores.values(), default=0.0)

    def reason(self, min_confidence: float) -> str | None:
        """Why this impact is not sonified at `min_confidence`, or None when it is."""
        if self.failed:
            return self.failed
        conf = self.confidence
        if conf >= min_confidence:
            return None
        worst = min(self.scores, key=self.scores.get)
        return f"{_SCORE_REASONS.get(worst, LOW_CONFIDENCE)} (confidence {conf:.2f} < {min_confidence:g})"


def _ramp(x: float, zero: float, full: float) -> float:
    """0 at `zero`, 1 at `full`, linear between (either order)."""
    if full == zero:
        return float(x >= full)
    return float(np.clip((x - zero) / (full - zero), 0.0, 1.0))


def rest_samples_after(c: Contact, fit: FlightFit) -> int:
    """Samples the object spends on a support right after contact `c`: the run of non-flight segments
    that follows it (a body rocking on the box it fell onto is fitted as several short pieces)."""
    if not (c.seen and 0 <= c.after < len(fit.segments)):
        return 0
    n = 0
    for seg in fit.segments[c.after:]:
        if seg.kind == FLIGHT:
            break
        n += int(seg.n)
    return n


def rests_after(c: Contact, fit: FlightFit) -> bool:
    """A landing the object stays at (SUPPORTED_REST_SAMPLES or more at rest after it): a surface of its own."""
    return c.kind == "landing" and rest_samples_after(c, fit) >= SUPPORTED_REST_SAMPLES


def flight_samples_before(c: Contact, fit: FlightFit) -> int:
    """Samples of free flight in the segment that ends at contact `c` (0: none)."""
    seg = fit.segments[c.before] if 0 <= c.before < len(fit.segments) else None
    return seg.n if seg is not None and seg.kind == FLIGHT else 0


def samples_off_flight(c: Contact, fit: FlightFit, body_size: float) -> int:
    """Fitted samples between the end of the flight before contact `c` and the contact that lie more
    than the body's size off that flight's parabola: the object was seen elsewhere in the time the
    flight is extrapolated over (a slab tumbling on the floor, whose short pieces the contact search
    dropped, "fell" on for 4 frames past them and "hit" at 1.93 m/s for 1.06). A blurred or merged
    frame just before a landing moves the centroid by a fraction of the body's size, not more."""
    seg = fit.segments[c.before] if 0 <= c.before < len(fit.segments) else None
    if seg is None or seg.kind != FLIGHT or body_size <= 0:
        return 0
    k = np.flatnonzero((fit.t_s > fit.t_s[seg.i1]) & (fit.t_s < c.time_s))
    if k.size == 0:
        return 0
    off = np.linalg.norm(fit.points[k] - seg.pos(fit.t_s[k]), axis=1)
    return int(np.sum(off > body_size))


HOP_MIN_FRAMES = 2.0  # a hop between two floor contacts lasts at least this many frame periods
REST_SPEED_MPS = 0.5  # a support's segment slower than this at its end: the body was at rest there
TRACK_START_REST_SPEED_MPS = 1.5  # a track that starts mid-picture moving down (or up) slower than this: from rest
TIP_DROP_SHARE = 0.55  # a body tipping over lowers its centre by at most half its longest extent
# a rigid body turning about a fixed edge from rest: m·g·d = ½·(I_cm + m·r²)·ω², v = ω·r, so
# v² = 2·g·d·r²/(r² + k²); a box or a rod (k² = r²/3) gives 3/4, an upright cylinder about the same
PIVOT_ENERGY_SHARE = 0.75
TOPPLE_MIN_DROP_SHARE = 0.15  # a body that topples onto its side lowers its centre by at least this share of its longest extent
# gravity turns a toppling body: its centre's tangential acceleration alone, ¾·g·sin φ, passes g/2
# before it lands, and a fit of its arc finds a few tenths of g. An "arc" that accelerates less than
# this share of g is a glide's or a slide's kinks, no topple
TOPPLE_MIN_ACCEL_SHARE = 0.1
# ... but under a guessed scale (a size prior) the arc's metric acceleration is off by the prior's
# error: generated posts of 0.3 m under the generic 0.15 m prior fitted 0.078-0.095 g (0.15-0.19 g
# at their true size), and four topple landings within a frame of the truth stayed silent. There
# the floor is this many times lower (a prior off by up to this factor still lets a topple through)
TOPPLE_GUESSED_SCALE_SPREAD = 2.0


def height_level(p: np.ndarray) -> float:
    """Where point `p` lies along the geometry frame's vertical (its y axis points down), in
    trajectory units. Whether a body tipped or toppled over is judged along it, not along the fit's
    gravity: a pivot's arc tilts that by up to 50°, and its sideways travel then counted as drop."""
    return float(p[1])


def rest_start_level(c: Contact, fit: FlightFit, *, track_starts_at_edge: bool) -> float | None:
    """Where (`height_level`) the flights before contact `c` started from rest, or None when they
    did not: after a support at rest (a ground segment slower than REST_SPEED_MPS at its end), or at
    the track's first sample mid-picture (an object at rest is background until it moves, so a body
    that tips over is first seen already turning: TRACK_START_REST_SPEED_MPS along gravity, whatever
    it slides sideways; or, where its first samples fit a slow drift, slower than REST_SPEED_MPS
    there)."""
    seg = fit.segments[c.before] if 0 <= c.before < len(fit.segments) else None
    if seg is None or seg.kind != FLIGHT:
        return None
    down = fit.down
    # back through the flights before it to where they started (an arc is often cut into two
    # flights; after a real fall from a support and a bounce, every contact lies as low as the fall's)
    j = c.before
    while j >= 1 and fit.segments[j - 1].kind == FLIGHT:
        j -= 1
    seg = fit.segments[j]
    if j >= 1:
        prev = fit.segments[j - 1]
        t_first = float(fit.t_s[prev.i0])
        if (j == 1 and prev.kind == GROUND and not track_starts_at_edge
                and float(np.linalg.norm(prev.vel(t_first))) < REST_SPEED_MPS):
            # first seen barely moving: a body tipping over from rest turns slowly at first, and its
            # first samples fit a slow drift (a post's, for 5 frames) before its arc: it left rest there
            return height_level(prev.pos(t_first))
        t_end = float(fit.t_s[prev.i1])
        if float(np.linalg.norm(prev.vel(t_end))) >= REST_SPEED_MPS:
            return None
        return height_level(prev.pos(t_end))
    t0 = float(fit.t_s[seg.i0])
    # at rest along gravity: a block sliding along a ledge as the clip starts is held up by it, and
    # when it starts to tip over the edge the fit's first short "flight" (its slide, bent by
    # gravity) meets the tip's and "hit" at its sliding speed (1.7 m/s, 4 frames into a 60 fps clip)
    if track_starts_at_edge or abs(float(seg.vel(t0) @ down)) >= TRACK_START_REST_SPEED_MPS:
        return None
    return height_level(seg.pos(t0))


def tipped_over(c: Contact, *, rest_level: float | None, extent: float) -> tuple[bool, float | None]:
    """(whether contact `c` ends a tip over an edge, its centre's drop from rest or None).

    A body that started from rest (`rest_start_level`) and meets a surface less than TIP_DROP_SHARE
    of its longest extent lower (`height_level`) has pivoted about an edge: no free fall."""
    if rest_level is None or extent <= 0:
        return False, None
    drop = height_level(c.pos) - rest_level
    return drop < TIP_DROP_SHARE * extent, drop


def pivot_landing_speed(drop: float, gravity_mps2: float) -> float:
    """Speed (m/s) of a body's centre as it lands after toppling over from rest about an edge, its
    centre `drop` metres lower (PIVOT_ENERGY_SHARE of the energy the drop frees goes into the
    centre's motion, the rest into the turn about it)."""
    return math.sqrt(2.0 * PIVOT_ENERGY_SHARE * gravity_mps2 * max(drop, 0.0))


def topple_drop(c: Contact, fit: FlightFit, *, rest_level: float | None, extent: float) -> float | None:
    """How far the centre came down from where the body left rest (`rest_start_level`) to contact
    `c`, when that is a topple's size: at least TOPPLE_MIN_DROP_SHARE of the body's longest `extent`
    and above the contact's level uncertainty; else None. `c` may be a landing inferred from the
    track's vanishing (`impacts.final_landing`): a body that topples and lies still at once becomes
    background as it lands, and its drop is then measured to where the arc leads at the vanishing."""
    _, drop = tipped_over(c, rest_level=rest_level, extent=extent)
    if drop is None:
        return None
    return drop if drop >= max(TOPPLE_MIN_DROP_SHARE * extent, _level_tol(c, fit)) else None


def check_contact(c: Contact, fit: FlightFit, *, gravity_mps2: float, floor_levels: list[float],
                  vertical: np.ndarray | None = None, launch_level: float | None = None,
                  launch_time_s: float | None = None, frame_dt: float | None = None,
                  body_size: float = 0.0, rest_level: float | None = None, extent: float = 0.0,
                  topple_drop_m: float | None = None) -> ImpactCheck:
    """The tests of contact `c` of `fit` (metric trajectory). floor_levels: the levels (along gravity)
    of the object's other floor contacts (not those of landings it rests at: see `rests_after`);
    vertical: the frame's "down" (default +y); launch_level, launch_time_s: the level and time of
    the floor contact the flight before `c` started from, when that contact had a free fall of its
    own before it (with launch_time_s, frame_dt: the clip's frame period, s);
    body_size: the object's size (a block's centre lies lower on its face than on its edge);
    rest_level: where the flight before `c` started from rest (`rest_start_level`), if it did;
    extent: the object's longest extent (0: unknown); topple_drop_m: when `c` is where the body
    landed after toppling over from rest (`dynamics.topple_landings`), how far its centre came down
    (`topple_drop`): if it tipped over, its landing sounds at the speed that drop gives
    (facts["pivot_speed_mps"])."""
    if launch_time_s is not None and frame_dt is None:
        raise ValueError("check_contact: launch_time_s needs frame_dt")
    check = ImpactCheck()
    v_before = float(np.linalg.norm(c.vel_before))
    v_after = float(np.linalg.norm(c.vel_after))
    seg = fit.segments[c.before] if 0 <= c.before < len(fit.segments) else None
    tilt, g_rel = gravity_deviation(fit.accel, gravity_mps2, vertical)
    n_flight = flight_samples_before(c, fit)
    rough = (seg.rms / max(fit.noise, 1e-12)) if seg is not None else math.inf
    check.facts = {"flight_samples": int(n_flight), "gravity_tilt_deg": round(tilt, 2), "gravity_rel_error": round(g_rel, 4),
                   "jump_sigmas": round(c.significance(), 2), "flight_rms_noise": round(rough, 3)}
    check.scores["flight"] = _ramp(n_flight, 1, FLIGHT_SAMPLES_FULL)
    check.scores["gravity"] = _ramp(g_rel, GRAVITY_REL_ZERO, GRAVITY_REL_TOL)
    check.scores["jump"] = _ramp(c.significance(), *JUMP_SIGMAS)
    check.scores["parabola"] = _ramp(rough, *PARABOLA_RMS)
    if not c.seen:
        # inferred from the track's vanishing: its time is known to half a frame, its floor unseen
        check.facts["landing_seen"] = False
        check.scores["surface"] = UNSEEN_LANDING_SCORE
    elif rests_after(c, fit):
        # it stays where it landed: something holds it there (the floor, or the top of another
        # object it fell onto), whatever level its other contacts had
        check.facts["rest_samples_after"] = rest_samples_after(c, fit)
        check.scores["surface"] = 1.0
    elif c.kind in ("floor", "landing") and len(floor_levels) >= 2 and self_evident_fall(c, fit):
        check.facts["surface_from_fall"] = True  # its long fall, stopped hard, met a surface: no level to match
        check.facts["fall_samples"] = fall_samples_before(c, fit)
    elif c.kind in ("floor", "landing") and len(floor_levels) >= 2:
        off = abs(contact_level(c, fit) - float(np.median(np.asarray(floor_levels, dtype=np.float64))))
        # a block meets the floor on an edge or on a face: its centre then lies at levels up to
        # BODY_LEVEL_SHARE of its size apart (a tumbling slab's bounces were "not at a consistent
        # surface" by 4-5 cm, and silent)
        tol = _level_tol(c, fit)
        body = BODY_LEVEL_SHARE * body_size
        check.facts["surface_offset_m"] = round(off, 5)
        check.scores["surface"] = _ramp(off, 3.5 * tol + body, 1.5 * tol + body)
    # two samples of flight (a ball thrown in from above the picture at 4 m/s, seen for the last two
    # frames before its first bounce) cannot show gravity, but a contact right on the floor that
    # the object's other bounces met is one of them; so is the end of a short hop that left a floor
    # after a real fall and came back to that same floor (a block's rebound after it slid off a
    # ledge: 4 frames at 24 fps, 2 of them in the air; it landed on an edge and comes back on a
    # face, its centre 8 cm lower: the same floor within half the body's size)
    on_known_floor = "surface_offset_m" in check.facts and check.scores["surface"] >= 1.0
    # (a "hop" of less than two frames is the body's second contact as it turns onto a face, no flight)
    long_enough = launch_time_s is None or c.time_s - launch_time_s >= HOP_MIN_FRAMES * float(frame_dt)
    if (not on_known_floor and n_flight == MIN_FLIGHT_SAMPLES - 1 and launch_level is not None and long_enough
            and c.kind in ("floor", "landing")):
        hop_offset = abs(contact_level(c, fit) - launch_level)
        if hop_offset <= 1.5 * _level_tol(c, fit) + BODY_LEVEL_SHARE * body_size:
            on_known_floor = True
            check.facts["hop_offset_m"] = round(hop_offset, 5)
    short_ok = n_flight == MIN_FLIGHT_SAMPLES - 1 and on_known_floor
    off_flight = samples_off_flight(c, fit, body_size)
    if off_flight:
        check.facts["samples_off_flight"] = off_flight
    # a body at rest that meets a surface less than half its length lower has tipped over about an
    # edge (toppled): its centre swung on an arc that a short parabola fits, under a "gravity"
    # that set a wrong scale (landings 50-97 % too fast in generated scenes)
    tipped, drop = tipped_over(c, rest_level=rest_level, extent=extent)
    if drop is not None:
        check.facts["drop_from_rest_m"] = round(drop, 4)
    # ... but where it lands after toppling over, the drop itself says how fast: the fit's parabola
    # says nothing of a pivot, and the body's energy does (toppling posts and bottles: landings at
    # 1.3-1.5 m/s, all silent before)
    pivot = tipped and topple_drop_m is not None
    if pivot:
        v_before = pivot_landing_speed(topple_drop_m, gravity_mps2)
        check.facts["pivot_speed_mps"] = round(v_before, 4)
        del check.scores["gravity"], check.scores["parabola"]  # no free fall to judge
        tipped = False
    if v_after >= v_before:
        check.failed = NO_SPEED_LOSS
    elif n_flight < MIN_FLIGHT_SAMPLES and not short_ok:
        check.failed = NO_FLIGHT
    elif off_flight:
        check.failed = OFF_FLIGHT
    elif tipped:
        check.failed = TIPPED
    elif not pivot and (tilt > MAX_GRAVITY_TILT_DEG or g_rel > GRAVITY_REL_MAX):
        check.failed = NOT_GRAVITY
    if short_ok:
        check.scores["flight"] = _ramp(MIN_FLIGHT_SAMPLES, 1, FLIGHT_SAMPLES_FULL)
        check.facts["short_flight_on_known_floor"] = True
    return check


def gravity_deviation(accel: np.ndarray, gravity_mps2: float, vertical: np.ndarray | None = None
                      ) -> tuple[float, float]:
    """(tilt from the frame's "down" in degrees, relative error of the size) of a fitted gravity
    `accel` (m/s²); vertical: the frame's "down" (default +y)."""
    g_vec = np.asarray(accel, dtype=np.float64)
    g_norm = float(np.linalg.norm(g_vec))
    down = np.zeros_like(g_vec)
    down[1] = 1.0
    if vertical is not None:
        down = unit_down(np.asarray(vertical, dtype=np.float64))
    tilt = math.degrees(math.acos(float(np.clip(g_vec @ down / (g_norm + 1e-12), -1.0, 1.0))))
    return tilt, abs(g_norm - gravity_mps2) / gravity_mps2


def is_gravity(accel: np.ndarray, gravity_mps2: float) -> bool:
    """A fitted acceleration (m/s², y down) that passes as gravity: not tilted beyond
    MAX_GRAVITY_TILT_DEG and its size within GRAVITY_REL_MAX of `gravity_mps2`."""
    tilt, g_rel = gravity_deviation(accel, gravity_mps2)
    return tilt <= MAX_GRAVITY_TILT_DEG and g_rel <= GRAVITY_REL_MAX


def contact_level(c: Contact, fit: FlightFit) -> float:
    """Where contact `c` lies along the fit's gravity (trajectory units)."""
    return float(c.pos @ fit.down)


def _level_tol(c: Contact, fit: FlightFit) -> float:
    """How far apart two contacts on the same surface can lie (`level_tolerance`), the contact's
    own uncertainty included."""
    return level_tolerance(fit.unit, fit.noise, c.gap_sigma)


def level_tolerance(unit: float, noise: float, gap_sigma: float = 0.0) -> float:
    """How far apart two levels of one surface can lie: a pixel or two of the metric scale (`unit`,
    metres per pixel), the track's noise and a contact's own uncertainty (`gap_sigma`)."""
    return 2.0 * unit + 3.0 * noise + 3.0 * gap_sigma


DRIVEN_GAIN_SHARE = 1.0  # energy gained after the first contact, as a share of the energy the contacts took (a passive object: none)


def energy_gained(fit: FlightFit, contacts: list[Contact]) -> tuple[float, float]:
    """(energy per unit mass gained in the air after the fit's first contact, energy the contacts took),
    in trajectory units²/s². In the air a passive object keeps its energy (a flight); where the fit
    cuts one flight from the next without any contact, the energy can only change if something
    drives the object (a hand, a motor, an animator: a star turning on a circle is cut into parabolas
    that "bounce" at its lowest point and gain back between). Contacts and rebounds off the ground
    are left out: a spinning body may turn spin into speed there. Gains within the boundaries'
    velocity uncertainty are not counted."""
    if not contacts:
        return 0.0, 0.0
    down = fit.down
    g = float(np.linalg.norm(fit.accel))

    def energy(seg, t):
        v = seg.vel(t)
        return 0.5 * float(v @ v) - g * float(seg.pos(t) @ down)

    at_contact = {c.before for c in contacts}
    first = min(c.time_s for c in contacts)
    gained = 0.0
    for i in range(len(fit.segments) - 1):
        a, b = fit.segments[i], fit.segments[i + 1]
        if i in at_contact or a.kind != FLIGHT or b.kind != FLIGHT:
            # a spinning body's contact may turn spin into speed, and leaving the ground is a rebound
            # (a contact too): only a flight that changes its energy in the air counts
            continue
        t = 0.5 * (float(fit.t_s[a.i1]) + float(fit.t_s[b.i0]))
        if t < first:
            continue
        d = energy(b, t) - energy(a, t)
        speed = max(float(np.linalg.norm(a.vel(t))), float(np.linalg.norm(b.vel(t))))
        tol = 3.0 * speed * float(np.hypot(a.vel_sigma(), b.vel_sigma()))
        if d > tol:
            gained += d
    lost = sum(max(0.5 * float(c.vel_before @ c.vel_before - c.vel_after @ c.vel_after), 0.0) for c in contacts)
    return gained, lost


# a run of this many contacts in a row, each within STEADY_RUN_GAP_S of the next, whose flights give back
# at least STEADY_REGAIN_SHARE of what the contacts took, is a body moving steadily on, not bouncing (a
# flight of 0.25 s rises 8 cm: a hop anyone sees; a passive body's flight on one floor gives back nothing)
STEADY_RUN_CONTACTS = 5
STEADY_RUN_GAP_S = 0.25
STEADY_REGAIN_SHARE = 0.5


def steady_runs(contacts: list[Contact]) -> set[int]:
    """Indices (into `contacts`) of the contacts after the first of a run of STEADY_RUN_CONTACTS or more,
    each within STEADY_RUN_GAP_S of the next, over which the kinetic energy the flights between them
    give back is at least STEADY_REGAIN_SHARE of what the contacts took.

    A passive body's bounces each take some of its energy and a flight from one floor contact to the
    next gives none back: the speed it meets the floor with decays from bounce to bounce. A body
    rolling on meets its "floor" at the same speed again and again: a tin rolling toward the camera
    after its landings, its centre lower in the picture at every turn and its outline wobbling, made
    eight "bounces" at 0.74-0.93 m/s four frames apart, and their drifting levels made its real
    3.9 m/s landing "not at a consistent surface". The run's first contact may be real (the last
    bounce before it rolls)."""
    order = sorted(range(len(contacts)), key=lambda k: contacts[k].time_s)
    out: set[int] = set()
    for i in range(len(order)):
        lost = given_back = 0.0  # in speed², per unit of half the mass
        for j in range(i + 1, len(order)):
            a, b = contacts[order[j - 1]], contacts[order[j]]
            if b.time_s - a.time_s > STEADY_RUN_GAP_S:
                break
            after_a = float(a.vel_after @ a.vel_after)
            lost += max(float(a.vel_before @ a.vel_before) - after_a, 0.0)
            given_back += max(float(b.vel_before @ b.vel_before) - after_a, 0.0)
            if j - i + 1 >= STEADY_RUN_CONTACTS and given_back >= STEADY_REGAIN_SHARE * lost:
                out.update(order[i + 1 : j + 1])
    return out


def rigidity(areas_px: np.ndarray, aspects: np.ndarray, t_s: np.ndarray,
             elongations: np.ndarray | None = None) -> tuple[float, dict[str, float]]:
    """How much an object's outline changes beyond what motion in depth explains → (0 rigid .. 1+, facts).

    areas_px, aspects: per visible frame (not at the picture's edge), area and box aspect (w/h);
    elongations: the outline's principal-axis elongation per frame (`FrameMask.elongation`), if known.
    A rigid object's area changes smoothly with depth (a log-linear trend over the clip) and its
    box aspect only with rotation and motion blur; the score is the median deviation of log-area
    from that trend plus that of the log-aspect from its median. A turn in the picture's plane
    changes the box's aspect but not the elongation (a post toppling sideways swings its aspect ×3:
    two topple landings were silenced as "non-rigid"), so with elongations the shape's part is the
    smaller of the two deviations: a bending or stretching outline changes both.
    """
    if len(areas_px) < 8:
        return 0.0, {"outline_samples": int(len(areas_px))}
    la = np.log(np.maximum(areas_px, 1.0))
    coef = np.polyfit(t_s - t_s.mean(), la, 1)
    area_dev = float(np.median(np.abs(la - np.polyval(coef, t_s - t_s.mean()))))
    aspect_dev = _median_log_deviation(aspects)
    facts = {"outline_area_dev": round(area_dev, 4), "outline_aspect_dev": round(aspect_dev, 4),
             "outline_samples": int(len(areas_px))}
    shape_dev = aspect_dev
    if elongations is not None:
        elongation_dev = _median_log_deviation(elongations)
        facts["outline_elongation_dev"] = round(elongation_dev, 4)
        shape_dev = min(aspect_dev, elongation_dev)
    return area_dev + shape_dev, facts


def _median_log_deviation(values: np.ndarray) -> float:
    """Median |log(value) − median log(value)|."""
    lv = np.log(np.maximum(np.asarray(values, dtype=np.float64), 1e-3))
    return float(np.median(np.abs(lv - np.median(lv))))


def _about_as_big(b: list[float], side: float) -> bool:
    """Box `b`'s longer side within a factor of two of `side` (the same object seen again)."""
    return 0.5 * side <= max(b[2] - b[0], b[3] - b[1]) <= 2.0 * side


def _box_centre(b: list[float]) -> np.ndarray:
    return np.array([0.5 * (b[0] + b[2]), 0.5 * (b[1] + b[3])])


# a track that starts where a fall vanished carries the fall on (the tracker handed it over) when its
# centre moves at least this share of the fall's last step per frame; one that starts still there is
# the body where it landed
HANDOVER_MOVING_SHARE = 0.5
HANDOVER_START_FRAMES = 3  # a new track's first frames that tell whether it moves on


def _start_step_px(boxes: list, first: int) -> float | None:
    """How far a track's box centre moves per frame at most over its first HANDOVER_START_FRAMES
    frames after `first`, None with no box there."""
    c0 = _box_centre(boxes[first])
    steps = [float(np.linalg.norm(_box_centre(boxes[k]) - c0)) / (k - first)
             for k in range(first + 1, min(first + 1 + HANDOVER_START_FRAMES, len(boxes))) if boxes[k] is not None]
    return max(steps) if steps else None


def _end_step_px(boxes: list, last: int) -> float | None:
    """How far a track's box centre moved per frame into its sample at `last` (from the box seen before
    it), None with no earlier box."""
    before = next((k for k in range(last - 1, -1, -1) if boxes[k] is not None), None)
    if before is None:
        return None
    return float(np.linalg.norm(_box_centre(boxes[last]) - _box_centre(boxes[before]))) / (last - before)


def silence_unseen_landings_without_support(tracks: PhysicsTracks) -> None:
    """Silence (in place) each unseen landing (`landing_seen: false`) that the other objects contradict.

    A track can end in mid-fall because the tracker lost the object, not because it came to rest:
    - another track of about its size in the picture starts, within two frames, where the object
      was last seen, and moves on from there (the tracker handed it over): it was still in view
      (HANDED_OVER); a smaller or bigger one is another object coming out of a merged blob, and one
      that starts still there is the body where it landed (a box come down on another one, their
      blobs merged: its track ends and a still one starts where it lies); a new track seen in one
      frame only, or a fall seen in one, tells nothing of the motion and is taken as handed over;
    - the other objects of the shot met the floor far lower than where it vanished (its centroid
      above theirs by more than both objects' sizes and the distance it falls in a frame): it did
      not land, it was lost in the air (NO_FLOOR_THERE). The floor is taken as y = const in the
      geometry's frame (y down); under a camera tilted down a far landing looks higher and may be
      silenced (the safe side). The test needs other objects' seen floor contacts, else it passes.
    """
    floor_hits = [(float(im.extra["position_m"][1]), float(o.size_m or 0.0), o.id)
                  for o in tracks.objects for im in o.impacts
                  if im.sonified and im.extra.get("surface") in ("floor", "landing") and "position_m" in im.extra
                  and (im.extra.get("checks") or {}).get("landing_seen", True)]
    starts = []
    for o in tracks.objects:
        first = next((k for k, b in enumerate(o.box_xyxy_px or []) if b is not None), None)
        if first is not None:
            starts.append((o.id, first, o.box_xyxy_px[first], _start_step_px(o.box_xyxy_px, first)))
    for obj in tracks.objects:
        for im in obj.impacts:
            if not im.sonified or (im.extra.get("checks") or {}).get("landing_seen", True):
                continue
            boxes = obj.box_xyxy_px or []
            seen = [k for k in range(min(im.frame, len(boxes) - 1), -1, -1) if boxes[k] is not None]
            if seen:
                last, box = seen[0], boxes[seen[0]]
                reach = max(box[2] - box[0], box[3] - box[1])  # about the object's size in the picture
                fall_step = _end_step_px(boxes, last)
                if any(oid != obj.id and last < first <= last + 2 and _about_as_big(b, reach)
                       and np.linalg.norm(_box_centre(b) - _box_centre(box)) <= reach
                       and (fall_step is None or step is None or step >= HANDOVER_MOVING_SHARE * fall_step)
                       for oid, first, b, step in starts):
                    im.sonified, im.reason = False, HANDED_OVER
                    continue
            size = float(obj.size_m or 0.0)
            others = [(y, s) for y, s, oid in floor_hits if oid != obj.id]
            if others and "position_m" in im.extra:
                y = float(im.extra["position_m"][1])
                if all(y < y_hit - size - s - im.v_before / tracks.fps for y_hit, s in others):
                    im.sonified, im.reason = False, NO_FLOOR_THERE
