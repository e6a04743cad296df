"""The "cut3r" geometry backend: world-frame mathematics with an oracle in CUT3R's place, fallbacks,
focal fit, and the registered backend's plumbing with a micro random-weight network."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pavas_core.errors import BadInputError, MissingWeightsError
from pavas_core.perception.cut3r import Cut3rFrame
from pavas_core.physics.dynamics import object_dynamics
from pavas_core.physics.options import EstimateOptions
from pavas_core.physics.pointmaps import depth_to_points
from pavas_core.physics.stages import DiscoveredObject, Discovery, make_context
from pavas_core.physics.stages.cut3r_geometry import Cut3rGeometry, fit_focal, input_size
from pavas_core.physics.stages.mask_input import GivenMasksObserver

from .conftest import build_scene

DOLLY_MPS = (0.6, -0.1, 0.2)
SIDE = 192


class OracleCut3r(torch.nn.Module):
    """Stands in for the network: each step returns the scene's exact camera-frame points at the input's
    size and the true camera-to-world pose (what a perfect CUT3R would say), optionally spoiled."""

    def __init__(self, scene, nan_points_frames=(), nan_pose_frames=()) -> None:
        super().__init__()
        from types import SimpleNamespace

        self.cfg = SimpleNamespace(patch=16)
        self.scene, self.nan_points, self.nan_pose = scene, set(nan_points_frames), set(nan_pose_frames)
        self.anchor = torch.nn.Parameter(torch.zeros(1))
        self._points = {}
        self.inputs = []

    def step(self, img, state=None, want_rgb=False):
        from pavas_core.scenes.depth import camera_to_world, depth_frames

        k = 0 if state is None else state
        h, w = img.shape[-2:]
        self.inputs.append((h, w))
        if (h, w) not in self._points:
            self._points[(h, w)] = depth_frames(self.scene, scale=w / self.scene.camera.width, points=True)
        pts = torch.from_numpy(np.array(self._points[(h, w)][k], dtype=np.float32))[None]
        if k in self.nan_points:
            pts[:] = float("nan")
        pose = torch.zeros(1, 7)
        pose[0, :3] = torch.from_numpy(camera_to_world(self.scene)[k, :3, 3])
        pose[0, 3] = 1.0
        if k in self.nan_pose:
            pose[:] = float("nan")
        conf = torch.ones(pts.shape[:3])
        return Cut3rFrame(points_self=pts, conf_self=conf, points_world=pts, conf_world=conf, pose=pose,
                          rgb=None), k + 1


def _render(scene):
    from pavas_core.scenes.scene import ground_truth_tracks, render_frames_and_masks, simulate_scene
    from pavas_core.video import clip_from_frames

    traj = simulate_scene(scene)
    frames, masks = render_frames_and_masks(scene, traj)
    return clip_from_frames(frames, scene.fps), masks, ground_truth_tracks(scene, traj, masks=masks)


@pytest.fixture(scope="module")
def scenes():
    from pavas_core.scenes.scene import with_overrides

    static = build_scene([("basketball", (0.3, 0.3), (1.2, -1.5, 0.0), {})], width=SIDE, height=144,
                         duration_s=1.4, seed=11)
    dolly = with_overrides(static, camera_velocity_mps=DOLLY_MPS)
    return {"static": (static, *_render(static)), "dolly": (dolly, *_render(dolly))}


def _geometry(scene, clip, masks, backend, names=("basketball",)):
    opts = EstimateOptions(analysis_max_side=SIDE)
    ctx = make_context(clip, analysis_max_side=SIDE)
    disc = Discovery([DiscoveredObject(n, "user") for n in names], backend="truth", context=ctx)
    obs = GivenMasksObserver(masks).observe(ctx, disc, None, opts)
    return ctx, opts, backend.geometry(ctx, disc, obs, opts)


def test_camera_translation_moves_the_poses_not_the_world_frame_centroid(scenes):
    from pavas_core.scenes.depth import camera_to_world

    geos = {}
    for key in ("static", "dolly"):
        scene, clip, masks, _ = scenes[key]
        geos[key] = _geometry(scene, clip, [masks[0]], Cut3rGeometry(model=OracleCut3r(scene), size=SIDE))[2]
    dolly_scene = scenes["dolly"][0]
    g_static, g_dolly = geos["static"], geos["dolly"]
    assert g_dolly.frame == "world" and g_dolly.extra["camera_poses_from"] == "cut3r"
    assert g_dolly.backend == "cut3r" and g_dolly.metric_scale_source == "cut3r"
    travel = camera_to_world(dolly_scene)[:, :3, 3] - camera_to_world(dolly_scene)[0, :3, 3]
    np.testing.assert_allclose(g_dolly.camera_to_world[:, :3, 3], travel, atol=1e-5)
    np.testing.assert_allclose(g_static.camera_to_world[:, :3, 3], 0.0, atol=1e-9)
    assert np.linalg.norm(travel[-1]) > 0.8
    a, b = g_static.objects[0].centroid_m, g_dolly.objects[0].centroid_m
    both = np.isfinite(a).all(axis=1) & np.isfinite(b).all(axis=1)
    assert both.sum() > 30
    # the same object motion seen from a moving camera: same world-frame centroids (up to which part of
    # the ball's surface is visible from where), while in the camera frame they differ by the travel
    diff = np.linalg.norm(a[both] - b[both], axis=1)
    assert np.median(diff) < 0.02 and diff.max() < 0.06, (np.median(diff), diff.max())
    moved = np.linalg.norm(travel[both], axis=1)
    assert moved.max() > 20 * np.median(diff)


def test_world_frame_speed_beats_camera_frame_speed_under_a_dolly(scenes):
    from pavas_core.scenes.true_depth import TrueDepthGeometry

    scene, clip, masks, truth = scenes["dolly"]

    def error(backend):
        ctx, opts, geo = _geometry(scene, clip, [masks[0]], backend)
        dyn = object_dynamics(geo.objects[0], ctx.times_s, ctx.fps, penalty=opts.segment_penalty)
        near = {f for im in truth.objects[0].impacts for f in range(im.frame - 2, im.frame + 3)}
        errs = [abs(e - t) for k, (e, t) in enumerate(zip(dyn.speed_mps, truth.objects[0].speed_mps))
                if e is not None and t is not None and k not in near]
        assert len(errs) > 20
        return float(np.mean(errs))

    world = error(Cut3rGeometry(model=OracleCut3r(scene), size=SIDE))
    camera = error(TrueDepthGeometry(scene, poses="none"))
    assert camera > 0.2 and world < 0.5 * camera and world < 0.1, (world, camera)


def test_fallbacks_are_named(scenes):
    scene, clip, masks, _ = scenes["dolly"]
    oracle = OracleCut3r(scene, nan_points_frames=(5,), nan_pose_frames=(7,))
    _, _, geo = _geometry(scene, clip, [masks[0]], Cut3rGeometry(model=oracle, size=SIDE),
                          names=("basketball", "tennis ball"))
    text = " | ".join(geo.warnings)
    assert "camera pose not finite in 1 frame(s) (e.g. frame 7)" in text
    assert geo.extra["camera_poses_from"] == "background"
    assert "1 frame(s) without any valid depth" in text
    assert not np.isfinite(geo.objects[0].centroid_m[5]).any()
    assert "object 1 (tennis ball): no mask in any frame" in text
    assert not np.isfinite(geo.objects[1].centroid_m).any() and not geo.objects[1].usable.any()


def test_missing_weights_are_one_clear_error(scenes, tmp_path):
    scene, clip, masks, _ = scenes["static"]
    with pytest.raises(BadInputError, match="--cut3r FILE"):
        _geometry(scene, clip, [masks[0]], Cut3rGeometry())
    with pytest.raises(MissingWeightsError, match="CUT3R weights not found"):
        _geometry(scene, clip, [masks[0]], Cut3rGeometry(model_path=str(tmp_path / "cut3r_512_dpt_4_64.pth")))
    with pytest.raises(BadInputError, match="--cut3r-size"):
        Cut3rGeometry(size=8)


def test_input_size_keeps_the_aspect_in_patches():
    assert input_size(640, 360, 512) == (512, 288)
    assert input_size(360, 640, 512) == (288, 512)
    assert input_size(320, 240, 64) == (64, 48)
    assert input_size(1000, 10, 512) == (512, 16)


def test_focal_fit_is_exact_on_pinhole_points_and_robust_to_outliers():
    gen = np.random.default_rng(0)
    depth = gen.uniform(1.0, 5.0, size=(2, 36, 48))
    pts = depth_to_points(depth, 41.5)
    valid = np.ones(depth.shape, bool)
    assert fit_focal(pts, valid) == pytest.approx(41.5, rel=1e-6)
    spoiled = pts.copy()
    bad = gen.random(depth.shape) < 0.1
    spoiled[bad, :2] *= gen.uniform(0.3, 3.0, size=(int(bad.sum()), 1))
    assert fit_focal(spoiled, valid) == pytest.approx(41.5, rel=0.02)
    assert fit_focal(pts, np.zeros(depth.shape, bool)) is None


def test_registered_backend_runs_a_micro_network_streaming(scenes):
    """The real network (micro size, random weights) through the stage: shapes, poses, bounded state."""
    from pavas_core.perception.cut3r import MICRO, random_cut3r
    from pavas_core.physics.stages import create_backend

    scene, clip, masks, _ = scenes["dolly"]
    model = random_cut3r(MICRO, seed=0)
    backend = create_backend("geometry", "cut3r", model=model, size=48)
    ctx, _, geo = _geometry(scene, clip, [masks[0]], backend)
    n = ctx.num_frames
    assert geo.camera_to_world.shape == (n, 4, 4) and geo.objects[0].centroid_m.shape == (n, 3)
    np.testing.assert_allclose(geo.camera_to_world[0], np.eye(4), atol=1e-6)
    rot = geo.camera_to_world[:, :3, :3]
    np.testing.assert_allclose(rot @ rot.transpose(0, 2, 1), np.broadcast_to(np.eye(3), rot.shape), atol=1e-6)
    assert geo.extra["cut3r_input_size"] == [48, 32]
    assert geo.focal_source in ("cut3r", "assumed_fov")
