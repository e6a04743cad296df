"""Anti-aliased periodic activation of BigVGAN, as a polyphase pair of small convolutions.

BigVGAN wraps every Snake/SnakeBeta activation in "upsample x2 → activation → low-pass + downsample
x2", both resamplers using the same 12-tap Kaiser-windowed sinc low-pass filter (cutoff 0.25 of
the upsampled rate, half transition width 0.3) and replicate padding at the edges. The published
implementation runs a depthwise transposed convolution on the padded input, crops it, and then a
strided depthwise convolution on the re-padded, interleaved signal.

Here the same arithmetic is regrouped by phase: the x2 upsampled signal is kept as two phases
(even and odd samples) produced by one depthwise convolution with 2 x 7 taps, the activation runs
on both phases, and the downsampler is one depthwise convolution over the two phases. No
interleaving, no transposed convolution, no CUDA kernel; the result equals the interleaved
computation up to float rounding, edges included (see `tests/models/test_bigvgan.py`).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

RESAMPLE_RATIO = 2
FILTER_TAPS = 12  # BigVGAN's Activation1d default for both resamplers
SNAKE_EPS = 1e-9  # added to the magnitude parameter before dividing (as in BigVGAN)


def kaiser_sinc_lowpass(*, cutoff: float, half_width: float, taps: int) -> np.ndarray:
    """Windowed-sinc low-pass filter (taps,), float64, summing to 1.

    `cutoff` and `half_width` are in cycles per sample. The Kaiser window's beta follows Kaiser's
    empirical formula for the stop-band attenuation implied by the transition width, evaluated the
    way alias-free-torch (and so BigVGAN) evaluates it: A = 2.285·(taps/2 − 1)·π·(4·half_width) + 7.95.
    """
    half = taps // 2
    attenuation_db = 2.285 * (half - 1) * math.pi * (4 * half_width) + 7.95
    if attenuation_db > 50.0:
        beta = 0.1102 * (attenuation_db - 8.7)
    elif attenuation_db >= 21.0:
        beta = 0.5842 * (attenuation_db - 21.0) ** 0.4 + 0.07886 * (attenuation_db - 21.0)
    else:
        beta = 0.0
    window = np.kaiser(taps, beta)  # symmetric window, as torch.kaiser_window(periodic=False)
    if taps % 2 == 0:
        time = np.arange(-half, half) + 0.5
    else:
        time = np.arange(taps) - half
    kernel = 2 * cutoff * window * np.sinc(2 * cutoff * time)
    return kernel / kernel.sum()


def bigvgan_resample_filter() -> np.ndarray:
    """The (12,) filter shared by BigVGAN's x2 upsampler and x2 downsampler."""
    return _resample_filter().copy()


@functools.lru_cache(maxsize=1)
def _resample_filter() -> np.ndarray:
    return kaiser_sinc_lowpass(cutoff=0.5 / RESAMPLE_RATIO, half_width=0.6 / RESAMPLE_RATIO, taps=FILTER_TAPS)


def polyphase_kernels(lowpass: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Polyphase form of (x2 upsample, x2 downsample) with `lowpass` (12,) → ((2, 7), (2, 7)).

    Upsampler: with x padded by replicating 3 samples each side (xr[j] = x[clamp(j − 3)]), the
    published transposed convolution (input replicate-padded by 5, output x2 and cropped by 15
    each side) gives   even[t] = Σ_q up[0, q]·xr[t + q],  odd[t] = Σ_q up[1, q]·xr[t + q].
    Downsampler: the published strided convolution of the interleaved signal z (replicate-padded
    by 5 left, 6 right) equals Σ_q down[0, q]·Ze[t + q] + down[1, q]·Zo[t + q], where Ze/Zo are the
    even/odd phases padded by 3 each side with z's first sample on the left and its last on the
    right (that is what replicate padding of the interleaved signal means phase by phase).
    """
    f = np.asarray(lowpass, dtype=np.float64)
    if f.shape != (FILTER_TAPS,):
        raise ValueError(f"expected a ({FILTER_TAPS},) filter, got {f.shape}")
    up = np.zeros((2, 7))
    up[0, :6] = RESAMPLE_RATIO * f[11::-2]  # f[11], f[9], ..., f[1]
    up[1, 1:] = RESAMPLE_RATIO * f[10::-2]  # f[10], f[8], ..., f[0]
    down = np.zeros((2, 7))
    down[0, 1:] = f[1::2]  # odd taps meet even samples
    down[1, :6] = f[0::2]  # even taps meet odd samples
    return up, down


def depthwise_stencils(channels: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Depthwise conv weights (2C, 1, 7) and (C, 2, 7) of the polyphase resamplers, fp32 on CPU."""
    up, down = polyphase_kernels(bigvgan_resample_filter())
    up_kernel = torch.tensor(up, dtype=torch.float32, device="cpu").unsqueeze(1).repeat(channels, 1, 1)
    down_kernel = torch.tensor(down, dtype=torch.float32, device="cpu").unsqueeze(0).repeat(channels, 1, 1)
    return up_kernel, down_kernel


def edge_corrections() -> torch.Tensor:
    """(4, 2, 3) weights that turn zero padding by 3 into replicate padding, fp32 on CPU.

    A 7-tap stencil over a signal zero-padded by 3 misses, at output t < 3, the taps q < 3 − t
    that fall on the left padding, and at output T − 3 + k the taps q ≥ 6 − k on the right. With
    replicate padding those taps see the edge sample, so adding edge · (sum of the missed taps)
    makes the two equal. Rows: [up left, up right, down left, down right]; each (phase, position).
    For the downsampler both phases are padded with the same edge sample, so its rows hold the
    phase-summed taps (in phase slot 0).
    """
    up, down = polyphase_kernels(bigvgan_resample_filter())
    both = down.sum(axis=0)
    out = np.zeros((4, 2, 3))
    for t in range(3):
        out[0, :, t] = up[:, : 3 - t].sum(axis=1)
        out[1, :, t] = up[:, 6 - t :].sum(axis=1)
        out[2, 0, t] = both[: 3 - t].sum()
        out[3, 0, t] = both[6 - t :].sum()
    return torch.tensor(out, dtype=torch.float32, device="cpu")


class AntiAliasedSnake(nn.Module):
    """Snake / SnakeBeta activation at twice the sample rate, (B, C, T) → (B, C, T).

    snake(x) = x + inv_beta · sin²(alpha · x), with alpha and inv_beta already in linear scale
    (the loader converts from BigVGAN's log-scale parameters; for plain Snake inv_beta = 1/alpha).
    Replicate padding is realised as zero padding inside the convolutions plus an edge correction
    on the first and last 3 outputs, which saves two full copies of the signal per activation.
    """

    def __init__(self, channels: int):
        super().__init__()
        self.channels = channels
        self.register_buffer("alpha", torch.ones(channels))
        self.register_buffer("inv_beta", torch.ones(channels))
        self.reset_stencils()

    def reset_stencils(self) -> None:
        """(Re)build the fixed resampling weights on the CPU in fp32 — also after construction on
        the meta device. They are not part of the state dict: they follow from the architecture."""
        up_kernel, down_kernel = depthwise_stencils(self.channels)
        self.register_buffer("up_kernel", up_kernel, persistent=False)
        self.register_buffer("down_kernel", down_kernel, persistent=False)
        self.register_buffer("edges", edge_corrections(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, channels, length = x.shape
        n = min(3, length)
        # (B, 2C, T): channel 2c is the even phase of channel c, 2c+1 the odd phase
        phases = F.conv1d(x, self.up_kernel, padding=3, groups=channels).view(batch, channels, 2, length)
        phases[..., :n] += x[:, :, None, :1] * self.edges[0, :, :n]
        phases[..., length - n :] += x[:, :, None, -1:] * self.edges[1, :, 3 - n :]

        alpha = self.alpha.view(1, channels, 1, 1)
        inv_beta = self.inv_beta.view(1, channels, 1, 1)
        sine = torch.sin(phases * alpha).square_()
        activated = torch.addcmul(phases, sine, inv_beta, out=sine)

        out = F.conv1d(activated.view(batch, 2 * channels, length), self.down_kernel, padding=3, groups=channels)
        first = activated[:, :, 0, :1]  # replicate padding of the interleaved signal: its first sample ...
        last = activated[:, :, 1, -1:]  # ... and its last one (odd phase)
        out[..., :n] += first * self.edges[2, 0, :n]
        out[..., length - n :] += last * self.edges[3, 0, 3 - n :]
        return out
