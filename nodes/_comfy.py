"""The ComfyUI services the nodes use, imported lazily.

ComfyUI is not a pip package: `folder_paths`, `comfy.*` and `comfy_api` exist only inside a running
ComfyUI (or when its checkout is on sys.path). The node classes must still import and describe
themselves without it, so every access goes through this module, which imports on first use.
"""

from __future__ import annotations

import importlib
import logging
from types import ModuleType

log = logging.getLogger("pavas")


def optional_module(name: str) -> ModuleType | None:
    """The module if it can be imported here, else None (ComfyUI absent)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def folder_paths() -> ModuleType:
    """ComfyUI's folder_paths; a clear error when the node runs outside ComfyUI."""
    module = optional_module("folder_paths")
    if module is None:
        raise RuntimeError("this node needs ComfyUI's folder_paths (run it inside ComfyUI)")
    return module


def model_management() -> ModuleType | None:
    return optional_module("comfy.model_management")


def progress_callback(node_id: str | None = None):
    """A pavas_core progress callback `(done, total)` driving a ComfyUI ProgressBar, or None.

    Every call first asks ComfyUI whether the user pressed Cancel
    (`comfy.model_management.throw_exception_if_processing_interrupted`, the check ComfyUI's own
    nodes and ops make), so the work stops within one step. The ProgressBar's hook cannot be relied
    on for that: since ComfyUI 0.9.2 `ProgressBar.update_absolute` calls it only for the first and
    the last update and otherwise at most every 100 ms, so fast steps would run on after a Cancel.
    """
    utils = optional_module("comfy.utils")
    if utils is None or not hasattr(utils, "ProgressBar"):
        return None
    mm = model_management()
    check = getattr(mm, "throw_exception_if_processing_interrupted", None)
    bar: list = []

    def callback(done: int, total: int) -> None:
        if check is not None:
            check()
        if not bar:
            bar.append(utils.ProgressBar(max(1, int(total)), node_id=node_id))
        bar[0].update_absolute(int(done), int(total))

    return callback


def soft_empty_cache() -> None:
    """Return cached accelerator memory to the driver (ComfyUI's helper; torch's outside ComfyUI)."""
    mm = model_management()
    if mm is not None:
        mm.soft_empty_cache()
        return
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()
