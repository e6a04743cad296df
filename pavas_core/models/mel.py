"""Log-mel spectrograms exactly as MMAudio computes them for its VAE and vocoders.

Two front-ends (MMAudio `mmaudio/ext/mel_converter.py`, from Make-An-Audio 2 / BigVGAN):
16 kHz — n_fft 1024, hop 256, 80 bins over 0–8 kHz, log10; 44.1 kHz — n_fft 2048, hop 512,
128 bins over 0–22.05 kHz, natural log. Both: waveform clamped to [−1, 1], reflect-padded by
(n_fft − hop)/2 each side, Hann STFT without centring, magnitude √(re² + im² + 1e−9), Slaney-style
mel filter bank (librosa's default; torchaudio builds the same one), clamp ≥ 1e−5, log.
A waveform of T samples gives T // hop frames.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import BadInputError

MAGNITUDE_EPS = 1e-9  # added to re² + im² before the square root
MEL_FLOOR = 1e-5  # mel energies are clamped to at least this before the log


@dataclass(frozen=True)
class MelConfig:
    sample_rate_hz: int
    n_fft: int
    hop_length: int
    n_mels: int
    f_min_hz: float
    f_max_hz: float
    log_base: float  # 10.0 or math.e

    @property
    def pad(self) -> int:
        """Reflect padding on each side of the waveform."""
        return (self.n_fft - self.hop_length) // 2


MEL_16K = MelConfig(
    sample_rate_hz=16000, n_fft=1024, hop_length=256, n_mels=80, f_min_hz=0.0, f_max_hz=8000.0, log_base=10.0
)
MEL_44K = MelConfig(
    sample_rate_hz=44100, n_fft=2048, hop_length=512, n_mels=128, f_min_hz=0.0, f_max_hz=22050.0, log_base=math.e
)
MEL_CONFIGS = {config.n_mels: config for config in (MEL_16K, MEL_44K)}


def mel_config_for_bins(n_mels: int) -> MelConfig:
    """The MMAudio front-end with `n_mels` bins (80 → 16 kHz, 128 → 44.1 kHz)."""
    if n_mels not in MEL_CONFIGS:
        raise BadInputError(f"MMAudio uses 80 (16 kHz) or 128 (44.1 kHz) mel bins, not {n_mels}")
    return MEL_CONFIGS[n_mels]


def slaney_mel_filters(config: MelConfig) -> torch.Tensor:
    """(n_mels, n_fft // 2 + 1) fp32 filter bank: Slaney mel scale, area-normalised triangles."""
    import torchaudio  # lazy: only the learned path needs it

    bank = torchaudio.functional.melscale_fbanks(
        config.n_fft // 2 + 1,
        f_min=config.f_min_hz,
        f_max=config.f_max_hz,
        n_mels=config.n_mels,
        sample_rate=config.sample_rate_hz,
        norm="slaney",
        mel_scale="slaney",
    )
    return bank.T.contiguous().float()


class MelConverter(nn.Module):
    """waveform (B, T) or (T,) in [−1, 1] at `config.sample_rate_hz` → log-mel (B, n_mels, T // hop), fp32
    (fp64 after `.double()`)."""

    def __init__(self, config: MelConfig):
        super().__init__()
        self.config = config
        self.register_buffer("mel_filters", slaney_mel_filters(config), persistent=False)
        self.register_buffer("window", torch.hann_window(config.n_fft), persistent=False)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        c = self.config
        if waveform.ndim == 1:
            waveform = waveform.unsqueeze(0)
        if waveform.ndim != 2:
            raise BadInputError(f"expected a waveform (B, T) or (T,), got shape {tuple(waveform.shape)}")
        if waveform.shape[-1] <= c.pad:
            raise BadInputError(
                f"waveform of {waveform.shape[-1]} samples is too short for the mel front-end "
                f"(needs more than {c.pad} at {c.sample_rate_hz} Hz)"
            )
        # STFT in fp32 whatever the caller's dtype: half-precision FFTs are not portable. A module
        # made fp64 (`.double()`) computes in fp64 (the tests measure fp32 rounding against it).
        dtype = torch.float64 if self.window.dtype == torch.float64 else torch.float32
        x = waveform.to(device=self.window.device, dtype=dtype).clamp(-1.0, 1.0)
        x = F.pad(x.unsqueeze(1), (c.pad, c.pad), mode="reflect").squeeze(1)
        spec = torch.stft(
            x,
            c.n_fft,
            hop_length=c.hop_length,
            win_length=c.n_fft,
            window=self.window,
            center=False,
            normalized=False,
            onesided=True,
            return_complex=True,
        )
        magnitude = torch.sqrt(torch.view_as_real(spec).square().sum(-1) + MAGNITUDE_EPS)
        mel = torch.matmul(self.mel_filters, magnitude).clamp(min=MEL_FLOOR)
        if c.log_base == 10.0:
            return torch.log10(mel)
        if c.log_base == math.e:
            return torch.log(mel)
        return torch.log(mel) / math.log(c.log_base)
