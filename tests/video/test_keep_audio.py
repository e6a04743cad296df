"""Keeping a video's own soundtrack under the Foley: layout, rate and content kept, Foley placed."""

from __future__ import annotations

import av
import numpy as np
import pytest

from pavas_core.audio_mix import resample_waveform
from pavas_core.video import AudioTrack, mux_audio, probe_video, read_audio, write_video
from pavas_core.video.keep_audio import mix_under_original, placement

RATE = 48000
SECONDS = 2.0
# one tone per channel of 5.1 (FL FR FC LFE BL BR); the LFE's is low, as AAC keeps only its bass
TONES_HZ = (300.0, 420.0, 550.0, 50.0, 700.0, 830.0)


def surround_tones(layout_channels: int = 6) -> np.ndarray:
    t = np.arange(int(SECONDS * RATE)) / RATE
    return np.stack([0.2 * np.sin(2 * np.pi * TONES_HZ[c] * t) for c in range(layout_channels)]).astype(np.float32)


def write_video_with_sound(path, sound: np.ndarray | None, layout: str = "5.1", fps: int = 10) -> None:
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        audio = None
        if sound is not None:
            audio = container.add_stream("aac", rate=RATE, layout=layout)
        for i in range(int(SECONDS * fps)):
            picture = np.full((48, 64, 3), 10 * i, np.uint8)
            for packet in video.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        if audio is not None:
            for start in range(0, sound.shape[1], 1024):
                frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(sound[:, start:start + 1024]), format="fltp",
                                                   layout=layout)
                frame.sample_rate, frame.pts = RATE, start
                for packet in audio.encode(frame):
                    container.mux(packet)
            for packet in audio.encode():
                container.mux(packet)


def foley_click_track(rate: int = 44100) -> AudioTrack:
    """Mono 'Foley': decaying 1.5 kHz rings every 0.4 s (another rate than the soundtrack's)."""
    t = np.arange(int(SECONDS * rate)) / rate
    phase = t % 0.4
    return AudioTrack((0.3 * np.exp(-phase * 20) * np.sin(2 * np.pi * 1500 * t))[None].astype(np.float32), rate)


def corr(a: np.ndarray, b: np.ndarray) -> float:
    n = min(a.size, b.size)
    return float(np.corrcoef(a[:n], b[:n])[0, 1])


@pytest.fixture(scope="module")
def surround_video(tmp_path_factory):
    path = tmp_path_factory.mktemp("keep") / "surround.mp4"
    write_video_with_sound(path, surround_tones())
    return path


def test_a_51_soundtrack_keeps_its_channels_rate_and_content_with_the_foley_in_the_centre(surround_video, tmp_path):
    out = tmp_path / "mixed.mp4"
    foley = foley_click_track()
    notes = mux_audio(surround_video, foley, out, keep_original_gain_db=0.0)
    assert any("6 ch FL/FR/FC/LFE/BL/BR, 48000 Hz" in n and "centre channel" in n for n in notes)
    info = probe_video(out)
    assert (info.audio_channels, info.audio_sample_rate_hz) == (6, RATE)
    with av.open(str(out)) as container:
        assert container.streams.audio[0].layout.name == "5.1"
    original, mixed = read_audio(surround_video).waveform, read_audio(out).waveform
    for channel in (0, 1, 3, 4, 5):  # untouched channels: the original's content (through AAC twice)
        assert corr(mixed[channel], original[channel]) > 0.99, channel
    added = mixed[2, :original.shape[1]] - original[2, :mixed.shape[1]]
    expected = resample_waveform(foley.waveform, 44100, RATE)[0]
    assert corr(added, expected) > 0.95  # the centre holds the original plus the Foley
    assert corr(mixed[2], original[2]) > 0.3  # ... and still the original


def test_stereo_gets_the_foley_in_both_fronts_at_minus_3_db():
    t = np.arange(RATE) / RATE
    original = AudioTrack(np.stack([0.1 * np.sin(2 * np.pi * 200 * t), 0.1 * np.sin(2 * np.pi * 310 * t)])
                          .astype(np.float32), RATE)
    foley = AudioTrack(np.full((1, RATE), 0.2, np.float32), RATE)
    mixed, notes = mix_under_original(original, foley, original_gain_db=-6.0)
    np.testing.assert_allclose(mixed.waveform, original.waveform * 10 ** (-6 / 20) + 0.2 * 10 ** (-3 / 20), atol=1e-6)
    assert "front left and right at -3 dB each" in notes[0] and "kept at -6 dB" in notes[0]


@pytest.mark.parametrize("names, expected", [
    (["FC"], [1, 0]), (["FL", "FR", "LFE"], None), (["FL", "FR", "FC", "LFE", "SL", "SR"], [0, 0, 1, 0, 0, 0]),
])
def test_placement(names, expected):
    gains = placement(names)
    if expected is None:
        np.testing.assert_allclose(gains, [10 ** (-3 / 20)] * 2 + [0.0], atol=1e-6)
    else:
        np.testing.assert_allclose(gains, expected[:len(names)])


def test_a_mix_that_would_clip_is_scaled_down_as_a_whole():
    original = AudioTrack(np.full((1, 100), 0.8, np.float32), RATE)
    mixed, notes = mix_under_original(original, AudioTrack(np.full((1, 100), 0.8, np.float32), RATE))
    assert np.abs(mixed.waveform).max() == pytest.approx(0.99, abs=1e-6)
    assert any("scaled down" in n for n in notes)


def test_a_video_without_sound_gets_the_foley_alone_and_a_note(tmp_path):
    silent = tmp_path / "silent.mp4"
    write_video(silent, np.zeros((20, 48, 64, 3), np.uint8), 10.0)
    foley = foley_click_track(RATE)
    notes = mux_audio(silent, foley, tmp_path / "out.mp4", keep_original_gain_db=0.0)
    assert notes == ["silent.mp4 has no sound of its own to keep: the Foley alone is in the video"]
    got = read_audio(tmp_path / "out.mp4").waveform
    assert got.shape[0] == 1 and corr(got[0], foley.waveform[0]) > 0.99


def test_without_keep_the_soundtrack_is_replaced(surround_video, tmp_path):
    assert mux_audio(surround_video, foley_click_track(), tmp_path / "out.mp4") == []
    assert probe_video(tmp_path / "out.mp4").audio_channels == 1
