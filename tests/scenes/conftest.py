"""Small synthetic scenes for the generator's tests (tiny pictures, short clips)."""

from __future__ import annotations

import pytest

from pavas_core.scenes.scene import sample_scene

TINY = ((160, 120),)


def tiny_scene(seed: int, *, duration_s: float = 1.5, fps: float = 30.0):
    return sample_scene(seed, fps_choices=(fps,), resolutions=TINY, duration_range_s=(duration_s, duration_s))


@pytest.fixture
def make_tiny_scene():
    return tiny_scene
