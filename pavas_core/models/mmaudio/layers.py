"""Low-level layers of the MMAudio DiT: token convolutions, SwiGLU MLPs, timestep embedding, RoPE.

Sequences are channel-last, `(B, N, C)`. Parameter names and shapes follow the released MMAudio
checkpoints (`w1/w2/w3`, conv weights `(out, in, k)`), so official state dicts load unchanged.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

SWIGLU_MULTIPLE_OF = 256
MLP_EXPANSION = 4  # MMAudio builds every MLP with hidden = 4·dim before the SwiGLU rounding
ROPE_THETA = 10000.0


def swiglu_hidden_dim(dim: int, expansion: int = MLP_EXPANSION) -> int:
    """SwiGLU width: 2/3 of `expansion·dim`, rounded up to a multiple of 256 (448 → 1280, 896 → 2560)."""
    hidden = int(2 * (dim * expansion) / 3)
    return SWIGLU_MULTIPLE_OF * math.ceil(hidden / SWIGLU_MULTIPLE_OF)


def can_work_in_place(*tensors: torch.Tensor) -> bool:
    """True when overwriting these temporaries cannot break autograd (no graph is being recorded)."""
    return not torch.is_grad_enabled() or not any(t.requires_grad for t in tensors)


def swiglu_gate(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """silu(a) · b. Overwrites `a` (a fresh projection output) when no graph is recorded."""
    if can_work_in_place(a, b):
        return F.silu(a, inplace=True).mul_(b)
    return F.silu(a) * b


class TokenConv1d(nn.Module):
    """1-D convolution over the tokens of a channel-last sequence, 'same' padding.

    weight `(out, in, k)`, optional bias `(out,)` — the layout of `nn.Conv1d`.
    """

    def __init__(self, in_dim: int, out_dim: int, kernel_size: int, *, bias: bool = True) -> None:
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd for 'same' padding, got {kernel_size}")
        self.padding = kernel_size // 2
        self.weight = nn.Parameter(torch.empty(out_dim, in_dim, kernel_size))
        self.bias = nn.Parameter(torch.empty(out_dim)) if bias else None
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward_channels_first(self, x: torch.Tensor) -> torch.Tensor:
        """(B, in, N) → (B, out, N)."""
        return F.conv1d(x, self.weight, self.bias, padding=self.padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, N, in) → (B, N, out) (a transposed view of a channel-first result)."""
        # oneDNN runs a strided (transposed) input markedly slower than a contiguous copy of it
        return self.forward_channels_first(x.transpose(1, 2).contiguous()).transpose(1, 2)


class SwiGLU(nn.Module):
    """Token-wise gated MLP `w2(silu(w1 x) · w3 x)`, bias-free. (B, N, D) → (B, N, D)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        hidden = swiglu_hidden_dim(dim)
        self.w1 = nn.Linear(dim, hidden, bias=False)
        self.w2 = nn.Linear(hidden, dim, bias=False)
        self.w3 = nn.Linear(dim, hidden, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w2(swiglu_gate(self.w1(x), self.w3(x)))


class ConvSwiGLU(nn.Module):
    """SwiGLU whose three projections are token convolutions (kernel 3 or 7). (B, N, D) → (B, N, D).

    The input is transposed to channel-first once and the hidden activations stay channel-first,
    so the three convolutions run without layout copies between them.
    """

    def __init__(self, dim: int, kernel_size: int) -> None:
        super().__init__()
        hidden = swiglu_hidden_dim(dim)
        self.w1 = TokenConv1d(dim, hidden, kernel_size, bias=False)
        self.w2 = TokenConv1d(hidden, dim, kernel_size, bias=False)
        self.w3 = TokenConv1d(dim, hidden, kernel_size, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x_cf = x.transpose(1, 2).contiguous()  # (B, D, N)
        hidden = swiglu_gate(self.w1.forward_channels_first(x_cf), self.w3.forward_channels_first(x_cf))
        return self.w2.forward_channels_first(hidden).transpose(1, 2)


class TimestepEmbedder(nn.Module):
    """Flow time t ∈ [0, 1] → (B, D): sinusoid [cos | sin] of t·freqs, then Linear, SiLU, Linear.

    freqs_i = (10000 / max_period) · 10000^(-2i / freq_dim). The sinusoid is computed in fp32 from t
    rounded to the network dtype, as MMAudio does.
    """

    def __init__(self, dim: int, *, freq_dim: int, max_period: float) -> None:
        super().__init__()
        if freq_dim % 2:
            raise ValueError(f"freq_dim must be even, got {freq_dim}")
        self.freq_dim = freq_dim
        self.max_period = max_period
        self.mlp = nn.Sequential(nn.Linear(freq_dim, dim), nn.SiLU(), nn.Linear(dim, dim))

    def frequencies(self, device: torch.device) -> torch.Tensor:
        """(freq_dim / 2,) float32 angular frequencies."""
        exponent = torch.arange(0, self.freq_dim, 2, dtype=torch.float32, device=device) / self.freq_dim
        return (10000 / self.max_period) * (1.0 / (10000**exponent))

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        """t (B,) → (B, D)."""
        dtype = self.mlp[0].weight.dtype
        angles = t.to(dtype).float()[:, None] * self.frequencies(t.device)[None]
        sinusoid = torch.cat([torch.cos(angles), torch.sin(angles)], dim=-1).to(dtype)
        return self.mlp(sinusoid)


def rope_table(length: int, head_dim: int, *, freq_scaling: float, device: torch.device) -> torch.Tensor:
    """(length, head_dim/2) complex64 rotations e^{i·p·f_j}, f_j = scaling · 10000^(-2j/head_dim).

    Position p of the sequence; `freq_scaling` stretches positions (MMAudio aligns the CLIP tokens
    with the audio tokens by scaling their frequencies by N_audio / N_clip).
    """
    exponent = torch.arange(0, head_dim, 2, dtype=torch.float32, device=device) / head_dim
    freqs = 1.0 / (ROPE_THETA**exponent)
    freqs *= freq_scaling
    angles = torch.arange(length, dtype=torch.float32, device=device)[:, None] * freqs[None]
    return torch.complex(torch.cos(angles), torch.sin(angles))


def apply_rope(x: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """Rotate adjacent channel pairs (x[2j], x[2j+1]) of x (B, L, H, hd) by table (L, hd/2), in fp32.

    One complex multiply per pair: (x0 + i·x1)·(cos + i·sin) gives the Flux-style rotation
    [x0·cos − x1·sin, x0·sin + x1·cos] without building intermediates.
    """
    x32 = x.float()
    if x32.stride(-1) != 1:
        x32 = x32.contiguous()
    pairs = torch.view_as_complex(x32.unflatten(-1, (-1, 2)))
    rotated = torch.view_as_real(pairs * table[:, None, :]).flatten(-2)
    return rotated.to(x.dtype)


class RopeCache:
    """Small LRU of RoPE tables keyed by (length, head_dim, freq_scaling, device)."""

    def __init__(self, max_entries: int = 16) -> None:
        self.max_entries = max_entries
        self._tables: OrderedDict[tuple, torch.Tensor] = OrderedDict()

    def get(self, length: int, head_dim: int, *, freq_scaling: float, device: torch.device) -> torch.Tensor:
        key = (length, head_dim, float(freq_scaling), str(device))
        table = self._tables.get(key)
        if table is None:
            # built outside inference mode so a table cached while sampling can also serve training
            with torch.inference_mode(False):
                table = rope_table(length, head_dim, freq_scaling=freq_scaling, device=device)
            self._tables[key] = table
            while len(self._tables) > self.max_entries:
                self._tables.popitem(last=False)
        else:
            self._tables.move_to_end(key)
        return table
