"""Every node's inputs checked against its own schema when it runs, whatever fed them.

ComfyUI checks a widget's value against its min/max, but not a value that arrives through a link
(a primitive or math node can send NaN, 1e9, or a 20000-pixel size) nor one edited in a workflow
file. So each node's FUNCTION is wrapped once, at pack load, by :func:`enforce_input_schema`: INT
and FLOAT inputs must be finite numbers within the schema's min and max, BOOLEAN a boolean, STRING
text without NUL bytes, and a fixed choice list one of its choices (file lists, named in the
class's ``FILE_INPUTS``, are checked by the node, which knows its folders). A violation is one
BadInputError naming the node and the input; nothing is allocated from the bad value.
"""

from __future__ import annotations

import functools
import inspect
import math
from typing import Any

from ..pavas_core.errors import BadInputError


def _check_number(kind: str, value: Any, options: dict, where: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(value)  # numpy / torch scalars
        except (TypeError, ValueError, OverflowError):
            raise BadInputError(f"{where} must be a number, got {value!r}") from None
    if not math.isfinite(value):
        raise BadInputError(f"{where} must be a finite number, got {value!r}")
    if kind == "INT":
        if value != int(value):
            raise BadInputError(f"{where} must be a whole number, got {value!r}")
        value = int(value)
    low, high = options.get("min"), options.get("max")
    if low is not None and value < low or high is not None and value > high:
        raise BadInputError(f"{where} must be between {low} and {high}, got {value!r}")
    return value


def check_input(node_name: str, name: str, spec: Any, value: Any, file_inputs: tuple[str, ...] = ()) -> Any:
    """`value` checked against one INPUT_TYPES entry `spec` (returned, with integral floats as int)."""
    if value is None or not isinstance(spec, (tuple, list)) or not spec:
        return value
    kind = spec[0]
    options = spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}
    where = f"{node_name}: input '{name}'"
    if kind in ("INT", "FLOAT"):
        return _check_number(kind, value, options, where)
    if kind == "BOOLEAN":
        if not isinstance(value, bool):
            raise BadInputError(f"{where} must be true or false, got {value!r}")
        return value
    if kind == "STRING" or isinstance(kind, (list, tuple)):
        if isinstance(value, str) and "\x00" in value:
            raise BadInputError(f"{where} contains a NUL byte")
    if kind == "STRING" and not isinstance(value, str):
        raise BadInputError(f"{where} must be text, got {type(value).__name__}")
    if isinstance(kind, (list, tuple)):
        if name in file_inputs:
            if not isinstance(value, str):
                raise BadInputError(f"{where} must be a file name, got {type(value).__name__}")
        elif value not in kind:
            raise BadInputError(f"{where} must be one of {', '.join(str(c) for c in kind)}, got {value!r}")
    return value


def enforce_input_schema(cls: type) -> type:
    """Wrap `cls.FUNCTION` so that every call first checks its inputs against `cls.INPUT_TYPES()`."""
    function_name = getattr(cls, "FUNCTION", None)
    original = getattr(cls, function_name, None) if function_name else None
    if original is None or getattr(original, "_pavas_checked", False):
        return cls
    signature = inspect.signature(original)
    node_name = getattr(cls, "__name__", "node")

    @functools.wraps(original)
    def checked(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        schema = cls.INPUT_TYPES()
        specs = {**schema.get("required", {}), **schema.get("optional", {})}
        file_inputs = tuple(getattr(cls, "FILE_INPUTS", ()))
        for name, value in list(bound.arguments.items()):
            if name in specs:
                bound.arguments[name] = check_input(node_name, name, specs[name], value, file_inputs)
        return original(*bound.args, **bound.kwargs)

    checked._pavas_checked = True  # type: ignore[attr-defined]
    setattr(cls, function_name, checked)
    return cls
