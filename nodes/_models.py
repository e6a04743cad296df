"""Loaded models inside ComfyUI: one copy per (kind, file, precision) in pavas_core's REGISTRY,
each wrapped in a ComfyUI ModelPatcher so ComfyUI's memory manager can load and evict it.

Models are built on ComfyUI's offload device (normally the CPU). Right before use, `activate`
asks `comfy.model_management.load_models_gpu` to bring them to the compute device, freeing other
models if memory is short; we never move them by hand (ComfyUI could not see or evict that memory).
The registry holds the patcher strongly because ComfyUI keeps only weak references.
Outside ComfyUI (plain Python) the models stay on the device they were built on, with no patcher.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable

from ..pavas_core.errors import BadInputError
from ..pavas_core.runtime import REGISTRY, file_key
from ._comfy import model_management, optional_module

PRECISIONS = ("auto", "bf16", "fp16", "fp32")


@dataclass(eq=False)
class ModelHandle:
    """What a loader node outputs: the loaded object, its torch module, its ComfyUI patcher."""

    kind: str
    name: str  # the file name(s) the user picked, for messages
    model: Any  # what the library functions take (a network, a FeatureEncoders bundle, ...)
    module: Any  # the torch.nn.Module holding every weight of `model`
    patcher: Any | None  # comfy.model_patcher.ModelPatcher, None outside ComfyUI


def devices():
    """(compute device, offload device) as ComfyUI chooses them; (best available, same) outside it."""
    mm = model_management()
    if mm is not None:
        return mm.get_torch_device(), mm.unet_offload_device()
    from ..pavas_core.runtime import resolve_device

    device = resolve_device()
    return device, device


def resolve_precision(name: str, device) -> str:
    """'auto' → bf16 on accelerators that support it, fp16 on other GPUs, fp32 on the CPU."""
    if name != "auto":
        if name not in PRECISIONS:
            raise BadInputError(f"precision must be one of {', '.join(PRECISIONS)}, got {name!r}")
        return name
    import torch

    if device.type == "cpu":
        return "fp32"
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return "bf16"
    return "fp16"


def load_handle(kind: str, files: tuple[str, ...], name: str, precision: str,
                build: Callable[[Any, Any], tuple[Any, Any]], options: tuple = ()) -> ModelHandle:
    """The registry's handle for these files at this precision, built with `build(dtype, device)`.

    `build` returns (model, module). Other entries of the same kind are dropped from the registry
    (switching a file must not keep the previous model in memory forever). `options`: what else
    changes the built model (e.g. SAM-2's image size); part of the registry key. A file is a weight
    file or a model folder (keyed by its config.json).
    """
    from ..pavas_core.runtime import resolve_dtype

    load_device, offload_device = devices()
    precision = resolve_precision(precision, load_device)
    from ..pavas_core.runtime import folder_key

    key = (kind, tuple(folder_key(f) if os.path.isdir(f) else file_key(f) for f in files), precision,
           str(load_device), tuple(options))
    for other in REGISTRY.keys():
        if other[0] == kind and other != key:
            REGISTRY.drop(other)

    def make() -> ModelHandle:
        model, module = build(resolve_dtype(precision), offload_device)
        patcher = None
        patcher_module = optional_module("comfy.model_patcher")
        if patcher_module is not None:
            import torch

            # ModelPatcher writes bookkeeping attributes onto the module it is given (`device`,
            # `model_loaded_weight_memory`, ...); a plain container takes them, so the library's
            # own modules (whose `device` is a read-only property) are never touched.
            root = torch.nn.ModuleDict({"model": module})
            patcher = patcher_module.ModelPatcher(root, load_device=load_device, offload_device=offload_device)
        return ModelHandle(kind=kind, name=name, model=model, module=module, patcher=patcher)

    return REGISTRY.get(key, make)


def activate(*handles: ModelHandle) -> None:
    """Bring the handles' weights to the compute device through ComfyUI (evicting others if needed)."""
    mm = model_management()
    patchers = [h.patcher for h in handles if h.patcher is not None]
    if mm is not None and patchers:
        mm.load_models_gpu(patchers)

