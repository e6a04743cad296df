"""Fixtures of the ComfyUI node tests: the pack imported with test-only ComfyUI stand-ins."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))  # the helper modules beside this file (no __init__.py in tests)

import pavas_comfy_fakes  # noqa: E402

PACK_MODULE = "pavas_pack"  # the name the tests import the pack under (ComfyUI uses its folder path)


def import_pack(name: str = PACK_MODULE):
    """Import the repo root (the ComfyUI entry point) as a package, the way ComfyUI's loader does."""
    for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
        del sys.modules[key]
    spec = importlib.util.spec_from_file_location(name, REPO / "__init__.py", submodule_search_locations=[str(REPO)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def comfy(tmp_path_factory):
    """Test-only ComfyUI modules in sys.modules, with input/output/temp/models folders in a tmp dir."""
    fake = pavas_comfy_fakes.install(tmp_path_factory.mktemp("comfyui"))
    yield fake
    pavas_comfy_fakes.uninstall()


@pytest.fixture(scope="session")
def pack(comfy):
    """The pack as ComfyUI sees it (root __init__.py), imported after the fakes are in place."""
    module = import_pack()
    yield module
    for key in [k for k in sys.modules if k == PACK_MODULE or k.startswith(PACK_MODULE + ".")]:
        del sys.modules[key]


@pytest.fixture(scope="session")
def node_classes(pack):
    """Every class the workflows may use: the pack's nodes and the fake core nodes."""
    return {**pack.NODE_CLASS_MAPPINGS, **pavas_comfy_fakes.CORE_NODES}


@pytest.fixture(scope="session")
def core(pack):
    """The pack's copy of pavas_core (types must come from the same import as the nodes use)."""
    import importlib

    for sub in ("video", "physics.tracks", "synth", "comfy_types", "errors"):
        importlib.import_module(f"{PACK_MODULE}.pavas_core.{sub}")
    return sys.modules[PACK_MODULE + ".pavas_core"]


@pytest.fixture(autouse=True)
def _reset_progress_hook(request):
    yield
    if "comfy" in request.fixturenames:
        fake = request.getfixturevalue("comfy")
        fake.set_progress_hook(None)
        fake.modules["comfy.model_management"].interrupted = False  # a Cancel never leaks into the next test


def make_tracks(core, *, mass_kg: float = 0.6, fps: float = 30.0, num_frames: int = 60, material: str | None = "rubber",
                impacts=((0.5, 4.0, 3.0), (1.1, 3.0, 2.2), (1.6, 2.2, 1.5))):
    """One bouncing object with known impacts (time_s, v_before, v_after); ΔKE from the masses."""
    tracks_mod = core.physics.tracks
    speeds = [round(1.0 + abs((i % 15) - 7) * 0.4, 3) for i in range(num_frames)]
    obj = tracks_mod.ObjectTrack(
        id=0, name="ball", action="bouncing", mass_kg=mass_kg, mass_source="prior",
        speed_mps=speeds, centroid_m=[[0.0, 0.1 * i, 2.0] for i in range(num_frames)],
        impacts=[tracks_mod.Impact(frame=int(t * fps), time_s=t, v_before=vb, v_after=va,
                                   delta_ke_j=tracks_mod.delta_ke_j(mass_kg, vb, va)) for t, vb, va in impacts],
        material=material, material_source="prior" if material else None, size_m=0.12, size_source="prior",
    )
    geometry = tracks_mod.Geometry(backend="pinhole", metric_scale_source="size_prior")
    return tracks_mod.PhysicsTracks(fps=fps, num_frames=num_frames, width=64, height=48, objects=[obj],
                                    geometry=geometry).validate()


@pytest.fixture
def tracks(core):
    return make_tracks(core)


def bounce_heights(num_frames: int, fps: float, *, drop_px: float, fall_s: float = 0.4, restitution: float = 0.7):
    """Height above the floor (px) of a ball dropped from rest, bouncing with `restitution`: (T,)."""
    import numpy as np

    g = 2.0 * drop_px / fall_s**2  # px/s²
    heights = np.empty(num_frames)
    y, v, dt = drop_px, 0.0, 1.0 / (fps * 50)
    for i in range(num_frames):
        heights[i] = y
        for _ in range(50):  # fine steps between frames
            v -= g * dt
            y += v * dt
            if y <= 0.0:
                y, v = -y, -v * restitution
    return heights


def write_ball_video(core, path: Path, *, fps: float = 24.0, seconds: float = 1.5, size=(64, 48), with_audio=True):
    """A small video of a bright square dropped on the floor, bouncing, on a dark background, with a tone."""
    import numpy as np

    width, height = size
    n = int(round(fps * seconds))
    side = max(4, height // 6)
    floor = height - side - 2
    frames = np.full((n, height, width, 3), 20, dtype=np.uint8)
    for i, h in enumerate(bounce_heights(n, fps, drop_px=floor - 2)):
        y = int(round(floor - h))
        x = width // 4 + int(width / 3 * i / n)
        frames[i, y:y + side, x:x + side] = 230
    audio = None
    if with_audio:
        rate = 16000
        t = np.arange(int(seconds * rate)) / rate
        audio = core.video.AudioTrack((0.3 * np.sin(2 * np.pi * 440 * t))[None].astype(np.float32), rate)
    core.video.write_video(path, frames, fps, audio=audio)
    return path


@pytest.fixture(scope="session")
def ball_video(core, comfy):
    """'ball.mp4' in the fake input folder (24 fps, 1.5 s, 64x48, with a 440 Hz tone)."""
    return write_ball_video(core, comfy.input_dir / "ball.mp4")


def write_scene_video(core, path: Path, *, seed: int = 0, size=(160, 120), seconds: float = 1.5) -> Path:
    """A rendered synthetic scene with real physics (pavas_core.scenes): an object thrown, bouncing."""
    import importlib

    scene_mod = importlib.import_module(core.__name__ + ".scenes.scene")
    scene = scene_mod.sample_scene(seed, resolutions=(size,), duration_range_s=(seconds, seconds), max_objects=1)
    core.video.write_video(path, scene_mod.render_frames(scene), scene.fps)
    return path


@pytest.fixture(scope="session")
def scene_video(core, comfy):
    """'scene.mp4' in the fake input folder: seed-0 scene (one stone, 60 fps, 1.5 s, 3 impacts)."""
    return write_scene_video(core, comfy.input_dir / "scene.mp4")


@pytest.fixture(scope="session")
def tiny_set_names(core) -> dict[str, str]:
    """Role → file name of the 16 kHz set: the released names, which workflow (b) lists."""
    import importlib

    return dict(importlib.import_module(core.__name__ + ".models.tiny_models").RELEASED_NAMES[16000])


@pytest.fixture(scope="session")
def tiny_mmaudio_files(core, comfy):
    """The library's tiny random-weight 16 kHz MMAudio set, under the released names, in models/mmaudio."""
    import importlib

    tiny = importlib.import_module(core.__name__ + ".models.tiny_models")
    return tiny.write_tiny_model_set(comfy.models_dir / "mmaudio", sample_rate_hz=16000)


@pytest.fixture(scope="session")
def tiny_mmaudio(pack, tiny_mmaudio_files, tiny_set_names):
    """(model handle, feature-encoder handle) loaded through the loader nodes (fp32)."""
    names = tiny_set_names
    (model,) = pack.NODE_CLASS_MAPPINGS["PAVAS_MMAudioModelLoader"]().load(names["model"], "fp32")
    (features,) = pack.NODE_CLASS_MAPPINGS["PAVAS_MMAudioFeatureLoader"]().load(
        names["vae"], names["vocoder"], names["synchformer"], names["clip"], "fp32")
    return model, features


@pytest.fixture(scope="session")
def tiny_perception_files(comfy, tiny_perception_dir):
    """The tiny random-weight VLM, Florence-2, SAM-2 and metric depth model under their released names in
    models/LLM, models/sam2 and models/depth (links to the files written once per run, tests/conftest.py)."""
    for rel in ("LLM/Qwen2.5-VL-3B-Instruct", "LLM/Florence-2-base", "sam2/sam2.1_hiera_tiny.pt",
                "depth/Depth-Anything-V2-Metric-Indoor-Small-hf"):
        target = comfy.models_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            target.symlink_to(tiny_perception_dir / rel)
    return comfy.models_dir
