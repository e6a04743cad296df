"""Scoring what only the rigid-body scenes can show: impacts an estimator reports on objects that
only roll or slide (they never hit anything, so every such impact is invented), how fast a
true impact met its surface, and how much it changed its body's velocity.

An estimated impact is put on the true object its estimated object covers at the impact's frame
(`evaluate.owner_of_impact`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..physics.tracks import Impact, PhysicsTracks
from .evaluate import owner_of_impact

NO_IMPACT_ACTIONS = ("rolling", "sliding")


@dataclass
class NoImpactScore:
    objects: int = 0  # true objects that only roll or slide
    impacts: list[tuple[str, float, float]] = field(default_factory=list)  # (action, time s, v_before) on them
    sonified: int = 0  # how many of those make a sound (the others are candidates kept silent)

    def merge(self, other: "NoImpactScore") -> "NoImpactScore":
        return NoImpactScore(self.objects + other.objects, self.impacts + other.impacts,
                             self.sonified + other.sonified)


def impacts_on_no_impact_objects(truth: PhysicsTracks, estimate: PhysicsTracks) -> NoImpactScore:
    """Estimated impacts (sonified or kept silent) that fall on true objects that only roll or slide."""
    score = NoImpactScore(objects=sum(o.action in NO_IMPACT_ACTIONS for o in truth.objects))
    if not score.objects:
        return score
    for est in estimate.objects:
        for im in est.impacts:
            owner = owner_of_impact(truth, est, im.frame)
            if owner is not None and owner.action in NO_IMPACT_ACTIONS:
                score.impacts.append((owner.action, round(im.time_s, 4), round(im.v_before, 3)))
                score.sonified += int(im.sonified)
    return score


# classes of `approach_speed_mps` (lower bound, label), fastest first
APPROACH_CLASSES = ((1.0, "≥ 1 m/s"), (0.5, "0.5–1 m/s"), (0.0, "under 0.5 m/s"))


def approach_speed_mps(impact: Impact) -> float | None:
    """How fast a true impact's body met the surface: its centre's speed along gravity just before
    the contact (the engine's `velocity_before_mps`; rigid scenes have a level camera, gravity along
    +y). None where the truth lacks it. Recall counts impacts by their whole speed (v_before ≥ 1 m/s),
    and a box tumbling along the floor at 1.3 m/s that touches it again at 0.3 m/s counts as one."""
    v = impact.extra.get("velocity_before_mps")
    if v is None or len(v) < 2:
        return None
    return max(float(v[1]), 0.0)


def approach_class(impact: Impact) -> str | None:
    """The APPROACH_CLASSES label of a true impact, None where the truth lacks its velocity."""
    v = approach_speed_mps(impact)
    if v is None:
        return None
    return next(label for lo, label in APPROACH_CLASSES if v >= lo)


# classes of `speed_change_mps` (lower bound, label), largest first
SPEED_CHANGE_CLASSES = ((1.0, "≥ 1 m/s"), (0.5, "0.5–1 m/s"), (0.0, "under 0.5 m/s"))


def speed_change_mps(impact: Impact) -> float | None:
    """How much a true impact changed its body's velocity: |velocity_after − velocity_before| of the
    centre (the engine's, 3D). The contact's impulse is the mass times this, and the sound's strength
    follows it; recall counts impacts by v_before alone, so a box tumbling on at 1.4 m/s whose next
    edge turns it by 0.2 m/s counts as much as a 3 m/s landing that stops it. None where the truth
    lacks the velocities."""
    vb, va = impact.extra.get("velocity_before_mps"), impact.extra.get("velocity_after_mps")
    if vb is None or va is None or len(vb) != len(va):
        return None
    return math.dist(vb, va)


def speed_change_class(impact: Impact) -> str | None:
    """The SPEED_CHANGE_CLASSES label of a true impact, None where the truth lacks its velocities."""
    dv = speed_change_mps(impact)
    if dv is None:
        return None
    return next(label for lo, label in SPEED_CHANGE_CLASSES if dv >= lo)
