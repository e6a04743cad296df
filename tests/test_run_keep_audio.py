"""`run --mux OUT --keep-audio`: the video's own 5.1 sound stays 5.1 with the Foley in its centre."""

from __future__ import annotations

import av
import numpy as np
import pytest

from pavas_core import cli
from pavas_core.audio_mix import resample_waveform
from pavas_core.scenes.dataset import demo_scene, write_scene
from pavas_core.video import AudioTrack, mux_audio, probe_video, read_audio

RATE = 48000


@pytest.fixture(scope="module")
def surround_scene(tmp_path_factory):
    """The demo scene (two objects, known physics) with a 5.1 soundtrack of its own: a tone per channel."""
    out = tmp_path_factory.mktemp("keep_run")
    write_scene(out, demo_scene(0), sample_rate_hz=16000)
    t = np.arange(int(5.0 * RATE)) / RATE
    tones = np.stack([0.1 * np.sin(2 * np.pi * f * t) for f in (300, 420, 550, 50, 700, 830)]).astype(np.float32)
    video = out / "surround.mp4"
    mux_audio(out / "scene.mp4", AudioTrack(tones, RATE), video)
    return video, out / "physics.json"


def corr(a, b) -> float:
    n = min(a.size, b.size)
    return float(np.corrcoef(a[:n], b[:n])[0, 1])


def test_keep_audio_keeps_six_channels_and_adds_the_foley_to_the_centre(surround_scene, tmp_path, capsys):
    video, physics = surround_scene
    rc = cli.main(["run", str(video), "-o", str(tmp_path / "f.wav"), "--mux", str(tmp_path / "out.mp4"),
                   "--physics-in", str(physics), "--keep-audio", "--keep-audio-gain-db", "-6", "--quiet"])
    assert rc == 0
    assert "is kept at -6 dB; the Foley is added to the centre channel" in capsys.readouterr().err
    info = probe_video(tmp_path / "out.mp4")
    assert (info.audio_channels, info.audio_sample_rate_hz) == (6, RATE)
    original, mixed = read_audio(video).waveform, read_audio(tmp_path / "out.mp4").waveform
    foley = read_audio(tmp_path / "f.wav")  # the WAV stays the Foley alone (mono)
    assert foley.waveform.shape[0] == 1
    for channel in (0, 1, 3, 4, 5):
        assert corr(mixed[channel], original[channel]) > 0.99
        level = np.std(mixed[channel]) / np.std(original[channel])
        assert level == pytest.approx(10 ** (-6 / 20), rel=0.05)  # kept at the gain asked
    n = min(mixed.shape[1], original.shape[1])
    added = mixed[2, :n] - 10 ** (-6 / 20) * original[2, :n]
    expected = resample_waveform(foley.waveform, foley.sample_rate_hz, RATE)[0]
    assert corr(added, expected) > 0.9


def test_keep_audio_needs_mux_and_the_gain_needs_keep_audio(surround_scene, tmp_path, capsys):
    video, physics = surround_scene
    assert cli.main(["run", str(video), "-o", str(tmp_path / "f.wav"), "--physics-in", str(physics),
                     "--keep-audio", "--quiet"]) == 2
    assert "give --mux" in capsys.readouterr().err
    assert cli.main(["run", str(video), "-o", str(tmp_path / "f.wav"), "--mux", str(tmp_path / "o.mp4"),
                     "--physics-in", str(physics), "--keep-audio-gain-db", "-3", "--quiet"]) == 2
    assert "give --keep-audio too" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_keep_audio_on_a_video_without_sound_says_so(surround_scene, tmp_path, capsys):
    _, physics = surround_scene
    silent_video = tmp_path / "silent.mp4"
    with av.open(str(physics.parent / "scene.mp4")) as source, av.open(str(silent_video), "w") as target:
        stream = target.add_stream_from_template(source.streams.video[0])  # pictures only, copied
        for packet in source.demux(source.streams.video[0]):
            if packet.size:
                packet.stream = stream
                target.mux(packet)
    assert not probe_video(silent_video).has_audio
    assert cli.main(["run", str(silent_video), "-o", str(tmp_path / "f.wav"), "--mux", str(tmp_path / "o.mp4"),
                     "--physics-in", str(physics), "--keep-audio", "--quiet"]) == 0
    assert "has no sound of its own to keep: the Foley alone" in capsys.readouterr().err
    assert probe_video(tmp_path / "o.mp4").audio_channels == 1
    assert np.abs(read_audio(tmp_path / "o.mp4").waveform).max() > 0.1  # the Foley
