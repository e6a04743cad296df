import json

import numpy as np
import pytest
from scipy import ndimage

from pavas_core.physics.tracks import PhysicsTracks
from pavas_core.scenes.scene import (
    ground_truth_tracks,
    render_frames,
    sample_scene,
    scene_seed,
    shake_offsets_px,
    simulate_scene,
    with_overrides,
)


def test_same_seed_gives_identical_scene_frames_and_ground_truth(make_tiny_scene):
    a, b = make_tiny_scene(3), make_tiny_scene(3)
    assert a == b
    np.testing.assert_array_equal(render_frames(a), render_frames(b))
    assert ground_truth_tracks(a).to_json() == ground_truth_tracks(b).to_json()


def test_scene_seeds_differ_per_index_and_give_different_scenes(make_tiny_scene):
    assert scene_seed(5, 0) != scene_seed(5, 1) and scene_seed(5, 0) == scene_seed(5, 0)
    assert make_tiny_scene(scene_seed(5, 0)).to_dict() != make_tiny_scene(scene_seed(5, 1)).to_dict()


def test_ground_truth_is_loadable_physics_json_with_exact_state_in_extra(make_tiny_scene):
    scene = make_tiny_scene(11)
    truth = ground_truth_tracks(scene)
    loaded = PhysicsTracks.from_json(truth.to_json())
    assert loaded.estimator["ground_truth"] is True
    obj = loaded.objects[0]
    assert len(obj.extra["position_m"]) == scene.num_frames
    assert obj.mass_source == "prior" and obj.material in {o.kind.material for o in scene.objects}
    for imp in obj.impacts:  # ΔKE and the per-impact record agree
        assert imp.delta_ke_j == pytest.approx(0.5 * obj.mass_kg * (imp.v_before**2 - imp.v_after**2))
        assert imp.frame == int(np.ceil(imp.time_s * scene.fps - 1e-9))
        assert np.linalg.norm(imp.extra["velocity_before_mps"]) == pytest.approx(imp.v_before)
    # speeds are the norm of the exact velocities where the object is visible
    vel = np.array(obj.extra["velocity_mps"])
    for k, s in enumerate(obj.speed_mps):
        if s is not None:
            assert s == pytest.approx(np.linalg.norm(vel[k]), rel=1e-5, abs=1e-5)  # extra is rounded to µm
    assert loaded.to_json() == PhysicsTracks.from_json(loaded.to_json()).to_json()  # stable round trip


def test_objects_are_drawn_where_the_camera_projects_them(make_tiny_scene):
    scene = with_overrides(make_tiny_scene(2), noise_sigma_dn=0.0, shutter_fraction=0.0, shake_amplitude_px=0.0)
    scene = with_overrides(scene, objects=scene.objects[:1])
    frames = render_frames(scene).astype(np.float32)
    empty = render_frames(with_overrides(scene, objects=())).astype(np.float32)
    truth = ground_truth_tracks(scene)
    checked = 0
    for k, c in enumerate(truth.objects[0].centroid_m):
        if c is None:
            continue
        uv = scene.camera.project(np.array(c))
        r = scene.camera.focal_px * scene.objects[0].kind.size_m / 2 / c[2]
        if not (r + 2 < uv[0] < scene.camera.width - r - 2 and r + 2 < uv[1] < scene.camera.height - r - 2):
            continue
        ys, xs = np.nonzero(np.abs(frames[k] - empty[k]).sum(-1) > 30)
        assert xs.mean() + 0.5 == pytest.approx(uv[0], abs=0.6)
        assert ys.mean() + 0.5 == pytest.approx(uv[1], abs=0.6)
        checked += 1
    assert checked >= 5


def test_camera_shake_moves_the_whole_picture_by_the_recorded_offsets(make_tiny_scene):
    still = with_overrides(make_tiny_scene(4), noise_sigma_dn=0.0, shake_amplitude_px=0.0, objects=())
    shaky = with_overrides(still, shake_amplitude_px=2.0)
    offsets = shake_offsets_px(shaky)
    assert np.abs(offsets).max() == pytest.approx(2.0)
    a, b = render_frames(still).astype(np.float32), render_frames(shaky).astype(np.float32)
    for k in np.argsort(-np.abs(offsets).sum(1))[:3]:
        moved = ndimage.shift(a[k], (offsets[k, 1], offsets[k, 0], 0), order=1)
        inner = (slice(6, -6), slice(6, -6))
        assert np.abs(moved[inner] - b[k][inner]).mean() < 0.35 * np.abs(a[k][inner] - b[k][inner]).mean()


def test_sampled_scenes_keep_objects_in_view_with_impacts():
    for seed in range(6):
        scene = sample_scene(seed, resolutions=((160, 120),), duration_range_s=(3.0, 3.0))
        truth = ground_truth_tracks(scene, simulate_scene(scene))
        assert 1 <= len(truth.objects) <= 3
        assert any(o.impacts for o in truth.objects)
        assert all(sum(v is not None for v in o.speed_mps) > 0 for o in truth.objects)
        json.dumps(scene.to_dict())
