"""Frame-rate conversion by timestamp: which frame is on screen at a given time.

The rule (shared by :func:`frame_indices_for_times` and the streaming selection inside
:func:`pavas_core.video.read_video`, so both give the same frames):

    the frame on screen at time t is the last frame whose timestamp is <= t + tolerance,

where the tolerance absorbs timestamp rounding (WebM and many muxers round presentation times to
whole milliseconds, so a 30 fps frame meant for 66.667 ms is stored at 67 ms). It is at most
1 ms and never more than a quarter of the gap between the two frames involved, so it cannot skip
a frame even in high-speed footage. Times before the first frame get the first frame; times after
the last frame get the last frame.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from ..errors import BadInputError
from .clip import Clip

MAX_TIMESTAMP_TOLERANCE_S = 1e-3
# A fraction of one output frame period: grid points closer than this to the end are not emitted.
_GRID_END_EPSILON_FRAMES = 1e-6


def timestamp_tolerance_s(previous_time_s: float, next_time_s: float) -> float:
    """How far after t the next frame may be stamped and still count as on screen at t."""
    return min(MAX_TIMESTAMP_TOLERANCE_S, 0.25 * (next_time_s - previous_time_s))


def grid_length(duration_s: float, fps: float) -> int:
    """Number of grid times k/fps that fall in [0, duration_s); at least 1."""
    return max(1, int(math.ceil(duration_s * fps - _GRID_END_EPSILON_FRAMES)))


def grid_times_s(duration_s: float, fps: float) -> np.ndarray:
    """(N,) float64 uniform times k/fps covering [0, duration_s)."""
    return np.arange(grid_length(duration_s, fps), dtype=np.float64) / fps


def frame_indices_for_times(timestamps_s: np.ndarray, times_s: np.ndarray) -> np.ndarray:
    """Index of the frame on screen at each time (see the module docstring for the rule).

    timestamps_s: (T,) frame times in seconds, non-decreasing, T >= 1.
    times_s: times to look up, any shape.
    Returns int64 indices in [0, T-1] with the shape of `times_s`.
    """
    stamps = np.asarray(timestamps_s, dtype=np.float64)
    queries = np.asarray(times_s, dtype=np.float64)
    if stamps.ndim != 1 or stamps.size == 0:
        raise BadInputError(f"timestamps_s must be a non-empty 1-D array, got shape {stamps.shape}")
    if not np.all(np.isfinite(stamps)) or not np.all(np.isfinite(queries)):
        raise BadInputError("timestamps_s and times_s must be finite (no NaN or inf)")
    if stamps.size > 1 and np.any(np.diff(stamps) < 0):
        raise BadInputError("timestamps_s must be in increasing order")

    last = stamps.size - 1
    index = np.searchsorted(stamps, queries, side="right") - 1  # last frame with stamp <= t
    following = np.minimum(index + 1, last)
    current = np.maximum(index, 0)
    tolerance = np.minimum(MAX_TIMESTAMP_TOLERANCE_S, 0.25 * (stamps[following] - stamps[current]))
    # Same comparison as the streaming selector: the next frame takes over when it is within
    # tolerance of the query time.
    next_is_on_screen = (index >= 0) & (index < last) & ~(stamps[following] - queries > tolerance)
    index = np.where(next_is_on_screen, index + 1, index)
    return np.clip(index, 0, last).astype(np.int64)


def resample_clip(clip: Clip, fps: float, duration_s: float | None = None) -> Clip:
    """A constant-frame-rate copy of `clip`: frames at k/fps over [0, duration_s).

    duration_s defaults to the clip's duration; asking for more repeats the last frame. Each
    output frame is the frame on screen at its time (:func:`frame_indices_for_times`). The audio is
    kept unchanged. The index of every output frame among the frames as first decoded is recorded
    in ``metadata["source_frame_indices"]``.
    """
    if not (isinstance(fps, (int, float)) and math.isfinite(fps) and fps > 0):
        raise BadInputError(f"fps must be a positive number, got {fps!r}")
    total_s = clip.duration_s if duration_s is None else float(duration_s)
    if not (math.isfinite(total_s) and total_s > 0):
        raise BadInputError(f"duration_s must be a positive number of seconds, got {duration_s!r}")
    times_s = grid_times_s(total_s, float(fps))
    indices = frame_indices_for_times(clip.timestamps_s, times_s)
    metadata = dict(clip.metadata)
    metadata["resampled_from_fps"] = clip.fps
    earlier = metadata.get("source_frame_indices")
    # Indices always point at the frames as first decoded, even after several resamplings.
    metadata["source_frame_indices"] = (
        indices.tolist() if earlier is None else [earlier[index] for index in indices.tolist()]
    )
    return replace(
        clip,
        frames=clip.frames[indices],
        timestamps_s=times_s,
        fps=float(fps),
        duration_s=total_s,
        metadata=metadata,
    )
