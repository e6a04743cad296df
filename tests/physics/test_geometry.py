import numpy as np
import pytest

from pavas_core.physics.geometry import fit_depth_model, focal_from_fov


def test_focal_length_of_a_60_degree_field_of_view():
    assert focal_from_fov(320, 60.0) == pytest.approx(160 / np.tan(np.radians(30)))
    assert focal_from_fov(640, 90.0) == pytest.approx(320.0)


def test_steady_motion_in_depth_is_seen_in_the_apparent_size():
    t = np.linspace(0, 3, 90)
    z = 3.0 + 0.3 * t  # receding 10 % per second
    size = 60.0 / z * (1 + np.random.default_rng(0).normal(0, 0.02, t.size))
    model = fit_depth_model(t, size)
    assert model.active
    assert model.scale(3.0) / model.scale(0.0) == pytest.approx(z[-1] / z[0], rel=0.03)


def test_constant_size_with_noise_is_no_motion_in_depth():
    t = np.linspace(0, 3, 90)
    size = 20.0 * (1 + np.random.default_rng(1).normal(0, 0.04, t.size))
    model = fit_depth_model(t, size)
    assert not model.active and model.rate_per_s == 0.0
    assert np.allclose(model.scale(t), 1.0)
