"""Allow-lists for the configuration a weight file (or the config.json beside it) may carry.

A checkpoint's metadata can only choose *shapes* among known keys and bounded values: open_clip
accepts options that fetch towers from a hub (``timm_model_pretrained``, ``hf_model_name``, ...)
and a stray value can divide by zero (``num_heads: 0``). So every configuration read from a file
goes through :func:`checked`, which keeps the keys a schema names, checks each value's type and
range, and refuses the rest with one :class:`UnsupportedCheckpointError` line. A schema maps a key
to a nested schema (a JSON object) or to a value rule (:class:`Int`, :class:`Number`, :class:`Flag`,
:class:`Text`, :class:`OneOf`, :class:`IntList`, :class:`IntListList`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from ..errors import UnsupportedCheckpointError


@dataclass(frozen=True)
class Int:
    low: int
    high: int

    def check(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not self.low <= value <= self.high:
            raise ValueError(f"a whole number from {self.low} to {self.high}")
        return value


@dataclass(frozen=True)
class Number:
    low: float
    high: float

    def check(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or not self.low <= value <= self.high:
            raise ValueError(f"a number from {self.low:g} to {self.high:g}")
        return value


@dataclass(frozen=True)
class Flag:
    def check(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise ValueError("true or false")
        return value


@dataclass(frozen=True)
class Text:
    choices: tuple[str, ...]

    def check(self, value: Any) -> str:
        if not isinstance(value, str) or value not in self.choices:
            raise ValueError(f"one of {', '.join(self.choices)}")
        return value


@dataclass(frozen=True)
class OneOf:
    choices: tuple

    def check(self, value: Any) -> Any:
        if isinstance(value, bool) or value not in self.choices:
            raise ValueError(f"one of {', '.join(repr(c) for c in self.choices)}")
        return value


@dataclass(frozen=True)
class IntList:
    item: Int
    max_length: int = 16

    def check(self, value: Any) -> list[int]:
        if not isinstance(value, list) or not 1 <= len(value) <= self.max_length:
            raise ValueError(f"a list of 1 to {self.max_length} whole numbers")
        return [self.item.check(v) for v in value]


@dataclass(frozen=True)
class IntListList:
    item: IntList
    max_length: int = 16

    def check(self, value: Any) -> list[list[int]]:
        if not isinstance(value, list) or not 1 <= len(value) <= self.max_length:
            raise ValueError(f"a list of 1 to {self.max_length} lists")
        return [self.item.check(v) for v in value]


def checked(config: Any, schema: Mapping[str, Any], what: str, *, unknown: str = "refuse") -> dict:
    """`config` with every key the schema names checked; other keys refused (``unknown="refuse"``,
    for metadata that could otherwise steer a library) or dropped (``unknown="ignore"``, for
    config.json files that carry training settings we do not use)."""
    return _checked(config, schema, what, unknown)


def _checked(config: Any, schema: Mapping[str, Any], where: str, unknown: str) -> dict:
    if not isinstance(config, dict):
        raise UnsupportedCheckpointError(f"{where} must be a JSON object, got {type(config).__name__}")
    out: dict = {}
    for key, value in config.items():
        rule = schema.get(key) if isinstance(key, str) else None
        if rule is None:
            if unknown == "ignore":
                continue
            allowed = ", ".join(sorted(schema))
            raise UnsupportedCheckpointError(
                f"{where}: key {key!r} is not allowed (a weight file may only set: {allowed}); "
                "use a file without it"
            )
        if isinstance(rule, Mapping):
            out[key] = _checked(value, rule, f"{where}.{key}", unknown)
            continue
        try:
            out[key] = rule.check(value)
        except ValueError as exc:
            raise UnsupportedCheckpointError(f"{where}.{key} must be {exc}, got {value!r}") from None
    return out


_WIDTH = Int(1, 16384)
_LAYERS = Int(1, 256)
_PATCH = Int(1, 1024)

# open_clip architecture a safetensors file may describe (the bundled ViT configs use these keys):
# sizes only; no tower from timm or Hugging Face, no pretrained tags, no tokenizer names.
OPEN_CLIP_SCHEMA: dict[str, Any] = {
    "embed_dim": _WIDTH,
    "quick_gelu": Flag(),
    "vision_cfg": {
        "image_size": Int(1, 4096), "layers": _LAYERS, "width": _WIDTH, "head_width": _WIDTH,
        "patch_size": _PATCH, "mlp_ratio": Number(0.25, 16.0),
    },
    "text_cfg": {
        "context_length": Int(1, 4096), "vocab_size": Int(1, 1_000_000), "width": _WIDTH,
        "heads": Int(1, 1024), "layers": _LAYERS, "mlp_ratio": Number(0.25, 16.0),
    },
}

# What each model's `pavas_config` metadata may hold.
PAVAS_CONFIG_SCHEMAS: dict[str, dict[str, Any]] = {
    "clip": {"open_clip": OPEN_CLIP_SCHEMA},
    "synchformer": {"num_heads": Int(1, 1024)},
}

# The keys of BigVGAN's config.json the loader reads (the file also holds training settings).
BIGVGAN_CONFIG_SCHEMA: dict[str, Any] = {
    "num_mels": Int(1, 1024),
    "upsample_initial_channel": Int(1, 16384),
    "upsample_rates": IntList(Int(1, 64)),
    "upsample_kernel_sizes": IntList(Int(1, 256)),
    "resblock_kernel_sizes": IntList(Int(1, 256)),
    "resblock_dilation_sizes": IntListList(IntList(Int(1, 1024))),
    "resblock": OneOf(("1", "2", 1, 2)),
    "activation": Text(("snake", "snakebeta")),
    "snake_logscale": Flag(),
    "use_bias_at_final": Flag(),
    "use_tanh_at_final": Flag(),
    "hop_size": Int(1, 65536),
    "sampling_rate": Int(1000, 384_000),
}
