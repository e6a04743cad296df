"""World-frame geometry from per-pixel 3D points: centroids, fallbacks, ComfyUI packets, camera motion."""

from __future__ import annotations

import numpy as np
import pytest

from pavas_core.errors import BadInputError
from pavas_core.physics.estimate import assemble_physics, observe, run_stage
from pavas_core.physics.masks import ObjectMasks
from pavas_core.physics.options import EstimateOptions
from pavas_core.physics.stages import create_backend, make_context


def test_robust_centroid_ignores_a_few_wild_depths():
    from pavas_core.physics.pointmaps import robust_centroid

    rng = np.random.default_rng(0)
    clean = rng.normal([0.3, -0.2, 2.0], 0.02, size=(200, 3))
    wild = np.concatenate([clean, rng.normal([0.3, -0.2, 6.0], 0.5, size=(15, 3))])  # flying pixels behind
    assert np.linalg.norm(robust_centroid(wild) - clean.mean(axis=0)) < 0.01
    assert np.linalg.norm(wild.mean(axis=0) - clean.mean(axis=0)) > 0.2  # the plain mean is pulled


def test_object_centroid_uses_the_mask_interior_not_its_outline():
    """A mask that leaks one pixel onto the background (5 m behind) still gives the object's depth."""
    from pavas_core.physics.pointmaps import PointMaps, depth_to_points, object_points

    h, w = 40, 60
    depth = np.full((1, h, w), 5.0, np.float32)
    yy, xx = np.mgrid[:h, :w]
    disc = (yy - 20) ** 2 + (xx - 30) ** 2 <= 8**2
    depth[0][disc] = 2.0
    leaky = (yy - 20) ** 2 + (xx - 30) ** 2 <= 9**2
    maps = PointMaps(depth_to_points(depth, 50.0), focal_px=50.0, source="depth")
    got = object_points(maps, ObjectMasks.from_dense([leaky]), np.eye(4)[None])
    assert got.depth_m[0] == pytest.approx(2.0)
    assert got.centroid_cam[0, 2] == pytest.approx(2.0, abs=1e-6)
    assert got.centroid_cam[0, 0] == pytest.approx((30.5 - 30) * 2.0 / 50.0, abs=1e-3)


def test_poses_move_centroids_into_the_world_frame():
    from pavas_core.physics.pointmaps import PointMaps, depth_to_points, object_points

    depth = np.full((2, 20, 20), 3.0, np.float32)
    maps = PointMaps(depth_to_points(depth, 40.0), focal_px=40.0, source="depth")
    mask = np.zeros((20, 20), bool)
    mask[8:12, 8:12] = True
    poses = np.tile(np.eye(4), (2, 1, 1))
    poses[1, :3, 3] = [0.5, 0.0, 0.0]  # the camera moved 0.5 m right: the same pixels are 0.5 m further right
    got = object_points(maps, ObjectMasks.from_dense([mask, mask]), poses)
    np.testing.assert_allclose(got.centroid_world[1] - got.centroid_world[0], [0.5, 0.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(got.centroid_cam[1], got.centroid_cam[0])


@pytest.fixture(scope="module")
def staged(bouncing_ball):
    """(ctx, discovery, observation, options) of the bouncing ball with the motion stages."""
    clip, _ = bouncing_ball
    opts = EstimateOptions()
    ctx = make_context(clip, analysis_max_side=opts.analysis_max_side)
    disc = run_stage("discover", opts, ctx)
    obs = observe(opts, ctx, disc)
    return ctx, disc, obs, opts


def _da3(ctx):
    from pavas_core.physics.stages.comfy_geometry import example_da3_packet

    return example_da3_packet(ctx)


def test_every_fallback_is_named_and_leaves_no_speed_where_there_is_no_depth(staged):
    """NaN depth in a whole frame, NaN depth inside the object's mask, an object with no mask."""
    import copy

    from pavas_core.physics.stages import ObjectObservation, Observation

    ctx, disc, obs, opts = staged
    packet = _da3(ctx)
    seen = np.flatnonzero(obs.objects[0].masks.visible())
    k_frame, k_mask = int(seen[10]), int(seen[20])
    packet["depth"][k_frame] = float("nan")  # a frame with no valid point at all
    fm = obs.objects[0].masks.frames[k_mask]
    packet["depth"][k_mask, fm.y0:fm.y0 + fm.crop.shape[0], fm.x0:fm.x0 + fm.crop.shape[1]] = float("nan")
    empty = ObjectObservation(ObjectMasks.empty(ctx.num_frames, ctx.grid_size), np.zeros(ctx.num_frames, bool),
                              np.zeros(ctx.num_frames, bool))
    disc2 = copy.copy(disc)
    disc2.objects = list(disc.objects) + [copy.copy(disc.objects[0])]
    obs2 = Observation(list(obs.objects) + [empty], obs.grid_size, obs.backend, obs.mask_source, context=ctx)
    geo = create_backend("geometry", "da3", geometry=packet).geometry(ctx, disc2, obs2, opts)
    text = " | ".join(geo.warnings)
    assert "1 frame(s) without any valid depth" in text
    assert "2 frame(s) with a mask but no valid depth" in text
    assert "object 1" in text and "no mask in any frame" in text
    c = geo.objects[0].centroid_m
    assert np.isnan(c[k_frame]).all() and np.isnan(c[k_mask]).all()
    assert np.isfinite(c[seen[11]]).all()
    assert np.isnan(geo.objects[1].centroid_m).all() and not geo.objects[1].usable.any()
    masses = run_stage("mass", opts, ctx, disc2, geo)
    tracks = assemble_physics(ctx, disc2, obs2, geo, masses, opts)
    assert tracks.objects[0].speed_mps[k_frame] is None and tracks.objects[0].speed_mps[int(seen[11])] is not None
    assert all(s is None for s in tracks.objects[1].speed_mps)
    assert tracks.objects[0].frame == "world" and tracks.geometry.backend == "da3"


def test_da3_multiview_poses_and_intrinsics_are_read_as_comfyui_writes_them(staged):
    """Extrinsics are world-to-camera; a camera 0.4 m to the right of frame 0's sees the world shifted left."""
    import torch

    from pavas_core.physics.stages.comfy_geometry import da3_point_maps

    ctx, *_ = staged
    packet = _da3(ctx)
    e = packet["extrinsics"]
    e[0, 1:, 0, 3] = -0.4  # x_cam = x_world − 0.4
    maps = da3_point_maps(packet, ctx.num_frames, ctx.grid_size)
    np.testing.assert_allclose(maps.camera_to_world[5][:3, 3], [0.4, 0.0, 0.0], atol=1e-6)
    f = float(packet["intrinsics"][0, 0, 0, 0])
    assert maps.focal_px == pytest.approx(f)
    # pixel centres at integer coordinates in DA3: column (w-1)/2 is straight ahead
    w = ctx.grid_size[0]
    p = maps.points_cam[0, 10, (w - 1) // 2]
    assert abs(p[0]) <= 0.5 * float(packet["depth"][0, 0, 0]) / f + 1e-6
    assert not maps.metric  # multi-view DA3 (Small/Base) is not metric unless told
    packet["sky"] = torch.ones_like(packet["depth"])
    assert np.isnan(da3_point_maps(packet, ctx.num_frames, ctx.grid_size).points_cam).all()


def test_moge_packets_are_checked(staged):
    from pavas_core.physics.stages.comfy_geometry import example_moge_packet, moge_point_maps

    ctx, *_ = staged
    packet = example_moge_packet(ctx)
    maps = moge_point_maps(packet, ctx.num_frames, ctx.grid_size)
    assert maps.metric and maps.focal_px == pytest.approx(float(packet["intrinsics"][0, 0, 0]) * ctx.grid_size[0])
    v1 = {k: v for k, v in packet.items() if k != "normal"}
    assert not moge_point_maps(v1, ctx.num_frames, ctx.grid_size).metric
    with pytest.raises(BadInputError, match="panorama"):
        moge_point_maps({k: v for k, v in packet.items() if k != "intrinsics"}, ctx.num_frames, ctx.grid_size)
    with pytest.raises(BadInputError, match="frame"):
        moge_point_maps(packet, ctx.num_frames + 1, ctx.grid_size)


def test_learned_geometry_without_its_input_says_what_to_connect(staged):
    ctx, disc, obs, opts = staged
    for name, hint in (("depth", "--depth"), ("da3", "Depth Anything 3"), ("moge", "MoGe")):
        with pytest.raises(BadInputError, match=hint):
            create_backend("geometry", name).geometry(ctx, disc, obs, opts)


def test_non_metric_depth_is_scaled_by_free_fall(staged):
    """DA3 depth in arbitrary units (×0.37) comes out in metres again: gravity sets the scale."""
    from pavas_core.physics.dynamics import object_dynamics

    ctx, disc, obs, opts = staged
    packet = _da3(ctx)
    packet["depth"] = packet["depth"] * 0.37
    geo = create_backend("geometry", "da3", geometry=packet).geometry(ctx, disc, obs, opts)
    assert geo.metric_scale_source == "gravity"
    dyn = object_dynamics(geo.objects[0], ctx.times_s, ctx.fps, penalty=opts.segment_penalty)
    assert dyn.extra["implied_gravity_mps2"] == pytest.approx(9.81, rel=0.02)
    assert geo.extra["scale_factor"] == pytest.approx(1 / 0.37, rel=0.1)
