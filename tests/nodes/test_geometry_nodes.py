"""Geometry nodes fed by learned models: ComfyUI's DA3 / MoGe outputs and a depth model."""

from __future__ import annotations

import importlib

import pytest


@pytest.fixture(scope="module")
def staged(pack, core, scene_video):
    nodes = pack.NODE_CLASS_MAPPINGS
    clip = core.video.read_video(scene_video, with_audio=False)
    (objects, _) = nodes["PAVAS_MovingObjects"]().discover(clip, "motion", "basketball", 4, 320)["result"]
    observation, _ = nodes["PAVAS_ObjectMasks"]().observe(objects, "motion", -1)
    return nodes, core, objects, observation


def test_da3_and_moge_outputs_give_world_frame_physics(staged):
    nodes, core, objects, observation = staged
    comfy_geometry = importlib.import_module(f"{core.__name__}.physics.stages.comfy_geometry")
    ctx = objects.context
    for node, packet in (("PAVAS_MetricGeometryDA3", comfy_geometry.example_da3_packet(ctx)),
                         ("PAVAS_MetricGeometryMoGe", comfy_geometry.example_moge_packet(ctx))):
        args = (objects, observation, packet, "auto", 0.0, 0.0) if node.endswith("DA3") else \
            (objects, observation, packet, "auto", 0.0)
        (geometry,) = getattr(nodes[node](), "measure")(*args)
        assert geometry.frame == "world" and geometry.context is ctx
        (mass,) = nodes["PAVAS_ObjectMass"]().weigh(objects, geometry, "prior", 0.0, "estimate")
        physics = nodes["PAVAS_AssemblePhysics"]().assemble(objects, observation, geometry, mass)["result"][0]
        assert physics.objects[0].impacts, node  # the ball's bounces are found in the world frame too
        assert physics.geometry.backend in ("da3", "moge")


def test_depth_model_node_measures_with_the_model_it_is_given(staged):
    nodes, core, objects, observation = staged
    tiny = importlib.import_module(f"{core.__name__}.models.tiny_depth")
    (geometry,) = nodes["PAVAS_MetricGeometryDepth"]().measure(objects, observation, tiny.tiny_depth_model(0), 0.0)
    assert geometry.backend == "depth" and geometry.stage_backend == "depth" and geometry.frame == "world"


def test_the_depth_loader_names_the_folder_it_wants(pack):
    errors = importlib.import_module(f"{pack.__name__}.pavas_core.errors")
    geometry_nodes = importlib.import_module(f"{pack.__name__}.nodes.geometry_nodes")
    with pytest.raises(errors.MissingWeightsError, match="models/depth"):
        geometry_nodes._depth_model_path("no-such-model")


def test_cut3r_loader_and_geometry_node(staged, comfy):
    nodes, core, objects, observation = staged
    cut3r = importlib.import_module(f"{core.__name__}.perception.cut3r")
    folder = comfy.models_dir / "cut3r"
    folder.mkdir(parents=True, exist_ok=True)
    cut3r.save_safetensors(cut3r.random_state_dict(cut3r.MICRO, 0), cut3r.MICRO, str(folder / "cut3r_micro.safetensors"))
    loader = nodes["PAVAS_LoadCut3r"]
    assert "cut3r_micro.safetensors" in loader.INPUT_TYPES()["required"]["model"][0]
    assert "not found in models/cut3r" in loader.VALIDATE_INPUTS("cut3r_512_dpt_4_64.pth")
    assert "CC BY-NC-SA 4.0" in loader.DESCRIPTION
    (handle,) = loader().load("cut3r_micro.safetensors", "fp32")
    assert handle.kind == "cut3r" and handle.model.cfg == cut3r.MICRO
    (geometry,) = nodes["PAVAS_MetricGeometryCut3r"]().measure(objects, observation, handle, 64, 0.0)
    assert geometry.backend == "cut3r" and geometry.stage_backend == "cut3r" and geometry.frame == "world"
    assert geometry.extra["camera_poses_from"] == "cut3r"
    errors = importlib.import_module(f"{core.__name__}.errors")
    with pytest.raises(errors.BadInputError, match="Load CUT3R"):
        nodes["PAVAS_MetricGeometryCut3r"]().measure(objects, observation, "not a model", 64, 0.0)
