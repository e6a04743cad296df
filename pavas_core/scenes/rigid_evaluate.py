"""Scoring what only the rigid-body scenes can show: impacts an estimator reports on objects that
only roll or slide (they never hit anything, so every such impact is invented).

An estimated impact is put on the true object its estimated object covers at the impact's frame:
the estimate's box centre (from `box_xyxy_px`, or the nearest frame that has one) falls inside that
object's true box, the nearest true box centre when several contain it; an impact whose estimate has
no box near that frame, or whose centre lies in no true box, is put on no object.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..physics.tracks import ObjectTrack, PhysicsTracks

NO_IMPACT_ACTIONS = ("rolling", "sliding")
_NEAREST_FRAMES = 3


@dataclass
class NoImpactScore:
    objects: int = 0  # true objects that only roll or slide
    impacts: list[tuple[str, float, float]] = field(default_factory=list)  # (action, time s, v_before) on them
    sonified: int = 0  # how many of those make a sound (the others are candidates kept silent)

    def merge(self, other: "NoImpactScore") -> "NoImpactScore":
        return NoImpactScore(self.objects + other.objects, self.impacts + other.impacts,
                             self.sonified + other.sonified)


def _box_at(track: ObjectTrack, frame: int) -> list[float] | None:
    boxes = track.box_xyxy_px or []
    for d in range(_NEAREST_FRAMES + 1):
        for k in (frame - d, frame + d):
            if 0 <= k < len(boxes) and boxes[k] is not None:
                return list(boxes[k])
    return None


def owner_of_impact(truth: PhysicsTracks, estimate_track: ObjectTrack, frame: int) -> ObjectTrack | None:
    """The true object the estimated object is on at `frame` (see the module docstring)."""
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
