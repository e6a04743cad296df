"""Building blocks of the CUT3R network: 2-D rotary attention, transformer blocks, DPT heads.

Parameter names follow the released checkpoint (so its state dict loads strictly); the code is
written from the architecture's description and the tensors' shapes.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

LN_EPS = 1e-6


def layer_norm(dim: int) -> nn.LayerNorm:
    return nn.LayerNorm(dim, eps=LN_EPS)


class Rope2D(nn.Module):
    """2-D rotary position embedding: the first half of each head's channels rotates with the
    token's row, the second half with its column; inside each half, channel j pairs with j + q
    (q = a quarter of the head) at angle position × base^(-j/q).

    Angles come from the positions directly, so negative positions (the pose token sits at
    (-1, -1)) are as valid as any other; a table lookup indexed by position would not allow them.
    The rotation is computed in float32 (float64 for float64 input) and returned in the input's dtype."""

    def __init__(self, base: float = 100.0) -> None:
        super().__init__()
        self.base = float(base)

    def _rotate(self, x: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        # x: (B, heads, N, d) float32; pos: (B, N) → rotate pairs (j, j + d/2)
        half = x.shape[-1] // 2
        inv_freq = 1.0 / self.base ** (torch.arange(half, device=x.device, dtype=x.dtype) / half)
        angle = pos.to(x.dtype)[:, None, :, None] * inv_freq  # (B, 1, N, half)
        cos, sin = angle.cos(), angle.sin()
        u, v = x[..., :half], x[..., half:]
        return torch.cat((u * cos - v * sin, v * cos + u * sin), dim=-1)

    def forward(self, tokens: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        """tokens: (B, heads, N, D) with D a multiple of 4; positions: (B, N, 2) (row, column)."""
        dtype = tokens.dtype
        x = tokens if dtype == torch.float64 else tokens.float()
        half = x.shape[-1] // 2
        rows = self._rotate(x[..., :half], positions[..., 0])
        cols = self._rotate(x[..., half:], positions[..., 1])
        return torch.cat((rows, cols), dim=-1).to(dtype)


def _rope_qk(rope: Rope2D | None, t: torch.Tensor, pos: torch.Tensor | None, half_precision: bool) -> torch.Tensor:
    if rope is None or pos is None:
        return t
    if half_precision:
        # The released image encoder stores queries and keys as float16 around the rotation (its
        # CUDA kernel works in place on half tensors); the trained weights expect that rounding.
        return rope(t.to(torch.float16), pos).to(t.dtype)
    return rope(t, pos)


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int, out: int | None = None) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, out or dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(x)))


class SelfAttention(nn.Module):
    def __init__(self, dim: int, heads: int, rope: Rope2D | None, half_precision_rope: bool = False) -> None:
        super().__init__()
        self.heads, self.rope, self.half_precision_rope = heads, rope, half_precision_rope
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, pos: torch.Tensor | None) -> torch.Tensor:
        b, n, c = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q = _rope_qk(self.rope, q, pos, self.half_precision_rope)
        k = _rope_qk(self.rope, k, pos, self.half_precision_rope)
        out = F.scaled_dot_product_attention(q, k, v)
        return self.proj(out.transpose(1, 2).reshape(b, n, c))


class CrossAttention(nn.Module):
    def __init__(self, dim: int, heads: int, rope: Rope2D | None) -> None:
        super().__init__()
        self.heads, self.rope = heads, rope
        self.projq = nn.Linear(dim, dim)
        self.projk = nn.Linear(dim, dim)
        self.projv = nn.Linear(dim, dim)
        self.proj = nn.Linear(dim, dim)

    def _split(self, t: torch.Tensor) -> torch.Tensor:
        b, n, c = t.shape
        return t.view(b, n, self.heads, c // self.heads).transpose(1, 2)

    def forward(self, x: torch.Tensor, mem: torch.Tensor, xpos, mpos) -> torch.Tensor:
        b, n, c = x.shape
        q = _rope_qk(self.rope, self._split(self.projq(x)), xpos, False)
        k = _rope_qk(self.rope, self._split(self.projk(mem)), mpos, False)
        v = self._split(self.projv(mem))
        out = F.scaled_dot_product_attention(q, k, v)
        return self.proj(out.transpose(1, 2).reshape(b, n, c))


class EncoderBlock(nn.Module):
    """Pre-norm ViT block."""

    def __init__(self, dim: int, heads: int, mlp_ratio: int, rope: Rope2D | None, half_precision_rope: bool) -> None:
        super().__init__()
        self.norm1 = layer_norm(dim)
        self.attn = SelfAttention(dim, heads, rope, half_precision_rope)
        self.norm2 = layer_norm(dim)
        self.mlp = Mlp(dim, dim * mlp_ratio)

    def forward(self, x: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x), pos)
        return x + self.mlp(self.norm2(x))


class DecoderBlock(nn.Module):
    """Self-attention, then cross-attention to another token set (normalised), then MLP."""

    def __init__(self, dim: int, heads: int, mlp_ratio: int, rope: Rope2D | None) -> None:
        super().__init__()
        self.norm1 = layer_norm(dim)
        self.attn = SelfAttention(dim, heads, rope)
        self.cross_attn = CrossAttention(dim, heads, rope)
        self.norm2 = layer_norm(dim)
        self.norm3 = layer_norm(dim)
        self.norm_y = layer_norm(dim)
        self.mlp = Mlp(dim, dim * mlp_ratio)

    def forward(self, x: torch.Tensor, y: torch.Tensor, xpos=None, ypos=None) -> torch.Tensor:
        x = x + self.attn(self.norm1(x), xpos)
        x = x + self.cross_attn(self.norm2(x), self.norm_y(y), xpos, ypos)
        return x + self.mlp(self.norm3(x))


class ModulatedNorm(nn.Module):
    """LayerNorm whose shift and scale come from a conditioning vector (adaLN)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.norm = layer_norm(dim)
        self.mlp = nn.Sequential(nn.SiLU(), nn.Linear(dim, 2 * dim))

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        shift, scale = self.mlp(cond).chunk(2, dim=-1)
        return self.norm(x) * (1 + scale[:, None]) + shift[:, None]


class ModulatedBlock(nn.Module):
    """Transformer block conditioned on the pose token (maps camera-frame features to world-frame ones)."""

    def __init__(self, dim: int, heads: int, mlp_ratio: int, rope: Rope2D) -> None:
        super().__init__()
        self.norm1 = ModulatedNorm(dim)
        self.attn = SelfAttention(dim, heads, rope)
        self.norm2 = ModulatedNorm(dim)
        self.mlp = Mlp(dim, dim * mlp_ratio)

    def forward(self, x: torch.Tensor, cond: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x, cond), pos)
        return x + self.mlp(self.norm2(x, cond))


class PatchEmbed(nn.Module):
    def __init__(self, in_ch: int, dim: int, patch: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(in_ch, dim, kernel_size=patch, stride=patch)

    def forward(self, img: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.proj(img)
        b, _, gh, gw = x.shape
        rows = torch.arange(gh, device=img.device).repeat_interleave(gw)
        cols = torch.arange(gw, device=img.device).repeat(gh)
        pos = torch.stack((rows, cols), dim=-1)[None].expand(b, -1, -1)
        return x.flatten(2).transpose(1, 2), pos


# --- DPT head ------------------------------------------------------------------------------------

class _ResidualConv(nn.Module):
    def __init__(self, ch: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(ch, ch, 3, padding=1)
        self.conv2 = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(F.relu(self.conv1(F.relu(x))))


class _Fusion(nn.Module):
    def __init__(self, ch: int) -> None:
        super().__init__()
        self.resConfUnit1 = _ResidualConv(ch)
        self.resConfUnit2 = _ResidualConv(ch)
        self.out_conv = nn.Conv2d(ch, ch, 1)

    def forward(self, x: torch.Tensor, skip: torch.Tensor | None = None) -> torch.Tensor:
        if skip is not None:
            x = x + self.resConfUnit1(skip)
        x = self.resConfUnit2(x)
        x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)
        return self.out_conv(x)


class _Scratch(nn.Module):
    def __init__(self, dims, ch: int) -> None:
        super().__init__()
        for i, d in enumerate(dims, start=1):
            setattr(self, f"layer{i}_rn", nn.Conv2d(d, ch, 3, padding=1, bias=False))
        # The checkpoint holds these four convolutions a second time under a list's names; the
        # list shares the modules, so both names load and stay one set of weights.
        self.layer_rn = nn.ModuleList([self.layer1_rn, self.layer2_rn, self.layer3_rn, self.layer4_rn])
        for i in range(1, 5):
            setattr(self, f"refinenet{i}", _Fusion(ch))


class _Interp2x(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)


class DPTHead(nn.Module):
    """Dense prediction from four token maps (encoder output and three decoder layers) at 1/16
    resolution: each is brought to 4x, 2x, 1x and 1/2x, fused coarse to fine, upsampled to pixels."""

    def __init__(self, in_dims, out_ch: int, features: int = 256, layer_dims=(96, 192, 384, 768),
                 patch: int = 16) -> None:
        super().__init__()
        self.patch = patch
        l1, l2, l3, l4 = layer_dims
        self.act_postprocess = nn.ModuleList([
            nn.Sequential(nn.Conv2d(in_dims[0], l1, 1), nn.ConvTranspose2d(l1, l1, 4, stride=4)),
            nn.Sequential(nn.Conv2d(in_dims[1], l2, 1), nn.ConvTranspose2d(l2, l2, 2, stride=2)),
            nn.Sequential(nn.Conv2d(in_dims[2], l3, 1)),
            nn.Sequential(nn.Conv2d(in_dims[3], l4, 1), nn.Conv2d(l4, l4, 3, stride=2, padding=1)),
        ])
        self.scratch = _Scratch(layer_dims, features)
        half = features // 2
        self.head = nn.Sequential(
            nn.Conv2d(features, half, 3, padding=1), _Interp2x(), nn.Conv2d(half, half, 3, padding=1),
            nn.ReLU(), nn.Conv2d(half, out_ch, 1))

    def forward(self, tokens: list[torch.Tensor], hw: tuple[int, int]) -> torch.Tensor:
        gh, gw = hw[0] // self.patch, hw[1] // self.patch
        maps = [t.transpose(1, 2).reshape(t.shape[0], t.shape[2], gh, gw) for t in tokens]
        maps = [self.scratch.layer_rn[i](self.act_postprocess[i](m)) for i, m in enumerate(maps)]
        s = self.scratch
        p = s.refinenet4(maps[3])[:, :, :maps[2].shape[2], :maps[2].shape[3]]
        p = s.refinenet3(p, maps[2])
        p = s.refinenet2(p, maps[1])
        p = s.refinenet1(p, maps[0])
        return self.head(p)
