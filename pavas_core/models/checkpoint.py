"""Safe weight loading shared by every model in the pack.

Only safetensors and `torch.load(weights_only=True)` are used: a checkpoint can never run code.
Strict loading reports each missing, unexpected or mis-shaped tensor by name with the expected
shape, so a user with the wrong file learns which file it is and what was expected.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Mapping

import torch

from ..errors import BadInputError, MissingWeightsError, UnsupportedCheckpointError

SAFETENSORS_SUFFIXES = (".safetensors", ".sft")
PICKLE_SUFFIXES = (".pth", ".pt", ".ckpt", ".bin")
WEIGHT_SUFFIXES = SAFETENSORS_SUFFIXES + PICKLE_SUFFIXES
MAX_LISTED = 8  # how many offending tensors an error message names


def load_state_dict(path: str | os.PathLike, device: str | torch.device = "cpu") -> dict[str, torch.Tensor]:
    """Read a weight file (safetensors, or a torch pickle through weights_only=True) → flat dict."""
    p = Path(path)
    if not p.is_file():
        raise MissingWeightsError(f"weight file not found: {p}")
    if p.stat().st_size == 0:
        raise UnsupportedCheckpointError(f"weight file is empty: {p}")
    suffix = p.suffix.lower()
    try:
        if suffix in SAFETENSORS_SUFFIXES:
            from safetensors.torch import load_file

            return load_file(str(p), device=str(device))
        if suffix in PICKLE_SUFFIXES:
            obj = torch.load(str(p), map_location=device, weights_only=True)
            return _as_state_dict(obj, p)
    except (UnsupportedCheckpointError, MissingWeightsError):
        raise
    except Exception as exc:  # corrupt file, or a pickle that needs arbitrary code
        raise UnsupportedCheckpointError(
            f"cannot read {p.name}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        ) from None
    raise UnsupportedCheckpointError(
        f"{p.name}: unsupported weight file type {suffix!r}; expected one of {', '.join(WEIGHT_SUFFIXES)}"
    )


def read_safetensors_metadata(path_or_state_dict: object) -> dict[str, str]:
    """The string metadata of a safetensors file ({} for other files and in-memory state dicts).

    Architecture facts that tensor shapes cannot tell (e.g. attention heads of a custom-size
    encoder) may be stored there under ``pavas_config`` as JSON; released files have none.
    """
    if isinstance(path_or_state_dict, Mapping):
        return {}
    p = Path(path_or_state_dict)
    if p.suffix.lower() not in SAFETENSORS_SUFFIXES or not p.is_file():
        return {}
    try:
        from safetensors import safe_open

        with safe_open(str(p), framework="pt") as f:
            return dict(f.metadata() or {})
    except Exception as exc:
        raise UnsupportedCheckpointError(f"cannot read {p.name}: {type(exc).__name__}: {exc}") from None


def pavas_config(path_or_state_dict: object) -> dict:
    """The JSON object stored under ``pavas_config`` in a safetensors file's metadata, or {}."""
    import json

    text = read_safetensors_metadata(path_or_state_dict).get("pavas_config")
    if not text:
        return {}
    try:
        config = json.loads(text)
    except ValueError:
        raise UnsupportedCheckpointError("the file's pavas_config metadata is not valid JSON") from None
    if not isinstance(config, dict):
        raise UnsupportedCheckpointError("the file's pavas_config metadata is not a JSON object")
    return config


def _as_state_dict(obj: object, path: Path) -> dict[str, torch.Tensor]:
    """Accept a plain state dict, or the usual wrappers ({'state_dict': ...}, {'generator': ...})."""
    if isinstance(obj, Mapping) and obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
        return dict(obj)
    if isinstance(obj, Mapping):
        for key in ("state_dict", "model", "generator", "weights", "module"):
            inner = obj.get(key)
            if isinstance(inner, Mapping) and inner and all(isinstance(v, torch.Tensor) for v in inner.values()):
                return dict(inner)
    raise UnsupportedCheckpointError(f"{path.name}: no tensor dictionary found in this checkpoint")


def as_state_dict(path_or_state_dict: str | os.PathLike | Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A path is loaded; a mapping of tensors is passed through (shallow copy)."""
    if isinstance(path_or_state_dict, Mapping):
        bad = [k for k, v in path_or_state_dict.items() if not isinstance(v, torch.Tensor)]
        if bad:
            raise BadInputError(f"state dict holds non-tensor values, e.g. {bad[0]!r}")
        return dict(path_or_state_dict)
    return load_state_dict(path_or_state_dict)


def strip_prefix(state_dict: Mapping[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """Keys starting with `prefix` with the prefix removed; other keys are dropped."""
    n = len(prefix)
    return {k[n:]: v for k, v in state_dict.items() if k.startswith(prefix)}


def check_state_dict(
    expected: Mapping[str, torch.Size | tuple[int, ...]],
    state_dict: Mapping[str, torch.Tensor],
    what: str,
    ignore: Iterable[str] = (),
) -> None:
    """Raise UnsupportedCheckpointError naming missing / unexpected / mis-shaped tensors."""
    ignore = set(ignore)
    missing = [k for k in expected if k not in state_dict and k not in ignore]
    unexpected = [k for k in state_dict if k not in expected and k not in ignore]
    misshaped = [
        f"{k}: file has {tuple(state_dict[k].shape)}, expected {tuple(expected[k])}"
        for k in expected
        if k in state_dict and tuple(state_dict[k].shape) != tuple(expected[k])
    ]
    problems = []
    if missing:
        problems.append(
            "missing tensors: "
            + ", ".join(f"{k} {tuple(expected[k])}" for k in missing[:MAX_LISTED])
            + (f" (+{len(missing) - MAX_LISTED} more)" if len(missing) > MAX_LISTED else "")
        )
    if unexpected:
        problems.append(
            "unexpected tensors: "
            + ", ".join(f"{k} {tuple(state_dict[k].shape)}" for k in unexpected[:MAX_LISTED])
            + (f" (+{len(unexpected) - MAX_LISTED} more)" if len(unexpected) > MAX_LISTED else "")
        )
    if misshaped:
        problems.append(
            "wrong shapes: "
            + "; ".join(misshaped[:MAX_LISTED])
            + (f" (+{len(misshaped) - MAX_LISTED} more)" if len(misshaped) > MAX_LISTED else "")
        )
    if problems:
        raise UnsupportedCheckpointError(f"{what}: checkpoint does not match — " + " | ".join(problems))


def load_strict(
    module: torch.nn.Module,
    state_dict: Mapping[str, torch.Tensor],
    what: str,
    ignore: Iterable[str] = (),
) -> None:
    """Strictly load `state_dict` into `module` (persistent parameters and buffers), with clear errors.

    `ignore` lists keys that may be absent or extra (e.g. non-persistent buffers some exporters keep).
    Tensors are copied into the module's existing dtype/device.
    """
    ignore = set(ignore)
    expected = {k: v.shape for k, v in module.state_dict().items()}
    check_state_dict(expected, state_dict, what, ignore)
    filtered = {k: v for k, v in state_dict.items() if k in expected}
    module.load_state_dict(filtered, strict=not ignore)
