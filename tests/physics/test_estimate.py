import numpy as np
import pytest

from pavas_core.errors import BadInputError
from pavas_core.physics.estimate import EstimateOptions, estimate_physics
from pavas_core.scenes.evaluate import match_impacts, summarize
from pavas_core.video import clip_from_frames


def _flight_speed_errors(truth, est, *, skip_near_impacts=2):
    """Relative per-frame speed errors away from the contacts (one object)."""
    gt, ob = truth.objects[0], est.objects[0]
    near = {i.frame + d for i in gt.impacts for d in range(-skip_near_impacts, skip_near_impacts + 1)}
    errs = [abs(e - t) / t for k, (t, e) in enumerate(zip(gt.speed_mps, ob.speed_mps))
            if t is not None and e is not None and k not in near and t > 0.5]
    return np.array(errs)


def test_bouncing_ball_impacts_have_accurate_contact_times_and_speeds(bouncing_ball):
    clip, truth = bouncing_ball
    est = estimate_physics(clip)
    s = summarize(match_impacts(truth, est))
    assert s["true_impacts"] == 3 and s["recall"] == 1.0 and s["precision"] == 1.0
    assert s["v_before_rel_error_p90"] < 0.03
    assert s["time_error_frames_median"] < 0.25
    obj = est.objects[0]
    assert obj.extra["metric_scale_source"] == "gravity" and est.geometry.metric_scale_source == "gravity"
    assert obj.extra["implied_gravity_mps2"] == pytest.approx(9.81, rel=1e-3)
    assert np.median(_flight_speed_errors(truth, est)) < 0.03
    for imp in obj.impacts:
        assert imp.delta_ke_j == pytest.approx(0.5 * obj.mass_kg * (imp.v_before**2 - imp.v_after**2))


def test_gravity_fit_recovers_the_metric_scale_at_the_objects_depth(bouncing_ball):
    clip, truth = bouncing_ball
    est = estimate_physics(clip)
    cam = truth.geometry.extra["camera"]
    z = truth.objects[0].extra["position_m"][0][2]
    assert est.objects[0].extra["meters_per_px"] == pytest.approx(z / cam["focal_px"], rel=0.02)
    # metric size of the ball (0.24 m) from its apparent size at that scale
    assert est.objects[0].size_m == pytest.approx(0.24, rel=0.1) and est.objects[0].size_source == "gravity"


def test_camera_shake_does_not_disturb_the_estimate(bouncing_ball_shaky):
    clip, truth = bouncing_ball_shaky
    est = estimate_physics(clip)
    assert est.geometry.extra["camera_static"] is False
    assert est.geometry.extra["camera_shake_px"] == pytest.approx(2.5, abs=0.5)
    s = summarize(match_impacts(truth, est))
    assert s["recall"] == 1.0 and s["precision"] == 1.0 and s["v_before_rel_error_p90"] < 0.03
    assert np.median(_flight_speed_errors(truth, est)) < 0.03


def test_two_crossing_objects_keep_their_identities(crossing_balls, scene_tools):
    clip, truth = crossing_balls
    _, _, gt_uv = scene_tools
    est = estimate_physics(clip)
    assert len(est.objects) == 2
    for obj in est.objects:
        owners = []
        for k, box in enumerate(obj.box_xyxy_px):
            if box is None:
                continue
            centre = np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])
            d = [np.linalg.norm(centre - uv) if (uv := gt_uv(truth, j, k, clip.width)) is not None else np.inf
                 for j in range(2)]
            if min(d) < 0.5 * max(d):  # unambiguous frames (not while they overlap)
                owners.append(int(np.argmin(d)))
        assert len(owners) > 30 and len(set(owners)) == 1  # never swapped
    m = match_impacts(truth, est)
    assert m.recall == 1.0 and m.precision == 1.0
    assert max(m.v_before_rel_errors) < 0.03


def test_names_pick_the_prior_and_a_user_mass_overrides_it(bouncing_ball):
    clip, _ = bouncing_ball
    named = estimate_physics(clip, options=EstimateOptions(object_names=["Basketballs"]))
    obj = named.objects[0]
    assert (obj.name, obj.mass_kg, obj.mass_source, obj.material) == ("Basketballs", 0.62, "prior", "rubber")
    heavy = estimate_physics(clip, options=EstimateOptions(object_names=["basketball"], mass_kg=2.0)).objects[0]
    assert heavy.mass_kg == 2.0 and heavy.mass_source == "user"
    for a, b in zip(obj.impacts, heavy.impacts):
        assert b.delta_ke_j == pytest.approx(a.delta_ke_j * 2.0 / 0.62)


def _sliding(scene_tools, **kw):
    build, render, _ = scene_tools
    # a tennis ball rolling along the floor: no free flight, gravity cannot be seen
    scene = build([("tennis ball", (0.15, 0.0), (1.0, 0.0, 0.0), {"slide_decel_mps2": 0.2, "on_floor": True})],
                  duration_s=1.5, depth_m=1.6, seed=2)
    return render(scene), scene


def test_size_prior_gives_the_scale_when_gravity_cannot_be_seen(scene_tools):
    (clip, truth), scene = _sliding(scene_tools)
    est = estimate_physics(clip, options=EstimateOptions(object_names=["tennis ball"]))
    assert est.geometry.metric_scale_source == "size_prior"
    obj = est.objects[0]
    assert obj.extra["metric_scale_source"] == "size_prior"
    assert any("size" in w and "gravity" in w for w in est.warnings)
    true = np.array([s if s is not None else np.nan for s in truth.objects[0].speed_mps])
    got = np.array([s if s is not None else np.nan for s in obj.speed_mps])
    ok = np.isfinite(true) & np.isfinite(got)
    assert ok.sum() > 20
    assert np.nanmedian(np.abs(got[ok] - true[ok]) / true[ok]) < 0.15
    assert obj.impacts == []


def test_user_scale_wins_and_a_nameless_object_without_gravity_gets_a_generic_size(scene_tools):
    (clip, truth), scene = _sliding(scene_tools)
    mpp = scene.objects[0].body.position_m[2] / scene.camera.focal_px
    est = estimate_physics(clip, options=EstimateOptions(meters_per_px=mpp))
    assert est.geometry.metric_scale_source == "user"
    true = np.array([s if s is not None else np.nan for s in truth.objects[0].speed_mps])
    got = np.array([s if s is not None else np.nan for s in est.objects[0].speed_mps])
    ok = np.isfinite(true) & np.isfinite(got)
    assert np.nanmedian(np.abs(got[ok] - true[ok]) / true[ok]) < 0.05
    generic = estimate_physics(clip)
    assert generic.objects[0].extra["metric_scale_source"] == "size_prior"
    assert any("generic" in w for w in generic.warnings)
    assert generic.objects[0].mass_source == "prior" and generic.objects[0].extra["prior"]["matched"] is None


def test_user_scale_is_in_the_videos_own_pixels_whatever_size_it_was_decoded_at(scene_tools):
    import dataclasses

    (clip, truth), scene = _sliding(scene_tools)
    mpp = scene.objects[0].body.position_m[2] / scene.camera.focal_px  # per pixel of this 320-wide render
    # the same pictures, as if they came from a 4x larger file decoded at 320 px: the user gives the
    # file's own metres per pixel (4x smaller) and focal length (4x larger)
    big = dataclasses.replace(clip, source_size=(clip.width * 4, clip.height * 4))
    est = estimate_physics(big, options=EstimateOptions(meters_per_px=mpp / 4, focal_px=scene.camera.focal_px * 4))
    # physics.json is in the video's own pixel grid: the focal length and picture size come back as given
    assert est.geometry.focal_px == pytest.approx(scene.camera.focal_px * 4, rel=1e-3)
    assert (est.width, est.height) == big.source_size
    assert est.objects[0].extra["meters_per_px"] == pytest.approx(mpp / 4, rel=1e-6)
    # boxes too: their centres are 4x the true projected centres (within the blob's 2 px blur at 320 px)
    pairs = [(b, t) for b, t in zip(est.objects[0].box_xyxy_px, truth.objects[0].box_xyxy_px) if b and t]
    assert len(pairs) > 20
    for b, t in pairs:
        assert abs((b[0] + b[2]) / 2 - 2 * (t[0] + t[2])) < 8 and abs((b[1] + b[3]) / 2 - 2 * (t[1] + t[3])) < 8
    true = np.array([s if s is not None else np.nan for s in truth.objects[0].speed_mps])
    got = np.array([s if s is not None else np.nan for s in est.objects[0].speed_mps])
    ok = np.isfinite(true) & np.isfinite(got)
    assert np.nanmedian(np.abs(got[ok] - true[ok]) / true[ok]) < 0.05


def test_video_without_motion_gives_no_objects_and_says_so(scene_tools):
    build, render, _ = scene_tools
    clip, _ = render(build([], duration_s=1.0))
    est = estimate_physics(clip)
    assert est.objects == [] and any("no moving object" in w for w in est.warnings)
    assert est.num_frames == clip.num_frames


def test_one_frame_video_is_refused_with_a_clear_message():
    clip = clip_from_frames(np.zeros((1, 48, 64, 3), np.uint8), 30.0)
    with pytest.raises(BadInputError, match="at least"):
        estimate_physics(clip)


def test_same_clip_gives_the_same_physics(bouncing_ball):
    clip, _ = bouncing_ball
    assert estimate_physics(clip).to_json() == estimate_physics(clip).to_json()


def test_last_small_bounce_before_an_object_comes_to_rest_is_found(scene_tools):
    # a cushion dropped from rest: it lands at 5.5 m/s, hops a few pixels (over its own resting
    # place) and lands again at 1.4 m/s, then rests for most of the clip
    build, render, _ = scene_tools
    scene = build([("cushion", (0.5, 0.2), (0.3, 0.0, 0.0), {"restitution": 0.25})],
                  width=160, height=120, duration_s=2.5, seed=4)
    clip, truth = render(scene)
    est = estimate_physics(clip)
    m = match_impacts(truth, est)
    fast = [i for i in truth.objects[0].impacts if i.v_before >= 1.0]
    assert len(fast) == 2 and fast[1].v_before == pytest.approx(1.39, abs=0.01)
    assert m.recall == 1.0 and m.precision == 1.0
    assert max(m.v_before_rel_errors) < 0.05
