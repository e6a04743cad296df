"""Tiny random-weight model sets with the released files' layouts, for tests and plumbing checks.

They exercise every loader, the sampler and the decoders exactly as the real files do, at a size
that runs in seconds on a CPU — so the learned path (and the ComfyUI workflows built on it) can be
tested with no downloads. The weights are random: the "sound" they make is noise-like.

    paths = write_tiny_model_set(folder)              # released names: mmaudio_small_16k.pth, v1-16.pth, ...
    net, encoders = tiny_generator(sample_rate_hz=16000)   # the same, in memory

Shapes that tensors cannot tell (attention heads of the CLIP towers) travel in the safetensors
metadata under ``pavas_config`` (see checkpoint.pavas_config); the tiny Synchformer keeps ViT-B's
64-wide heads so that its shapes alone describe it, even in a .pth file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from .bigvgan import LEGACY_WEIGHT_NORM, BigVganConfig, expected_bigvgan_tensors
from .mmaudio.config import MMAudioConfig
from .mmaudio.loading import random_state_dict
from .synchformer import SynchformerConfig, SynchformerVisual
from .vae import VaeConfig, expected_vae_tensors

TINY_CLIP_CONFIG = {  # DFN5B-CLIP-ViT-H-14-378 in miniature: patch 14, 384-px frames → 4x4 patches at 56 px
    "embed_dim": 32,
    "quick_gelu": True,
    "vision_cfg": {"image_size": 56, "layers": 1, "width": 32, "head_width": 16, "patch_size": 14},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 48, "heads": 2, "layers": 1},
}
TINY_SYNCHFORMER = SynchformerConfig(embed_dim=64, depth=1, num_heads=1)
TINY_VAE = {16000: VaeConfig(mel_bins=80, latent_channels=20, hidden_channels=8),
            44100: VaeConfig(mel_bins=128, latent_channels=40, hidden_channels=6)}
TINY_VOCODER = {
    16000: BigVganConfig(num_mels=80, upsample_initial_channel=32, upsample_rates=(4, 4, 4, 4),
                         upsample_kernel_sizes=(8, 8, 8, 8), resblock_kernel_sizes=(3,),
                         resblock_dilation_sizes=((1, 3, 5),), activation="snakebeta", snake_logscale=True,
                         use_bias_at_final=True, use_tanh_at_final=True, sample_rate_hz=16000),
    44100: BigVganConfig(num_mels=128, upsample_initial_channel=32, upsample_rates=(8, 4, 4, 4),
                         upsample_kernel_sizes=(16, 8, 8, 8), resblock_kernel_sizes=(3,),
                         resblock_dilation_sizes=((1, 3, 5),), activation="snakebeta", snake_logscale=True,
                         use_bias_at_final=False, use_tanh_at_final=False, sample_rate_hz=44100),
}
RELEASED_NAMES = {  # what users have in models/mmaudio; the workflows list these
    16000: {"model": "mmaudio_small_16k.pth", "vae": "v1-16.pth", "vocoder": "best_netG.pt",
            "synchformer": "synchformer_state_dict.pth", "clip": "apple_DFN5B-CLIP-ViT-H-14-384_fp16.safetensors"},
    44100: {"model": "mmaudio_large_44k_v2.pth", "vae": "v1-44.pth",
            "vocoder": "bigvgan_v2_44khz_128band_512x/bigvgan_generator.pt",
            "synchformer": "synchformer_state_dict.pth", "clip": "apple_DFN5B-CLIP-ViT-H-14-384_fp16.safetensors"},
}


def tiny_network_config(sample_rate_hz: int = 16000, *, v2: bool = False) -> MMAudioConfig:
    """A 3-block MMAudio (2 joint incl. the pre-only one, 1 fused) whose feature widths match the tiny encoders."""
    return MMAudioConfig(
        name="custom", latent_dim=TINY_VAE[sample_rate_hz].latent_channels, hidden_dim=32, num_heads=2, depth=3,
        fused_depth=1, v2=v2, clip_dim=TINY_CLIP_CONFIG["embed_dim"], sync_dim=TINY_SYNCHFORMER.embed_dim,
        text_dim=TINY_CLIP_CONFIG["text_cfg"]["width"],
    )


def tiny_state_dicts(sample_rate_hz: int = 16000, *, seed: int = 0, v2: bool = False) -> dict[str, dict[str, torch.Tensor]]:
    """Role ("model", "vae", "vocoder", "synchformer", "clip") → state dict with the released key names."""
    if sample_rate_hz not in TINY_VAE:
        raise ValueError(f"tiny sets exist for 16000 and 44100 Hz, not {sample_rate_hz}")
    gen = torch.Generator().manual_seed(seed)

    def randn(shape, std: float) -> torch.Tensor:
        return torch.randn(tuple(shape), generator=gen) * std

    out: dict[str, dict[str, torch.Tensor]] = {}
    out["model"] = random_state_dict(tiny_network_config(sample_rate_hz, v2=v2), seed=seed)
    # magnitude-preserving convolutions normalise their raw weights at load: N(0, 1) is what training starts from
    vae = {k: (randn(s, 1.0) if s else torch.tensor(0.3)) for k, s in
           expected_vae_tensors(TINY_VAE[sample_rate_hz], with_encoder=False).items()}
    out["vae"] = vae
    vocoder = {}
    for key, shape in expected_bigvgan_tensors(TINY_VOCODER[sample_rate_hz], LEGACY_WEIGHT_NORM).items():
        if key.endswith("weight_g"):  # gains 0.3..0.8: audible without saturating the output
            vocoder[key] = 0.3 + 0.5 * torch.rand(tuple(shape), generator=gen)
        else:
            vocoder[key] = randn(shape, 1.0 if key.endswith("weight_v") else 0.05)
    out["vocoder"] = vocoder
    with torch.device("meta"):
        visual = SynchformerVisual(TINY_SYNCHFORMER)
    out["synchformer"] = {f"vfeat_extractor.{k}": randn(v.shape, 0.05) for k, v in visual.state_dict().items()}
    from .clip_encoder import build_clip_model

    torch_state = torch.random.get_rng_state()
    torch.manual_seed(seed)  # open_clip initialises with the global generator
    try:
        clip = build_clip_model(TINY_CLIP_CONFIG)
    finally:
        torch.random.set_rng_state(torch_state)
    out["clip"] = {k: v.detach().clone() for k, v in clip.state_dict().items() if k != "attn_mask"}
    # the released VAE files also hold the encoder (training encodes the reference sound with it);
    # drawn from a generator of its own so the other weights stay what they were before it was added
    encoder_gen = torch.Generator().manual_seed(seed + 1_000_003)
    full = expected_vae_tensors(TINY_VAE[sample_rate_hz], with_encoder=True)
    for key, shape in full.items():
        if key.startswith("encoder."):
            vae[key] = torch.randn(tuple(shape), generator=encoder_gen) if shape else torch.tensor(0.3)
    return out


def _save(path: Path, state_dict: dict[str, torch.Tensor], *, wrapper: str | None = None, config: dict | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix in (".safetensors", ".sft"):
        from safetensors.torch import save_file

        metadata = {"pavas_config": json.dumps(config)} if config else None
        save_file({k: v.contiguous() for k, v in state_dict.items()}, str(path), metadata=metadata)
    else:
        torch.save({wrapper: state_dict} if wrapper else state_dict, str(path))
    return path


def write_tiny_model_set(
    folder: str | os.PathLike,
    *,
    sample_rate_hz: int = 16000,
    seed: int = 0,
    names: dict[str, str] | None = None,
) -> dict[str, Path]:
    """Write a tiny set into `folder` under the released file names (or `names`); role → path."""
    folder = Path(folder)
    names = {**RELEASED_NAMES[sample_rate_hz], **(names or {})}
    sds = tiny_state_dicts(sample_rate_hz, seed=seed)
    paths = {
        "model": _save(folder / names["model"], sds["model"]),
        "vae": _save(folder / names["vae"], sds["vae"]),
        "vocoder": _save(folder / names["vocoder"], sds["vocoder"], wrapper="generator"),
        "synchformer": _save(folder / names["synchformer"], sds["synchformer"]),
        "clip": _save(folder / names["clip"], sds["clip"], config={"open_clip": TINY_CLIP_CONFIG}),
    }
    if sample_rate_hz == 44100:  # BigVGAN-v2 ships its config.json beside the weights
        v = TINY_VOCODER[44100]
        config = {"num_mels": v.num_mels, "upsample_rates": list(v.upsample_rates),
                  "upsample_kernel_sizes": list(v.upsample_kernel_sizes),
                  "upsample_initial_channel": v.upsample_initial_channel,
                  "resblock_kernel_sizes": list(v.resblock_kernel_sizes),
                  "resblock_dilation_sizes": [list(d) for d in v.resblock_dilation_sizes],
                  "activation": v.activation, "snake_logscale": v.snake_logscale,
                  "use_bias_at_final": v.use_bias_at_final, "use_tanh_at_final": v.use_tanh_at_final,
                  "sampling_rate": 44100, "hop_size": 512, "n_fft": 2048, "num_freq": 1025,
                  "win_size": 2048, "fmin": 0, "fmax": None, "resblock": "1"}
        (paths["vocoder"].parent / "config.json").write_text(json.dumps(config, indent=1))
    return paths


def tiny_generator(sample_rate_hz: int = 16000, *, seed: int = 0, folder: str | os.PathLike | None = None):
    """(network, FeatureEncoders) of a tiny set, loaded through the real loaders from `folder`
    (written there first if missing; a temporary folder when None)."""
    import tempfile

    from .generator import load_feature_encoders
    from .mmaudio import load_mmaudio_network

    def load(target: Path):
        paths = write_tiny_model_set(target, sample_rate_hz=sample_rate_hz, seed=seed)
        net = load_mmaudio_network(paths["model"])
        encoders = load_feature_encoders(vae_path=paths["vae"], vocoder_path=paths["vocoder"],
                                         synchformer_path=paths["synchformer"], clip_path=paths["clip"])
        return net, encoders

    if folder is not None:
        return load(Path(folder))
    with tempfile.TemporaryDirectory() as tmp:
        return load(Path(tmp))
