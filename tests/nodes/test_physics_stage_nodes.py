"""The per-stage physics nodes: masks from any segmenter, MASK out for core nodes, one chain only,
backends listed from the registry."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch


def _load_test_backends():
    """tests/physics/stage_backends_for_tests.py, loaded by path (no sys.path change: each test
    folder has its own conftest module)."""
    path = Path(__file__).resolve().parents[1] / "physics" / "stage_backends_for_tests.py"
    spec = importlib.util.spec_from_file_location("pavas_stage_backends_for_tests", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


stage_backends_for_tests = _load_test_backends()


@pytest.fixture(scope="module")
def bouncing_clip(core, scene_video):
    return core.video.read_video(scene_video, with_audio=False)


@pytest.fixture(scope="module")
def chain(pack, core, bouncing_clip):
    """(node classes, clip, objects from Moving Objects)."""
    nodes = pack.NODE_CLASS_MAPPINGS
    (objects, names) = nodes["PAVAS_MovingObjects"]().discover(bouncing_clip, "motion", "basketball", 4, 320)["result"]
    return nodes, bouncing_clip, objects


def _physics(nodes, objects, observation):
    (geometry,) = nodes["PAVAS_MetricGeometry"]().measure(objects, observation, "gravity", 0.0, 0.0, 0.0)
    (mass,) = nodes["PAVAS_ObjectMass"]().weigh(objects, geometry, "prior", 0.0, "estimate")
    return nodes["PAVAS_AssemblePhysics"]().assemble(objects, observation, geometry, mass)["result"][0]


def test_a_mask_batch_from_another_segmenter_replaces_the_built_in_masks(chain):
    nodes, clip, objects = chain
    observation, mask = nodes["PAVAS_ObjectMasks"]().observe(objects, "motion", -1)
    assert tuple(mask.shape) == (clip.num_frames, clip.height, clip.width) and mask.dtype == torch.float32
    built_in = _physics(nodes, objects, observation)
    # the same pictures' masks as if another node had made them: the physics follows them
    given, _ = nodes["PAVAS_ObjectMasks"]().observe(objects, "motion", -1, masks=mask)
    assert given.mask_source == "mask_input"
    other = _physics(nodes, objects, given)
    assert other.objects[0].mask_source == "mask_input"
    assert [round(i.time_s, 2) for i in other.objects[0].impacts] == [round(i.time_s, 2) for i in built_in.objects[0].impacts]


def test_several_objects_come_as_one_mask_batch_object_after_object(chain):
    nodes, clip, objects = chain
    _, mask = nodes["PAVAS_ObjectMasks"]().observe(objects, "motion", -1)
    two = torch.cat([mask, torch.flip(mask, dims=[2])])  # a second, mirrored object
    observation, out = nodes["PAVAS_ObjectMasks"]().observe(objects, "motion", 0, masks=two)
    assert len(observation.objects) == 1 and "2 mask set(s) for 1 object(s)" in observation.warnings[0]
    torch.testing.assert_close(out, mask)


def test_a_mask_batch_of_the_wrong_length_is_a_clear_error(chain, core):
    nodes, clip, objects = chain
    bad = torch.zeros((clip.num_frames + 1, clip.height, clip.width))
    with pytest.raises(core.errors.BadInputError, match="one mask per frame"):
        nodes["PAVAS_ObjectMasks"]().observe(objects, "motion", -1, masks=bad)
    with pytest.raises(core.errors.BadInputError, match="no object 3"):
        nodes["PAVAS_ObjectMasks"]().observe(objects, "motion", 3)


def test_results_of_two_different_chains_are_not_mixed(chain, core, pack):
    nodes, clip, objects = chain
    (other, _) = nodes["PAVAS_MovingObjects"]().discover(clip, "motion", "", 4, 320)["result"]
    observation, _ = nodes["PAVAS_ObjectMasks"]().observe(other, "motion", -1)
    with pytest.raises(core.errors.BadInputError, match="different 'Moving Objects'"):
        nodes["PAVAS_MetricGeometry"]().measure(objects, observation, "gravity", 0.0, 0.0, 0.0)


def test_a_registered_backend_appears_in_the_widgets_and_runs(chain, core):
    nodes, clip, objects = chain
    stage_backends_for_tests.register(core)
    try:
        for node_id, name in (("PAVAS_ObjectMasks", "backend"), ("PAVAS_EstimatePhysics", "masks_backend")):
            spec = nodes[node_id].INPUT_TYPES()
            widget = {**spec["required"], **spec.get("optional", {})}[name]
            assert stage_backends_for_tests.NAME in widget[0] and widget[1]["default"] == "motion"
        observation, _ = nodes["PAVAS_ObjectMasks"]().observe(objects, stage_backends_for_tests.NAME, -1)
        assert _physics(nodes, objects, observation).objects[0].mask_source == "box"
    finally:
        core.physics.stages.unregister_backend("observe", stage_backends_for_tests.NAME)


def test_user_mass_and_material_typed_on_object_mass_win(chain):
    nodes, clip, objects = chain
    observation, _ = nodes["PAVAS_ObjectMasks"]().observe(objects, "motion", -1)
    (geometry,) = nodes["PAVAS_MetricGeometry"]().measure(objects, observation, "gravity", 0.0, 0.0, 0.0)
    (mass,) = nodes["PAVAS_ObjectMass"]().weigh(objects, geometry, "prior", 2.5, "steel")
    assert mass[0].mass_kg == 2.5 and mass[0].source == "user" and mass[0].confidence == 1.0
    assert mass[0].material == "steel" and mass[0].material_source == "user"
    (prior,) = nodes["PAVAS_ObjectMass"]().weigh(objects, geometry, "prior", 0.0, "estimate")
    assert prior[0].mass_kg == pytest.approx(0.62) and prior[0].source == "prior"
