"""Synthetic impact sets with exact ΔKE, rendered by the modal synthesizer."""

from dataclasses import dataclass

import numpy as np
import pytest

from pavas_core.metrics.apcc import ApccEvent
from pavas_core.synth import ImpactEvent, get_material, render_impacts, size_from_mass_m
from pavas_core.video.clip import AudioTrack


@dataclass
class ImpactSet:
    events: list  # ApccEvent
    audio: dict  # clip_id -> AudioTrack
    impacts: dict  # clip_id -> list[ImpactEvent]
    duration_s: float


def make_impact_set(seed: int, *, materials=("steel", "glass", "wood", "plastic", "rubber"), clips_per_category=3,
                    impacts_per_clip=6, duration_s=6.0, sample_rate_hz=16000) -> ImpactSet:
    """One object per clip (random mass 0.05–2 kg, size from mass), impacts spread over the clip with
    random speeds 0.5–6 m/s and restitution 0.2–0.7: ΔKE spans about three decades per category."""
    rng = np.random.default_rng(seed)
    events, audio, impacts = [], {}, {}
    slot = (duration_s - 0.6) / impacts_per_clip
    for material in materials:
        for c in range(clips_per_category):
            clip_id = f"{material}-{c}"
            mass = float(np.exp(rng.uniform(np.log(0.05), np.log(2.0))))
            size = size_from_mass_m(mass, get_material(material))
            clip_impacts = []
            for k in range(impacts_per_clip):
                speed = float(np.exp(rng.uniform(np.log(0.5), np.log(6.0))))
                clip_impacts.append(ImpactEvent(float(0.3 + k * slot + rng.uniform(0, 0.3 * slot)), mass, speed,
                                                float(rng.uniform(0.2, 0.7)) * speed, material, size))
            wave = render_impacts(clip_impacts, duration_s=duration_s, sample_rate_hz=sample_rate_hz, seed=seed)
            audio[clip_id] = AudioTrack(wave, sample_rate_hz)
            impacts[clip_id] = clip_impacts
            events += [ApccEvent(clip_id, material, e.time_s, e.delta_ke_j) for e in clip_impacts]
    return ImpactSet(events, audio, impacts, duration_s)


@pytest.fixture(scope="session")
def impact_set() -> ImpactSet:
    return make_impact_set(0)


@pytest.fixture(scope="session")
def impact_set_factory():
    return make_impact_set
