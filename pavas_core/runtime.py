"""Device/dtype choices and the one registry that holds each loaded model once.

The registry is keyed by (kind, file, dtype, device). The ComfyUI layer wraps what it returns in
ModelPatchers so ComfyUI can move and evict them; plain-Python users just get the module back.
torch is imported lazily so that the weight-free path never pays for it.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Callable, Hashable, TypeVar

from .errors import BadInputError

T = TypeVar("T")

DTYPE_NAMES = ("fp32", "fp16", "bf16")


def resolve_dtype(name: str | None):
    """'fp32' | 'fp16' | 'bf16' | None (fp32) → torch.dtype."""
    import torch

    table = {None: torch.float32, "fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
    if isinstance(name, torch.dtype):
        return name
    if name not in table:
        raise BadInputError(f"unknown precision {name!r}; choose one of {', '.join(DTYPE_NAMES)}")
    return table[name]


def resolve_device(name: str | None = None):
    """None → CUDA if available, else MPS, else CPU; otherwise torch.device(name), which must exist
    here (BadInputError naming the devices there are: a typo or a missing GPU is the user's to fix)."""
    import torch

    if name is not None:
        return check_device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def check_device(name: Any):
    """torch.device(name) if this machine has it, else one BadInputError line."""
    import torch

    from .errors import BadInputError

    if isinstance(name, torch.device):
        device = name
    else:
        try:
            device = torch.device(str(name))
        except (RuntimeError, ValueError, TypeError):
            raise BadInputError(f"device must be cpu, cuda, cuda:N or mps, got {name!r}") from None
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise BadInputError(f"device {name!r}: this machine has no CUDA GPU that torch can use; use --device cpu")
        if device.index is not None and not 0 <= device.index < count:
            raise BadInputError(f"device {name!r}: this machine has {count} CUDA GPU(s), cuda:0 to cuda:{count - 1}")
    elif device.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise BadInputError(f"device {name!r}: MPS is not available here; use --device cpu")
    elif device.type != "cpu":
        raise BadInputError(f"device must be cpu, cuda, cuda:N or mps, got {name!r}")
    return device


class ModelRegistry:
    """Holds each model once per key; builds it on first request (thread-safe)."""

    def __init__(self) -> None:
        self._items: dict[Hashable, Any] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        with self._lock:
            if key in self._items:
                return self._items[key]
        value = build()  # outside the lock: loading can take long and may itself use the registry
        with self._lock:
            return self._items.setdefault(key, value)

    def drop(self, key: Hashable) -> None:
        with self._lock:
            self._items.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def keys(self) -> list[Hashable]:
        with self._lock:
            return list(self._items)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


def file_key(path: str | os.PathLike) -> tuple[str, int, int]:
    """A registry key part that changes when the file on disk changes."""
    st = os.stat(path)
    return (os.path.realpath(path), st.st_size, st.st_mtime_ns)


REGISTRY = ModelRegistry()


def default_precision(device) -> str:
    """The precision a model runs at when none is asked for: bf16 on GPUs that support it, fp16 on
    other accelerators, fp32 on the CPU (half precision is slow or unsupported there)."""
    import torch

    device = torch.device(device)
    if device.type == "cpu":
        return "fp32"
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return "bf16"
    return "fp16"


def folder_key(path: str | os.PathLike) -> tuple[str, int, int]:
    """A registry key part for a model folder: changes when its config.json changes."""
    config = os.path.join(path, "config.json")
    st = os.stat(config if os.path.isfile(config) else path)
    return (os.path.realpath(path), st.st_size, st.st_mtime_ns)
