"""TEST HELPER: convert UI-format workflows to API format and execute them through node classes.

Mirrors the rules of ComfyUI's frontend (graphToPrompt) that the acceptance harness's converter
also follows: widgets take `widgets_values` slots in input order (required, then optional); an
INT with `control_after_generate` (implicit for inputs named seed/noise_seed) is followed by one
extra value; a COMBO with image/video upload gets an extra "upload" slot after the inputs; links
are resolved by input name; muted (mode 2) nodes are dropped, Note nodes ignored.
Execution validates like ComfyUI (required inputs, combo membership, INT/FLOAT bounds) and runs
nodes in topological order. Not a product feature.
"""

from __future__ import annotations

from collections import deque
from typing import Any

WIDGET_TYPES = {"INT", "FLOAT", "BOOLEAN", "STRING", "COMBO"}  # "COMBO": V3 nodes' combos in /object_info
VIRTUAL_NODES = {"Note", "MarkdownNote"}
MODE_MUTED = 2


class WorkflowError(Exception):
    pass


def _spec(spec) -> tuple[Any, dict]:
    kind = spec[0]
    opts = spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}
    return kind, opts


def is_widget(spec) -> bool:
    kind, opts = _spec(spec)
    return (isinstance(kind, list) or kind in WIDGET_TYPES) and not opts.get("forceInput")


def widget_layout(node_class_or_inputs) -> list[tuple[str, bool]]:
    """[(name, is_server_input)] in widgets_values order, from a node class or the `input` dict of
    its /object_info entry (same structure; dict order is the input order)."""
    if isinstance(node_class_or_inputs, dict):
        types_ = node_class_or_inputs
    else:
        types_ = node_class_or_inputs.INPUT_TYPES()
    required, optional = types_.get("required", {}), types_.get("optional", {})
    layout: list[tuple[str, bool]] = []
    upload = False
    for section in (required, optional):
        for name, spec in section.items():
            if not is_widget(spec):
                continue
            kind, opts = _spec(spec)
            layout.append((name, True))
            if kind == "INT" and opts.get("control_after_generate", name in ("seed", "noise_seed")):
                layout.append(("control_after_generate", False))
            is_combo = isinstance(kind, list) or kind == "COMBO"
            if is_combo and section is required and (opts.get("video_upload") or opts.get("image_upload")):
                upload = True
    if upload:
        layout.append(("upload", False))
    return layout


def ui_to_api(workflow: dict, classes: dict) -> dict[str, dict]:
    """classes: node type → node class, or → its /object_info `input` dict (real server)."""
    nodes = {str(n["id"]): n for n in workflow["nodes"]}
    links = {link[0]: (str(link[1]), link[2]) for link in workflow["links"]}
    api: dict[str, dict] = {}
    for nid, node in nodes.items():
        kind = node["type"]
        if kind in VIRTUAL_NODES or node.get("mode", 0) == MODE_MUTED:
            continue
        if kind not in classes:
            raise WorkflowError(f"node {nid}: unknown node type {kind!r}")
        inputs: dict[str, Any] = {}
        values = list(node.get("widgets_values") or [])
        layout = widget_layout(classes[kind])
        if len(values) > len(layout):
            raise WorkflowError(f"node {nid} ({kind}): {len(values)} widget values for {len(layout)} widgets {layout}")
        for (name, is_server), value in zip(layout, values):
            if is_server:
                inputs[name] = value
        for slot in node.get("inputs") or []:
            if slot.get("link") is None:
                continue
            origin, origin_slot = links[slot["link"]]
            if nodes[origin].get("mode", 0) == MODE_MUTED:
                continue
            inputs[(slot.get("widget") or {}).get("name") or slot["name"]] = [origin, origin_slot]
        api[nid] = {"class_type": kind, "inputs": inputs}
    return api


def _validate_value(nid: str, kind: str, name: str, spec, value) -> None:
    t, opts = _spec(spec)
    where = f"node {nid} ({kind}) input {name!r}"
    if isinstance(t, list) or t == "COMBO":
        options = t if isinstance(t, list) else opts.get("options", [])
        if value not in options:
            raise WorkflowError(f"{where}: {value!r} is not one of {options}")
    elif t in ("INT", "FLOAT"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (t == "INT" and not isinstance(value, int)):
            raise WorkflowError(f"{where}: {value!r} is not a {t}")
        if "min" in opts and value < opts["min"] or "max" in opts and value > opts["max"]:
            raise WorkflowError(f"{where}: {value!r} outside [{opts.get('min')}, {opts.get('max')}]")
    elif t == "BOOLEAN" and not isinstance(value, bool):
        raise WorkflowError(f"{where}: {value!r} is not a BOOLEAN")
    elif t == "STRING" and not isinstance(value, str):
        raise WorkflowError(f"{where}: {value!r} is not a STRING")


def validate(api: dict, classes: dict[str, type]) -> None:
    """Like ComfyUI: inputs a VALIDATE_INPUTS method names are checked by it instead of the list/bounds."""
    import inspect

    for nid, node in api.items():
        cls = classes[node["class_type"]]
        types_ = cls.INPUT_TYPES()
        custom = getattr(cls, "VALIDATE_INPUTS", None)
        custom_args = [a for a in inspect.signature(custom).parameters] if custom else []
        if custom:
            verdict = custom(**{a: node["inputs"][a] for a in custom_args})
            if verdict is not True:
                raise WorkflowError(f"node {nid} ({node['class_type']}): {verdict}")
        for section in ("required", "optional"):
            for name, spec in types_.get(section, {}).items():
                value = node["inputs"].get(name)
                if value is None:
                    if section == "required":
                        raise WorkflowError(f"node {nid} ({node['class_type']}): required input {name!r} missing")
                    continue
                if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str):
                    origin = api.get(value[0])
                    if origin is None:
                        raise WorkflowError(f"node {nid}: input {name!r} links to missing node {value[0]}")
                    out_type = classes[origin["class_type"]].RETURN_TYPES[value[1]]
                    in_type = _spec(spec)[0]
                    expected = "COMBO" if isinstance(in_type, list) else in_type
                    if out_type != expected and "*" not in (out_type, expected):
                        raise WorkflowError(f"node {nid}: input {name!r} wants {expected}, linked to {out_type}")
                    continue
                if name not in custom_args:
                    _validate_value(nid, node["class_type"], name, spec, value)


def topological_order(api: dict) -> list[str]:
    deps = {nid: {v[0] for v in n["inputs"].values() if isinstance(v, list) and len(v) == 2 and isinstance(v[0], str)}
            for nid, n in api.items()}
    ready = deque(sorted((nid for nid, d in deps.items() if not d), key=int))
    order: list[str] = []
    remaining = {nid: set(d) for nid, d in deps.items()}
    while ready:
        nid = ready.popleft()
        order.append(nid)
        for other, d in remaining.items():
            if nid in d:
                d.discard(nid)
                if not d and other not in order and other not in ready:
                    ready.append(other)
    if len(order) != len(api):
        raise WorkflowError("the graph has a cycle")
    return order


def execute(api: dict, classes: dict[str, type]) -> dict[str, dict]:
    """Run every node; returns {node_id: {"result": tuple, "ui": dict}}."""
    validate(api, classes)
    results: dict[str, dict] = {}
    for nid in topological_order(api):
        node = api[nid]
        cls = classes[node["class_type"]]
        kwargs = {}
        for name, value in node["inputs"].items():
            if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str):
                value = results[value[0]]["result"][value[1]]
            kwargs[name] = value
        out = getattr(cls(), cls.FUNCTION)(**kwargs)
        if isinstance(out, dict):
            results[nid] = {"result": tuple(out.get("result", ())), "ui": out.get("ui", {})}
        else:
            results[nid] = {"result": tuple(out), "ui": {}}
    return results
