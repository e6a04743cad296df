"""PAVAS-tiny training data, training, and generation through the CLI, on 4 tiny generated scenes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    from pavas_core.scenes.dataset import synth_dataset

    root = tmp_path_factory.mktemp("tiny")
    synth_dataset(root / "data", n=4, seed=3, fps_choices=(24.0,), resolutions=((64, 48),),
                  duration_range_s=(2.1, 2.4), sample_rate_hz=16000)
    return root


def cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "pavas_core", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600)


def test_windows_carry_the_ground_truth_and_the_reference_sound(scenes):
    from pavas_core.metrics.spectral import to_mono
    from pavas_core.models.tiny_generator import TinyGeneratorConfig
    from pavas_core.models.tiny_generator.mel_latent import LogMelLatent
    from pavas_core.physics.tracks import PhysicsTracks
    from pavas_core.train.tiny_data import load_tiny_windows
    from pavas_core.video import read_audio

    config = TinyGeneratorConfig()
    windows, refs, notes = load_tiny_windows(scenes / "data", duration_s=2.0, config=config, cache=scenes / "cache")
    assert len(windows) == 4 and not notes
    for window, ref in zip(windows, refs):
        truth = PhysicsTracks.load(ref.folder / "physics.json")
        assert window.frames.shape == (48, 3, 64, 64) and window.frames.dtype == torch.uint8
        assert window.mass_kg.tolist() == pytest.approx([o.mass_kg for o in truth.objects])
        for k, obj in enumerate(truth.objects):
            for j in range(16):  # CLIP frame j: the physics frame on screen at j/8 s
                frame = int(np.floor(j / 8 * truth.fps + 1e-6))
                has_mask = obj.masks.dense(frame) is not None and obj.masks.dense(frame).any()
                assert bool(window.visible[k, j]) == has_mask
                if obj.speed_mps[frame] is not None:
                    assert float(window.speed_mps[k, j]) == pytest.approx(obj.speed_mps[frame], abs=1e-5)
        wave = to_mono(read_audio(ref.folder / "scene.wav").waveform).astype(np.float32)
        piece = np.zeros(63 * 512, np.float32)
        piece[: min(piece.size, wave.size)] = wave[: piece.size]
        expected = LogMelLatent()(torch.from_numpy(piece))[0]
        torch.testing.assert_close(window.latent, expected, atol=1e-4, rtol=1e-4)
    assert any(w.latent.max() > -6 for w in windows)  # the impacts are in there, above the floor


@pytest.fixture(scope="module")
def trained(scenes):
    """50 steps of the whole tiny network (encoder, DiT, adapter) through the CLI."""
    out = scenes / "run" / "tiny.safetensors"
    result = cli("train", "--config", "tiny", "--data", str(scenes / "data"), "--out", str(out), "--steps", "50",
                 "--batch-size", "4", "--duration-s", "2", "--lr", "2e-3", "--seed", "1", "--quiet",
                 "--cache", str(scenes / "cache"))
    assert result.returncode == 0, result.stderr
    return out


def test_fifty_steps_on_four_scenes_lower_the_loss(trained):
    from pavas_core.models.tiny_generator.checkpoint import read_tiny_metadata

    extra = read_tiny_metadata(trained)["extra"]
    assert extra["trained_steps"] == 50 and extra["ablation"] == "both-delta"
    # the fixed evaluation loss: same windows, flow times and noise before and after (measured 2.0 → 1.2)
    assert extra["eval_loss_end"] < 0.8 * extra["eval_loss_start"]
    curve = [json.loads(line)["loss"] for line in trained.with_name("tiny.loss.jsonl").read_text().splitlines()]
    assert len(curve) == 50 and np.mean(curve[-10:]) < 0.8 * np.mean(curve[:10])
    assert extra["parameters"]["adapter"] > 0 and extra["parameters"]["encoder"] > 0


def test_the_checkpoint_loads_with_its_config_and_its_statistics(trained):
    from pavas_core.models.tiny_generator.checkpoint import load_tiny_generator

    model = load_tiny_generator(trained)
    assert model.config.physics_conditions == "both" and model.config.injection == "delta"
    # statistics set from the scenes, not the defaults
    assert model.network.latent_mean.std() > 0 and float(model.network.latent_mean.mean()) != -9.0
    assert float(model.adapter.speed_mean_mps) != 2.0
    # the adapter learned something: its zero-initialised output layers moved
    assert torch.count_nonzero(model.adapter.mass_delta[-1].weight) > 0
    assert not any(p.requires_grad for p in model.parameters())


def test_run_with_the_tiny_generator_writes_a_wav_of_the_video_duration(trained, scenes, tmp_path):
    from pavas_core.physics.tracks import PhysicsTracks
    from pavas_core.video import read_audio

    video = scenes / "data" / "scene_0000" / "scene.mp4"
    truth = PhysicsTracks.load(scenes / "data" / "scene_0000" / "physics.json")
    out = tmp_path / "tiny.wav"
    result = cli("run", str(video), "-o", str(out), "--generator", "tiny", "--tiny", str(trained), "--steps", "4",
                 "--physics-in", str(scenes / "data" / "scene_0000" / "physics.json"), "--quiet")
    assert result.returncode == 0, result.stderr
    assert "PAVAS-tiny both-delta, 50 training steps" in result.stderr
    audio = read_audio(out)
    assert audio.sample_rate_hz == 16000
    assert audio.waveform.shape == (1, round(truth.duration_s * 16000))
    assert np.isfinite(audio.waveform).all() and np.abs(audio.waveform).max() > 0


def test_run_with_the_tiny_generator_and_no_tiny_flag_uses_the_shipped_checkpoint(scenes, tmp_path):
    from pavas_core.models.tiny_generator.checkpoint import SHIPPED_CHECKPOINT, describe_checkpoint

    assert SHIPPED_CHECKPOINT.is_file() and SHIPPED_CHECKPOINT.stat().st_size <= 25 * 2 ** 20
    out = tmp_path / "x.wav"
    result = cli("run", str(scenes / "data" / "scene_0000" / "scene.mp4"), "-o", str(out), "--generator", "tiny",
                 "--steps", "2", "--physics-in", str(scenes / "data" / "scene_0000" / "physics.json"), "--quiet")
    assert result.returncode == 0, result.stderr
    assert f"sound by {describe_checkpoint(SHIPPED_CHECKPOINT)} (pavas_tiny.safetensors)" in result.stderr
    assert out.is_file()


def test_without_a_shipped_checkpoint_the_tiny_generator_asks_for_one_in_one_line(monkeypatch, tmp_path):
    from pavas_core.errors import MissingWeightsError
    from pavas_core.models.tiny_generator import checkpoint

    monkeypatch.setattr(checkpoint, "SHIPPED_CHECKPOINT", tmp_path / "absent.safetensors")
    with pytest.raises(MissingWeightsError, match="no PAVAS-tiny checkpoint") as info:
        checkpoint.resolve_tiny_checkpoint(None)
    assert "\n" not in str(info.value)
    with pytest.raises(MissingWeightsError, match="not found: .*other.safetensors"):
        checkpoint.resolve_tiny_checkpoint(tmp_path / "other.safetensors")


@pytest.mark.parametrize("config", [[1, 2], {"num_heads": 0}], ids=["list", "zero_heads"])
def test_a_checkpoint_with_a_hostile_config_is_one_line_exit_2(config, scenes, tmp_path):
    # its config is read before any work: a list crashed with "internal error: AttributeError"
    import json

    import torch
    from safetensors.torch import save_file

    from pavas_core.models.tiny_generator.checkpoint import METADATA_KEY, TINY_FORMAT, TINY_FORMAT_VERSION

    bad = tmp_path / "bad.safetensors"
    meta = {"format": TINY_FORMAT, "format_version": TINY_FORMAT_VERSION, "config": config, "extra": {}}
    save_file({"x": torch.zeros(1)}, str(bad), metadata={METADATA_KEY: json.dumps(meta)})
    result = cli("run", str(scenes / "data" / "scene_0000" / "scene.mp4"), "-o", str(tmp_path / "x.wav"),
                 "--generator", "tiny", "--tiny", str(bad), "--quiet")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().count("\n") == 0 and "PAVAS-tiny checkpoint" in result.stderr
    assert "internal error" not in result.stderr and not (tmp_path / "x.wav").exists()


def test_a_stopped_run_resumes_to_the_same_losses(scenes, tmp_path):
    from pavas_core.models.tiny_generator import TinyGeneratorConfig
    from pavas_core.train.tiny_loop import TinyTrainConfig, train_tiny

    config = TinyTrainConfig(steps=12, batch_size=2, lr=2e-3, duration_s=2.0, seed=4, checkpoint_every=5,
                             eval_windows=1)
    model_config = TinyGeneratorConfig(physics_conditions="c_vel", injection="summation")
    common = dict(data=scenes / "data", model_config=model_config, config=config, cache=scenes / "cache", quiet=True)
    straight = train_tiny(out=tmp_path / "a.safetensors", **common)
    stopped = train_tiny(out=tmp_path / "b.safetensors", stop_after=7, **common)  # the state of step 5 is kept
    assert stopped.steps_done == 7 and not (tmp_path / "b.safetensors").exists()
    resumed = train_tiny(out=tmp_path / "b.safetensors", resume=True, **common)
    assert resumed.losses == straight.losses[5:]
    log = [json.loads(line)["loss"] for line in (tmp_path / "b.loss.jsonl").read_text().splitlines()]
    assert log == straight.losses
    with pytest.raises(Exception, match="other settings"):
        train_tiny(out=tmp_path / "b.safetensors", resume=True,
                   **{**common, "config": TinyTrainConfig(steps=12, batch_size=2, lr=1e-3, duration_s=2.0, seed=4)})


def test_the_learning_rate_warms_up_then_decays_to_a_tenth_or_stays():
    from pavas_core.errors import BadInputError
    from pavas_core.train.tiny_loop import TinyTrainConfig

    cosine = TinyTrainConfig(steps=1000, lr=1e-3)
    constant = TinyTrainConfig(steps=1000, lr=1e-3, lr_schedule="constant")
    for config in (cosine, constant):  # linear warm-up over the first 5 %
        assert config.learning_rate(1) == pytest.approx(1e-3 / 50)
        assert config.learning_rate(50) == pytest.approx(1e-3)
    rates = [cosine.learning_rate(s) for s in range(50, 1001)]
    assert all(a >= b for a, b in zip(rates, rates[1:]))  # never rises after the warm-up
    assert cosine.learning_rate(1000) == pytest.approx(1e-4)
    assert cosine.learning_rate(525) == pytest.approx(0.55e-3)  # half-way: the mean of peak and floor
    assert constant.learning_rate(1000) == pytest.approx(1e-3)
    with pytest.raises(BadInputError, match="lr-schedule"):
        TinyTrainConfig(lr_schedule="linear").validate()


@pytest.mark.parametrize("flags", [["--physics-fps", "25"], ["--speed-change"], ["--spatial-pooling", "mean_max"]])
def test_tiny_only_flags_are_refused_for_the_mmaudio_adapter(flags, tmp_path, capsys):
    from pavas_core.cli import main

    assert main(["train", "--models", str(tmp_path), "--out", str(tmp_path / "run"), *flags]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and f"{flags[0]} belongs to --config tiny" in err, err


def test_the_ablation_scores_rows_trained_earlier_on_another_held_out_set(trained, scenes, tmp_path):
    """bench/tiny_ablation.py --checkpoints: the same table on other held-out clips, nothing retrained."""
    earlier = tmp_path / "runs0"
    earlier.mkdir()
    (earlier / "both_delta.safetensors").write_bytes(trained.read_bytes())
    runs = tmp_path / "runs_other"
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, str(REPO / "bench" / "tiny_ablation.py"), "--heldout",
                             str(scenes / "data"), "--out", str(runs), "--steps", "1", "--rows", "both_delta",
                             "--checkpoints", str(earlier)], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert not (runs / "both_delta.safetensors").exists() and "pavas_core train" not in result.stdout
    scored = json.loads((runs / "eval" / "both_delta.json").read_text())
    assert scored["generated"]["onset_accuracy"] is not None
    assert len(list((runs / "gen" / "both_delta").glob("*.wav"))) == 4
    assert "| + both, Δ-modulation (PAVAS-tiny) |" in result.stdout
    assert f"rows trained in {earlier.resolve()}" in result.stdout and "steps (backbone" not in result.stdout
    refused = subprocess.run([sys.executable, str(REPO / "bench" / "tiny_ablation.py"), "--heldout", str(scenes / "data"),
                              "--out", str(tmp_path / "r2"), "--steps", "1", "--checkpoints", str(earlier)],
                             cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "no checkpoint for rows" in refused.stderr
