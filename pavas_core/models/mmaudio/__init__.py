"""MMAudio-compatible flow-matching DiT: configuration, network, weight loading, sequence lengths.

    net = load_mmaudio_network("mmaudio_small_16k.pth", dtype=torch.bfloat16, device="cuda")
    lengths = net.config.sequence_lengths(duration_s)
    conditions = net.preprocess_conditions(clip_f, sync_f, text_f)      # once per sample
    empty = net.get_empty_conditions(B, clip_len=lengths.clip_len, sync_len=lengths.sync_len)
    latent = flow_matching.sample(net, conditions, empty, latent_len=lengths.latent_len, seed=42)
    vae_latent = net.unnormalize(latent)                                  # (B, N, C) for the VAE

`net.velocity(latent, t, clip_f, sync_f, text_f)` is the one-call (uncached) form of
`net.predict_flow(latent, t, net.preprocess_conditions(clip_f, sync_f, text_f))`.
"""

from .config import VARIANTS, MMAudioConfig, config_from_state_dict
from .loading import detect_mmaudio_config, expected_shapes, load_mmaudio_network, random_state_dict
from .network import AdaLNDelta, Conditions, MMAudioNetwork
from .sequence import SequenceLengths, sequence_lengths

__all__ = [
    "VARIANTS",
    "AdaLNDelta",
    "Conditions",
    "MMAudioConfig",
    "MMAudioNetwork",
    "SequenceLengths",
    "config_from_state_dict",
    "detect_mmaudio_config",
    "expected_shapes",
    "load_mmaudio_network",
    "random_state_dict",
    "sequence_lengths",
]
