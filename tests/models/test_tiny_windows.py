"""PAVAS-tiny on clips longer than its training window: window placement, cross-fades, and the
windowed generation against one window generated alone."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pavas_core.models.tiny_generator import TINY_CONFIGS, TinyGenerator
from pavas_core.models.tiny_generator.generate import (TOKEN_S, crossfade_latents, generate_tiny,
                                                       generate_tiny_latent, window_starts)
from pavas_core.models.tiny_generator.window_inputs import window_lengths
from pavas_core.video.clip import Clip

from .test_tiny_generator import randomised_network


def test_a_clip_within_window_plus_overlap_is_one_window():
    assert window_starts(2.4, 2.0, 0.5) == (2.4, [0])
    assert window_starts(0.3, 2.0, 0.5) == (0.64, [0])  # the shortest window, cut afterwards
    assert window_starts(30.0, None) == (30.0, [0])  # a checkpoint that does not say its window


@pytest.mark.parametrize("duration_s", [2.6, 8.0, 8.01, 31.7])
def test_windows_cover_the_clip_with_the_hop_and_end_with_it(duration_s):
    length_s, starts = window_starts(duration_s, 2.0, 0.5)
    assert length_s == 2.0
    tokens = window_lengths(2.0).latent_len
    assert starts[0] == 0 and starts == sorted(set(starts))
    # every pair of neighbours overlaps by the overlap (less at most one token of rounding) ...
    assert np.all(tokens - np.diff(starts) >= int(0.5 / TOKEN_S) - 1)
    # ... and no window more than needed: one fewer could not cover the clip with that overlap
    assert (len(starts) - 1) * (2.0 - 0.5) + 2.0 >= duration_s - 1e-9
    assert (len(starts) - 2) * (2.0 - 0.5) + 2.0 < duration_s
    # the last window ends with the clip, within one token
    end_s = (starts[-1] + tokens) * TOKEN_S
    assert duration_s - 1e-9 <= end_s < duration_s + 2 * TOKEN_S


def test_crossfade_rebuilds_a_signal_cut_into_overlapping_windows():
    # windows cut from one signal must come back as that signal exactly (the weights sum to one)
    signal = torch.randn(300, 20, dtype=torch.float64)
    starts = [0, 47, 94, 141, 188, 236]
    windows = torch.stack([signal[s: s + 64] for s in starts]).float()
    joined = crossfade_latents(windows, starts)
    assert joined.shape == (1, 300, 20)
    torch.testing.assert_close(joined[0].double(), signal, atol=1e-6, rtol=0)


def test_crossfade_moves_linearly_from_one_window_to_the_next():
    a, b = torch.zeros(1, 64, 1), torch.ones(1, 64, 1)
    joined = crossfade_latents(torch.cat([a, b]), [0, 48])[0, :, 0]
    assert torch.all(joined[:48] == 0) and torch.all(joined[64:] == 1)
    shared = joined[48:64]
    assert torch.all(torch.diff(shared) > 0)
    torch.testing.assert_close(shared, (torch.arange(16) + 0.5) / 16)


def _moving_clip(duration_s: float, fps: float = 25.0, size: int = 48) -> Clip:
    n = int(round(duration_s * fps))
    frames = np.zeros((n, size, size, 3), np.uint8)
    for i in range(n):  # a bright square crossing the picture, so every window sees other frames
        x = int(i * (size - 8) / max(1, n - 1))
        frames[i, 20:28, x: x + 8] = 255
    return Clip(frames=frames, timestamps_s=np.arange(n) / fps, fps=fps, duration_s=n / fps)


@pytest.fixture(scope="module")
def model() -> TinyGenerator:
    torch.manual_seed(0)
    return randomised_network(TinyGenerator(TINY_CONFIGS["tiny"]).eval(), seed=3)


def test_windowed_generation_starts_as_its_first_window_alone(model):
    clip = _moving_clip(5.0)
    latent, notes = generate_tiny_latent(model, clip, None, seed=5, num_steps=2, window_s=2.0)
    assert any("windows of 2 s" in n for n in notes)
    first, _ = generate_tiny_latent(model, _moving_clip(5.0).__class__(
        frames=clip.frames[:50], timestamps_s=clip.timestamps_s[:50], fps=25.0, duration_s=2.0),
        None, seed=5, num_steps=2, window_s=None)
    solo = int(1.5 / TOKEN_S)  # the tokens before the second window begins
    assert latent.shape[1] >= int(5.0 / TOKEN_S)
    torch.testing.assert_close(latent[0, :solo], first[0, :solo], atol=2e-4, rtol=1e-4)


def test_windowed_generation_gives_the_clip_length_and_a_finite_sound(model):
    clip = _moving_clip(4.3)
    result = generate_tiny(model, clip, None, seed=1, num_steps=2, window_s=2.0)
    assert result.sample_rate_hz == 16000
    assert result.waveform.shape == (int(round(clip.duration_s * 16000)),)
    assert np.isfinite(result.waveform).all() and np.abs(result.waveform).max() > 0
