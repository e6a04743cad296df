"""Every workflow in workflows/: a valid UI-format file that converts to API format and runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import pavas_workflow_runner as runner

REPO = Path(__file__).resolve().parents[2]
WORKFLOW_FILES = sorted((REPO / "workflows").glob("*.json"))
DEMO = REPO / "assets" / "pavas_bounce_demo.mp4"
NEEDS_WEIGHTS = {"pavas_mmaudio_with_physics_layer.json": ("tiny_mmaudio_files",),
                 "pavas_phy_adapter.json": ("tiny_mmaudio_files", "tiny_phy_adapter_file"),
                 "pavas_perception.json": ("tiny_perception_files",)}


def load(name: str) -> dict:
    return json.loads((REPO / "workflows" / name).read_text())


@pytest.fixture(scope="module")
def demo_in_input(pack, core, comfy):
    """The example video the workflows name, in the input folder as the pack puts it there."""
    assert DEMO.is_file(), "assets/pavas_bounce_demo.mp4 ships with the pack"
    target = comfy.input_dir / DEMO.name
    assert DEMO.name in pack.nodes.video_nodes.list_input_videos()
    return target


def test_workflows_use_no_core_node_deprecated_in_current_comfyui():
    # ComfyUI 0.25 deprecates Save Audio (FLAC/MP3/Opus); its replacement does not exist in 0.8
    deprecated = {"SaveAudio", "SaveAudioMP3", "SaveAudioOpus"}
    for path in WORKFLOW_FILES:
        assert not {n["type"] for n in json.loads(path.read_text())["nodes"]} & deprecated, path.name


def test_the_three_shareable_workflows_are_there():
    names = {p.name for p in WORKFLOW_FILES}
    assert {"pavas_physics_foley.json", "pavas_mmaudio_with_physics_layer.json", "pavas_core_video_nodes.json"} <= names
    assert not (REPO / "example").exists() and not (REPO / "examples").exists()  # would shadow workflows/


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_workflow_file_is_a_consistent_ui_v04_save(path, node_classes):
    wf = json.loads(path.read_text())
    assert wf["version"] == 0.4 and isinstance(wf["models"], list)
    nodes = {n["id"]: n for n in wf["nodes"]}
    assert wf["last_node_id"] == max(nodes) and wf["last_link_id"] == max((l[0] for l in wf["links"]), default=0)
    for link_id, src, src_slot, dst, dst_slot, link_type in wf["links"]:
        assert link_id in nodes[src]["outputs"][src_slot]["links"]
        assert nodes[dst]["inputs"][dst_slot]["link"] == link_id
        assert nodes[src]["outputs"][src_slot]["type"] == link_type
        cls = node_classes[nodes[src]["type"]]
        assert cls.RETURN_TYPES[src_slot] == link_type
    for node in nodes.values():
        if node["type"] in ("Note", "MarkdownNote"):
            continue
        props = node["properties"]
        assert props["Node name for S&R"] == node["type"] and props["cnr_id"] in ("pavas", "comfy-core")
        assert len(node["widgets_values"]) == len(runner.widget_layout(node_classes[node["type"]]))
    for model in wf["models"]:
        assert set(model) >= {"name", "url", "directory"} and model["url"].startswith("https://")
        used = [v for n in nodes.values() for v in n.get("widgets_values", [])]
        assert model["name"] in used, f"{model['name']} is listed but no loader uses it"


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_widget_values_are_valid_for_the_node_inputs(path, node_classes, demo_in_input, request):
    if path.name in NEEDS_WEIGHTS:
        for fixture in NEEDS_WEIGHTS[path.name]:  # the loaders' lists show what is in the model folders
            request.getfixturevalue(fixture)
    api = runner.ui_to_api(json.loads(path.read_text()), node_classes)
    runner.validate(api, node_classes)


def saved_outputs(results: dict, comfy, kind: str) -> list[Path]:
    files = []
    for out in results.values():
        for entry in out["ui"].get(kind, []):
            if entry.get("type") == "output":
                files.append(comfy.output_dir / entry["subfolder"] / entry["filename"])
    return files


def previewed_audio(results: dict, comfy, prefix: str) -> list[Path]:
    """The WAVs that the pack's sound nodes preview (temp folder), by file-name prefix."""
    return [comfy.temp_dir / entry["subfolder"] / entry["filename"]
            for out in results.values() for entry in out["ui"].get("audio", [])
            if entry.get("type") == "temp" and entry["filename"].startswith(prefix + "_")]


def check_audio_file(core, path: Path, *, rate: int, duration_s: float):
    track = core.video.read_audio(path)
    assert track.sample_rate_hz == rate
    assert track.duration_s == pytest.approx(duration_s, abs=0.05)
    assert np.isfinite(track.waveform).all()
    assert np.abs(track.waveform).max() > 1e-3, "silent"


def check_video_file(core, path: Path, *, duration_s: float, audible: bool = True):
    clip = core.video.read_video(path, with_audio=True)
    assert clip.num_frames > 1 and clip.frames.std() > 1.0, "no picture"
    assert clip.duration_s == pytest.approx(duration_s, abs=0.15)
    assert clip.audio is not None and np.isfinite(clip.audio.waveform).all()
    if audible:
        assert np.abs(clip.audio.waveform).max() > 1e-3, "no sound"
    else:
        assert np.abs(clip.audio.waveform).max() < 1e-4, "sound without a sonified impact"


def run(name, node_classes):
    api = runner.ui_to_api(load(name), node_classes)
    return runner.execute(api, node_classes)


def demo_duration(core, demo_in_input) -> float:
    return core.video.read_video(demo_in_input, with_audio=False, max_side=64).duration_s


def run_sound_and_video_workflow(name, prefix, rate, core, comfy, node_classes, demo_in_input) -> dict:
    """Run a workflow that previews a sound and saves the video: both as long as the demo clip."""
    results = run(name, node_classes)
    duration = demo_duration(core, demo_in_input)
    (audio_file,) = previewed_audio(results, comfy, prefix)
    check_audio_file(core, audio_file, rate=rate, duration_s=duration)
    (video_file,) = saved_outputs(results, comfy, "images")
    check_video_file(core, video_file, duration_s=duration)
    return results


def test_workflow_physics_foley_runs_as_is(core, comfy, node_classes, demo_in_input):
    results = run_sound_and_video_workflow("pavas_physics_foley.json", "PAVAS_foley", 44100, core, comfy,
                                           node_classes, demo_in_input)
    timeline = next(r["ui"]["pavas_timeline"][0] for r in results.values() if "pavas_timeline" in r["ui"])
    assert sum(len(o["impacts"]) for o in timeline["objects"]) >= 1, "the bouncing ball's impacts were not found"


def test_workflow_core_video_nodes_runs_as_is(core, comfy, node_classes, demo_in_input):
    run_sound_and_video_workflow("pavas_core_video_nodes.json", "PAVAS_foley", 48000, core, comfy, node_classes,
                                 demo_in_input)


def test_workflow_tiny_runs_as_is_with_the_shipped_checkpoint(core, comfy, node_classes, demo_in_input):
    run_sound_and_video_workflow("pavas_tiny.json", "PAVAS_tiny", 16000, core, comfy, node_classes, demo_in_input)


def test_mmaudio_workflow_lists_the_released_16k_file_names(tiny_set_names):
    listed = {m["name"] for m in load("pavas_mmaudio_with_physics_layer.json")["models"]}
    assert listed == set(tiny_set_names.values())  # so the tiny set runs it unchanged


def test_workflow_mmaudio_runs_with_tiny_random_weight_models(core, comfy, node_classes, demo_in_input,
                                                              tiny_mmaudio_files):
    results = run("pavas_mmaudio_with_physics_layer.json", node_classes)
    duration = demo_duration(core, demo_in_input)
    (audio_file,) = previewed_audio(results, comfy, "PAVAS_mix")
    check_audio_file(core, audio_file, rate=44100, duration_s=duration)  # mix: highest rate (Foley 44.1k)
    (video_file,) = saved_outputs(results, comfy, "images")
    check_video_file(core, video_file, duration_s=duration)
    sampler = next(r for r in results.values() if r["ui"].get("audio") and "mmaudio" in r["ui"]["audio"][0]["filename"])
    generated = sampler["result"][0]
    assert generated["sample_rate"] == 16000  # the 16 kHz model's true rate, not a hard-coded 44100
    assert generated["waveform"].shape[-1] == pytest.approx(duration * 16000, abs=16)
    assert comfy.calls["load_models_gpu"], "models must be loaded through ComfyUI's memory manager"


def test_staged_workflow_gives_the_same_physics_as_estimate_physics(core, comfy, node_classes, demo_in_input):
    api = runner.ui_to_api(load("pavas_staged_physics.json"), node_classes)
    results = runner.execute(api, node_classes)
    assemble = next(nid for nid, n in api.items() if n["class_type"] == "PAVAS_AssemblePhysics")
    staged = results[assemble]["result"][0]
    # the all-in-one node on the same clip, with the same names (its other widgets at their defaults)
    load_id = next(nid for nid, n in api.items() if n["class_type"] == "PAVAS_LoadVideo")
    names = next(n for n in api.values() if n["class_type"] == "PAVAS_MovingObjects")["inputs"]["object_names"]
    estimate = node_classes["PAVAS_EstimatePhysics"]()
    whole = estimate.estimate(results[load_id]["result"][3], names, 0.0, 0.0, 0.0, 4)["result"][0]
    assert len(staged.objects) == 2 and sum(len(o.impacts) for o in staged.objects) >= 3
    assert staged.to_json(masks=True) == whole.to_json(masks=True)
    duration = demo_duration(core, demo_in_input)
    (audio_file,) = previewed_audio(results, comfy, "PAVAS_foley")
    check_audio_file(core, audio_file, rate=44100, duration_s=duration)
    (video_file,) = saved_outputs(results, comfy, "images")
    check_video_file(core, video_file, duration_s=duration)
    # the MASK output went through core nodes (MaskToImage, ImageFromBatch) to a preview: frames 20..27
    # at the clip's size, white where the objects are
    mask_id = next(nid for nid, n in api.items() if n["class_type"] == "PAVAS_ObjectMasks")
    mask = results[mask_id]["result"][1]
    clip = results[load_id]["result"][3]
    assert tuple(mask.shape) == (clip.num_frames, clip.height, clip.width)
    preview = next(nid for nid, n in api.items() if n["class_type"] == "PreviewImage")
    assert len(results[preview]["ui"]["images"]) == 8
    for k in range(20, 28):
        expected = sum(o.masks.resized((clip.width, clip.height)).area_px()[k] for o in staged.objects)
        assert 0 < float(mask[k].sum()) <= expected


@pytest.fixture(scope="module")
def tiny_phy_adapter_file(core, comfy, tiny_mmaudio_files):
    """An untrained Phy-Adapter for the tiny 16 kHz network, under the name the workflow uses, in models/pavas."""
    import importlib

    adapter = importlib.import_module(core.__name__ + ".models.phy_adapter")
    tiny = importlib.import_module(core.__name__ + ".models.tiny_models")
    folder = comfy.models_dir / "pavas"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pavas_phy_adapter_small_16k.safetensors"
    adapter.save_adapter(adapter.fresh_adapter(tiny.tiny_network_config(16000)), path)
    return path


def test_workflow_phy_adapter_runs_with_tiny_random_weight_models(core, comfy, node_classes, demo_in_input,
                                                                  tiny_mmaudio_files, tiny_phy_adapter_file):
    api = runner.ui_to_api(load("pavas_phy_adapter.json"), node_classes)
    results = runner.execute(api, node_classes)
    duration = demo_duration(core, demo_in_input)
    sampler_id = next(nid for nid, n in api.items() if n["class_type"] == "PAVAS_MMAudioSampler")
    steered = results[sampler_id]["result"][0]
    assert steered["sample_rate"] == 16000
    assert steered["waveform"].shape[-1] == pytest.approx(duration * 16000, abs=16)
    (video_file,) = saved_outputs(results, comfy, "images")
    check_video_file(core, video_file, duration_s=duration)
    # an untrained adapter leaves MMAudio's sound as it is: the same sampler without the conditioning
    inputs = dict(api[sampler_id]["inputs"])
    inputs.pop("physics_conditioning")
    model, features = (results[api[sampler_id]["inputs"][k][0]]["result"][0] for k in ("mmaudio_model",
                                                                                        "feature_encoders"))
    clip = results[api[sampler_id]["inputs"]["clip"][0]]["result"][3]
    widgets = {k: v for k, v in inputs.items() if not isinstance(v, list)}
    plain = node_classes["PAVAS_MMAudioSampler"]().sample(model, features, clip=clip, **widgets)["result"][0]
    assert np.array_equal(plain["waveform"].numpy(), steered["waveform"].numpy())
def test_perception_workflow_measures_geometry_with_a_depth_model_on_the_sam2_masks():
    wf = load("pavas_perception.json")
    nodes = {n["id"]: n for n in wf["nodes"]}
    links = {l[0]: l for l in wf["links"]}  # id -> [id, from node, from slot, to node, to slot, type]

    def source(node, input_name):
        (slot,) = [s for s in node["inputs"] if s["name"] == input_name]
        _, src, src_slot, *_ = links[slot["link"]]
        return nodes[src]["type"], nodes[src]["outputs"][src_slot]["name"]

    (geometry,) = [n for n in nodes.values() if n["type"] == "PAVAS_MetricGeometryDepth"]
    assert source(geometry, "masks") == ("PAVAS_SegmentObjectsSAM2", "masks")
    assert source(geometry, "depth_model") == ("PAVAS_LoadDepthModel", "depth_model")
    assert source(geometry, "objects") == ("PAVAS_ObjectsAndMassVLM", "objects")
    (loader,) = [n for n in nodes.values() if n["type"] == "PAVAS_LoadDepthModel"]
    assert loader["widgets_values"][0] == "Depth-Anything-V2-Metric-Indoor-Small-hf"
    # its geometry is the one the mass and the physics use; no second geometry node competes with it
    for consumer in ("PAVAS_ObjectMass", "PAVAS_AssemblePhysics"):
        (node,) = [n for n in nodes.values() if n["type"] == consumer]
        assert source(node, "geometry") == ("PAVAS_MetricGeometryDepth", "geometry")
    assert not [n for n in nodes.values() if n["type"] == "PAVAS_MetricGeometry"]
    (note,) = [n for n in nodes.values() if n["type"] == "Note"]
    assert "models/depth/Depth-Anything-V2-Metric-Indoor-Small-hf" in note["widgets_values"][0]
    assert "gravity" in note["widgets_values"][0]  # the weight-free alternative is named


def test_workflow_perception_runs_with_tiny_random_weight_models(core, comfy, node_classes, demo_in_input,
                                                                 tiny_perception_files):
    """The perception workflow, unchanged but for values that keep random-weight models quick on a CPU:
    1.5 s of the clip at 10 fps, SAM-2 at 128 px, short VLM answers, two frames for the VLM and
    Florence-2 (the tiny depth model's own folder feeds it 56 px frames). The random models' answers
    make every stage fall back, and the physics says so."""
    api = runner.ui_to_api(load("pavas_perception.json"), node_classes)
    by_type = {n["class_type"]: n for n in api.values()}
    by_type["PAVAS_LoadVideo"]["inputs"]["max_duration_s"] = 1.5
    by_type["PAVAS_LoadVideo"]["inputs"]["force_fps"] = 10.0
    by_type["PAVAS_LoadSAM2"]["inputs"]["image_size"] = 128
    by_type["PAVAS_ObjectsAndMassVLM"]["inputs"]["max_answer_tokens"] = 16
    by_type["PAVAS_ObjectsAndMassVLM"]["inputs"]["frames"] = 2
    by_type["PAVAS_DetectObjectsFlorence2"]["inputs"]["scan_frames"] = 2
    runner.validate(api, node_classes)
    # Florence-2 at random weights writes its longest answer: 12 tokens, one beam, are enough to test the flow
    (florence,) = node_classes["PAVAS_LoadFlorence2"]().load("Florence-2-base", "auto")
    florence.model.max_new_tokens, florence.model.num_beams = 12, 1
    results = runner.execute(api, node_classes)
    assert comfy.calls["load_models_gpu"], "models must be loaded through ComfyUI's memory manager"
    assemble = next(nid for nid, n in api.items() if n["class_type"] == "PAVAS_AssemblePhysics")
    physics = results[assemble]["result"][0]
    assert physics.estimator["stages"]["discover"] == "vlm" and physics.estimator["stages"]["observe"] == "sam2"
    assert physics.estimator["stages"]["boxes"] == "florence2" and physics.estimator["stages"]["mass"] == "vlm"
    # metres from the tiny depth model in models/depth, in the world frame (camera motion from the background)
    assert physics.estimator["stages"]["geometry"] == "depth" and physics.geometry.backend == "depth"
    assert physics.geometry.metric_scale_source == "depth" and physics.geometry.focal_source == "assumed_fov"
    assert physics.geometry.extra["depth_model"] == "Depth-Anything-V2-Metric-Indoor-Small-hf"
    warnings = " | ".join(physics.warnings)
    assert "no usable VLM answer" in warnings and len(physics.objects) >= 1 and physics.num_frames == 15
    for i, obj in enumerate(physics.objects):
        assert obj.mass_source == "prior" and obj.name_source == "generic"
        assert obj.mask_source == "sam2" or f"SAM-2 did not segment object {i}" in warnings
    # random depth gives random metres: a candidate impact whose fall is not gravity stays silent, and the
    # physics says why; the video keeps its (then silent) sound track either way
    sonified = [imp for obj in physics.objects for imp in obj.impacts if imp.sonified]
    assert all(imp.reason for obj in physics.objects for imp in obj.impacts if not imp.sonified)
    assert sonified or "the sound will be silent" in warnings
    (video_file,) = saved_outputs(results, comfy, "images")
    check_video_file(core, video_file, duration_s=1.5, audible=bool(sonified))
