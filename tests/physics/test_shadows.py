"""A cast shadow is background: the floor's colour scaled by one factor, its texture kept."""

from __future__ import annotations

import numpy as np

from pavas_core.physics.segmentation import cast_shadow


def _floor(rng: np.random.Generator, h: int = 60, w: int = 80) -> np.ndarray:
    grain = rng.uniform(0.8, 1.2, size=(h, w)).astype(np.float32)
    grain = (grain + np.roll(grain, 1, axis=1)) / 2  # some texture, not pure noise
    return (np.array([150.0, 110.0, 70.0], np.float32) * grain[..., None])


def test_a_shadow_on_a_textured_floor_is_background():
    rng = np.random.default_rng(0)
    bg = _floor(rng)
    frame = bg.copy()
    frame[20:40, 20:60] *= 0.55
    frame += rng.normal(0, 1.5, frame.shape).astype(np.float32)
    shadow = cast_shadow(frame, bg, noise=1.5)
    assert shadow[22:38, 22:58].mean() > 0.9
    assert not shadow[:15].any()  # unchanged floor is not "shadow" (it is not darker)


def test_a_dark_object_of_the_floors_chroma_is_not_a_shadow():
    rng = np.random.default_rng(1)
    bg = _floor(rng)
    frame = bg.copy()
    # a smooth shaded box of the floor's hue, darker: its own shading replaces the floor's texture
    yy, xx = np.mgrid[20:40, 20:60]
    shade = (0.45 + 0.25 * (xx - 20) / 40.0)[..., None]
    frame[20:40, 20:60] = np.array([150.0, 110.0, 70.0], np.float32) * shade
    frame += rng.normal(0, 1.5, frame.shape).astype(np.float32)
    shadow = cast_shadow(frame, bg, noise=1.5)
    assert shadow[22:38, 22:58].mean() < 0.1


def test_a_dark_object_of_another_colour_is_not_a_shadow():
    rng = np.random.default_rng(2)
    bg = _floor(rng)
    frame = bg.copy()
    frame[20:40, 20:60] = np.array([40.0, 60.0, 90.0], np.float32)
    shadow = cast_shadow(frame, bg, noise=1.5)
    assert not shadow[20:40, 20:60].any()
