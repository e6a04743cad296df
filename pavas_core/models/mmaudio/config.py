"""MMAudio network configurations: the five released variants, and detection from tensor shapes.

A variant is recognised from the shapes and names in a state dict only (never from a file name):
width from `audio_input_proj.0.weight`, head size from a `q_norm`, depth from the block indices,
v1/v2 from the input-projection layout and the timestep-embedding width.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

import torch

from ...errors import UnsupportedCheckpointError
from .sequence import TRAINED_DURATION_S, SequenceLengths, sequence_lengths

# latent channels of MMAudio's VAEs → their audio sample rate
SAMPLE_RATE_BY_LATENT_DIM = {20: 16000, 40: 44100}
V1_TIMESTEP_FREQ_DIM = 256
V1_TIMESTEP_MAX_PERIOD = 10000.0
V2_TIMESTEP_MAX_PERIOD = 1.0


@dataclass(frozen=True)
class MMAudioConfig:
    """Shape of one MMAudio network. `depth` counts all blocks: joint (audio+CLIP+text) blocks first,
    then `fused_depth` audio-only blocks; the last joint block is pre-only for CLIP and text."""

    name: str
    latent_dim: int
    hidden_dim: int
    num_heads: int
    depth: int
    fused_depth: int
    v2: bool
    clip_dim: int = 1024
    sync_dim: int = 768
    text_dim: int = 1024
    text_len: int = 77

    def __post_init__(self) -> None:
        if self.hidden_dim % self.num_heads:
            raise ValueError(f"hidden_dim {self.hidden_dim} not divisible by num_heads {self.num_heads}")
        if not 0 <= self.fused_depth < self.depth:
            raise ValueError(f"need at least one joint block: depth {self.depth}, fused {self.fused_depth}")
        if self.latent_dim not in SAMPLE_RATE_BY_LATENT_DIM:
            raise ValueError(
                f"latent_dim {self.latent_dim} matches no MMAudio VAE "
                f"(known: {sorted(SAMPLE_RATE_BY_LATENT_DIM)})"
            )

    @property
    def joint_depth(self) -> int:
        return self.depth - self.fused_depth

    @property
    def head_dim(self) -> int:
        return self.hidden_dim // self.num_heads

    @property
    def sample_rate_hz(self) -> int:
        return SAMPLE_RATE_BY_LATENT_DIM[self.latent_dim]

    @property
    def timestep_freq_dim(self) -> int:
        return self.hidden_dim if self.v2 else V1_TIMESTEP_FREQ_DIM

    @property
    def timestep_max_period(self) -> float:
        return V2_TIMESTEP_MAX_PERIOD if self.v2 else V1_TIMESTEP_MAX_PERIOD

    def sequence_lengths(self, duration_s: float = TRAINED_DURATION_S) -> SequenceLengths:
        """Token counts of every stream for a clip of `duration_s` at this model's sample rate."""
        return sequence_lengths(duration_s, self.sample_rate_hz)


def _variant(name: str, latent_dim: int, num_heads: int, depth: int, fused_depth: int, v2: bool = False):
    return MMAudioConfig(
        name=name,
        latent_dim=latent_dim,
        hidden_dim=64 * num_heads,
        num_heads=num_heads,
        depth=depth,
        fused_depth=fused_depth,
        v2=v2,
    )


VARIANTS: dict[str, MMAudioConfig] = {
    c.name: c
    for c in (
        _variant("small_16k", 20, 7, 12, 8),
        _variant("small_44k", 40, 7, 12, 8),
        _variant("medium_44k", 40, 14, 12, 8),
        _variant("large_44k", 40, 14, 21, 14),
        _variant("large_44k_v2", 40, 14, 21, 14, v2=True),
    )
}

CUSTOM_NAME = "custom"
_BLOCK_INDEX = re.compile(r"^(joint_blocks|fused_blocks)\.(\d+)\.")


def _shape(state_dict: Mapping[str, torch.Tensor], key: str) -> tuple[int, ...]:
    tensor = state_dict.get(key)
    if tensor is None:
        raise UnsupportedCheckpointError(
            f"not an MMAudio network checkpoint: tensor {key!r} is missing "
            "(expected the weights of mmaudio_small_16k / small_44k / medium_44k / large_44k / large_44k_v2)"
        )
    return tuple(tensor.shape)


def config_from_state_dict(state_dict: Mapping[str, torch.Tensor]) -> MMAudioConfig:
    """Detect the configuration of an MMAudio state dict from its tensor names and shapes.

    Released variants come back under their names; other consistent shapes (e.g. the tiny test
    networks) as name "custom". Raises UnsupportedCheckpointError when the shapes fit no MMAudio.
    """
    hidden_dim, latent_dim, _ = _shape(state_dict, "audio_input_proj.0.weight")
    (head_dim,) = _shape(state_dict, "joint_blocks.0.latent_block.attn.q_norm.weight")
    if head_dim <= 0 or hidden_dim % head_dim:
        raise UnsupportedCheckpointError(
            f"MMAudio checkpoint: head size {head_dim} (q_norm) does not divide the width {hidden_dim}"
        )
    indices: dict[str, set[int]] = {"joint_blocks": set(), "fused_blocks": set()}
    for key in state_dict:
        match = _BLOCK_INDEX.match(key)
        if match:
            indices[match.group(1)].add(int(match.group(2)))
    joint_depth, fused_depth = (len(indices[k]) for k in ("joint_blocks", "fused_blocks"))
    for kind, found in indices.items():
        if found != set(range(len(found))):
            raise UnsupportedCheckpointError(f"MMAudio checkpoint: {kind} indices are not 0..n-1: {sorted(found)}")

    v1_layout = "clip_input_proj.1.w1.weight" in state_dict
    v2_layout = "clip_input_proj.2.w1.weight" in state_dict
    if v1_layout == v2_layout:
        raise UnsupportedCheckpointError(
            "MMAudio checkpoint: cannot tell v1 from v2 — expected exactly one of "
            "clip_input_proj.1.w1.weight (v1) or clip_input_proj.2.w1.weight (v2)"
        )
    _, timestep_freq_dim = _shape(state_dict, "t_embed.mlp.0.weight")
    expected_freq_dim = hidden_dim if v2_layout else V1_TIMESTEP_FREQ_DIM
    if timestep_freq_dim != expected_freq_dim:
        raise UnsupportedCheckpointError(
            f"MMAudio checkpoint: t_embed.mlp.0.weight has input width {timestep_freq_dim}, expected "
            f"{expected_freq_dim} for a {'v2' if v2_layout else 'v1'} network"
        )
    text_len, text_dim = _shape(state_dict, "empty_string_feat")
    try:
        detected = MMAudioConfig(
            name=CUSTOM_NAME,
            latent_dim=latent_dim,
            hidden_dim=hidden_dim,
            num_heads=hidden_dim // head_dim,
            depth=joint_depth + fused_depth,
            fused_depth=fused_depth,
            v2=v2_layout,
            clip_dim=_shape(state_dict, "clip_input_proj.0.weight")[1],
            sync_dim=_shape(state_dict, "sync_input_proj.0.weight")[1],
            text_dim=text_dim,
            text_len=text_len,
        )
    except ValueError as exc:
        raise UnsupportedCheckpointError(f"MMAudio checkpoint has unsupported shapes: {exc}") from None
    for variant in VARIANTS.values():
        if _same_shape(variant, detected):
            return variant
    return detected


def _same_shape(a: MMAudioConfig, b: MMAudioConfig) -> bool:
    fields = ("latent_dim", "hidden_dim", "num_heads", "depth", "fused_depth", "v2")
    fields += ("clip_dim", "sync_dim", "text_dim", "text_len")
    return all(getattr(a, f) == getattr(b, f) for f in fields)
