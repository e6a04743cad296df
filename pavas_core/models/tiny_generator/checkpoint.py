"""PAVAS-tiny checkpoint files: safetensors holding every weight (fp32) and, in the metadata, the
config, the training facts and the recipe — loaded strictly, with no pickle anywhere.

Metadata key `pavas_tiny_generator`: {"format", "format_version", "config", "extra"}; `extra`
carries what training recorded (steps, seed, data, loss), shown by `describe_checkpoint`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import torch

from .config import TinyGeneratorConfig
from .model import TinyGenerator

TINY_FORMAT = "pavas_tiny_generator"
TINY_FORMAT_VERSION = 1
METADATA_KEY = "pavas_tiny_generator"


def tiny_metadata(model: TinyGenerator, extra: Mapping[str, Any] | None = None) -> dict[str, str]:
    meta = {"format": TINY_FORMAT, "format_version": TINY_FORMAT_VERSION, "config": model.config.to_json(),
            "extra": dict(extra or {})}
    return {METADATA_KEY: json.dumps(meta)}


def save_tiny_generator(model: TinyGenerator, path: str | os.PathLike, *, extra: Mapping[str, Any] | None = None,
                        inputs: Sequence[str | os.PathLike] = ()) -> None:
    """Write the model (fp32, atomically) with its config in the metadata; `inputs` must not be replaced."""
    from safetensors.torch import save_file

    from ...fileio import atomic_output

    tensors = {k: v.detach().float().contiguous().cpu() for k, v in model.state_dict().items()}
    with atomic_output(path, "PAVAS-tiny checkpoint", inputs=inputs) as tmp:
        save_file(tensors, str(tmp), metadata=tiny_metadata(model, extra))


def read_tiny_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The checkpoint's metadata (format, config, extra), checked; "config" is a TinyGeneratorConfig."""
    from ..checkpoint import read_pavas_file_metadata

    meta = read_pavas_file_metadata(path, key=METADATA_KEY, fmt=TINY_FORMAT, version=TINY_FORMAT_VERSION,
                                    what="PAVAS-tiny checkpoint",
                                    how_to_make="make one with `python -m pavas_core train --config tiny`")
    # every reader gets a checked config (a list or a zero-head network is refused here, once)
    return {**meta, "config": TinyGeneratorConfig.from_json(meta.get("config"))}


def load_tiny_generator(path: str | os.PathLike, *, device: torch.device | str = "cpu") -> TinyGenerator:
    """Build the model its metadata describes and load every tensor strictly; eval mode, no gradients."""
    from ..checkpoint import build_and_load_strict

    config = read_tiny_metadata(path)["config"]
    model = build_and_load_strict(lambda: TinyGenerator(config), path, "PAVAS-tiny")
    return model.to(device).eval().requires_grad_(False)


def training_window_s(path: str | os.PathLike, meta: Mapping[str, Any] | None = None) -> float | None:
    """The window length (s) the checkpoint was trained on, from its metadata (`meta`: already read);
    None when it does not say."""
    meta = read_tiny_metadata(path) if meta is None else meta
    train = (meta.get("extra") or {}).get("train_config") or {}
    value = train.get("duration_s") if isinstance(train, dict) else None
    return float(value) if isinstance(value, (int, float)) and value > 0 else None


@dataclass(eq=False)
class LoadedTiny:
    """A loaded checkpoint with what generation needs to know of it."""

    model: TinyGenerator
    window_s: float | None  # the training window (generation windows are this long)
    description: str
    path: Path


def load_tiny_checkpoint(path: str | os.PathLike, *, device: torch.device | str = "cpu") -> LoadedTiny:
    """The model and what its metadata says, the metadata read once."""
    from ..checkpoint import build_and_load_strict

    meta = read_tiny_metadata(path)
    model = build_and_load_strict(lambda: TinyGenerator(meta["config"]), path, "PAVAS-tiny")
    return LoadedTiny(model.to(device).eval().requires_grad_(False), training_window_s(path, meta),
                      describe_checkpoint(path, meta), Path(path))


def describe_checkpoint(path: str | os.PathLike, meta: Mapping[str, Any] | None = None) -> str:
    meta = read_tiny_metadata(path) if meta is None else meta
    config = meta["config"]
    extra = meta.get("extra") or {}
    steps = extra.get("trained_steps", "?")
    rate = ""
    if config.uses_physics and (config.physics_fps != 8 or config.speed_change):
        rate = f" (physics at {config.physics_fps} fps{', with speed change' if config.speed_change else ''})"
    return f"PAVAS-tiny {config.ablation_name}{rate}, {steps} training steps"


# the checkpoint shipped with the pack (its recipe: the README's PAVAS-tiny section)
SHIPPED_CHECKPOINT = Path(__file__).resolve().parents[3] / "assets" / "models" / "pavas_tiny.safetensors"


def resolve_tiny_checkpoint(path: str | os.PathLike | None) -> Path:
    """The checkpoint to use: `path`, else the shipped one; a one-line error when there is neither."""
    from ...errors import MissingWeightsError

    if path is not None:
        if not Path(path).is_file():
            raise MissingWeightsError(f"PAVAS-tiny checkpoint not found: {path}")
        return Path(path)
    if SHIPPED_CHECKPOINT.is_file():
        return SHIPPED_CHECKPOINT
    raise MissingWeightsError(f"no PAVAS-tiny checkpoint: the pack's {SHIPPED_CHECKPOINT.name} is missing (reinstall "
                              "the pack), or train one with `python -m pavas_core train --config tiny --data DIR "
                              "--out FILE.safetensors` and pass --tiny FILE")
