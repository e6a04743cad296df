"""MMAudio's mel VAE (1-D magnitude-preserving conv VAE): decoder, optional encoder, loader.

Two released checkpoints, told apart by tensor shapes: `v1-16.pth` (80 mel bins, 20 latent
channels, hidden 384; MMAudio's 16 kHz mode) and `v1-44.pth` (128 bins, 40 channels, hidden 512;
44.1 kHz). kijai's `mmaudio_vae_44k_{fp16,fp32}.safetensors` hold the same tensors. Both files
also contain the encoder (`encoder.*`), which generation does not need: the loader ignores those
tensors unless `with_encoder=True`.

Architecture (channel multipliers 1·2·4, two residual blocks per level, one attention block in
the middle, one x2 time resampling): the decoder maps a latent (B, C, N) to a log-mel (B, M, 2N).
All weight constants are folded at load (see `vae_layers.py`); the decoder's output
un-normalisation (x · std + mean per mel bin) is folded into its last conv as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import BadInputError, UnsupportedCheckpointError
from .checkpoint import check_state_dict
from .vae_layers import (
    CLIP_ACTIVATION,
    MP_SILU_GAIN,
    RESIDUAL_H_GAIN,
    RESIDUAL_X_GAIN,
    AttnBlock,
    Downsample,
    ResBlock,
    Upsample,
    conv,
    fold_mp_weight,
)

WHAT = "MMAudio mel VAE"
LOGVAR_RANGE = (-30.0, 20.0)  # the encoder's log-variance is clamped to this range

# Per-bin statistics of the training log-mels that the VAE normalises with (its inputs are
# (mel − mean)/std, its outputs are un-normalised with the same numbers). They are data, published
# in MMAudio's mmaudio/ext/autoencoder/vae.py (DATA_MEAN_80D, DATA_STD_80D, DATA_MEAN_128D,
# DATA_STD_128D; MIT licence) and also stored in the released checkpoints as `data_mean` /
# `data_std` (1, M, 1). A checkpoint's own values take precedence; these tables are used for
# files whose exporter dropped the two buffers.
# fmt: off
LOG_MEL_MEAN_80 = (
    -1.6058, -1.3676, -1.2520, -1.2453, -1.2078, -1.2224, -1.2419, -1.2439, -1.2922, -1.2927,
    -1.3170, -1.3543, -1.3401, -1.3836, -1.3907, -1.3912, -1.4313, -1.4152, -1.4527, -1.4728,
    -1.4568, -1.5101, -1.5051, -1.5172, -1.5623, -1.5373, -1.5746, -1.5687, -1.6032, -1.6131,
    -1.6081, -1.6331, -1.6489, -1.6489, -1.6700, -1.6738, -1.6953, -1.6969, -1.7048, -1.7280,
    -1.7361, -1.7495, -1.7658, -1.7814, -1.7889, -1.8064, -1.8221, -1.8377, -1.8417, -1.8643,
    -1.8857, -1.8929, -1.9173, -1.9379, -1.9531, -1.9673, -1.9824, -2.0042, -2.0215, -2.0436,
    -2.0766, -2.1064, -2.1418, -2.1855, -2.2319, -2.2767, -2.3161, -2.3572, -2.3954, -2.4282,
    -2.4659, -2.5072, -2.5552, -2.6074, -2.6584, -2.7107, -2.7634, -2.8266, -2.8981, -2.9673,
)
LOG_MEL_STD_80 = (
    1.0291, 1.0411, 1.0043, 0.9820, 0.9677, 0.9543, 0.9450, 0.9392, 0.9343, 0.9297,
    0.9276, 0.9263, 0.9242, 0.9254, 0.9232, 0.9281, 0.9263, 0.9315, 0.9274, 0.9247,
    0.9277, 0.9199, 0.9188, 0.9194, 0.9160, 0.9161, 0.9146, 0.9161, 0.9100, 0.9095,
    0.9145, 0.9076, 0.9066, 0.9095, 0.9032, 0.9043, 0.9038, 0.9011, 0.9019, 0.9010,
    0.8984, 0.8983, 0.8986, 0.8961, 0.8962, 0.8978, 0.8962, 0.8973, 0.8993, 0.8976,
    0.8995, 0.9016, 0.8982, 0.8972, 0.8974, 0.8949, 0.8940, 0.8947, 0.8936, 0.8939,
    0.8951, 0.8956, 0.9017, 0.9167, 0.9436, 0.9690, 1.0003, 1.0225, 1.0381, 1.0491,
    1.0545, 1.0604, 1.0761, 1.0929, 1.1089, 1.1196, 1.1176, 1.1156, 1.1117, 1.1070,
)
LOG_MEL_MEAN_128 = (
    -3.3462, -2.6723, -2.4893, -2.3143, -2.2664, -2.3317, -2.1802, -2.4006, -2.2357, -2.4597,
    -2.3717, -2.4690, -2.5142, -2.4919, -2.6610, -2.5047, -2.7483, -2.5926, -2.7462, -2.7033,
    -2.7386, -2.8112, -2.7502, -2.9594, -2.7473, -3.0035, -2.8891, -2.9922, -2.9856, -3.0157,
    -3.1191, -2.9893, -3.1718, -3.0745, -3.1879, -3.2310, -3.1424, -3.2296, -3.2791, -3.2782,
    -3.2756, -3.3134, -3.3509, -3.3750, -3.3951, -3.3698, -3.4505, -3.4509, -3.5089, -3.4647,
    -3.5536, -3.5788, -3.5867, -3.6036, -3.6400, -3.6747, -3.7072, -3.7279, -3.7283, -3.7795,
    -3.8259, -3.8447, -3.8663, -3.9182, -3.9605, -3.9861, -4.0105, -4.0373, -4.0762, -4.1121,
    -4.1488, -4.1874, -4.2461, -4.3170, -4.3639, -4.4452, -4.5282, -4.6297, -4.7019, -4.7960,
    -4.8700, -4.9507, -5.0303, -5.0866, -5.1634, -5.2342, -5.3242, -5.4053, -5.4927, -5.5712,
    -5.6464, -5.7052, -5.7619, -5.8410, -5.9188, -6.0103, -6.0955, -6.1673, -6.2362, -6.3120,
    -6.3926, -6.4797, -6.5565, -6.6511, -6.8130, -6.9961, -7.1275, -7.2457, -7.3576, -7.4663,
    -7.6136, -7.7469, -7.8815, -8.0132, -8.1515, -8.3071, -8.4722, -8.7418, -9.3975, -9.6628,
    -9.7671, -9.8863, -9.9992, -10.0860, -10.1709, -10.5418, -11.2795, -11.3861,
)
LOG_MEL_STD_128 = (
    2.3804, 2.4368, 2.3772, 2.3145, 2.2803, 2.2510, 2.2316, 2.2083, 2.1996, 2.1835,
    2.1769, 2.1659, 2.1631, 2.1618, 2.1540, 2.1606, 2.1571, 2.1567, 2.1612, 2.1579,
    2.1679, 2.1683, 2.1634, 2.1557, 2.1668, 2.1518, 2.1415, 2.1449, 2.1406, 2.1350,
    2.1313, 2.1415, 2.1281, 2.1352, 2.1219, 2.1182, 2.1327, 2.1195, 2.1137, 2.1080,
    2.1179, 2.1036, 2.1087, 2.1036, 2.1015, 2.1068, 2.0975, 2.0991, 2.0902, 2.1015,
    2.0857, 2.0920, 2.0893, 2.0897, 2.0910, 2.0881, 2.0925, 2.0873, 2.0960, 2.0900,
    2.0957, 2.0958, 2.0978, 2.0936, 2.0886, 2.0905, 2.0845, 2.0855, 2.0796, 2.0840,
    2.0813, 2.0817, 2.0838, 2.0840, 2.0917, 2.1061, 2.1431, 2.1976, 2.2482, 2.3055,
    2.3700, 2.4088, 2.4372, 2.4609, 2.4731, 2.4847, 2.5072, 2.5451, 2.5772, 2.6147,
    2.6529, 2.6596, 2.6645, 2.6726, 2.6803, 2.6812, 2.6899, 2.6916, 2.6931, 2.6998,
    2.7062, 2.7262, 2.7222, 2.7158, 2.7041, 2.7485, 2.7491, 2.7451, 2.7485, 2.7233,
    2.7297, 2.7233, 2.7145, 2.6958, 2.6788, 2.6439, 2.6007, 2.4786, 2.2469, 2.1877,
    2.1392, 2.0717, 2.0107, 1.9676, 1.9140, 1.7102, 0.9101, 0.7164,
)
# fmt: on

PUBLISHED_LOG_MEL_STATS = {
    80: (LOG_MEL_MEAN_80, LOG_MEL_STD_80),
    128: (LOG_MEL_MEAN_128, LOG_MEL_STD_128),
}


@dataclass(frozen=True)
class VaeConfig:
    """Shape of a mel VAE. The released ones differ only in the first three numbers."""

    mel_bins: int
    latent_channels: int
    hidden_channels: int
    channel_mults: tuple[int, ...] = (1, 2, 4)
    res_blocks: int = 2  # per encoder level; the decoder has one more per level
    resample_level: int = 0  # the encoder halves time after this level, the decoder doubles after level + 1

    def width(self, level: int) -> int:
        return self.hidden_channels * self.channel_mults[level]


VAE_16K = VaeConfig(mel_bins=80, latent_channels=20, hidden_channels=384)
VAE_44K = VaeConfig(mel_bins=128, latent_channels=40, hidden_channels=512)


@dataclass
class LatentGaussian:
    """Encoder posterior: mean and log-variance, each (B, C, N)."""

    mean: torch.Tensor
    logvar: torch.Tensor

    def sample(self, generator: torch.Generator | None = None) -> torch.Tensor:
        noise = torch.randn(self.mean.shape, generator=generator, device=self.mean.device, dtype=self.mean.dtype)
        return self.mean + torch.exp(0.5 * self.logvar) * noise


class _Middle(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.block_1 = ResBlock(channels, channels)
        self.attn_1 = AttnBlock(channels)
        self.block_2 = ResBlock(channels, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block_2(self.attn_1(self.block_1(x))).clamp_(-CLIP_ACTIVATION, CLIP_ACTIVATION)


class _Level(nn.Module):
    """Residual blocks of one resolution, each followed by the ±256 clamp, then optional resampling."""

    def __init__(self, in_channels: int, out_channels: int, blocks: int, resample: nn.Module | None, name: str):
        super().__init__()
        self.block = nn.ModuleList(
            ResBlock(in_channels if j == 0 else out_channels, out_channels) for j in range(blocks)
        )
        self.resample_name = name if resample is not None else None
        if resample is not None:
            setattr(self, name, resample)  # 'upsample' / 'downsample', as in the checkpoint

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.block:
            x = block(x).clamp_(-CLIP_ACTIVATION, CLIP_ACTIVATION)
        return x if self.resample_name is None else getattr(self, self.resample_name)(x)


class VaeDecoder(nn.Module):
    """latent (B, C, N) → log-mel (B, M, 2N), already un-normalised."""

    def __init__(self, config: VaeConfig):
        super().__init__()
        top = config.width(len(config.channel_mults) - 1)
        self.conv_in = conv(config.latent_channels, top, 3)
        self.mid = _Middle(top)
        levels: list[nn.Module] = [nn.Identity()] * len(config.channel_mults)
        channels = top
        for i in reversed(range(len(config.channel_mults))):
            resample = Upsample(config.width(i)) if i == config.resample_level + 1 else None
            levels[i] = _Level(channels, config.width(i), config.res_blocks + 1, resample, "upsample")
            channels = config.width(i)
        self.up = nn.ModuleList(levels)
        self.conv_out = conv(channels, config.mel_bins, 3, bias=True)  # bias = per-bin mean (folded)

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        h = self.mid(self.conv_in(latent))
        for level in reversed(self.up):
            h = level(h)
        return self.conv_out(F.silu(h))


class VaeEncoder(nn.Module):
    """log-mel (B, M, T) → posterior moments (B, 2C, T // 2) (mean, then log-variance)."""

    def __init__(self, config: VaeConfig):
        super().__init__()
        self.register_buffer("mel_mean", torch.zeros(config.mel_bins, 1))
        self.register_buffer("mel_std", torch.ones(config.mel_bins, 1))
        self.conv_in = conv(config.mel_bins, config.hidden_channels, 3)
        levels = []
        channels = config.hidden_channels
        for i in range(len(config.channel_mults)):
            resample = Downsample(config.width(i)) if i == config.resample_level else None
            levels.append(_Level(channels, config.width(i), config.res_blocks, resample, "downsample"))
            channels = config.width(i)
        self.down = nn.ModuleList(levels)
        self.mid = _Middle(channels)
        self.conv_out = conv(channels, 2 * config.latent_channels, 3)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        h = self.conv_in((mel - self.mel_mean) / self.mel_std)
        for level in self.down:
            h = level(h)
        return self.conv_out(F.silu(self.mid(h)))


class MelVae(nn.Module):
    """Decoder (always) and encoder (when loaded with one) of MMAudio's mel VAE, folded weights."""

    def __init__(self, config: VaeConfig, *, with_encoder: bool = False):
        super().__init__()
        self.config = config
        self.decoder = VaeDecoder(config)
        self.encoder = VaeEncoder(config) if with_encoder else None
        self.requires_grad_(False)

    def decode(self, latent: torch.Tensor) -> torch.Tensor:
        """latent (B, C, N), un-normalised (flow latents times latent_std plus latent_mean) → log-mel (B, M, 2N)."""
        return self.decoder(latent)

    def encode(self, mel: torch.Tensor) -> LatentGaussian:
        """log-mel (B, M, T) as `mel.MelConverter` makes it → posterior over latents (B, C, T // 2)."""
        if self.encoder is None:
            raise BadInputError(f"{WHAT}: this VAE was loaded without its encoder; load it with with_encoder=True")
        mean, logvar = self.encoder(mel).chunk(2, dim=1)
        return LatentGaussian(mean=mean, logvar=logvar.clamp(*LOGVAR_RANGE))

    forward = decode


# ---------------------------------------------------------------------------------------------
# Checkpoint → model


def detect_vae_config(state_dict: Mapping[str, torch.Tensor]) -> VaeConfig:
    """mel bins, latent channels and hidden width from the decoder's first and last conv."""
    conv_in, conv_out = state_dict.get("decoder.conv_in.weight"), state_dict.get("decoder.conv_out.weight")
    if conv_in is None or conv_out is None or conv_in.ndim != 3 or conv_out.ndim != 3:
        raise UnsupportedCheckpointError(
            f"{WHAT}: this file is not an MMAudio VAE (no 3-D decoder.conv_in.weight / decoder.conv_out.weight; "
            f"first keys: {', '.join(list(state_dict)[:5])}). "
            "Expected v1-16.pth, v1-44.pth or mmaudio_vae_*.safetensors."
        )
    return VaeConfig(mel_bins=conv_out.shape[0], latent_channels=conv_in.shape[1], hidden_channels=conv_out.shape[1])


def _expected_part(model_part: nn.Module, prefix: str) -> dict[str, tuple[int, ...]]:
    """Checkpoint names/shapes of one half (encoder or decoder): our conv weights, raw shapes."""
    expected = {f"{prefix}.learnable_gain": ()}
    for name, tensor in model_part.state_dict().items():
        if name.endswith(".weight"):
            expected[f"{prefix}.{name}"] = tuple(tensor.shape)
    return expected


def expected_vae_tensors(config: VaeConfig, *, with_encoder: bool) -> dict[str, tuple[int, ...]]:
    """Checkpoint tensor name → shape (the optional data_mean / data_std excepted)."""
    with torch.device("meta"):
        model = MelVae(config, with_encoder=with_encoder)
    expected = _expected_part(model.decoder, "decoder")
    if with_encoder:
        expected.update(_expected_part(model.encoder, "encoder"))
    return expected


def _log_mel_stats(state_dict: Mapping[str, torch.Tensor], mel_bins: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean, std), each (M,) fp32: the checkpoint's data_mean / data_std, else the published table."""
    present = [k for k in ("data_mean", "data_std") if k in state_dict]
    for key in present:
        if state_dict[key].numel() != mel_bins:
            raise UnsupportedCheckpointError(
                f"{WHAT}: {key} has shape {tuple(state_dict[key].shape)}, expected (1, {mel_bins}, 1)"
            )
    if len(present) == 2:
        return state_dict["data_mean"].float().flatten(), state_dict["data_std"].float().flatten()
    if len(present) == 1:
        raise UnsupportedCheckpointError(f"{WHAT}: the file has {present[0]} but not its partner tensor")
    if mel_bins not in PUBLISHED_LOG_MEL_STATS:
        raise UnsupportedCheckpointError(
            f"{WHAT}: {mel_bins} mel bins and no data_mean / data_std in the file; "
            "only 80 or 128 bins have published statistics"
        )
    mean, std = PUBLISHED_LOG_MEL_STATS[mel_bins]
    return torch.tensor(mean), torch.tensor(std)


def _fold_part(state_dict: Mapping[str, torch.Tensor], part: nn.Module, prefix: str) -> dict[str, torch.Tensor]:
    """Checkpoint weights of one half → our folded weights (names relative to the half).

    Every conv gets EDM2 weight normalisation; then the constants of the surrounding layer:
    residual blocks and attention as documented in `vae_layers`, and the last conv its SiLU gain
    times (1 + learnable_gain).
    """
    folded = {
        name: fold_mp_weight(state_dict[f"{prefix}.{name}"]) for name in part.state_dict() if name.endswith(".weight")
    }
    for path, module in part.named_modules():
        if isinstance(module, ResBlock):
            folded[f"{path}.conv1.weight"] *= MP_SILU_GAIN  # SiLU/0.596 feeds conv1
            folded[f"{path}.conv2.weight"] *= MP_SILU_GAIN * RESIDUAL_H_GAIN  # and conv2; 0.3/√0.58 of the mix
            if module.nin_shortcut is not None:
                folded[f"{path}.nin_shortcut.weight"] *= RESIDUAL_X_GAIN
        elif isinstance(module, AttnBlock):
            folded[f"{path}.proj_out.weight"] *= RESIDUAL_H_GAIN
            w = folded[f"{path}.qkv.weight"]
            channels = w.shape[1]  # checkpoint rows interleave (c, q|k|v); ours are q-, k-, v-blocks
            folded[f"{path}.qkv.weight"] = (
                w.reshape(channels, 3, channels, 1).transpose(0, 1).reshape(3 * channels, channels, 1)
            )
    gain = 1.0 + state_dict[f"{prefix}.learnable_gain"].float()
    folded["conv_out.weight"] *= MP_SILU_GAIN * gain
    return folded


def vae_from_state_dict(
    state_dict: Mapping[str, torch.Tensor],
    *,
    with_encoder: bool = False,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str = "cpu",
) -> MelVae:
    """Build a MelVae from an MMAudio VAE state dict, folding every constant in fp32 first.

    `encoder.*` tensors are ignored unless `with_encoder`; then they are required. Missing,
    unexpected or mis-shaped tensors raise UnsupportedCheckpointError naming them and the expected shape.
    """
    config = detect_vae_config(state_dict)
    has_encoder = any(k.startswith("encoder.") for k in state_dict)
    if with_encoder and not has_encoder:
        raise UnsupportedCheckpointError(
            f"{WHAT}: with_encoder=True but this file has no encoder.* tensors (an inference-only export); "
            "use the full v1-16.pth / v1-44.pth or mmaudio_vae_*.safetensors"
        )
    ignore = ["data_mean", "data_std"]
    if not with_encoder:
        ignore += [k for k in state_dict if k.startswith("encoder.")]  # generation needs only the decoder
    check_state_dict(expected_vae_tensors(config, with_encoder=with_encoder), state_dict, WHAT, ignore=ignore)
    mean, std = _log_mel_stats(state_dict, config.mel_bins)

    with torch.device("meta"):  # no random init of weights that are overwritten anyway
        model = MelVae(config, with_encoder=with_encoder)
    weights = {f"decoder.{k}": v for k, v in _fold_part(state_dict, model.decoder, "decoder").items()}
    # un-normalisation x·std + mean folded into the decoder's last conv (per output bin)
    weights["decoder.conv_out.weight"] = weights["decoder.conv_out.weight"] * std.view(-1, 1, 1)
    weights["decoder.conv_out.bias"] = mean.clone()
    if with_encoder:
        weights.update({f"encoder.{k}": v for k, v in _fold_part(state_dict, model.encoder, "encoder").items()})
        weights["encoder.mel_mean"] = mean.view(-1, 1).clone()
        weights["encoder.mel_std"] = std.view(-1, 1).clone()
    model.load_state_dict(weights, strict=True, assign=True)
    return model.to(device=device, dtype=dtype).eval()
