"""MMAudio Model Loader, Feature Loader and Sampler (PAVAS): registry, ModelPatcher, cancel, errors."""

from __future__ import annotations

import gc

import pytest
import torch


def model_loader(pack):
    return pack.NODE_CLASS_MAPPINGS["PAVAS_MMAudioModelLoader"]


def write_tiny_network(core, path, *, seed=0):
    import importlib

    from safetensors.torch import save_file

    tiny = importlib.import_module(core.__name__ + ".models.tiny_models")
    mm = importlib.import_module(core.__name__ + ".models.mmaudio")
    save_file(mm.random_state_dict(tiny.tiny_network_config(16000), seed=seed), str(path))


@pytest.fixture
def tiny_net_file(core, comfy):
    path = comfy.models_dir / "mmaudio" / "tiny_net_test.safetensors"
    write_tiny_network(core, path)
    yield path.name
    path.unlink(missing_ok=True)


def test_model_list_shows_weight_files_of_models_mmaudio(pack, tiny_net_file):
    names = model_loader(pack).INPUT_TYPES()["required"]["model"][0]
    assert tiny_net_file in names


def test_missing_weights_name_the_file_and_the_folder(pack):
    verdict = model_loader(pack).VALIDATE_INPUTS(model="mmaudio_small_16k.pth")
    assert isinstance(verdict, str)
    assert "mmaudio_small_16k.pth" in verdict and "models/mmaudio" in verdict
    features = pack.NODE_CLASS_MAPPINGS["PAVAS_MMAudioFeatureLoader"]
    verdict = features.VALIDATE_INPUTS(vae="v1-16.pth", vocoder="x", synchformer="y", clip="z")
    assert "v1-16.pth" in verdict and "models/mmaudio" in verdict


def test_loader_detects_a_custom_size_and_keeps_one_copy_per_file_and_precision(pack, core, comfy, tiny_net_file):
    import importlib

    registry = importlib.import_module(core.__name__ + ".runtime").REGISTRY
    loader = model_loader(pack)()
    (a,) = loader.load(tiny_net_file, "fp32")
    (b,) = loader.load(tiny_net_file, "fp32")
    assert a is b  # one model, shared
    assert a.model.config.hidden_dim == 32 and a.model.config.name == "custom"
    assert a.patcher is not None and a.patcher.model["model"] is a.module  # ComfyUI can move and evict it
    assert next(a.module.parameters()).dtype == torch.float32
    (c,) = loader.load(tiny_net_file, "bf16")
    assert c is not a and next(c.module.parameters()).dtype == torch.bfloat16
    keys = [k for k in registry.keys() if k[0] == "mmaudio_network"]
    assert len(keys) == 1  # switching precision dropped the fp32 copy


def test_auto_precision_is_fp32_on_the_cpu(pack, tiny_net_file):
    (handle,) = model_loader(pack)().load(tiny_net_file, "auto")
    assert next(handle.module.parameters()).dtype == torch.float32


def test_a_file_that_is_not_an_mmaudio_network_is_refused_by_name(pack, core, comfy):
    from safetensors.torch import save_file

    path = comfy.models_dir / "mmaudio" / "not_a_net.safetensors"
    save_file({"encoder.weight": torch.zeros(3, 3)}, str(path))
    try:
        with pytest.raises(core.errors.UnsupportedCheckpointError, match="audio_input_proj"):
            model_loader(pack)().load(path.name, "fp32")
    finally:
        path.unlink()


def test_sampler_refuses_wrong_inputs(pack, core, tiny_net_file):
    sampler = pack.NODE_CLASS_MAPPINGS["PAVAS_MMAudioSampler"]()
    (net,) = model_loader(pack)().load(tiny_net_file, "fp32")
    args = dict(prompt="", negative_prompt="", duration_s=1.0, steps=2, cfg=4.5, seed=0)
    with pytest.raises(core.errors.BadInputError, match="PAVAS_MMAUDIO_MODEL"):
        sampler.sample("model.pth", net, **args)
    with pytest.raises(core.errors.BadInputError, match="connect the model loader"):
        sampler.sample(net, net, **args)


def live_tensor_count() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if issubclass(type(o), torch.Tensor))  # type(): no proxy lookups


def sampler_args(clip, **kw):
    return {"prompt": "a stone hits the floor", "negative_prompt": "music", "duration_s": 0.0, "steps": 6,
            "cfg": 4.5, "seed": 3, "clip": clip} | kw


@pytest.fixture(scope="module")
def scene_clip(pack, scene_video):
    return pack.NODE_CLASS_MAPPINGS["PAVAS_LoadVideo"]().load(
        "scene.mp4", max_side=160, force_fps=0.0, start_s=0.0, max_duration_s=0.0)[3]


def test_sampler_makes_sound_as_long_as_the_clip_at_the_models_rate(pack, comfy, tiny_mmaudio, scene_clip):
    model, features = tiny_mmaudio
    comfy.calls["load_models_gpu"].clear()
    out = pack.NODE_CLASS_MAPPINGS["PAVAS_MMAudioSampler"]().sample(model, features, **sampler_args(scene_clip))
    (audio,) = out["result"]
    assert audio["sample_rate"] == 16000
    assert audio["waveform"].shape[-1] == pytest.approx(scene_clip.duration_s * 16000, abs=16)
    assert torch.isfinite(audio["waveform"]).all() and float(audio["waveform"].abs().max()) > 1e-3
    (loaded,) = comfy.calls["load_models_gpu"]
    assert {id(p) for p in loaded} == {id(model.patcher), id(features.patcher)}  # through ComfyUI, not .to()
    assert out["ui"]["audio"][0]["type"] == "temp"
    assert comfy.calls["progress"], "no per-step progress was reported"


def test_sampler_without_a_clip_uses_the_duration(pack, tiny_mmaudio):
    model, features = tiny_mmaudio
    out = pack.NODE_CLASS_MAPPINGS["PAVAS_MMAudioSampler"]().sample(model, features,
                                                                     **sampler_args(None, duration_s=1.5, steps=2))
    assert out["result"][0]["waveform"].shape[-1] == pytest.approx(1.5 * 16000, abs=16)


@pytest.mark.parametrize("throttled", [False, True], ids=["hook_every_step_comfyui_0.8", "hook_throttled_comfyui_0.25"])
def test_interrupt_stops_within_one_step_frees_memory_and_leaves_the_models_usable(
        pack, comfy, tiny_mmaudio, scene_clip, monkeypatch, throttled):
    model, features = tiny_mmaudio
    sampler = pack.NODE_CLASS_MAPPINGS["PAVAS_MMAudioSampler"]()
    args = sampler_args(scene_clip, steps=8, duration_s=1.0)  # the first second of the clip: faster
    reference = sampler.sample(model, features, **args)["result"][0]["waveform"]
    steps_run = []
    interrupt_at = 3
    cancel = [True]  # pressed once
    original = type(model.model).predict_flow

    def predict_flow(self, *a, **k):  # the user presses Cancel while step `interrupt_at` runs
        steps_run.append(1)
        if len(steps_run) == interrupt_at and cancel:
            cancel.pop()
            comfy.press_cancel()
        return original(self, *a, **k)

    monkeypatch.setattr(type(model.model), "predict_flow", predict_flow)
    baseline = live_tensor_count()
    mm = comfy.modules["comfy.model_management"]

    def hook(value, total, preview, node_id=None):  # main.py's hook, minus the websocket
        mm.throw_exception_if_processing_interrupted()

    # ComfyUI ≥ 0.9.2 calls the hook only now and then: the Cancel must be seen without it
    comfy.set_progress_hook(hook, throttled=throttled)
    comfy.calls["soft_empty_cache"].clear()
    with pytest.raises(comfy.modules["comfy.model_management"].InterruptProcessingException) as info:
        sampler.sample(model, features, **args)
    comfy.set_progress_hook(None)
    assert len(steps_run) == interrupt_at  # no step after the one that saw the interrupt
    assert comfy.calls["soft_empty_cache"], "cached accelerator memory was not released"
    del info
    assert live_tensor_count() <= baseline, "the interrupted run left tensors alive"
    steps_run.clear()
    again = sampler.sample(model, features, **args)["result"][0]["waveform"]
    assert len(steps_run) == 8 and torch.equal(again, reference)  # models untouched, same seed → same sound
