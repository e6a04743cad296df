"""probe_video: header facts without decoding."""

from __future__ import annotations

import pytest

from pavas_core.video import VideoInfo, probe_video


def test_mp4_with_aac_reports_picture_and_sound(media, kit):
    info = probe_video(media.mp4_with_audio)
    assert isinstance(info, VideoInfo)
    assert info.path == str(media.mp4_with_audio)
    assert "mp4" in info.container
    assert (info.video_codec, info.width, info.height) == ("h264", kit.WIDTH, kit.HEIGHT)
    assert info.fps == pytest.approx(30.0)
    assert info.duration_s == pytest.approx(1.0, abs=0.05)
    assert info.num_frames == 30
    assert (info.has_audio, info.audio_codec, info.audio_sample_rate_hz, info.audio_channels) == (True, "aac", 44100, 1)


def test_webm_reports_vp9_and_stereo_opus(media):
    info = probe_video(media.webm_with_audio)
    audio = (info.audio_codec, info.audio_sample_rate_hz, info.audio_channels)
    assert (info.video_codec, audio) == ("vp9", ("opus", 48000, 2))
    assert info.fps == pytest.approx(20.0)
    assert info.num_frames == 20


def test_a_silent_video_has_no_audio_fields(media):
    info = probe_video(media.mov)
    audio = (info.has_audio, info.audio_codec, info.audio_sample_rate_hz, info.audio_channels)
    assert audio == (False, None, None, None)


def test_animated_webp_is_probed_from_its_frame_durations(media, kit):
    info = probe_video(media.webp)
    assert (info.container, info.video_codec, info.width, info.height) == ("webp", "webp", kit.WIDTH, kit.HEIGHT)
    assert info.num_frames == len(kit.WEBP_DURATIONS_MS)
    assert info.duration_s == pytest.approx(sum(kit.WEBP_DURATIONS_MS) / 1000)
    assert info.fps == pytest.approx(len(kit.WEBP_DURATIONS_MS) / info.duration_s)


def test_gif_frame_count_is_estimated(media):
    info = probe_video(media.gif)
    assert info.video_codec == "gif"
    assert info.num_frames == pytest.approx(20, abs=1)
    assert info.duration_s == pytest.approx(1.0, abs=0.05)
