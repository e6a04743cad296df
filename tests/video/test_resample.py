"""frame_indices_for_times / resample_clip: the frame on screen at each time."""

from __future__ import annotations

import numpy as np
import pytest

from pavas_core.errors import BadInputError
from pavas_core.video import AudioTrack, Clip, frame_indices_for_times, resample_clip


def numbered_clip(timestamps_s, duration_s, fps=30.0, audio=None) -> Clip:
    """A clip whose frame k is filled with the value k (so indices can be read back)."""
    count = len(timestamps_s)
    frames = np.arange(count, dtype=np.uint8)[:, None, None, None] * np.ones((1, 2, 3, 3), np.uint8)
    return Clip(frames=frames, timestamps_s=np.asarray(timestamps_s, float), fps=fps, duration_s=duration_s,
                audio=audio, metadata={"note": "kept"})


def test_the_last_frame_at_or_before_each_time_is_on_screen():
    stamps = np.array([0.0, 0.1, 0.25, 0.4])
    times = np.array([0.0, 0.05, 0.1, 0.2, 0.2499, 0.25, 0.39, 0.4, 1.0])
    assert frame_indices_for_times(stamps, times).tolist() == [0, 0, 1, 1, 2, 2, 2, 3, 3]


def test_times_before_the_first_frame_get_the_first_frame():
    assert frame_indices_for_times(np.array([0.5, 1.0]), np.array([-1.0, 0.0, 0.49])).tolist() == [0, 0, 0]


def test_millisecond_rounded_timestamps_still_hit_their_grid_time():
    # WebM-style 30 fps: 66.667 ms is stored as 67 ms; the grid time 2/30 must still get frame 2.
    stamps = np.round(np.arange(30) / 30 * 1000) / 1000
    grid = np.arange(30) / 30
    assert frame_indices_for_times(stamps, grid).tolist() == list(range(30))


def test_high_speed_footage_never_skips_a_frame():
    # 2000 fps: frames 0.5 ms apart, smaller than the 1 ms rounding tolerance.
    stamps = np.arange(200) / 2000
    assert frame_indices_for_times(stamps, stamps).tolist() == list(range(200))
    halfway = stamps + 0.25 / 2000
    assert frame_indices_for_times(stamps, halfway).tolist() == list(range(200))


def test_duplicate_timestamps_resolve_to_the_later_frame():
    assert frame_indices_for_times(np.array([0.0, 0.1, 0.1, 0.2]), np.array([0.1, 0.15])).tolist() == [2, 2]


def test_result_keeps_the_shape_of_the_query_and_is_int64():
    result = frame_indices_for_times(np.array([0.0, 1.0]), np.array([[0.0, 2.0], [0.5, 1.0]]))
    assert result.dtype == np.int64 and result.tolist() == [[0, 1], [0, 1]]


@pytest.mark.parametrize(
    ("stamps", "times"),
    [(np.array([]), np.array([0.0])), (np.array([0.2, 0.1]), np.array([0.0])),
     (np.array([0.0, np.nan]), np.array([0.0])), (np.array([0.0]), np.array([np.inf]))],
)
def test_unusable_timestamps_are_rejected(stamps, times):
    with pytest.raises(BadInputError):
        frame_indices_for_times(stamps, times)


def test_resampling_a_variable_rate_clip_gives_a_uniform_grid_of_frames_on_screen():
    clip = numbered_clip([0.0, 0.04, 0.07, 0.15, 0.16, 0.3], duration_s=0.4)
    out = resample_clip(clip, 20.0)
    np.testing.assert_allclose(out.timestamps_s, np.arange(8) * 0.05)
    # t = 0, .05, .10, .15, .20, .25, .30, .35
    assert out.frames[:, 0, 0, 0].tolist() == [0, 1, 2, 3, 4, 4, 5, 5]
    assert out.metadata["source_frame_indices"] == [0, 1, 2, 3, 4, 4, 5, 5]
    assert out.fps == 20.0 and out.duration_s == 0.4 and out.metadata["note"] == "kept"


def test_resampling_keeps_the_audio_and_leaves_the_input_alone():
    audio = AudioTrack(np.zeros((1, 100), np.float32), 1000)
    clip = numbered_clip(np.arange(10) / 10, duration_s=1.0, fps=10.0, audio=audio)
    out = resample_clip(clip, 5.0)
    assert out.audio is audio
    assert out.frames[:, 0, 0, 0].tolist() == [0, 2, 4, 6, 8]
    assert clip.num_frames == 10 and "source_frame_indices" not in clip.metadata


def test_a_longer_duration_holds_the_last_frame():
    clip = numbered_clip([0.0, 0.5], duration_s=1.0)
    out = resample_clip(clip, 2.0, duration_s=2.0)
    assert out.frames[:, 0, 0, 0].tolist() == [0, 1, 1, 1]
    assert out.duration_s == 2.0


def test_grid_covers_the_duration_without_an_extra_frame_at_the_end():
    clip = numbered_clip(np.arange(30) / 30, duration_s=1.0)
    assert resample_clip(clip, 30.0).num_frames == 30
    assert resample_clip(clip, 7.0).num_frames == 7
    assert resample_clip(clip, 8.0, duration_s=0.3).num_frames == 3


@pytest.mark.parametrize(("fps", "duration_s"), [(0.0, None), (-5.0, None), (float("nan"), None), (10.0, 0.0)])
def test_bad_rates_and_durations_are_rejected(fps, duration_s):
    with pytest.raises(BadInputError):
        resample_clip(numbered_clip([0.0], duration_s=0.1), fps, duration_s)


def test_resampling_twice_still_points_at_the_first_decoded_frames():
    clip = numbered_clip(np.arange(12) / 12, duration_s=1.0, fps=12.0)
    twice = resample_clip(resample_clip(clip, 6.0), 3.0)
    assert twice.metadata["source_frame_indices"] == [0, 4, 8]
    assert twice.frames[:, 0, 0, 0].tolist() == [0, 4, 8]
