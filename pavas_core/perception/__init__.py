"""Learned perception: vision-language models (objects, actions, mass), Florence-2 (boxes of named
objects), SAM-2 (video masks from boxes) and readers for what ComfyUI's own SAM 3 and TextGenerate
nodes produce. Model code only; the physics stages that use it are in physics/stages/.

Every model loads from local files (no network), through transformers' or sam2's native classes,
once per (file, precision, device) in runtime.REGISTRY (`cached_*` below).
"""

from __future__ import annotations

import os
from typing import Any

from ..runtime import REGISTRY, default_precision, file_key, folder_key, resolve_device, resolve_dtype

# What a model failing while it works raises (out of memory is a RuntimeError, a broken processor a
# ValueError/KeyError/...): the stage says so and falls back. Anything else passes through — in
# particular ComfyUI's interrupt (a plain Exception subclass), so a Cancel is never taken for a failure.
MODEL_FAILURES = (RuntimeError, ValueError, TypeError, KeyError, IndexError, AttributeError, OSError,
                  AssertionError)


def device_and_dtype(device: Any = None, precision: str | None = None) -> tuple[Any, Any, str]:
    """(torch device, torch dtype, precision name); None/"auto" chooses for the device."""
    dev = resolve_device(device)
    name = default_precision(dev) if precision in (None, "auto") else precision
    return dev, resolve_dtype(name), name


def cached_vlm(folder: str | os.PathLike, *, device: Any = None, precision: str | None = None,
               trust_remote_code: bool = False):
    from .vlm import load_vlm

    dev, dtype, name = device_and_dtype(device, precision)
    key = ("vlm", folder_key(folder), name, str(dev), bool(trust_remote_code))
    return REGISTRY.get(key, lambda: load_vlm(folder, dtype=dtype, device=dev, trust_remote_code=trust_remote_code))


def cached_florence2(folder: str | os.PathLike, *, device: Any = None, precision: str | None = None,
                     trust_remote_code: bool = False):
    from .florence2 import load_florence2

    dev, dtype, name = device_and_dtype(device, precision)
    key = ("florence2", folder_key(folder), name, str(dev), bool(trust_remote_code))
    return REGISTRY.get(key, lambda: load_florence2(folder, dtype=dtype, device=dev,
                                                    trust_remote_code=trust_remote_code))


def cached_sam2(path: str | os.PathLike, *, image_size: int, device: Any = None, precision: str | None = None):
    from .sam2_video import load_sam2

    dev, dtype, name = device_and_dtype(device, precision)
    key = ("sam2", file_key(path), int(image_size), name, str(dev))
    return REGISTRY.get(key, lambda: load_sam2(path, image_size=image_size, dtype=dtype, device=dev))
