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


def test_an_objects_size_is_its_full_view_not_the_sliver_it_was_at_rest():
    # a resting object's edge flickers as a one-pixel line for 16 frames (it is tracked from rest),
    # then the object moves and is seen whole, a disc 20 px across, for 14 frames: the size its
    # metric scale falls back on is the whole object's (a size prior from 1.15 px puts it ~20× too far)
    from types import SimpleNamespace

    from pavas_core.physics.options import EstimateOptions
    from pavas_core.physics.segmentation import detection_from_mask
    from pavas_core.physics.stages.gravity import _image_track, _Sample

    n, size = 30, (200, 150)
    samples = []
    for k in range(n):
        m = np.zeros((150, 200), bool)
        if k < 16:
            m[60:75, 100] = True
        else:
            yy, xx = np.mgrid[0:150, 0:200] + 0.5
            m = np.hypot(xx - (100 + 3 * (k - 16)), yy - 70) <= 10
        samples.append(_Sample(k, detection_from_mask(k, 0, 0, m, edge_px=1.0, frame_size=size), False, True))
    ctx = SimpleNamespace(fps=30.0, times_s=np.arange(n) / 30.0, grid_size=size)
    track = _image_track(ctx, samples, np.zeros((n, 2)), penalty=EstimateOptions().segment_penalty)
    assert track.size_px == pytest.approx(20.0, rel=0.03)
