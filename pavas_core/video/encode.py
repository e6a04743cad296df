"""Encoding pictures and audio into video files (H.264/AAC in MP4, VP9/Opus in WebM).

Holds what the writers share: which codecs go in which container, a picture encoder that takes
RGB arrays, an audio encoder that takes an AudioTrack, and :func:`write_video`.
"""

from __future__ import annotations

import math
import os
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from ..errors import BadInputError
from ..fileio import atomic_output
from .audio_io import channel_layout_name, validate_audio_track
from .clip import AudioTrack, frames_to_uint8
from .media_input import av_errors_as_bad_input, av_open

# Samples per audio frame handed to the encoder (PyAV re-chunks to the codec's frame size).
_AUDIO_CHUNK_SAMPLES = 4096
# Bit rate per channel: transparent for Foley at AAC-LC / Opus.
_AUDIO_BIT_RATE_PER_CHANNEL = {"aac": 96_000, "libopus": 64_000}


@dataclass(frozen=True)
class OutputFormat:
    """A container we write, and the codecs that go in it."""

    container: str  # FFmpeg muxer name
    audio_codec: str
    video_codec: str  # used when pictures must be (re-)encoded
    options: tuple[tuple[str, str], ...] = ()

    @property
    def container_options(self) -> dict[str, str]:
        return dict(self.options)


# movflags=faststart puts the index first so browsers (and ComfyUI previews) start playing at once.
_FAST_START = (("movflags", "faststart"),)
OUTPUT_FORMATS = {
    ".mp4": OutputFormat("mp4", "aac", "libx264", _FAST_START),
    ".m4v": OutputFormat("mp4", "aac", "libx264", _FAST_START),
    ".mov": OutputFormat("mov", "aac", "libx264", _FAST_START),
    ".mkv": OutputFormat("matroska", "aac", "libx264"),
    ".webm": OutputFormat("webm", "libopus", "libvpx-vp9"),
}


def output_format_for(path: str | os.PathLike, *, allowed: Iterable[str] | None = None) -> OutputFormat:
    """The OutputFormat for a file name's extension, or a BadInputError listing the choices."""
    suffix = Path(path).suffix.lower()
    choices = list(OUTPUT_FORMATS) if allowed is None else list(allowed)
    if suffix not in choices:
        raise BadInputError(
            f"cannot write {Path(path).name}: unsupported output type {suffix or '(no extension)'}; "
            f"use one of {', '.join(choices)}"
        )
    return OUTPUT_FORMATS[suffix]


def fraction_rate(fps: float) -> Fraction:
    """A frame rate as the small fraction encoders expect (29.97002997 → 30000/1001)."""
    return Fraction(fps).limit_denominator(1001)


def pad_to_even(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) → (H', W', 3) with H', W' even, repeating the last row/column when needed.

    4:2:0 chroma needs even sizes; one repeated edge line is invisible, unlike a crop.
    """
    pad_rows, pad_cols = rgb.shape[0] % 2, rgb.shape[1] % 2
    if not (pad_rows or pad_cols):
        return rgb
    return np.pad(rgb, ((0, pad_rows), (0, pad_cols), (0, 0)), mode="edge")


def even_size(width: int, height: int) -> tuple[int, int]:
    return width + width % 2, height + height % 2


def video_encoder_options(codec: str, *, crf: int) -> dict[str, str]:
    """Quality-first settings for x264, speed-first for libvpx-vp9 (which is slow otherwise)."""
    if codec == "libx264":
        # mbtree off: x264's macroblock-tree rate control gives different bits from run to run on some
        # processors (seen with its AVX-512 code on AMD EPYC), so the same frames made different videos
        # and datasets of one seed differed. Without it the output is reproducible (it costs bit rate:
        # about 40 % larger files of our synthetic scenes at the same crf).
        return {"crf": str(crf), "preset": "fast", "x264-params": "mbtree=0"}
    if codec == "libvpx-vp9":
        return {"crf": str(crf), "b": "0", "deadline": "realtime", "cpu-used": "8", "row-mt": "1"}
    return {}


class PictureEncoder:
    """Encodes (H, W, 3) uint8 RGB pictures into a new yuv420p video stream of `container`.

    Pictures of odd size are padded to even (see :func:`pad_to_even`). `time_base` is the unit of
    the pts passed to :meth:`encode`.
    """

    def __init__(
        self, container, *, codec: str, size: tuple[int, int], rate: Fraction, time_base: Fraction, crf: int
    ) -> None:
        if codec not in av.codecs_available:
            raise BadInputError(f"this PyAV build has no {codec} encoder; install a full PyAV wheel")
        self.stream = container.add_stream(codec, rate=rate, options=video_encoder_options(codec, crf=crf))
        self.stream.width, self.stream.height = even_size(*size)
        self.stream.pix_fmt = "yuv420p"
        self.stream.codec_context.time_base = time_base
        self.stream.time_base = time_base
        self.time_base = time_base

    def encode(self, rgb: np.ndarray, pts: int) -> list[av.Packet]:
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(pad_to_even(rgb)), format="rgb24")
        frame.pts = pts
        frame.time_base = self.time_base
        return self.stream.encode(frame)

    def flush(self) -> list[av.Packet]:
        return self.stream.encode(None)


def _encoder_sample_rate(codec: str, sample_rate_hz: int) -> int:
    """The track's rate if the encoder takes it, else the nearest rate above it that it takes."""
    supported = av.codec.Codec(codec, "w").audio_rates
    if not supported or sample_rate_hz in supported:
        return sample_rate_hz
    higher = [rate for rate in supported if rate >= sample_rate_hz]
    return min(higher) if higher else max(supported)


class AudioEncoder:
    """Adds an audio stream for an AudioTrack; PyAV converts sample format and rate as needed."""

    def __init__(self, container, *, codec: str, audio: AudioTrack, layout: str | None = None) -> None:
        """layout: an FFmpeg layout name with as many channels as the track (e.g. "5.1(side)", to keep
        a source's own), else the default layout for the channel count."""
        if codec not in av.codecs_available:
            raise BadInputError(f"this PyAV build has no {codec} encoder; install a full PyAV wheel")
        self.track = validate_audio_track(audio)
        channels = self.track.waveform.shape[0]
        self.layout = channel_layout_name(channels)
        if layout is not None and av.AudioLayout(layout).nb_channels == channels:
            self.layout = layout
        self.sample_rate_hz = _encoder_sample_rate(codec, self.track.sample_rate_hz)
        self.stream = container.add_stream(codec, rate=self.sample_rate_hz, layout=self.layout)
        bit_rate = _AUDIO_BIT_RATE_PER_CHANNEL.get(codec)
        if bit_rate:
            self.stream.codec_context.bit_rate = bit_rate * channels

    def encode_all(self, track: AudioTrack | None = None) -> list[av.Packet]:
        """Encode the whole track (or `track`, e.g. a trimmed copy of it), starting at time 0."""
        track = self.track if track is None else track
        time_base = Fraction(1, track.sample_rate_hz)
        packets: list[av.Packet] = []
        waveform = track.waveform
        for start in range(0, waveform.shape[1], _AUDIO_CHUNK_SAMPLES):
            block = np.ascontiguousarray(waveform[:, start : start + _AUDIO_CHUNK_SAMPLES])
            frame = av.AudioFrame.from_ndarray(block, format="fltp", layout=self.layout)
            frame.sample_rate = track.sample_rate_hz
            frame.pts = start
            frame.time_base = time_base
            packets.extend(self.stream.encode(frame))
        packets.extend(self.stream.encode(None))
        return packets


def packet_time_s(packet: av.Packet) -> float:
    """Decode time of a packet in seconds (presentation time when it has no decode time)."""
    stamp = packet.dts if packet.dts is not None else packet.pts
    return float(stamp * packet.time_base) if stamp is not None and packet.time_base else 0.0


class AudioInterleaver:
    """Muxes queued audio packets in time order with the video packets as those are written."""

    def __init__(self, container, packets: list[av.Packet]) -> None:
        self.container = container
        self.pending = deque(sorted(packets, key=packet_time_s))

    def mux_until(self, time_s: float) -> None:
        while self.pending and packet_time_s(self.pending[0]) <= time_s:
            self.container.mux(self.pending.popleft())

    def mux_rest(self) -> None:
        self.mux_until(math.inf)


def write_video(
    path: str | os.PathLike, frames: np.ndarray, fps: float, *, audio: AudioTrack | None = None, crf: int = 20
) -> None:
    """Write frames as an H.264 (yuv420p) video at a constant fps, with AAC audio when given.

    frames: (T, H, W, 3) uint8 RGB (float in [0, 1] is converted). Odd sizes are padded by one
    pixel to even. The output type comes from the extension (.mp4, .m4v, .mov, .mkv). The audio is
    written as given (not trimmed to the pictures). The file appears whole or not at all.
    """
    out_format = output_format_for(path, allowed=(".mp4", ".m4v", ".mov", ".mkv"))
    if isinstance(fps, bool) or not isinstance(fps, (int, float, np.floating, np.integer)) or not (
        math.isfinite(fps) and fps > 0
    ):
        raise BadInputError(f"fps must be a positive number, got {fps!r}")
    if isinstance(crf, bool) or not isinstance(crf, (int, np.integer)) or not 0 <= crf <= 51:
        raise BadInputError(f"crf must be a whole number from 0 (lossless) to 51, got {crf!r}")
    pictures = frames_to_uint8(frames)
    if audio is not None:
        audio = validate_audio_track(audio)
    rate = fraction_rate(float(fps))
    time_base = 1 / rate
    height, width = pictures.shape[1:3]
    with atomic_output(path) as tmp_path:
        with av_errors_as_bad_input(Path(path), "write", reading=False):
            with av_open(tmp_path, mode="w", format=out_format.container,
                         container_options=out_format.container_options) as container:
                encoder = PictureEncoder(
                    container, codec=out_format.video_codec, size=(width, height), rate=rate,
                    time_base=time_base, crf=int(crf),
                )
                interleaver = None
                if audio is not None:
                    audio_encoder = AudioEncoder(container, codec=out_format.audio_codec, audio=audio)
                    interleaver = AudioInterleaver(container, audio_encoder.encode_all())
                for index, picture in enumerate(pictures):
                    for packet in encoder.encode(picture, index):
                        _mux_video_packet(container, interleaver, packet)
                for packet in encoder.flush():
                    _mux_video_packet(container, interleaver, packet)
                if interleaver is not None:
                    interleaver.mux_rest()


def _mux_video_packet(container, interleaver: AudioInterleaver | None, packet: av.Packet) -> None:
    if interleaver is not None:
        interleaver.mux_until(packet_time_s(packet))
    container.mux(packet)
