"""The main job (`run`): end to end on a scene with exact physics, and every kind of bad input."""

import json

import av
import numpy as np
import pytest

from pavas_core import cli
from pavas_core.physics.options import EstimateOptions
from pavas_core.pipeline import RunOptions, run_job
from pavas_core.scenes.dataset import demo_scene, write_scene
from pavas_core.video import probe_video, read_audio, write_video


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo_scene")
    write_scene(out, demo_scene(0), sample_rate_hz=16000)
    return out


def scene_video(directory):
    return next(directory.glob("*.mp4"))


def test_run_writes_sound_in_sync_with_the_true_impacts(demo_dir, tmp_path):
    video = scene_video(demo_dir)
    truth = json.loads(next(p for p in demo_dir.glob("*.json")).read_text())
    result = run_job(video, tmp_path / "a.wav", mux_path=tmp_path / "a.mp4", physics_path=tmp_path / "p.json",
                     options=RunOptions(sample_rate_hz=16000))

    audio = read_audio(tmp_path / "a.wav")
    assert audio.sample_rate_hz == 16000
    wave = np.asarray(audio.waveform).reshape(-1)
    assert abs(wave.size / 16000 - result.duration_s) <= 1 / 16000 + 1e-9
    assert np.isfinite(wave).all() and np.abs(wave).max() > 1e-3

    # Every strong true impact has an onset within 2 video frames in the produced sound.
    fps = truth["fps"]
    true_times = [imp["time_s"] for obj in truth["objects"] for imp in obj["impacts"] if imp["v_before"] >= 1.0]
    assert true_times
    env = np.abs(wave)
    hop = 160
    frames = env[: env.size // hop * hop].reshape(-1, hop).max(axis=1)
    for t in true_times:
        lo, hi = int((t - 2 / fps) * 16000 / hop), int((t + 2 / fps) * 16000 / hop) + 1
        # an onset: the 10 ms envelope jumps by ≥ 3× from one hop to the next (decaying tails never do)
        jumps = frames[lo:hi] / (frames[lo - 1:hi - 1] + 1e-6)
        assert jumps.max() >= 3.0, f"no onset near the impact at {t:.3f} s"

    muxed = probe_video(tmp_path / "a.mp4")
    assert muxed.has_audio and muxed.num_frames == truth["num_frames"]
    from pavas_core.physics.tracks import PhysicsTracks
    from pavas_core.scenes.evaluate import match_impacts

    truth_tracks = PhysicsTracks.load(next(p for p in demo_dir.glob("*.json")))
    match = match_impacts(truth_tracks, PhysicsTracks.load(tmp_path / "p.json"))
    assert len(truth_tracks.objects) == result.num_objects == 2
    assert match.recall >= 0.9 and match.precision_fast >= 0.9


def test_a_failing_write_leaves_no_output_behind(demo_dir, tmp_path, monkeypatch):
    import pavas_core.video as video_mod

    def broken_mux(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(video_mod, "mux_audio", broken_mux)
    with pytest.raises(OSError):
        run_job(scene_video(demo_dir), tmp_path / "a.wav", mux_path=tmp_path / "a.mp4",
                physics_path=tmp_path / "p.json", options=RunOptions(sample_rate_hz=16000))
    assert list(tmp_path.iterdir()) == []


def test_outputs_are_committed_all_or_none(demo_dir, tmp_path):
    """Class 4 of the hostile-input issue: the WAV cannot be written (its name is a folder), so
    neither the video nor the physics may appear (they used to be committed before the WAV failed)."""
    from pavas_core.errors import BadInputError

    (tmp_path / "a.wav").mkdir()
    with pytest.raises(BadInputError, match="directory"):
        run_job(scene_video(demo_dir), tmp_path / "a.wav", mux_path=tmp_path / "a.mp4",
                physics_path=tmp_path / "p.json", options=RunOptions(sample_rate_hz=16000))
    assert [p.name for p in tmp_path.iterdir()] == ["a.wav"]


# --- bad input: one line on stderr, exit code 2, no file written ---------------------------------
def _audio_only(path):
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=16000)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 16000), np.float32), format="fltp", layout="mono")
        frame.sample_rate = 16000
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def _make_bad(kind, directory):
    path = directory / {"audio_only": "a.m4a"}.get(kind, f"{kind}.mp4")
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "corrupt":
        path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 20)
    elif kind == "audio_only":
        _audio_only(path)
    elif kind == "one_frame":
        write_video(path, np.full((1, 64, 96, 3), 128, np.uint8), 30.0)
    return path


@pytest.mark.parametrize("kind", ["missing", "empty", "corrupt", "audio_only", "one_frame"])
def test_bad_input_gives_one_line_and_writes_nothing(kind, tmp_path, capsys):
    src = tmp_path / "in"
    src.mkdir()
    video = _make_bad(kind, src)
    out = tmp_path / "out"
    rc = cli.main(["run", str(video), "-o", str(out / "x.wav"), "--mux", str(out / "x.mp4"),
                   "--physics", str(out / "x.json"), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "Traceback" not in err
    assert not out.exists() or list(out.iterdir()) == []


def test_a_video_without_motion_gives_silence_and_says_so(tmp_path, capsys):
    video = tmp_path / "still.mp4"
    write_video(video, np.full((30, 90, 160, 3), 100, np.uint8), 30.0)
    rc = cli.main(["run", str(video), "-o", str(tmp_path / "x.wav"), "--quiet"])
    captured = capsys.readouterr()
    assert rc == 0
    assert "no moving object" in captured.err
    wave = np.asarray(read_audio(tmp_path / "x.wav").waveform)
    assert wave.size > 0 and np.abs(wave).max() == 0.0


def test_a_4k_video_is_analysed_at_the_analysis_size(tmp_path):
    frames = np.full((6, 2160, 3840, 3), 90, np.uint8)
    for i in range(6):
        frames[i, 900:1200, 300 + 200 * i:600 + 200 * i] = 240
    video = tmp_path / "uhd.mp4"
    write_video(video, frames, 30.0)
    del frames
    result = run_job(video, tmp_path / "x.wav", physics_path=tmp_path / "p.json",
                     options=RunOptions(sample_rate_hz=16000, estimate=EstimateOptions(analysis_max_side=320)))
    est = json.loads((tmp_path / "p.json").read_text())
    # analysed at 320x180, reported in the video's own pixels
    assert est["geometry"]["extra"]["analysis_size"] == [320, 180]
    assert (est["width"], est["height"]) == (3840, 2160)
    assert result.num_objects == 1 and (tmp_path / "x.wav").exists()  # one bright block
    # the block is 300 px high at rows 900..1200 of the 4K frame: its box says so in 4K pixels
    box = next(b for b in est["objects"][0]["box_xyxy_px"] if b)
    assert box[1] == pytest.approx(900, abs=12) and box[3] == pytest.approx(1200, abs=12)
