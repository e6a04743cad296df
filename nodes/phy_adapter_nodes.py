"""Phy-Adapter: loader (models/pavas) and conditioning (physics + clip + models → conditioning for the sampler)."""

from __future__ import annotations

from ..pavas_core.errors import BadInputError
from ._common import (
    CATEGORY_MMAUDIO,
    PAVAS_CLIP,
    PAVAS_MMAUDIO_FEATURES,
    PAVAS_MMAUDIO_MODEL,
    PAVAS_PHY_ADAPTER,
    PAVAS_PHY_CONDITIONING,
    PAVAS_PHYSICS,
    expect,
    expect_clip,
    expect_physics,
)
from ._models import PRECISIONS, ModelHandle, activate, load_handle
from .model_folders import list_models, model_path

FOLDER = "pavas"
EXPECTED = ("a Phy-Adapter .safetensors file (from `python -m pavas_core train`, or `train --init-only` "
            "for an untrained one)")


class PavasLoadPhyAdapter:
    """Load a Phy-Adapter file from models/pavas."""

    DESCRIPTION = ("Loads a Phy-Adapter (physics → Δ-modulation of the MMAudio network) from models/pavas. "
                   "It must have been made for the network you load (width and block counts are checked).")
    CATEGORY = CATEGORY_MMAUDIO
    FUNCTION = "load"
    FILE_INPUTS = ("adapter",)
    RETURN_TYPES = (PAVAS_PHY_ADAPTER,)
    RETURN_NAMES = ("phy_adapter",)
    OUTPUT_TOOLTIPS = ("The adapter, for 'Phy-Adapter Conditioning'.",)

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {
            "adapter": (list_models(FOLDER), {"tooltip": f"From ComfyUI/models/{FOLDER}; expected: {EXPECTED}."}),
            "precision": (list(PRECISIONS), {"default": "auto", "tooltip": "Weight precision (auto: bf16 on GPUs "
                                                                           "that support it, fp32 on the CPU)."}),
        }}

    @classmethod
    def VALIDATE_INPUTS(cls, adapter):
        if adapter not in set(list_models(FOLDER)):
            return (f"adapter: weight file {adapter!r} not found in models/{FOLDER}; expected {EXPECTED}. "
                    f"Put the file into ComfyUI/models/{FOLDER} and refresh.")
        return True

    def load(self, adapter, precision):
        from ..pavas_core.models.phy_adapter import load_adapter

        path = model_path(FOLDER, adapter)

        def build(dtype, device):
            module = load_adapter(path, device=device, dtype=dtype)
            return module, module

        return (load_handle("phy_adapter", (path,), adapter, precision, build),)


class PavasPhyAdapterConditioning:
    """Physics + clip → the conditioning that steers the MMAudio sampler."""

    DESCRIPTION = ("Turns the physics (mass and speed per object, with its masks) and the clip's frames into the "
                   "Phy-Adapter's conditioning: each object's CLIP features under its mask, mass and speed. "
                   "Connect it to the sampler's physics_conditioning input. Edit the physics before this node to "
                   "make objects heavier or faster.")
    CATEGORY = CATEGORY_MMAUDIO
    FUNCTION = "condition"
    RETURN_TYPES = (PAVAS_PHY_CONDITIONING,)
    RETURN_NAMES = ("physics_conditioning",)
    OUTPUT_TOOLTIPS = ("For 'MMAudio Sampler (PAVAS)' (physics_conditioning).",)

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {
            "phy_adapter": (PAVAS_PHY_ADAPTER, {"tooltip": "From 'Load Phy-Adapter'."}),
            "physics": (PAVAS_PHYSICS, {"tooltip": "From 'Estimate Physics', 'Assemble Physics' or 'Edit Physics'."}),
            "clip": (PAVAS_CLIP, {"tooltip": "The same clip the physics was estimated on."}),
            "mmaudio_model": (PAVAS_MMAUDIO_MODEL, {"tooltip": "The network the adapter steers (checked to fit)."}),
            "feature_encoders": (PAVAS_MMAUDIO_FEATURES, {"tooltip": "Its CLIP model makes the object features."}),
        }}

    def condition(self, phy_adapter, physics, clip, mmaudio_model, feature_encoders):
        adapter = expect(phy_adapter, ModelHandle, "phy_adapter", "PAVAS_PHY_ADAPTER from 'Load Phy-Adapter'")
        net = expect(mmaudio_model, ModelHandle, "mmaudio_model", "PAVAS_MMAUDIO_MODEL from the model loader")
        encoders = expect(feature_encoders, ModelHandle, "feature_encoders", "PAVAS_MMAUDIO_FEATURES")
        if adapter.kind != "phy_adapter" or net.kind != "mmaudio_network" or encoders.kind != "mmaudio_features":
            raise BadInputError("connect 'Load Phy-Adapter', the MMAudio model loader and the feature loader")
        from ..pavas_core.models.phy_conditioning import build_physics_conditioning
        from ._comfy import progress_callback

        activate(adapter, encoders)
        return (build_physics_conditioning(adapter.model, expect_physics(physics), expect_clip(clip),
                                           encoders.model.clip, net.model.config, progress=progress_callback()),)


NODE_CLASS_MAPPINGS = {
    "PAVAS_LoadPhyAdapter": PavasLoadPhyAdapter,
    "PAVAS_PhyAdapterConditioning": PavasPhyAdapterConditioning,
}
NODE_DISPLAY_NAME_MAPPINGS = {
    "PAVAS_LoadPhyAdapter": "Load Phy-Adapter",
    "PAVAS_PhyAdapterConditioning": "Phy-Adapter Conditioning",
}
