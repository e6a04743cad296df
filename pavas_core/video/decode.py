"""Decoding a video file (or an in-memory frame stack) into a :class:`Clip`.

Frames are converted to RGB at the requested size as they come out of the decoder and written
into one preallocated buffer, so the full-size pictures of a 4K clip never accumulate in memory.
With ``target_fps`` the frame on screen at each grid time is picked while decoding (the same rule
as :func:`pavas_core.video.resample.frame_indices_for_times`), so skipped frames are never
converted or kept.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import BadInputError
from ..limits import (
    MAX_DECODED_BYTES,
    MAX_DURATION_S,
    MAX_FRAME_GAP_S,
    MIN_WINDOW_S,
    check_fps,
    check_frame_gap,
    check_picture_size,
)
from ..progress import ProgressCallback, report
from .audio_io import decode_audio
from .clip import AudioTrack, Clip, frames_to_uint8
from .media_input import check_input_path
from .pictures import (
    FALLBACK_FPS,
    DecodedPicture,
    PictureClock,
    PictureSource,
    open_pictures,
)
from .resample import MAX_TIMESTAMP_TOLERANCE_S, grid_length, timestamp_tolerance_s

# The decoded frames held in memory are bounded by limits.MAX_DECODED_BYTES (uint8 RGB); ComfyUI
# turns them into float32 (4x more). The first allocation trusts the headers only as far as the
# file's size makes plausible (64 MiB, or 256 bytes of pictures per byte of file); beyond it the
# buffer grows with the frames really decoded.
_INITIAL_BUFFER_BYTES = 64 * 1024**2
_PLAUSIBLE_EXPANSION = 256
# Two window-end times closer than this are equal (float rounding of time-base conversions).
_TIME_EPSILON_S = 1e-9


def decoded_size(
    source_size: tuple[int, int], *, max_side: int | None = None, size: tuple[int, int] | None = None
) -> tuple[int, int]:
    """(width, height) that frames of `source_size` are decoded to.

    `size` is taken as given; `max_side` shrinks the longer side to at most that many pixels and
    keeps the aspect ratio (never enlarges); neither keeps the source size.
    """
    if size is not None and max_side is not None:
        raise BadInputError("give either max_side or size, not both")
    if size is not None:
        if len(size) != 2 or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1 for v in size):
            raise BadInputError(f"size must be (width, height) in whole pixels >= 1, got {size!r}")
        return check_picture_size(int(size[0]), int(size[1]), "requested frame size")
    width, height = source_size
    if max_side is None:
        return width, height
    if isinstance(max_side, bool) or not isinstance(max_side, (int, np.integer)) or max_side < 1:
        raise BadInputError(f"max_side must be a whole number of pixels >= 1, got {max_side!r}")
    scale = max_side / max(width, height)
    if scale >= 1.0:
        return width, height
    return max(1, int(round(width * scale))), max(1, int(round(height * scale)))


def clip_from_frames(frames, fps: float, audio: AudioTrack | None = None) -> Clip:
    """A Clip from frames already in memory, at uniform times k/fps.

    frames: (T, H, W, 3) uint8, or float in [0, 1] (a ComfyUI IMAGE as numpy) → converted to uint8.
    """
    if isinstance(fps, bool) or not isinstance(fps, (int, float, np.floating, np.integer)) or not (
        math.isfinite(fps) and fps > 0
    ):
        raise BadInputError(f"fps must be a positive number, got {fps!r}")
    check_fps(fps, "fps")
    pictures = frames_to_uint8(frames)
    num_frames = pictures.shape[0]
    check_picture_size(pictures.shape[2], pictures.shape[1], "frames")
    if num_frames / float(fps) > MAX_DURATION_S:
        raise BadInputError(f"{num_frames} frames at {fps:g} fps last {num_frames / float(fps):g} s, longer than "
                            f"the {MAX_DURATION_S:g} s limit")
    return Clip(
        frames=pictures,
        timestamps_s=np.arange(num_frames, dtype=np.float64) / float(fps),
        fps=float(fps),
        duration_s=num_frames / float(fps),
        audio=audio,
        source_size=(int(pictures.shape[2]), int(pictures.shape[1])),
        metadata={"timestamps_source": "uniform"},
    )


def read_video(
    path: str | os.PathLike,
    *,
    max_side: int | None = None,
    size: tuple[int, int] | None = None,
    target_fps: float | None = None,
    start_s: float = 0.0,
    max_duration_s: float | None = None,
    with_audio: bool = True,
    progress: ProgressCallback | None = None,
) -> Clip:
    """Decode a video file (mp4, mov, mkv, webm, gif, animated WebP, ...) into a Clip.

    max_side / size: decode-time resize (keep aspect with the longer side <= max_side, or exactly
        size=(width, height)); frames are converted at that size as they are decoded.
    target_fps: pick the frame on screen at k/target_fps while decoding (constant-rate output).
        Without it the frames keep their real presentation times (variable frame rate stays).
    start_s / max_duration_s: the window to decode, in seconds from the first frame. The clip
        starts with the frame on screen at start_s; its timestamps are relative to that frame.
    with_audio: also decode the first audio stream, cut to the same window.
    progress: ``progress(done, total)`` per decoded frame; returning False cancels.

    Fallbacks are recorded in ``clip.metadata`` (``timestamps_source``, ``warnings``).
    Raises BadInputError for missing, empty, corrupt, audio-only or frameless files.
    """
    file_path = check_input_path(path)
    _check_window(start_s, max_duration_s, target_fps)
    try:
        decoded = _decode_pictures(
            file_path, max_side=max_side, size=size, target_fps=target_fps, start_s=start_s,
            max_duration_s=max_duration_s, progress=progress, allow_seek=start_s > 0,
        )
    except _SeekWasUnreliable:
        # The index led somewhere else than asked (or to frames without timestamps): decode
        # from the beginning instead; the result is the same, only slower.
        decoded = _decode_pictures(
            file_path, max_side=max_side, size=size, target_fps=target_fps, start_s=start_s,
            max_duration_s=max_duration_s, progress=progress, allow_seek=False,
        )
    audio = None
    if with_audio and decoded.backend == "pyav":
        audio = _read_window_audio(
            file_path,
            origin_s=decoded.first_frame_file_time_s - decoded.start_s,
            start_s=decoded.start_s,
            duration_s=decoded.duration_s,
        )
    metadata = decoded.metadata()
    if with_audio and audio is None and decoded.has_audio_stream:
        metadata["warnings"].append("the audio stream has no samples in this window; the clip has no audio")
    return Clip(
        frames=decoded.frames,
        timestamps_s=decoded.timestamps_s,
        fps=decoded.fps,
        duration_s=decoded.duration_s,
        audio=audio,
        source_path=str(file_path),
        source_size=decoded.source_size,
        metadata=metadata,
    )


# --- internals ----------------------------------------------------------------------------------


class _SeekWasUnreliable(Exception):
    """Internal: decoding after a seek cannot place frames correctly; start over without seeking."""


@dataclass
class _DecodedWindow:
    backend: str
    codec: str
    source_size: tuple[int, int]
    source_fps: float | None
    frames: np.ndarray
    timestamps_s: np.ndarray
    fps: float
    duration_s: float
    first_frame_file_time_s: float
    start_s: float
    timestamps_source: str
    source_frame_indices: list[int] | None
    has_audio_stream: bool
    warnings: list[str] = field(default_factory=list)
    rotation_deg: int = 0

    def metadata(self) -> dict:
        metadata = {
            "decoder": self.backend,
            "codec": self.codec,
            "source_fps": self.source_fps,
            "start_s": self.start_s,
            "timestamps_source": self.timestamps_source,
            "warnings": list(self.warnings),
        }
        if self.rotation_deg:
            metadata["rotation_deg"] = self.rotation_deg  # turned for display; sizes are the displayed ones
        if self.source_frame_indices is not None:
            metadata["source_frame_indices"] = self.source_frame_indices
        return metadata


def _check_window(start_s: float, max_duration_s: float | None, target_fps: float | None) -> None:
    if not (isinstance(start_s, (int, float)) and math.isfinite(start_s) and start_s >= 0):
        raise BadInputError(f"start_s must be a number of seconds >= 0, got {start_s!r}")
    if max_duration_s is not None and not (
        isinstance(max_duration_s, (int, float)) and math.isfinite(max_duration_s) and max_duration_s > 0
    ):
        raise BadInputError(f"max_duration_s must be a positive number of seconds, got {max_duration_s!r}")
    if max_duration_s is not None and max_duration_s < MIN_WINDOW_S:
        raise BadInputError(f"max_duration_s must be at least {MIN_WINDOW_S:g} s (or none, for the whole file), "
                            f"got {max_duration_s!r}")
    if target_fps is not None and not (
        isinstance(target_fps, (int, float)) and math.isfinite(target_fps) and target_fps > 0
    ):
        raise BadInputError(f"target_fps must be a positive number, got {target_fps!r}")
    if target_fps is not None:
        check_fps(target_fps, "target_fps")


def _decode_pictures(
    file_path: Path, *, max_side, size, target_fps, start_s, max_duration_s, progress, allow_seek: bool
) -> _DecodedWindow:
    with open_pictures(file_path, start_s=start_s if allow_seek else 0.0) as source:
        check_picture_size(*source.source_size, f"{file_path.name}: its picture")
        out_size = decoded_size(source.source_size, max_side=max_side, size=size)
        expected = _expected_output_frames(source, start_s, max_duration_s, target_fps)
        frame_bytes = out_size[0] * out_size[1] * 3
        _check_memory(file_path, out_size, expected, frame_bytes)
        trusted_bytes = max(_INITIAL_BUFFER_BYTES, _PLAUSIBLE_EXPANSION * file_path.stat().st_size)
        capacity = min(expected or 64, max(1, trusted_bytes // frame_bytes))
        buffer = _FrameBuffer(out_size, capacity=capacity, file_path=file_path)
        selector = _WindowSelector(
            source, buffer, out_size=out_size, start_s=start_s, max_duration_s=max_duration_s,
            target_fps=target_fps, file_path=file_path,
        )
        total = _expected_decoded_frames(source, start_s, max_duration_s)
        decoded_count = 0
        for picture in source.pictures:
            if not selector.push(picture):
                break
            decoded_count += 1
            total = max(total, decoded_count)
            report(progress, decoded_count, total)
        window = selector.finish()
    report(progress, total, total)
    return window


def _expected_decoded_frames(source: PictureSource, start_s: float, max_duration_s: float | None) -> int:
    """Rough count of pictures the decoder will deliver (for progress)."""
    if source.estimated_frames is None or not source.nominal_fps:
        return 1
    remaining = source.estimated_frames - int(start_s * source.nominal_fps)
    if max_duration_s is not None:
        remaining = min(remaining, int(math.ceil(max_duration_s * source.nominal_fps)) + 1)
    return max(1, remaining)


def _expected_output_frames(
    source: PictureSource, start_s: float, max_duration_s: float | None, target_fps: float | None
) -> int | None:
    """Frames the clip will hold, as far as the headers tell (None when they do not)."""
    if target_fps is not None:
        span_s = None if source.duration_s is None else max(source.duration_s - start_s, 0.0)
        if max_duration_s is not None:
            span_s = max_duration_s if span_s is None else min(span_s, max_duration_s)
        return None if span_s is None else grid_length(max(span_s, 1.0 / target_fps), target_fps)
    if source.estimated_frames is None:
        return None
    count = source.estimated_frames
    if source.nominal_fps:
        count -= int(start_s * source.nominal_fps)
        if max_duration_s is not None:
            count = min(count, int(math.ceil(max_duration_s * source.nominal_fps)))
    return max(1, count)


def _check_memory(file_path: Path, out_size: tuple[int, int], frame_count: int | None, frame_bytes: int) -> None:
    if frame_count is not None and frame_count * frame_bytes > MAX_DECODED_BYTES:
        raise BadInputError(_memory_message(file_path, out_size, frame_count, frame_bytes))


def _memory_message(file_path: Path, out_size: tuple[int, int], frame_count: int, frame_bytes: int) -> str:
    return (
        f"decoding {file_path.name} at {out_size[0]}x{out_size[1]} would hold about {frame_count} frames, "
        f"{frame_count * frame_bytes / 1024**3:.1f} GiB (limit {MAX_DECODED_BYTES / 1024**3:.0f} GiB); "
        "pass max_side (e.g. 640), a lower target_fps or a shorter max_duration_s"
    )


class _FrameBuffer:
    """(N, H, W, 3) uint8 frames in one growing array, under the MAX_DECODED_BYTES cap."""

    def __init__(self, out_size: tuple[int, int], *, capacity: int, file_path: Path) -> None:
        width, height = out_size
        self._shape = (height, width, 3)
        self._frame_bytes = width * height * 3
        self._file_path = file_path
        self._out_size = out_size
        self._array = np.empty((max(1, capacity),) + self._shape, dtype=np.uint8)
        self.count = 0

    def append(self, rgb: np.ndarray) -> None:
        if self.count == self._array.shape[0]:
            grown = max(self.count + 1, int(self.count * 1.5))
            if grown * self._frame_bytes > MAX_DECODED_BYTES:
                grown = max(self.count + 1, MAX_DECODED_BYTES // self._frame_bytes)
            if grown * self._frame_bytes > MAX_DECODED_BYTES:
                raise BadInputError(_memory_message(self._file_path, self._out_size, grown, self._frame_bytes))
            larger = np.empty((grown,) + self._shape, dtype=np.uint8)
            larger[: self.count] = self._array[: self.count]
            self._array = larger
        self._array[self.count] = rgb
        self.count += 1

    def frames(self) -> np.ndarray:
        if self.count == self._array.shape[0]:
            return self._array
        # Give back an over-estimated allocation instead of keeping it alive behind a view.
        return self._array[: self.count].copy()


class _WindowSelector:
    """Keeps the pictures of the requested window, as they stream out of the decoder.

    Phase 1 looks for the frame on screen at start_s (the last one stamped <= start_s, with the
    resample tolerance); it becomes frame 0 and its time the clip's origin. Phase 2 either keeps
    every picture before the window end, or (target_fps) emits the picture on screen at each grid
    time k/target_fps, converting each chosen picture once.
    """

    def __init__(
        self, source: PictureSource, buffer: _FrameBuffer, *, out_size, start_s, max_duration_s, target_fps, file_path
    ) -> None:
        self.source = source
        self.buffer = buffer
        self.out_size = out_size
        self.start_s = float(start_s)
        self.max_duration_s = max_duration_s
        self.target_fps = target_fps
        self.file_path = file_path
        self.clock = PictureClock(source.nominal_fps)
        self.origin_s: float | None = source.origin_s
        # Phase 1: the candidate for frame 0 (file time, picture).
        self.candidate: tuple[float, DecodedPicture] | None = None
        self.first_time_s: float | None = None
        # Phase 2: timestamps of kept frames (no target_fps) ...
        self.kept_times_s: list[float] = []
        # ... or the previous picture and grid state (target_fps).
        self.previous: tuple[float, DecodedPicture] | None = None
        self.previous_rgb: np.ndarray | None = None
        self.previous_index = -1
        self.grid_index = 0
        self.source_frame_indices: list[int] = []
        self.window_index = 0
        # For the last frame's on-screen period.
        self.last_kept_s: float | None = None
        self.before_last_kept_s: float | None = None
        self.last_kept_duration_s: float | None = None

    # -- feeding ---------------------------------------------------------------------------------

    def push(self, picture: DecodedPicture) -> bool:
        """Take the next picture; False once the window is complete (stop decoding)."""
        if self.source.seeked and self.clock.count == 0 and picture.time_s is None:
            raise _SeekWasUnreliable()
        file_time_s = self.clock.time_of(picture)
        if self.origin_s is None:
            self.origin_s = file_time_s
        if self.first_time_s is None:
            return self._push_before_start(file_time_s, picture)
        return self._push_in_window(file_time_s - self.first_time_s, picture)

    def _push_before_start(self, file_time_s: float, picture: DecodedPicture) -> bool:
        relative_s = file_time_s - self.origin_s
        if self.candidate is None:
            if self.source.seeked and relative_s > self.start_s + MAX_TIMESTAMP_TOLERANCE_S:
                raise _SeekWasUnreliable()
            self.candidate = (file_time_s, picture)
            return True
        candidate_relative_s = self.candidate[0] - self.origin_s
        tolerance_s = timestamp_tolerance_s(candidate_relative_s, relative_s)
        if relative_s - self.start_s <= tolerance_s:
            self.candidate = (file_time_s, picture)  # this one is still on screen at start_s
            return True
        self._begin_window()
        return self._push_in_window(file_time_s - self.first_time_s, picture)

    def _begin_window(self) -> None:
        first_file_time_s, first_picture = self.candidate
        self.first_time_s = first_file_time_s
        self.candidate = None
        self._push_in_window(0.0, first_picture)

    def _push_in_window(self, relative_s: float, picture: DecodedPicture) -> bool:
        if self.max_duration_s is not None and self.last_kept_s is not None \
                and relative_s >= self.max_duration_s - _TIME_EPSILON_S:
            return False  # (the window's first frame is always kept)
        # Limits on what the timestamps claim: a frame stamped hours after the previous one must not
        # make the clip (and the sound made for it) hours long.
        if self.last_kept_s is not None:
            check_frame_gap(self.last_kept_s, relative_s, self.file_path.name)
        if relative_s >= MAX_DURATION_S:
            raise BadInputError(
                f"{self.file_path.name} is longer than the {MAX_DURATION_S:g} s limit; load a part of it "
                "(start_s and max_duration_s) or cut it"
            )
        if self.target_fps is None:
            self.buffer.append(picture.to_rgb(*self.out_size))
            self.kept_times_s.append(relative_s)
        else:
            if self.previous is not None:
                self._emit_previous_until(relative_s)
            self.previous = (relative_s, picture)
            self.previous_rgb = None
            self.previous_index = self.window_index
        self.window_index += 1
        self.before_last_kept_s, self.last_kept_s = self.last_kept_s, relative_s
        self.last_kept_duration_s = picture.duration_s
        return True

    def _emit_previous_until(self, next_relative_s: float) -> None:
        """Emit the previous picture for every grid time before the next picture takes over."""
        tolerance_s = timestamp_tolerance_s(self.previous[0], next_relative_s)
        while not self._grid_full() and next_relative_s - self.grid_index / self.target_fps > tolerance_s:
            self._emit_previous()

    def _emit_previous(self) -> None:
        if self.previous_rgb is None:
            self.previous_rgb = self.previous[1].to_rgb(*self.out_size)
        self.buffer.append(self.previous_rgb)
        self.source_frame_indices.append(self.previous_index)
        self.grid_index += 1

    def _grid_full(self) -> bool:
        return self.max_duration_s is not None and self.grid_index >= grid_length(self.max_duration_s, self.target_fps)

    # -- finishing -------------------------------------------------------------------------------

    def finish(self) -> _DecodedWindow:
        if self.clock.count == 0:
            raise BadInputError(f"{self.file_path.name} has a video stream but no decodable frames")
        if self.first_time_s is None:
            candidate_s = self.candidate[0] - self.origin_s
            shown_for_s = self.candidate[1].duration_s or self._fallback_period_s()
            if candidate_s + shown_for_s <= self.start_s:
                raise BadInputError(
                    f"start_s={self.start_s:g} is past the end of {self.file_path.name} "
                    f"(its last frame is at {candidate_s:.3f} s)"
                )
            self._begin_window()
        duration_s = self.last_kept_s + self._last_period_s()
        if self.max_duration_s is not None:
            duration_s = min(duration_s, float(self.max_duration_s))
        if self.target_fps is None:
            timestamps_s = np.asarray(self.kept_times_s, dtype=np.float64)
            fps = self.source.nominal_fps or len(timestamps_s) / duration_s
        else:
            while self.grid_index < grid_length(duration_s, self.target_fps):
                self._emit_previous()
            timestamps_s = np.arange(self.grid_index, dtype=np.float64) / self.target_fps
            fps = float(self.target_fps)
        warnings = list(self.source.warnings) + self.clock.warnings(self.source.nominal_fps)
        return _DecodedWindow(
            backend=self.source.backend,
            codec=self.source.codec,
            source_size=self.source.source_size,
            source_fps=self.source.nominal_fps,
            frames=self.buffer.frames(),
            timestamps_s=timestamps_s,
            fps=float(fps),
            duration_s=float(duration_s),
            first_frame_file_time_s=self.first_time_s,
            start_s=self.first_time_s - self.origin_s,
            timestamps_source=self.clock.source_label(),
            source_frame_indices=None if self.target_fps is None else self.source_frame_indices,
            has_audio_stream=self.source.has_audio_stream,
            warnings=warnings,
            rotation_deg=self.source.rotation_deg,
        )

    def _last_period_s(self) -> float:
        """How long the last kept frame stays on screen: its stated duration, else the last gap."""
        if self.last_kept_duration_s is not None and self.last_kept_duration_s > 0:
            if self.last_kept_duration_s > MAX_FRAME_GAP_S:
                check_frame_gap(self.last_kept_s, self.last_kept_s + self.last_kept_duration_s,
                                f"{self.file_path.name} (its last frame's duration)")
            return self.last_kept_duration_s
        if self.before_last_kept_s is not None:
            return self.last_kept_s - self.before_last_kept_s
        return self._fallback_period_s()

    def _fallback_period_s(self) -> float:
        return 1.0 / (self.source.nominal_fps or FALLBACK_FPS)


def _read_window_audio(file_path: Path, *, origin_s: float, start_s: float, duration_s: float) -> AudioTrack | None:
    """The first audio stream cut to the clip's window, or None when there is none in it.

    origin_s: file time of the video's first frame; start_s: the clip's first frame, relative to it.
    """
    return decode_audio(file_path, origin_s=origin_s, start_s=start_s, end_s=start_s + duration_s)
