"""PAVAS-tiny: the tiny video encoder, the MMAudio DiT and the Phy-Adapter as one module, trained together.

The DiT and the adapter are the classes of the MMAudio path (`models/mmaudio`, `models/phy_adapter`),
so Δ-modulation, the summation ablation, null-physics guidance and the Euler sampler are the same
code. What is tiny-specific: the encoder (video_encoder.py), the log-mel latent (mel_latent.py),
the branch choice of the ablation (`physics_delta`), and the weight initialisation: DiT-style,
every adaLN modulation and the output layer start at zero (the network starts as "predict zero
flow" and learns from there, as MMAudio initialises its own training).
"""

from __future__ import annotations

import torch
from torch import nn

from ...errors import BadInputError
from ..flow_matching import DEFAULT_NUM_STEPS, flow_matching_loss, sample
from ..mmaudio.network import AdaLNDelta, MMAudioNetwork
from ..mmaudio.sequence import SequenceLengths, latent_frame_index
from ..phy_adapter import PhyAdapter, PhysicsBatch, PhysicsCodes
from .config import TINY_SAMPLE_RATE_HZ, TinyGeneratorConfig
from .video_encoder import TinyVideoEncoder, TinyVideoFeatures
from .window_inputs import TinyBatch

# log-mel statistics before training sets them (near those of the synthetic scenes' sound)
DEFAULT_LATENT_MEAN, DEFAULT_LATENT_STD = -9.0, 2.5
DEFAULT_CFG_STRENGTH = 2.0


def initialize_network(network: MMAudioNetwork) -> None:
    """Xavier-uniform linear layers with zero biases; adaLN modulations and the output layer at zero."""
    for module in network.modules():
        if isinstance(module, nn.Linear):
            nn.init.xavier_uniform_(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
    blocks = [*(b.latent_block for b in network.joint_blocks), *(b.clip_block for b in network.joint_blocks),
              *(b.text_block for b in network.joint_blocks), *network.fused_blocks, network.final_layer]
    for block in blocks:
        nn.init.zeros_(block.adaLN_modulation[-1].weight)
        nn.init.zeros_(block.adaLN_modulation[-1].bias)
    for param in network.final_layer.conv.parameters():
        nn.init.zeros_(param)
    with torch.no_grad():
        network.latent_mean.fill_(DEFAULT_LATENT_MEAN)
        network.latent_std.fill_(DEFAULT_LATENT_STD)
        network.empty_string_feat.zero_()  # no captions: the text stream is one constant token
        network.empty_clip_feat.zero_()
        network.empty_sync_feat.zero_()


class TinyGenerator(nn.Module):
    """encoder + network (+ adapter unless the config is the backbone alone). See the module doc."""

    def __init__(self, config: TinyGeneratorConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = TinyVideoEncoder(config)
        self.network = MMAudioNetwork(config.network_config())
        initialize_network(self.network)
        self.adapter = PhyAdapter(config.adapter_config()) if config.uses_physics else None

    @property
    def device(self) -> torch.device:
        return self.network.device

    def num_parameters(self) -> dict[str, int]:
        count = lambda m: sum(p.numel() for p in m.parameters()) if m is not None else 0  # noqa: E731
        parts = {"encoder": count(self.encoder), "network": count(self.network), "adapter": count(self.adapter)}
        return {**parts, "total": sum(parts.values())}

    def set_latent_statistics(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        """Per-channel log-mel mean and std (20,) of the training sound: the network normalises with them."""
        with torch.no_grad():
            self.network.latent_mean.copy_(mean.reshape(1, 1, -1))
            self.network.latent_std.copy_(std.clamp_min(1e-3).reshape(1, 1, -1))

    # ------------------------------------------------------------------ conditions
    def encode_video(self, batch: TinyBatch, lengths: SequenceLengths) -> TinyVideoFeatures:
        return self.encoder(batch.frames, lengths, batch.coverage if self.adapter is not None else None)

    def physics_codes(self, batch: TinyBatch, features: TinyVideoFeatures,
                      drop: torch.Tensor | None = None) -> PhysicsCodes | None:
        if self.adapter is None:
            return None
        physics = PhysicsBatch(object_features=features.object_features, visible=batch.visible,
                               mass_kg=batch.mass_kg, speed_mps=batch.speed_mps, present=batch.present)
        return self.adapter.encode(physics, drop=drop)

    def physics_delta(self, codes: PhysicsCodes | None, latent_len: int) -> AdaLNDelta | None:
        """The adapter's injection with the branches the config uses (None for the backbone)."""
        if codes is None or self.adapter is None:
            return None
        which = self.config.physics_conditions
        if which == "both":
            return self.adapter.delta(codes, latent_len=latent_len, sample_rate_hz=TINY_SAMPLE_RATE_HZ)
        index = latent_frame_index(latent_len, codes.c_vel.shape[1], TINY_SAMPLE_RATE_HZ,
                                   frame_rate_hz=self.config.physics_fps)
        adapter = self.adapter
        if self.config.injection == "delta":
            mass, speed = adapter.branch_residuals(codes)
            return AdaLNDelta(mass if which == "c_mass" else speed, token_index=index)
        if which == "c_mass":
            return AdaLNDelta({}, token_index=index,
                              condition=adapter.alpha_mass * adapter.mass_delta(codes.c_mass).unsqueeze(1))
        speed_c = adapter.alpha_speed * adapter.speed_delta(codes.c_vel)
        speed_mean = speed_c.mean(1, keepdim=True)
        return AdaLNDelta({}, token_index=index, condition=speed_mean, token_condition=speed_c - speed_mean)

    def conditions(self, features: TinyVideoFeatures, drop_video: torch.Tensor | None = None):
        net = self.network
        clip_f, sync_f = features.clip_f, features.sync_f
        if drop_video is not None:
            drop = drop_video.to(clip_f.device).view(-1, 1, 1)
            clip_f = torch.where(drop, net.empty_clip_feat.to(clip_f.dtype).expand_as(clip_f), clip_f)
            sync_f = torch.where(drop, net.empty_sync_feat.to(sync_f.dtype).expand_as(sync_f), sync_f)
        text_f = net.empty_string_feat.unsqueeze(0).expand(clip_f.shape[0], -1, -1)
        return net.preprocess_conditions(clip_f, sync_f, text_f)

    # ------------------------------------------------------------------ training
    def training_loss(self, batch: TinyBatch, lengths: SequenceLengths, *, noise: torch.Tensor, t: torch.Tensor,
                      drop_video: torch.Tensor, drop_physics: torch.Tensor) -> torch.Tensor:
        """Mean conditional flow-matching loss of the batch (see flow_matching.flow_matching_loss).

        noise (B, N, 20); t (B,); drop_video / drop_physics (B,) bool (physics is dropped with the video)."""
        if batch.latent is None or batch.latent.shape[1] != lengths.latent_len:
            raise BadInputError(f"training needs the reference latents (B, {lengths.latent_len}, 20)")
        device = self.device
        features = self.encode_video(batch, lengths)
        conditions = self.conditions(features, drop_video.to(device))
        codes = self.physics_codes(batch, features, (drop_physics | drop_video).to(device))
        delta = self.physics_delta(codes, lengths.latent_len)
        data = self.network.normalize(batch.latent.to(device).float())
        return flow_matching_loss(self.network, conditions, data, noise.to(device), t.to(device), delta).mean()

    # ------------------------------------------------------------------ generation
    @torch.no_grad()
    def generate_latent(self, batch: TinyBatch, lengths: SequenceLengths, *, seed: int | None = None,
                        num_steps: int = DEFAULT_NUM_STEPS, cfg_strength: float = DEFAULT_CFG_STRENGTH,
                        noise: torch.Tensor | None = None, progress=None) -> torch.Tensor:
        """Log-mel latents (B, N, 20) from the batch's frames and physics: Euler flow steps with guidance,
        the unconditional branch getting the empty video features and the null physics. The start is
        `noise` (B, N, 20) when given, else drawn from `seed`."""
        features = self.encode_video(batch, lengths)
        conditions = self.conditions(features)
        empty = self.network.get_empty_conditions(batch.batch_size, clip_len=lengths.clip_len,
                                                  sync_len=lengths.sync_len)
        delta = self.physics_delta(self.physics_codes(batch, features), lengths.latent_len)
        null = None
        if self.adapter is not None:
            null = self.physics_delta(self.adapter.null_codes(batch.batch_size, self.config.physics_len(lengths)),
                                      lengths.latent_len)
        x = sample(self.network, conditions, empty if cfg_strength >= 1 else None, latent_len=lengths.latent_len,
                   num_steps=num_steps, cfg_strength=cfg_strength, seed=seed if noise is None else None,
                   noise=noise, progress=progress,
                   adaln_delta=delta, empty_adaln_delta=null)
        return self.network.unnormalize(x)


def parameter_summary(model: TinyGenerator) -> str:
    counts = model.num_parameters()
    return ", ".join(f"{name} {value:,}" for name, value in counts.items())


__all__ = ["TinyGenerator", "initialize_network", "parameter_summary", "DEFAULT_CFG_STRENGTH"]
