"""Scoring estimated physics against a synthetic scene's ground truth.

Impacts are matched one-to-one, nearest in time first, when their contact times differ by at most
`tolerance_frames` frame periods. Recall counts the true impacts that can be seen (the object's
centre is in the picture one frame before, at and one frame after the contact; see
scene.ground_truth_tracks) and are at least `min_speed_mps` fast. An estimate that lands on any
true impact (of any speed, seen or not) is not a false alarm; `precision` counts every estimated
impact, `precision_fast` those estimated at least `min_speed_mps` fast (the same class as recall).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..physics.tracks import Impact, PhysicsTracks


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

    @property
    def recall(self) -> float:
        return self.recall_hits / self.recall_total if self.recall_total else float("nan")

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
        )


def match_impacts(truth: PhysicsTracks, estimate: PhysicsTracks, *, min_speed_mps: float = 1.0,
                  tolerance_frames: float = 1.0) -> ImpactMatch:
    fps = truth.fps
    true: list[tuple[int, Impact]] = [(o.id, im) for o in truth.objects for im in o.impacts]
    est: list[tuple[int, Impact]] = [(o.id, im) for o in estimate.objects for im in o.impacts]
    pairs = []
    for ti, (_, t) in enumerate(true):
        for ei, (_, e) in enumerate(est):
            d = abs(e.time_s - t.time_s) * fps
            if d <= tolerance_frames + 1e-9:
                pairs.append((d, ti, ei))
    pairs.sort()
    t_to_e: dict[int, int] = {}
    e_to_t: dict[int, int] = {}
    for d, ti, ei in pairs:
        if ti not in t_to_e and ei not in e_to_t:
            t_to_e[ti], e_to_t[ei] = ei, ti
    fast = [ei for ei, (_, e) in enumerate(est) if e.v_before >= min_speed_mps]
    result = ImpactMatch(matched_estimates=len(e_to_t), total_estimates=len(est),
                         matched_fast_estimates=sum(ei in e_to_t for ei in fast), total_fast_estimates=len(fast))
    for ti, (oid, t) in enumerate(true):
        if not t.extra.get("visible", True) or t.v_before < min_speed_mps:
            continue
        result.recall_total += 1
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
        "precision": match.precision,
        "precision_fast": match.precision_fast,
        "true_impacts": match.recall_total,
        "estimated_impacts": match.total_estimates,
        "v_before_rel_error_median": float(np.median(errs)) if errs.size else float("nan"),
        "v_before_rel_error_p90": float(np.percentile(errs, 90)) if errs.size else float("nan"),
        "time_error_frames_median": float(np.median(match.time_errors_frames)) if match.time_errors_frames
        else float("nan"),
    }
