"""Latent → waveform for one MMAudio sample rate: mel VAE decoder + BigVGAN vocoder, and their loaders.

    decoder = load_audio_decoder("v1-16.pth", "best_netG.pt", dtype="fp16", device="cuda")
    waveform = decoder.decode(latent)          # latent (B, N, C) → waveform (B, 1, N · 2 · hop)
    decoder.sample_rate_hz                     # 16000 or 44100, from the loaded weights

Every loader accepts a safetensors file, a `.pth`/`.pt` (read with torch.load(weights_only=True)
only), or an already-loaded state dict. Which VAE / vocoder a file holds is read from its tensor
shapes, never from its name.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

import torch
from torch import nn

from ..errors import BadInputError, UnsupportedCheckpointError
from ..runtime import resolve_dtype
from .bigvgan import BigVgan, bigvgan_from_state_dict
from .checkpoint import as_state_dict, checkpoint_errors
from .config_schema import BIGVGAN_CONFIG_SCHEMA, checked
from .mel import MelConfig, mel_config_for_bins
from .vae import MelVae, vae_from_state_dict

PathOrStateDict = str | os.PathLike | Mapping[str, torch.Tensor]
VOCODER_CONFIG_NAME = "config.json"  # BigVGAN's hyper-parameter file, as NVIDIA ships it
BIGVGAN_CONFIG_KEYS = ("upsample_rates", "resblock_kernel_sizes")  # what makes a config.json BigVGAN's


class AudioDecoder(nn.Module):
    """MMAudio's latent decoder for one sample rate: latent (B, N, C) → mel (B, M, 2N) → waveform."""

    def __init__(self, vae: MelVae, vocoder: BigVgan):
        super().__init__()
        check_vae_vocoder_pair(vae, vocoder)
        self.vae = vae
        self.vocoder = vocoder
        self.mel_config: MelConfig = mel_config_for_bins(vae.config.mel_bins)

    @property
    def sample_rate_hz(self) -> int:
        return self.mel_config.sample_rate_hz

    @property
    def latent_channels(self) -> int:
        return self.vae.config.latent_channels

    @property
    def samples_per_latent(self) -> int:
        """Waveform samples per latent token: 2 mel frames · vocoder hop (512 at 16 kHz, 1024 at 44.1 kHz)."""
        return 2 * self.vocoder.hop_length

    @property
    def dtype(self) -> torch.dtype:
        return self.vocoder.conv_pre.weight.dtype

    @property
    def device(self) -> torch.device:
        return self.vocoder.conv_pre.weight.device

    @torch.no_grad()  # not inference_mode: callers may edit the result in place
    def decode_mel(self, latent: torch.Tensor) -> torch.Tensor:
        """latent (B, N, C) un-normalised → log-mel (B, M, 2N) in the model's dtype."""
        if latent.ndim != 3 or latent.shape[-1] != self.latent_channels:
            raise BadInputError(f"expected a latent (B, N, {self.latent_channels}), got shape {tuple(latent.shape)}")
        if latent.shape[1] == 0:
            raise BadInputError("the latent has no tokens (N = 0)")
        weight = self.vae.decoder.conv_in.weight
        return self.vae.decode(latent.to(device=weight.device, dtype=weight.dtype).transpose(1, 2))

    @torch.no_grad()
    def vocode(self, mel: torch.Tensor) -> torch.Tensor:
        """log-mel (B, M, T) → waveform (B, 1, T · hop), fp32 on the model's device."""
        return self.vocoder(mel.to(device=self.device, dtype=self.dtype)).float()

    @torch.no_grad()
    def decode(self, latent: torch.Tensor) -> torch.Tensor:
        """latent (B, N, C) — the flow model's output times latent_std plus latent_mean — → waveform
        (B, 1, N · samples_per_latent), fp32 in [−1, 1] on the model's device."""
        return self.vocode(self.decode_mel(latent))

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        return self.decode(latent)


def check_vae_vocoder_pair(vae: MelVae, vocoder: BigVgan) -> None:
    """Raise UnsupportedCheckpointError unless the vocoder reads the mels the VAE writes."""
    bins = vae.config.mel_bins
    try:
        mel = mel_config_for_bins(bins)
    except BadInputError:
        raise UnsupportedCheckpointError(
            f"the VAE produces {bins} mel bins; MMAudio's VAEs produce 80 (16 kHz) or 128 (44.1 kHz)"
        ) from None
    problems = []
    if vocoder.config.num_mels != bins:
        problems.append(f"the VAE makes {bins}-bin mels but the vocoder reads {vocoder.config.num_mels} bins")
    if vocoder.hop_length != mel.hop_length:
        problems.append(f"the vocoder's hop is {vocoder.hop_length} samples, the {bins}-bin mels use {mel.hop_length}")
    if vocoder.sample_rate_hz is None:
        problems.append("the vocoder's sample rate is unknown (put its config.json beside it)")
    elif vocoder.sample_rate_hz != mel.sample_rate_hz:
        problems.append(f"the vocoder runs at {vocoder.sample_rate_hz} Hz, the VAE's mels are {mel.sample_rate_hz} Hz")
    if problems:
        raise UnsupportedCheckpointError(
            "VAE and vocoder do not belong together: "
            + "; ".join(problems)
            + ". Use v1-16.pth with best_netG.pt (16 kHz) or v1-44.pth with BigVGAN-v2 44 kHz 128-band (44.1 kHz)."
        )


@checkpoint_errors("VAE")
def load_vae(
    path_or_state_dict: PathOrStateDict,
    *,
    dtype: torch.dtype | str | None = None,
    device: torch.device | str | None = None,
    with_encoder: bool = False,
) -> MelVae:
    """MMAudio mel VAE (16k or 44k, from shapes). Encoder tensors in the file are ignored unless `with_encoder`."""
    state_dict = as_state_dict(path_or_state_dict)
    return vae_from_state_dict(
        state_dict, with_encoder=with_encoder, dtype=resolve_dtype(dtype), device=device or "cpu"
    )


@checkpoint_errors("vocoder")
def load_vocoder(
    path_or_state_dict: PathOrStateDict,
    *,
    dtype: torch.dtype | str | None = None,
    device: torch.device | str | None = None,
    config_path: str | os.PathLike | None = None,
) -> BigVgan:
    """BigVGAN generator: a bare state dict or a {'generator': ...} checkpoint (best_netG.pt, bigvgan_generator.pt).

    BigVGAN's config.json is read from `config_path`, or else from a `config.json` beside the weight
    file when that file is a BigVGAN config (it has upsample_rates and resblock_kernel_sizes); it
    must agree with the tensor shapes.
    """
    state_dict = as_state_dict(path_or_state_dict)
    hparams, source = _read_vocoder_config(path_or_state_dict, config_path)
    return bigvgan_from_state_dict(
        state_dict, hparams=hparams, hparams_source=source, dtype=resolve_dtype(dtype), device=device or "cpu"
    )


def load_audio_decoder(
    vae_path: PathOrStateDict,
    vocoder_path: PathOrStateDict,
    *,
    dtype: torch.dtype | str | None = None,
    device: torch.device | str | None = None,
    vocoder_config_path: str | os.PathLike | None = None,
) -> AudioDecoder:
    """VAE decoder + vocoder, checked to agree on mel bins, hop and sample rate."""
    vae = load_vae(vae_path, dtype=dtype, device=device)
    vocoder = load_vocoder(vocoder_path, dtype=dtype, device=device, config_path=vocoder_config_path)
    return AudioDecoder(vae, vocoder)


def _read_vocoder_config(
    path_or_state_dict: PathOrStateDict, config_path: str | os.PathLike | None
) -> tuple[dict[str, Any] | None, str]:
    """(hyper-parameters or None, where they came from)."""
    if config_path is not None:
        path = Path(config_path)
        if not path.is_file():
            raise BadInputError(f"vocoder config not found: {path}")
        return _read_json(path, explicit=True), str(path)
    if isinstance(path_or_state_dict, Mapping):
        return None, ""
    beside = Path(path_or_state_dict).parent / VOCODER_CONFIG_NAME
    if not beside.is_file():
        return None, ""
    hparams = _read_json(beside)
    # a folder of mixed models may hold some other model's config.json: only BigVGAN's counts
    if all(k in hparams for k in BIGVGAN_CONFIG_KEYS):
        return hparams, str(beside)
    return None, ""


def _read_json(path: Path, *, explicit: bool = False) -> dict[str, Any]:
    """BigVGAN's config.json: the keys the loader uses, type- and range-checked (others ignored)."""
    from ..fileio import read_json

    data = read_json(path, "vocoder config")
    if not isinstance(data, dict):
        raise BadInputError(f"vocoder config {path} is not a JSON object")
    if not explicit and not all(k in data for k in BIGVGAN_CONFIG_KEYS):
        return data  # not BigVGAN's: the caller ignores it (a folder of mixed models)
    try:
        return checked(data, BIGVGAN_CONFIG_SCHEMA, f"vocoder config {path.name}", unknown="ignore")
    except UnsupportedCheckpointError as exc:
        raise BadInputError(f"{exc}; fix or remove that config.json") from None
