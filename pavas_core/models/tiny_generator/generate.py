"""A clip (and its physics) → sound with a trained PAVAS-tiny: Euler flow steps with guidance as the
MMAudio path, then the Griffin-Lim vocoder. The sound is 16 kHz mono.

Windows: a network trained on W-second windows (the checkpoint's `train_config.duration_s`) hears
a clip of up to W + overlap seconds in one window (clips under 0.64 s are generated at 0.64 s and
cut). A longer clip is cut into W-second windows that overlap by `overlap_s` (the last one ends
with the clip), generated together as one batch, and joined in the log-mel latent with linear
cross-fades over each overlap before one Griffin-Lim pass — the network never reads a sequence
longer than those it was trained on, and no seam clicks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from ...physics.tracks import PhysicsTracks
from ...video.clip import Clip
from ..flow_matching import DEFAULT_NUM_STEPS, initial_noise
from .config import TINY_LATENT_DIM, TINY_SAMPLE_RATE_HZ
from .mel_latent import SAMPLES_PER_TOKEN, GriffinLimVocoder
from .model import DEFAULT_CFG_STRENGTH, TinyGenerator
from .window_inputs import MIN_WINDOW_S, stack_windows, tiny_window, window_lengths

TOKEN_S = SAMPLES_PER_TOKEN / TINY_SAMPLE_RATE_HZ  # 0.032 s: window starts fall on latent tokens
DEFAULT_OVERLAP_S = 0.5


@dataclass
class TinyResult:
    waveform: np.ndarray  # (T,) float32
    sample_rate_hz: int
    warnings: list[str] = field(default_factory=list)


def window_starts(duration_s: float, window_s: float | None, overlap_s: float = DEFAULT_OVERLAP_S
                  ) -> tuple[float, list[int]]:
    """(window length in s, start of each window in latent tokens). One window over the whole clip when
    `window_s` is None or the clip lasts at most window_s + overlap_s; else the MMAudio path's plan
    (`generator.plan_windows`: windows of window_s spread evenly, overlapping by at least overlap_s, the
    last one ending with the clip), each start on a latent token (the last one rounded up)."""
    from ..generator import plan_windows

    duration_s = float(duration_s)
    if window_s is None or duration_s <= window_s + overlap_s + 1e-9:
        return max(duration_s, MIN_WINDOW_S), [0]
    plan = plan_windows(duration_s, window_s, overlap_s)
    starts = [int(round(start / TOKEN_S)) for start, _ in plan[:-1]]
    starts.append(int(math.ceil(plan[-1][0] / TOKEN_S - 1e-9)))
    return window_s, starts


def crossfade_latents(latents: torch.Tensor, starts: list[int]) -> torch.Tensor:
    """(1, N, D) from (B, L, D) windows placed at token offsets `starts`: a weighted mean where windows
    overlap, each weight rising linearly over the part shared with the window before and falling over
    the part shared with the one after (never zero, so every token has a value)."""
    count, length, _ = latents.shape
    total = starts[-1] + length
    acc = torch.zeros(total, latents.shape[-1], dtype=torch.float64)
    weight_sum = torch.zeros(total, 1, dtype=torch.float64)
    for i, start in enumerate(starts):
        w = torch.ones(length, dtype=torch.float64)
        if i > 0:
            shared = starts[i - 1] + length - start
            if shared > 0:
                w[:shared] = torch.minimum(w[:shared], (torch.arange(shared, dtype=torch.float64) + 0.5) / shared)
        if i + 1 < count:
            shared = start + length - starts[i + 1]
            if shared > 0:
                ramp = (torch.arange(shared, 0, -1, dtype=torch.float64) - 0.5) / shared
                w[length - shared:] = torch.minimum(w[length - shared:], ramp)
        acc[start: start + length] += w[:, None] * latents[i].double().cpu()
        weight_sum[start: start + length] += w[:, None]
    return (acc / weight_sum).float()[None]


def generate_tiny_latent(model: TinyGenerator, clip: Clip, tracks: PhysicsTracks | None, *, seed: int = 0,
                         num_steps: int = DEFAULT_NUM_STEPS, cfg_strength: float = DEFAULT_CFG_STRENGTH,
                         window_s: float | None = None, overlap_s: float = DEFAULT_OVERLAP_S,
                         progress=None) -> tuple[torch.Tensor, list[str]]:
    """(log-mel latent (1, N, 20) covering at least the clip, notes): the windows generated as one batch and
    cross-faded (see the module doc)."""
    notes: list[str] = []
    if model.adapter is None and tracks is not None:
        notes.append("this PAVAS-tiny checkpoint is the backbone alone: the physics does not steer its sound")
    length_s, starts = window_starts(float(clip.duration_s), window_s, overlap_s)
    windows = [tiny_window(clip, tracks if model.adapter is not None else None, model.config, duration_s=length_s,
                           start_s=start * TOKEN_S) for start in starts]
    for window in windows:
        notes.extend(w for w in window.warnings if w not in notes)
    if len(starts) > 1:
        notes.append(f"{len(starts)} windows of {length_s:g} s (the checkpoint's training length), cross-faded over "
                     f"{overlap_s:g} s or more")
    lengths = window_lengths(length_s)
    # window i starts from the noise of seed + i: a window sounds the same whatever follows it
    noise = torch.cat([initial_noise(1, lengths.latent_len, TINY_LATENT_DIM, seed=seed + i) for i in range(len(starts))])
    with torch.inference_mode():
        latents = model.generate_latent(stack_windows(windows), lengths, noise=noise, num_steps=num_steps,
                                        cfg_strength=cfg_strength, progress=progress)
    if len(starts) > 1:
        latents = crossfade_latents(latents, starts).to(latents.device)
    return latents, notes


def generate_tiny(model: TinyGenerator, clip: Clip, tracks: PhysicsTracks | None, *, seed: int = 0,
                  num_steps: int = DEFAULT_NUM_STEPS, cfg_strength: float = DEFAULT_CFG_STRENGTH,
                  window_s: float | None = None, overlap_s: float = DEFAULT_OVERLAP_S,
                  progress=None) -> TinyResult:
    """Sound for the whole of `clip`; `tracks` steers it when the model has an adapter (ignored otherwise).
    `window_s`: the training window (None: one window over the clip, whatever its length)."""
    latent, notes = generate_tiny_latent(model, clip, tracks, seed=seed, num_steps=num_steps,
                                         cfg_strength=cfg_strength, window_s=window_s, overlap_s=overlap_s,
                                         progress=progress)
    with torch.inference_mode():
        vocoder = GriffinLimVocoder().to(latent.device)
        wave = vocoder(latent)[0].float().cpu().numpy()
    samples = int(round(float(clip.duration_s) * vocoder.sample_rate_hz))
    out = np.zeros(samples, np.float32)
    out[: min(samples, wave.shape[0])] = wave[:samples]
    return TinyResult(out, vocoder.sample_rate_hz, notes)
