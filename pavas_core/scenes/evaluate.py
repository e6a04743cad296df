"""Scoring estimated physics against a synthetic scene's ground truth.

Impacts are matched one-to-one, nearest in time (and speed: `match_impacts`) first, when their
contact times differ by at most `tolerance_frames` frame periods; pairs on the same object
(`owner_of_impact`: the true box that holds the estimate's box centre at the contact) go before
pairs across objects, so that one object's slow last hop (not counted) cannot take the estimate of
another object's bounce a frame away. Recall counts the true impacts that can be seen (the object's
centre is in the picture one frame before, at and one frame after the contact; see
scene.ground_truth_tracks) and are at least `min_speed_mps` fast. An estimate that lands on any
true impact (of any speed, seen or not) is not a false alarm; `precision` counts every estimated
impact, `precision_fast` those estimated at least `min_speed_mps` fast (the same class as recall).
Only sonified estimates count (an impact kept silent, `sonified: false`, makes no sound and claims
nothing); a true impact marked `near_cut` (within 0.25 s of a hard cut: too little trajectory on
one side) is not asked for, though an estimate that lands on it is not a false alarm either.
`recall_observable` asks only for the impacts whose free flight before the contact can be seen:
at least `min_flight_frames` frames (gating.MIN_FLIGHT_SAMPLES) with the object in the picture and
moving, after its previous contact (or the clip's start) and before this one, and, where the truth
says how long the object was in free flight (a rigid scene's `free_flight_s`: no contact force at
all), within that flight. An estimator that keeps an impact with no visible fall silent (the rule
of gating.py) cannot report the others: an object that bounces in the clip's first frame, drops
into the picture a frame before it lands, or pivots over an edge and slaps onto a face.

Masks (`match_masks`) are compared in one pixel grid, the coarsest of the masks involved (an
estimate made at analysis resolution cannot be asked for finer pixels; the finer masks are resized
by nearest pixel centre). Each estimated object is matched to at most one true object, one-to-one,
maximising the sum of the pairs' mean IoU over the frames where both have a mask (Hungarian
assignment); pairs that never overlap stay unmatched. Per-frame IoU is counted where the truth is
visible and its matched estimate has a mask; a frame where the truth is visible but has no
estimated mask (an unmatched true object: every visible frame) is a miss.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from ..errors import BadInputError
from ..physics.gating import MIN_FLIGHT_SAMPLES
from ..physics.masks import FrameMask, ObjectMasks
from ..physics.tracks import Impact, ObjectTrack, PhysicsTracks


@dataclass
class ImpactMatch:
    """Result of matching the impacts of one clip (or several, after `merge`)."""

    recall_hits: int = 0  # true, visible, fast impacts that were found
    recall_total: int = 0  # true, visible, fast impacts
    matched_estimates: int = 0  # estimated impacts that landed on a true impact
    total_estimates: int = 0
    matched_fast_estimates: int = 0  # the same, for estimates of at least min_speed_mps
    total_fast_estimates: int = 0
    v_before_rel_errors: list[float] = field(default_factory=list)  # of the found fast impacts
    time_errors_frames: list[float] = field(default_factory=list)
    missed: list[tuple[int, float, float]] = field(default_factory=list)  # (object id, time_s, v_before)
    false_alarms: list[tuple[int, float, float]] = field(default_factory=list)
    observable_hits: int = 0  # of the recall class, those with a visible fall before them, found
    observable_total: int = 0

    @property
    def recall(self) -> float:
        return self.recall_hits / self.recall_total if self.recall_total else float("nan")

    @property
    def recall_observable(self) -> float:
        """Recall over the true impacts whose free flight before contact can be seen (module docstring)."""
        return self.observable_hits / self.observable_total if self.observable_total else float("nan")

    @property
    def precision(self) -> float:
        """Share of all estimated impacts that are real (any speed)."""
        return self.matched_estimates / self.total_estimates if self.total_estimates else float("nan")

    @property
    def precision_fast(self) -> float:
        """Share of the estimated impacts of at least min_speed_mps that are real."""
        return self.matched_fast_estimates / self.total_fast_estimates if self.total_fast_estimates else float("nan")

    def merge(self, other: "ImpactMatch") -> "ImpactMatch":
        return ImpactMatch(
            self.recall_hits + other.recall_hits, self.recall_total + other.recall_total,
            self.matched_estimates + other.matched_estimates, self.total_estimates + other.total_estimates,
            self.matched_fast_estimates + other.matched_fast_estimates,
            self.total_fast_estimates + other.total_fast_estimates,
            self.v_before_rel_errors + other.v_before_rel_errors, self.time_errors_frames + other.time_errors_frames,
            self.missed + other.missed, self.false_alarms + other.false_alarms,
            self.observable_hits + other.observable_hits, self.observable_total + other.observable_total,
        )


def flight_frames_seen(obj: ObjectTrack, impact: Impact, fps: float) -> int:
    """Frames before `impact` (after the object's previous contact) with the object in view and moving,
    and in free flight where the truth says how long that lasted (`free_flight_s` of a rigid scene's
    impact: a body pivoting onto a face, toppling or sliding moves, but nothing shows a fall)."""
    visible = obj.extra.get("visible")
    times = np.arange(len(obj.speed_mps)) / fps
    prev = max((im.time_s for im in obj.impacts if im.time_s < impact.time_s), default=-np.inf)
    free_flight_s = impact.extra.get("free_flight_s")
    if free_flight_s is not None:
        prev = max(prev, impact.time_s - float(free_flight_s) - 1e-9)
    count = 0
    for k in np.flatnonzero((times > prev) & (times < impact.time_s)):
        seen = visible is None or (k < len(visible) and bool(visible[k]))
        speed = obj.speed_mps[k]
        count += int(seen and speed is not None and speed > 0.0)
    return count


MIN_RECALL_SPEED_MPS = 1.0  # true impacts slower than this are not counted in recall (nor estimates in precision_fast)


def counts_for_recall(impact: Impact, min_speed_mps: float = MIN_RECALL_SPEED_MPS) -> bool:
    """A true impact that recall counts: its object in view, fast enough, not at a cut."""
    return impact.extra.get("visible", True) and impact.v_before >= min_speed_mps and not impact.extra.get("near_cut")


_NEAREST_BOX_FRAMES = 3


def _box_at(track: ObjectTrack, frame: int) -> list[float] | None:
    """The object's box at `frame`, or at the nearest frame within _NEAREST_BOX_FRAMES that has one."""
    boxes = track.box_xyxy_px or []
    for d in range(_NEAREST_BOX_FRAMES + 1):
        for k in (frame - d, frame + d):
            if 0 <= k < len(boxes) and boxes[k] is not None:
                return list(boxes[k])
    return None


def owner_of_impact(truth: PhysicsTracks, estimate_track: ObjectTrack, frame: int) -> ObjectTrack | None:
    """The true object the estimated object is on at `frame`: the one whose true box holds the
    estimate's box centre (the nearest true box centre when several do); None when no true box
    holds it or the estimate has no box near that frame."""
    box = _box_at(estimate_track, frame)
    if box is None:
        return None
    u, v = 0.5 * (box[0] + box[2]), 0.5 * (box[1] + box[3])
    best, best_d = None, float("inf")
    for obj in truth.objects:
        tb = _box_at(obj, frame)
        if tb is None or not (tb[0] <= u <= tb[2] and tb[1] <= v <= tb[3]):
            continue
        d = (u - 0.5 * (tb[0] + tb[2])) ** 2 + (v - 0.5 * (tb[1] + tb[3])) ** 2
        if d < best_d:
            best, best_d = obj, d
    return best


# among the true impacts within tolerance of an estimate, a factor e between the estimate's speed
# and a true impact's weighs as much as one frame between their times
SPEED_RATIO_WEIGHT_FRAMES = 1.0
_SLOWEST_MPS = 0.05  # speeds below this count as this in that ratio


def match_impacts(truth: PhysicsTracks, estimate: PhysicsTracks, *, min_speed_mps: float = MIN_RECALL_SPEED_MPS,
                  tolerance_frames: float = 1.0, min_flight_frames: int = MIN_FLIGHT_SAMPLES) -> ImpactMatch:
    """Pairs each sonified estimated impact with at most one true impact within `tolerance_frames`.

    Pairs are taken greedily in this order: an estimate on the true impact's own object first
    (`owner_of_impact`), then a true impact that recall counts (`counts_for_recall`) before one it
    ignores (as COCO's evaluation matches its "ignore" ground truth last), then the pair that
    differs least in time plus, per factor e between the two speeds, SPEED_RATIO_WEIGHT_FRAMES.
    A box that lands on an edge and slaps onto its face a frame or two later makes two true contacts
    within tolerance of one estimate: nearest in time alone gave a 3.3 m/s estimate to the 0.8 m/s
    slap, which recall ignores, and counted the 2.6 m/s landing it describes as missed; and when the
    slap is fast enough to count (a 3.6 m/s estimate 1.0 frame after a 3.2 m/s landing and 0.5 frame
    before a 1.6 m/s slap), it gave the estimate to the slap and counted the landing as missed."""
    fps = truth.fps
    objects = {o.id: o for o in truth.objects}
    true: list[tuple[int, Impact]] = [(o.id, im) for o in truth.objects for im in o.impacts]
    est: list[tuple[int, Impact]] = [(o.id, im) for o in estimate.objects for im in o.impacts if im.sonified]
    est_objects = {o.id: o for o in estimate.objects}
    owners = [owner_of_impact(truth, est_objects[eoid], e.frame) for eoid, e in est]
    pairs = []
    for ti, (toid, t) in enumerate(true):
        for ei, (eoid, e) in enumerate(est):
            d = abs(e.time_s - t.time_s) * fps
            if d <= tolerance_frames + 1e-9:
                ratio = abs(math.log(max(e.v_before, _SLOWEST_MPS) / max(t.v_before, _SLOWEST_MPS)))
                pairs.append((owners[ei] is None or owners[ei].id != toid, not counts_for_recall(t, min_speed_mps),
                              d + SPEED_RATIO_WEIGHT_FRAMES * ratio, ti, ei))
    pairs.sort()
    t_to_e: dict[int, int] = {}
    e_to_t: dict[int, int] = {}
    for _, _, d, ti, ei in pairs:
        if ti not in t_to_e and ei not in e_to_t:
            t_to_e[ti], e_to_t[ei] = ei, ti
    fast = [ei for ei, (_, e) in enumerate(est) if e.v_before >= min_speed_mps]
    result = ImpactMatch(matched_estimates=len(e_to_t), total_estimates=len(est),
                         matched_fast_estimates=sum(ei in e_to_t for ei in fast), total_fast_estimates=len(fast))
    for ti, (oid, t) in enumerate(true):
        if not counts_for_recall(t, min_speed_mps):
            continue
        result.recall_total += 1
        observable = flight_frames_seen(objects[oid], t, fps) >= min_flight_frames
        result.observable_total += int(observable)
        result.observable_hits += int(observable and ti in t_to_e)
        if ti in t_to_e:
            e = est[t_to_e[ti]][1]
            result.recall_hits += 1
            result.v_before_rel_errors.append(abs(e.v_before - t.v_before) / t.v_before)
            result.time_errors_frames.append(abs(e.time_s - t.time_s) * fps)
        else:
            result.missed.append((oid, round(t.time_s, 4), round(t.v_before, 3)))
    for ei, (oid, e) in enumerate(est):
        if ei not in e_to_t:
            result.false_alarms.append((oid, round(e.time_s, 4), round(e.v_before, 3)))
    return result


def summarize(match: ImpactMatch) -> dict:
    errs = np.asarray(match.v_before_rel_errors, dtype=np.float64)
    return {
        "recall": match.recall,
        "recall_observable": match.recall_observable,
        "observable_impacts": match.observable_total,
        "precision": match.precision,
        "precision_fast": match.precision_fast,
        "true_impacts": match.recall_total,
        "estimated_impacts": match.total_estimates,
        "v_before_rel_error_median": float(np.median(errs)) if errs.size else float("nan"),
        "v_before_rel_error_p90": float(np.percentile(errs, 90)) if errs.size else float("nan"),
        "time_error_frames_median": float(np.median(match.time_errors_frames)) if match.time_errors_frames
        else float("nan"),
    }


def scene_bootstrap_interval(per_scene: list[ImpactMatch], ratio: str = "recall", *, level: float = 0.95,
                             n_resamples: int = 2000, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval (scipy.stats.bootstrap) of a pooled ratio ("recall",
    "recall_observable" or "precision_fast") over scenes.

    The impacts of one scene are not independent draws (one object's misses come together: a
    tumbling block whose later contacts all go unseen), so the scenes, not the impacts, are
    resampled with replacement (each scene's numerator and denominator paired); the pooled ratio of
    each resample gives the interval. With a few dozen scenes it is wide (±0.13 at 24 rigid scenes
    and recall 0.6-0.77): the spread between seeds of the same generator. (nan, nan) when the
    scenes have no denominator at all (or a resample drew none: only scenes without one)."""
    fields = {"recall": ("recall_hits", "recall_total"), "recall_observable": ("observable_hits", "observable_total"),
              "precision_fast": ("matched_fast_estimates", "total_fast_estimates")}
    if ratio not in fields:
        raise ValueError(f"scene_bootstrap_interval: ratio must be one of {sorted(fields)}, got {ratio!r}")
    num_f, den_f = fields[ratio]
    num = np.array([getattr(m, num_f) for m in per_scene], dtype=np.float64)
    den = np.array([getattr(m, den_f) for m in per_scene], dtype=np.float64)
    if den.sum() <= 0:
        return float("nan"), float("nan")

    def pooled(n: np.ndarray, d: np.ndarray, axis: int = -1) -> np.ndarray:
        total = d.sum(axis=axis)
        return np.divide(n.sum(axis=axis), total, out=np.full(np.shape(total), np.nan), where=total > 0)

    res = stats.bootstrap((num, den), pooled, paired=True, vectorized=True, method="percentile",
                          n_resamples=n_resamples, confidence_level=level, random_state=np.random.default_rng(seed))
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


# --- masks ------------------------------------------------------------------------------------------

@dataclass
class MaskMatch:
    """Estimated masks of one clip (or several, after `merge`) against the ground truth."""

    ious: list[float] = field(default_factory=list)  # per frame: truth visible, matched estimate has a mask
    truth_frames: int = 0  # (true object, frame) pairs where the truth is visible
    missed_frames: int = 0  # ... of those, without an estimated mask
    extra_frames: int = 0  # a matched estimate has a mask where its true object is not visible
    true_objects: int = 0
    estimated_objects: int = 0
    estimates_with_masks: int = 0
    pairs: list[tuple[int, int, float]] = field(default_factory=list)  # (true id, estimated id, mean IoU)

    @property
    def miss_rate(self) -> float:
        return self.missed_frames / self.truth_frames if self.truth_frames else float("nan")

    def merge(self, other: "MaskMatch") -> "MaskMatch":
        return MaskMatch(
            self.ious + other.ious, self.truth_frames + other.truth_frames, self.missed_frames + other.missed_frames,
            self.extra_frames + other.extra_frames, self.true_objects + other.true_objects,
            self.estimated_objects + other.estimated_objects, self.estimates_with_masks + other.estimates_with_masks,
            self.pairs + other.pairs,
        )

    def summary(self) -> dict:
        iou = np.asarray(self.ious, dtype=np.float64)
        nan = float("nan")
        return {
            "iou_median": float(np.median(iou)) if iou.size else nan,
            "iou_mean": float(iou.mean()) if iou.size else nan,
            "iou_p10": float(np.percentile(iou, 10)) if iou.size else nan,
            "matched_frames": int(iou.size),
            "truth_frames": self.truth_frames,
            "miss_rate": self.miss_rate,
            "extra_frames": self.extra_frames,
            "matched_objects": len(self.pairs),
            "true_objects": self.true_objects,
            "estimated_objects": self.estimated_objects,
            "estimates_with_masks": self.estimates_with_masks,
        }


def frame_iou(a: FrameMask, b: FrameMask) -> float:
    """Intersection over union of two masks of one frame in the same grid."""
    y0, x0 = max(a.y0, b.y0), max(a.x0, b.x0)
    y1 = min(a.y0 + a.crop.shape[0], b.y0 + b.crop.shape[0])
    x1 = min(a.x0 + a.crop.shape[1], b.x0 + b.crop.shape[1])
    inter = 0
    if y1 > y0 and x1 > x0:
        inter = int(np.count_nonzero(a.crop[y0 - a.y0 : y1 - a.y0, x0 - a.x0 : x1 - a.x0]
                                     & b.crop[y0 - b.y0 : y1 - b.y0, x0 - b.x0 : x1 - b.x0]))
    union = a.area_px + b.area_px - inter
    return inter / union if union else 0.0


def _common_grid(masks: list[ObjectMasks]) -> tuple[int, int]:
    return min((m.grid_size for m in masks), key=lambda s: (s[0] * s[1], s))


def match_masks(truth: PhysicsTracks, estimate: PhysicsTracks) -> MaskMatch:
    """Score `estimate`'s per-object masks against `truth`'s (see the module docstring).

    Estimated objects without masks take no part in the matching (`estimates_with_masks` counts the
    others; with none, every visible true frame is a miss)."""
    from scipy.optimize import linear_sum_assignment

    t_objs = [o for o in truth.objects if o.masks is not None]
    if len(t_objs) != len(truth.objects):
        raise BadInputError("mask scoring: the ground truth has objects without masks (written before masks "
                            "were part of the synthetic data? regenerate it)")
    e_objs = [o for o in estimate.objects if o.masks is not None]
    result = MaskMatch(true_objects=len(t_objs), estimated_objects=len(estimate.objects),
                       estimates_with_masks=len(e_objs))
    for o in e_objs:
        if o.masks.num_frames != truth.num_frames:
            raise BadInputError(f"mask scoring: the estimate's object {o.id} has masks for {o.masks.num_frames} "
                                f"frames, the truth has {truth.num_frames}")
    if not t_objs:
        return result
    grid = _common_grid([o.masks for o in t_objs + e_objs])
    t_masks = [o.masks.resized(grid) for o in t_objs]
    e_masks = [o.masks.resized(grid) for o in e_objs]
    score = np.zeros((len(t_masks), len(e_masks)))
    for i, tm in enumerate(t_masks):
        for j, em in enumerate(e_masks):
            both = [frame_iou(a, b) for a, b in zip(tm.frames, em.frames) if a is not None and b is not None]
            score[i, j] = float(np.mean(both)) if both else 0.0
    match: dict[int, int] = {}
    if e_masks:
        rows, cols = linear_sum_assignment(-score)
        match = {int(i): int(j) for i, j in zip(rows, cols) if score[i, j] > 0.0}
    for i, tm in enumerate(t_masks):
        em = e_masks[match[i]] if i in match else None
        if em is not None:
            result.pairs.append((t_objs[i].id, e_objs[match[i]].id, round(float(score[i, match[i]]), 6)))
        for k, a in enumerate(tm.frames):
            b = em.frames[k] if em is not None else None
            if a is None:
                result.extra_frames += int(b is not None)
                continue
            result.truth_frames += 1
            if b is None:
                result.missed_frames += 1
            else:
                result.ious.append(frame_iou(a, b))
    return result
