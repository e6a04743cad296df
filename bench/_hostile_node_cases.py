"""Node cases of the bad-input matrix for the staged physics, geometry, perception and Phy-Adapter
nodes, and the sweep that every node of the pack gets from its own INPUT_TYPES (a NaN in each number,
a NUL byte in each text, a value that is not a choice, a string in every link). Used by
bench/hostile_inputs.py's node worker; `env` carries its helpers (node, clip, tracks, ...).
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any, Callable

SOCKET_STAND_IN = "not what a link carries"
WIDGET_KINDS = ("INT", "FLOAT", "STRING", "BOOLEAN")


def _widgets(cls) -> tuple[dict[str, Any], dict[str, Any]]:
    """(required specs, a call's keyword arguments with each widget at its default and a string in
    each link)."""
    specs = cls.INPUT_TYPES().get("required", {})
    kwargs: dict[str, Any] = {}
    for name, spec in specs.items():
        kind = spec[0]
        options = spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}
        if isinstance(kind, (list, tuple)):
            kwargs[name] = options.get("default", kind[0] if kind else "")
        elif kind in ("INT", "FLOAT"):
            kwargs[name] = options.get("default", options.get("min", 0))
        elif kind == "STRING":
            kwargs[name] = options.get("default", "")
        elif kind == "BOOLEAN":
            kwargs[name] = options.get("default", False)
        else:
            kwargs[name] = SOCKET_STAND_IN
    return specs, kwargs


def sweep_cases(add: Callable, nodes: dict[str, type]) -> None:
    """Every node, from its schema: each number NaN, each text with a NUL byte, each fixed choice
    out of its list, every link a string. Each must be a one-line node error."""
    for node_id, cls in sorted(nodes.items()):
        specs, base = _widgets(cls)
        call = lambda kwargs, cls=cls: getattr(cls(), cls.FUNCTION)(**kwargs)  # noqa: E731
        file_inputs = tuple(getattr(cls, "FILE_INPUTS", ()))
        for name, spec in specs.items():
            kind = spec[0]
            if kind in ("INT", "FLOAT"):
                add(5, node_id, f"sweep: {name} NaN", "error", lambda k=dict(base, **{name: float("nan")}), call=call: call(k))
                add(5, node_id, f"sweep: {name} 1e300", "error", lambda k=dict(base, **{name: 1e300}), call=call: call(k))
            elif kind == "STRING":
                add(5, node_id, f"sweep: {name} with a NUL byte", "error", lambda k=dict(base, **{name: "a\x00b"}), call=call: call(k))
            elif kind == "BOOLEAN":
                add(5, node_id, f"sweep: {name} a string", "error", lambda k=dict(base, **{name: "yes"}), call=call: call(k))
            elif isinstance(kind, (list, tuple)) and name not in file_inputs:
                add(5, node_id, f"sweep: {name} not a choice", "error", lambda k=dict(base, **{name: "\u2603"}), call=call: call(k))
        if any(v == SOCKET_STAND_IN for v in base.values()):
            add(5, node_id, "sweep: a string in every link", "error", lambda k=dict(base), call=call: call(k))


def learned_node_cases(add: Callable, env: SimpleNamespace) -> None:
    """Cases for the stage, geometry, perception and Phy-Adapter nodes."""
    import numpy as np
    import torch

    node, models, learned = env.node, env.models, env.learned
    cache: dict[str, Any] = {}

    def clip():
        if "clip" not in cache:
            cache["clip"] = node("PAVAS_LoadVideo").load(video=env.rel["ok"], max_side=512, force_fps=0.0, start_s=0.0,
                                                         max_duration_s=0.0)[3]
        return cache["clip"]

    def chain(names="ball"):
        key = f"chain:{names}"
        if key not in cache:
            objects, _ = node("PAVAS_MovingObjects").discover(clip(), "motion", names, 4, 320)["result"]
            masks, _ = node("PAVAS_ObjectMasks").observe(objects, "motion", -1)
            (geometry,) = node("PAVAS_MetricGeometry").measure(objects, masks, "gravity", 0.0, 0.0, 0.0)
            (mass,) = node("PAVAS_ObjectMass").weigh(objects, geometry, "prior", 0.0, "estimate")
            cache[key] = (objects, masks, geometry, mass)
        return cache[key]

    def other_chain():
        """A second chain on another clip (a different 'Moving Objects')."""
        if "other" not in cache:
            other = node("PAVAS_LoadVideo").load(video=env.rel["colon"], max_side=512, force_fps=0.0, start_s=0.0,
                                                 max_duration_s=0.0)[3]
            objects, _ = node("PAVAS_MovingObjects").discover(other, "motion", "a, b, c", 4, 320)["result"]
            masks, _ = node("PAVAS_ObjectMasks").observe(objects, "motion", -1)
            (geometry,) = node("PAVAS_MetricGeometry").measure(objects, masks, "gravity", 0.0, 0.0, 0.0)
            (mass,) = node("PAVAS_ObjectMass").weigh(objects, geometry, "prior", 0.0, "estimate")
            cache["other"] = (objects, masks, geometry, mass)
        return cache["other"]

    def frames() -> int:
        return int(chain()[0].require_context().num_frames)

    # --- staged physics ----------------------------------------------------------------------------
    add(5, "PAVAS_MovingObjects", "the whole chain on a valid clip", "ok",
        lambda: node("PAVAS_AssemblePhysics").assemble(*chain()), quick_case=True)
    add(5, "PAVAS_MovingObjects", "clip is a PAVAS_PHYSICS", "error",
        lambda: node("PAVAS_MovingObjects").discover(env.tracks(), "motion", "", 4, 320))
    add(5, "PAVAS_MovingObjects", "a 2x2 clip", "error",
        lambda: node("PAVAS_MovingObjects").discover(env.clip(frames=12, size=(2, 2)), "motion", "", 4, 320))
    add(5, "PAVAS_MovingObjects", "100000 object names", "ok",
        lambda: node("PAVAS_MovingObjects").discover(clip(), "motion", ", ".join(["ball"] * 100_000), 4, 320))
    # a learned backend without its model falls back to the weight-free one, said in the warnings
    add(5, "PAVAS_MovingObjects", "backend vlm without a model", "any",
        lambda: node("PAVAS_MovingObjects").discover(clip(), "vlm", "", 4, 320))
    add(5, "PAVAS_MovingObjects", "backend vlm_text without an answer", "any",
        lambda: node("PAVAS_MovingObjects").discover(clip(), "vlm_text", "", 4, 320))
    obs = lambda masks=None, boxes=None, backend="motion": node("PAVAS_ObjectMasks").observe(  # noqa: E731
        chain()[0], backend, -1, masks=masks, boxes=boxes)
    for label, make in (
        ("MASK of NaN", lambda: torch.full((frames(), 48, 64), float("nan"))),
        ("MASK of rank 2", lambda: torch.ones(48, 64)),
        ("MASK of rank 5", lambda: torch.ones(1, 1, frames(), 48, 64)),
        ("MASK of int32", lambda: torch.ones(frames(), 48, 64, dtype=torch.int32)),
        ("MASK with 7 frames for a longer clip", lambda: torch.ones(7, 48, 64)),
        ("MASK of 0x0 pixels", lambda: torch.ones(frames(), 0, 0)),
        ("MASK is a list", lambda: [[1.0]]),
        ("MASK of 1e9 values", lambda: torch.full((frames(), 48, 64), 1e9)),
    ):
        add(5, "PAVAS_ObjectMasks", label, "any" if "1e9" in label or "int32" in label else "error",
            lambda make=make: obs(masks=make()), quick_case=label == "MASK of NaN")
    add(5, "PAVAS_ObjectMasks", "boxes is a string", "error", lambda: obs(boxes="boxes"))
    add(5, "PAVAS_ObjectMasks", "backend sam2 without a model", "any", lambda: obs(backend="sam2"))
    add(5, "PAVAS_ObjectMasks", "backend mask_input with no MASK connected", "error", lambda: obs(backend="mask_input"))
    add(5, "PAVAS_ObjectMasks", "objects is a PAVAS_MASKS", "error",
        lambda: node("PAVAS_ObjectMasks").observe(chain()[1], "motion", -1))
    add(5, "PAVAS_MetricGeometry", "masks from another clip", "error",
        lambda: node("PAVAS_MetricGeometry").measure(chain()[0], other_chain()[1], "gravity", 0.0, 0.0, 0.0),
        quick_case=True)
    for backend in ("depth", "da3", "moge"):
        add(5, "PAVAS_MetricGeometry", f"backend {backend} without its model or output", "error",
            lambda backend=backend: node("PAVAS_MetricGeometry").measure(chain()[0], chain()[1], backend, 0.0, 0.0, 0.0))
    add(5, "PAVAS_MetricGeometry", "masks is a PAVAS_OBJECTS", "error",
        lambda: node("PAVAS_MetricGeometry").measure(chain()[0], chain()[0], "gravity", 0.0, 0.0, 0.0))
    add(5, "PAVAS_ObjectMass", "geometry from another clip", "error",
        lambda: node("PAVAS_ObjectMass").weigh(chain()[0], other_chain()[2], "prior", 0.0, "estimate"))
    add(5, "PAVAS_ObjectMass", "backend vlm with motion objects", "any",
        lambda: node("PAVAS_ObjectMass").weigh(chain()[0], chain()[2], "vlm", 0.0, "estimate"))
    add(5, "PAVAS_AssemblePhysics", "mass from another clip", "any",
        lambda: node("PAVAS_AssemblePhysics").assemble(chain()[0], chain()[1], chain()[2], other_chain()[3]))
    add(5, "PAVAS_AssemblePhysics", "more mass estimates than objects", "error",
        lambda: node("PAVAS_AssemblePhysics").assemble(chain()[0], chain()[1], chain()[2], chain()[3] * 3),
        quick_case=True)
    add(5, "PAVAS_AssemblePhysics", "mass is an empty list", "error",
        lambda: node("PAVAS_AssemblePhysics").assemble(chain()[0], chain()[1], chain()[2], []))
    add(5, "PAVAS_AssemblePhysics", "mass holds numbers", "error",
        lambda: node("PAVAS_AssemblePhysics").assemble(chain()[0], chain()[1], chain()[2], [1.0, float("nan")]))
    add(5, "PAVAS_AssemblePhysics", "geometry from another clip", "error",
        lambda: node("PAVAS_AssemblePhysics").assemble(chain()[0], chain()[1], other_chain()[2], chain()[3]))

    # --- geometry from learned models --------------------------------------------------------------
    def grid():
        ctx = chain()[0].require_context()
        return ctx.num_frames, ctx.grid_size[1], ctx.grid_size[0]

    def da3(packet_fn):
        objects, masks, _, _ = chain()
        return node("PAVAS_MetricGeometryDA3").measure(objects, masks, packet_fn(), "auto", 0.0, 0.0)

    def moge(packet_fn):
        objects, masks, _, _ = chain()
        return node("PAVAS_MetricGeometryMoGe").measure(objects, masks, packet_fn(), "auto", 0.0)

    def depth(n=None, h=None, w=None, value=2.0):
        f, gh, gw = grid()
        return torch.full((n or f, h or gh, w or gw), value)

    def cams(n=None, fx=50.0):
        f = n or grid()[0]
        k = torch.tensor([[fx, 0.0, 10.0], [0.0, fx, 10.0], [0.0, 0.0, 1.0]]).expand(1, f, 3, 3).clone()
        return k, torch.eye(4)[:3].expand(1, f, 3, 4).clone()

    for label, packet, expect in (
        ("a plane 2 m away (mono)", lambda: {"depth": depth()}, "ok"),
        ("not a dict", lambda: "depth", "error"),
        ("no depth", lambda: {"image": depth()}, "error"),
        ("depth of rank 2", lambda: {"depth": depth()[0]}, "error"),
        ("depth is text", lambda: {"depth": "far"}, "error"),
        ("depth all NaN", lambda: {"depth": depth(value=float("nan"))}, "any"),
        ("depth all 0", lambda: {"depth": depth(value=0.0)}, "any"),
        ("depth 1e30", lambda: {"depth": depth(value=1e30)}, "any"),
        ("3 frames for a longer clip", lambda: {"depth": depth(n=3)}, "error"),
        ("1x1 depth", lambda: {"depth": depth(h=1, w=1)}, "any"),
        ("intrinsics of the wrong shape", lambda: {"depth": depth(), "intrinsics": torch.ones(2, 2),
                                                   "extrinsics": cams()[1]}, "error"),
        ("intrinsics with focal 0", lambda: {"depth": depth(), "intrinsics": cams(fx=0.0)[0], "extrinsics": cams()[1]},
         "error"),
        ("extrinsics NaN", lambda: {"depth": depth(), "intrinsics": cams()[0],
                                    "extrinsics": torch.full_like(cams()[1], float("nan"))}, "any"),
        ("sky of the wrong shape", lambda: {"depth": depth(), "sky": torch.ones(2)}, "error"),
        ("confidence of the wrong frame count", lambda: {"depth": depth(), "confidence": depth(n=2)}, "error"),
    ):
        add(5, "PAVAS_MetricGeometryDA3", label, expect, lambda packet=packet: da3(packet),
            quick_case=label == "depth all NaN")
    for label, packet, expect in (
        ("not a dict", lambda: ["points"], "error"),
        ("no intrinsics", lambda: {"points": torch.ones(grid()[0], 8, 8, 3)}, "error"),
        ("points of rank 3", lambda: {"points": torch.ones(grid()[0], 8, 3),
                                      "intrinsics": torch.eye(3).expand(grid()[0], 3, 3)}, "error"),
        ("points all NaN", lambda: {"points": torch.full((grid()[0], 8, 8, 3), float("nan")),
                                    "intrinsics": torch.eye(3).expand(grid()[0], 3, 3).clone()}, "any"),
        ("points with 2 channels", lambda: {"points": torch.ones(grid()[0], 8, 8, 2),
                                            "intrinsics": torch.eye(3).expand(grid()[0], 3, 3).clone()}, "error"),
        ("intrinsics NaN", lambda: {"points": torch.ones(grid()[0], 8, 8, 3),
                                    "intrinsics": torch.full((grid()[0], 3, 3), float("nan"))}, "error"),
        ("mask of the wrong shape", lambda: {"points": torch.ones(grid()[0], 8, 8, 3), "mask": torch.ones(3),
                                             "intrinsics": torch.eye(3).expand(grid()[0], 3, 3).clone()}, "error"),
        ("5 frames for a longer clip", lambda: {"points": torch.ones(5, 8, 8, 3),
                                                "intrinsics": torch.eye(3).expand(5, 3, 3).clone()}, "error"),
    ):
        add(5, "PAVAS_MetricGeometryMoGe", label, expect, lambda packet=packet: moge(packet),
            quick_case=label == "points all NaN")
    add(5, "PAVAS_MetricGeometryDepth", "depth_model is a string", "error",
        lambda: node("PAVAS_MetricGeometryDepth").measure(chain()[0], chain()[1], "model", 0.0))
    add(5, "PAVAS_MetricGeometryDepth", "depth_model is another loader's model", "error",
        lambda: node("PAVAS_MetricGeometryDepth").measure(chain()[0], chain()[1], env.adapter_handle(), 0.0))
    depth_names = sorted(p.name for p in (models["models_root"] / "depth").iterdir())
    add(5, "PAVAS_LoadDepthModel", "its list with hostile folders present", "ok",
        lambda: node("PAVAS_LoadDepthModel").INPUT_TYPES())
    for name in depth_names + ["no_such_model", "../LLM/tiny_vlm", "/etc", ""]:
        expect = "ok" if name == "tiny_depth" else "error"
        add(6 if name.endswith("pickle") else 5, "PAVAS_LoadDepthModel", f"folder {name!r}", expect,
            lambda name=name: _load_depth_and_measure(node, chain, name), quick_case=name == "depth_config_list")

    add(5, "PAVAS_MetricGeometryCut3r", "cut3r is a string", "error",
        lambda: node("PAVAS_MetricGeometryCut3r").measure(chain()[0], chain()[1], "model", 512, 0.0),
        quick_case=True)
    add(5, "PAVAS_MetricGeometryCut3r", "cut3r is another loader's model", "error",
        lambda: node("PAVAS_MetricGeometryCut3r").measure(chain()[0], chain()[1], env.adapter_handle(), 512, 0.0))
    add(5, "PAVAS_LoadCut3r", "its list", "ok", lambda: node("PAVAS_LoadCut3r").INPUT_TYPES())
    for name in ["no_such_model.pth", "../LLM/tiny_vlm", "/etc/passwd", ""]:
        add(5, "PAVAS_LoadCut3r", f"file {name!r}", "error",
            lambda name=name: node("PAVAS_LoadCut3r").load(name, "fp32"), quick_case=name == "")

    # --- perception: loaders over hostile folders and files ------------------------------------------
    llm_names = sorted(p.name for p in (models["models_root"] / "LLM").iterdir())
    for node_id in ("PAVAS_LoadVLM", "PAVAS_LoadFlorence2", "PAVAS_LoadSAM2", "PAVAS_LoadPhyAdapter"):
        add(5, node_id, "its list with hostile files present", "ok", lambda node_id=node_id: env.nodes[node_id].INPUT_TYPES())
    for name in llm_names + ["no_such_model", "../sam2", "/etc", "a\\b"]:
        add(5, "PAVAS_LoadVLM", f"validation of {name!r}", "any",
            lambda name=name: _validation_is_text_or_true(env.nodes["PAVAS_LoadVLM"], name))
        ok_vlm, ok_florence = name == "tiny_vlm", name == "tiny_florence2"
        add(6 if name.endswith("pickle") else 5, "PAVAS_LoadVLM", f"folder {name!r}", "ok" if ok_vlm else "error",
            lambda name=name: node("PAVAS_LoadVLM").load(name, "fp32", False), quick_case=name == "vlm_config_deep")
        add(6 if name.endswith("pickle") else 5, "PAVAS_LoadFlorence2", f"folder {name!r}",
            "ok" if ok_florence else "error", lambda name=name: node("PAVAS_LoadFlorence2").load(name, "fp32"))
    add(5, "PAVAS_LoadVLM", "trust_remote_code on a hostile folder", "error",
        lambda: node("PAVAS_LoadVLM").load("vlm_unknown_type", "fp32", True))
    sam2_names = sorted(p.name for p in (models["models_root"] / "sam2").iterdir())
    for name in sam2_names + ["no_such_file.pt", "../mmaudio/" + models["mmaudio_network"].name, "/etc/passwd"]:
        klass = 6 if name in ("payload.pt", "legacy.pt") else 2 if name == "zip_bomb.pt" else 5
        add(klass, "PAVAS_LoadSAM2", f"file {name!r}", "error", lambda name=name: node("PAVAS_LoadSAM2").load(name, 512, "fp32"),
            quick_case=name == "payload.pt")
    adapter_names = sorted(p.name for p in (models["models_root"] / "pavas").iterdir())
    for name in adapter_names + ["no_such.safetensors", "../mmaudio/" + models["mmaudio_network"].name,
                                 "/etc/passwd", "", "x\\..\\y"]:
        klass = 6 if name.endswith(".pth") else 5
        add(klass, "PAVAS_LoadPhyAdapter", f"file {name!r}", "ok" if name == "valid.safetensors" else "error",
            lambda name=name: node("PAVAS_LoadPhyAdapter").load(name, "fp32"), quick_case=name == "wrong_rank.safetensors")

    # --- perception: stage nodes ----------------------------------------------------------------------
    text = lambda answer, names="": node("PAVAS_ObjectsFromText").discover(clip(), answer, names, 4, 320)  # noqa: E731
    ball = {"name": "ball", "action": "falling", "moving": True, "mass_kg": 0.6, "material": "rubber"}
    for label, answer, expect in (
        ("a valid answer", json.dumps({"objects": [ball]}), "ok"),
        ("prose", "A ball falls.", "ok"),
        ("mass NaN", json.dumps({"objects": [dict(ball, mass_kg="NaN")]}).replace('"NaN"', "NaN"), "ok"),
        ("mass 1e308", json.dumps({"objects": [dict(ball, mass_kg=1e308)]}), "ok"),
        ("mass is a list", json.dumps({"objects": [dict(ball, mass_kg=[1])]}), "ok"),
        ("objects is a dict", json.dumps({"objects": {"a": ball}}), "ok"),
        ("10000 objects", json.dumps({"objects": [ball] * 10_000}), "ok"),
        ("a JSON nested 100000 deep", "[" * 100_000 + "]" * 100_000, "ok"),
        ("10 MB of text", "x" * 10_000_000, "any"),
        ("an empty answer", "", "ok"),
        ("text is a number", 5, "error"),
    ):
        add(5, "PAVAS_ObjectsFromText", label, expect, lambda answer=answer: text(answer),
            quick_case=label.startswith("a JSON nested"))
    add(5, "PAVAS_ObjectsFromText", "clip is a string", "error",
        lambda: node("PAVAS_ObjectsFromText").discover("clip", "{}", "", 4, 320))
    add(5, "PAVAS_VLMQuestion", "100000 object names", "ok",
        lambda: node("PAVAS_VLMQuestion").question(", ".join(["ball"] * 100_000), 4))
    add(5, "PAVAS_VLMQuestion", "max_objects 0 through a link", "error", lambda: node("PAVAS_VLMQuestion").question("", 0))
    add(5, "PAVAS_ObjectsAndMassVLM", "vlm is another loader's model", "error",
        lambda: node("PAVAS_ObjectsAndMassVLM").discover(clip(), env.adapter_handle(), "", 4, 8, 16, 320), quick_case=True)
    add(5, "PAVAS_ObjectsAndMassVLM", "vlm is a string", "error",
        lambda: node("PAVAS_ObjectsAndMassVLM").discover(clip(), "vlm", "", 4, 8, 16, 320))
    add(5, "PAVAS_DetectObjectsFlorence2", "florence2 is another loader's model", "error",
        lambda: node("PAVAS_DetectObjectsFlorence2").detect(chain()[0], env.adapter_handle(), "<OPEN_VOCABULARY_DETECTION>", 4))
    add(5, "PAVAS_DetectObjectsFlorence2", "objects is a string", "error",
        lambda: node("PAVAS_DetectObjectsFlorence2").detect("objects", env.adapter_handle(), "<OPEN_VOCABULARY_DETECTION>", 4))
    if learned:
        def vlm_handle():
            return node("PAVAS_LoadVLM").load("tiny_vlm", "fp32", False)[0]

        def florence_handle():
            return node("PAVAS_LoadFlorence2").load("tiny_florence2", "fp32")[0]

        add(5, "PAVAS_ObjectsAndMassVLM", "a tiny random VLM, 64 frames of a 30-frame clip", "ok",
            lambda: node("PAVAS_ObjectsAndMassVLM").discover(clip(), vlm_handle(), "", 4, 64, 16, 320))
        add(5, "PAVAS_ObjectsAndMassVLM", "a Florence-2 model as the VLM", "error",
            lambda: node("PAVAS_ObjectsAndMassVLM").discover(clip(), florence_handle(), "", 4, 8, 16, 320))
        add(5, "PAVAS_DetectObjectsFlorence2", "a tiny random Florence-2, 256 scan frames", "ok",
            lambda: node("PAVAS_DetectObjectsFlorence2").detect(chain()[0], florence_handle(),
                                                                "<OPEN_VOCABULARY_DETECTION>", 256))
        add(5, "PAVAS_SegmentObjectsSAM2", "a VLM as the SAM-2 model", "error",
            lambda: node("PAVAS_SegmentObjectsSAM2").segment(chain()[0], vlm_handle(), -1))
    add(5, "PAVAS_SegmentObjectsSAM2", "sam2 is a string", "error",
        lambda: node("PAVAS_SegmentObjectsSAM2").segment(chain()[0], "sam2", -1), quick_case=True)
    add(5, "PAVAS_SegmentObjectsSAM2", "boxes is a string", "error",
        lambda: node("PAVAS_SegmentObjectsSAM2").segment(chain()[0], env.adapter_handle(), -1, boxes="boxes"))

    def track(**override):
        n = frames()
        value = {"packed_masks": torch.zeros(n, 1, 8, 1, dtype=torch.uint8), "n_frames": n, "scores": [1.0],
                 "orig_size": (48, 64)}
        value.update(override)
        return value

    sam3 = lambda tr, indices="": node("PAVAS_ObjectMasksFromSAM3").convert(chain()[0], tr, indices, -1)  # noqa: E731
    for label, make, indices, expect in (
        ("valid, nothing tracked in any frame", lambda: track(), "", "ok"),
        ("not a dict", lambda: [1, 2], "", "error"),
        ("n_frames 1e9", lambda: track(n_frames=10**9), "", "error"),
        ("n_frames NaN", lambda: track(n_frames=float("nan")), "", "error"),
        ("orig_size 0x0", lambda: track(orig_size=(0, 0)), "", "error"),
        ("orig_size 1e9", lambda: track(orig_size=(10**9, 10**9)), "", "any"),
        ("packed_masks float", lambda: track(packed_masks=torch.zeros(frames(), 1, 8, 1)), "", "error"),
        ("packed_masks rank 2", lambda: track(packed_masks=torch.zeros(frames(), 1, dtype=torch.uint8)), "", "error"),
        ("packed_masks a list", lambda: track(packed_masks=[[0]]), "", "error"),
        ("packed_masks None", lambda: track(packed_masks=None), "", "error"),
        ("object index 99", lambda: track(), "99", "error"),
        ("object index 1e30", lambda: track(), "1" + "0" * 30, "error"),
        ("object indices negative", lambda: track(), "-1", "error"),
    ):
        add(5, "PAVAS_ObjectMasksFromSAM3", label, expect, lambda make=make, indices=indices: sam3(make(), indices),
            quick_case=label == "n_frames 1e9")

    # --- Phy-Adapter conditioning -------------------------------------------------------------------
    def condition(**override):
        args = dict(phy_adapter=env.adapter_handle(), physics=env.tracks(), clip=clip(),
                    mmaudio_model=env.network_handle(), feature_encoders=env.features_handle())
        args.update(override)
        return node("PAVAS_PhyAdapterConditioning").condition(**args)

    add(5, "PAVAS_PhyAdapterConditioning", "valid tiny models", "ok", lambda: condition(), quick_case=True)
    add(5, "PAVAS_PhyAdapterConditioning", "the adapter and the network swapped", "error",
        lambda: condition(phy_adapter=env.network_handle(), mmaudio_model=env.adapter_handle()))
    add(5, "PAVAS_PhyAdapterConditioning", "physics of another clip (other frame count)", "any",
        lambda: condition(physics=env.tracks(env.physics_doc(num_frames=3000))))
    add(5, "PAVAS_PhyAdapterConditioning", "physics NaN mass", "error",
        lambda: condition(physics=_nan_mass(env.tracks())))
    add(5, "PAVAS_PhyAdapterConditioning", "clip is a PAVAS_PHYSICS", "error", lambda: condition(clip=env.tracks()))
    add(5, "PAVAS_PhyAdapterConditioning", "physics of 100000 impacts", "any",
        lambda: condition(physics=env.tracks(env.physics_doc(num_frames=3000, impacts=env.many_impacts(100_000, 100.0)))))

    # --- PAVAS-tiny ---------------------------------------------------------------------------------
    add(5, "PAVAS_LoadTinyGenerator", "validation of a missing file", "any",
        lambda: _validation_is_text_or_true(env.nodes["PAVAS_LoadTinyGenerator"], "no_such.safetensors"),
        quick_case=True)
    add(5, "PAVAS_LoadTinyGenerator", "a Phy-Adapter file picked as a PAVAS-tiny checkpoint", "error",
        lambda: node("PAVAS_LoadTinyGenerator").load("valid.safetensors"))
    add(5, "PAVAS_TinySampler", "tiny_model is a PAVAS_PHYSICS", "error",
        lambda: node("PAVAS_TinySampler").sample(env.tracks(), clip(), 2, 2.0, 0), quick_case=True)
    add(5, "PAVAS_TinySampler", "physics NaN mass", "error",
        lambda: node("PAVAS_TinySampler").sample(node("PAVAS_LoadTinyGenerator").load(
            "shipped: pavas_tiny.safetensors")[0], clip(), 2, 2.0, 0, physics=_nan_mass(env.tracks())))


def _nan_mass(tracks):
    tracks.objects[0].mass_kg = float("nan")
    return tracks


def _validation_is_text_or_true(cls, name):
    result = cls.VALIDATE_INPUTS(name)
    if result is not True and not isinstance(result, str):
        raise TypeError(f"VALIDATE_INPUTS returned {result!r}")
    return result


def _load_depth_and_measure(node, chain, name):
    (model,) = node("PAVAS_LoadDepthModel").load(name, "fp32")
    objects, masks, _, _ = chain()
    return node("PAVAS_MetricGeometryDepth").measure(objects, masks, model, 0.0)


def node_coverage(cases: list, nodes: dict[str, type]) -> list[str]:
    """Node ids with no case of their own (the sweep alone does not count): a new node must get cases."""
    covered = {c[1] for c in cases if not c[2].startswith("sweep:")}
    return sorted(n for n in nodes if n not in covered)

