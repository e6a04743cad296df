"""A travelling camera: the scene's true depth, camera poses from the background, world-frame speed."""

from __future__ import annotations

import numpy as np
import pytest

from pavas_core.physics.dynamics import object_dynamics
from pavas_core.physics.options import EstimateOptions
from pavas_core.physics.stages import DiscoveredObject, Discovery, make_context
from pavas_core.physics.stages.mask_input import GivenMasksObserver

DOLLY_MPS = (0.5, -0.1, 0.15)


@pytest.fixture(scope="module")
def dolly_scene():
    from pavas_core.scenes.scene import ground_truth_tracks, render_frames_and_masks, simulate_scene, with_overrides
    from pavas_core.video import clip_from_frames

    from .conftest import build_scene

    scene = build_scene([("basketball", (0.3, 0.3), (1.2, -1.5, 0.0), {})], width=192, height=144,
                        duration_s=1.4, shake_px=1.5, seed=11)
    scene = with_overrides(scene, camera_velocity_mps=DOLLY_MPS)
    traj = simulate_scene(scene)
    frames, masks = render_frames_and_masks(scene, traj)
    return scene, clip_from_frames(frames, scene.fps), masks, ground_truth_tracks(scene, traj, masks=masks)


def test_a_static_scene_is_described_as_before(scene_tools):
    build_scene, render, _ = scene_tools
    scene = build_scene([("basketball", (0.3, 0.3), (1.0, -1.0, 0.0), {})], duration_s=0.3)
    assert not scene.camera_moves and "camera_velocity_mps" not in scene.to_dict()
    np.testing.assert_array_equal(scene.camera_position_m(scene.frame_times_s), 0.0)


def test_true_depth_is_the_sphere_surface_and_the_floor(dolly_scene):
    from pavas_core.scenes.depth import depth_frames
    from pavas_core.scenes.scene import shake_offsets_px

    scene, _, _, truth = dolly_scene
    depth = depth_frames(scene)
    cam = scene.camera
    k = 10
    c = np.array(truth.objects[0].centroid_m[k]) - scene.camera_position_m(scene.frame_times_s[k])
    u, v = cam.project(c) + shake_offsets_px(scene)[k]
    r = truth.objects[0].size_m / 2
    assert depth[k, int(v), int(u)] == pytest.approx(c[2] - r, abs=0.02)  # the front of the ball
    # bottom row, far from the ball: the floor plane, seen from the camera's height at time t
    off = shake_offsets_px(scene)[k]
    dy = (scene.camera.height - 0.5 - off[1] - cam.cy_px) / cam.focal_px
    oy = scene.camera_position_m(scene.frame_times_s[k])[1]
    assert depth[k, -1, 5] == pytest.approx((cam.floor_y_m - oy) / dy, rel=1e-5)


def _speed_error(scene, clip, masks, truth, poses: str) -> float:
    from pavas_core.scenes.true_depth import TrueDepthGeometry

    opts = EstimateOptions(analysis_max_side=192)
    ctx = make_context(clip, analysis_max_side=192)
    disc = Discovery([DiscoveredObject("basketball", "user")], backend="truth", context=ctx)
    obs = GivenMasksObserver(masks).observe(ctx, disc, None, opts)
    geo = TrueDepthGeometry(scene, poses=poses).geometry(ctx, disc, obs, opts)
    dyn = object_dynamics(geo.objects[0], ctx.times_s, ctx.fps, penalty=opts.segment_penalty)
    near = {f for im in truth.objects[0].impacts for f in range(im.frame - 2, im.frame + 3)}
    errs = [abs(e - t) for k, (e, t) in enumerate(zip(dyn.speed_mps, truth.objects[0].speed_mps))
            if e is not None and t is not None and k not in near]
    assert len(errs) > 20
    return float(np.mean(errs)), geo


def test_camera_motion_moves_the_poses_not_the_world_frame_speed(dolly_scene):
    """With the true depth, poses found in the background take the dolly out of the object's speed."""
    from pavas_core.scenes.depth import camera_to_world

    scene, clip, masks, truth = dolly_scene
    camera_err, _ = _speed_error(scene, clip, masks, truth, "none")
    world_err, geo = _speed_error(scene, clip, masks, truth, "background")
    assert geo.frame == "world" and geo.extra["camera_poses_from"] == "background"
    true_travel = camera_to_world(scene)[-1, :3, 3]
    np.testing.assert_allclose(geo.camera_to_world[-1, :3, 3], true_travel, atol=0.03)
    assert camera_err > 0.2  # the dolly (0.53 m/s) shows in the camera frame
    assert world_err < 0.5 * camera_err and world_err < 0.1, (world_err, camera_err)
