"""Ground-truth masks of the synthetic scenes: the pixels each object owns in the rendered picture."""

import math

import numpy as np
import pytest

from pavas_core.physics.tracks import PhysicsTracks
from pavas_core.scenes.camera import PinholeCamera
from pavas_core.scenes.catalog import kind_by_name
from pavas_core.scenes.dataset import write_scene
from pavas_core.scenes.render import Coverage, owned_masks
from pavas_core.scenes.scene import (
    SceneObject,
    SceneSpec,
    ground_truth_tracks,
    render_frames,
    render_frames_and_masks,
    render_masks,
    shake_offsets_px,
    simulate_scene,
    with_overrides,
)
from pavas_core.scenes.simulate import BodySpec, Piece, Trajectory

W, H = 160, 120
BALL = kind_by_name("basketball")


def _camera() -> PinholeCamera:
    return PinholeCamera.from_fov(W, H, hfov_deg=60.0, floor_y_m=5.0)


def _scene(n_objects: int, *, num_frames: int = 20, fps: float = 30.0, shutter: float = 0.0,
           shake_px: float = 0.0) -> SceneSpec:
    body = BodySpec(position_m=(0.0, 0.0, 2.0), velocity_mps=(0.0, 0.0, 0.0), radius_m=BALL.size_m / 2,
                    restitution=0.5)
    colors = [(0.85, 0.42, 0.12), (0.2, 0.3, 0.9), (0.9, 0.9, 0.2)]
    objects = tuple(SceneObject(BALL, "thrown", body, colors[i]) for i in range(n_objects))
    return SceneSpec(scene_id="masks", seed=5, fps=fps, num_frames=num_frames, camera=_camera(),
                     floor_style="wood", wall_z_m=8.0, objects=objects, shake_amplitude_px=shake_px,
                     noise_sigma_dn=0.0, shutter_fraction=shutter)


def _straight(p0, v0) -> Trajectory:
    """Uniform straight-line motion (no gravity), so crossings happen where the test puts them."""
    return Trajectory([Piece(0.0, math.inf, np.asarray(p0, float), np.asarray(v0, float), np.zeros(3), "flight")])


def _disc(scene: SceneSpec, traj: Trajectory, k: int) -> tuple[np.ndarray, float]:
    """Projected centre (u, v) px (shake included) and radius px of a sphere at frame k."""
    pos, _ = traj.state_at(scene.frame_times_s[k : k + 1])
    uv = scene.camera.project(pos[0]) + shake_offsets_px(scene)[k]
    return uv, scene.camera.focal_px * BALL.size_m / 2 / pos[0, 2]


def _centre_distance(uv: np.ndarray) -> np.ndarray:
    """(H, W) distance from each pixel centre to uv."""
    ys, xs = np.mgrid[0:H, 0:W] + 0.5
    return np.hypot(xs - uv[0], ys - uv[1])


# --- one object ------------------------------------------------------------------------------------

@pytest.mark.parametrize("shake_px", [0.0, 2.5])
def test_sphere_mask_is_the_projected_disc(shake_px):
    """Area within the pixel-lattice bound of π r², centroid on the projected (shaken) centre."""
    scene = _scene(1, shake_px=shake_px)
    traj = [_straight((-0.4, -0.2, 2.0), (0.9, 0.5, -0.6))]  # across the picture and toward the camera
    masks = render_masks(scene, traj)[0]
    assert masks.grid_size == (W, H)
    for k in range(scene.num_frames):
        uv, r = _disc(scene, traj[0], k)
        assert r + 1 < uv[0] < W - r - 1 and r + 1 < uv[1] < H - r - 1  # wholly in the picture
        m = masks.dense(k)
        # the counted pixel squares cover the disc of radius r − √½ and lie inside radius r + √½
        assert math.pi * (r - 0.5**0.5) ** 2 <= m.sum() <= math.pi * (r + 0.5**0.5) ** 2
        assert abs(m.sum() - math.pi * r**2) < 0.1 * math.pi * r**2
        ys, xs = np.nonzero(m)
        assert xs.mean() + 0.5 == pytest.approx(uv[0], abs=0.15)
        assert ys.mean() + 0.5 == pytest.approx(uv[1], abs=0.15)
        d = _centre_distance(uv)  # exactly the pixel centres inside the outline (away from rounding)
        assert m[d < r - 1e-3].all() and not m[d > r + 1e-3].any()


def test_blurred_mask_is_the_half_covered_pixels_centred_on_the_frame_time_position():
    scene = _scene(1, shutter=0.5, fps=24.0, num_frames=10)
    v = np.array([3.0, -1.0, 0.0])  # 3.2 m/s: a 0.066 m (≈ 4.6 px) streak per exposure
    traj = [_straight((-0.6, 0.1, 2.0), v)]
    masks = render_masks(scene, traj)[0]
    still = render_masks(with_overrides(scene, shutter_fraction=0.0), traj)[0]
    dev_px = scene.camera.focal_px * np.linalg.norm(v) * 0.5 * scene.shutter_fraction / scene.fps / 2.0
    for k in range(scene.num_frames):
        uv, r = _disc(scene, traj[0], k)
        assert r + 3 < uv[0] < W - r - 3 and r + 3 < uv[1] < H - r - 3  # wholly in the picture
        m = masks.dense(k)
        d = _centre_distance(uv)
        # covered at every exposure instant → owned; never covered → not owned
        assert m[d < r - dev_px - 0.5].all() and not m[d > r + dev_px + 0.5].any()
        ys, xs = np.nonzero(m)
        assert xs.mean() + 0.5 == pytest.approx(uv[0], abs=0.25)
        assert ys.mean() + 0.5 == pytest.approx(uv[1], abs=0.25)
        assert m.sum() <= still.dense(k).sum()  # the streak's ends show mostly background


def test_a_streak_longer_than_four_radii_owns_no_pixel_a_shorter_one_does():
    """With the exposure path longer than about four radii no pixel shows the object for half the
    exposure: the streak is in the picture, but nothing in it is more object than background."""
    scene = _scene(1, shutter=0.5, fps=24.0, num_frames=3)
    r_m = BALL.size_m / 2
    exposure_s = scene.shutter_fraction / scene.fps
    for path_radii, expect in ((3.0, True), (5.0, False)):
        masks = render_masks(scene, [_straight((0.0, 0.0, 2.0), (path_radii * r_m / exposure_s, 0.0, 0.0))])[0]
        assert masks.visible()[0] == expect


def test_mask_is_none_exactly_when_no_pixel_centre_is_inside_the_object():
    scene = _scene(1, num_frames=40)
    traj = [_straight((-1.5, 0.0, 2.0), (2.5, 0.1, 0.0))]  # enters from the left, leaves on the right
    masks = render_masks(scene, traj)[0]
    truth = ground_truth_tracks(scene, traj, masks=[masks])
    seen = {"out": 0, "in": 0, "edge": 0}
    for k in range(scene.num_frames):
        uv, r = _disc(scene, traj[0], k)
        d = _centre_distance(uv)
        if d.min() > r + 1e-3:
            assert masks.frames[k] is None
            seen["out"] += 1
        elif d.min() < r - 1e-3:
            assert masks.frames[k] is not None
            m = masks.dense(k)  # partly outside: exactly its pixels inside the picture
            assert m[d < r - 1e-3].all() and not m[d > r + 1e-3].any()
            seen["in"] += 1
            seen["edge"] += int(not (r < uv[0] < W - r))
    assert seen["out"] >= 3 and seen["in"] >= 10 and seen["edge"] >= 2
    vis = np.array(truth.objects[0].extra["visible"])
    assert (masks.visible() <= vis).all()  # a mask only where the projected disc meets the picture


def test_object_at_or_behind_the_camera_has_no_mask():
    scene = _scene(1, num_frames=6)
    masks = render_masks(scene, [_straight((0.0, 0.0, 0.04), (0.0, 0.0, 0.0))])[0]
    assert masks.visible().tolist() == [False] * 6


# --- two objects ---------------------------------------------------------------------------------------

def _across(scene: SceneSpec, u0: float, u1: float, v: float, z: float) -> Trajectory:
    """At depth z, moving in the picture from (u0, v) to (u1, v) px over the clip."""
    cam = scene.camera
    p0 = ((u0 - cam.cx_px) * z / cam.focal_px, (v - cam.cy_px) * z / cam.focal_px, z)
    speed = (u1 - u0) / (scene.num_frames / scene.fps) * z / cam.focal_px
    return _straight(p0, (speed, 0.0, 0.0))


def _dense(masks, k: int) -> np.ndarray:
    m = masks.dense(k)
    return np.zeros((H, W), bool) if m is None else m


@pytest.mark.parametrize("depths_m", [(2.0, 3.0), (3.0, 2.0)])
def test_crossing_objects_the_nearer_one_owns_the_overlap(depths_m):
    scene = _scene(2, num_frames=30)
    trajs = [_across(scene, 30, 130, 60, depths_m[0]), _across(scene, 130, 30, 64, depths_m[1])]
    near = int(np.argmin(depths_m))
    far = 1 - near
    _, masks = render_frames_and_masks(scene, trajs)
    swapped = render_masks(with_overrides(scene, objects=scene.objects[::-1]), trajs[::-1])[::-1]
    overlaps = 0
    for k in range(scene.num_frames):
        discs = [_disc(scene, t, k) for t in trajs]
        dist = [_centre_distance(uv) for uv, _ in discs]
        inside = [d < r for d, (_, r) in zip(dist, discs)]
        m_near, m_far = _dense(masks[near], k), _dense(masks[far], k)
        # away from both outlines: the nearer one keeps its whole disc, the farther one loses the overlap
        clear = np.logical_and.reduce([np.abs(d - r) > 0.5 for d, (_, r) in zip(dist, discs)])
        np.testing.assert_array_equal(m_near[clear], inside[near][clear])
        np.testing.assert_array_equal(m_far[clear], (inside[far] & ~inside[near])[clear])
        # on the outlines: each owns the pixels it shows at least half of (anti-aliased coverage a,
        # the farther one seen through 1 − a of the nearer one)
        a_near = np.clip(discs[near][1] - dist[near] + 0.5, 0, 1)
        a_far = np.clip(discs[far][1] - dist[far] + 0.5, 0, 1)
        share_far = a_far * (1 - a_near)
        sure = (np.abs(a_near - 0.5) > 1e-3) & (np.abs(share_far - 0.5) > 1e-3)
        np.testing.assert_array_equal(m_near[sure], (a_near >= 0.5)[sure])
        np.testing.assert_array_equal(m_far[sure], (share_far >= 0.5)[sure])
        assert not (m_near & m_far).any()
        for a, b in zip(masks, swapped):  # the list order of the objects does not matter, only depth
            np.testing.assert_array_equal(_dense(a, k), _dense(b, k))
        overlaps += int((inside[0] & inside[1]).sum() > 10)
    assert overlaps >= 3


def test_ownership_follows_the_share_of_the_pixel_each_object_shows():
    full = np.ones((1, 3), np.float32)
    faint = np.array([[0.3, 0.5, 0.6]], np.float32)
    # far object (index 0, drawn first) fully covering, near object (index 1) partly transparent
    owned = owned_masks([Coverage(4, 7, full), Coverage(4, 7, faint)], order=[0, 1])
    far_y0, far_x0, far = owned[0]
    near_y0, near_x0, near = owned[1]
    assert (far_y0, far_x0, near_y0, near_x0) == (4, 7, 4, 7)
    # shares: far 1·(1 − a_near) = 0.7, 0.5, 0.4; near 0.3, 0.5, 0.6 → tie at 0.5 goes to the nearer
    assert far.tolist() == [[True, False, False]] and near.tolist() == [[False, True, True]]
    # a faint layer alone (blur) owns nothing below half
    assert owned_masks([Coverage(0, 0, np.full((2, 2), 0.49, np.float32))], [0]) == [None]


# --- rendering and files ----------------------------------------------------------------------------

def test_masks_come_from_the_same_pass_as_the_frames(make_tiny_scene):
    scene = with_overrides(make_tiny_scene(2), shutter_fraction=0.4, shake_amplitude_px=1.5)
    frames, masks = render_frames_and_masks(scene)
    np.testing.assert_array_equal(frames, render_frames(scene))
    for a, b in zip(masks, render_masks(scene)):
        assert a.visible().tolist() == b.visible().tolist()
        for k in np.flatnonzero(a.visible()):
            np.testing.assert_array_equal(a.dense(k), b.dense(k))
    truth = ground_truth_tracks(scene)
    assert all(o.mask_source == "ground_truth" and o.masks.num_frames == scene.num_frames for o in truth.objects)


def test_physics_json_round_trips_the_masks(make_tiny_scene, tmp_path):
    scene = with_overrides(make_tiny_scene(7), shutter_fraction=0.3, shake_amplitude_px=1.0)
    write_scene(tmp_path, scene, sample_rate_hz=16000)
    loaded = PhysicsTracks.load(tmp_path / "physics.json")
    expected = render_masks(scene, simulate_scene(scene))
    assert len(loaded.objects) == len(expected)
    for obj, exp in zip(loaded.objects, expected):
        assert obj.mask_source == "ground_truth" and obj.masks.grid_size == (scene.camera.width, scene.camera.height)
        assert obj.masks.visible().tolist() == exp.visible().tolist() and exp.visible().any()
        for k in range(scene.num_frames):
            a, b = obj.masks.dense(k), exp.dense(k)
            assert (a is None and b is None) or np.array_equal(a, b)
