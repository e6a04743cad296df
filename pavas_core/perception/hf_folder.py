"""Model folders in the transformers layout (config.json, weights, processor files), read offline.

A folder is what users download from a model hub into ComfyUI/models/LLM/<name>. Only transformers'
own (native) model classes are used: code shipped inside a folder runs only when the user switches
`trust_remote_code` on, and nothing is ever fetched from the network.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..errors import BadInputError, MissingWeightsError, UnsupportedCheckpointError

MAX_CONFIG_BYTES = 1 << 20  # a config.json is a few kB; a larger one is not a config


def read_folder_config(folder: str | os.PathLike) -> dict[str, Any]:
    """config.json of a model folder, or MissingWeightsError naming what is missing."""
    path = Path(folder)
    if not path.is_dir():
        raise MissingWeightsError(f"model folder not found: {path} (expected a folder with config.json and weights)")
    config = path / "config.json"
    if not config.is_file():
        raise MissingWeightsError(f"{path.name}: no config.json in the folder; download the whole model folder")
    if config.stat().st_size > MAX_CONFIG_BYTES:
        raise UnsupportedCheckpointError(f"{path.name}: config.json is larger than {MAX_CONFIG_BYTES} bytes")
    try:
        value = json.loads(config.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise UnsupportedCheckpointError(f"{path.name}: config.json is not valid JSON") from None
    if not isinstance(value, dict):
        raise UnsupportedCheckpointError(f"{path.name}: config.json is not a JSON object")
    return value


def model_type(folder: str | os.PathLike) -> str:
    value = read_folder_config(folder).get("model_type")
    return value if isinstance(value, str) else ""


def check_transformers(what: str) -> Any:
    """The transformers module, or BadInputError saying how to install it."""
    try:
        import transformers
    except ImportError:
        raise BadInputError(f"{what} needs the 'transformers' package: pip install -r requirements.txt") from None
    return transformers


def offline_kwargs(trust_remote_code: bool) -> dict[str, Any]:
    """from_pretrained arguments that keep loading on this machine."""
    return {"local_files_only": True, "trust_remote_code": bool(trust_remote_code)}


def load_failed(folder: str | os.PathLike, what: str, exc: BaseException) -> UnsupportedCheckpointError:
    detail = str(exc).strip().splitlines()[0][:240] if str(exc).strip() else type(exc).__name__
    if "ignore_mismatched_sizes" in detail:  # transformers' own words point at a report it only logs
        detail = "its weight files hold tensors of other shapes than its config.json describes"
    return UnsupportedCheckpointError(f"{Path(folder).name}: cannot load it as {what} ({detail})")


_INTEGER_DTYPES = ("I8", "U8", "I16", "U16", "I32", "U32", "I64", "U64", "BOOL")


def check_weight_dtypes(folder: str | os.PathLike, what: str) -> None:
    """Refuse a folder whose safetensors weights (a `.weight` or `.bias`) hold integers: transformers
    would cast them into the model's floating-point parameters without a word. A quantized folder
    (config.json's quantization_config) stores integer weights on purpose and is left alone."""
    path = Path(folder)
    if "quantization_config" in read_folder_config(path):
        return
    from safetensors import safe_open

    for weights in sorted(path.glob("*.safetensors")):
        try:
            with safe_open(str(weights), framework="pt") as handle:
                bad = [k for k in handle.keys() if k.endswith((".weight", ".bias"))
                       and handle.get_slice(k).get_dtype() in _INTEGER_DTYPES]
        except Exception as exc:  # a damaged file: transformers' own error says more later
            raise load_failed(path, what, exc) from None
        if bad:
            raise UnsupportedCheckpointError(
                f"{path.name}: {weights.name} holds integer tensors where {what} has floating-point weights "
                f"(e.g. {bad[0]}); the file is damaged or not this model's")

