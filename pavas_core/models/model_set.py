"""A folder of MMAudio files (network, VAE, vocoder, Synchformer, CLIP) found by their released names.

    paths = find_model_set("models/mmaudio")          # ModelSetPaths of the 16 kHz or the 44.1 kHz set
    net, encoders = load_model_set(paths, with_vae_encoder=True)

The names are those users download (README "Where each weight file goes"); the network's variant
is then read from its tensors, never from its name. A folder holding both sets needs `--model FILE`
to say which network to use.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch

from ..errors import BadInputError, MissingWeightsError
from .tiny_models import RELEASED_NAMES

# alternative names of a role (kijai's safetensors conversions), tried after the released one
ALTERNATIVES = {
    "model": {16000: (), 44100: ("mmaudio_large_44k_v2_fp16.safetensors", "mmaudio_large_44k_v2_fp32.safetensors")},
    "vae": {16000: (), 44100: ("mmaudio_vae_44k_fp16.safetensors", "mmaudio_vae_44k_fp32.safetensors")},
    "synchformer": {16000: ("mmaudio_synchformer_fp16.safetensors", "mmaudio_synchformer_fp32.safetensors"),
                    44100: ("mmaudio_synchformer_fp16.safetensors", "mmaudio_synchformer_fp32.safetensors")},
    "clip": {16000: ("apple_DFN5B-CLIP-ViT-H-14-384_fp32.safetensors", "open_clip_pytorch_model.bin"),
             44100: ("apple_DFN5B-CLIP-ViT-H-14-384_fp32.safetensors", "open_clip_pytorch_model.bin")},
}


@dataclass(frozen=True)
class ModelSetPaths:
    sample_rate_hz: int
    model: Path
    vae: Path
    vocoder: Path
    synchformer: Path
    clip: Path

    def files(self) -> list[Path]:
        return [self.model, self.vae, self.vocoder, self.synchformer, self.clip]


def _find(folder: Path, role: str, rate: int) -> Path | None:
    for name in (RELEASED_NAMES[rate][role], *ALTERNATIVES.get(role, {}).get(rate, ())):
        path = folder / name
        if path.is_file():
            return path
    return None


def find_model_set(folder: str | os.PathLike, *, model: str | os.PathLike | None = None) -> ModelSetPaths:
    """The 16 kHz or 44.1 kHz file set in `folder`. `model` picks the network file (then its rate decides
    the set); MissingWeightsError names every file that is missing."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MissingWeightsError(f"model folder not found: {folder}")
    if model is not None:
        model_path = Path(model) if Path(model).is_absolute() or Path(model).exists() else folder / model
        if not model_path.is_file():
            raise MissingWeightsError(f"network file not found: {model_path}")
        from .checkpoint import as_state_dict
        from .mmaudio import detect_mmaudio_config

        rates = [detect_mmaudio_config(as_state_dict(model_path)).sample_rate_hz]
    else:
        rates = [rate for rate in (44100, 16000) if _find(folder, "model", rate) is not None]
        if len(rates) > 1:
            raise BadInputError(f"{folder} holds a 16 kHz and a 44.1 kHz MMAudio network: say which with "
                                f"--model (e.g. --model {RELEASED_NAMES[44100]['model']})")
        if not rates:
            wanted = " or ".join(RELEASED_NAMES[r]["model"] for r in (16000, 44100))
            raise MissingWeightsError(f"no MMAudio network in {folder}: expected {wanted} (see the README's "
                                      "'Where each weight file goes')")
        model_path = _find(folder, "model", rates[0])
    rate = rates[0]
    found = {"model": model_path}
    missing = []
    for role in ("vae", "vocoder", "synchformer", "clip"):
        found[role] = _find(folder, role, rate)
        if found[role] is None:
            missing.append(RELEASED_NAMES[rate][role])
    if missing:
        raise MissingWeightsError(f"the {rate} Hz MMAudio set in {folder} lacks {', '.join(missing)} "
                                  "(see the README's 'Where each weight file goes')")
    return ModelSetPaths(sample_rate_hz=rate, **found)


def load_model_set(paths: ModelSetPaths, *, dtype: torch.dtype | str | None = None,
                   device: torch.device | str | None = None, with_vae_encoder: bool = False):
    """(network, FeatureEncoders); with_vae_encoder also loads the VAE's encoder (for training)."""
    from .audio_decoder import AudioDecoder, load_vae, load_vocoder
    from .generator import FeatureEncoders, load_feature_encoders
    from .mmaudio import load_mmaudio_network

    net = load_mmaudio_network(paths.model, dtype=dtype, device=device)
    encoders = load_feature_encoders(vae_path=paths.vae, vocoder_path=paths.vocoder,
                                     synchformer_path=paths.synchformer, clip_path=paths.clip, dtype=dtype,
                                     device=device)
    if with_vae_encoder:
        vae = load_vae(paths.vae, dtype=dtype, device=device, with_encoder=True)
        encoders = FeatureEncoders(audio_decoder=AudioDecoder(vae, encoders.audio_decoder.vocoder),
                                   synchformer=encoders.synchformer, clip=encoders.clip)
    return net, encoders
