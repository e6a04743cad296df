"""mux_audio: pictures copied byte for byte, new audio encoded, trimmed to the video, atomic."""

from __future__ import annotations

import av
import numpy as np
import pytest

from pavas_core.errors import BadInputError
from pavas_core.video import AudioTrack, mux_audio, probe_video, read_audio, read_video
from pavas_core.video import mux as mux_module

NEW_TONE_HZ = 1000.0


@pytest.fixture(scope="module")
def new_sound(kit) -> AudioTrack:
    """2 s of a 1 kHz stereo tone at 44.1 kHz, starting at 0.2 s: longer than every test video."""
    return AudioTrack(kit.tone(44100, 2.0, NEW_TONE_HZ, onset_s=0.2, channels=2), 44100)


def audio_streams(path) -> list[tuple[str, int, int]]:
    with av.open(str(path)) as container:
        return [(s.codec_context.name, s.codec_context.sample_rate, s.codec_context.layout.nb_channels)
                for s in container.streams.audio]


@pytest.mark.parametrize(
    ("source", "out_name", "audio_codec", "rate_hz"),
    [
        ("mp4_with_audio", "copied.mp4", "aac", 44100),
        ("mov", "copied.mkv", "aac", 44100),
        ("vfr_mp4", "copied.mov", "aac", 44100),
        ("webm_with_audio", "copied.webm", "opus", 48000),
        ("webm_with_audio", "vp9_in.mp4", "aac", 44100),
        ("late_start_mkv", "late.mp4", "aac", 44100),
    ],
)
def test_pictures_are_copied_not_re_encoded(media, kit, tmp_path, new_sound, source, out_name, audio_codec, rate_hz):
    source_path = getattr(media, source)
    out_path = tmp_path / out_name
    mux_audio(source_path, new_sound, out_path)
    # Same packets, byte for byte, in the same order: the picture stream was copied.
    assert kit.video_packets(out_path) == kit.video_packets(source_path)
    original, muxed = read_video(source_path), read_video(out_path)
    np.testing.assert_array_equal(muxed.frames, original.frames)
    np.testing.assert_allclose(muxed.timestamps_s, original.timestamps_s, atol=1e-3)
    # Only the new sound: the source's own track is replaced, resampled where the codec needs it.
    assert audio_streams(out_path) == [(audio_codec, rate_hz, 2)]
    tone_part = muxed.audio.waveform[:, rate_hz // 4 :]
    assert kit.dominant_frequency_hz(tone_part, rate_hz) == pytest.approx(NEW_TONE_HZ, abs=3.0)
    assert kit.onset_time_s(muxed.audio.waveform, rate_hz) == pytest.approx(0.2, abs=0.01)


def test_audio_is_cut_to_the_video_duration(media, tmp_path, new_sound):
    out_path = tmp_path / "cut.mp4"
    mux_audio(media.mp4_with_audio, new_sound, out_path)
    audio = read_audio(out_path)
    # The AAC encoder rounds up to whole 1024-sample frames.
    assert 44100 <= audio.waveform.shape[1] <= 44100 + 1024
    assert probe_video(out_path).duration_s == pytest.approx(1.0, abs=0.03)


def test_short_audio_is_padded_with_silence_to_the_video_duration(media, kit, tmp_path):
    short = AudioTrack(kit.tone(44100, 0.3, NEW_TONE_HZ), 44100)
    out_path = tmp_path / "padded.mp4"
    mux_audio(media.mp4_with_audio, short, out_path)
    audio = read_audio(out_path)
    assert 44100 <= audio.waveform.shape[1] <= 44100 + 1024
    assert np.abs(audio.waveform[:, int(0.35 * 44100) :]).max() < 1e-3
    assert np.abs(audio.waveform[:, : int(0.25 * 44100)]).max() > 0.3


def test_without_trimming_the_audio_keeps_its_length(media, tmp_path, new_sound):
    out_path = tmp_path / "long.mp4"
    mux_audio(media.mp4_with_audio, new_sound, out_path, trim_to_video=False)
    assert read_audio(out_path).duration_s == pytest.approx(2.0, abs=0.03)


def test_webm_gets_opus_at_48k_from_a_44k_track(media, tmp_path, new_sound):
    out_path = tmp_path / "opus.webm"
    mux_audio(media.webm_with_audio, new_sound, out_path)
    audio = read_audio(out_path)
    assert audio.sample_rate_hz == 48000
    assert audio.duration_s == pytest.approx(1.0, abs=0.03)


@pytest.mark.parametrize("source", ["gif", "webp"])
def test_animated_images_are_re_encoded_to_h264_keeping_their_timing(media, kit, tmp_path, new_sound, source):
    source_path = getattr(media, source)
    out_path = tmp_path / f"{source}.mp4"
    mux_audio(source_path, new_sound, out_path)
    info = probe_video(out_path)
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")
    original, muxed = read_video(source_path), read_video(out_path)
    assert kit.indices_of(muxed) == kit.indices_of(original)
    np.testing.assert_allclose(muxed.timestamps_s, original.timestamps_s, atol=1e-3)
    assert np.abs(muxed.frames.astype(int) - original.frames).mean() < 3.0
    assert muxed.audio.duration_s == pytest.approx(original.duration_s, abs=0.03)


def test_a_stream_without_timestamps_is_re_encoded_at_its_frame_rate(media, kit, tmp_path, new_sound):
    out_path = tmp_path / "from_raw.mp4"
    mux_audio(media.raw_h264, new_sound, out_path)
    muxed = read_video(out_path)
    assert kit.indices_of(muxed) == list(range(10))
    assert muxed.metadata["timestamps_source"] == "pts"


def test_muxing_onto_itself_replaces_the_file_whole(media, kit, tmp_path, new_sound):
    path = tmp_path / "in_place.mp4"
    path.write_bytes(media.mp4_with_audio.read_bytes())
    mux_audio(path, new_sound, path)
    assert kit.video_packets(path) == kit.video_packets(media.mp4_with_audio)
    assert kit.dominant_frequency_hz(read_audio(path).waveform[:, 20000:], 44100) == pytest.approx(NEW_TONE_HZ, abs=3.0)


@pytest.mark.parametrize(
    ("audio", "out_name", "message"),
    [
        (AudioTrack(np.full((1, 100), np.nan, np.float32), 44100), "out.mp4", "NaN"),
        (AudioTrack(np.zeros((1, 100), np.float32), -1), "out.mp4", "sample rate"),
        (AudioTrack(np.zeros((1, 100), np.float32), 44100), "out.gif", "unsupported output type .gif"),
    ],
)
def test_invalid_audio_or_output_type_writes_nothing(media, tmp_path, audio, out_name, message):
    with pytest.raises(BadInputError, match=message):
        mux_audio(media.mp4_with_audio, audio, tmp_path / out_name)
    assert list(tmp_path.iterdir()) == []


def test_a_failure_halfway_leaves_no_partial_file_and_keeps_the_old_one(media, tmp_path, new_sound, monkeypatch):
    out_path = tmp_path / "result.mp4"
    out_path.write_bytes(b"previous result")

    class BrokenInterleaver(mux_module.AudioInterleaver):
        def mux_until(self, time_s):
            if time_s > 0.5:
                raise BadInputError("simulated failure while muxing")
            super().mux_until(time_s)

    monkeypatch.setattr(mux_module, "AudioInterleaver", BrokenInterleaver)
    with pytest.raises(BadInputError, match="simulated failure"):
        mux_audio(media.mp4_with_audio, new_sound, out_path)
    assert out_path.read_bytes() == b"previous result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.mp4"]
