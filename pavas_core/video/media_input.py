"""Opening media files: path checks, local-file URLs, and FFmpeg errors turned into one-line messages.

Every reader in this package goes through :func:`open_input` (or :func:`check_input_path` +
:func:`av_errors_as_bad_input`), so a missing, empty, corrupt or unsupported file always ends in a
:class:`~pavas_core.errors.BadInputError` that names the file, never in a raw PyAV exception.

Every path handed to FFmpeg, for reading or writing, goes through :func:`av_open`, which gives it
as a ``file:`` URL of the absolute path: FFmpeg then opens exactly that local file. A bare path is
parsed as a URL by FFmpeg, so a relative name such as ``http:host:80/x.mp4`` would be fetched over
the network, and a plain file called ``take2:final.mp4`` would fail with "Protocol not found".
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator
from pathlib import Path

import av

from ..errors import BadInputError
from ..fileio import check_input_file

# The four bytes at offset 8 of a RIFF file that say "this is WebP".
_WEBP_MAGIC = b"WEBP"


def check_input_path(path: str | os.PathLike) -> Path:
    """Return `path` as a Path after checking it names a readable, non-empty regular file."""
    file_path = check_input_file(path, "media file")
    if file_path.stat().st_size == 0:
        raise BadInputError(f"{file_path.name} is empty (0 bytes); re-export or re-download it")
    return file_path


def local_url(path: str | os.PathLike) -> str:
    """The ``file:`` URL FFmpeg reads or writes `path` through: always that local file, never a
    network protocol, whatever characters (``:``, ``?``, ``#``) the name holds."""
    return "file:" + os.path.abspath(os.fspath(path))


def av_open(path: str | os.PathLike, mode: str = "r", **kwargs):
    """``av.open`` on the local file `path` (see :func:`local_url`); the only way this package opens
    media with FFmpeg."""
    return av.open(local_url(path), mode=mode, **kwargs)


def describe_av_error(exc: BaseException, *, reading: bool = True) -> str:
    """What an FFmpeg error means for the person holding the file, in one phrase."""
    if reading and isinstance(exc, av.error.EOFError):
        return "the file ends before its content does (truncated, or a recording that was never finished)"
    strerror = getattr(exc, "strerror", None)
    reason = str(strerror) if strerror else str(exc)
    if reading:
        return f"{reason} (the file is damaged or not a format FFmpeg can read)"
    return f"{reason} (FFmpeg refused to write it)"


@contextlib.contextmanager
def av_errors_as_bad_input(file_path: Path, action: str, *, reading: bool = True) -> Iterator[None]:
    """Re-raise FFmpeg failures inside the block as BadInputError("cannot <action> <name>: ...")."""
    try:
        yield
    except av.error.FFmpegError as exc:
        raise BadInputError(f"cannot {action} {file_path.name}: {describe_av_error(exc, reading=reading)}") from exc


@contextlib.contextmanager
def open_input(path: str | os.PathLike, *, action: str = "read") -> Iterator[av.container.InputContainer]:
    """Open a media file with PyAV; any FFmpeg error inside the block becomes a BadInputError."""
    file_path = check_input_path(path)
    with av_errors_as_bad_input(file_path, action):
        container = av_open(file_path, mode="r")
        try:
            yield container
        finally:
            container.close()


def first_video_stream(container: av.container.InputContainer, file_path: Path) -> av.video.stream.VideoStream:
    """The first video stream, or a BadInputError that says the file has none."""
    if not container.streams.video:
        kinds = sorted({stream.type for stream in container.streams})
        found = f" (it has only {', '.join(kinds)} streams)" if kinds else ""
        raise BadInputError(f"{file_path.name} has no video stream{found}; pass a video file")
    return container.streams.video[0]


def seek_to_key_frame(container: av.container.InputContainer, stream, time_s: float) -> bool:
    """Seek to the key frame at or before file time `time_s` of `stream`; False if it cannot.

    After a False the demuxer may be anywhere: reopen the file to read from the start.
    """
    target_pts = int(math.floor(time_s / float(stream.time_base)))
    try:
        container.seek(target_pts, stream=stream, backward=True, any_frame=False)
    except av.error.FFmpegError:
        return False
    return True


def is_webp_file(path: str | os.PathLike) -> bool:
    """True when the file is a WebP image (RIFF....WEBP), whatever its extension."""
    with open(path, "rb") as handle:
        header = handle.read(12)
    return len(header) == 12 and header[:4] == b"RIFF" and header[8:12] == _WEBP_MAGIC
