"""The room behind a synthetic scene: texture evaluated only where it shows gives the same picture."""

import numpy as np

from pavas_core.scenes.background import _value_noise, render_background
from pavas_core.scenes.scene import sample_scene


def test_value_noise_is_pointwise_so_a_subset_of_points_gets_the_same_values():
    """render_background evaluates the wall's noise on wall pixels only, the floor's on floor pixels:
    that is exact only because a point's value depends on its coordinates and the draws alone."""
    gen = np.random.default_rng(3)
    x, y = gen.uniform(-5, 5, size=(2, 40, 30))
    mask = gen.random((40, 30)) < 0.3
    whole = _value_noise(np.random.default_rng(11), (x, y), cell_m=0.1, octaves=3)
    part = _value_noise(np.random.default_rng(11), (x[mask], y[mask]), cell_m=0.1, octaves=3)
    np.testing.assert_array_equal(whole[mask], part)
    assert _value_noise(np.random.default_rng(11), (x[:0, 0], y[:0, 0]), cell_m=0.1).shape == (0,)


def test_the_room_has_a_textured_wall_and_floor_and_shows_parallax_from_a_travelling_camera():
    scene = sample_scene(4, camera_motion="dolly")

    def room(position):
        return render_background(scene.camera, rng=np.random.default_rng(5), floor_style="wood",
                                 wall_z_m=scene.wall_z_m, margin_px=scene.margin_px, camera_position_m=position)

    still, moved = room(None), room((0.3, 0.0, 0.0))
    h, w = scene.camera.height + 2 * scene.margin_px, scene.camera.width + 2 * scene.margin_px
    assert still.shape == (h, w, 3) and still.dtype == np.float32 and np.isfinite(still).all()
    assert 0.0 <= still.min() and still.max() <= 1.0
    assert still[: h // 4].std() > 0.01 and still[-h // 4 :].std() > 0.01  # texture, not flat colour
    np.testing.assert_array_equal(room(None), still)  # the same draws give the same room
    assert np.abs(moved - still).mean() > 0.01
