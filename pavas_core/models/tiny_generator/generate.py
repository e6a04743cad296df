"""A clip (and its physics) → sound with a trained PAVAS-tiny: one window over the whole clip
(the network reads any length; clips under 0.64 s are generated at 0.64 s and cut), Euler flow
steps with guidance as the MMAudio path, then the Griffin-Lim vocoder. The sound is 16 kHz mono.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ...physics.tracks import PhysicsTracks
from ...video.clip import Clip
from ..flow_matching import DEFAULT_NUM_STEPS
from .mel_latent import GriffinLimVocoder
from .model import DEFAULT_CFG_STRENGTH, TinyGenerator
from .window_inputs import MIN_WINDOW_S, stack_windows, tiny_window, window_lengths


@dataclass
class TinyResult:
    waveform: np.ndarray  # (T,) float32
    sample_rate_hz: int
    warnings: list[str] = field(default_factory=list)


def generate_tiny(model: TinyGenerator, clip: Clip, tracks: PhysicsTracks | None, *, seed: int = 0,
                  num_steps: int = DEFAULT_NUM_STEPS, cfg_strength: float = DEFAULT_CFG_STRENGTH,
                  progress=None) -> TinyResult:
    """Sound for the whole of `clip`; `tracks` steers it when the model has an adapter (ignored otherwise)."""
    notes: list[str] = []
    window_s = max(float(clip.duration_s), MIN_WINDOW_S)
    if model.adapter is None and tracks is not None:
        notes.append("this PAVAS-tiny checkpoint is the backbone alone: the physics does not steer its sound")
    window = tiny_window(clip, tracks if model.adapter is not None else None, model.config, duration_s=window_s)
    notes.extend(window.warnings)
    lengths = window_lengths(window_s)
    with torch.inference_mode():
        latent = model.generate_latent(stack_windows([window]), lengths, seed=seed, num_steps=num_steps,
                                       cfg_strength=cfg_strength, progress=progress)
        vocoder = GriffinLimVocoder().to(latent.device)
        wave = vocoder(latent)[0].float().cpu().numpy()
    samples = int(round(float(clip.duration_s) * vocoder.sample_rate_hz))
    out = np.zeros(samples, np.float32)
    out[: min(samples, wave.shape[0])] = wave[:samples]
    return TinyResult(out, vocoder.sample_rate_hz, notes)
