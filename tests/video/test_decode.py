"""read_video / clip_from_frames: containers, real timestamps, decode-time resize and resampling."""

from __future__ import annotations

import numpy as np
import pytest

from pavas_core.errors import BadInputError, Cancelled
from pavas_core.video import clip_from_frames, read_video, resample_clip
from pavas_core.video import decode as decode_module
from pavas_core.video import pictures as pictures_module


@pytest.mark.parametrize(
    ("name", "num_frames", "fps"),
    [("mp4_with_audio", 30, 30.0), ("webm_with_audio", 20, 20.0), ("mov", 30, 30.0), ("gif", 20, 20.0)],
)
def test_each_container_decodes_every_frame_in_order_at_its_times(media, kit, name, num_frames, fps):
    clip = read_video(getattr(media, name))
    assert clip.frames.shape == (num_frames, kit.HEIGHT, kit.WIDTH, 3)
    assert clip.frames.dtype == np.uint8
    assert kit.indices_of(clip) == list(range(num_frames))
    # WebM stores times in whole milliseconds.
    np.testing.assert_allclose(clip.timestamps_s, np.arange(num_frames) / fps, atol=1e-3)
    assert clip.fps == pytest.approx(fps)
    assert clip.duration_s == pytest.approx(num_frames / fps, abs=1e-3)
    assert clip.source_size == (kit.WIDTH, kit.HEIGHT)
    assert clip.metadata["timestamps_source"] == "pts"


def test_animated_webp_keeps_each_frame_duration(media, kit):
    clip = read_video(media.webp)
    expected_s = np.concatenate([[0], np.cumsum(kit.WEBP_DURATIONS_MS[:-1])]) / 1000.0
    np.testing.assert_allclose(clip.timestamps_s, expected_s, atol=1e-9)
    assert clip.duration_s == pytest.approx(sum(kit.WEBP_DURATIONS_MS) / 1000.0)
    # Lossless WebP: the pictures come back exactly.
    for index, picture in enumerate(clip.frames):
        np.testing.assert_array_equal(picture, kit.square_frame(index))
    assert clip.audio is None


def test_variable_frame_rate_keeps_exact_presentation_times(media, kit):
    clip = read_video(media.vfr_mp4)
    np.testing.assert_allclose(clip.timestamps_s, np.array(kit.VFR_PTS_MS) / 1000.0, rtol=0, atol=1e-9)
    assert kit.indices_of(clip) == list(range(len(kit.VFR_PTS_MS)))
    assert clip.duration_s > kit.VFR_PTS_MS[-1] / 1000.0


def test_stream_starting_late_is_timed_from_its_first_frame_with_audio_in_sync(media, kit):
    clip = read_video(media.late_start_mkv)
    np.testing.assert_allclose(clip.timestamps_s, np.round(1000 * np.arange(30) / 30) / 1000, atol=1e-9)
    assert kit.square_index(clip.frames[0]) == 0
    # The tone starts at 1.0 s of the file, i.e. 0.3 s after the first picture.
    onset_s = kit.onset_time_s(clip.audio.waveform, clip.audio.sample_rate_hz)
    assert onset_s == pytest.approx(1.0 - kit.LATE_START_S, abs=0.005)
    assert clip.audio.duration_s == pytest.approx(clip.duration_s, abs=1e-3)


def test_missing_timestamps_fall_back_to_frame_index_and_say_so(media, kit):
    clip = read_video(media.raw_h264)
    assert clip.metadata["timestamps_source"] == "frame_index"
    assert any("no timestamp" in note for note in clip.metadata["warnings"])
    np.testing.assert_allclose(clip.timestamps_s, np.arange(10) / clip.fps)
    assert kit.indices_of(clip) == list(range(10))


def test_audio_track_is_read_at_its_true_rate_and_in_sync(media, kit):
    clip = read_video(media.mp4_with_audio)
    audio = clip.audio
    assert audio.sample_rate_hz == 44100
    assert audio.waveform.dtype == np.float32 and audio.waveform.shape[0] == 1
    assert audio.duration_s == pytest.approx(1.0, abs=1e-3)
    assert kit.onset_time_s(audio.waveform, 44100) == pytest.approx(kit.SYNC_ONSET_S, abs=0.005)
    assert kit.dominant_frequency_hz(audio.waveform[:, 30000:], 44100) == pytest.approx(kit.TONE_HZ, abs=2.0)


def test_opus_audio_in_webm_is_stereo_at_48k(media, kit):
    audio = read_video(media.webm_with_audio).audio
    assert audio.sample_rate_hz == 48000 and audio.waveform.shape[0] == 2
    assert kit.onset_time_s(audio.waveform, 48000) == pytest.approx(kit.SYNC_ONSET_S, abs=0.01)
    assert kit.dominant_frequency_hz(audio.waveform[:, 30000:], 48000) == pytest.approx(kit.TONE_HZ, abs=2.0)


def test_with_audio_false_leaves_the_audio_out(media):
    clip = read_video(media.mp4_with_audio, with_audio=False)
    assert clip.audio is None


def test_max_side_shrinks_keeping_aspect_ratio_and_content(media, kit):
    clip = read_video(media.mp4_with_audio, max_side=32)
    assert clip.frames.shape == (30, 24, 32, 3)
    assert clip.source_size == (kit.WIDTH, kit.HEIGHT)
    assert kit.indices_of(clip) == list(range(30))


def test_explicit_size_is_taken_as_given(media, kit):
    clip = read_video(media.gif, size=(40, 20))
    assert clip.frames.shape == (20, 20, 40, 3)
    assert kit.indices_of(clip) == list(range(20))


def test_max_side_never_enlarges(media, kit):
    assert read_video(media.mov, max_side=1000).frames.shape[1:3] == (kit.HEIGHT, kit.WIDTH)


def test_max_side_applies_to_webp_too(media, kit):
    clip = read_video(media.webp, max_side=16)
    assert clip.frames.shape == (len(kit.WEBP_DURATIONS_MS), 12, 16, 3)


@pytest.mark.parametrize("options", [{"max_side": 32, "size": (10, 10)}, {"max_side": 0}, {"size": (0, 5)}])
def test_contradictory_or_empty_sizes_are_rejected(media, options):
    with pytest.raises(BadInputError):
        read_video(media.mov, **options)


def test_frames_are_converted_only_at_the_target_size_and_only_when_kept(media, monkeypatch):
    requested_sizes = []
    original = pictures_module._pyav_converter

    def spying_converter(reformatter, frame, *args):
        to_rgb = original(reformatter, frame, *args)

        def spy(width, height):
            requested_sizes.append((width, height))
            return to_rgb(width, height)

        return spy

    monkeypatch.setattr(pictures_module, "_pyav_converter", spying_converter)
    read_video(media.mp4_with_audio, max_side=16, target_fps=5, with_audio=False)
    # 30 frames decoded, 5 kept: no full-size picture, no conversion of a skipped frame.
    assert requested_sizes == [(16, 12)] * 5


def test_target_fps_picks_the_frame_on_screen_at_each_time(media, kit):
    clip = read_video(media.mp4_with_audio, target_fps=10)
    assert kit.indices_of(clip) == [0, 3, 6, 9, 12, 15, 18, 21, 24, 27]
    np.testing.assert_allclose(clip.timestamps_s, np.arange(10) / 10)
    assert clip.fps == 10.0 and clip.duration_s == pytest.approx(1.0)
    assert clip.metadata["source_frame_indices"] == [0, 3, 6, 9, 12, 15, 18, 21, 24, 27]


def test_target_fps_on_millisecond_timestamps_does_not_slip_a_frame(media, kit):
    # VP9 in WebM at 20 fps: exact; the mp4 at 30 fps resampled to 60 fps repeats each frame.
    clip = read_video(media.mp4_with_audio, target_fps=60, max_side=32)
    assert kit.indices_of(clip) == [k // 2 for k in range(60)]


@pytest.mark.parametrize("name", ["vfr_mp4", "gif", "webp", "late_start_mkv", "webm_with_audio"])
@pytest.mark.parametrize("target_fps", [7.0, 24.0, 50.0])
def test_target_fps_during_decode_equals_resampling_afterwards(media, name, target_fps):
    path = getattr(media, name)
    streamed = read_video(path, target_fps=target_fps, with_audio=False)
    afterwards = resample_clip(read_video(path, with_audio=False), target_fps)
    np.testing.assert_array_equal(streamed.frames, afterwards.frames)
    np.testing.assert_array_equal(streamed.timestamps_s, afterwards.timestamps_s)
    assert streamed.metadata["source_frame_indices"] == afterwards.metadata["source_frame_indices"]


def test_vfr_resampled_frames_are_the_ones_on_screen(media, kit):
    clip = read_video(media.vfr_mp4, target_fps=20)
    times_ms = np.arange(clip.num_frames) * 50
    expected = [max(k for k, stamp in enumerate(kit.VFR_PTS_MS) if stamp <= t) for t in times_ms]
    assert kit.indices_of(clip) == expected


@pytest.mark.parametrize("name", ["mp4_with_audio", "mov", "gif", "webp"])
def test_start_and_duration_select_a_window_timed_from_its_first_frame(media, kit, name):
    full = read_video(getattr(media, name), with_audio=False)
    window = read_video(getattr(media, name), start_s=0.25, max_duration_s=0.3, with_audio=False)
    first = int(np.searchsorted(full.timestamps_s, 0.25 + 1e-6, side="right") - 1)
    relative_s = full.timestamps_s - full.timestamps_s[first]
    expected = [k for k in range(full.num_frames) if k >= first and relative_s[k] < 0.3 - 1e-9]
    assert kit.indices_of(window) == expected
    np.testing.assert_allclose(window.timestamps_s, full.timestamps_s[expected] - full.timestamps_s[first], atol=1e-9)
    assert window.timestamps_s[0] == 0.0
    assert window.duration_s <= 0.3 + 1e-9


def test_window_audio_follows_the_window(media, kit):
    clip = read_video(media.mp4_with_audio, start_s=0.4, max_duration_s=0.5)
    assert kit.square_index(clip.frames[0]) == 12
    assert clip.audio.duration_s == pytest.approx(0.5, abs=1e-3)
    # The tone starts at 0.5 s of the file, 0.1 s into the window that starts with frame 12 (0.4 s).
    assert kit.onset_time_s(clip.audio.waveform, 44100) == pytest.approx(kit.SYNC_ONSET_S - 0.4, abs=0.005)


def test_seeking_into_a_long_clip_gives_the_same_frames_as_decoding_from_the_start(media, kit):
    full = read_video(media.long_gop_mp4, with_audio=False)
    # 1.6 s is frame 38.4: the frame on screen is 38, four frames after the key frame at 36.
    window = read_video(media.long_gop_mp4, start_s=1.6, max_duration_s=0.5)
    assert kit.indices_of(window) == list(range(38, 50))
    np.testing.assert_array_equal(window.frames, full.frames[38:50])
    np.testing.assert_allclose(window.timestamps_s, np.arange(12) / 24, atol=1e-9)
    assert window.metadata["start_s"] == pytest.approx(38 / 24)
    # The tone starts at 2.0 s of the file: 2.0 - 38/24 s into the window.
    assert kit.onset_time_s(window.audio.waveform, 44100) == pytest.approx(2.0 - 38 / 24, abs=0.005)
    assert window.audio.duration_s == pytest.approx(0.5, abs=1e-3)


def test_seeking_with_target_fps_matches_resampling_the_window(media):
    streamed = read_video(media.long_gop_mp4, start_s=1.3, max_duration_s=1.0, target_fps=10, with_audio=False)
    window = read_video(media.long_gop_mp4, start_s=1.3, max_duration_s=1.0, with_audio=False)
    np.testing.assert_array_equal(streamed.frames, resample_clip(window, 10).frames)


def test_a_stream_that_cannot_seek_is_decoded_from_the_start(media, kit):
    window = read_video(media.raw_h264, start_s=0.2, max_duration_s=0.2)
    assert kit.indices_of(window) == [5, 6, 7, 8, 9][: window.num_frames]
    assert window.num_frames == 5


def test_start_past_the_end_is_rejected(media):
    with pytest.raises(BadInputError, match="past the end"):
        read_video(media.mov, start_s=5.0)


def test_one_frame_video_is_a_one_frame_clip(media, kit):
    clip = read_video(media.one_frame_mp4)
    assert clip.num_frames == 1
    assert clip.timestamps_s.tolist() == [0.0]
    assert kit.square_index(clip.frames[0]) == 0
    assert clip.duration_s == pytest.approx(1 / 30)


def test_memory_cap_error_suggests_max_side(media, kit, monkeypatch):
    monkeypatch.setattr(decode_module, "MAX_DECODED_BYTES", 10 * kit.WIDTH * kit.HEIGHT * 3)
    with pytest.raises(BadInputError, match="max_side"):
        read_video(media.mov)
    # A smaller decode size fits under the same cap.
    assert read_video(media.mov, max_side=16).num_frames == 30


def test_progress_is_reported_and_can_cancel(media):
    calls = []
    read_video(media.mov, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1][0] == calls[-1][1] == 30
    assert [done for done, _ in calls[:30]] == list(range(1, 31))
    with pytest.raises(Cancelled):
        read_video(media.mov, progress=lambda done, total: done < 5)


def test_clip_from_float_frames_rounds_to_the_nearest_level():
    levels = np.arange(256, dtype=np.uint8)
    frames = np.broadcast_to(levels[None, None, :, None], (2, 1, 256, 3))
    clip = clip_from_frames(frames.astype(np.float32) / 255.0, fps=12.5)
    np.testing.assert_array_equal(clip.frames, frames)
    np.testing.assert_allclose(clip.timestamps_s, [0.0, 0.08])
    assert clip.duration_s == pytest.approx(0.16)
    assert clip.fps == 12.5


def test_clip_from_frames_clips_out_of_range_floats_and_keeps_audio():
    frames = np.array([-0.5, 0.5, 1.5], dtype=np.float32).reshape(1, 1, 3, 1).repeat(3, axis=3)
    clip = clip_from_frames(frames, fps=30)
    assert clip.frames[0, 0, :, 0].tolist() == [0, 128, 255]


@pytest.mark.parametrize(
    "frames",
    [np.zeros((0, 4, 4, 3), np.uint8), np.zeros((4, 4, 3), np.uint8), np.full((1, 2, 2, 3), np.nan, np.float32),
     np.zeros((1, 2, 2, 3), np.int16)],
)
def test_clip_from_frames_rejects_unusable_frames(frames):
    with pytest.raises(BadInputError):
        clip_from_frames(frames, fps=30)


def test_clip_from_frames_rejects_a_bad_fps():
    with pytest.raises(BadInputError, match="fps"):
        clip_from_frames(np.zeros((1, 2, 2, 3), np.uint8), fps=0)
