"""Scoring what only the rigid-body scenes can show: impacts an estimator reports on objects that
only roll or slide (they never hit anything, so every such impact is invented).

An estimated impact is put on the true object its estimated object covers at the impact's frame
(`evaluate.owner_of_impact`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..physics.tracks import PhysicsTracks
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
