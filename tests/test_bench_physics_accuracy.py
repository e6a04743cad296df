"""bench/physics_accuracy.py: a missed rigid-body impact is put down to its usual cause; a pool of
datasets says what each one scored."""

import json

import pytest
from bench_modules import load_bench
from pavas_core.physics.tracks import Geometry, Impact, ObjectTrack, PhysicsTracks
from pavas_core.scenes.evaluate import ImpactMatch

FPS = 30.0


def _impact(t: float, *, sonified: bool = True) -> Impact:
    return Impact(frame=int(round(t * FPS)), time_s=t, v_before=2.0, v_after=0.5, delta_ke_j=1.0, sonified=sonified)


def _object(oid: int, action: str, impacts: list[Impact], box: list[float]) -> ObjectTrack:
    n = 60
    return ObjectTrack(id=oid, name="box", action=action, mass_kg=1.0, mass_source="prior", speed_mps=[1.0] * n,
                       centroid_m=[[0.0, 0.0, 2.0]] * n, impacts=impacts, box_xyxy_px=[box] * n)


def _tracks(*objects: ObjectTrack) -> PhysicsTracks:
    return PhysicsTracks(fps=FPS, num_frames=60, width=320, height=240, objects=list(objects),
                         geometry=Geometry(backend="pinhole", metric_scale_source="gravity"))


def test_a_missed_rigid_impact_is_put_down_to_its_usual_cause():
    kind = load_bench("physics_accuracy").rigid_miss_kind
    left, right = [10.0, 10.0, 60.0, 60.0], [200.0, 10.0, 260.0, 60.0]
    first, corner, face, late = _impact(0.5), _impact(1.0), _impact(1.06), _impact(1.5)
    topple = _object(0, "toppling", [_impact(0.8)], left)
    tumble = _object(1, "tumbling", [first, corner, face, late], right)
    truth = _tracks(topple, tumble)
    # an estimate on the tumbling box 3 frames after its last impact; one on the other box at its first
    estimate = _tracks(_object(0, "", [_impact(1.6)], right), _object(1, "", [_impact(0.5)], left))
    assert kind(truth, topple, topple.impacts[0], estimate).startswith("toppling")
    assert kind(truth, tumble, face, estimate).startswith("within 3 frames")  # 1.8 frames after the corner
    assert kind(truth, tumble, late, estimate).startswith("found on its object")
    assert kind(truth, tumble, first, estimate) == "first contact"  # the estimate at 0.5 s is on the other box
    assert kind(truth, tumble, corner, estimate) == "other"
    # a silent estimate does not count as found
    quiet = _tracks(_object(0, "", [_impact(1.6, sonified=False)], right))
    assert kind(truth, tumble, late, quiet) == "other"


def test_a_miss_after_no_free_flight_is_put_down_to_it_when_the_truth_says_so():
    kind = load_bench("physics_accuracy").rigid_miss_kind
    box = [10.0, 10.0, 60.0, 60.0]
    slap, hop = _impact(1.0), _impact(1.5)
    slap.extra["free_flight_s"], hop.extra["free_flight_s"] = 0.0, 0.2  # 0 and 6 frames of free flight
    landing = _impact(0.8)
    landing.extra["free_flight_s"] = 0.5
    truth = _tracks(_object(0, "tumbling", [slap, hop], box),
                    _object(1, "toppling", [landing], [200.0, 10.0, 260.0, 60.0]))
    nothing = _tracks()
    tumble, topple = truth.objects
    assert kind(truth, tumble, slap, nothing).startswith("under 3 frames of free flight seen")
    assert kind(truth, tumble, hop, nothing) == "other"  # 15 frames after the slap, after a 6-frame hop
    # the same hop with the box out of the picture for all but its last frame: its fall was not seen
    tumble.extra["visible"] = [not 1.25 < k / FPS < 1.45 for k in range(60)]
    assert kind(truth, tumble, hop, nothing).startswith("under 3 frames of free flight seen")
    # a toppling body's impact after a real fall is not put down to the topple
    assert kind(truth, topple, landing, nothing) == "first contact"


def test_a_pool_prints_each_datasets_own_counts():
    lines = load_bench("physics_accuracy").per_dataset_lines({
        "seed_a": ImpactMatch(recall_hits=3, recall_total=4, matched_fast_estimates=2, total_fast_estimates=3,
                              v_before_rel_errors=[0.02, 0.3, 0.05]),
        "seed_b": ImpactMatch(recall_total=2, total_fast_estimates=1),
    })
    assert lines == [
        "  seed_a: recall 3/4 = 0.750, precision 2/3 = 0.667, median v_before error 5.0 %",
        "  seed_b: recall 0/2 = 0.000, precision 0/1 = 0.000, median v_before error -",
    ]


def _fast(t: float, v: float) -> Impact:
    return Impact(frame=int(round(t * FPS)), time_s=t, v_before=v, v_after=0.2, delta_ke_j=1.0)


def test_a_scenes_outcomes_list_each_counted_true_impact_found_or_missed_and_the_false_alarms():
    bench = load_bench("physics_accuracy")
    box = [10.0, 10.0, 60.0, 60.0]
    # a 0.6 m/s impact is not counted by recall and is listed nowhere
    truth = _tracks(_object(0, "tumbling", [_fast(0.5, 3.0), _fast(1.0, 2.0), _fast(1.2, 0.6)], box))
    estimate = _tracks(_object(0, "", [_fast(0.51, 3.1), _fast(1.6, 1.5), _fast(1.8, 0.4)], box))
    from pavas_core.scenes.evaluate import match_impacts
    out = bench.scene_outcomes(truth, match_impacts(truth, estimate))
    assert out == {"found": [[0, 0.5]], "missed": [[0, 1.0]], "false_alarms": [[0, 1.6, 1.5], [0, 1.8, 0.4]]}


def test_two_runs_compare_impact_by_impact_with_an_exact_sign_test():
    bench = load_bench("physics_accuracy")
    here = {"a": {"found": [[0, 0.5], [0, 1.0]], "missed": [[1, 2.0]], "false_alarms": [[0, 1.5, 2.0], [0, 2.5, 0.5]]},
            "b": {"found": [[0, 0.3]], "missed": [], "false_alarms": []},
            "only_here": {"found": [[0, 9.0]], "missed": [], "false_alarms": [[0, 3.0, 4.0]]}}
    there = {"a": {"found": [[1, 2.0]], "missed": [[0, 0.5], [0, 1.0]], "false_alarms": [[0, 1.6, 1.2]]},
             "b": {"found": [[0, 0.3]], "missed": [], "false_alarms": [[0, 0.9, 3.0], [0, 0.2, 1.0]]}}
    c = bench.compare_outcomes(here, there)
    assert (c.scenes, c.true_impacts, c.found_here, c.found_there) == (2, 4, 3, 2)  # "only_here" is left out
    assert c.here_only == [("a", 0, 0.5), ("a", 0, 1.0)] and c.there_only == [("a", 1, 2.0)]
    assert (c.fast_false_here, c.fast_false_there) == (1, 3)  # the 0.5 m/s false alarm is not fast
    assert c.p_value == 1.0  # 2 against 1: either way by chance
    # 12 found by one run only, none by the other: p = 2 / 2**12
    lopsided = {"s": {"found": [[0, float(k)] for k in range(12)], "missed": [], "false_alarms": []}}
    nothing = {"s": {"found": [], "missed": [[0, float(k)] for k in range(12)], "false_alarms": []}}
    assert bench.compare_outcomes(lopsided, nothing).p_value == 2 / 2**12
    assert bench.compare_outcomes(nothing, nothing).p_value == 1.0
    lines = bench.comparison_lines(c, "base.json")
    assert lines[0].startswith("against base.json (2 scenes in both, 4 true impacts): found 3 here, 2 there; "
                               "2 found only here, 1 only there (exact sign test p = 1)")
    assert lines[2] == "  found only there: a #1 2.000 s"


def test_saved_outcomes_load_back_and_another_file_is_refused(tmp_path):
    bench = load_bench("physics_accuracy")
    good, bad = tmp_path / "run.json", tmp_path / "other.json"
    scenes = {"a": {"found": [[0, 0.5]], "missed": [], "false_alarms": []}}
    good.write_text(json.dumps({"version": bench.OUTCOMES_VERSION, "scenes": scenes}))
    bad.write_text(json.dumps({"recall": 0.8}))
    assert bench.load_outcomes(good) == scenes
    with pytest.raises(ValueError, match="not an outcomes file"):
        bench.load_outcomes(bad)
    torn = tmp_path / "torn.json"  # the right header, a scene without its lists
    torn.write_text(json.dumps({"version": bench.OUTCOMES_VERSION, "scenes": {"a": {"found": [[0, 0.5]]}}}))
    with pytest.raises(ValueError, match="not an outcomes file"):
        bench.load_outcomes(torn)
    with pytest.raises(SystemExit):  # a usage error from the command line
        bench.main(["--data", str(tmp_path), "--compare", str(bad)])


def test_recall_by_class_lists_the_classes_with_true_impacts_in_their_order():
    from pavas_core.scenes.rigid_evaluate import SPEED_CHANGE_CLASSES
    counts = {"under 0.5 m/s": [0, 4], "≥ 1 m/s": [3, 4]}
    assert load_bench("physics_accuracy").class_counts(counts, SPEED_CHANGE_CLASSES) == \
        "≥ 1 m/s 3/4 (0.750), under 0.5 m/s 0/4 (0.000)"


def test_the_estimator_given_the_truths_masks_finds_a_dropped_blocks_landing(tmp_path):
    # a block dropped 0.6 m onto the floor, its masks handed over as a perfect segmenter's: one
    # object, in the truth's order, and its landing sounds at the truth's time and speed
    pytest.importorskip("pybullet")
    from pavas_core.scenes.camera import PinholeCamera
    from pavas_core.scenes.rigid import RIGID_CATALOG, RigidBody, RigidSceneSpec, write_rigid_scene
    from pavas_core.video import read_video

    bench = load_bench("physics_accuracy")
    cam = PinholeCamera(320, 240, 300.0, 160.0, 120.0, 0.5)  # the floor 0.5 m below the camera
    block = next(k for k in RIGID_CATALOG if k.name == "wooden block")
    y = cam.floor_y_m - block.half_extents_m[1] - 0.6
    body = RigidBody(block, "tumbling", (0.0, y, 2.5), (0.0, 0.0, 0.0, 1.0), (0.0, 0.0, 0.0), (0.0, 0.0, 0.0),
                     block.color_rgb)
    scene = RigidSceneSpec(scene_id="drop", seed=1, fps=60.0, num_frames=90, camera=cam, floor_style="stone",
                           wall_z_m=6.0, wall_rgb=(0.6, 0.6, 0.6), bodies=(body,), platform=None,
                           shake_amplitude_px=0.0, noise_sigma_dn=0.0)
    write_rigid_scene(tmp_path, scene)
    truth = PhysicsTracks.load(tmp_path / "physics.json")
    landing = truth.objects[0].impacts[0]
    clip = read_video(tmp_path / "scene.mp4", max_side=bench.ANALYSIS_SIDE, with_audio=False)
    est = bench.estimate_with_masks(clip, [o.masks for o in truth.objects])
    assert len(est.objects) == 1 and est.objects[0].mask_source == "mask_input"
    sounded = [im for im in est.objects[0].impacts if im.sonified]
    assert sounded, [(im.time_s, im.reason) for im in est.objects[0].impacts]
    first = min(sounded, key=lambda im: im.time_s)
    assert abs(first.time_s - landing.time_s) <= 1.0 / scene.fps  # the scoring's tolerance
    assert first.v_before == pytest.approx(landing.v_before, rel=0.10)  # the acceptance's median error


def test_another_segmenters_masks_are_regrouped_by_the_true_body_they_cover():
    # two true bodies in a 20×10 grid over 3 frames; the other segmenter splits body 0 into two
    # objects in frame 0, merges nothing, misses body 1 in frame 2, and has a speck of background
    # (not a body's) in frame 1. In the truth's grid of 40×20 (twice as fine) to test the resize.
    import numpy as np

    from pavas_core.physics.masks import ObjectMasks

    bench = load_bench("physics_accuracy")
    t0 = np.zeros((3, 20, 40), bool)
    t1 = np.zeros((3, 20, 40), bool)
    t0[:, 2:10, 2:14] = True  # body 0: rows 1-4, columns 1-6 in the coarse grid
    t1[:, 10:18, 24:36] = True  # body 1: rows 5-8, columns 12-17
    own_a = np.zeros((3, 10, 20), bool)
    own_b = np.zeros((3, 10, 20), bool)
    own_c = np.zeros((3, 10, 20), bool)
    own_a[0, 1:5, 1:4] = True  # left half of body 0
    own_b[0, 1:5, 4:7] = True  # right half of body 0
    own_a[1, 1:5, 1:7] = True
    own_a[2, 1:4, 1:7] = True  # body 0 missing its last row
    own_c[0:2, 5:9, 12:18] = True  # body 1, lost in frame 2
    own_b[1, 0, 19] = True  # a speck in a corner: no body's
    own = [ObjectMasks.from_dense(m) for m in (own_a, own_b, own_c)]
    truth = [ObjectMasks.from_dense(t0), ObjectMasks.from_dense(t1)]

    pixels = bench.masks_by_true_body(own, truth, keep="own")
    assert [m.grid_size for m in pixels] == [(20, 10), (20, 10)]
    np.testing.assert_array_equal(pixels[0].dense(0), own_a[0] | own_b[0])  # the split halves, joined
    np.testing.assert_array_equal(pixels[0].dense(2), own_a[2])  # its own pixels, the missing row too
    np.testing.assert_array_equal(pixels[0].dense(1), own_a[1])  # the speck is no body's: left out
    np.testing.assert_array_equal(pixels[1].dense(1), own_c[1])
    assert pixels[1].dense(2) is None  # not seen: no mask

    seen = bench.masks_by_true_body(own, truth, keep="truth")
    coarse0 = np.zeros((10, 20), bool)
    coarse0[1:5, 1:7] = True
    np.testing.assert_array_equal(seen[0].dense(2), coarse0)  # the truth's pixels where it was seen
    assert seen[1].dense(1) is not None and seen[1].dense(2) is None
    assert bench.masks_by_true_body(own, [], keep="own") == []
    with pytest.raises(ValueError):
        bench.masks_by_true_body(own, truth, keep="both")
