"""Sequence lengths of MMAudio's streams for a given duration (the released models' formulas).

latent tokens: one per 2 mel frames; CLIP: 8 fps; Synchformer: 16-frame windows at 25 fps with
stride 8, each window giving 8 tokens. Durations other than 8 s change every length, and the
network's RoPE tables must be rebuilt for them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

CLIP_FPS = 8.0
SYNC_FPS = 25.0
SYNC_WINDOW_FRAMES = 16
SYNC_STRIDE_FRAMES = 8
SYNC_TOKENS_PER_WINDOW = 8  # 16 frames / tubelet size 2
LATENT_DOWNSAMPLE = 2
TRAINED_DURATION_S = 8.0

# sample rate → mel hop length (samples per mel frame)
MEL_HOP_BY_RATE = {16000: 256, 44100: 512}


@dataclass(frozen=True)
class SequenceLengths:
    duration_s: float
    sample_rate_hz: int
    latent_len: int  # audio latent tokens
    clip_len: int  # CLIP frames (8 fps)
    sync_len: int  # Synchformer tokens (8 per 16-frame window)

    @property
    def num_audio_samples(self) -> int:
        """Samples the decoder produces for latent_len tokens (slightly more than duration_s)."""
        return self.latent_len * MEL_HOP_BY_RATE[self.sample_rate_hz] * LATENT_DOWNSAMPLE

    @property
    def num_sync_frames(self) -> int:
        """25-fps frames the Synchformer windows cover."""
        windows = self.sync_len // SYNC_TOKENS_PER_WINDOW
        return (windows - 1) * SYNC_STRIDE_FRAMES + SYNC_WINDOW_FRAMES


def sequence_lengths(duration_s: float, sample_rate_hz: int) -> SequenceLengths:
    """MMAudio's lengths for `duration_s` at 16000 or 44100 Hz (8 s → 250/345, 64, 192)."""
    if sample_rate_hz not in MEL_HOP_BY_RATE:
        raise ValueError(f"MMAudio runs at 16000 or 44100 Hz, not {sample_rate_hz}")
    if not duration_s > 0:
        raise ValueError(f"duration must be positive, got {duration_s}")
    # window durations come from subtractions (e.g. 16.8 − 8.8 = 7.9999999999999964): without the
    # rounding, int() and // would drop a whole CLIP frame and Synchformer window
    duration_s = round(float(duration_s), 6)
    hop = MEL_HOP_BY_RATE[sample_rate_hz]
    latent_len = int(math.ceil(duration_s * sample_rate_hz / hop / LATENT_DOWNSAMPLE))
    clip_len = int(duration_s * CLIP_FPS)
    sync_frames = duration_s * SYNC_FPS
    windows = (sync_frames - SYNC_WINDOW_FRAMES) // SYNC_STRIDE_FRAMES + 1
    sync_len = int(windows * SYNC_WINDOW_FRAMES / 2)
    return SequenceLengths(duration_s, sample_rate_hz, latent_len, clip_len, sync_len)


def latent_token_times_s(latent_len: int, sample_rate_hz: int) -> "np.ndarray":
    """(N,) centre time in seconds of each audio-latent token: token n covers the samples
    [n·2·hop, (n + 1)·2·hop) of the decoded audio (31.25 tokens/s at 16 kHz, ≈43.07 at 44.1 kHz)."""
    import numpy as np

    if sample_rate_hz not in MEL_HOP_BY_RATE:
        raise ValueError(f"MMAudio runs at 16000 or 44100 Hz, not {sample_rate_hz}")
    samples_per_token = MEL_HOP_BY_RATE[sample_rate_hz] * LATENT_DOWNSAMPLE
    return (np.arange(latent_len, dtype=np.float64) + 0.5) * samples_per_token / sample_rate_hz


def latent_frame_index(latent_len: int, num_frames: int, sample_rate_hz: int, *,
                       frame_rate_hz: float = CLIP_FPS) -> "torch.Tensor":
    """(N,) int64: the video frame (of `num_frames` at `frame_rate_hz`, frame k shown from k/rate s)
    on screen at the centre of each audio-latent token — the map from per-frame conditions (the
    Phy-Adapter's c_vel at the CLIP rate) to per-token ones. Tokens past the last frame take it."""
    import numpy as np
    import torch

    if num_frames < 1:
        raise ValueError(f"need at least one frame, got {num_frames}")
    # the rounding margin keeps a token centred exactly on a frame boundary on the later frame
    frames = np.floor(latent_token_times_s(latent_len, sample_rate_hz) * frame_rate_hz + 1e-9).astype(np.int64)
    return torch.from_numpy(np.clip(frames, 0, num_frames - 1))
