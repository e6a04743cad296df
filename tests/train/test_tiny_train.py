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
