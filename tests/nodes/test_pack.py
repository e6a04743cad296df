"""The pack as ComfyUI loads it: entry point, node ids, categories, names, tooltips, model folders."""

from __future__ import annotations

import re
import subprocess
import sys


from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

EXPECTED_NODES = {
    "PAVAS_LoadVideo", "PAVAS_ClipFromFrames", "PAVAS_MuxVideo",
    "PAVAS_EstimatePhysics", "PAVAS_EditPhysics", "PAVAS_PhysicsPreview",
    "PAVAS_MovingObjects", "PAVAS_ObjectMasks", "PAVAS_MetricGeometry", "PAVAS_ObjectMass", "PAVAS_AssemblePhysics",
    "PAVAS_PhysicsFoley", "PAVAS_AudioMix", "PAVAS_APCCScore",
    "PAVAS_MMAudioModelLoader", "PAVAS_MMAudioFeatureLoader", "PAVAS_MMAudioSampler",
    "PAVAS_LoadDepthModel", "PAVAS_MetricGeometryDepth", "PAVAS_MetricGeometryDA3", "PAVAS_MetricGeometryMoGe",
    "PAVAS_LoadCut3r", "PAVAS_MetricGeometryCut3r",
    "PAVAS_LoadPhyAdapter", "PAVAS_PhyAdapterConditioning", "PAVAS_LoadTinyGenerator", "PAVAS_TinySampler",
    "PAVAS_LoadVLM", "PAVAS_ObjectsAndMassVLM", "PAVAS_ObjectsFromText", "PAVAS_VLMQuestion",
    "PAVAS_LoadFlorence2", "PAVAS_DetectObjectsFlorence2", "PAVAS_LoadSAM2", "PAVAS_SegmentObjectsSAM2",
    "PAVAS_ObjectMasksFromSAM3",
}


def test_entry_point_imports_without_comfyui_and_exports_mappings():
    # a fresh interpreter with no ComfyUI module anywhere: the pack must still import
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('pack', {str(REPO / '__init__.py')!r}, "
        f"submodule_search_locations=[{str(REPO)!r}])\n"
        "m = importlib.util.module_from_spec(spec); sys.modules['pack'] = m; spec.loader.exec_module(m)\n"
        "assert 'folder_paths' not in sys.modules and 'comfy' not in sys.modules\n"
        "assert 'torch' not in sys.modules, 'importing the pack must not import torch'\n"
        "import pack.nodes as n; assert not n.FAILED_MODULES, n.FAILED_MODULES\n"
        "print(sorted(m.NODE_CLASS_MAPPINGS), m.WEB_DIRECTORY)\n"
        "for cls in m.NODE_CLASS_MAPPINGS.values(): cls.INPUT_TYPES()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    for node_id in EXPECTED_NODES:
        assert node_id in out.stdout
    assert "./web" in out.stdout


def test_every_node_is_registered_with_a_prefixed_id_and_title_case_name(pack):
    assert set(pack.NODE_CLASS_MAPPINGS) == EXPECTED_NODES
    assert set(pack.NODE_DISPLAY_NAME_MAPPINGS) == EXPECTED_NODES
    for node_id, name in pack.NODE_DISPLAY_NAME_MAPPINGS.items():
        assert node_id.startswith("PAVAS_")
        words = re.findall(r"[A-Za-z]+", name.replace("PAVAS-tiny", "PAVAS"))  # a model's proper name
        assert all(w[0].isupper() or w in ("or", "and", "into", "from") for w in words), name


def test_categories_live_under_one_pavas_top_category(pack):
    for node_id, cls in pack.NODE_CLASS_MAPPINGS.items():
        assert re.fullmatch(r"PAVAS/[a-z]+(/[a-z]+)?", cls.CATEGORY), (node_id, cls.CATEGORY)


def test_every_input_and_output_has_a_tooltip(pack):
    for node_id, cls in pack.NODE_CLASS_MAPPINGS.items():
        spec = cls.INPUT_TYPES()
        for section in ("required", "optional"):
            for name, value in spec.get(section, {}).items():
                opts = value[1] if len(value) > 1 else {}
                assert opts.get("tooltip"), f"{node_id}.{name} has no tooltip"
        assert len(cls.OUTPUT_TOOLTIPS) == len(cls.RETURN_TYPES), node_id
        assert len(getattr(cls, "RETURN_NAMES", cls.RETURN_TYPES)) == len(cls.RETURN_TYPES), node_id
        assert cls.DESCRIPTION and callable(getattr(cls, cls.FUNCTION))


def test_pack_socket_types_carry_the_pavas_prefix(pack):
    # core types, including those of core nodes the pack takes as inputs (ComfyUI 0.25's SAM 3 tracking,
    # Depth Anything 3 and MoGe)
    builtin = {"IMAGE", "AUDIO", "VIDEO", "FLOAT", "INT", "STRING", "BOOLEAN", "MASK", "SAM3_TRACK_DATA", "DA3_GEOMETRY",
               "MOGE_GEOMETRY"}
    for cls in pack.NODE_CLASS_MAPPINGS.values():
        types_ = list(cls.RETURN_TYPES)
        for section in cls.INPUT_TYPES().values():
            types_ += [v[0] for v in section.values() if isinstance(v[0], str)]
        for t in types_:
            assert t in builtin or t.startswith("PAVAS_"), t


def test_model_folders_are_registered_with_weight_extension_filtering(pack, comfy):
    fp = comfy.modules["folder_paths"]
    for name in ("mmaudio", "pavas", "sam2", "cut3r", "LLM", "depth"):
        paths, extensions = fp.folder_names_and_paths[name]
        assert str(comfy.models_dir / name) in paths
        assert ".safetensors" in extensions and ".pth" in extensions and ".json" not in extensions
        assert (comfy.models_dir / name).is_dir()
    (comfy.models_dir / "mmaudio" / "README.txt").write_text("not a model")
    (comfy.models_dir / "mmaudio" / "net.safetensors").write_bytes(b"x")
    listed = fp.get_filename_list("mmaudio")
    assert "net.safetensors" in listed and "README.txt" not in listed


def test_registering_again_keeps_paths_another_pack_added(pack, comfy):
    fp = comfy.modules["folder_paths"]
    fp.add_model_folder_path("LLM", "/elsewhere/LLM")
    pack.nodes.model_folders.register_model_folders()
    paths, extensions = fp.folder_names_and_paths["LLM"]
    assert "/elsewhere/LLM" in paths and paths.count(str(comfy.models_dir / "LLM")) == 1
    assert extensions


def test_example_video_is_copied_into_the_input_folder_so_previews_find_it(pack, comfy):
    demo = REPO / "assets" / "pavas_bounce_demo.mp4"
    assert demo.is_file(), "the example video ships with the pack"
    target = comfy.input_dir / "pavas_bounce_demo.mp4"
    target.unlink(missing_ok=True)
    names = pack.NODE_CLASS_MAPPINGS["PAVAS_LoadVideo"].INPUT_TYPES()["required"]["video"][0]
    assert "pavas_bounce_demo.mp4" in names
    assert target.read_bytes() == demo.read_bytes()


def test_a_users_file_with_the_example_name_is_never_overwritten(pack, comfy):
    target = comfy.input_dir / "pavas_bounce_demo.mp4"
    target.write_bytes(b"user's own file")
    pack.nodes.video_nodes.install_example_videos()
    assert target.read_bytes() == b"user's own file"
    target.unlink()
