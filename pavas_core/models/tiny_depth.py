"""A tiny Depth Anything V2 metric model with seeded random weights (tests, examples; no download)."""

from __future__ import annotations

from .depth_estimation import IMAGENET_MEAN, IMAGENET_STD, DepthModel


def tiny_depth_config(max_depth: int = 20):
    from transformers import DepthAnythingConfig, Dinov2Config

    backbone = Dinov2Config(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
                            patch_size=14, image_size=28, out_features=["stage1", "stage2"], out_indices=[1, 2],
                            reshape_hidden_states=False, apply_layernorm=True)
    return DepthAnythingConfig(backbone_config=backbone, reassemble_hidden_size=16, neck_hidden_sizes=[8, 16],
                               fusion_hidden_size=8, head_hidden_size=4, reassemble_factors=[2, 1],
                               depth_estimation_type="metric", max_depth=max_depth, patch_size=14)


def tiny_depth_model(seed: int = 0, *, input_side: int = 42) -> DepthModel:
    """~24 k parameters; frames are fed at `input_side` px (shorter side) so that it runs in milliseconds."""
    import torch
    from transformers import DepthAnythingForDepthEstimation

    with torch.random.fork_rng():
        torch.manual_seed(seed)
        net = DepthAnythingForDepthEstimation(tiny_depth_config()).eval()
        for p in net.parameters():  # transformers initialises some heads to zero: make every weight count
            p.data.normal_(0.0, 0.2)
    return DepthModel(net, "depth_anything", input_side, 14, IMAGENET_MEAN, IMAGENET_STD, "tiny-depth-anything")


def write_tiny_depth_model(folder: str, seed: int = 0, *, input_side: int | None = None) -> str:
    """Save the tiny model as a transformers folder (config.json + model.safetensors). With `input_side`,
    also a preprocessor_config.json that feeds frames at that size (shorter side), as the released
    folders state their 518 px: without it the loader uses 518 px, slow for a model this small."""
    import json
    from pathlib import Path

    tiny_depth_model(seed).model.save_pretrained(folder)
    if input_side is not None:
        preprocessor = {"size": {"height": int(input_side), "width": int(input_side)},
                        "image_mean": list(IMAGENET_MEAN), "image_std": list(IMAGENET_STD)}
        (Path(folder) / "preprocessor_config.json").write_text(json.dumps(preprocessor, indent=2) + "\n")
    return folder
