"""`run --generator mmaudio`: the learned path on the command line, with and without a Phy-Adapter."""

import json

import numpy as np
import pytest
import torch

from pavas_core.cli import main


@pytest.fixture(scope="module")
def setting(tmp_path_factory):
    """Tiny random-weight models, a fresh adapter for them, a 2.2 s scene and an 8.6 s one."""
    from pavas_core.models.tiny_models import write_tiny_model_set
    from pavas_core.scenes.dataset import synth_dataset

    root = tmp_path_factory.mktemp("runmm")
    write_tiny_model_set(root / "models", sample_rate_hz=16000)
    synth_dataset(root / "short", n=1, seed=5, fps_choices=(24.0,), resolutions=((96, 64),),
                  duration_range_s=(2.2, 2.2), sample_rate_hz=16000)
    synth_dataset(root / "long", n=1, seed=6, fps_choices=(12.0,), resolutions=((64, 48),),
                  duration_range_s=(8.6, 8.6), sample_rate_hz=16000)
    assert main(["train", "--init-only", "--models", str(root / "models"), "--out", str(root / "fresh.safetensors")]) == 0
    return root


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def read(path):
    from pavas_core.video import read_audio

    return read_audio(path)


def run(setting, scene: str, out, *extra: str) -> int:
    video = setting / scene / "scene_0000" / "scene.mp4"
    return main(["run", str(video), "-o", str(out), "--generator", "mmaudio", "--models", str(setting / "models"),
                 "--steps", "2", "--seed", "7", "--quiet", *extra])


def test_a_fresh_adapter_gives_bitwise_the_sound_of_the_backbone_for_short_and_long_clips(setting, tmp_path):
    # short: physics from the estimator (its masks in memory); long (two windows): from the scene's physics.json
    physics_file = str(setting / "long" / "scene_0000" / "physics.json")
    for scene, extra in (("short", []), ("long", ["--physics-in", physics_file])):
        plain, steered = tmp_path / f"{scene}_plain.wav", tmp_path / f"{scene}_adapter.wav"
        assert run(setting, scene, plain, *extra) == 0
        assert run(setting, scene, steered, "--adapter", str(setting / "fresh.safetensors"), *extra) == 0
        a, b = read(plain), read(steered)
        assert a.sample_rate_hz == b.sample_rate_hz == 16000
        assert np.array_equal(a.waveform, b.waveform) and np.abs(a.waveform).max() > 0


@pytest.fixture(scope="module")
def trained(setting):
    """An adapter whose g are no longer zero (stands in for training)."""
    from pavas_core.models.phy_adapter import load_adapter, save_adapter

    adapter = load_adapter(setting / "fresh.safetensors")
    with torch.no_grad():
        for p in adapter.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=torch.Generator().manual_seed(1)))
    path = setting / "trained.safetensors"
    save_adapter(adapter, path)
    return path


def test_a_trained_adapter_changes_the_sound_and_a_heavier_object_changes_it_again(setting, trained, tmp_path):
    outs = {}
    for name, extra in (("plain", []), ("adapter", ["--adapter", str(trained)]),
                        ("heavier", ["--adapter", str(trained), "--mass-scale", "10", "--physics", str(tmp_path / "p.json")])):
        outs[name] = read_file = tmp_path / f"{name}.wav"
        assert run(setting, "short", read_file, *extra) == 0
    plain, steered, heavier = (read(outs[k]).waveform for k in ("plain", "adapter", "heavier"))
    assert np.abs(steered - plain).max() > 1e-4 and np.abs(heavier - steered).max() > 1e-4
    written = json.loads((tmp_path / "p.json").read_text())
    assert all(o["mass_source"] == "user" for o in written["objects"])  # the edit is in the physics written


def test_a_hand_edited_physics_file_steers_the_sound(setting, trained, tmp_path, capsys):
    physics = json.loads((setting / "short" / "scene_0000" / "physics.json").read_text())
    heavier = json.loads(json.dumps(physics))
    for o in heavier["objects"]:
        o["mass_kg"] *= 10
    other_rate = dict(json.loads(json.dumps(physics)), fps=physics["fps"] * 2)
    paths = {}
    for name, content in (("plain", physics), ("heavier", heavier), ("other_rate", other_rate)):
        paths[name] = tmp_path / f"{name}.json"
        paths[name].write_text(json.dumps(content))
    for name in ("plain", "heavier"):
        assert run(setting, "short", tmp_path / f"{name}.wav", "--adapter", str(trained),
                   "--physics-in", str(paths[name])) == 0
    plain, edited = read(tmp_path / "plain.wav").waveform, read(tmp_path / "heavier.wav").waveform
    assert np.abs(edited - plain).max() > 1e-4
    capsys.readouterr()
    assert run(setting, "short", tmp_path / "x.wav", "--adapter", str(trained), "--physics-in",
               str(paths["other_rate"])) == 2
    assert "fps video but" in capsys.readouterr().err and not (tmp_path / "x.wav").exists()
    # without an adapter MMAudio cannot use the file, and says so
    assert run(setting, "short", tmp_path / "y.wav", "--physics-in", str(paths["plain"])) == 0
    assert "does not use physics" in capsys.readouterr().err


def test_generator_flags_are_checked(setting, tmp_path, capsys):
    video = str(setting / "short" / "scene_0000" / "scene.mp4")
    assert main(["run", video, "-o", str(tmp_path / "x.wav"), "--generator", "mmaudio"]) == 2
    assert "needs --models" in capsys.readouterr().err
    assert main(["run", video, "-o", str(tmp_path / "x.wav"), "--adapter", "a.safetensors"]) == 2
    assert "belong to --generator mmaudio" in capsys.readouterr().err
    assert main(["run", video, "-o", str(tmp_path / "x.wav"), "--generator", "mmaudio", "--models",
                 str(tmp_path)]) == 2
    assert "no MMAudio network" in capsys.readouterr().err
    assert not (tmp_path / "x.wav").exists()
