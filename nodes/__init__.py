"""ComfyUI adapters of the PAVAS library: one module per pipeline stage, no maths here.

Each node module is imported on its own: if one fails (a broken optional dependency), its nodes
are left out and the error is logged, and the rest of the pack still loads. Every node's inputs
are checked against its own schema when it runs (_validate.enforce_input_schema), so a value that
arrives through a link obeys the same min/max as the widget.
"""

from __future__ import annotations

import importlib

from ._comfy import log
from ._validate import enforce_input_schema

NODE_MODULES = ("video_nodes", "physics_nodes", "physics_stage_nodes", "perception_nodes", "geometry_nodes",
                "audio_nodes", "mmaudio_nodes", "phy_adapter_nodes", "tiny_nodes")

NODE_CLASS_MAPPINGS: dict[str, type] = {}
NODE_DISPLAY_NAME_MAPPINGS: dict[str, str] = {}
FAILED_MODULES: dict[str, str] = {}  # module → one-line reason, for the startup log and tests

for _name in NODE_MODULES:
    try:
        _module = importlib.import_module(f".{_name}", __name__)
    except Exception as _exc:  # keep the other nodes: one broken module must not hide the pack
        FAILED_MODULES[_name] = f"{type(_exc).__name__}: {_exc}"
        log.error("PAVAS: nodes in %s are unavailable (%s)", _name, FAILED_MODULES[_name])
        continue
    for _cls in _module.NODE_CLASS_MAPPINGS.values():
        enforce_input_schema(_cls)
    NODE_CLASS_MAPPINGS.update(_module.NODE_CLASS_MAPPINGS)
    NODE_DISPLAY_NAME_MAPPINGS.update(_module.NODE_DISPLAY_NAME_MAPPINGS)
