"""Layers of the Synchformer visual extractor (MotionFormer with divided space-time attention).

Attribute names follow the released checkpoint (``vfeat_extractor.blocks.N.timeattn.qkv.weight``,
``spatial_attn_agg.self_attn.in_proj_weight``, ...) so its tensors load without renaming.

Token layout inside a window: one CLS token, then the patch tokens ordered (time, row, column),
i.e. index 1 + f·N + n for time step f and spatial patch n (N patches per time step).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

LAYER_NORM_EPS = 1e-6


class DividedAttention(nn.Module):
    """Multi-head attention over one axis of the (time, space) token grid, plus a global CLS.

    The CLS query attends to every token. Each patch query attends to the CLS token and to the
    patches that share its spatial position (``axis="time"``: F keys) or its time step
    (``axis="space"``: N keys). qkv: Linear(D, 3D) with [q | k | v] blocks, heads contiguous.
    """

    def __init__(self, dim: int, num_heads: int) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"width {dim} is not divisible by {num_heads} heads")
        self.num_heads = num_heads
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, *, num_frames: int, num_patches: int, axis: str) -> torch.Tensor:
        """x: (B, 1 + F·N, D) → (B, 1 + F·N, D)."""
        if axis not in ("time", "space"):
            raise ValueError(f"axis must be 'time' or 'space', not {axis!r}")
        batch, length, dim = x.shape
        heads = self.num_heads
        head_dim = dim // heads
        q, k, v = self.qkv(x).view(batch, length, 3, heads, head_dim).unbind(dim=2)  # (B, L, H, d) each

        # Global CLS query over all tokens: (B, H, 1, d).
        cls_out = F.scaled_dot_product_attention(q[:, :1].transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2))

        def grouped(t: torch.Tensor) -> torch.Tensor:
            """(B, L, H, d) patch part → (B, G, H, n, d) view: G groups of n tokens along `axis`."""
            t = t[:, 1:].reshape(batch, num_frames, num_patches, heads, head_dim)
            if axis == "time":  # groups = spatial positions, sequence = time steps
                return t.permute(0, 2, 3, 1, 4)
            return t.permute(0, 1, 3, 2, 4)  # groups = time steps, sequence = spatial positions

        groups = num_patches if axis == "time" else num_frames
        seq = num_frames if axis == "time" else num_patches

        def with_cls(t: torch.Tensor) -> torch.Tensor:
            """Every group also sees the CLS key/value: (B·G, H, 1 + n, d)."""
            cls = t[:, :1].transpose(1, 2).unsqueeze(1).expand(batch, groups, heads, 1, head_dim)
            return torch.cat([cls, grouped(t)], dim=3).view(batch * groups, heads, seq + 1, head_dim)

        q_p = grouped(q).reshape(batch * groups, heads, seq, head_dim)
        out = F.scaled_dot_product_attention(q_p, with_cls(k), with_cls(v))

        out = out.reshape(batch, groups, heads, -1, head_dim)
        if axis == "time":  # (B, N, H, F, d) → (B, F, N, H, d)
            out = out.permute(0, 3, 1, 2, 4)
        else:  # (B, F, H, N, d) → (B, F, N, H, d)
            out = out.permute(0, 1, 3, 2, 4)
        out = out.reshape(batch, length - 1, dim)
        cls_out = cls_out.transpose(1, 2).reshape(batch, 1, dim)
        return self.proj(torch.cat([cls_out, out], dim=1))


class Mlp(nn.Module):
    """fc1 → exact GELU → fc2."""

    def __init__(self, dim: int, hidden_dim: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden_dim)
        self.fc2 = nn.Linear(hidden_dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(x)))


class DividedSpaceTimeBlock(nn.Module):
    """Pre-norm block: time attention (norm3), then space attention (norm1), then MLP (norm2)."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=LAYER_NORM_EPS)
        self.attn = DividedAttention(dim, num_heads)
        self.timeattn = DividedAttention(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim, eps=LAYER_NORM_EPS)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        self.norm3 = nn.LayerNorm(dim, eps=LAYER_NORM_EPS)

    def forward(self, x: torch.Tensor, *, num_frames: int, num_patches: int) -> torch.Tensor:
        """x: (B, 1 + F·N, D)."""
        x = x + self.timeattn(self.norm3(x), num_frames=num_frames, num_patches=num_patches, axis="time")
        x = x + self.attn(self.norm1(x), num_frames=num_frames, num_patches=num_patches, axis="space")
        return x + self.mlp(self.norm2(x))


class PackedAttention(nn.Module):
    """nn.MultiheadAttention's parameter layout (in_proj_weight [q | k | v], out_proj), SDPA inside."""

    def __init__(self, dim: int, num_heads: int) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * dim, dim))
        self.in_proj_bias = nn.Parameter(torch.empty(3 * dim))
        self.out_proj = nn.Linear(dim, dim)
        nn.init.xavier_uniform_(self.in_proj_weight)
        nn.init.zeros_(self.in_proj_bias)

    def forward(self, query: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        """query: (B, Lq, D), context: (B, L, D) → (B, Lq, D)."""
        batch, query_len, dim = query.shape
        heads = self.num_heads
        w_q, w_kv = self.in_proj_weight.split([dim, 2 * dim])
        b_q, b_kv = self.in_proj_bias.split([dim, 2 * dim])
        q = F.linear(query, w_q, b_q).view(batch, query_len, heads, -1).transpose(1, 2)
        k, v = F.linear(context, w_kv, b_kv).view(batch, context.shape[1], 2, heads, -1).unbind(dim=2)
        out = F.scaled_dot_product_attention(q, k.transpose(1, 2), v.transpose(1, 2))
        return self.out_proj(out.transpose(1, 2).reshape(batch, query_len, dim))


class SpatialAggregator(nn.Module):
    """Pools the patches of each time step into one vector through a learned CLS token.

    A pre-norm transformer encoder layer (layout of torch's ``nn.TransformerEncoderLayer`` with
    norm_first=True, GELU, eps 1e-6) over [CLS, patches] whose CLS output is kept. Only the CLS
    row is computed: it is the only output used, and no other row feeds into it after attention.
    """

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float) -> None:
        super().__init__()
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.self_attn = PackedAttention(dim, num_heads)
        self.linear1 = nn.Linear(dim, int(dim * mlp_ratio))
        self.linear2 = nn.Linear(int(dim * mlp_ratio), dim)
        self.norm1 = nn.LayerNorm(dim, eps=LAYER_NORM_EPS)
        self.norm2 = nn.LayerNorm(dim, eps=LAYER_NORM_EPS)

    def forward(self, patches: torch.Tensor) -> torch.Tensor:
        """patches: (B, N, D) → (B, D)."""
        cls = self.cls_token.expand(patches.shape[0], -1, -1)
        tokens = self.norm1(torch.cat([cls, patches], dim=1))
        x = cls + self.self_attn(tokens[:, :1], tokens)
        x = x + self.linear2(F.gelu(self.linear1(self.norm2(x))))
        return x[:, 0]
