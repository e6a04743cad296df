"""Impacts reported on objects that only roll or slide are found and counted."""

from __future__ import annotations

from pavas_core.physics.tracks import Geometry, Impact, ObjectTrack, PhysicsTracks
from pavas_core.scenes.evaluate import owner_of_impact
from pavas_core.scenes.rigid_evaluate import (approach_class, approach_speed_mps, impacts_on_no_impact_objects,
                                              speed_change_class, speed_change_mps)


def _track(i: int, action: str, boxes, impacts=()) -> ObjectTrack:
    n = len(boxes)
    return ObjectTrack(id=i, name=f"o{i}", action=action, mass_kg=1.0, mass_source="prior",
                       speed_mps=[None] * n, centroid_m=[None] * n, impacts=list(impacts), box_xyxy_px=boxes)


def _tracks(objects) -> PhysicsTracks:
    return PhysicsTracks(fps=30.0, num_frames=10, width=320, height=240, objects=objects,
                         geometry=Geometry(backend="pinhole", metric_scale_source="user"))


def _impact(frame: int) -> Impact:
    return Impact(frame=frame, time_s=frame / 30.0, v_before=2.0, v_after=1.0, delta_ke_j=1.5)


def test_impacts_are_put_on_the_object_under_the_estimate():
    roller = [[10.0, 100.0, 50.0, 140.0]] * 10
    faller = [[200.0, 50.0, 240.0, 90.0]] * 10
    truth = _tracks([_track(0, "rolling", roller), _track(1, "tumbling", faller)])
    # an estimate on the roller (a little off its true box) and one on the faller; one estimate has
    # no box at the impact frame but one two frames later
    on_roller = _track(0, "", [[12.0, 102.0, 52.0, 141.0]] * 10, [_impact(4)])
    on_faller = _track(1, "", [None] * 6 + [[205.0, 55.0, 238.0, 88.0]] * 4, [_impact(4), _impact(8)])
    est = _tracks([on_roller, on_faller])
    assert owner_of_impact(truth, on_roller, 4).id == 0
    assert owner_of_impact(truth, on_faller, 4).id == 1
    score = impacts_on_no_impact_objects(truth, est)
    assert score.objects == 1
    assert score.impacts == [("rolling", round(4 / 30.0, 4), 2.0)] and score.sonified == 1
    on_roller.impacts[0].sonified = False  # a candidate kept silent is still reported, as silent
    silent = impacts_on_no_impact_objects(truth, est)
    assert len(silent.impacts) == 1 and silent.sonified == 0
    assert silent.merge(score).sonified == 1


def test_an_estimate_far_from_every_object_is_on_none():
    truth = _tracks([_track(0, "sliding", [[10.0, 100.0, 50.0, 140.0]] * 10)])
    stray = _track(0, "", [[150.0, 10.0, 160.0, 20.0]] * 10, [_impact(3)])
    assert owner_of_impact(truth, stray, 3) is None
    assert impacts_on_no_impact_objects(truth, _tracks([stray])).impacts == []


def test_a_true_impact_is_classed_by_the_speed_it_met_the_surface_with():
    # a box sliding toward the camera at 1.3 m/s that meets the floor at 0.3 m/s: |v| = 1.37 m/s
    glancing = _impact(3)
    glancing.extra["velocity_before_mps"] = [-0.4, 0.3, -1.3]
    landing = _impact(5)
    landing.extra["velocity_before_mps"] = [0.5, 3.6, 0.0]
    skim = _impact(6)
    skim.extra["velocity_before_mps"] = [0.9, 0.7, 0.6]
    rising = _impact(7)  # a body lifted by what hits it from below meets nothing from above
    rising.extra["velocity_before_mps"] = [1.2, -0.2, 0.0]
    assert approach_speed_mps(glancing) == 0.3
    assert approach_speed_mps(rising) == 0.0
    assert [approach_class(i) for i in (glancing, landing, skim, rising)] == \
        ["under 0.5 m/s", "≥ 1 m/s", "0.5–1 m/s", "under 0.5 m/s"]
    assert approach_speed_mps(_impact(8)) is None and approach_class(_impact(8)) is None  # truth made before the engine's velocities


def test_a_true_impact_is_classed_by_the_velocity_change_it_made():
    # a box tumbling on at 1.4 m/s whose next edge turns it without slowing it: |Δv| from the turn alone
    turn = _impact(3)
    turn.extra["velocity_before_mps"] = [1.4, 0.0, 0.0]
    turn.extra["velocity_after_mps"] = [0.0, -1.4, 0.0]
    stop = _impact(5)  # a 3 m/s landing that stops it
    stop.extra["velocity_before_mps"] = [0.0, 3.0, 0.0]
    stop.extra["velocity_after_mps"] = [0.0, 0.0, 0.0]
    nudge = _impact(6)  # an edge that slows a sliding box from 1.5 to 1.2 m/s
    nudge.extra["velocity_before_mps"] = [1.5, 0.0, 0.0]
    nudge.extra["velocity_after_mps"] = [1.2, 0.0, 0.0]
    assert abs(speed_change_mps(turn) - 1.4 * 2**0.5) < 1e-12 and speed_change_mps(stop) == 3.0
    assert abs(speed_change_mps(nudge) - 0.3) < 1e-12
    assert [speed_change_class(i) for i in (turn, stop, nudge)] == ["≥ 1 m/s", "≥ 1 m/s", "under 0.5 m/s"]
    half = _impact(7)
    half.extra["velocity_before_mps"], half.extra["velocity_after_mps"] = [0.0, 2.0, 0.0], [0.0, 1.4, 0.0]
    assert speed_change_class(half) == "0.5–1 m/s"
    assert speed_change_mps(_impact(8)) is None and speed_change_class(_impact(8)) is None  # no engine velocities
