"""The perception nodes: loaders list what is in models/LLM and models/sam2, the stage nodes chain
with the others, and the inputs from ComfyUI's own SAM 3 and Generate Text nodes."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

BALL = {"objects": [{"name": "stone", "action": "thrown", "moving": True, "mass_kg": 1.4, "material": "stone"}]}


@pytest.fixture(scope="module")
def clip(core, scene_video):
    return core.video.read_video(scene_video, with_audio=False)


def test_loaders_list_model_folders_by_kind_and_weight_files(pack, tiny_perception_files):
    nodes = pack.NODE_CLASS_MAPPINGS
    vlm = nodes["PAVAS_LoadVLM"].INPUT_TYPES()["required"]["model"][0]
    florence = nodes["PAVAS_LoadFlorence2"].INPUT_TYPES()["required"]["model"][0]
    sam2 = nodes["PAVAS_LoadSAM2"].INPUT_TYPES()["required"]["model"][0]
    assert vlm == ["Qwen2.5-VL-3B-Instruct"] and florence == ["Florence-2-base"]
    assert sam2 == ["sam2.1_hiera_tiny.pt"]
    message = nodes["PAVAS_LoadVLM"].VALIDATE_INPUTS("Qwen3-VL-2B-Instruct")
    assert "not found in models/LLM" in message and "whole folder" in message
    assert "not found in models/sam2" in nodes["PAVAS_LoadSAM2"].VALIDATE_INPUTS("sam2.1_hiera_large.pt")
    assert nodes["PAVAS_LoadSAM2"].VALIDATE_INPUTS("sam2.1_hiera_tiny.pt") is True
    depth = nodes["PAVAS_LoadDepthModel"].INPUT_TYPES()["required"]["model"][0]
    assert depth == ["Depth-Anything-V2-Metric-Indoor-Small-hf"]
    (model,) = nodes["PAVAS_LoadDepthModel"]().load(depth[0], "fp32")
    assert model.kind == "depth_anything" and model.input_side == 56  # the tiny folder's preprocessor size


def test_a_text_answer_gives_objects_and_the_mass_stage_reads_its_masses(pack, core, clip):
    nodes = pack.NODE_CLASS_MAPPINGS
    (prompt,) = nodes["PAVAS_VLMQuestion"]().question("stone", 2)
    assert '"mass_kg"' in prompt and "stone" in prompt  # what to ask core 'Generate Text'
    objects, names = nodes["PAVAS_ObjectsFromText"]().discover(clip, json.dumps(BALL), "", 4, 320)["result"]
    assert names == "0: stone" and objects.objects[0].name_source == "vlm"
    observation, mask = nodes["PAVAS_ObjectMasks"]().observe(objects, "motion", -1)
    (geometry,) = nodes["PAVAS_MetricGeometry"]().measure(objects, observation, "gravity", 0.0, 0.0, 0.0)
    (mass,) = nodes["PAVAS_ObjectMass"]().weigh(objects, geometry, "vlm", 0.0, "estimate")
    physics = nodes["PAVAS_AssemblePhysics"]().assemble(objects, observation, geometry, mass)["result"][0]
    (obj,) = physics.objects
    assert (obj.name, obj.mass_kg, obj.mass_source, obj.material) == ("stone", 1.4, "vlm", "stone")
    # prose instead of JSON: the motion objects, said in the warnings
    fallback, _ = nodes["PAVAS_ObjectsFromText"]().discover(clip, "A stone flies.", "", 4, 320)["result"]
    assert fallback.objects[0].name_source == "generic" and "prose" in fallback.warnings[0]


def test_sam3_track_data_become_the_objects_masks(pack, core, clip):
    nodes = pack.NODE_CLASS_MAPPINGS
    objects, _ = nodes["PAVAS_MovingObjects"]().discover(clip, "motion", "stone", 4, 320)["result"]
    reference, _ = nodes["PAVAS_ObjectMasks"]().observe(objects, "motion", -1)
    sam3_track = __import__(core.__name__ + ".perception.sam3_track", fromlist=["pack_frame"])
    ctx = objects.require_context()
    side = 64  # SAM 3's own square grid, stretched over the frame
    packed = []
    for k in range(ctx.num_frames):
        dense = reference.objects[0].masks.dense(k)
        plane = np.zeros((side, side), bool)
        if dense is not None and k % 5:  # every fifth frame: SAM 3 lost it
            ys, xs = np.nonzero(dense)
            w, h = ctx.grid_size
            plane[int(ys.min() * side / h):int(ys.max() * side / h) + 1,
                  int(xs.min() * side / w):int(xs.max() * side / w) + 1] = True
        packed.append(sam3_track.pack_frame(plane[None]))
    track = {"packed_masks": torch.from_numpy(np.stack(packed)), "n_frames": ctx.num_frames, "scores": [1.0],
             "orig_size": (clip.height, clip.width)}
    observation, mask = nodes["PAVAS_ObjectMasksFromSAM3"]().convert(objects, track, "", -1)
    assert observation.mask_source == "sam3" and observation.context is ctx
    assert tuple(mask.shape) == (clip.num_frames, clip.height, clip.width)
    visible = observation.objects[0].masks.visible()
    assert not visible[::5].any() and visible.sum() > 0
    with pytest.raises(core.errors.BadInputError, match="whole numbers"):
        nodes["PAVAS_ObjectMasksFromSAM3"]().convert(objects, track, "first", -1)


def test_segment_objects_prompts_with_motion_boxes_when_no_detector_is_connected(pack, core, clip):
    nodes = pack.NODE_CLASS_MAPPINGS
    objects, _ = nodes["PAVAS_MovingObjects"]().discover(clip, "motion", "stone", 4, 320)["result"]
    reference, _ = nodes["PAVAS_ObjectMasks"]().observe(objects, "motion", -1)
    sam2_video = __import__(core.__name__ + ".perception.sam2_video", fromlist=["ReplayPredictor"])
    predictor = sam2_video.ReplayPredictor([reference.objects[0].masks])
    handle = pack.nodes._models.ModelHandle(kind="sam2", name="replay", model=predictor, module=None, patcher=None)
    observation, mask = nodes["PAVAS_SegmentObjectsSAM2"]().segment(objects, handle, 0)
    assert observation.mask_source == "sam2" and observation.objects[0].mask_source is None
    assert observation.boxes.backend == "motion" and observation.objects[0].extra["box_source"] == "motion"
    assert predictor.prompts[0][0] == int(np.flatnonzero(reference.objects[0].masks.visible())[0])
    assert tuple(mask.shape) == (clip.num_frames, clip.height, clip.width)
    wrong = pack.nodes._models.ModelHandle(kind="vlm", name="x", model=None, module=None, patcher=None)
    with pytest.raises(core.errors.BadInputError, match="Load SAM-2"):
        nodes["PAVAS_SegmentObjectsSAM2"]().segment(objects, wrong, 0)
