"""Load PAVAS-tiny and PAVAS-tiny Sampler: the shipped choice, files in models/pavas, physics steering,
clear errors."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import torch


def loader(pack):
    return pack.NODE_CLASS_MAPPINGS["PAVAS_LoadTinyGenerator"]


def sampler(pack):
    return pack.NODE_CLASS_MAPPINGS["PAVAS_TinySampler"]()


@pytest.fixture(scope="module")
def tiny_file(core, comfy):
    """A PAVAS-tiny checkpoint with every weight perturbed (a fresh one has a silent adapter and output),
    trained on 1-s windows as its metadata says, in models/pavas."""
    tg = importlib.import_module(core.__name__ + ".models.tiny_generator")
    ckpt = importlib.import_module(core.__name__ + ".models.tiny_generator.checkpoint")
    torch.manual_seed(0)
    model = tg.TinyGenerator(tg.TINY_CONFIGS["tiny"])
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
    folder = comfy.models_dir / "pavas"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "tiny_test.safetensors"
    ckpt.save_tiny_generator(model, path, extra={"train_config": {"duration_s": 1.0}, "trained_steps": 0})
    yield path.name
    path.unlink(missing_ok=True)


def load_scene(pack):
    _, _, _, clip = pack.NODE_CLASS_MAPPINGS["PAVAS_LoadVideo"]().load(
        "scene.mp4", max_side=0, force_fps=0.0, start_s=0.0, max_duration_s=0.0)
    physics, _ = pack.NODE_CLASS_MAPPINGS["PAVAS_EstimatePhysics"]().estimate(
        clip, object_names="stone", object_size_m=0.0, meters_per_px=0.0, focal_px=0.0, max_objects=4)["result"]
    return clip, physics


def test_the_shipped_checkpoint_comes_first_then_the_files_of_models_pavas(pack, tiny_file):
    choices = loader(pack).INPUT_TYPES()["required"]["checkpoint"][0]
    assert choices[0] == "shipped: pavas_tiny.safetensors" and tiny_file in choices
    verdict = loader(pack).VALIDATE_INPUTS(checkpoint="nope.safetensors")
    assert isinstance(verdict, str) and "nope.safetensors" in verdict and "models/pavas" in verdict
    assert loader(pack).VALIDATE_INPUTS(checkpoint=tiny_file) is True


def test_a_file_that_is_no_tiny_checkpoint_is_refused_by_name(pack, core, comfy):
    from safetensors.torch import save_file

    path = comfy.models_dir / "pavas" / "not_tiny.safetensors"
    save_file({"w": torch.zeros(2)}, str(path))
    try:
        with pytest.raises(core.errors.UnsupportedCheckpointError, match="not a PAVAS-tiny checkpoint"):
            loader(pack)().load("not_tiny.safetensors")
    finally:
        path.unlink()


def test_the_sampler_makes_the_clip_long_sound_steered_by_the_physics(pack, core, tiny_file, scene_video):
    (handle,) = loader(pack)().load(tiny_file)
    (again,) = loader(pack)().load(tiny_file)
    assert handle is again and handle.kind == "pavas_tiny" and handle.patcher is not None
    assert handle.model.window_s == 1.0  # the 1.5-s clip is made of two windows
    clip, physics = load_scene(pack)
    args = {"steps": 3, "cfg": 2.0, "seed": 4}
    out = sampler(pack).sample(handle, clip, physics=physics, **args)
    (audio,) = out["result"]
    assert audio["sample_rate"] == 16000 and out["ui"]["audio"]
    wave = audio["waveform"].numpy()
    assert wave.shape == (1, 1, int(round(clip.duration_s * 16000))) and np.isfinite(wave).all()
    same = sampler(pack).sample(handle, clip, physics=physics, **args)["result"][0]["waveform"].numpy()
    np.testing.assert_array_equal(wave, same)  # same inputs and seed: the same sound
    (heavier,) = pack.NODE_CLASS_MAPPINGS["PAVAS_EditPhysics"]().edit(
        physics, object_id=-1, mass_scale=10.0, mass_kg=0.0, speed_scale=1.0, material="keep")["result"]
    edited = sampler(pack).sample(handle, clip, physics=heavier, **args)["result"][0]["waveform"].numpy()
    assert np.abs(edited - wave).max() > 1e-4  # the physics reaches the network
    alone = sampler(pack).sample(handle, clip, **args)["result"][0]["waveform"].numpy()
    assert alone.shape == wave.shape and np.abs(alone - wave).max() > 1e-4


def test_the_sampler_refuses_another_model_with_a_clear_error(pack, core, tiny_file, scene_video):
    clip, _ = load_scene(pack)
    with pytest.raises(core.errors.BadInputError, match="Load PAVAS-tiny"):
        sampler(pack).sample(object(), clip, steps=2, cfg=2.0, seed=0)
