"""PAVAS-tiny's audio representation and vocoder: a 20-band log-mel latent, and Griffin-Lim back to sound.

No codec is downloaded or trained. The latent of a 16-kHz waveform is its log-mel spectrogram with
one frame per MMAudio latent token (hop 512 = 2 × MMAudio's 256, 31.25 frames per second), 20 bands
(the width of MMAudio's 16-kHz latent) over 0–8 kHz, n_fft 1024, natural log of magnitudes clamped
at 1e-5 — the `MelConverter` front-end of `models/mel.py` with these settings. Frame n covers
samples [512 n − 256, 512 n + 768), so it is centred on token n's span [512 n, 512 (n + 1)).

Back to sound (`GriffinLimVocoder`, no weights): exp, then the minimum-norm linear spectrum whose
mel projection is the given one (the filter bank's pseudo-inverse, clamped at 0: what torchaudio's
InverseMelScale solves for an under-determined bank, computed once instead of per call), then
torchaudio's Griffin-Lim (32 iterations, momentum 0.99, phase started at zero so a seed gives
the same sound). 20 bands are coarse: pitch comes back to within about one band (~150–400 Hz above
1 kHz); what the tiny model must get right is when, how loud and how bright, not the exact modes.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ...errors import BadInputError
from ..mel import MEL_FLOOR, MelConfig, MelConverter, slaney_mel_filters
from .config import TINY_LATENT_DIM, TINY_SAMPLE_RATE_HZ

TINY_MEL = MelConfig(sample_rate_hz=TINY_SAMPLE_RATE_HZ, n_fft=1024, hop_length=512, n_mels=TINY_LATENT_DIM,
                     f_min_hz=0.0, f_max_hz=8000.0, log_base=math.e)
SAMPLES_PER_TOKEN = TINY_MEL.hop_length
GRIFFIN_LIM_ITERATIONS = 32
GRIFFIN_LIM_MOMENTUM = 0.99
MAX_LOG_MEL = 5.0  # a full-scale sine peaks near log-mel 2; the reference sounds stay below 0


class LogMelLatent(nn.Module):
    """waveform (B, T) at 16 kHz → latent (B, T // 512, 20): log-mel frames as tokens (channels last)."""

    def __init__(self) -> None:
        super().__init__()
        self.mel = MelConverter(TINY_MEL)

    @property
    def sample_rate_hz(self) -> int:
        return TINY_MEL.sample_rate_hz

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        return self.mel(waveform).transpose(1, 2).contiguous()


class GriffinLimVocoder(nn.Module):
    """latent (B, N, 20) log-mel → waveform (B, N · 512) at 16 kHz, float32 (see the module doc)."""

    def __init__(self, iterations: int = GRIFFIN_LIM_ITERATIONS) -> None:
        super().__init__()
        import torchaudio  # lazy: only the learned path needs it

        bank = slaney_mel_filters(TINY_MEL).double()  # (20, 513)
        self.register_buffer("inverse_bank", torch.linalg.pinv(bank).float(), persistent=False)  # (513, 20)
        self.griffin_lim = torchaudio.transforms.GriffinLim(
            n_fft=TINY_MEL.n_fft, n_iter=iterations, win_length=TINY_MEL.n_fft, hop_length=TINY_MEL.hop_length,
            power=1.0, momentum=GRIFFIN_LIM_MOMENTUM, rand_init=False)

    @property
    def sample_rate_hz(self) -> int:
        return TINY_MEL.sample_rate_hz

    def magnitudes(self, latent: torch.Tensor) -> torch.Tensor:
        """(B, N, 20) log-mel → (B, 513, N) linear magnitude spectrogram, ≥ 0."""
        if latent.dim() != 3 or latent.shape[-1] != TINY_MEL.n_mels:
            raise BadInputError(f"a PAVAS-tiny latent is (B, N, {TINY_MEL.n_mels}), got {tuple(latent.shape)}")
        # clamped to the range a sound in [−1, 1] can have (an untrained model may wander far outside)
        mel = torch.exp(latent.float().clamp(min=math.log(MEL_FLOOR), max=MAX_LOG_MEL)).transpose(1, 2)  # (B, 20, N)
        return torch.matmul(self.inverse_bank, mel).clamp_min(0.0)

    @torch.no_grad()
    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        frames = latent.shape[1]
        length = frames * TINY_MEL.hop_length
        # Griffin-Lim centres frame n on sample 512 n; the latent's frame n is centred on 512 n + 256
        shift = TINY_MEL.pad
        wave = self.griffin_lim(self.magnitudes(latent))
        wave = torch.nn.functional.pad(wave, (shift, 0))[..., :length]
        if wave.shape[-1] < length:
            wave = torch.nn.functional.pad(wave, (0, length - wave.shape[-1]))
        return wave
