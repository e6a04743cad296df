"""pavas_core.metrics.apcc_tracks: APCC of one sound against one clip's physics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pavas_core.metrics.apcc_tracks import apcc_of_tracks, events_from_tracks
from pavas_core.physics.tracks import Geometry, Impact, ObjectTrack, PhysicsTracks, delta_ke_j
from pavas_core.video import AudioTrack

RATE = 16000


def tracks(impacts):
    obj = ObjectTrack(id=0, name="ball", action="bouncing", mass_kg=1.0, mass_source="prior", speed_mps=[1.0] * 60,
                      centroid_m=[[0, 0, 1]] * 60,
                      impacts=[Impact(frame=int(t * 30), time_s=t, v_before=vb, v_after=0.0,
                                      delta_ke_j=delta_ke_j(1.0, vb, 0.0)) for t, vb in impacts])
    return PhysicsTracks(fps=30.0, num_frames=60, width=8, height=8, objects=[obj],
                         geometry=Geometry(backend="pinhole", metric_scale_source="gravity"))


def clicks(impacts, *, follow_energy: bool):
    """Short noise bursts at the impacts, loudness ∝ sqrt(ΔKE) (or reversed)."""
    wave = np.zeros(2 * RATE, np.float32)
    energies = [0.5 * vb**2 for _, vb in impacts]
    if not follow_energy:
        energies = energies[::-1]
    rng = np.random.default_rng(0)
    for (t, _), e in zip(impacts, energies):
        start = int(t * RATE)
        wave[start:start + 400] += 0.05 * math.sqrt(e) * rng.standard_normal(400).astype(np.float32)
    return AudioTrack(wave[None], RATE)


IMPACTS = [(0.2, 1.0), (0.6, 2.0), (1.0, 4.0), (1.4, 8.0)]


def test_every_impact_becomes_one_event():
    events = events_from_tracks(tracks(IMPACTS))
    assert [e.time_s for e in events] == [0.2, 0.6, 1.0, 1.4]
    assert events[3].delta_ke_j == pytest.approx(32.0)


def test_sound_that_follows_the_energy_scores_high_and_reversed_scores_low():
    good = apcc_of_tracks(tracks(IMPACTS), clicks(IMPACTS, follow_energy=True))
    bad = apcc_of_tracks(tracks(IMPACTS), clicks(IMPACTS, follow_energy=False))
    assert good.score > 0.95 and bad.score < -0.9
    assert "4 found, 4 used" in good.report


def test_too_few_impacts_is_not_defined_and_says_so():
    result = apcc_of_tracks(tracks(IMPACTS[:2]), clicks(IMPACTS[:2], follow_energy=True))
    assert math.isnan(result.score) and "not defined" in result.report and "not scored" in result.report
