"""Transformer blocks of the MMAudio DiT: one modulated stream, the joint (audio|CLIP|text) block, the
final layer.

Every block owns an `adaLN_modulation` (SiLU, Linear) whose output `(B, L|1, k·D)` is chunked into
shift/scale/gate vectors. The network applies the SiLU once per step for all blocks that share a
condition and calls :meth:`StreamBlock.modulation`; that output is the Δ-modulation hook point. To
make `modulate` a single fused op, modulation tensors carry `1 + scale` in their scale chunks.

Attention tensors are `(B, L, H, hd)` (tokens before heads); SDPA reads them through transposed views.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .layers import ConvSwiGLU, SwiGLU, TokenConv1d, apply_rope

LAYER_NORM_EPS = 1e-5
# chunk order of a full modulation: shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp
FULL_MODULATION_CHUNKS = 6
SCALE_CHUNKS_FULL = (1, 4)
# pre-only streams and the final layer: shift, scale
SHORT_MODULATION_CHUNKS = 2
SCALE_CHUNKS_SHORT = (1,)


def modulated_norm(x: torch.Tensor, shift: torch.Tensor, scale_plus_one: torch.Tensor) -> torch.Tensor:
    """LayerNorm(x) · (1 + scale) + shift, with `scale_plus_one` already holding 1 + scale."""
    return torch.addcmul(shift, F.layer_norm(x, x.shape[-1:], eps=LAYER_NORM_EPS), scale_plus_one)


def linear_modulation(linear: nn.Linear, activated_cond: torch.Tensor, chunks: int) -> torch.Tensor:
    """linear(SiLU(cond)) with 1 added to the scale chunks (in place: a linear's output is free to edit)."""
    modulation = linear(activated_cond)
    dim = modulation.shape[-1] // chunks
    for index in SCALE_CHUNKS_FULL if chunks == FULL_MODULATION_CHUNKS else SCALE_CHUNKS_SHORT:
        modulation[..., index * dim : (index + 1) * dim] += 1
    return modulation


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Softmax attention, scale 1/√hd, no mask. q (B, Lq, H, hd), k/v (B, Lk, H, hd) → (B, H, Lq, hd)."""
    return F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2))


def heads_to_tokens(out: torch.Tensor) -> torch.Tensor:
    """(B, H, L, hd) → (B, L, H·hd)."""
    return out.transpose(1, 2).flatten(2)


def heads_to_channels_first(out: torch.Tensor) -> torch.Tensor:
    """(B, H, L, hd) → (B, H·hd, L), the layout a token convolution consumes (one copy)."""
    return out.transpose(2, 3).flatten(1, 2)


class QKNormProjection(nn.Module):
    """Fused q/k/v projection with per-head RMSNorm on q and k (MMAudio's `attn`).

    The released weights interleave q, k, v innermost: output channel (h·hd + d)·3 + j holds
    component j ∈ {q, k, v} of channel d of head h.
    """

    def __init__(self, dim: int, num_heads: int) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"dim {dim} is not divisible by num_heads {num_heads}")
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.q_norm = nn.RMSNorm(self.head_dim)  # eps: finfo(dtype).eps, as in MMAudio
        self.k_norm = nn.RMSNorm(self.head_dim)

    def forward(
        self, x: torch.Tensor, rope: torch.Tensor | None, *, need_query: bool = True
    ) -> tuple[torch.Tensor | None, torch.Tensor, torch.Tensor]:
        """x (B, L, D), rope (L, hd/2) complex or None → q (or None), k, v, each (B, L, H, hd).

        k and q are normalised then rotated; v is made contiguous in its last axis for SDPA only
        by the caller's concatenation (or explicitly for a single stream).
        """
        batch, length, _ = x.shape
        q, k, v = self.qkv(x).view(batch, length, self.num_heads, self.head_dim, 3).unbind(-1)
        k = self.k_norm(k)
        if rope is not None:
            k = apply_rope(k, rope)
        if not need_query:
            return None, k, v
        q = self.q_norm(q)
        if rope is not None:
            q = apply_rope(q, rope)
        return q, k, v


class StreamBlock(nn.Module):
    """One modulated stream (MMAudio's `MMDitSingleBlock`): attention projections and, unless
    `pre_only`, the attention output projection and the SwiGLU feed-forward.

    kernel_size 3 (audio, CLIP, fused blocks): `linear1` and `ffn` are token convolutions;
    kernel_size 1 (text): plain Linear and SwiGLU. A pre-only stream only contributes keys and
    values to the joint attention (last joint block) and has a 2-chunk modulation.
    """

    def __init__(self, dim: int, num_heads: int, *, kernel_size: int, pre_only: bool = False) -> None:
        super().__init__()
        self.dim = dim
        self.pre_only = pre_only
        self.kernel_size = kernel_size
        self.attn = QKNormProjection(dim, num_heads)
        chunks = SHORT_MODULATION_CHUNKS if pre_only else FULL_MODULATION_CHUNKS
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(dim, chunks * dim))
        if not pre_only:
            if kernel_size == 1:
                self.linear1: nn.Module = nn.Linear(dim, dim)
                self.ffn: nn.Module = SwiGLU(dim)
            else:
                self.linear1 = TokenConv1d(dim, dim, kernel_size)
                self.ffn = ConvSwiGLU(dim, kernel_size)

    @property
    def modulation_chunks(self) -> int:
        return SHORT_MODULATION_CHUNKS if self.pre_only else FULL_MODULATION_CHUNKS

    def modulation(self, activated_cond: torch.Tensor) -> torch.Tensor:
        """SiLU(cond) (B, L|1, D) → (B, L|1, k·D), scale chunks holding 1 + scale."""
        return linear_modulation(self.adaLN_modulation[1], activated_cond, self.modulation_chunks)

    def project(
        self, x: torch.Tensor, modulation: torch.Tensor, rope: torch.Tensor | None, *, need_query: bool = True
    ) -> tuple[torch.Tensor | None, torch.Tensor, torch.Tensor]:
        """x (B, L, D) → q, k, v (B, L, H, hd) from the shift/scale-modulated LayerNorm of x."""
        shift, scale = modulation[..., : self.dim], modulation[..., self.dim : 2 * self.dim]
        return self.attn(modulated_norm(x, shift, scale), rope, need_query=need_query)

    def finish(self, x: torch.Tensor, attn_out: torch.Tensor, modulation: torch.Tensor) -> torch.Tensor:
        """Residual updates after attention. attn_out (B, H, L, hd) of this stream's queries → x (B, L, D)."""
        if self.pre_only:
            return x
        _, _, gate_msa, shift_mlp, scale_mlp, gate_mlp = modulation.chunk(FULL_MODULATION_CHUNKS, dim=-1)
        if self.kernel_size == 1:
            projected = self.linear1(heads_to_tokens(attn_out))
        else:
            projected = self.linear1.forward_channels_first(heads_to_channels_first(attn_out)).transpose(1, 2)
        x = torch.addcmul(x, projected, gate_msa)
        return torch.addcmul(x, self.ffn(modulated_norm(x, shift_mlp, scale_mlp)), gate_mlp)

    def forward(self, x: torch.Tensor, modulation: torch.Tensor, rope: torch.Tensor | None) -> torch.Tensor:
        """Self-attention block on one stream (the fused, audio-only blocks). x (B, L, D) → (B, L, D)."""
        q, k, v = self.project(x, modulation, rope)
        return self.finish(x, attention(q, k, v.contiguous()), modulation)


class JointBlock(nn.Module):
    """Audio, CLIP and text streams attending jointly over the concatenated tokens [audio | clip | text].

    The audio stream is modulated per token (extended condition), CLIP and text by the global
    condition; audio and CLIP tokens are rotated (CLIP with frequencies aligned to audio time),
    text is not. In a pre-only block only the audio tokens query, and CLIP/text pass through.
    """

    def __init__(self, dim: int, num_heads: int, *, pre_only: bool = False) -> None:
        super().__init__()
        self.pre_only = pre_only
        self.latent_block = StreamBlock(dim, num_heads, kernel_size=3)
        self.clip_block = StreamBlock(dim, num_heads, kernel_size=3, pre_only=pre_only)
        self.text_block = StreamBlock(dim, num_heads, kernel_size=1, pre_only=pre_only)

    def forward(
        self,
        latent: torch.Tensor,
        clip: torch.Tensor,
        text: torch.Tensor,
        modulations: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
        latent_rope: torch.Tensor,
        clip_rope: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """latent (B, N, D), clip (B, Lc, D), text (B, Lt, D); modulations of the three streams."""
        latent_mod, clip_mod, text_mod = modulations
        need_query = not self.pre_only
        lq, lk, lv = self.latent_block.project(latent, latent_mod, latent_rope)
        cq, ck, cv = self.clip_block.project(clip, clip_mod, clip_rope, need_query=need_query)
        tq, tk, tv = self.text_block.project(text, text_mod, None, need_query=need_query)
        keys = torch.cat([lk, ck, tk], dim=1)
        values = torch.cat([lv, cv, tv], dim=1)
        if self.pre_only:
            # only the audio tokens' outputs are kept, so only they need to query
            return self.latent_block.finish(latent, attention(lq, keys, values), latent_mod), clip, text
        out = attention(torch.cat([lq, cq, tq], dim=1), keys, values)  # (B, H, N+Lc+Lt, hd)
        n, lc = latent.shape[1], clip.shape[1]
        latent = self.latent_block.finish(latent, out[:, :, :n], latent_mod)
        clip = self.clip_block.finish(clip, out[:, :, n : n + lc], clip_mod)
        text = self.text_block.finish(text, out[:, :, n + lc :], text_mod)
        return latent, clip, text


class FinalBlock(nn.Module):
    """Shift/scale-modulated LayerNorm, then a kernel-7 token convolution to the latent channels."""

    def __init__(self, dim: int, out_dim: int) -> None:
        super().__init__()
        self.dim = dim
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(dim, SHORT_MODULATION_CHUNKS * dim))
        self.conv = TokenConv1d(dim, out_dim, 7)

    def modulation(self, activated_cond: torch.Tensor) -> torch.Tensor:
        """SiLU(cond) (B, 1, D) → (B, 1, 2D) = [shift | 1 + scale]."""
        return linear_modulation(self.adaLN_modulation[1], activated_cond, SHORT_MODULATION_CHUNKS)

    def forward(self, x: torch.Tensor, modulation: torch.Tensor) -> torch.Tensor:
        """x (B, N, D) → (B, N, out_dim)."""
        shift, scale = modulation.chunk(SHORT_MODULATION_CHUNKS, dim=-1)
        return self.conv(modulated_norm(x, shift, scale)).contiguous()

