"""Sizes of a CUT3R network (Wang et al., "Continuous 3D Perception Model with Persistent State",
CVPR 2025). Two are known: the released 512-DPT model and a tiny one for tests.

The released checkpoint stores its configuration as a Python expression; it is never evaluated
here: the sizes are read from the tensors' shapes (`config_from_state_dict`) and checked against
the known head layout.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

from ...errors import BadInputError


@dataclass(frozen=True)
class Cut3rConfig:
    enc_dim: int = 1024
    enc_depth: int = 24
    enc_heads: int = 16
    dec_dim: int = 768
    dec_depth: int = 12
    dec_heads: int = 12
    state_heads: int = 16  # the state decoder's heads (not the image decoder's)
    state_size: int = 768
    memory_size: int = 256  # pose retriever's learnt memory slots
    ray_enc_depth: int = 2
    ray_enc_heads: int = 16
    patch: int = 16
    rope_base: float = 100.0
    mlp_ratio: int = 4
    rgb_head: bool = True
    # DPT widths are fixed in the released architecture, whatever the transformer sizes
    dpt_features: int = 256
    dpt_layer_dims: tuple[int, int, int, int] = (96, 192, 384, 768)

    def __post_init__(self) -> None:
        for dim, heads, what in ((self.enc_dim, self.enc_heads, "encoder"), (self.dec_dim, self.dec_heads, "decoder"),
                                 (self.dec_dim, self.state_heads, "state decoder"),
                                 (self.enc_dim, self.ray_enc_heads, "ray-map encoder")):
            if dim % heads or (dim // heads) % 4:
                raise BadInputError(f"CUT3R config: {what} width {dim} must split into {heads} heads of a "
                                    "multiple of 4 channels (2-D rotary embedding)")
        if self.dec_depth < 4 or self.dec_depth % 4:
            raise BadInputError(f"CUT3R config: decoder depth must be a multiple of 4, got {self.dec_depth}")

    @property
    def state_grid_width(self) -> int:
        """State tokens sit on a 2-D grid of this (even) width for the rotary embedding."""
        w = int(math.isqrt(self.state_size))
        return w + 1 if w % 2 else w

    @property
    def hooks(self) -> tuple[int, int, int]:
        """Decoder layers read by the DPT heads (besides the encoder output)."""
        return (self.dec_depth * 2 // 4, self.dec_depth * 3 // 4, self.dec_depth)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["dpt_layer_dims"] = list(self.dpt_layer_dims)
        return d

    @classmethod
    def from_dict(cls, data: dict) -> "Cut3rConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise BadInputError(f"CUT3R config: unknown fields {', '.join(unknown)}")
        data = dict(data)
        if "dpt_layer_dims" in data:
            data["dpt_layer_dims"] = tuple(int(x) for x in data["dpt_layer_dims"])
        return cls(**data)


FULL_512_DPT = Cut3rConfig()  # cut3r_512_dpt_4_64.pth
TINY = Cut3rConfig(enc_dim=64, enc_depth=2, enc_heads=4, dec_dim=64, dec_depth=4, dec_heads=4, state_heads=16,
                   state_size=16, memory_size=8, ray_enc_depth=2, ray_enc_heads=16)


def _count(prefix: str, keys) -> int:
    idx = {int(k[len(prefix):].split(".", 1)[0]) for k in keys if k.startswith(prefix)}
    return max(idx) + 1 if idx else 0


def config_from_state_dict(state: dict, *, state_heads: int = 16, enc_heads: int | None = None,
                           dec_heads: int | None = None) -> Cut3rConfig:
    """Sizes read from a checkpoint's tensors. Head counts are not visible in shapes: they default to
    the released model's (64-channel heads in the encoder and decoder, 16 state-decoder heads)."""
    try:
        enc_dim = int(state["enc_norm.weight"].shape[0])
        dec_dim = int(state["dec_norm.weight"].shape[0])
        cfg = Cut3rConfig(
            enc_dim=enc_dim, enc_depth=_count("enc_blocks.", state), enc_heads=enc_heads or max(1, enc_dim // 64),
            dec_dim=dec_dim, dec_depth=_count("dec_blocks.", state), dec_heads=dec_heads or max(1, dec_dim // 64),
            state_heads=state_heads, state_size=int(state["register_tokens.weight"].shape[0]),
            memory_size=int(state["pose_retriever.mem"].shape[1]), ray_enc_depth=_count("enc_blocks_ray_map.", state),
            patch=int(state["patch_embed.proj.weight"].shape[-1]),
            rgb_head=any(k.startswith("downstream_head.dpt_rgb.") for k in state),
            dpt_features=int(state["downstream_head.dpt_self.scratch.layer1_rn.weight"].shape[0]),
            dpt_layer_dims=tuple(int(state[f"downstream_head.dpt_self.scratch.layer{i}_rn.weight"].shape[1])
                                 for i in range(1, 5)),
        )
    except KeyError as exc:
        raise BadInputError(f"not a CUT3R checkpoint: tensor {exc.args[0]!r} is missing") from None
    return cfg
# TINY with narrow DPT heads: not the released head widths, but every code path; fast enough for
# plumbing tests (loaders, the geometry stage) on a CPU.
MICRO = Cut3rConfig(enc_dim=64, enc_depth=2, enc_heads=4, dec_dim=64, dec_depth=4, dec_heads=4, state_heads=16,
                    state_size=16, memory_size=8, ray_enc_depth=1, ray_enc_heads=16, dpt_features=16,
                    dpt_layer_dims=(8, 16, 16, 32))
