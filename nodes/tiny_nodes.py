"""PAVAS-tiny in ComfyUI: loader (the shipped checkpoint or one from models/pavas) and sampler
(clip + physics → sound). Model code is imported inside the nodes only."""

from __future__ import annotations

import traceback

from ..pavas_core.errors import BadInputError
from ._common import (
    CATEGORY_MMAUDIO,
    MAX_SEED,
    PAVAS_CLIP,
    PAVAS_PHYSICS,
    PAVAS_TINY_MODEL,
    expect,
    expect_clip,
    expect_physics,
    save_audio_preview,
)
from ._models import ModelHandle, activate, load_handle
from .model_folders import list_models, model_path

FOLDER = "pavas"
SHIPPED_CHOICE = "shipped: pavas_tiny.safetensors"
EXPECTED = "a PAVAS-tiny .safetensors checkpoint (from `python -m pavas_core train --config tiny`)"


def _choices() -> list[str]:
    return [SHIPPED_CHOICE] + list_models(FOLDER)


def _checkpoint_path(name: str):
    from ..pavas_core.errors import MissingWeightsError
    from ..pavas_core.models.tiny_generator.checkpoint import SHIPPED_CHECKPOINT

    if name == SHIPPED_CHOICE:
        if not SHIPPED_CHECKPOINT.is_file():
            raise MissingWeightsError(f"the shipped PAVAS-tiny checkpoint is missing from the pack "
                                      f"({SHIPPED_CHECKPOINT.name}); reinstall the pack or pick a file from models/pavas")
        return str(SHIPPED_CHECKPOINT)
    return model_path(FOLDER, name)


class PavasLoadTinyGenerator:
    """Load PAVAS-tiny: the pack's own checkpoint or one trained with `train --config tiny`."""

    DESCRIPTION = ("Loads PAVAS-tiny, the small physics-aware generator trained from scratch on generated impact "
                   "scenes (no downloaded weights): the checkpoint shipped with the pack, or a .safetensors from "
                   "models/pavas made by `python -m pavas_core train --config tiny`. fp32, a few MB.")
    CATEGORY = CATEGORY_MMAUDIO
    FUNCTION = "load"
    RETURN_TYPES = (PAVAS_TINY_MODEL,)
    RETURN_NAMES = ("tiny_model",)
    OUTPUT_TOOLTIPS = ("The generator, for 'PAVAS-tiny Sampler'.",)

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {
            "checkpoint": (_choices(), {"default": SHIPPED_CHOICE,
                                        "tooltip": f"The shipped checkpoint, or one from ComfyUI/models/{FOLDER} "
                                                   f"({EXPECTED})."}),
        }}

    @classmethod
    def VALIDATE_INPUTS(cls, checkpoint):
        if checkpoint != SHIPPED_CHOICE and checkpoint not in set(list_models(FOLDER)):
            return (f"checkpoint: file {checkpoint!r} not found in models/{FOLDER}; expected {EXPECTED}. "
                    f"Put the file into ComfyUI/models/{FOLDER} and refresh, or pick {SHIPPED_CHOICE!r}.")
        return True

    def load(self, checkpoint):
        from ..pavas_core.models.tiny_generator.checkpoint import load_tiny_checkpoint

        path = _checkpoint_path(checkpoint)

        def build(dtype, device):
            loaded = load_tiny_checkpoint(path, device=device)
            return loaded, loaded.model

        # tiny weights stay fp32 everywhere: half precision saves nothing worth its rounding here
        return (load_handle("pavas_tiny", (path,), checkpoint, "fp32", build),)


class PavasTinySampler:
    """Sound for a clip with PAVAS-tiny, steered by the physics."""

    DESCRIPTION = ("Generates 16 kHz sound for the clip with PAVAS-tiny. Its Phy-Adapter reads each object's mass "
                   "and speed from the physics (from 'Estimate Physics', 'Assemble Physics' or 'Edit Physics': "
                   "edit the physics to make a hit heavier or faster). Clips longer than the checkpoint's "
                   "training window are generated in overlapping windows with cross-fades. Cancel stops it "
                   "within one step.")
    CATEGORY = CATEGORY_MMAUDIO
    FUNCTION = "sample"
    RETURN_TYPES = ("AUDIO",)
    RETURN_NAMES = ("audio",)
    OUTPUT_TOOLTIPS = ("The generated sound, 16000 Hz mono, as long as the clip.",)

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "tiny_model": (PAVAS_TINY_MODEL, {"tooltip": "From 'Load PAVAS-tiny'."}),
                "clip": (PAVAS_CLIP, {"tooltip": "The video to make sound for."}),
                "steps": ("INT", {"default": 25, "min": 1, "max": 200, "tooltip": "Flow-matching (Euler) steps."}),
                "cfg": ("FLOAT", {"default": 2.0, "min": 1.0, "max": 20.0, "step": 0.1,
                                  "tooltip": "Classifier-free guidance strength (2 is what PAVAS-tiny was scored with)."}),
                "seed": ("INT", {"default": 0, "min": 0, "max": MAX_SEED,
                                 "tooltip": "Seed of the starting noise: same inputs + seed = same sound."}),
            },
            "optional": {
                "physics": (PAVAS_PHYSICS, {"tooltip": "The clip's physics. Without it, a checkpoint with a "
                                                       "Phy-Adapter hears the video alone (said in the log)."}),
            },
        }

    def sample(self, tiny_model, clip, steps, cfg, seed, physics=None):
        handle = expect(tiny_model, ModelHandle, "tiny_model", "PAVAS_TINY_MODEL from 'Load PAVAS-tiny'")
        if handle.kind != "pavas_tiny":
            raise BadInputError("tiny_model: connect 'Load PAVAS-tiny'")
        clip = expect_clip(clip)
        tracks = expect_physics(physics) if physics is not None else None
        from ..pavas_core.comfy_types import waveform_to_audio
        from ..pavas_core.models.tiny_generator.generate import generate_tiny
        from ._comfy import log, progress_callback, soft_empty_cache

        loaded = handle.model
        notes = []
        if tracks is None and loaded.model.adapter is not None:
            notes.append("no physics connected: the sound follows the video alone")
        try:
            activate(handle)
            result = generate_tiny(loaded.model, clip, tracks, seed=int(seed), num_steps=int(steps),
                                   cfg_strength=float(cfg), window_s=loaded.window_s, progress=progress_callback())
        except BaseException as exc:
            traceback.clear_frames(exc.__traceback__)  # frees the latents an interrupted run holds
            raise
        finally:
            soft_empty_cache()
        for note in [f"sound by {loaded.description}"] + notes + result.warnings:
            log.info("PAVAS-tiny Sampler: %s", note)
        audio = waveform_to_audio(result.waveform[None], result.sample_rate_hz)
        return {"ui": {"audio": save_audio_preview(audio, "PAVAS_tiny")}, "result": (audio,)}


NODE_CLASS_MAPPINGS = {
    "PAVAS_LoadTinyGenerator": PavasLoadTinyGenerator,
    "PAVAS_TinySampler": PavasTinySampler,
}
NODE_DISPLAY_NAME_MAPPINGS = {
    "PAVAS_LoadTinyGenerator": "Load PAVAS-tiny",
    "PAVAS_TinySampler": "PAVAS-tiny Sampler",
}
