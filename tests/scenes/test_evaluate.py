"""Scoring estimated masks against the synthetic ground truth (the logic behind bench/mask_iou.py)."""

import numpy as np
import pytest
from scipy import ndimage

from pavas_core.errors import BadInputError
from pavas_core.physics.masks import FrameMask, ObjectMasks
from pavas_core.physics.tracks import Geometry, ObjectTrack, PhysicsTracks
from pavas_core.scenes.evaluate import ImpactMatch, frame_iou, match_masks, scene_bootstrap_interval
from pavas_core.scenes.scene import ground_truth_tracks, with_overrides

W, H, T = 64, 48, 4


def _square(x0: int, y0: int, side: int, grid=(W, H)) -> np.ndarray:
    m = np.zeros((grid[1], grid[0]), bool)
    m[y0 : y0 + side, x0 : x0 + side] = True
    return m


def _tracks(per_object: list[ObjectMasks | None], ids: list[int] | None = None) -> PhysicsTracks:
    ids = list(range(len(per_object))) if ids is None else ids
    objects = [ObjectTrack(id=i, name="ball", action="bouncing", mass_kg=1.0, mass_source="prior",
                           speed_mps=[None] * T, centroid_m=[None] * T, masks=m,
                           mask_source=None if m is None else "ground_truth")
               for i, m in zip(ids, per_object)]
    return PhysicsTracks(fps=30.0, num_frames=T, width=W, height=H, objects=objects,
                         geometry=Geometry("pinhole", "user")).validate()


def _still(mask: np.ndarray) -> ObjectMasks:
    return ObjectMasks.from_dense([mask] * T)


def test_iou_of_a_square_and_its_one_pixel_shift_is_nine_elevenths():
    a = ObjectMasks.from_dense([_square(10, 10, 10)]).frames[0]
    b = ObjectMasks.from_dense([_square(11, 10, 10)]).frames[0]
    far = ObjectMasks.from_dense([_square(40, 30, 5)]).frames[0]
    assert frame_iou(a, b) == pytest.approx(90 / 110)
    assert frame_iou(a, a) == 1.0 and frame_iou(a, far) == 0.0
    assert frame_iou(a, FrameMask(12, 12, np.ones((6, 6), bool))) == pytest.approx(36 / 100)


def test_each_estimate_is_matched_to_the_true_object_it_overlaps_most():
    truth = _tracks([_still(_square(5, 5, 10)), _still(_square(40, 20, 12))])
    estimate = _tracks([
        _still(_square(50, 2, 4)),  # a decoy that overlaps nothing
        _still(_square(41, 20, 12)),  # object 1 shifted by a pixel: IoU 132/156
        _still(_square(6, 6, 8)),  # object 0 eroded by a pixel: IoU 64/100
    ], ids=[7, 8, 9])
    m = match_masks(truth, estimate)
    assert sorted(m.pairs) == [(0, 9, pytest.approx(0.64)), (1, 8, pytest.approx(132 / 156))]
    s = m.summary()
    assert s["matched_frames"] == s["truth_frames"] == 2 * T and s["miss_rate"] == 0.0
    assert s["iou_median"] == pytest.approx((0.64 + 132 / 156) / 2) and s["iou_p10"] == pytest.approx(0.64)
    assert s["matched_objects"] == 2 and s["estimated_objects"] == 3


def test_one_to_one_matching_maximises_the_total_not_each_greedy_choice():
    # truth A is covered best by estimate X, but X is the only one that covers B at all:
    # greedy (A→X) would leave B unmatched; the assignment gives A→Y, B→X
    a, b = _square(10, 10, 10), _square(18, 10, 10)
    x = a | b  # spans both
    y = _square(10, 10, 6)
    m = match_masks(_tracks([_still(a), _still(b)]), _tracks([_still(x), _still(y)], ids=[20, 21]))
    assert sorted((t, e) for t, e, _ in m.pairs) == [(0, 21), (1, 20)]


def test_missed_and_extra_frames():
    truth_frames = [_square(10, 10, 8), _square(11, 10, 8), None, _square(13, 10, 8)]
    est_frames = [_square(10, 10, 8), None, _square(12, 10, 8), None]
    m = match_masks(_tracks([ObjectMasks.from_dense(truth_frames, (W, H))]),
                    _tracks([ObjectMasks.from_dense(est_frames, (W, H))]))
    assert m.ious == [1.0] and m.truth_frames == 3 and m.missed_frames == 2 and m.extra_frames == 1
    assert m.miss_rate == pytest.approx(2 / 3)


def test_an_estimate_without_masks_misses_everything_and_says_so():
    truth = _tracks([_still(_square(10, 10, 8))])
    m = match_masks(truth, _tracks([None]))
    assert m.estimates_with_masks == 0 and m.estimated_objects == 1 and m.pairs == []
    assert m.miss_rate == 1.0 and np.isnan(m.summary()["iou_median"])
    with pytest.raises(BadInputError, match="without masks"):
        match_masks(_tracks([None]), truth)


def test_masks_are_compared_in_the_coarser_grid():
    truth = _tracks([_still(_square(10, 10, 20))])  # 64x48
    coarse = truth.objects[0].masks.resized((32, 24))  # what an estimator at half size would give
    assert coarse.grid_size == (32, 24) and coarse.frames[0].area_px == 100
    m = match_masks(truth, _tracks([coarse]))
    assert m.ious == [1.0] * T


def _one_pixel_off(masks: ObjectMasks, how: str) -> tuple[ObjectMasks, list[float]]:
    """`masks` shifted one pixel to the right or eroded by one pixel, and each frame's IoU with them."""
    out, ious = ObjectMasks.empty(masks.num_frames, masks.grid_size), []
    for k in range(masks.num_frames):
        d = masks.dense(k)
        if d is None:
            continue
        if how == "shift":
            fake = np.zeros_like(d)
            fake[:, 1:] = d[:, :-1]  # pixels pushed off the edge are lost
        else:
            fake = ndimage.binary_erosion(d)
        out.frames[k] = ObjectMasks.from_dense([fake]).frames[0]
        if out.frames[k] is not None:
            ious.append((d & fake).sum() / (d | fake).sum())
    return out, ious


@pytest.mark.parametrize("how", ["shift", "erode"])
def test_ground_truth_one_pixel_off_scores_its_known_iou(make_tiny_scene, how):
    """A fake estimator on a real scene: the truth one pixel off, in reverse order, under other ids."""
    scene = with_overrides(make_tiny_scene(2), shutter_fraction=0.3, shake_amplitude_px=1.0)
    truth = ground_truth_tracks(scene)
    n = len(truth.objects)
    assert n >= 2
    est = PhysicsTracks.from_json(truth.to_json())
    expected = []
    for obj, true_obj in zip(est.objects, reversed(truth.objects)):
        obj.id += 100
        obj.masks, ious = _one_pixel_off(true_obj.masks, how)
        expected += ious
    result = match_masks(truth, est)
    assert sorted(p[:2] for p in result.pairs) == [(i, 100 + n - 1 - i) for i in range(n)]
    assert sorted(result.ious) == pytest.approx(sorted(expected))
    assert 0.5 < np.median(result.ious) < 0.98


def _bouncer(impact_frames: list[int], n=20, visible_from=0, fps=30.0) -> PhysicsTracks:
    from pavas_core.physics.tracks import Impact

    impacts = [Impact(frame=k, time_s=(k - 0.5) / fps, v_before=3.0, v_after=1.5, delta_ke_j=3.4)
               for k in impact_frames]
    obj = ObjectTrack(id=0, name="ball", action="bouncing", mass_kg=1.0, mass_source="prior",
                      speed_mps=[2.0] * n, centroid_m=[[0.0, 0.0, 2.0]] * n, impacts=impacts,
                      extra={"visible": [k >= visible_from for k in range(n)]})
    return PhysicsTracks(fps=fps, num_frames=n, width=W, height=H, objects=[obj],
                         geometry=Geometry("pinhole", "user")).validate()


def test_recall_observable_asks_only_for_impacts_whose_fall_before_contact_can_be_seen():
    from pavas_core.scenes.evaluate import match_impacts

    # contacts between frames 1|2 (two frames of fall seen: 0 and 1), 9|10 (eight since the last)
    # and 12|13 (three): the first cannot be reported honestly, the other two can
    truth = _bouncer([2, 10, 13])
    nothing = _bouncer([])
    m = match_impacts(truth, nothing)
    assert (m.recall_total, m.observable_total) == (3, 2)
    found_two = match_impacts(truth, _bouncer([10, 13]))
    assert found_two.recall == pytest.approx(2 / 3) and found_two.recall_observable == 1.0
    # an object that drops into the picture at frame 8: the fall before 9|10 is seen for 2 frames
    late = match_impacts(_bouncer([10, 13], visible_from=8), nothing)
    assert (late.recall_total, late.observable_total) == (2, 1)


def test_recall_observable_counts_only_the_free_flight_the_truth_reports():
    from pavas_core.scenes.evaluate import match_impacts

    # contacts at 9|10 and 12|13 (eight and three frames of motion since the last contact); a rigid
    # truth says how long the body was in free flight before each: the first came after a turn about
    # an edge (0.05 s of flight, under two frames), the second after a 0.1 s hop (three frames seen)
    truth = _bouncer([10, 13])
    first, second = truth.objects[0].impacts
    first.extra["free_flight_s"], second.extra["free_flight_s"] = 0.05, 0.1
    m = match_impacts(truth, _bouncer([]))
    assert (m.recall_total, m.observable_total) == (2, 1)
    both = match_impacts(truth, _bouncer([10, 13]))
    assert both.observable_hits == 1 and both.recall_observable == 1.0
    # without the field every moving frame since the last contact counts, as before
    del first.extra["free_flight_s"]
    assert match_impacts(truth, _bouncer([])).observable_total == 2


def test_an_estimate_between_an_edge_landing_and_a_face_slap_goes_to_the_one_whose_speed_it_gives():
    from pavas_core.physics.tracks import Impact
    from pavas_core.scenes.evaluate import match_impacts

    fps = 30.0
    truth = _bouncer([])
    landing = Impact(frame=10, time_s=10.0 / fps, v_before=3.2, v_after=1.6, delta_ke_j=3.8)
    slap = Impact(frame=12, time_s=11.5 / fps, v_before=1.6, v_after=1.0, delta_ke_j=0.8)  # both counted
    truth.objects[0].impacts = [landing, slap]
    est = _bouncer([])
    est.objects[0].impacts = [Impact(frame=11, time_s=11.0 / fps, v_before=3.6, v_after=1.2, delta_ke_j=5.8)]
    m = match_impacts(truth, est)
    # 1.0 frame from the landing and 0.5 from the slap, but 3.6 m/s is the landing (ln 1.125 against ln 2.25)
    assert (m.recall_hits, m.recall_total) == (1, 2)
    assert m.missed == [(0, round(slap.time_s, 4), 1.6)]
    assert m.v_before_rel_errors == pytest.approx([0.4 / 3.2])
    # of the same speed as both, the nearer in time takes it
    est.objects[0].impacts[0].v_before = 2.0
    truth.objects[0].impacts[1].v_before = 2.0
    truth.objects[0].impacts[0].v_before = 2.0
    assert match_impacts(truth, est).missed == [(0, round(landing.time_s, 4), 2.0)]


def test_an_estimate_goes_to_the_bounce_of_its_own_object_before_another_objects_nearer_hop():
    # object 0 bounces at 2.0 m/s at t = 1.000 s; object 1, across the picture, makes a slow last
    # hop (0.4 m/s, not counted) at 0.985 s. The estimate of object 0's bounce at 0.980 s is 0.15
    # frame from the hop and 0.6 frame from its own bounce: nearest in time alone gave it to the
    # hop and counted object 0's bounce as missed.
    from pavas_core.physics.tracks import Impact
    from pavas_core.scenes.evaluate import match_impacts

    fps, n = 30.0, 40

    def obj(oid, x0, impacts):
        return ObjectTrack(id=oid, name="ball", action="bouncing", mass_kg=1.0, mass_source="prior",
                           speed_mps=[2.0] * n, centroid_m=[[0.0, 0.0, 2.0]] * n, impacts=impacts,
                           box_xyxy_px=[[x0, 20.0, x0 + 10.0, 30.0]] * n)

    def im(t, v):
        return Impact(frame=int(round(t * fps)), time_s=t, v_before=v, v_after=0.5 * v, delta_ke_j=1.0)

    truth = PhysicsTracks(fps=fps, num_frames=n, width=W, height=H,
                          objects=[obj(0, 5.0, [im(1.0, 2.0)]), obj(1, 50.0, [im(0.985, 0.4)])],
                          geometry=Geometry("pinhole", "user")).validate()
    est = PhysicsTracks(fps=fps, num_frames=n, width=W, height=H, objects=[obj(7, 6.0, [im(0.98, 1.9)])],
                        geometry=Geometry("pinhole", "user")).validate()
    m = match_impacts(truth, est)
    assert (m.recall_hits, m.recall_total, m.matched_estimates) == (1, 1, 1)
    assert m.v_before_rel_errors == pytest.approx([0.05])


def test_an_estimate_goes_to_the_impact_recall_counts_before_a_nearer_one_it_ignores():
    # a box lands on an edge at 2.6 m/s (t = 0.3625 s, 24 fps) and slaps onto its face at 0.8 m/s
    # (not counted) 1.7 frames later; the estimate of the landing at 0.400 s is 0.9 frame from the
    # landing and 0.8 frame from the slap: nearest in time alone gave it to the slap
    from pavas_core.physics.tracks import Impact
    from pavas_core.scenes.evaluate import match_impacts

    fps, n = 24.0, 30

    def track(impacts):
        obj = ObjectTrack(id=0, name="box", action="sliding_off", mass_kg=1.0, mass_source="prior",
                          speed_mps=[2.0] * n, centroid_m=[[0.0, 0.0, 2.0]] * n, impacts=impacts,
                          box_xyxy_px=[[5.0, 20.0, 15.0, 30.0]] * n)
        return PhysicsTracks(fps=fps, num_frames=n, width=W, height=H, objects=[obj],
                             geometry=Geometry("pinhole", "user")).validate()

    def im(t, v):
        return Impact(frame=int(round(t * fps)), time_s=t, v_before=v, v_after=0.3 * v, delta_ke_j=1.0)

    truth = track([im(0.3625, 2.63), im(0.4333, 0.79)])
    m = match_impacts(truth, track([im(0.400, 3.31)]))
    assert (m.recall_hits, m.recall_total, m.matched_estimates) == (1, 1, 1)
    assert m.v_before_rel_errors == pytest.approx([abs(3.31 - 2.63) / 2.63])
    # with only the slap there, the estimate is still a real impact (no false alarm), just not a counted hit
    slap_only = match_impacts(track([im(0.4333, 0.79)]), track([im(0.400, 3.31)]))
    assert (slap_only.recall_total, slap_only.matched_estimates, slap_only.false_alarms) == (0, 1, [])


def test_the_scene_bootstrap_resamples_scenes_not_impacts():
    """100 scenes of 4 impacts each, half of them all found and half all missed: recall 0.5. The
    scenes are the independent draws, so the pooled recall of a resample is Binomial(100, ½)/100 and
    its 95 % interval [0.40, 0.60] (±1.96·0.05); resampling the 400 impacts as if independent would
    give half that width. Scenes of one same ratio leave nothing to resample: the interval is that
    ratio. Precision is resampled the same way."""
    scenes = [ImpactMatch(recall_hits=4 * (k % 2), recall_total=4, matched_fast_estimates=k % 3,
                          total_fast_estimates=2) for k in range(100)]
    lo, hi = scene_bootstrap_interval(scenes, "recall")
    assert lo == pytest.approx(0.40, abs=0.015) and hi == pytest.approx(0.60, abs=0.015)
    assert scene_bootstrap_interval(scenes, "recall") == (lo, hi)  # seeded: the same interval each run
    same = [ImpactMatch(recall_hits=3, recall_total=4, matched_fast_estimates=1, total_fast_estimates=2,
                        observable_hits=1, observable_total=3)] * 24
    assert scene_bootstrap_interval(same, "recall") == pytest.approx((0.75, 0.75))
    assert scene_bootstrap_interval(same, "recall_observable") == pytest.approx((1 / 3, 1 / 3))
    assert scene_bootstrap_interval(same, "precision_fast") == pytest.approx((0.5, 0.5))
    plo, phi = scene_bootstrap_interval(scenes, "precision_fast")
    assert plo < sum(k % 3 for k in range(100)) / 200 < phi
    with pytest.raises(ValueError):
        scene_bootstrap_interval(scenes, "f1")
