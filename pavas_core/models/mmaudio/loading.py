"""Load MMAudio network weights (original `.pth` state dicts or safetensors conversions)."""

from __future__ import annotations

import math
import os
from typing import Mapping

import torch

from ...errors import BadInputError
from ...runtime import resolve_dtype
from ..checkpoint import as_state_dict, check_state_dict, checkpoint_errors
from .config import CUSTOM_NAME, MMAudioConfig, config_from_state_dict
from .network import MMAudioNetwork

# non-persistent buffers that some exported files still contain; MMAudio drops them before loading
IGNORED_KEYS = ("latent_rot", "clip_rot", "t_embed.freqs")
SUPPORTED_DTYPES = (torch.float32, torch.float16, torch.bfloat16)


def expected_shapes(config: MMAudioConfig) -> dict[str, torch.Size]:
    """Tensor name → shape of a network with `config`, without allocating its weights."""
    with torch.device("meta"):
        network = MMAudioNetwork(config)
    return {name: tensor.shape for name, tensor in network.state_dict().items()}


def without_ignored_keys(state_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v for k, v in state_dict.items() if k not in IGNORED_KEYS}


@checkpoint_errors("MMAudio network")
def detect_mmaudio_config(state_dict: Mapping[str, torch.Tensor]) -> MMAudioConfig:
    """The configuration a state dict holds, after a strict check of every tensor name and shape.

    Reads shapes only (meta tensors work), so a file can be identified without building the model.
    Raises UnsupportedCheckpointError naming missing, unexpected or mis-shaped tensors.
    """
    state_dict = without_ignored_keys(state_dict)
    config = config_from_state_dict(state_dict)
    what = f"MMAudio {config.name}" + (f" ({'v2' if config.v2 else 'v1'})" if config.name == CUSTOM_NAME else "")
    check_state_dict(expected_shapes(config), state_dict, what)
    return config


@checkpoint_errors("MMAudio network")
def load_mmaudio_network(
    path_or_state_dict: str | os.PathLike | Mapping[str, torch.Tensor],
    dtype: torch.dtype | None = None,
    device: str | torch.device | None = None,
) -> MMAudioNetwork:
    """Build the MMAudio network a checkpoint describes and load it strictly, ready for inference.

    The variant (small_16k, small_44k, medium_44k, large_44k, large_44k_v2) and v1/v2 come from the
    tensor shapes. dtype: float32 (default), float16 or bfloat16; device: default CPU. Raises
    UnsupportedCheckpointError naming any missing, unexpected or mis-shaped tensor.
    A state dict passed in may share memory with the network's parameters (no copy when the dtype
    and device already match).
    """
    dtype = resolve_dtype(dtype)  # None → float32; also 'fp32' / 'fp16' / 'bf16' like every other loader
    if dtype not in SUPPORTED_DTYPES:
        raise BadInputError(f"MMAudio runs in float32, float16 or bfloat16, not {dtype}")
    device = torch.device("cpu") if device is None else torch.device(device)
    state_dict = without_ignored_keys(as_state_dict(path_or_state_dict))
    config = detect_mmaudio_config(state_dict)
    with torch.device("meta"):
        network = MMAudioNetwork(config)
    # assign: the file's tensors become the parameters (no second copy of a multi-GB model)
    network.load_state_dict(state_dict, strict=True, assign=True)
    network.to(device=device, dtype=dtype)
    network.requires_grad_(False)
    return network.eval()


def random_state_dict(config: MMAudioConfig, *, seed: int) -> dict[str, torch.Tensor]:
    """Seeded random weights for `config` that keep every path of the network active (tests, benches).

    float32 on CPU. Weights N(0, 1/fan_in) — also those MMAudio zero-initialises (adaLN, final
    layer), so a comparison exercises every path; biases and embeddings N(0, 0.1²); RMSNorm weights
    1 + N(0, 0.2²) so attention is far from uniform; latent_std U(0.5, 1.5).
    """
    generator = torch.Generator().manual_seed(seed)
    state_dict = {}
    for name, shape in expected_shapes(config).items():
        if name == "latent_std":
            tensor = torch.rand(shape, generator=generator) + 0.5
        elif name.endswith(("q_norm.weight", "k_norm.weight")):
            tensor = 1 + 0.2 * torch.randn(shape, generator=generator)
        elif len(shape) >= 2 and name.endswith("weight"):
            fan_in = math.prod(shape[1:])
            tensor = torch.randn(shape, generator=generator) / math.sqrt(fan_in)
        else:
            tensor = 0.1 * torch.randn(shape, generator=generator)
        state_dict[name] = tensor
    return state_dict
