"""PAVAS-tiny: the shape of the whole tiny generator (video encoder, MMAudio DiT, Phy-Adapter) in one dataclass.

The DiT is the MMAudio network of `pavas_core.models.mmaudio` at a small width and depth; its latent
is a 20-band log-mel spectrogram at 16 kHz (20 channels is the width MMAudio's 16-kHz network
reads, and one mel frame per latent token keeps MMAudio's 31.25 tokens per second). The CLIP,
Synchformer and text widths are those of the tiny video encoder (no text: one empty token).

`physics_fps` and `speed_change` (defaults: the paper's 8 fps, speed alone) set how finely in time
the Phy-Adapter reads the physics; see PHYSICS_FPS_CHOICES and PhyAdapterConfig.

Ablation switch (`physics_conditions`, with `injection`): "none" is the backbone alone;
"c_mass" / "c_vel" feed one branch of the Phy-Adapter; "both" feeds both; `injection` "delta" is
the paper's Δ-modulation of every adaLN, "summation" adds the physics to the condition the adaLN
layers read.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from ...errors import BadInputError, UnsupportedCheckpointError
from ..mmaudio.config import MMAudioConfig
from ..mmaudio.sequence import CLIP_FPS, SequenceLengths
from ..phy_adapter import INJECTIONS, PhyAdapterConfig

PHYSICS_CONDITIONS = ("none", "c_mass", "c_vel", "both")
# How the video encoder summarises each frame's feature grid: the mean alone, or mean and max (a small
# moving object is a few cells of the grid; the mean dilutes it, the max keeps it)
SPATIAL_POOLINGS = ("mean", "mean_max")
# Rates at which the Phy-Adapter reads the per-frame physics (object features, visibility, speed):
# the CLIP rate of the paper (8 fps), or every frame the sync stream sees (25 fps), so that c_vel can
# place an impact within a frame instead of within 1/8 s
PHYSICS_FPS_CHOICES = (8, 25)
TINY_LATENT_DIM = 20  # MMAudio's 16-kHz latent width: the tiny latent is 20 mel bands
TINY_SAMPLE_RATE_HZ = 16000
TINY_TEXT_LEN = 1  # no captions: one learned-free (zero) text token
# bounds a config read from a file may take (a file must not make us allocate without limit)
_LIMITS = {"hidden_dim": 1024, "num_heads": 32, "depth": 32, "fused_depth": 31, "clip_dim": 1024,
           "sync_dim": 1024, "text_dim": 1024, "frame_size_px": 256, "delta_rank": 1024, "film_hidden": 1024,
           "gate_hidden": 1024, "encoder_width": 256}


@dataclass(frozen=True)
class TinyGeneratorConfig:
    """Every size of PAVAS-tiny. Frames are squashed to frame_size_px² (a multiple of 8: three stride-2
    convolutions give a (frame_size_px / 8)² feature grid, the patch grid of the object features)."""

    hidden_dim: int = 64
    num_heads: int = 2
    depth: int = 3
    fused_depth: int = 1
    clip_dim: int = 64
    sync_dim: int = 64
    text_dim: int = 16
    frame_size_px: int = 64
    encoder_width: int = 32
    physics_conditions: str = "both"
    injection: str = "delta"
    delta_rank: int = 32
    film_hidden: int = 32
    gate_hidden: int = 16
    spatial_pooling: str = "mean"
    physics_fps: int = 8
    speed_change: bool = False

    def __post_init__(self) -> None:
        for name, limit in _LIMITS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
                if not (name == "fused_depth" and value == 0):
                    raise BadInputError(f"PAVAS-tiny config: {name} must be a whole number from 1 to {limit}, "
                                        f"got {value!r}")
        if self.frame_size_px % 8:
            raise BadInputError(f"PAVAS-tiny config: frame_size_px must be a multiple of 8, got {self.frame_size_px}")
        if self.physics_conditions not in PHYSICS_CONDITIONS:
            raise BadInputError(f"PAVAS-tiny config: physics_conditions must be one of {PHYSICS_CONDITIONS}, "
                                f"got {self.physics_conditions!r}")
        if self.spatial_pooling not in SPATIAL_POOLINGS:
            raise BadInputError(f"PAVAS-tiny config: spatial_pooling must be one of {SPATIAL_POOLINGS}, "
                                f"got {self.spatial_pooling!r}")
        if isinstance(self.physics_fps, bool) or self.physics_fps not in PHYSICS_FPS_CHOICES:
            raise BadInputError(f"PAVAS-tiny config: physics_fps must be one of {PHYSICS_FPS_CHOICES}, "
                                f"got {self.physics_fps!r}")
        if not isinstance(self.speed_change, bool):
            raise BadInputError(f"PAVAS-tiny config: speed_change must be true or false, got {self.speed_change!r}")
        if self.injection not in INJECTIONS:
            raise BadInputError(f"PAVAS-tiny config: injection must be one of {INJECTIONS}, got {self.injection!r}")
        self.network_config()  # width / heads / depth checked by the network's own config

    @property
    def grid_size(self) -> int:
        """Side of the encoder's feature grid (patches per side)."""
        return self.frame_size_px // 8

    def physics_len(self, lengths: SequenceLengths) -> int:
        """Physics frames of a window (frame k shown at k / physics_fps s): the CLIP length at 8 fps."""
        if self.physics_fps == CLIP_FPS:
            return lengths.clip_len
        return max(1, int(round(lengths.duration_s, 6) * self.physics_fps + 1e-6))

    @property
    def uses_physics(self) -> bool:
        return self.physics_conditions != "none"

    @property
    def ablation_name(self) -> str:
        """The row of the paper's ablation this config is: backbone, +c_mass, +c_vel, +both (delta|summation)."""
        if not self.uses_physics:
            return "backbone"
        if self.physics_conditions == "both":
            return f"both-{self.injection}"
        return f"{self.physics_conditions}-{self.injection}"

    def network_config(self) -> MMAudioConfig:
        try:
            return MMAudioConfig(name="pavas_tiny", latent_dim=TINY_LATENT_DIM, hidden_dim=self.hidden_dim,
                                 num_heads=self.num_heads, depth=self.depth, fused_depth=self.fused_depth, v2=True,
                                 clip_dim=self.clip_dim, sync_dim=self.sync_dim, text_dim=self.text_dim,
                                 text_len=TINY_TEXT_LEN)
        except ValueError as exc:
            raise BadInputError(f"PAVAS-tiny config: {exc}") from None

    def adapter_config(self) -> PhyAdapterConfig:
        return PhyAdapterConfig.for_network(self.network_config(), injection=self.injection,
                                            delta_rank=self.delta_rank, film_hidden=self.film_hidden,
                                            gate_hidden=self.gate_hidden, frame_rate_hz=float(self.physics_fps),
                                            speed_change=self.speed_change)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> "TinyGeneratorConfig":
        if not isinstance(data, dict):
            raise UnsupportedCheckpointError("PAVAS-tiny checkpoint: its config is not a JSON object")
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise UnsupportedCheckpointError(f"PAVAS-tiny checkpoint: unknown config fields {unknown} "
                                             "(made by a newer version?)")
        try:
            return cls(**data)
        except (TypeError, BadInputError) as exc:
            raise UnsupportedCheckpointError(f"PAVAS-tiny checkpoint: unusable config ({exc})") from None


TINY_CONFIGS = {"tiny": TinyGeneratorConfig()}
