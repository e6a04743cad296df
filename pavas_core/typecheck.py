"""Checking a dataclass built from untrusted data (JSON, a ComfyUI link) against its annotations.

One rule for every bundle read from outside: each field must hold what its annotation says
(``float``, ``int``, ``str``, ``bool``, ``None``, ``list[...]``, ``dict[str, ...]``, unions, nested
dataclasses; ``Any`` holds anything). A wrong type is one BadInputError that names the field by
its path (``objects[2].impacts[0].time_s``), instead of a TypeError deep inside a consumer.
Numbers are ints or floats, never bools; an int is accepted where a float is expected.

Each annotation is compiled once into a checker; the happy path costs one call per value, and the
path of a mismatch is assembled only when there is one. Recursion follows the annotations (a few
levels), never the data.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from functools import lru_cache
from typing import Any, Callable, Union

from .errors import BadInputError

Checker = Callable[[Any], None]
_SCALARS = (float, int, str, bool, type(None))


class _Mismatch(Exception):
    """Internal: a value does not match; `parts` collects the path while unwinding."""

    def __init__(self, expected: str, value: Any) -> None:
        super().__init__(expected)
        self.expected, self.value, self.parts = expected, value, []


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


def _no_check(value: Any) -> None:
    return None


def _scalar_checker(options: tuple, description: str) -> Checker:
    # exact types that match at once (bool is an int subclass: never a number here)
    fast = {o for o in options if o is not bool} | ({int} if float in options else set())
    if bool in options:
        fast.add(bool)

    def check(value: Any) -> None:
        if type(value) in fast:
            return
        if not any(_matches_scalar(value, o) for o in options):
            raise _Mismatch(description, value)

    return check


@lru_cache(maxsize=None)
def _compile(tp: Any) -> Checker:
    if tp is Any:
        return _no_check
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType) or tp in _SCALARS:
        options = typing.get_args(tp) if origin is not None else (tp,)
        scalars = tuple(o for o in options if o in _SCALARS)
        containers = [(o, _compile(o)) for o in options if o not in _SCALARS]
        scalar_check = _scalar_checker(scalars, _describe(tp)) if scalars else None
        if not containers:
            return scalar_check
        description = _describe(tp)

        def check_union(value: Any) -> None:
            if scalar_check is not None:
                try:
                    scalar_check(value)
                    return
                except _Mismatch:
                    pass
            for option, checker in containers:
                if _container_matches(value, option):
                    checker(value)
                    return
            raise _Mismatch(description, value)

        return check_union
    if origin in (list, tuple):
        args = typing.get_args(tp)
        inner = _compile(args[0]) if args else _no_check

        def check_list(value: Any) -> None:
            if not isinstance(value, (list, tuple)):
                raise _Mismatch("a list", value)
            if inner is _no_check:
                return
            for index, element in enumerate(value):
                try:
                    inner(element)
                except _Mismatch as mismatch:
                    mismatch.parts.append(f"[{index}]")
                    raise

        return check_list
    if origin is dict:
        key_type, value_type = typing.get_args(tp) or (Any, Any)
        inner = _compile(value_type)

        def check_dict(value: Any) -> None:
            if not isinstance(value, dict):
                raise _Mismatch("an object", value)
            for key, element in value.items():
                if key_type is str and not isinstance(key, str):
                    raise _Mismatch("an object with text keys", value)
                try:
                    inner(element)
                except _Mismatch as mismatch:
                    mismatch.parts.append(f".{key}")
                    raise

        return check_dict
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        fields = [(f.name, _compile(hints[f.name])) for f in dataclasses.fields(tp)]
        description = _describe(tp)

        def check_dataclass_value(value: Any) -> None:
            if not isinstance(value, tp):
                raise _Mismatch(description, value)
            for name, checker in fields:
                try:
                    checker(getattr(value, name))
                except _Mismatch as mismatch:
                    mismatch.parts.append(f".{name}")
                    raise

        return check_dataclass_value
    description = _describe(tp)

    def check_other(value: Any) -> None:
        if not isinstance(value, tp):
            raise _Mismatch(description, value)

    return check_other


def _container_matches(item: Any, tp: Any) -> bool:
    origin = typing.get_origin(tp)
    if origin in (list, tuple):
        return isinstance(item, (list, tuple))
    if origin is dict:
        return isinstance(item, dict)
    if dataclasses.is_dataclass(tp):
        return isinstance(item, tp)
    return False


def check_types(value: Any, tp: Any, where: str) -> None:
    """Raise BadInputError when `value` does not hold what the annotation `tp` says."""
    try:
        _compile(tp)(value)
    except _Mismatch as mismatch:
        path = where + "".join(reversed(mismatch.parts))
        raise BadInputError(f"{path} must be {mismatch.expected}, got {_show(mismatch.value)}") from None


def check_dataclass(obj: Any, what: str) -> None:
    """Check every field of the dataclass instance `obj` (nested dataclasses too): errors read
    "<what>: objects[0].mass_kg must be a number, got 'heavy' (str)"."""
    try:
        _compile(type(obj))(obj)
    except _Mismatch as mismatch:
        path = "".join(reversed(mismatch.parts)).lstrip(".")
        raise BadInputError(f"{what}: {path} must be {mismatch.expected}, got {_show(mismatch.value)}") from None


def _show(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"
