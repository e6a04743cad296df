"""Safe weight loading shared by every model in the pack.

Only safetensors and `torch.load(weights_only=True)` are used: a checkpoint can never run code.
Pickle-based files (.pth/.pt/.ckpt/.bin) are read only on torch >= 2.6 (``weights_only`` can be
bypassed before, CVE-2025-32434; ComfyUI, not the pack, chooses the torch version), and only as
torch.save zip archives whose entries are stored uncompressed within the file's size (no zip bomb,
no legacy format whose headers claim storage sizes). Configuration stored in a file's metadata is
checked against an allow-list (:mod:`.config_schema`). Strict loading reports each missing,
unexpected, mis-shaped or non-floating-point tensor by name with the expected shape, so a user
with the wrong file learns which file it is and what was expected; any other inconsistency a file
causes inside a loader becomes one UnsupportedCheckpointError line too (:func:`checkpoint_errors`).
"""

from __future__ import annotations

import functools
import os
import pickle
import re
import zipfile
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, TypeVar

import torch

from ..errors import BadInputError, MissingWeightsError, PavasError, UnsupportedCheckpointError

SAFETENSORS_SUFFIXES = (".safetensors", ".sft")
PICKLE_SUFFIXES = (".pth", ".pt", ".ckpt", ".bin")
WEIGHT_SUFFIXES = SAFETENSORS_SUFFIXES + PICKLE_SUFFIXES
MAX_LISTED = 8  # how many offending tensors an error message names
# torch.load(weights_only=True) is a safe loader only from this version on (CVE-2025-32434).
MIN_TORCH_FOR_PICKLES = (2, 6)

_F = TypeVar("_F", bound=Callable[..., Any])


def torch_version() -> tuple[int, int]:
    """(major, minor) of the running torch ("2.9.1+cu128" → (2, 9); unreadable → (0, 0))."""
    match = re.match(r"(\d+)\.(\d+)", str(getattr(torch, "__version__", "")))
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def check_pickle_loading_is_safe(path: Path) -> None:
    """Refuse .pth/.pt loading where weights_only=True can be bypassed (torch < 2.6)."""
    if torch_version() < MIN_TORCH_FOR_PICKLES:
        need = ".".join(str(v) for v in MIN_TORCH_FOR_PICKLES)
        raise UnsupportedCheckpointError(
            f"{path.name}: reading .pth/.pt/.ckpt/.bin files safely needs torch {need} or newer "
            f"(older torch.load can be made to run code, CVE-2025-32434) and this ComfyUI runs torch "
            f"{torch.__version__}; use the .safetensors version of the file, or update ComfyUI's torch"
        )


def check_torch_archive(path: Path) -> None:
    """A torch.save zip archive whose entries are stored (never compressed) within the file's size.

    torch.save writes exactly that; anything else (the pre-1.6 format, whose headers state storage
    sizes that are allocated before being read, or a compressed "zip bomb") is refused before
    torch reads a byte of it.
    """
    if not zipfile.is_zipfile(path):
        raise UnsupportedCheckpointError(
            f"{path.name}: not a torch.save zip archive (the pre-1.6 format, or not a checkpoint at all); "
            "re-save it with a current torch or use a .safetensors file"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnsupportedCheckpointError(f"{path.name}: damaged zip archive ({exc})") from None
    total = 0
    for entry in entries:
        if entry.compress_type != zipfile.ZIP_STORED or entry.file_size != entry.compress_size:
            raise UnsupportedCheckpointError(
                f"{path.name}: its entry {entry.filename!r} is compressed, which torch.save never does; "
                "refused (it could expand without bound); use the original or a .safetensors file"
            )
        total += entry.file_size
    if total > path.stat().st_size:
        raise UnsupportedCheckpointError(f"{path.name}: its zip directory claims more data than the file holds")


def checkpoint_errors(what: str) -> Callable[[_F], _F]:
    """Decorator for loaders: any inconsistency of a file's tensors (a wrong rank, a missing key,
    a shape that does not divide) becomes one UnsupportedCheckpointError naming `what`.

    Our own errors pass through unchanged; the rest are what reading shapes from an untrusted file
    raises when it is not the model it claims to be.
    """

    def wrap(function: _F) -> _F:
        @functools.wraps(function)
        def loader(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except PavasError:
                raise
            except (KeyError, IndexError, TypeError, ValueError, ZeroDivisionError, OverflowError,
                    RuntimeError, AttributeError) as exc:
                detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
                raise UnsupportedCheckpointError(
                    f"{what}: the file's tensors do not describe a supported model ({detail}); "
                    "check that the right file is selected"
                ) from None

        return loader  # type: ignore[return-value]

    return wrap


def load_state_dict(path: str | os.PathLike, device: str | torch.device = "cpu") -> dict[str, torch.Tensor]:
    """Read a weight file (safetensors, or a torch pickle through weights_only=True) → flat dict."""
    from ..fileio import check_input_file

    if isinstance(path, (str, os.PathLike)) and not os.path.lexists(path) and "\x00" not in os.fspath(path):
        raise MissingWeightsError(f"weight file not found: {Path(path)}")
    p = check_input_file(path, "weight file")
    if p.stat().st_size == 0:
        raise UnsupportedCheckpointError(f"weight file is empty: {p}")
    suffix = p.suffix.lower()
    if suffix in PICKLE_SUFFIXES:
        check_pickle_loading_is_safe(p)
        check_torch_archive(p)
    try:
        if suffix in SAFETENSORS_SUFFIXES:
            from safetensors.torch import load_file

            return load_file(str(p), device=str(device))
        if suffix in PICKLE_SUFFIXES:
            obj = torch.load(str(p), map_location=device, weights_only=True)
            return _as_state_dict(obj, p)
    except PavasError:
        raise
    except pickle.UnpicklingError:  # weights_only refused an object: such a file could run code
        raise UnsupportedCheckpointError(
            f"{p.name} holds Python objects besides tensors, which could run code when loaded; refused. "
            "Use a plain state dict or the .safetensors version of the file"
        ) from None
    except Exception as exc:  # a corrupt or truncated file
        detail = str(exc).splitlines()[0][:200] if str(exc).strip() else "unreadable"
        raise UnsupportedCheckpointError(f"cannot read {p.name}: {detail} (damaged or not a weight file)") from None
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
        raise UnsupportedCheckpointError(f"cannot read {p.name}: {str(exc).splitlines()[0][:200]}") from None


def build_and_load_strict(build: Callable[[], torch.nn.Module], path: str | os.PathLike,
                          what: str) -> torch.nn.Module:
    """A module built by `build` (on the meta device: no random init that the file overwrites) with every
    tensor of `path` assigned strictly as fp32; names and shapes checked first, one clear error if they differ.
    (`load_strict` copies into a module that already holds real tensors.)"""
    with torch.device("meta"):
        module = build()
    state = load_state_dict(path)
    check_state_dict({k: v.shape for k, v in module.state_dict().items()}, state, what)
    module.load_state_dict({k: v.float() for k, v in state.items()}, strict=True, assign=True)
    return module


def read_pavas_file_metadata(path: str | os.PathLike, *, key: str, fmt: str, version: int, what: str,
                             how_to_make: str) -> dict[str, Any]:
    """The JSON object a PAVAS-written safetensors file keeps under metadata `key`, checked: a
    .safetensors file, the key present, an object of format `fmt` at `version`. `what` names the
    file in errors ("Phy-Adapter file"); `how_to_make` says how to make a right one."""
    from ..fileio import parse_json

    name = os.path.basename(os.fspath(path))
    if not name.endswith((".safetensors", ".sft")):
        raise UnsupportedCheckpointError(f"a {what} is a .safetensors file, got {name!r}")
    raw = read_safetensors_metadata(path).get(key)
    if raw is None:
        raise UnsupportedCheckpointError(f"{name} is not a {what} (no {key} metadata); {how_to_make}")
    meta = parse_json(raw, f"{what} metadata")
    if not isinstance(meta, dict) or meta.get("format") != fmt:
        raise UnsupportedCheckpointError(f"{name}: not a {fmt} file")
    if meta.get("format_version") != version:
        raise UnsupportedCheckpointError(f"{name}: {what} format version {meta.get('format_version')!r}; "
                                         f"this version reads {version}")
    return meta


def pavas_config(path_or_state_dict: object, model: str) -> dict:
    """The ``pavas_config`` JSON object of a safetensors file's metadata, checked against the
    allow-list of `model` (a key of config_schema.PAVAS_CONFIG_SCHEMAS); {} when there is none."""
    from ..fileio import parse_json
    from ..limits import MAX_JSON_BYTES
    from .config_schema import PAVAS_CONFIG_SCHEMAS, checked

    text = read_safetensors_metadata(path_or_state_dict).get("pavas_config")
    if not text:
        return {}
    name = getattr(path_or_state_dict, "name", None) or Path(os.fspath(path_or_state_dict)).name
    if len(text) > MAX_JSON_BYTES:
        raise UnsupportedCheckpointError(f"{name}: its pavas_config metadata is too large")
    try:
        config = parse_json(text, f"{name}: its pavas_config metadata")
    except BadInputError as exc:
        raise UnsupportedCheckpointError(str(exc)) from None
    return checked(config, PAVAS_CONFIG_SCHEMAS[model], f"{name}: pavas_config")


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
    # weights are floating point: integer tensors would be silently cast (or fail deep inside torch)
    misshaped += [
        f"{k}: file has {str(state_dict[k].dtype).replace('torch.', '')} values, expected floating point"
        for k in expected
        if k in state_dict and isinstance(state_dict[k], torch.Tensor) and not state_dict[k].is_floating_point()
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
