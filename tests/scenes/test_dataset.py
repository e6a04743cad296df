import json

import numpy as np
import pytest

from pavas_core.cli import main as cli_main
from pavas_core.physics.tracks import PhysicsTracks
from pavas_core.scenes.dataset import demo_scene
from pavas_core.scenes.scene import ground_truth_tracks
from pavas_core.video import read_audio, read_video


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    argv = ["synth-dataset", str(out), "--n", "2", "--seed", "9", "--resolutions", "160x120",
            "--duration", "1.2", "1.2", "--fps-choices", "24", "30", "--sample-rate", "16000"]
    assert cli_main(argv) == 0
    return out


def test_synth_dataset_writes_index_video_sound_and_physics(tiny_dataset):
    index = json.loads((tiny_dataset / "index.json").read_text())
    assert index["schema"] == 1 and index["seed"] == 9 and len(index["scenes"]) == 2
    for entry in index["scenes"]:
        folder = tiny_dataset / entry["dir"]
        truth = PhysicsTracks.load(folder / "physics.json")
        clip = read_video(folder / "scene.mp4")
        assert clip.num_frames == truth.num_frames == entry["num_frames"]
        assert (clip.width, clip.height) == (160, 120) and clip.fps == pytest.approx(entry["fps"])
        sound = read_audio(folder / "scene.wav")
        assert sound.sample_rate_hz == 16000
        assert sound.waveform.shape[-1] == pytest.approx(truth.duration_s * 16000, abs=2)
        assert clip.audio is not None
        doc = json.loads((folder / "physics.json").read_text())
        assert doc["ground_truth"] is True and doc["scene"]["seed"] == entry["seed"]


def test_reference_sound_starts_at_the_first_true_impact(tiny_dataset):
    index = json.loads((tiny_dataset / "index.json").read_text())
    for entry in index["scenes"]:
        folder = tiny_dataset / entry["dir"]
        truth = PhysicsTracks.load(folder / "physics.json")
        times = [i.time_s for o in truth.objects for i in o.impacts]
        sound = read_audio(folder / "scene.wav").waveform[0]
        if not times:
            continue
        onset = np.flatnonzero(np.abs(sound) > 0.01 * np.abs(sound).max())[0] / 16000
        assert onset == pytest.approx(min(times), abs=0.005)


def test_same_seed_writes_identical_json(tiny_dataset, tmp_path):
    argv = ["synth-dataset", str(tmp_path), "--n", "2", "--seed", "9", "--resolutions", "160x120",
            "--duration", "1.2", "1.2", "--fps-choices", "24", "30", "--sample-rate", "16000"]
    assert cli_main(argv) == 0
    assert (tmp_path / "index.json").read_text() == (tiny_dataset / "index.json").read_text()
    for d in ("scene_0000", "scene_0001"):
        assert (tmp_path / d / "physics.json").read_text() == (tiny_dataset / d / "physics.json").read_text()


def test_demo_scene_has_a_bouncing_ball_and_a_dropped_block_in_view():
    scene = demo_scene()
    assert (scene.camera.width, scene.camera.height, scene.fps) == (640, 360, 30.0)
    truth = ground_truth_tracks(scene)
    ball, block = truth.objects
    assert sum(i.extra["visible"] for i in ball.impacts) >= 3
    assert block.impacts and block.impacts[0].time_s > 1.6 and block.impacts[0].extra["visible"]


def test_an_interrupted_dataset_leaves_nothing_and_apcc_refuses_a_partial_one(tmp_path, capsys):
    """Class 4 of the hostile-input issue: synth-dataset appears whole or not at all, and a folder
    without index.json (what an interrupted run used to leave) is refused, not scored."""
    from pavas_core.scenes.dataset import synth_dataset

    def interrupt_after_the_first_scene(done, total):
        if done >= 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        synth_dataset(tmp_path / "ds", n=3, seed=1, resolutions=((160, 120),), duration_range_s=(1.0, 1.0),
                      sample_rate_hz=16000, progress=interrupt_after_the_first_scene)
    assert list(tmp_path.iterdir()) == []  # no folder, no half-written scene, no temporary folder
    partial = tmp_path / "partial" / "scene_0000"
    partial.mkdir(parents=True)
    (partial / "physics.json").write_text("{}")
    assert cli_main(["apcc", "--dataset", str(tmp_path / "partial")]) == 2
    assert "no index.json" in capsys.readouterr().err
