"""MMAudio-compatible generation: model loader, feature-encoder loader, sampler.

The model code (pavas_core.models, open_clip) is imported only inside these nodes, so a missing
optional dependency disables them and nothing else.
"""

from __future__ import annotations

import traceback

from ..pavas_core.errors import BadInputError
from ._common import (
    CATEGORY_MMAUDIO,
    MAX_SEED,
    PAVAS_CLIP,
    PAVAS_MMAUDIO_FEATURES,
    PAVAS_MMAUDIO_MODEL,
    PAVAS_PHY_CONDITIONING,
    expect,
    expect_clip,
    save_audio_preview,
)
from ._models import PRECISIONS, ModelHandle, activate, load_handle
from .model_folders import list_models, model_path

FOLDER = "mmaudio"
EXPECTED_FILES = {
    "model": "mmaudio_small_16k.pth, mmaudio_large_44k_v2.pth or another MMAudio network "
             "(kijai's mmaudio_*.safetensors work too)",
    "vae": "v1-16.pth (16 kHz) or v1-44.pth (44.1 kHz)",
    "vocoder": "best_netG.pt (16 kHz), or BigVGAN-v2 bigvgan_generator.pt with its config.json beside it (44.1 kHz)",
    "synchformer": "synchformer_state_dict.pth",
    "clip": "the DFN5B-CLIP-ViT-H-14-384 open_clip weights (e.g. open_clip_pytorch_model.bin or "
            "apple_DFN5B-CLIP-ViT-H-14-384_fp16.safetensors)",
}
_PRECISION_TOOLTIP = ("Weight precision: auto = bf16 on GPUs that support it, else fp16; fp32 on the CPU. "
                      "fp16/bf16 halve the memory.")


def _validate_files(**names: str):
    """VALIDATE_INPUTS body: True, or a message naming the expected file and the folder."""
    available = set(list_models(FOLDER))
    for field, name in names.items():
        if name not in available:
            return (f"{field}: weight file {name!r} not found in models/{FOLDER}; expected {EXPECTED_FILES[field]}. "
                    f"Put the file into ComfyUI/models/{FOLDER} (see the pack's docs) and refresh.")
    return True


def _file_input(field: str, tooltip: str):
    return (list_models(FOLDER), {"tooltip": f"{tooltip} From ComfyUI/models/{FOLDER}; expected: {EXPECTED_FILES[field]}."})


class PavasMMAudioModelLoader:
    """Load an MMAudio network (any released variant, or a custom size, detected from its tensors)."""

    DESCRIPTION = ("Loads an MMAudio flow-matching network from models/mmaudio. The variant (small/medium/large, "
                   "16k/44k, v1/v2) is read from the tensor shapes, not the file name. Loaded once and shared; "
                   "ComfyUI moves it to the GPU when it runs and may evict it for other models.")
    CATEGORY = CATEGORY_MMAUDIO
    FUNCTION = "load"
    FILE_INPUTS = ("model",)  # found (or reported missing) by model_path
    RETURN_TYPES = (PAVAS_MMAUDIO_MODEL,)
    RETURN_NAMES = ("mmaudio_model",)
    OUTPUT_TOOLTIPS = ("The loaded network, for 'MMAudio Sampler (PAVAS)'.",)

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "model": _file_input("model", "The MMAudio network weights."),
                "precision": (list(PRECISIONS), {"default": "auto", "tooltip": _PRECISION_TOOLTIP}),
            },
        }

    @classmethod
    def VALIDATE_INPUTS(cls, model):
        return _validate_files(model=model)

    def load(self, model, precision):
        from ..pavas_core.models.mmaudio import load_mmaudio_network

        path = model_path(FOLDER, model)

        def build(dtype, device):
            network = load_mmaudio_network(path, dtype=dtype, device=device)
            return network, network

        return (load_handle("mmaudio_network", (path,), model, precision, build),)


class PavasMMAudioFeatureLoader:
    """Load the feature encoders and audio decoder MMAudio needs: VAE, vocoder, Synchformer, CLIP."""

    DESCRIPTION = ("Loads the VAE and vocoder (16 kHz or 44.1 kHz, must match the network), the Synchformer "
                   "(timing features from 25-fps frames) and the CLIP model (8-fps frames and the prompt) "
                   "from models/mmaudio. No downloads.")
    CATEGORY = CATEGORY_MMAUDIO
    FUNCTION = "load"
    FILE_INPUTS = ("vae", "vocoder", "synchformer", "clip")  # found (or reported missing) by model_path
    RETURN_TYPES = (PAVAS_MMAUDIO_FEATURES,)
    RETURN_NAMES = ("feature_encoders",)
    OUTPUT_TOOLTIPS = ("The encoders and decoder, for 'MMAudio Sampler (PAVAS)'.",)

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "vae": _file_input("vae", "Mel VAE that turns latents into mel spectrograms."),
                "vocoder": _file_input("vocoder", "Vocoder that turns mels into sound (must match the VAE's rate)."),
                "synchformer": _file_input("synchformer", "Synchformer visual encoder (audio-visual timing)."),
                "clip": _file_input("clip", "CLIP model for video frames and the text prompt."),
                "precision": (list(PRECISIONS), {"default": "auto", "tooltip": _PRECISION_TOOLTIP}),
            },
        }

    @classmethod
    def VALIDATE_INPUTS(cls, vae, vocoder, synchformer, clip):
        return _validate_files(vae=vae, vocoder=vocoder, synchformer=synchformer, clip=clip)

    def load(self, vae, vocoder, synchformer, clip, precision):
        from ..pavas_core.models.generator import load_feature_encoders

        paths = tuple(model_path(FOLDER, n) for n in (vae, vocoder, synchformer, clip))

        def build(dtype, device):
            import torch

            encoders = load_feature_encoders(vae_path=paths[0], vocoder_path=paths[1], synchformer_path=paths[2],
                                             clip_path=paths[3], dtype=dtype, device=device)
            # one module holding every weight of the bundle, so ComfyUI moves and evicts them together
            parts = {"audio_decoder": encoders.audio_decoder, "synchformer": encoders.synchformer,
                     "clip": encoders.clip.model if encoders.clip is not None else None}
            return encoders, torch.nn.ModuleDict({k: v for k, v in parts.items() if v is not None})

        name = ", ".join((vae, vocoder, synchformer, clip))
        return (load_handle("mmaudio_features", paths, name, precision, build),)


class PavasMMAudioSampler:
    """Generate sound for a clip (or from text alone) with MMAudio; as long as the clip by default."""

    DESCRIPTION = ("Generates audio with an MMAudio network, conditioned on the clip's frames (resampled to the "
                   "8 fps / 25 fps the encoders need, whatever the clip's rate) and the prompt. The sound lasts "
                   "as long as the clip unless duration_s is set; clips longer than 8 s are generated in "
                   "overlapping windows with cross-fades. Cancel stops it within one step.")
    CATEGORY = CATEGORY_MMAUDIO
    FUNCTION = "sample"
    RETURN_TYPES = ("AUDIO",)
    RETURN_NAMES = ("audio",)
    OUTPUT_TOOLTIPS = ("The generated sound at the model's own sample rate (16000 or 44100 Hz).",)

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "mmaudio_model": (PAVAS_MMAUDIO_MODEL, {"tooltip": "From 'MMAudio Model Loader (PAVAS)'."}),
                "feature_encoders": (PAVAS_MMAUDIO_FEATURES, {"tooltip": "From 'MMAudio Feature Loader (PAVAS)'."}),
                "prompt": ("STRING", {"default": "", "multiline": True,
                                      "tooltip": "What the sound should be (optional with a clip)."}),
                "negative_prompt": ("STRING", {"default": "", "multiline": True,
                                               "tooltip": "What the sound should not be (e.g. 'music, speech')."}),
                "duration_s": ("FLOAT", {"default": 0.0, "min": 0.0, "max": 600.0, "step": 0.1,
                                         "tooltip": "Length in seconds; 0 = the clip's length (8 s without a clip)."}),
                "steps": ("INT", {"default": 25, "min": 1, "max": 200,
                                  "tooltip": "Flow-matching (Euler) steps; 25 is MMAudio's default."}),
                "cfg": ("FLOAT", {"default": 4.5, "min": 1.0, "max": 20.0, "step": 0.1,
                                  "tooltip": "Classifier-free guidance strength; 4.5 is MMAudio's default."}),
                "seed": ("INT", {"default": 0, "min": 0, "max": MAX_SEED,
                                 "tooltip": "Seed of the starting noise: same inputs + seed = same sound."}),
            },
            "optional": {
                "clip": (PAVAS_CLIP, {"tooltip": "The video to make sound for. Without it MMAudio works from the "
                                                 "prompt alone."}),
                "physics_conditioning": (PAVAS_PHY_CONDITIONING, {
                    "tooltip": "From 'Phy-Adapter Conditioning': the physics steers the sound (each window of a long "
                               "clip gets its own frames' physics)."}),
            },
        }

    def sample(self, mmaudio_model, feature_encoders, prompt, negative_prompt, duration_s, steps, cfg, seed, clip=None,
               physics_conditioning=None):
        net = expect(mmaudio_model, ModelHandle, "mmaudio_model", "PAVAS_MMAUDIO_MODEL from the model loader")
        encoders = expect(feature_encoders, ModelHandle, "feature_encoders", "PAVAS_MMAUDIO_FEATURES from the feature loader")
        if net.kind != "mmaudio_network" or encoders.kind != "mmaudio_features":
            raise BadInputError("connect the model loader to mmaudio_model and the feature loader to feature_encoders")
        if clip is not None:
            clip = expect_clip(clip)
        if physics_conditioning is not None:
            from ..pavas_core.models.phy_conditioning import PhysicsConditioning

            expect(physics_conditioning, PhysicsConditioning, "physics_conditioning",
                   "PAVAS_PHY_CONDITIONING from 'Phy-Adapter Conditioning'")
        from ..pavas_core.comfy_types import waveform_to_audio
        from ..pavas_core.models.generator import generate
        from ._comfy import log, progress_callback, soft_empty_cache

        try:
            activate(net, encoders)
            result = generate(
                net.model, encoders.model,
                clip=clip, prompt=prompt, negative_prompt=negative_prompt,
                duration_s=float(duration_s) or None, seed=int(seed), num_steps=int(steps), cfg_strength=float(cfg),
                progress=progress_callback(), physics=physics_conditioning,
            )
        except BaseException as exc:
            # The traceback keeps every frame's locals (latents, features on the GPU) alive while
            # ComfyUI reports the error; drop them now so an interrupted run frees its memory.
            traceback.clear_frames(exc.__traceback__)
            raise
        finally:
            soft_empty_cache()
        for warning in result.warnings:  # windowing, image mode, frame-timing fallbacks: said, never silent
            log.info("PAVAS MMAudio Sampler: %s", warning)
        audio = waveform_to_audio(result.waveform, result.sample_rate_hz)
        return {"ui": {"audio": save_audio_preview(audio, "PAVAS_mmaudio")}, "result": (audio,)}


NODE_CLASS_MAPPINGS = {
    "PAVAS_MMAudioModelLoader": PavasMMAudioModelLoader,
    "PAVAS_MMAudioFeatureLoader": PavasMMAudioFeatureLoader,
    "PAVAS_MMAudioSampler": PavasMMAudioSampler,
}
NODE_DISPLAY_NAME_MAPPINGS = {
    "PAVAS_MMAudioModelLoader": "MMAudio Model Loader (PAVAS)",
    "PAVAS_MMAudioFeatureLoader": "MMAudio Feature Loader (PAVAS)",
    "PAVAS_MMAudioSampler": "MMAudio Sampler (PAVAS)",
}
