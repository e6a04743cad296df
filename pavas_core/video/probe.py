"""What a video file holds, read from its headers without decoding the pictures."""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..errors import BadInputError
from .media_input import check_input_path, first_video_stream, is_webp_file, open_input
from .pictures import (
    display_rotation_deg,
    estimate_frame_count,
    frame_rate_of,
    open_pictures,
    quarter_turns,
    rotated_size,
    stream_duration_s,
)


@dataclass
class VideoInfo:
    """Header facts about a video file.

    fps: nominal frame rate (average for a variable-rate file). duration_s: of the video stream
    (or the container when the stream does not say). num_frames: the header's frame count, else
    duration × fps — an estimate; decoding gives the exact count. Audio fields are None when
    has_audio is False. width × height is the size a player shows: a stream stored 640×360 with a
    90° rotation flag is 360×640 here (`rotation_deg`: the counter-clockwise turn applied).
    """

    path: str
    container: str
    video_codec: str
    width: int
    height: int
    fps: float | None
    duration_s: float | None
    num_frames: int | None
    has_audio: bool
    audio_codec: str | None
    audio_sample_rate_hz: int | None
    audio_channels: int | None
    rotation_deg: int = 0


def probe_video(path: str | os.PathLike) -> VideoInfo:
    """Read a video file's headers. Raises BadInputError when it is unreadable or has no video."""
    file_path = check_input_path(path)
    if is_webp_file(file_path):
        # FFmpeg cannot decode animated WebP; Pillow reads the frame count and durations.
        with open_pictures(file_path) as source:
            return VideoInfo(
                path=str(file_path), container="webp", video_codec="webp",
                width=source.source_size[0], height=source.source_size[1], fps=source.nominal_fps,
                duration_s=source.duration_s, num_frames=source.estimated_frames,
                has_audio=False, audio_codec=None, audio_sample_rate_hz=None, audio_channels=None,
            )
    with open_input(file_path, action="probe") as container:
        video = first_video_stream(container, file_path)
        if not video.width or not video.height:
            raise BadInputError(f"{file_path.name}: its video stream has no picture size (damaged file?)")
        fps = frame_rate_of(video)
        duration_s = stream_duration_s(container, video)
        audio = container.streams.audio[0] if container.streams.audio else None
        turns = quarter_turns(display_rotation_deg(video, _first_frame(container, video)))
        width, height = rotated_size((int(video.width), int(video.height)), turns * 90)
        return VideoInfo(
            path=str(file_path),
            container=container.format.name,
            video_codec=video.codec_context.name,
            width=width,
            height=height,
            fps=fps,
            duration_s=duration_s,
            num_frames=estimate_frame_count(video, duration_s, fps),
            has_audio=audio is not None,
            audio_codec=None if audio is None else audio.codec_context.name,
            audio_sample_rate_hz=None if audio is None else int(audio.codec_context.sample_rate),
            audio_channels=None if audio is None else int(audio.codec_context.channels),
            rotation_deg=turns * 90,
        )


def _first_frame(container, stream):
    """The first decoded picture (it carries the display matrix), or None when none decodes."""
    import av

    try:
        return next(container.decode(stream), None)
    except av.error.FFmpegError:
        return None
