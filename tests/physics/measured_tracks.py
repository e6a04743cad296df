"""Tracks the pipeline measured on generated rigid scenes, kept as fixtures (tests/fixtures/tracks)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from pavas_core.physics.stages.base import ObjectGeometry

TRACKS = Path(__file__).resolve().parents[1] / "fixtures" / "tracks"


def measured_geometry(name: str, n_frames: int, **geometry: Any) -> ObjectGeometry:
    """The ObjectGeometry of fixture `name` (rows: frame, usable 0/1, X Y Z in metres) in a clip of
    `n_frames` frames, no sample at the picture's edge; `geometry`: its other fields (pixel_size_m,
    noise_m, size_m, size_source, scale_source, extent_m, gravity_m, ...)."""
    rows = np.loadtxt(TRACKS / name)
    frames = rows[:, 0].astype(int)
    pos = np.full((n_frames, 3), np.nan)
    pos[frames] = rows[:, 2:5]
    usable = np.zeros(n_frames, bool)
    usable[frames] = rows[:, 1] > 0
    return ObjectGeometry(pos, usable, np.zeros(n_frames, bool), **geometry)
