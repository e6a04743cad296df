"""Hostile links into the staged physics, geometry and perception nodes: each is one node error
(the pack's PavasError), never a Python exception from deep inside (bad-input matrix findings)."""

from __future__ import annotations

import importlib

import pytest
import torch


@pytest.fixture(scope="module")
def chain(pack, core, scene_video):
    nodes = pack.NODE_CLASS_MAPPINGS
    clip = core.video.read_video(scene_video, with_audio=False)
    (objects, _) = nodes["PAVAS_MovingObjects"]().discover(clip, "motion", "basketball", 4, 320)["result"]
    masks, _ = nodes["PAVAS_ObjectMasks"]().observe(objects, "motion", -1)
    (geometry,) = nodes["PAVAS_MetricGeometry"]().measure(objects, masks, "gravity", 0.0, 0.0, 0.0)
    (mass,) = nodes["PAVAS_ObjectMass"]().weigh(objects, geometry, "prior", 0.0, "estimate")
    return nodes, objects, masks, geometry, mass


def test_assemble_refuses_a_mass_list_that_holds_no_mass_estimates(chain, core):
    nodes, objects, masks, geometry, mass = chain
    assert len(mass) == len(objects.objects) >= 1
    with pytest.raises(core.errors.BadInputError, match="PAVAS_MASS"):
        nodes["PAVAS_AssemblePhysics"]().assemble(objects, masks, geometry, [1.0] * len(mass))


def test_depth_geometry_refuses_what_is_not_a_depth_model(chain, core):
    nodes, objects, masks, _, _ = chain
    for value in ("model", {"model": None}):
        with pytest.raises(core.errors.BadInputError, match="PAVAS_DEPTH_MODEL"):
            nodes["PAVAS_MetricGeometryDepth"]().measure(objects, masks, value, 0.0)


def test_da3_confidence_and_sky_must_match_the_depth(chain, core):
    nodes, objects, masks, _, _ = chain
    ctx = objects.require_context()
    n, (w, h) = ctx.num_frames, ctx.grid_size
    depth = torch.full((n, h, w), 2.0)
    node = nodes["PAVAS_MetricGeometryDA3"]()
    (geometry,) = node.measure(objects, masks, {"depth": depth, "confidence": torch.ones(n, h, w)}, "auto", 0.0, 0.0)
    assert geometry.backend == "da3"
    for extra in ({"confidence": torch.ones(2, h, w)}, {"sky": torch.zeros(n, 3, 3)}):
        with pytest.raises(core.errors.BadInputError, match="does not match its depth"):
            node.measure(objects, masks, {"depth": depth, **extra}, "auto", 0.0, 0.0)


def test_sam3_track_data_whose_masks_are_not_a_tensor_is_a_node_error(chain, core):
    nodes, objects, _, _, _ = chain
    n = objects.require_context().num_frames
    track = {"packed_masks": [[0]] * n, "n_frames": n, "orig_size": (48, 64)}
    with pytest.raises(core.errors.BadInputError, match="packed_masks must be a tensor"):
        nodes["PAVAS_ObjectMasksFromSAM3"]().convert(objects, track, "", -1)


def test_matrix_sweep_covers_every_node_with_its_own_cases(pack):
    """The bad-input matrix enumerates NODE_CLASS_MAPPINGS: a node without a case of its own is named."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    cases_module = importlib.import_module("_hostile_node_cases")
    nodes = pack.NODE_CLASS_MAPPINGS
    cases: list[tuple] = []
    cases_module.sweep_cases(lambda *a, **k: cases.append(a), nodes)
    swept = {c[1] for c in cases}
    numeric = {n for n, cls in nodes.items()
               if any(s[0] in ("INT", "FLOAT") for s in cls.INPUT_TYPES().get("required", {}).values())}
    assert numeric <= swept and "PAVAS_AssemblePhysics" in swept  # every link a string
    assert cases_module.node_coverage(cases, nodes) == sorted(nodes)  # the sweep alone covers none
    own = [(5, n, "own case") for n in nodes if n != "PAVAS_VLMQuestion"]
    assert cases_module.node_coverage(own, nodes) == ["PAVAS_VLMQuestion"]
