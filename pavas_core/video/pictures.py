"""Decoded pictures, one at a time, from any video file we support.

Two backends feed the same :class:`PictureSource` interface:

* PyAV/FFmpeg for real video containers (mp4, mov, mkv, webm, gif, ...), with threaded decoding;
* Pillow for WebP, because FFmpeg has no decoder for *animated* WebP (it fails on ANIM/ANMF
  chunks), and still WebP goes the same way so both behave alike.

An alpha channel (GIF, WebP) is dropped, not composited: transparent areas show the stored colour.
Rotation metadata (a display matrix, as phones write it, or an old-style ``rotate`` tag) is honoured:
a clip coded 640×360 with a 90° flag is delivered as the 360×640 portrait pictures a player shows,
and `source_size` is that displayed size (mirroring flags are not applied).

A picture is not converted to RGB until the consumer asks for it, and then directly at the size
the consumer wants (:meth:`DecodedPicture.to_rgb`, one swscale pass from the decoder's YUV), so
frames that a frame-rate change drops cost no conversion and a 4K video is never turned into
full-size RGB arrays. (Pillow hands out full-size RGB WebP frames, one at a time.)
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from ..errors import BadInputError
from ..limits import check_picture_size
from .media_input import (
    av_errors_as_bad_input,
    av_open,
    check_input_path,
    first_video_stream,
    is_webp_file,
    seek_to_key_frame,
)

RgbConverter = Callable[[int, int], np.ndarray]
# Frame rate assumed when a file says nothing about its rate (FFmpeg's own default guess).
FALLBACK_FPS = 25.0


@dataclass
class DecodedPicture:
    """One decoded picture.

    time_s: presentation time in the file's own timeline (seconds; not yet relative to the first
        frame), or None when the file carries no timestamp for it.
    duration_s: how long the file says the picture stays on screen, when it says so.
    to_rgb: ``to_rgb(width, height)`` → (height, width, 3) uint8 RGB at that size.
    """

    time_s: float | None
    duration_s: float | None
    to_rgb: RgbConverter


@dataclass
class PictureSource:
    """An open video: what it is, and an iterator over its pictures in presentation order.

    origin_s: file time that counts as 0 when decoding does not start at the first picture (after a
        seek), or None when it is the first decoded picture's time.
    seeked: True when decoding was started near `start_s` by a seek instead of at the beginning.
    """

    backend: str
    codec: str
    source_size: tuple[int, int]
    nominal_fps: float | None
    duration_s: float | None
    estimated_frames: int | None
    origin_s: float | None
    seeked: bool
    pictures: Iterator[DecodedPicture]
    warnings: list[str]
    has_audio_stream: bool = False
    rotation_deg: int = 0  # counter-clockwise turn applied to the stored pictures for display


def quarter_turns(rotation_deg: float) -> int:
    """Counter-clockwise quarter turns (0..3) nearest to a display rotation in degrees."""
    return int(round(float(rotation_deg) / 90.0)) % 4


def display_rotation_deg(stream, first_frame) -> float:
    """The counter-clockwise rotation a player applies to the stored pictures: the display matrix
    (side data of the decoded frame, as FFmpeg exports it), else the stream's old-style ``rotate``
    tag (clockwise degrees), else 0."""
    rotation = 0.0
    if first_frame is not None:
        try:
            rotation = float(first_frame.rotation or 0.0)
        except (AttributeError, TypeError, ValueError):  # PyAV without the display matrix
            rotation = 0.0
    if rotation == 0.0:
        tag = (stream.metadata or {}).get("rotate")
        try:
            rotation = -float(tag) if tag is not None else 0.0
        except (TypeError, ValueError):
            rotation = 0.0
    return rotation


def rotation_note(rotation_deg: float) -> str | None:
    """A note when a rotation is not a whole number of quarter turns (it is rounded to one)."""
    turns = quarter_turns(rotation_deg)
    nearest = turns * 90
    if abs(((float(rotation_deg) - nearest + 180.0) % 360.0) - 180.0) > 0.5:
        return (f"the video asks to be shown rotated by {rotation_deg:g}°; decoded rotated by the nearest "
                f"quarter turn ({nearest}° counter-clockwise)")
    return None


def rotated_size(size: tuple[int, int], rotation_deg: int) -> tuple[int, int]:
    """(width, height) shown for stored pictures of `size` turned by `rotation_deg`."""
    return (size[1], size[0]) if quarter_turns(rotation_deg) % 2 else (size[0], size[1])


def frame_rate_of(stream: av.video.stream.VideoStream) -> float | None:
    """The stream's nominal frame rate: average rate, else FFmpeg's guess, else the base rate."""
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate is not None and rate > 0:
            value = float(rate)
            # FFmpeg reports 90000 or 1000 ("tbr") for streams that carry no rate at all.
            if 0.0 < value <= 1000.0:
                return value
    return None


def stream_duration_s(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> float | None:
    """Duration of the video stream from the file's headers, if they give one."""
    if stream.duration is not None and stream.duration > 0 and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base
    return None


def estimate_frame_count(
    stream: av.video.stream.VideoStream, duration_s: float | None, fps: float | None
) -> int | None:
    """Frames in the stream: the header's count when it has one, else duration × fps."""
    if stream.frames and stream.frames > 0:
        return int(stream.frames)
    if duration_s is not None and fps is not None:
        return max(1, int(round(duration_s * fps)))
    return None


@contextlib.contextmanager
def open_pictures(path, *, start_s: float = 0.0) -> Iterator[PictureSource]:
    """Open a video file and yield a :class:`PictureSource` positioned at or before `start_s`.

    `start_s` is a hint for seeking (seconds after the first frame); pictures before it may still be
    delivered and the consumer must skip them by time. Raises BadInputError for unreadable input.
    """
    file_path = check_input_path(path)
    if is_webp_file(file_path):
        with _open_webp(file_path) as source:
            yield source
        return
    with av_errors_as_bad_input(file_path, "decode"):
        container = av_open(file_path, mode="r")
        try:
            origin_s = _seek_near(container, file_path, start_s) if start_s > 0.0 else None
            if start_s > 0.0 and origin_s is None:
                # Not seekable (e.g. a raw .h264 stream), and a failed seek can leave the demuxer
                # anywhere: start again from the top. Same result, only slower.
                container.close()
                container = av_open(file_path, mode="r")
            yield _pyav_source(container, file_path, origin_s=origin_s)
        finally:
            container.close()


def _seek_near(container, file_path: Path, start_s: float) -> float | None:
    """Seek to the key frame at or before `start_s`; the file time of its first frame, or None."""
    stream = first_video_stream(container, file_path)
    if not stream.time_base:
        return None
    origin_s = _stream_origin_s(container, stream)
    return origin_s if seek_to_key_frame(container, stream, origin_s + start_s) else None


def _pyav_source(container, file_path: Path, *, origin_s: float | None) -> PictureSource:
    """origin_s: the first frame's file time after a seek (consumers skip by time), else None."""
    stream = first_video_stream(container, file_path)
    # Slice threads only: with frame threads, freeing a decoder that stopped before the end (a
    # window, a cancel) can deadlock once torchvision is imported (PyAV issues #1849/#1861), which
    # would hang the ComfyUI server.
    stream.thread_type = "SLICE"
    fps = frame_rate_of(stream)
    duration_s = stream_duration_s(container, stream)
    warnings: list[str] = []
    sample_aspect = stream.sample_aspect_ratio
    if sample_aspect is not None and sample_aspect not in (0, 1):
        warnings.append(
            f"non-square pixels (sample aspect ratio {sample_aspect}) are decoded as stored; "
            "the picture may look stretched"
        )
    # The display matrix comes with the decoded frames: the first one is decoded now (it would be
    # anyway) to learn the displayed size before the consumer sizes its buffers.
    frames = container.decode(stream)
    first_frame, first_error = None, None
    try:
        first_frame = next(frames)
    except StopIteration:
        pass
    except av.error.FFmpegError as exc:  # handed to the consumer with the first picture, as before
        first_error = exc
    rotation = display_rotation_deg(stream, first_frame)
    note = rotation_note(rotation)
    if note:
        warnings.append(note)
    turns = quarter_turns(rotation)
    pictures = _pyav_pictures(_resumed(first_frame, first_error, frames), file_path, warnings, turns)
    return PictureSource(
        backend="pyav",
        codec=stream.codec_context.name,
        source_size=rotated_size((int(stream.width), int(stream.height)), turns * 90),
        nominal_fps=fps,
        duration_s=duration_s,
        estimated_frames=estimate_frame_count(stream, duration_s, fps),
        origin_s=origin_s,
        seeked=origin_s is not None,
        pictures=pictures,
        warnings=warnings,
        has_audio_stream=bool(container.streams.audio),
        rotation_deg=turns * 90,
    )


def _resumed(first_frame, first_error, frames) -> Iterator:
    """The decoder's frames again, starting with the one already taken (or its error)."""
    if first_error is not None:
        raise first_error
    if first_frame is None:
        return
    yield first_frame
    yield from frames


def _stream_origin_s(container, stream) -> float:
    """File time of the first picture, from the headers (used when we seek past it)."""
    if stream.start_time is not None and stream.time_base:
        return float(stream.start_time * stream.time_base)
    if container.start_time is not None:
        return container.start_time / av.time_base
    return 0.0


def _pyav_pictures(frames: Iterator, file_path: Path, warnings: list[str], turns: int) -> Iterator[DecodedPicture]:
    # One reformatter for the whole stream, so the scaler context is built once and then reused.
    reformatter = VideoReformatter()
    count = 0
    with av_errors_as_bad_input(file_path, "decode"):
        while True:
            try:
                frame = next(frames)
            except StopIteration:
                return
            except av.error.EOFError:
                # Some demuxers (e.g. Matroska without clusters) signal the end as an error.
                if count:
                    warnings.append(f"the file ended abruptly after {count} frames (truncated?)")
                return
            count += 1
            time_s = float(frame.time) if frame.pts is not None and frame.time is not None else None
            frame_duration = getattr(frame, "duration", None)  # absent before PyAV 15
            duration_s = (
                float(frame_duration * frame.time_base)
                if frame_duration and frame.time_base is not None
                else None
            )
            yield DecodedPicture(time_s, duration_s, _pyav_converter(reformatter, frame, turns))


def _pyav_converter(reformatter: VideoReformatter, frame: av.VideoFrame, turns: int = 0) -> RgbConverter:
    """to_rgb(width, height) at the *displayed* size: scaled in the stored orientation, then turned."""
    def to_rgb(width: int, height: int) -> np.ndarray:
        # swscale scales and converts in one pass; its bilinear filter widens with the scale
        # factor, so large reductions are low-passed rather than aliased.
        stored_w, stored_h = (height, width) if turns % 2 else (width, height)
        rgb = reformatter.reformat(frame, width=stored_w, height=stored_h, format="rgb24").to_ndarray()
        return np.ascontiguousarray(np.rot90(rgb, turns)) if turns else rgb

    return to_rgb


class PictureClock:
    """Turns the decoder's timestamps into strictly increasing times, noting every repair."""

    def __init__(self, nominal_fps: float | None) -> None:
        self.period_s = 1.0 / (nominal_fps or FALLBACK_FPS)
        self.previous_s: float | None = None
        self.missing = 0
        self.out_of_order = 0
        self.count = 0

    def time_of(self, picture: DecodedPicture) -> float:
        time_s = picture.time_s
        if time_s is None:
            self.missing += 1
            time_s = 0.0 if self.previous_s is None else self.previous_s + self.period_s
        elif self.previous_s is not None and time_s <= self.previous_s:
            self.out_of_order += 1
            time_s = self.previous_s + self.period_s
        self.previous_s = time_s
        self.count += 1
        return time_s

    def source_label(self) -> str:
        if self.missing == 0:
            return "pts"
        return "frame_index" if self.missing == self.count else "mixed"

    def warnings(self, nominal_fps: float | None) -> list[str]:
        notes = []
        rate = f"{nominal_fps:g} fps" if nominal_fps else f"an assumed {FALLBACK_FPS:g} fps"
        if self.missing:
            notes.append(
                f"{self.missing} of {self.count} frames had no timestamp; they were placed one frame "
                f"period after the previous one at {rate}"
            )
        if self.out_of_order:
            notes.append(
                f"{self.out_of_order} frames had timestamps not after the previous frame; they were "
                f"placed one frame period later at {rate}"
            )
        return notes


# --- WebP through Pillow ------------------------------------------------------------------------

# Pillow < 9.1 has no Image.Resampling; the plain constant exists in every version.
_BILINEAR = 2


@contextlib.contextmanager
def _open_webp(file_path: Path) -> Iterator[PictureSource]:
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(file_path)
        check_picture_size(image.width, image.height, f"{file_path.name}: its picture")  # before decoding it
        image.load()
    except Image.DecompressionBombError as exc:
        raise BadInputError(f"cannot decode {file_path.name}: {exc}") from exc
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise BadInputError(f"cannot decode {file_path.name}: {exc} (damaged or unsupported WebP)") from exc
    with image:
        yield _webp_source(image, file_path)


def _webp_source(image, file_path: Path) -> PictureSource:
    num_frames = int(getattr(image, "n_frames", 1))
    durations_s = _webp_frame_durations_s(image, num_frames, file_path)
    total_s = float(sum(durations_s))
    fps = num_frames / total_s if total_s > 0 else None
    return PictureSource(
        backend="pillow",
        codec="webp",
        source_size=(int(image.width), int(image.height)),
        nominal_fps=fps,
        duration_s=total_s if total_s > 0 else None,
        estimated_frames=num_frames,
        origin_s=None,
        seeked=False,
        pictures=_webp_pictures(image, durations_s, file_path),
        warnings=[],
    )


def _webp_frame_durations_s(image, num_frames: int, file_path: Path) -> list[float]:
    durations_s = []
    try:
        for index in range(num_frames):
            image.seek(index)
            image.load()  # Pillow fills info["duration"] only once the frame is loaded
            durations_s.append(float(image.info.get("duration") or 0.0) / 1000.0)
        image.seek(0)
    except (OSError, EOFError, SyntaxError) as exc:
        raise BadInputError(f"cannot decode {file_path.name}: {exc} (damaged WebP)") from exc
    return durations_s


def _webp_pictures(image, durations_s: list[float], file_path: Path) -> Iterator[DecodedPicture]:
    time_s = 0.0
    for index, duration_s in enumerate(durations_s):
        try:
            image.seek(index)
            # A copy: Pillow reuses the image object for the next frame.
            rgb_image = image.convert("RGB")
        except (OSError, EOFError, SyntaxError) as exc:
            raise BadInputError(f"cannot decode frame {index} of {file_path.name}: {exc}") from exc

        def to_rgb(width: int, height: int, rgb_image=rgb_image) -> np.ndarray:
            if (width, height) != rgb_image.size:
                return np.asarray(rgb_image.resize((width, height), _BILINEAR, reducing_gap=2.0))
            return np.asarray(rgb_image)

        # Frames with no stated duration get a 1/100 s slot so timestamps stay strictly increasing.
        yield DecodedPicture(time_s, duration_s if duration_s > 0 else None, to_rgb)
        time_s += duration_s if duration_s > 0 else 0.01
