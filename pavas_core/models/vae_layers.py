"""Layers of MMAudio's 1-D magnitude-preserving (EDM2-style) mel VAE, with constants folded in.

The published layers normalise each conv weight at load ("forced weight normalisation" of EDM2:
w ← w / (ε + ‖w_o‖/√fan_in) / √fan_in per output row, ε = 1e-4), divide SiLU outputs by 0.596
(magnitude-preserving SiLU) and mix residuals as (0.7·x + 0.3·h)/√(0.7² + 0.3²). All of these
constants are multiplied into the conv weights here by the loader (see `vae.py`), so a forward
pass is plain conv / SiLU / add. Only the activation-dependent normalisations remain: the per-
position "pixel norm" over channels before every residual block and on attention q, k, v.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

NORM_EPS = 1e-4  # EDM2 normalize() epsilon, for weights and activations
MP_SILU_GAIN = 1 / 0.596  # EDM2 magnitude-preserving SiLU: silu(x) / 0.596
RESIDUAL_T = 0.3  # mp_sum(x, h, t=0.3) in every residual and attention block
RESIDUAL_X_GAIN = (1 - RESIDUAL_T) / math.sqrt((1 - RESIDUAL_T) ** 2 + RESIDUAL_T**2)
RESIDUAL_H_GAIN = RESIDUAL_T / math.sqrt((1 - RESIDUAL_T) ** 2 + RESIDUAL_T**2)
CLIP_ACTIVATION = 256.0  # activations are clamped to ±256 after each stage


def fold_mp_weight(raw: torch.Tensor) -> torch.Tensor:
    """EDM2 forced weight normalisation of a raw MPConv weight (O, I, K), computed in fp32.

    Equals what the reference's `remove_weight_norm()` stores: each output row divided by
    (ε + ‖row‖/√(I·K)) and then by √(I·K).
    """
    w = raw.float()
    fan_in = w[0].numel()
    norm = torch.linalg.vector_norm(w, dim=tuple(range(1, w.ndim)), keepdim=True)
    return w / (NORM_EPS + norm / math.sqrt(fan_in)) / math.sqrt(fan_in)


def pixel_norm(x: torch.Tensor, dim: int = 1) -> torch.Tensor:
    """x / (ε + ‖x‖_dim / √n): unit RMS along `dim` (the norm is taken in at least fp32, as in EDM2)."""
    norm = torch.linalg.vector_norm(x, dim=dim, keepdim=True, dtype=torch.promote_types(x.dtype, torch.float32))
    return x / (norm * (1 / math.sqrt(x.shape[dim])) + NORM_EPS).to(x.dtype)


def conv(in_channels: int, out_channels: int, kernel_size: int, bias: bool = False) -> nn.Conv1d:
    """'Same' zero-padded conv, as MPConv1D (odd kernels)."""
    return nn.Conv1d(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=bias)


class ResBlock(nn.Module):
    """pixel-norm → SiLU → conv → SiLU → conv, mixed with the (shortcut of the) normalised input.

    Folded weights: conv1 carries 1/0.596, conv2 carries 0.3/√0.58 · 1/0.596, the 1×1 shortcut
    carries 0.7/√0.58; without a shortcut the input is scaled by 0.7/√0.58 here.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3):
        super().__init__()
        self.conv1 = conv(in_channels, out_channels, kernel_size)
        self.conv2 = conv(out_channels, out_channels, kernel_size)
        self.nin_shortcut = conv(in_channels, out_channels, 1) if in_channels != out_channels else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = pixel_norm(x)
        h = self.conv2(F.silu(self.conv1(F.silu(x))))
        if self.nin_shortcut is not None:
            return h.add_(self.nin_shortcut(x))
        return h.add_(x, alpha=RESIDUAL_X_GAIN)


class AttnBlock(nn.Module):
    """Single-head self-attention over time with pixel-normalised q, k, v (B, C, L) → (B, C, L).

    qkv rows are stored q-block, k-block, v-block (the loader de-interleaves the checkpoint's
    (C, 3) channel layout); proj_out carries 0.3/√0.58.
    """

    def __init__(self, channels: int):
        super().__init__()
        self.qkv = conv(channels, 3 * channels, 1)
        self.proj_out = conv(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, channels, length = x.shape
        qkv = pixel_norm(self.qkv(x).view(batch, 3, channels, length), dim=2)
        q, k, v = qkv.transpose(2, 3).unbind(1)  # each (B, L, C)
        h = F.scaled_dot_product_attention(q, k, v).transpose(1, 2)
        return self.proj_out(h).add_(x, alpha=RESIDUAL_X_GAIN)


class Upsample(nn.Module):
    """Nearest x2 in time, then a 3-tap conv."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv = conv(channels, channels, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x.repeat_interleave(2, dim=-1))


class Downsample(nn.Module):
    """1×1 conv, average-pool x2 in time, 1×1 conv."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = conv(channels, channels, 1)
        self.conv2 = conv(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2(F.avg_pool1d(self.conv1(x), kernel_size=2, stride=2))
