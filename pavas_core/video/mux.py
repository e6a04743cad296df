"""Putting a new sound track on a video: copy the pictures, encode the audio.

The picture stream's packets are copied byte for byte when the output container can hold its codec
(H.264/HEVC/VP9/AV1/... in mp4, mov, mkv; VP8/VP9/AV1 in webm), so muxing is fast and loses
nothing. Pictures are re-encoded (H.264, or VP9 for webm) only when they cannot be copied:
animated GIF/WebP/PNG sources, codecs the container refuses, or streams without timestamps.
Which one happened is logged at INFO level (logger ``pavas_core.video.mux``).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from ..errors import BadInputError
from ..fileio import atomic_output
from .audio_io import decode_audio, fit_audio_to_duration, validate_audio_track
from .clip import AudioTrack
from .encode import (
    AudioEncoder,
    AudioInterleaver,
    OutputFormat,
    PictureEncoder,
    fraction_rate,
    output_format_for,
    packet_time_s,
)
from .media_input import (
    av_errors_as_bad_input,
    av_open,
    check_input_path,
    first_video_stream,
    is_webp_file,
    open_input,
)
from .keep_audio import mix_under_original
from .pictures import FALLBACK_FPS, PictureClock, open_pictures

logger = logging.getLogger(__name__)

# Picture codecs of animated-image formats: players expect real video codecs in mp4/mov/mkv/webm.
_IMAGE_CODECS = frozenset({"gif", "webp", "apng", "png"})
# Time unit of re-encoded pictures: fine enough for any real frame timing (MPEG's 90 kHz clock).
_REENCODE_TIME_BASE = Fraction(1, 90_000)
_REENCODE_CRF = 18


@dataclass
class _VideoPacketSpan:
    """Where the picture stream's packets lie: first presentation time and end, in stream units."""

    first_pts: int
    end_pts: int
    time_base: Fraction
    default_duration: int  # one nominal frame period, for packets that state no duration

    @property
    def duration_s(self) -> float:
        return float((self.end_pts - self.first_pts) * self.time_base)


def mux_audio(
    video_path: str | os.PathLike, audio: AudioTrack, out_path: str | os.PathLike, *, trim_to_video: bool = True,
    keep_original_gain_db: float | None = None,
) -> list[str]:
    """Write `out_path`: the pictures of `video_path` with `audio` as its only sound track.

    With `keep_original_gain_db` (a gain in dB, 0 = as it was) the video's own first sound track is
    kept, at that gain, in its sample rate and channel layout, and `audio` is mixed into it
    (keep_audio.py says where); a video without sound gets `audio` alone, with a note. Returns the
    notes.

    The output type follows out_path's extension: .mp4/.m4v/.mov/.mkv get AAC, .webm gets Opus
    (audio is resampled to a rate the codec takes, e.g. 48 kHz for Opus). With trim_to_video the
    audio is cut or padded with silence to the picture stream's duration. The video starts at
    time 0 in the output and the audio with it. The output appears whole or not at all; an
    existing file at out_path is replaced only on success.
    """
    source_path = check_input_path(video_path)
    track = validate_audio_track(audio)
    out_format = output_format_for(out_path)
    span, codec = _scan_video_packets(source_path)
    notes: list[str] = []
    layout = None
    if keep_original_gain_db is not None:
        track, layout, notes = _with_original_sound(source_path, track, span, keep_original_gain_db)
    copy = span is not None and codec not in _IMAGE_CODECS and not is_webp_file(source_path)
    with atomic_output(out_path) as tmp_path:
        with av_errors_as_bad_input(Path(out_path), "write", reading=False):
            with av_open(tmp_path, mode="w", format=out_format.container,
                         container_options=out_format.container_options) as output:
                if copy and codec not in output.supported_codecs:
                    copy = False
                if copy:
                    logger.info("muxing %s: copying %s pictures unchanged", Path(out_path).name, codec)
                    _copy_pictures_with_audio(source_path, output, out_format, span, track, trim_to_video, layout)
                else:
                    logger.info("muxing %s: re-encoding %s pictures to %s", Path(out_path).name, codec,
                                out_format.video_codec)
                    _reencode_pictures_with_audio(source_path, output, out_format, track, trim_to_video, layout)
    return notes


def _with_original_sound(source_path: Path, track: AudioTrack, span: "_VideoPacketSpan | None",
                         gain_db: float) -> tuple[AudioTrack, str | None, list[str]]:
    """`track` mixed into the video's own sound (on the pictures' timeline), that sound's layout name,
    and notes; `track` alone (and a note) when the video has no sound."""
    with open_input(source_path, action="read audio from") as container:
        stream = container.streams.audio[0] if container.streams.audio else None
        layout = stream.layout if stream is not None else None
        layout_name = layout.name if layout is not None else None
        names = [c.name for c in layout.channels] if layout is not None else None
    origin_s = float(span.first_pts * span.time_base) if span is not None else None
    original = decode_audio(source_path, origin_s=origin_s) if stream is not None else None
    if original is None:
        return track, None, [f"{source_path.name} has no sound of its own to keep: the Foley alone is in the video"]
    if names is not None and (len(names) != original.waveform.shape[0]
                              or any(not n or n.upper() in ("NONE", "USR", "UNKNOWN") for n in names)):
        # a layout without channel names ("6 channels"): FFmpeg's default one for the count (5.1)
        names, layout_name = None, None
    mixed, notes = mix_under_original(original, track, original_gain_db=gain_db, channel_names=names)
    return mixed, layout_name, notes


def _scan_video_packets(source_path: Path) -> tuple[_VideoPacketSpan | None, str]:
    """First pass over the picture packets (no decoding): their time span, and the codec name.

    The span is None when packets lack timestamps (e.g. a raw .h264 stream) or the file is a WebP
    (which FFmpeg can open but not decode); such pictures are re-encoded.
    """
    if is_webp_file(source_path):
        return None, "webp"
    with open_input(source_path, action="read") as container:
        stream = first_video_stream(container, source_path)
        codec = stream.codec_context.name
        if not stream.time_base:
            return None, codec
        fps = float(stream.average_rate or stream.guessed_rate or FALLBACK_FPS)
        default_duration = max(1, round(1.0 / (fps * float(stream.time_base))))
        first_pts = end_pts = None
        for packet in container.demux(stream):
            if packet.size == 0:
                continue  # the demuxer's end-of-stream marker
            if packet.pts is None:
                return None, codec
            duration = packet.duration if packet.duration else default_duration
            first_pts = packet.pts if first_pts is None else min(first_pts, packet.pts)
            end_pts = packet.pts + duration if end_pts is None else max(end_pts, packet.pts + duration)
        if first_pts is None:
            raise BadInputError(f"{source_path.name} has a video stream but no pictures in it")
        return _VideoPacketSpan(first_pts, end_pts, stream.time_base, default_duration), codec


def _prepared_audio(track: AudioTrack, duration_s: float, trim_to_video: bool) -> AudioTrack:
    return fit_audio_to_duration(track, duration_s) if trim_to_video else track


def _copy_pictures_with_audio(
    source_path: Path, output, out_format: OutputFormat, span: _VideoPacketSpan, track: AudioTrack,
    trim_to_video: bool, layout: str | None = None,
) -> None:
    with open_input(source_path, action="read") as source:
        video_in = first_video_stream(source, source_path)
        video_out = output.add_stream_from_template(video_in)
        # PyAV opens a fresh encoder context for a video template; with the container's
        # global-header flag that encoder rewrites the stream's extradata (x264 Annex-B headers)
        # and the mp4/mkv muxer then mangles the copied AVCC packets. Keeping the source's flags
        # keeps its extradata (PyAV >= 15 does this itself; 14.x does not).
        video_out.codec_context.flags = video_in.codec_context.flags
        audio_encoder = AudioEncoder(output, codec=out_format.audio_codec, audio=track, layout=layout)
        interleaver = AudioInterleaver(
            output, audio_encoder.encode_all(_prepared_audio(audio_encoder.track, span.duration_s, trim_to_video))
        )
        for packet in source.demux(video_in):
            if packet.size == 0:
                continue
            # Shift so the pictures start at 0, like the audio; the bytes stay untouched.
            packet.pts -= span.first_pts
            if packet.dts is not None:
                packet.dts -= span.first_pts
            if not packet.duration:
                # Some demuxers (FFmpeg 7's mp4) give no durations; without one the muxer gives
                # the last frame zero length and players drop it.
                packet.duration = span.default_duration
            interleaver.mux_until(packet_time_s(packet))
            packet.stream = video_out
            output.mux(packet)
        interleaver.mux_rest()


def _reencode_pictures_with_audio(
    source_path: Path, output, out_format: OutputFormat, track: AudioTrack, trim_to_video: bool,
    layout: str | None = None,
) -> None:
    """Decode and re-encode the pictures at their own times, then add the audio after them.

    The duration is known only once all pictures are decoded, so the (small) audio packets follow
    the pictures; players handle this, and faststart keeps the index in front.
    """
    with open_pictures(source_path) as source:
        width, height = source.source_size
        rate = fraction_rate(source.nominal_fps or FALLBACK_FPS)
        encoder = PictureEncoder(
            output, codec=out_format.video_codec, size=(width, height), rate=rate,
            time_base=_REENCODE_TIME_BASE, crf=_REENCODE_CRF,
        )
        audio_encoder = AudioEncoder(output, codec=out_format.audio_codec, audio=track, layout=layout)
        clock = PictureClock(source.nominal_fps)
        first_time_s = last_time_s = previous_time_s = None
        last_duration_s = None
        last_pts = -1
        for picture in source.pictures:
            time_s = clock.time_of(picture)
            if first_time_s is None:
                first_time_s = time_s
            pts = max(last_pts + 1, round((time_s - first_time_s) / _REENCODE_TIME_BASE))
            for packet in encoder.encode(picture.to_rgb(width, height), pts):
                output.mux(packet)
            last_pts = pts
            previous_time_s, last_time_s, last_duration_s = last_time_s, time_s, picture.duration_s
        if first_time_s is None:
            raise BadInputError(f"{source_path.name} has a video stream but no decodable frames")
        for packet in encoder.flush():
            output.mux(packet)
    if last_duration_s:
        last_period_s = last_duration_s
    elif previous_time_s is not None:
        last_period_s = last_time_s - previous_time_s
    else:
        last_period_s = 1.0 / float(rate)
    duration_s = last_time_s - first_time_s + last_period_s
    for packet in audio_encoder.encode_all(_prepared_audio(audio_encoder.track, duration_s, trim_to_video)):
        output.mux(packet)
