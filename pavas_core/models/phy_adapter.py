"""The Phy-Adapter: per-object physics and CLIP object features → Δ-modulation of an MMAudio network.

PAVAS (ARCHITECTURE.md §2), per clip of T CLIP frames (8 fps; `frame_rate_hz` may choose another
rate) and K objects:

1. Object tokens: each object's mask-pooled CLIP feature per frame, projected to the network
   width D and layer-normalised; a learned occlusion token where the object is not visible.
2. Physics: mass → log(1 + m) then z-score, speed → z-score (statistics are buffers of the
   adapter, set from the training data); each through Fourier features
   [sin 2πω_k x, cos 2πω_k x] → MLP → FiLM (γ, β) on the object tokens,
   h' = (1 + ½ tanh γ) ⊙ h + ½ tanh β. The mass FiLM is the same in every frame; the speed FiLM
   follows the per-frame speed.
3. Pooling over any number of objects with a learned gate, c = Σ G_i h_i / Σ G_i, G = σ(MLP(h)):
   c_mass (B, D) from the time-averaged mass-modulated tokens, c_vel (B, T, D) per frame. A clip
   without objects (or with its physics dropped) gets learned null tokens.
4. Injection, "delta" (the paper's): for every adaLN modulation b of the network,
   ω̃_b = ω_b + α_m,b · g_m(c_mass)_b + α_v,b · g_v(c_vel)_b. g_m, g_v are MLPs whose last layer
   starts at zero, so a fresh adapter reproduces the backbone exactly; α are learned gates
   (starting at 1 so that the zero layer receives gradient). c_vel's residual is per frame and
   reaches the per-audio-token modulations through `latent_frame_index`; the CLIP/text streams
   (whose tokens are not audio time) take its average over the frames.
   "summation" (the ablation): physics is added to the condition the adaLN layers read — the
   global condition gets α_m W_m c_mass + α_v mean_t W_v c_vel, the per-token condition the
   per-frame remainder α_v (W_v c_vel − mean_t W_v c_vel).

Residuals depend on the clip, not on the flow time, so they are computed once per sample
(`PhyAdapter.delta`); a flow step only gathers and adds them.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, fields
from typing import Any, Mapping, Sequence

import torch
from torch import nn

from ..errors import BadInputError, UnsupportedCheckpointError
from .mmaudio.blocks import FULL_MODULATION_CHUNKS, SHORT_MODULATION_CHUNKS
from .mmaudio.config import MMAudioConfig
from .mmaudio.network import AdaLNDelta, is_per_token
from .mmaudio.sequence import CLIP_FPS, latent_frame_index

ADAPTER_FORMAT = "pavas_phy_adapter"
ADAPTER_FORMAT_VERSION = 1
INJECTIONS = ("delta", "summation")
# Defaults of the physics statistics before training sets them: log(1 + 1 kg) ± 1, 2 ± 2 m/s.
DEFAULT_LOG_MASS_MEAN, DEFAULT_LOG_MASS_STD = math.log1p(1.0), 1.0
DEFAULT_SPEED_MEAN_MPS, DEFAULT_SPEED_STD_MPS = 2.0, 2.0
MIN_STD = 1e-3
MAX_FRAME_RATE_HZ = 120.0
# sizes a config stored in a file may choose (a file must not make us allocate without bound)
_SIZE_LIMITS = {"hidden_dim": 8192, "object_dim": 8192, "joint_depth": 64, "fused_depth": 64,
                "num_frequencies": 32, "film_hidden": 4096, "gate_hidden": 4096, "delta_rank": 4096}


@dataclass(frozen=True)
class PhyAdapterConfig:
    """Shape of an adapter, and of the network it steers (width and block counts).

    hidden_dim: the network width D (also the adapter's token width); object_dim: width of the
    CLIP object features (the CLIP embedding, 1024 for DFN5B); joint_depth / fused_depth: the
    network's blocks; num_frequencies F and base_frequency ω_0: Fourier features at
    ω_k = ω_0 · 2^k (ω_0 = 1/16 keeps the lowest one monotone over ±4 z-scores); delta_rank: the
    hidden width of g_m and g_v; frame_rate_hz: the rate of the per-frame inputs (the CLIP rate, 8,
    as in the paper; PAVAS-tiny may take the physics at the video's 25 fps, see its config);
    speed_change: the speed FiLM also reads each frame's speed change from the previous frame (the
    Fourier features of Δspeed / speed std): an impact is a sudden change of speed, which a
    per-frame MLP of the speed alone cannot see.
    """

    hidden_dim: int
    object_dim: int
    joint_depth: int
    fused_depth: int
    injection: str = "delta"
    num_frequencies: int = 6
    base_frequency: float = 1.0 / 16.0
    film_hidden: int = 128
    gate_hidden: int = 64
    delta_rank: int = 128
    frame_rate_hz: float = float(CLIP_FPS)
    speed_change: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.speed_change, bool):
            raise BadInputError(f"Phy-Adapter: speed_change must be true or false, got {self.speed_change!r}")
        rate = self.frame_rate_hz
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate <= MAX_FRAME_RATE_HZ:
            raise BadInputError(f"Phy-Adapter: frame_rate_hz must be in (0, {MAX_FRAME_RATE_HZ:g}], got {rate!r}")
        if self.injection not in INJECTIONS:
            raise BadInputError(f"Phy-Adapter: injection must be one of {INJECTIONS}, got {self.injection!r}")
        for name, limit in _SIZE_LIMITS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
                raise BadInputError(f"Phy-Adapter: {name} must be a whole number from 0 to {limit}, got {value!r}")
        if self.hidden_dim < 1 or self.object_dim < 1 or self.joint_depth < 1 or self.num_frequencies < 1:
            raise BadInputError("Phy-Adapter: hidden_dim, object_dim, joint_depth and num_frequencies must be positive")
        if not (isinstance(self.base_frequency, (int, float)) and 0 < self.base_frequency < 1e3):
            raise BadInputError(f"Phy-Adapter: base_frequency must be positive, got {self.base_frequency!r}")

    @classmethod
    def for_network(cls, config: MMAudioConfig, **overrides: Any) -> "PhyAdapterConfig":
        """The adapter for an MMAudio network of this configuration (object features: its CLIP width)."""
        return cls(hidden_dim=config.hidden_dim, object_dim=config.clip_dim, joint_depth=config.joint_depth,
                   fused_depth=config.fused_depth, **overrides)

    def check_network(self, config: MMAudioConfig) -> None:
        """UnsupportedCheckpointError unless this adapter was made for a network of `config`'s shape."""
        mine = (self.hidden_dim, self.joint_depth, self.fused_depth, self.object_dim)
        theirs = (config.hidden_dim, config.joint_depth, config.fused_depth, config.clip_dim)
        if mine != theirs:
            raise UnsupportedCheckpointError(
                f"this Phy-Adapter was made for an MMAudio network of width {mine[0]} with {mine[1]} joint and "
                f"{mine[2]} fused blocks (CLIP width {mine[3]}), but the network loaded has width {theirs[0]}, "
                f"{theirs[1]} joint and {theirs[2]} fused blocks (CLIP width {theirs[3]}): use the adapter "
                "trained for this network (or make one with `train --init-only --models DIR`)"
            )

    def modulation_layout(self) -> list[tuple[str, int]]:
        """(adaLN name, modulation width) of every block in the network's order (AdaLNDelta keys)."""
        dim, last = self.hidden_dim, self.joint_depth - 1
        layout = []
        for i in range(self.joint_depth):
            side = SHORT_MODULATION_CHUNKS if i == last else FULL_MODULATION_CHUNKS
            layout += [(f"joint_blocks.{i}.latent_block", FULL_MODULATION_CHUNKS * dim),
                       (f"joint_blocks.{i}.clip_block", side * dim), (f"joint_blocks.{i}.text_block", side * dim)]
        layout += [(f"fused_blocks.{j}", FULL_MODULATION_CHUNKS * dim) for j in range(self.fused_depth)]
        return layout + [("final_layer", SHORT_MODULATION_CHUNKS * dim)]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> "PhyAdapterConfig":
        if not isinstance(data, dict):
            raise UnsupportedCheckpointError("Phy-Adapter file: its config is not a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UnsupportedCheckpointError(f"Phy-Adapter file: unknown config fields {unknown} (made by a newer "
                                             "version?)")
        try:
            return cls(**data)
        except TypeError as exc:
            raise UnsupportedCheckpointError(f"Phy-Adapter file: incomplete config ({exc})") from None


@dataclass
class PhysicsBatch:
    """Per-object inputs of B clips at the CLIP rate, padded to K objects.

    object_features (B, K, T, C) CLIP object features; visible (B, K, T) bool (False: the occlusion
    token is used); mass_kg (B, K); speed_mps (B, K, T) (finite everywhere: gaps filled by the
    caller); present (B, K) bool, False for padding.
    """

    object_features: torch.Tensor
    visible: torch.Tensor
    mass_kg: torch.Tensor
    speed_mps: torch.Tensor
    present: torch.Tensor

    @property
    def batch_size(self) -> int:
        return self.present.shape[0]

    @property
    def num_frames(self) -> int:
        return self.visible.shape[2]

    def to(self, device: torch.device | str) -> "PhysicsBatch":
        return PhysicsBatch(*(getattr(self, f.name).to(device) for f in fields(self)))


@dataclass
class PhysicsCodes:
    """What the adapter makes of a PhysicsBatch: c_mass (B, D) per clip, c_vel (B, T, D) per frame."""

    c_mass: torch.Tensor
    c_vel: torch.Tensor


def fourier_features(x: torch.Tensor, num_frequencies: int, base_frequency: float) -> torch.Tensor:
    """(...,) → (..., 2F): [sin 2πω_k x, cos 2πω_k x], ω_k = base · 2^k, k = 0 … F−1."""
    omega = base_frequency * (2.0 ** torch.arange(num_frequencies, device=x.device, dtype=torch.float32))
    angles = 2 * math.pi * x.float().unsqueeze(-1) * omega
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=-1).to(x.dtype if x.is_floating_point() else torch.float32)


def film(h: torch.Tensor, gamma_beta: torch.Tensor) -> torch.Tensor:
    """h' = (1 + ½ tanh γ) ⊙ h + ½ tanh β, with gamma_beta = [γ | β] on the last axis (broadcast over h)."""
    gamma, beta = gamma_beta.chunk(2, dim=-1)
    return (1 + 0.5 * torch.tanh(gamma)) * h + 0.5 * torch.tanh(beta)


def _mlp(in_dim: int, hidden: int, out_dim: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(in_dim, hidden), nn.SiLU(), nn.Linear(hidden, out_dim))


def _zero_last(mlp: nn.Sequential) -> nn.Sequential:
    nn.init.zeros_(mlp[-1].weight)
    nn.init.zeros_(mlp[-1].bias)
    return mlp


def gated_pool(tokens: torch.Tensor, gates: torch.Tensor, present: torch.Tensor, null: torch.Tensor,
               object_axis: int) -> torch.Tensor:
    """Σ_i G_i h_i / Σ_i G_i over `object_axis` of tokens (…, D) with gates (…, 1) in (0, 1); where
    no object is present the learned `null` (D,) is returned.

    present: bool, broadcastable to gates without its last axis.
    """
    weights = gates * present.unsqueeze(-1).to(gates.dtype)
    total = weights.sum(dim=object_axis)
    pooled = (weights * tokens).sum(dim=object_axis) / total.clamp_min(torch.finfo(total.dtype).tiny)
    return torch.where(total > 0, pooled, null.to(pooled.dtype))


class PhyAdapter(nn.Module):
    """Physics + object features → c_mass, c_vel → AdaLNDelta for an MMAudio network. See the module doc."""

    def __init__(self, config: PhyAdapterConfig) -> None:
        super().__init__()
        self.config = config
        dim, freq2 = config.hidden_dim, 2 * config.num_frequencies
        self.object_proj = nn.Linear(config.object_dim, dim)
        self.object_norm = nn.LayerNorm(dim)
        self.occlusion_token = nn.Parameter(0.02 * torch.randn(dim))
        # FiLM generators start random (not at the identity): the zero-initialised g alone keeps a fresh
        # adapter silent, and the first step that makes g non-zero then already gives the network an
        # output that depends on mass and speed
        self.mass_film = _mlp(freq2, config.film_hidden, 2 * dim)
        self.speed_film = _mlp(2 * freq2 if config.speed_change else freq2, config.film_hidden, 2 * dim)
        self.mass_gate = _mlp(dim, config.gate_hidden, 1)
        self.speed_gate = _mlp(dim, config.gate_hidden, 1)
        self.null_mass = nn.Parameter(0.02 * torch.randn(dim))
        self.null_speed = nn.Parameter(0.02 * torch.randn(dim))
        layout = config.modulation_layout()
        self._names = [name for name, _ in layout]
        self._widths = [width for _, width in layout]
        if config.injection == "delta":
            total = sum(self._widths)
            self.mass_delta = _zero_last(_mlp(dim, config.delta_rank, total))
            self.speed_delta = _zero_last(_mlp(dim, config.delta_rank, total))
            self.alpha_mass = nn.Parameter(torch.ones(len(layout)))
            self.alpha_speed = nn.Parameter(torch.ones(len(layout)))
        else:
            self.mass_delta = _zero_last(_mlp(dim, dim, dim))
            self.speed_delta = _zero_last(_mlp(dim, dim, dim))
            self.alpha_mass = nn.Parameter(torch.ones(1))
            self.alpha_speed = nn.Parameter(torch.ones(1))
        # physics statistics (from the training data; saved with the weights)
        self.register_buffer("log_mass_mean", torch.tensor(DEFAULT_LOG_MASS_MEAN))
        self.register_buffer("log_mass_std", torch.tensor(DEFAULT_LOG_MASS_STD))
        self.register_buffer("speed_mean_mps", torch.tensor(DEFAULT_SPEED_MEAN_MPS))
        self.register_buffer("speed_std_mps", torch.tensor(DEFAULT_SPEED_STD_MPS))

    @property
    def device(self) -> torch.device:
        return self.occlusion_token.device

    @property
    def dtype(self) -> torch.dtype:
        return self.occlusion_token.dtype

    # ------------------------------------------------------------------ statistics
    def set_statistics(self, *, log_mass_mean: float, log_mass_std: float, speed_mean_mps: float,
                       speed_std_mps: float) -> None:
        """Set the z-score statistics (log(1 + kg) and m/s); standard deviations below 1e-3 are raised to it."""
        for name, value in (("log_mass_mean", log_mass_mean), ("log_mass_std", max(log_mass_std, MIN_STD)),
                            ("speed_mean_mps", speed_mean_mps), ("speed_std_mps", max(speed_std_mps, MIN_STD))):
            if not math.isfinite(value):
                raise BadInputError(f"Phy-Adapter: statistic {name} must be finite, got {value}")
            getattr(self, name).fill_(float(value))

    def statistics(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in
                ("log_mass_mean", "log_mass_std", "speed_mean_mps", "speed_std_mps")}

    def normalised_mass(self, mass_kg: torch.Tensor) -> torch.Tensor:
        return (torch.log1p(mass_kg) - self.log_mass_mean) / self.log_mass_std

    def normalised_speed(self, speed_mps: torch.Tensor) -> torch.Tensor:
        return (speed_mps - self.speed_mean_mps) / self.speed_std_mps

    # ------------------------------------------------------------------ encoding
    def encode(self, batch: PhysicsBatch, *, drop: torch.Tensor | None = None) -> PhysicsCodes:
        """PhysicsBatch → c_mass (B, D), c_vel (B, T, D). `drop` (B,) bool: those clips get the null tokens
        (training's physics dropout, and the unconditional branch of guidance)."""
        cfg = self.config
        dtype = self.dtype
        feats = batch.object_features.to(device=self.device, dtype=dtype)
        bsz, num_objects, num_frames = batch.visible.shape
        visible = batch.visible.to(self.device)
        present = batch.present.to(self.device)
        tokens = self.object_norm(self.object_proj(feats))  # (B, K, T, D)
        tokens = torch.where(visible.unsqueeze(-1), tokens, self.occlusion_token.to(dtype))
        mass_z = self.normalised_mass(batch.mass_kg.to(device=self.device, dtype=torch.float32))
        speed_z = self.normalised_speed(batch.speed_mps.to(device=self.device, dtype=torch.float32))
        mass_ff = fourier_features(mass_z, cfg.num_frequencies, cfg.base_frequency).to(dtype)  # (B, K, 2F)
        speed_ff = fourier_features(speed_z, cfg.num_frequencies, cfg.base_frequency).to(dtype)  # (B, K, T, 2F)
        if cfg.speed_change:
            # change from the previous frame in speed-std units (0 at the first frame)
            change = torch.diff(speed_z, dim=-1, prepend=speed_z[..., :1])
            change_ff = fourier_features(change, cfg.num_frequencies, cfg.base_frequency).to(dtype)
            speed_ff = torch.cat([speed_ff, change_ff], dim=-1)  # (B, K, T, 4F)
        # mass: one FiLM for all frames of an object, then its frames averaged
        mass_tokens = film(tokens, self.mass_film(mass_ff).unsqueeze(2)).mean(dim=2)  # (B, K, D)
        c_mass = gated_pool(mass_tokens, torch.sigmoid(self.mass_gate(mass_tokens)), present, self.null_mass, 1)
        # speed: a FiLM per frame, objects pooled frame by frame
        speed_tokens = film(tokens, self.speed_film(speed_ff))  # (B, K, T, D)
        c_vel = gated_pool(speed_tokens, torch.sigmoid(self.speed_gate(speed_tokens)),
                           present.unsqueeze(-1), self.null_speed, 1)  # (B, T, D)
        if drop is not None:
            drop = drop.to(self.device).view(bsz, 1)
            c_mass = torch.where(drop, self.null_mass.to(dtype), c_mass)
            c_vel = torch.where(drop.unsqueeze(-1), self.null_speed.to(dtype), c_vel)
        return PhysicsCodes(c_mass=c_mass, c_vel=c_vel)

    def null_codes(self, batch_size: int, num_frames: int) -> PhysicsCodes:
        """The codes of "no physics": the null tokens (B, D) and (B, T, D)."""
        return PhysicsCodes(c_mass=self.null_mass.expand(batch_size, -1),
                            c_vel=self.null_speed.expand(batch_size, num_frames, -1))

    # ------------------------------------------------------------------ injection
    def branch_residuals(self, codes: PhysicsCodes) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """Delta injection, each branch alone: ({name: α_m g_m(c_mass)} (B, 1, w), {name: α_v g_v(c_vel)}
        (B, T, w) for per-token modulations, averaged over frames (B, 1, w) for the CLIP/text streams)."""
        if self.config.injection != "delta":
            raise BadInputError("branch_residuals applies to the delta injection")
        mass_out = self.mass_delta(codes.c_mass).unsqueeze(1)  # (B, 1, W)
        speed_out = self.speed_delta(codes.c_vel)  # (B, T, W)
        mass, speed = {}, {}
        offset = 0
        for i, (name, width) in enumerate(zip(self._names, self._widths)):
            part = slice(offset, offset + width)
            offset += width
            mass[name] = self.alpha_mass[i] * mass_out[..., part]
            per_frame = speed_out[..., part]
            speed[name] = self.alpha_speed[i] * (per_frame if is_per_token(name) else per_frame.mean(1, keepdim=True))
        return mass, speed

    def delta(self, codes: PhysicsCodes, *, latent_len: int, sample_rate_hz: int) -> AdaLNDelta:
        """The AdaLNDelta for a window of `latent_len` audio tokens whose frames are the codes' T frames."""
        num_frames = codes.c_vel.shape[1]
        index = latent_frame_index(latent_len, num_frames, sample_rate_hz, frame_rate_hz=self.config.frame_rate_hz)
        if self.config.injection == "delta":
            mass, speed = self.branch_residuals(codes)
            return AdaLNDelta({name: mass[name] + speed[name] for name in self._names}, token_index=index)
        mass_c = self.alpha_mass * self.mass_delta(codes.c_mass).unsqueeze(1)  # (B, 1, D)
        speed_c = self.alpha_speed * self.speed_delta(codes.c_vel)  # (B, T, D)
        speed_mean = speed_c.mean(1, keepdim=True)
        return AdaLNDelta({}, token_index=index, condition=mass_c + speed_mean, token_condition=speed_c - speed_mean)

    def forward(self, batch: PhysicsBatch, *, latent_len: int, sample_rate_hz: int,
                drop: torch.Tensor | None = None) -> AdaLNDelta:
        return self.delta(self.encode(batch, drop=drop), latent_len=latent_len, sample_rate_hz=sample_rate_hz)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


# ---------------------------------------------------------------------------------------------
# Files: safetensors with the config and the statistics in the metadata


def adapter_metadata(adapter: PhyAdapter, extra: Mapping[str, Any] | None = None) -> dict[str, str]:
    meta = {"format": ADAPTER_FORMAT, "format_version": ADAPTER_FORMAT_VERSION,
            "config": adapter.config.to_json(), "statistics": adapter.statistics()}
    if extra:
        meta["extra"] = dict(extra)
    return {"pavas_phy_adapter": json.dumps(meta)}


def save_adapter(adapter: PhyAdapter, path: str | os.PathLike, *, extra: Mapping[str, Any] | None = None,
                 inputs: Sequence[str | os.PathLike] = ()) -> None:
    """Write the adapter's weights (fp32) and config into a safetensors file (atomically); `inputs`:
    files and folders the job read, which the file must not replace."""
    from safetensors.torch import save_file

    from ..fileio import atomic_output

    tensors = {k: v.detach().float().contiguous().cpu() for k, v in adapter.state_dict().items()}
    with atomic_output(path, "Phy-Adapter file", inputs=inputs) as tmp:
        save_file(tensors, str(tmp), metadata=adapter_metadata(adapter, extra))


def read_adapter_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The adapter file's pavas metadata (format, config, statistics), checked."""
    from .checkpoint import read_pavas_file_metadata

    return read_pavas_file_metadata(path, key="pavas_phy_adapter", fmt=ADAPTER_FORMAT, version=ADAPTER_FORMAT_VERSION,
                                    what="Phy-Adapter file",
                                    how_to_make="make one with `python -m pavas_core train --init-only` or by training")


def load_adapter(path: str | os.PathLike, *, device: torch.device | str = "cpu",
                 dtype: torch.dtype | str | None = None, network_config: MMAudioConfig | None = None) -> PhyAdapter:
    """Load a Phy-Adapter file strictly; with `network_config`, check it fits that network.

    These files steer the MMAudio path, whose physics inputs come at the CLIP rate: an adapter made
    for another rate (PAVAS-tiny's 25 fps lives inside its own checkpoint) is refused."""
    from ..runtime import resolve_dtype
    from .checkpoint import build_and_load_strict

    meta = read_adapter_metadata(path)
    config = PhyAdapterConfig.from_json(meta.get("config"))
    if config.frame_rate_hz != CLIP_FPS:
        raise UnsupportedCheckpointError(
            f"this Phy-Adapter reads the physics at {config.frame_rate_hz:g} fps, but the MMAudio path gives it at "
            f"the CLIP rate ({CLIP_FPS} fps): use an adapter trained for MMAudio (`python -m pavas_core train "
            "--models DIR`)")
    if network_config is not None:
        config.check_network(network_config)
    adapter = build_and_load_strict(lambda: PhyAdapter(config), path, "Phy-Adapter")
    adapter.to(device=device, dtype=resolve_dtype(dtype))
    for name in ("log_mass_mean", "log_mass_std", "speed_mean_mps", "speed_std_mps"):
        buffer = getattr(adapter, name)
        setattr(adapter, name, buffer.float())  # statistics stay fp32 whatever the weights' dtype
    return adapter.eval().requires_grad_(False)


def fresh_adapter(network_config: MMAudioConfig, *, seed: int = 0, **overrides: Any) -> PhyAdapter:
    """A newly initialised adapter for a network of `network_config` (reproduces the backbone exactly)."""
    config = PhyAdapterConfig.for_network(network_config, **overrides)
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)  # nn.Linear draws from the global generator
    try:
        return PhyAdapter(config)
    finally:
        torch.random.set_rng_state(state)
