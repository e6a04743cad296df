"""PAVAS-tiny: a small generator of the PAVAS architecture that is trained here, from scratch, on
generated impact scenes — the learned path that needs no downloaded weights.

    config.py         TinyGeneratorConfig (sizes, the ablation switch)
    mel_latent.py     20-band log-mel latent and the Griffin-Lim vocoder (no weights)
    video_encoder.py  the small video encoder: CLIP-rate, Synchformer-rate and object features
    window_inputs.py  a clip window → frames, object coverage, mass and speed
    model.py          TinyGenerator: encoder + MMAudio DiT + Phy-Adapter, loss and sampling
    checkpoint.py     safetensors files with the config in the metadata
    generate.py       a clip (and its physics) → sound
"""

from .config import PHYSICS_CONDITIONS, TINY_CONFIGS, TinyGeneratorConfig
from .model import TinyGenerator

__all__ = ["PHYSICS_CONDITIONS", "TINY_CONFIGS", "TinyGenerator", "TinyGeneratorConfig"]
