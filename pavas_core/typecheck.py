"""Checking a dataclass built from untrusted data (JSON, a ComfyUI link) against its annotations.

One rule for every bundle read from outside: each field must hold what its annotation says
(``float``, ``int``, ``str``, ``bool``, ``None``, ``list[...]``, ``dict[str, ...]``, unions, nested
dataclasses; ``Any`` holds anything). A wrong type is one BadInputError that names the field by
its path (``objects[2].impacts[0].time_s``), instead of a TypeError deep inside a consumer.
Numbers are ints or floats, never bools; an int is accepted where a float is expected.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from functools import lru_cache
from typing import Any, Union

from .errors import BadInputError


@lru_cache(maxsize=None)
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _describe(tp: Any) -> str:
    if tp is float:
        return "a number"
    if tp is int:
        return "a whole number"
    if tp is str:
        return "text"
    if tp is bool:
        return "true or false"
    if tp is type(None):
        return "null"
    origin = typing.get_origin(tp)
    if origin in (list, tuple):
        return "a list"
    if origin is dict:
        return "an object"
    if origin in (Union, types.UnionType):
        return " or ".join(_describe(a) for a in typing.get_args(tp))
    if dataclasses.is_dataclass(tp):
        return f"a {tp.__name__}"
    return str(tp)


def _matches_scalar(value: Any, tp: Any) -> bool:
    if tp is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is type(None):
        return value is None
    return isinstance(value, tp)


def check_types(value: Any, tp: Any, where: str) -> None:
    """Raise BadInputError when `value` does not hold what the annotation `tp` says.

    Walks with an explicit stack (no recursion), so a long per-frame list costs no stack depth.
    """
    stack = [(value, tp, where)]
    while stack:
        item, kind, path = stack.pop()
        if kind is Any:
            continue
        origin = typing.get_origin(kind)
        if origin in (Union, types.UnionType):
            options = typing.get_args(kind)
            # a None or a scalar settles the union at once; containers take the first container option
            if item is None and type(None) in options:
                continue
            scalar = [o for o in options if typing.get_origin(o) is None and not dataclasses.is_dataclass(o)]
            if any(_matches_scalar(item, o) for o in scalar if o is not type(None)):
                continue
            container = [o for o in options if o not in scalar]
            chosen = next((o for o in container if _container_matches(item, o)), None)
            if chosen is None:
                raise BadInputError(f"{path} must be {_describe(kind)}, got {_show(item)}")
            stack.append((item, chosen, path))
            continue
        if origin in (list, tuple):
            if not isinstance(item, (list, tuple)):
                raise BadInputError(f"{path} must be a list, got {_show(item)}")
            args = typing.get_args(kind)
            inner = args[0] if args else Any
            scalars = _scalar_options(inner)
            if scalars is not None and all(any(_matches_scalar(e, o) for o in scalars) for e in item):
                continue  # fast path for long per-frame lists of numbers
            if inner is not Any:
                stack.extend((element, inner, f"{path}[{i}]") for i, element in enumerate(item))
            continue
        if origin is dict:
            if not isinstance(item, dict):
                raise BadInputError(f"{path} must be an object, got {_show(item)}")
            key_type, value_type = (typing.get_args(kind) or (Any, Any))
            for key, element in item.items():
                if key_type is str and not isinstance(key, str):
                    raise BadInputError(f"{path} has a key that is not text: {key!r}")
                if value_type is not Any:
                    stack.append((element, value_type, f"{path}.{key}"))
            continue
        if dataclasses.is_dataclass(kind):
            if not isinstance(item, kind):
                raise BadInputError(f"{path} must be {_describe(kind)}, got {_show(item)}")
            hints = _hints(kind)
            for f in dataclasses.fields(kind):
                stack.append((getattr(item, f.name), hints[f.name], f"{path}.{f.name}" if path else f.name))
            continue
        if not _matches_scalar(item, kind):
            raise BadInputError(f"{path} must be {_describe(kind)}, got {_show(item)}")


@lru_cache(maxsize=None)
def _scalar_options(tp: Any) -> tuple | None:
    """The types of a scalar annotation or a union of scalars (None for anything else)."""
    if typing.get_origin(tp) in (Union, types.UnionType):
        options = typing.get_args(tp)
    else:
        options = (tp,)
    if all(o in (float, int, str, bool, type(None)) for o in options):
        return options
    return None


def _container_matches(item: Any, tp: Any) -> bool:
    origin = typing.get_origin(tp)
    if origin in (list, tuple):
        return isinstance(item, (list, tuple))
    if origin is dict:
        return isinstance(item, dict)
    if dataclasses.is_dataclass(tp):
        return isinstance(item, tp)
    return False


def check_dataclass(obj: Any, what: str) -> None:
    """Check every field of the dataclass instance `obj` (nested dataclasses too)."""
    hints = _hints(type(obj))
    for f in dataclasses.fields(obj):
        check_types(getattr(obj, f.name), hints[f.name], f"{what}: {f.name}")


def _show(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"
