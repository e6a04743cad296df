"""Rigid-body scenes: exact physics of the engine runs, the renderer's silhouettes and shadows, the
ground truth and the opt-in dataset option."""

from __future__ import annotations

import math
import sys
from dataclasses import replace

import numpy as np
import pytest

from pavas_core.scenes.camera import PinholeCamera
from pavas_core.scenes.rigid import (GRAVITY_MPS2, RIGID_CATALOG, SIM_RATE_HZ, TALL_KINDS, RigidBody, RigidSceneSpec,
                                     SimulatorMissingError, rigid_ground_truth, render_rigid, rotation_matrix,
                                     sample_rigid_scene, simulate_rigid)
from pavas_core.scenes.rigid_render import SHADOW_FACTOR, BodyLook, render_rigid_frame

pytest.importorskip("pybullet")

CAM = PinholeCamera(320, 240, 300.0, 160.0, 120.0, 0.5)  # floor 0.5 m below the camera
IDENTITY = (0.0, 0.0, 0.0, 1.0)


def _scene(*bodies: RigidBody, seconds: float = 2.0, fps: float = 30.0, platform=None) -> RigidSceneSpec:
    return RigidSceneSpec(scene_id="t", seed=1, fps=fps, num_frames=int(seconds * fps), camera=CAM,
                          floor_style="stone", wall_z_m=6.0, wall_rgb=(0.6, 0.6, 0.6), bodies=tuple(bodies),
                          platform=platform, shake_amplitude_px=0.0, noise_sigma_dn=0.0)


def _kind(name: str):
    return next(k for k in RIGID_CATALOG + TALL_KINDS if k.name == name)


def test_a_flat_drop_hits_at_the_free_fall_speed():
    block = _kind("wooden block")
    drop = 0.4  # metres from the bottom face to the floor
    y = CAM.floor_y_m - block.half_extents_m[1] - drop
    body = RigidBody(block, "tumbling", (0.0, y, 2.5), IDENTITY, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), block.color_rgb)
    _, contacts = simulate_rigid(_scene(body))
    first = contacts[0][0]
    expected = math.sqrt(2 * GRAVITY_MPS2 * drop)
    assert first.surface == "floor"
    assert abs(first.time_s - math.sqrt(2 * drop / GRAVITY_MPS2)) <= 2.0 / SIM_RATE_HZ
    assert first.v_before == pytest.approx(expected, rel=0.01)
    # the whole fall is free flight: from the release to the contact, to the engine's step
    assert first.free_flight_s == pytest.approx(math.sqrt(2 * drop / GRAVITY_MPS2), abs=2.0 / SIM_RATE_HZ)
    # restitution (the floor's is 1, so the block's own): Bullet resolves a face landing as four corner
    # contacts, which keep a little less than e of the speed (0.88·e here); never more
    ratio = first.v_after / first.v_before
    assert 0.7 * block.restitution < ratio <= 1.02 * block.restitution


def test_motion_along_the_line_of_sight_is_in_the_speed():
    block = _kind("wooden block")
    y = CAM.floor_y_m - block.half_extents_m[1] - 0.3
    body = RigidBody(block, "tumbling", (0.0, y, 2.5), IDENTITY, (0.0, 0.0, 2.0), (0.0, 0.0, 0.0), block.color_rgb)
    _, contacts = simulate_rigid(_scene(body))
    c = contacts[0][0]
    assert c.velocity_before_mps[2] == pytest.approx(2.0, abs=1e-6)
    assert c.v_before == pytest.approx(math.hypot(2.0, math.sqrt(2 * GRAVITY_MPS2 * 0.3)), rel=0.01)


def test_a_rolling_cylinder_keeps_its_speed_and_makes_no_impact():
    tube = _kind("plastic tube")
    r = tube.dims_m[0] / 2
    v = np.array([0.5, 0.0, 0.0])
    omega = np.cross(v, [0.0, 1.0, 0.0]) / r
    body = RigidBody(tube, "rolling", (-0.4, CAM.floor_y_m - r, 2.5), IDENTITY, tuple(v), tuple(omega), tube.color_rgb)
    trajs, contacts = simulate_rigid(_scene(body))
    speed = np.linalg.norm(trajs[0].velocity_mps, axis=1)
    assert np.allclose(speed, 0.5, rtol=1e-9)
    assert contacts[0] == []
    # rolling without slipping: the axis turns by distance / radius
    rot = rotation_matrix(trajs[0].orientation_xyzw[-1])
    travelled = trajs[0].position_m[-1, 0] - trajs[0].position_m[0, 0]
    angle = math.atan2(rot[1, 0], rot[0, 0])  # the body's x axis turned in the x–y plane
    assert np.isclose(np.mod(angle - travelled / r + np.pi, 2 * np.pi) - np.pi, 0.0, atol=1e-6)


def test_a_sliding_box_slows_at_mu_g_and_makes_no_impact():
    brick = _kind("brick")
    body = RigidBody(brick, "sliding", (-0.4, CAM.floor_y_m - brick.half_extents_m[1], 2.5), IDENTITY,
                     (1.5, 0.0, 0.0), (0.0, 0.0, 0.0), brick.color_rgb)
    trajs, contacts = simulate_rigid(_scene(body))
    vx = trajs[0].velocity_mps[:, 0]
    t = trajs[0].times_s
    moving = (vx > 0.2) & (t > 0.05)
    decel = -np.polyfit(t[moving], vx[moving], 1)[0]
    assert decel == pytest.approx(brick.friction * GRAVITY_MPS2, rel=0.05)  # Coulomb: μ·g (the floor's μ is 1)
    assert contacts[0] == []


def test_an_object_at_rest_that_is_pushed_topples_with_an_impact():
    post = _kind("wooden post")
    m = post.mass_kg
    body = RigidBody(post, "toppling", (0.0, CAM.floor_y_m - post.half_extents_m[1], 2.5), IDENTITY,
                     (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), post.color_rgb, push=(0.5, 0.12, 0.4 * m * GRAVITY_MPS2, 0.0, 0.0))
    trajs, contacts = simulate_rigid(_scene(body))
    tr = trajs[0]
    before = (tr.times_s > 2.0 / SIM_RATE_HZ) & (tr.times_s < 0.5)  # the engine's first step settles the contact
    assert np.abs(tr.velocity_mps[before]).max() < 1e-3  # at rest until the push
    assert contacts[0], "the post must hit the floor"
    hit = contacts[0][0]
    assert 0.6 < hit.time_s < 1.8
    # the centre falls from half the height to half the width: at most that much speed
    drop = post.half_extents_m[1] - post.half_extents_m[0]
    assert 0.5 < hit.v_before < math.sqrt(2 * GRAVITY_MPS2 * drop) * 1.15
    # it turned about its edge on the floor all the way down: no free fall a camera could see
    assert hit.free_flight_s < 1.0 / 30.0


def test_a_block_that_lands_on_an_edge_and_slaps_flat_has_no_free_flight_before_the_slap():
    block = _kind("wooden block")
    drop = 0.35  # from the lowest edge to the floor
    tilt = math.radians(30.0)  # about the z axis (the line of sight): it lands on one long edge
    rot = rotation_matrix(np.array([0.0, 0.0, math.sin(tilt / 2), math.cos(tilt / 2)]))
    corners = np.array([[sx, sy, 0.0] for sx in (-1, 1) for sy in (-1, 1)]) * np.array(block.half_extents_m)
    lowest = float((corners @ rot.T)[:, 1].max())  # y points down
    body = RigidBody(block, "tumbling", (0.0, CAM.floor_y_m - lowest - drop, 2.5),
                     (0.0, 0.0, math.sin(tilt / 2), math.cos(tilt / 2)), (0.0, 0.0, 0.0), (0.0, 0.0, 0.0),
                     block.color_rgb)
    _, contacts = simulate_rigid(_scene(body))
    edge, *later = contacts[0]
    assert edge.free_flight_s == pytest.approx(math.sqrt(2 * drop / GRAVITY_MPS2), abs=2.0 / SIM_RATE_HZ)
    assert edge.v_before == pytest.approx(math.sqrt(2 * GRAVITY_MPS2 * drop), rel=0.01)
    # each later contact's free flight starts after the contact before it (a hop off the edge), and
    # the block's turns about an edge on the floor end in slaps with no free flight at all
    assert all(b.free_flight_s <= b.time_s - a.time_s for a, b in zip(contacts[0], later))
    assert any(c.free_flight_s == 0.0 and c.v_before > 0.5 for c in later)


_BOX_CENTRE = np.array([0.0, CAM.floor_y_m - 0.1 - 0.3, 2.0])  # a 20 cm box 30 cm above the floor, 2 m away


def _red_box_over_a_plain_floor(**kw):
    """(background, frame, owned): a red box at _BOX_CENTRE over an orange floor."""
    look = BodyLook("box", (0.1, 0.1, 0.1), (0.9, 0.1, 0.1), 0.0)
    bg = np.full((CAM.height + 6, CAM.width + 6, 3), 0.0, np.float32)
    bg[...] = np.array([0.6, 0.4, 0.2], np.float32)
    frame, owned = render_rigid_frame(bg, camera=CAM, margin_px=3, offset_px=(0.0, 0.0), looks=[look],
                                      poses=[(_BOX_CENTRE, np.eye(3))], wall_z_m=10.0, **kw)
    return bg, frame, owned


def test_the_renderer_draws_a_box_where_it_projects_and_a_shadow_that_keeps_the_floor_chroma():
    bg, frame, owned = _red_box_over_a_plain_floor()
    pos = _BOX_CENTRE
    y0, x0, mask = owned[0]
    # the front face (z = 1.9) projects to a square of 300·0.2/1.9 px around the centre
    side = 300.0 * 0.2 / 1.9
    ys, xs = np.nonzero(mask)
    assert xs.min() + x0 == pytest.approx(160 - side / 2, abs=1.0)
    assert ys.min() + y0 == pytest.approx(CAM.cy_px + 300.0 * (pos[1] - 0.1) / 1.9, abs=1.0)
    # the shadow: floor pixels darkened by SHADOW_FACTOR, same chroma (ratio equal in every channel)
    ratio = frame / bg[3:-3, 3:-3]
    dark = np.all(np.isclose(ratio, SHADOW_FACTOR, atol=1e-3), axis=2)
    assert dark.sum() > 50
    assert not np.any(dark & (np.abs(frame - np.array([0.9, 0.1, 0.1])).sum(axis=2) < 0.3))
    rows = np.nonzero(dark)[0]
    assert rows.min() > CAM.cy_px  # on the floor, below the horizon


def test_a_shadow_free_twin_differs_from_its_scene_by_the_shadow_alone():
    bg, shaded, owned = _red_box_over_a_plain_floor()
    _, twin, owned_twin = _red_box_over_a_plain_floor(cast_shadows=False)
    assert owned[0][:2] == owned_twin[0][:2] and np.array_equal(owned[0][2], owned_twin[0][2])  # same body pixels
    y0, x0, mask = owned[0]
    body = np.zeros(shaded.shape[:2], bool)
    body[y0:y0 + mask.shape[0], x0:x0 + mask.shape[1]] = mask
    assert np.array_equal(shaded[body], twin[body])
    changed = np.any(shaded != twin, axis=2)
    assert changed.sum() > 50 and not (changed & body).any()
    # where they differ, the twin is the floor itself and the scene its shadow: one factor in every
    # channel, SHADOW_FACTOR inside, between it and 1 where a pixel is partly shadowed (its edge)
    np.testing.assert_allclose(twin[changed], bg[3:-3, 3:-3][changed], rtol=1e-6)
    ratio = shaded[changed] / twin[changed]
    np.testing.assert_allclose(ratio, ratio[:, :1] * np.ones((1, 3)), rtol=1e-5)
    assert ratio.min() == pytest.approx(SHADOW_FACTOR, rel=1e-5) and ratio.max() < 1.0
    assert np.mean(np.isclose(ratio[:, 0], SHADOW_FACTOR, rtol=1e-5)) > 0.5


def test_shadow_free_twins_are_for_rigid_scenes(tmp_path):
    from pavas_core.errors import BadInputError
    from pavas_core.scenes.dataset import synth_dataset

    with pytest.raises(BadInputError, match="--no-shadows is for --rigid"):
        synth_dataset(tmp_path / "out", n=1, seed=1, cast_shadows=False)
    assert not (tmp_path / "out").exists()


def test_ground_truth_of_a_sampled_scene_is_consistent():
    scene = replace(sample_rigid_scene(4), num_frames=40)
    trajs, contacts = simulate_rigid(scene)
    frames, masks = render_rigid(scene, trajs)
    truth = rigid_ground_truth(scene, trajs, contacts, masks)
    assert frames.shape == (40, scene.camera.height, scene.camera.width, 3)
    for obj, body in zip(truth.objects, scene.bodies):
        assert obj.action == body.action
        assert obj.extra["no_impact_expected"] == (body.action in ("rolling", "sliding", "resting"))
        for im in obj.impacts:
            v = np.linalg.norm(im.extra["velocity_before_mps"])
            assert im.v_before == pytest.approx(v)
            assert 0.0 <= im.extra["free_flight_s"] <= im.time_s
    # same seed, same frames
    again, _ = render_rigid(scene, simulate_rigid(scene)[0])
    assert np.array_equal(frames, again)


def test_rigid_datasets_need_the_simulator(monkeypatch, tmp_path):
    from pavas_core.scenes.dataset import synth_dataset

    monkeypatch.setitem(sys.modules, "pybullet", None)
    with pytest.raises(SimulatorMissingError, match="pip install"):
        synth_dataset(tmp_path / "out", n=1, seed=1, rigid=True)
    assert not (tmp_path / "out").exists()


def test_a_block_dropped_on_a_resting_one_makes_the_only_impact():
    base, top = _kind("plastic crate"), _kind("wooden block")
    base_pos = (0.0, CAM.floor_y_m - base.half_extents_m[1], 2.5)
    drop = 0.3
    top_y = CAM.floor_y_m - base.dims_m[1] - top.half_extents_m[1] - drop
    bodies = (RigidBody(base, "resting", base_pos, IDENTITY, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), base.color_rgb),
              RigidBody(top, "stacking", (0.0, top_y, 2.5), IDENTITY, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), top.color_rgb))
    _, contacts = simulate_rigid(_scene(*bodies))
    assert contacts[0] == []  # the base is pushed, it makes no impact of its own
    hit = contacts[1][0]
    assert hit.surface == "object 0"
    assert hit.v_before == pytest.approx(math.sqrt(2 * GRAVITY_MPS2 * drop), rel=0.01)


def test_a_rigid_dataset_of_one_action_takes_the_seeds_draws_of_that_action_in_order(tmp_path):
    from pavas_core.errors import BadInputError
    from pavas_core.scenes.dataset import scene_seed, synth_dataset

    kw = dict(fps_choices=(24.0,), resolutions=((64, 48),), duration_range_s=(0.5, 0.5))
    entries = synth_dataset(tmp_path / "topple", n=2, seed=7, rigid=True, rigid_actions=("toppling",), **kw)
    expected = [s for s in (scene_seed(7, i) for i in range(200))
                if any(b.action == "toppling" for b in sample_rigid_scene(s, **kw).bodies)][:2]
    assert [e["seed"] for e in entries] == expected
    assert all(any(o["action"] == "toppling" for o in e["objects"]) for e in entries)
    for bad in (dict(rigid=True, rigid_actions=("rolling",)), dict(rigid=False, rigid_actions=("toppling",))):
        with pytest.raises(BadInputError, match="--actions"):
            synth_dataset(tmp_path / "bad", n=1, seed=7, **bad)
