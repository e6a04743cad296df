"""Global motion of the background: translation, zoom, static (noisy, dithered) and a dolly's world frame."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from pavas_core.physics.global_motion import MOVING_SPREAD_PX, STATIC_SHIFT_PX, estimate_global_motion

H, W = 180, 320


def _texture(seed: int = 0, h: int = H + 80, w: int = W + 80) -> np.ndarray:
    """A smooth random texture (grey levels 30..220), larger than the frame (room to move)."""
    rng = np.random.default_rng(seed)
    img = sum(ndimage.gaussian_filter(rng.standard_normal((h, w)), s) * s for s in (1.0, 3.0, 8.0))
    img = (img - img.min()) / (img.max() - img.min())
    return 30 + 190 * img


def _frames(sample) -> np.ndarray:
    """Frames (T, H, W, 3) uint8 whose pixel (x, y) shows the texture at sample(k, x, y)."""
    tex = _texture()
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float64)
    out = []
    rng = np.random.default_rng(1)
    for k in range(24):
        sx, sy = sample(k, xx, yy)
        g = ndimage.map_coordinates(tex, [sy + 40, sx + 40], order=3, mode="reflect")
        g = g + rng.normal(0, 1.5, g.shape)  # sensor noise
        out.append(np.repeat(g.clip(0, 255).round().astype(np.uint8)[..., None], 3, axis=-1))
    return np.stack(out)


def test_a_pan_is_recovered_as_a_translation_within_the_fields_own_spread():
    vx, vy = 1.6, -0.7  # px per frame: the picture's content moves by (vx, vy)·k
    frames = _frames(lambda k, x, y: (x - vx * k, y - vy * k))
    m = estimate_global_motion(frames)
    assert m.kind == "moving"  # 37 px over the clip: beyond shake
    truth = np.stack([vx * np.arange(24), vy * np.arange(24)], axis=1)
    err = np.abs(m.translation_px - truth).max()
    # the estimator's own spread: how much its grid nodes disagree on a motion that is one translation
    c = m.cumulative_px.reshape(24, -1, 2)
    spread = float(np.abs(c - np.median(c, axis=1, keepdims=True)).max())  # largest node disagreement
    assert m.spread_px < MOVING_SPREAD_PX
    assert err <= max(spread, 0.1)
    assert err < 0.3


def test_a_zoom_is_recovered_as_a_radial_field():
    rate = 0.004  # the picture grows by 0.4 % per frame about its centre
    cx, cy = W / 2, H / 2

    def zoom(k, x, y):
        s = 1 + rate * k
        return cx + (x + 0.5 - cx) / s - 0.5, cy + (y + 0.5 - cy) / s - 0.5

    frames = _frames(zoom)
    m = estimate_global_motion(frames)
    assert m.kind == "moving"  # not one translation: the edges move apart
    k = 23
    s = 1 + rate * k
    xs = np.array([40.0, 280.0, 160.0, 40.0, 280.0])
    ys = np.array([30.0, 30.0, 90.0, 150.0, 150.0])
    # a point seen at p in frame 0 is at c + (p − c)·s in frame k; the field is sampled where it started
    truth = np.stack([(xs - cx) * (s - 1), (ys - cy) * (s - 1)], axis=1)
    est = m.at(k, xs, ys)
    assert np.abs(est - truth).max() < 0.1 * np.abs(truth).max() + 0.3
    assert np.abs(m.translation_px[k]).max() < 0.5  # no net translation


@pytest.fixture(scope="module")
def room_under_dolly():
    """An empty room (planked floor in perspective, textured wall) seen from a camera travelling
    sideways by 2 cm per frame: the wall slides uniformly, the floor faster row by row towards the
    camera (its planks converge: little texture along them)."""
    from pavas_core.scenes.background import render_background
    from pavas_core.scenes.camera import PinholeCamera

    cam = PinholeCamera.from_fov(W, H, hfov_deg=60.0, floor_y_m=0.45)
    frames = [render_background(cam, rng=np.random.default_rng(7), floor_style="wood", wall_z_m=4.0,
                                margin_px=0, camera_position_m=(0.02 * k, 0.0, 0.0)) for k in range(24)]
    return cam, 4.0, 0.02, (np.stack(frames) * 255).clip(0, 255).round().astype(np.uint8)


def test_a_dollys_floor_parallax_is_followed_row_by_row(room_under_dolly):
    """A floor block shears as the view moves on (its top and bottom rows slide apart), so a keyframe
    stops correlating with it: the field must still follow the floor's motion, which grows with the
    row. A single grid of third-of-the-picture blocks chained over keyframes left the rows near the
    camera 13 % short."""
    cam, wall_z, step_m, frames = room_under_dolly
    m = estimate_global_motion(frames)
    assert m.kind == "moving"
    k = len(frames) - 1
    xs = np.array([80.0, 160.0, 240.0])
    wall = -cam.focal_px * step_m * k / wall_z
    wall_err = abs(float(np.median(m.at(k, xs, np.full(3, 40.0))[:, 0])) - wall) / abs(wall)
    assert wall_err < 0.05
    for y in (150.0, 170.0):  # floor rows: depth from the row, the picture's motion f·travel/depth
        z = cam.floor_y_m * cam.focal_px / (y + 0.5 - cam.cy_px)
        truth = -cam.focal_px * step_m * k / z
        est = float(np.median(m.at(k, xs, np.full(3, y))[:, 0]))
        # the wall's own error (texture resampled in every frame) is the scale of what is achievable
        assert abs(est - truth) / abs(truth) < max(0.06, 2 * wall_err), (y, est, truth)


def test_an_empty_room_under_a_dolly_has_few_moving_pixels(room_under_dolly):
    """Nothing moves in the world: what the moving-camera segmentation marks is misregistration,
    on a plank floor at most a percent of the picture (a field that misses the floor's parallax
    marked 3 %)."""
    from pavas_core.physics.moving_background import segment_moving_camera

    _, _, _, frames = room_under_dolly
    seg = segment_moving_camera(frames, estimate_global_motion(frames), fps=24.0)
    share = sum(d.area_px for dets in seg.detections for d in dets) / (len(frames) * H * W)
    assert share < 0.015


def test_a_static_camera_is_static_also_with_noise_and_gif_dithering():
    from PIL import Image

    frames = _frames(lambda k, x, y: (x, y))
    assert estimate_global_motion(frames).kind == "static"
    # a GIF: a colour picture quantised to 64 colours with error diffusion, the dither pattern
    # different in every frame (the noise underneath changes)
    rng = np.random.default_rng(2)
    tex = _texture(3)[:H, :W]
    colour = np.stack([tex, 0.6 * tex + 60, 255 - tex], axis=-1)
    gif = []
    for _ in range(20):
        noisy = (colour + rng.normal(0, 2.0, colour.shape)).clip(0, 255).astype(np.uint8)
        q = Image.fromarray(noisy).quantize(colors=64, dither=Image.Dither.FLOYDSTEINBERG)
        gif.append(np.asarray(q.convert("RGB")))
    m = estimate_global_motion(np.stack(gif))
    assert m.kind == "static" and m.static
    assert np.abs(m.cumulative_px).max() == 0.0
    assert STATIC_SHIFT_PX > 0


def test_a_flat_colour_cartoon_is_static_though_its_blocks_find_motion():
    """bench/real_clips.py's cartoon (plain sky and ground, a hopping blob, a turning star): its
    blocks correlate with the objects or with nothing, which once made a field of noise classed
    "moving" (and tracks of sky-coloured ghosts); the field must line the frames up to count."""
    from bench_modules import load_bench

    from pavas_core.physics.global_motion import GlobalMotion, _grid, _track_field
    from pavas_core.physics.stages.base import resize_frames

    frames, _ = load_bench("real_clips").animation()
    frames = resize_frames(frames, 320)[0]
    g = _grid(*frames.shape[1:3])
    cum, conf, _ = _track_field(frames, g)
    noise = GlobalMotion("shake", cum, g.node_x, g.node_y, conf)
    assert noise.spread_px > MOVING_SPREAD_PX  # what the blocks report is not one small translation
    m = estimate_global_motion(frames)
    assert m.kind == "static" and np.abs(m.cumulative_px).max() == 0.0


def test_a_static_gif_reports_no_shake_in_physics(tmp_path):
    """The whole estimator: a dithered static clip is reported static, with 0 px of shake."""
    from PIL import Image

    from pavas_core.physics.estimate import EstimateOptions, estimate_physics
    from pavas_core.video import clip_from_frames

    rng = np.random.default_rng(4)
    tex = _texture(5)[:H, :W]
    colour = np.stack([tex, 0.5 * tex + 80, 255 - tex], axis=-1)
    gif = []
    for _ in range(16):
        noisy = (colour + rng.normal(0, 2.0, colour.shape)).clip(0, 255).astype(np.uint8)
        gif.append(np.asarray(Image.fromarray(noisy).quantize(colors=32, dither=Image.Dither.FLOYDSTEINBERG)
                              .convert("RGB")))
    est = estimate_physics(clip_from_frames(np.stack(gif), 10.0), options=EstimateOptions(analysis_max_side=320))
    assert est.geometry.extra["camera_motion"] == "static"
    assert est.geometry.extra["camera_static"] is True
    assert est.geometry.extra["camera_shake_px"] == 0.0
    assert est.geometry.extra["frame"] == "camera"


@pytest.fixture(scope="module")
def dolly_estimate():
    from pavas_core.physics.estimate import EstimateOptions, estimate_physics
    from pavas_core.scenes.scene import ground_truth_tracks, render_frames_and_masks, sample_scene, simulate_scene
    from pavas_core.video import clip_from_frames

    scene = sample_scene(5, resolutions=((320, 180),), duration_range_s=(3.0, 3.0), fps_choices=(30.0,),
                         camera_motion="dolly")
    traj = simulate_scene(scene)
    frames, masks = render_frames_and_masks(scene, traj)
    truth = ground_truth_tracks(scene, traj, masks=masks)
    est = estimate_physics(clip_from_frames(frames, scene.fps), options=EstimateOptions(analysis_max_side=320))
    return scene, truth, est


def test_dolly_scene_option_leaves_the_scene_as_drawn_and_moves_the_camera():
    from pavas_core.scenes.scene import sample_scene

    still = sample_scene(5)
    dolly = sample_scene(5, camera_motion="dolly")
    assert not still.camera_moves and dolly.camera_moves
    assert dolly.objects == still.objects and dolly.camera == still.camera and dolly.fps == still.fps
    assert abs(dolly.camera_velocity_mps[0]) > 5 * abs(dolly.camera_velocity_mps[1])  # sideways
    with pytest.raises(ValueError):
        sample_scene(5, camera_motion="crane")


def test_dolly_estimate_is_reported_in_the_world_frame(dolly_estimate):
    scene, truth, est = dolly_estimate
    geo = est.geometry.extra
    assert geo["camera_motion"] == "moving" and geo["frame"] == "world"
    assert geo["camera_motion_source"] == "background_phase_correlation"
    assert geo["camera_shake_px"] is None and geo["camera_motion_px"] > 5.0
    assert all(o.frame == "world" for o in est.objects)


def test_dolly_impacts_are_found_with_world_frame_speeds(dolly_estimate):
    from pavas_core.scenes.evaluate import match_impacts

    scene, truth, est = dolly_estimate
    m = match_impacts(truth, est)
    assert m.recall_hits >= 1
    assert float(np.median(m.v_before_rel_errors)) < 0.15


def test_dolly_world_frame_speed_from_true_masks_is_close_to_truth():
    """The compensation alone (true masks, gravity scale): world-frame speeds near the truth, and
    much nearer than without compensation (the camera frame)."""
    from pavas_core.physics.dynamics import object_dynamics
    from pavas_core.physics.options import EstimateOptions
    from pavas_core.physics.stages import DiscoveredObject, Discovery, make_context
    from pavas_core.physics.stages.gravity import GravityGeometry
    from pavas_core.physics.stages.mask_input import GivenMasksObserver
    from pavas_core.scenes.scene import ground_truth_tracks, render_frames_and_masks, sample_scene, simulate_scene
    from pavas_core.video import clip_from_frames

    scene = sample_scene(5, resolutions=((320, 180),), duration_range_s=(3.0, 3.0), fps_choices=(30.0,),
                         camera_motion="dolly")
    traj = simulate_scene(scene)
    frames, masks = render_frames_and_masks(scene, traj)
    truth = ground_truth_tracks(scene, traj, masks=masks)
    opts = EstimateOptions(analysis_max_side=320, masks="mask_input")
    ctx = make_context(clip_from_frames(frames, scene.fps), analysis_max_side=320)
    discovery = Discovery([DiscoveredObject(o.name, "user") for o in truth.objects], backend="truth", context=ctx)
    observation = GivenMasksObserver(masks).observe(ctx, discovery, None, opts)
    geo = GravityGeometry().geometry(ctx, discovery, observation, opts)
    assert geo.frame == "world"
    errors = []
    for o_geo, o_true in zip(geo.objects, truth.objects):
        dyn = object_dynamics(o_geo, ctx.times_s, ctx.fps, penalty=opts.segment_penalty)
        near = {f for im in o_true.impacts for f in range(im.frame - 2, im.frame + 3)}
        pairs = [(e, t) for k, (e, t) in enumerate(zip(dyn.speed_mps, o_true.speed_mps))
                 if e is not None and t is not None and k not in near and t > 1.0]
        assert len(pairs) >= 5
        errors += [abs(e - t) / t for e, t in pairs]
    assert float(np.median(errors)) < 0.10


@pytest.mark.parametrize("radius", [1, 2])
def test_the_moving_camera_colour_range_is_the_square_min_and_max(radius):
    """The neighbours' colours within BOX_PX of a pixel: scipy's square minimum/maximum filters
    (edges repeated), computed by shifted slices for speed."""
    from pavas_core.physics.moving_background import _box_range

    stack = np.random.default_rng(radius).uniform(0, 255, (3, 17, 23, 3)).astype(np.float32)
    lo, hi = _box_range(stack, radius)
    size = (1, 2 * radius + 1, 2 * radius + 1, 1)
    assert np.array_equal(lo, ndimage.minimum_filter(stack, size=size, mode="nearest"))
    assert np.array_equal(hi, ndimage.maximum_filter(stack, size=size, mode="nearest"))
