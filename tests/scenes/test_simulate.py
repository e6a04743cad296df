import math

import numpy as np
import pytest

from pavas_core.physics.tracks import delta_ke_j
from pavas_core.scenes.simulate import GRAVITY_MPS2, BodySpec, floor_plane, simulate, wall_planes

FLOOR_Y = 1.2


def drop(**kw) -> BodySpec:
    args = dict(position_m=(0.1, -0.4, 3.0), velocity_mps=(0.7, -1.0, 0.2), radius_m=0.06, restitution=0.8,
                tangential_keep=0.9, slide_decel_mps2=1.0)
    args.update(kw)
    return BodySpec(**args)


def test_free_flight_follows_the_ballistic_equations_until_the_first_contact():
    body = drop()
    traj = simulate(body, planes=[floor_plane(FLOOR_Y)], duration_s=3.0)
    t = np.linspace(0.0, traj.contacts[0].time_s - 1e-6, 50)
    pos, vel = traj.state_at(t)
    p0, v0, g = np.array(body.position_m), np.array(body.velocity_mps), np.array([0.0, GRAVITY_MPS2, 0.0])
    np.testing.assert_allclose(pos, p0 + v0 * t[:, None] + 0.5 * g * t[:, None] ** 2, atol=1e-12)
    np.testing.assert_allclose(vel, v0 + g * t[:, None], atol=1e-12)


def test_contact_time_is_the_analytic_root_where_the_surface_touches_the_floor():
    body = drop()
    traj = simulate(body, planes=[floor_plane(FLOOR_Y)], duration_s=3.0)
    c = traj.contacts[0]
    # y(t) + r = floor: ½ g t² + vy t + (y0 + r − floor) = 0
    y0, vy, r = body.position_m[1], body.velocity_mps[1], body.radius_m
    expected = (-vy + math.sqrt(vy**2 - 2 * GRAVITY_MPS2 * (y0 + r - FLOOR_Y))) / GRAVITY_MPS2
    assert c.time_s == pytest.approx(expected, abs=1e-12)
    assert c.position_m[1] + r == pytest.approx(FLOOR_Y, abs=1e-12)
    assert abs(c.time_s * 30 - round(c.time_s * 30)) > 1e-6  # not on the frame grid


def test_bounce_scales_normal_and_tangential_speed_and_energy_loss_is_delta_ke():
    body = drop(restitution=0.7, tangential_keep=0.85)
    traj = simulate(body, planes=[floor_plane(FLOOR_Y)], duration_s=3.0)
    mass = 0.43
    for c in traj.contacts[:4]:
        vb, va = c.velocity_before_mps, c.velocity_after_mps
        assert va[1] == pytest.approx(-0.7 * vb[1], rel=1e-12)
        np.testing.assert_allclose(va[[0, 2]], 0.85 * vb[[0, 2]], rtol=1e-12)
        # the states just around the contact carry exactly the recorded speeds
        _, v = traj.state_at(np.array([c.time_s - 1e-9, c.time_s + 1e-9]))
        ke_before, ke_after = 0.5 * mass * np.sum(v**2, axis=1)
        assert ke_before - ke_after == pytest.approx(delta_ke_j(mass, c.v_before, c.v_after), rel=1e-6)


def test_bounces_shrink_geometrically_and_the_body_comes_to_rest():
    traj = simulate(drop(restitution=0.6), planes=[floor_plane(FLOOR_Y)], duration_s=5.0)
    speeds = [c.v_after for c in traj.contacts]
    assert len(traj.contacts) >= 4
    assert all(b < a for a, b in zip(speeds, speeds[1:]))
    assert traj.pieces[-1].phase == "rest"
    pos, vel = traj.state_at(np.array([4.9]))
    assert np.allclose(vel, 0.0) and pos[0, 1] + 0.06 == pytest.approx(FLOOR_Y)


def test_wall_contact_reverses_the_sideways_velocity():
    body = drop(velocity_mps=(3.0, -1.0, 0.0), restitution=0.5)
    traj = simulate(body, planes=[floor_plane(FLOOR_Y), *wall_planes(-2.0, 0.6)], duration_s=3.0)
    wall = next(c for c in traj.contacts if c.plane == "wall_right")
    assert wall.position_m[0] + 0.06 == pytest.approx(0.6, abs=1e-12)
    assert wall.velocity_after_mps[0] == pytest.approx(-0.5 * wall.velocity_before_mps[0])


def test_body_released_on_the_floor_slides_to_a_stop_without_an_impact():
    body = BodySpec((0.0, FLOOR_Y - 0.05, 3.0), (1.0, 0.0, 0.0), 0.05, 0.5, slide_decel_mps2=0.5)
    traj = simulate(body, planes=[floor_plane(FLOOR_Y)], duration_s=3.0)
    assert traj.contacts == []
    pos, vel = traj.state_at(np.array([1.0, 2.5]))
    assert pos[0, 0] == pytest.approx(0.75) and pos[1, 0] == pytest.approx(1.0) and np.allclose(vel[1], 0)


def test_held_body_stays_put_until_its_release_time():
    traj = simulate(drop(release_time_s=0.5), planes=[floor_plane(FLOOR_Y)], duration_s=2.0)
    pos, vel = traj.state_at(np.array([0.0, 0.49]))
    np.testing.assert_allclose(pos, [[0.1, -0.4, 3.0]] * 2)
    assert traj.contacts[0].time_s > 0.5
