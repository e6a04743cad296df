"""Test media for pavas_core.video, generated once per session with PyAV (and Pillow for WebP).

Tests reach the helpers below through the `kit` fixture and the files through `media`.

Every video shows a white 8x8 square on black whose position encodes the frame number
(:func:`square_frame` / :func:`square_index`), so a test can tell exactly which source frame it got
back, after any resize, resampling, seeking or muxing. Sounds are sines with a known frequency
that start at a known time, so pitch, duration and A/V sync can be measured.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

WIDTH, HEIGHT = 64, 48
SQUARE_PX = 8
# Frame i puts the square at column 4 + 2 * (i % 24), row 4 + 12 * (i // 24): up to 72 frames.
_PER_ROW = 24


def square_frame(index: int, width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """(H, W, 3) uint8: black, with a white square whose position encodes `index`."""
    picture = np.zeros((height, width, 3), dtype=np.uint8)
    x = 4 + 2 * (index % _PER_ROW)
    y = 4 + 12 * (index // _PER_ROW)
    picture[y : y + SQUARE_PX, x : x + SQUARE_PX] = 255
    return picture


def square_index(picture: np.ndarray) -> int:
    """The frame number encoded by the square in `picture`, at any decoded size."""
    height, width = picture.shape[:2]
    bright = picture.mean(axis=2) > 128
    rows, cols = np.nonzero(bright)
    assert rows.size, "no square found in the picture"
    # Centroid back in source pixels; the square's top-left is centroid - (SQUARE_PX - 1) / 2.
    x = cols.mean() * WIDTH / width - (SQUARE_PX - 1) / 2
    y = rows.mean() * HEIGHT / height - (SQUARE_PX - 1) / 2
    return int(round((x - 4) / 2)) + _PER_ROW * int(round((y - 4) / 12))


def indices_of(clip) -> list[int]:
    """The source frame number shown in each frame of a clip."""
    return [square_index(picture) for picture in clip.frames]


def tone(sample_rate_hz: int, duration_s: float, frequency_hz: float, *, onset_s: float = 0.0,
         channels: int = 1) -> np.ndarray:
    """(C, T) float32: silence until onset_s, then a 0.5-amplitude sine."""
    t = np.arange(int(round(duration_s * sample_rate_hz))) / sample_rate_hz
    wave = np.where(t >= onset_s, 0.5 * np.sin(2 * np.pi * frequency_hz * (t - onset_s)), 0.0)
    return np.repeat(wave[None, :], channels, axis=0).astype(np.float32)


def dominant_frequency_hz(waveform: np.ndarray, sample_rate_hz: int) -> float:
    """Peak of the magnitude spectrum of the first channel (Hann window)."""
    signal = waveform[0] * np.hanning(waveform.shape[-1])
    spectrum = np.abs(np.fft.rfft(signal, n=8 * signal.size))
    return float(np.argmax(spectrum) * sample_rate_hz / (8 * signal.size))


def onset_time_s(waveform: np.ndarray, sample_rate_hz: int, threshold: float = 0.1) -> float:
    """Time of the first sample whose magnitude exceeds `threshold`."""
    loud = np.nonzero(np.abs(waveform[0]) > threshold)[0]
    assert loud.size, "no sound found"
    return float(loud[0] / sample_rate_hz)


def video_packets(path: Path) -> list[bytes]:
    """The bytes of every packet of the first video stream, in file order."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return [bytes(packet) for packet in container.demux(stream) if packet.size]


def encode_media(
    path: Path,
    *,
    codec: str = "libx264",
    pts: list[int] | None = None,
    num_frames: int = 30,
    time_base: Fraction = Fraction(1, 30),
    rate: int = 30,
    pix_fmt: str = "yuv420p",
    options: dict | None = None,
    audio: tuple[np.ndarray, int, str] | None = None,
    audio_start_s: float = 0.0,
    container_format: str | None = None,
) -> Path:
    """Write a square video (frame k at pts[k] in time_base) and optionally an audio track.

    audio: (waveform (C, T), sample rate, codec). The audio is written first (small), starting
    at audio_start_s, then the pictures.
    """
    pts = list(range(num_frames)) if pts is None else pts
    with av.open(str(path), "w", format=container_format) as container:
        video = container.add_stream(codec, rate=rate, options=options or {})
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, pix_fmt
        video.codec_context.time_base = time_base
        audio_stream = None
        if audio is not None:
            waveform, sample_rate_hz, audio_codec = audio
            layout = {1: "mono", 2: "stereo"}[waveform.shape[0]]
            audio_stream = container.add_stream(audio_codec, rate=sample_rate_hz, layout=layout)
        packets = []
        for index, stamp in enumerate(pts):
            frame = av.VideoFrame.from_ndarray(square_frame(index), format="rgb24")
            frame.pts, frame.time_base = stamp, time_base
            packets += video.encode(frame)
        packets += video.encode(None)
        if audio_stream is not None:
            start = int(round(audio_start_s * sample_rate_hz))
            for offset in range(0, waveform.shape[1], 4096):
                block = np.ascontiguousarray(waveform[:, offset : offset + 4096])
                frame = av.AudioFrame.from_ndarray(block, format="fltp", layout=layout)
                frame.sample_rate, frame.pts = sample_rate_hz, start + offset
                frame.time_base = Fraction(1, sample_rate_hz)
                packets += audio_stream.encode(frame)
            packets += audio_stream.encode(None)
        for packet in sorted(packets, key=lambda p: float((p.dts if p.dts is not None else 0) * p.time_base)):
            container.mux(packet)
    return path


def encode_audio_file(path: Path, waveform: np.ndarray, sample_rate_hz: int, codec: str) -> Path:
    layout = {1: "mono", 2: "stereo"}[waveform.shape[0]]
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=sample_rate_hz, layout=layout)
        for offset in range(0, waveform.shape[1], 4096):
            block = np.ascontiguousarray(waveform[:, offset : offset + 4096])
            frame = av.AudioFrame.from_ndarray(block, format="fltp", layout=layout)
            frame.sample_rate, frame.pts = sample_rate_hz, offset
            frame.time_base = Fraction(1, sample_rate_hz)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


# Presentation times (ms) of the variable-frame-rate clip: irregular gaps from 10 to 190 ms.
VFR_PTS_MS = [0, 40, 70, 150, 160, 300, 310, 500, 520, 600]
# WebP frame durations (ms): also irregular.
WEBP_DURATIONS_MS = [50, 100, 50, 200, 100, 50, 150, 100]
# The late-starting clip: pictures from 0.7 s (30 fps), audio from 0 s with a tone onset at 1.0 s.
LATE_START_S = 0.7
TONE_HZ = 440.0
SYNC_ONSET_S = 0.5


@dataclass
class Media:
    folder: Path
    mp4_with_audio: Path  # 30 frames @ 30 fps + AAC mono 44.1 kHz, tone onset at SYNC_ONSET_S
    webm_with_audio: Path  # VP9, 20 frames @ 20 fps + Opus 48 kHz stereo
    mov: Path  # H.264, 30 frames @ 30 fps, no audio
    long_gop_mp4: Path  # H.264, 72 frames @ 24 fps, a key frame every 12, AAC tone onset at 2.0 s
    gif: Path  # 20 frames @ 20 fps (5 cs delays)
    webp: Path  # 8 frames, durations WEBP_DURATIONS_MS (lossless)
    vfr_mp4: Path  # H.264 frames at VFR_PTS_MS
    late_start_mkv: Path  # pictures from LATE_START_S, audio from 0 with onset at 1.0 s
    raw_h264: Path  # Annex-B stream: no timestamps at all
    one_frame_mp4: Path
    zero_frame_avi: Path  # a video stream with no pictures
    zero_frame_mkv: Path  # a Matroska header with no clusters: FFmpeg reports end of file at open
    audio_only_m4a: Path  # AAC tone, no video
    empty: Path
    corrupt: Path  # random bytes
    truncated_mp4: Path  # the first 300 bytes of an mp4


@pytest.fixture(scope="session")
def media(tmp_path_factory) -> Media:
    folder = tmp_path_factory.mktemp("video_media")
    sine_44k = tone(44100, 1.0, TONE_HZ, onset_s=SYNC_ONSET_S)
    mp4_with_audio = encode_media(folder / "square_aac.mp4", audio=(sine_44k, 44100, "aac"))
    webm_with_audio = encode_media(
        folder / "square_opus.webm", codec="libvpx-vp9", num_frames=20, rate=20, time_base=Fraction(1, 20),
        options={"deadline": "realtime", "cpu-used": "8", "crf": "30", "b": "0"},
        audio=(tone(48000, 1.0, TONE_HZ, onset_s=SYNC_ONSET_S, channels=2), 48000, "libopus"),
    )
    mov = encode_media(folder / "square.mov")
    long_gop_mp4 = encode_media(
        folder / "long_gop.mp4", num_frames=72, rate=24, time_base=Fraction(1, 24),
        options={"g": "12", "keyint_min": "12", "sc_threshold": "0"},
        audio=(tone(44100, 3.0, TONE_HZ, onset_s=2.0), 44100, "aac"),
    )
    gif = encode_media(
        folder / "square.gif", codec="gif", num_frames=20, rate=20, pix_fmt="rgb8",
        pts=[5 * k for k in range(20)], time_base=Fraction(1, 100),
    )
    webp = _write_webp(folder / "square.webp")
    vfr_mp4 = encode_media(folder / "vfr.mp4", pts=VFR_PTS_MS, time_base=Fraction(1, 1000))
    late_pts = [int(LATE_START_S * 1000) + round(1000 * k / 30) for k in range(30)]
    late_start_mkv = encode_media(
        folder / "late_start.mkv", pts=late_pts, time_base=Fraction(1, 1000),
        audio=(tone(48000, 2.0, TONE_HZ, onset_s=1.0), 48000, "aac"),
    )
    raw_h264 = encode_media(folder / "raw.h264", num_frames=10, container_format="h264")
    one_frame_mp4 = encode_media(folder / "one_frame.mp4", num_frames=1)
    zero_frame_avi = _write_zero_frame_video(folder / "zero_frames.avi")
    zero_frame_mkv = _write_zero_frame_video(folder / "zero_frames.mkv")
    audio_only_m4a = encode_audio_file(folder / "tone.m4a", tone(44100, 1.0, TONE_HZ), 44100, "aac")
    empty = folder / "empty.mp4"
    empty.write_bytes(b"")
    corrupt = folder / "corrupt.mp4"
    corrupt.write_bytes(np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    truncated_mp4 = folder / "truncated.mp4"
    truncated_mp4.write_bytes(mp4_with_audio.read_bytes()[:300])
    return Media(
        folder=folder, mp4_with_audio=mp4_with_audio, webm_with_audio=webm_with_audio, mov=mov,
        long_gop_mp4=long_gop_mp4, gif=gif, webp=webp, vfr_mp4=vfr_mp4, late_start_mkv=late_start_mkv,
        raw_h264=raw_h264, one_frame_mp4=one_frame_mp4, zero_frame_avi=zero_frame_avi,
        zero_frame_mkv=zero_frame_mkv, audio_only_m4a=audio_only_m4a, empty=empty, corrupt=corrupt,
        truncated_mp4=truncated_mp4,
    )


def _write_webp(path: Path) -> Path:
    from PIL import Image

    images = [Image.fromarray(square_frame(k)) for k in range(len(WEBP_DURATIONS_MS))]
    images[0].save(path, save_all=True, append_images=images[1:], duration=WEBP_DURATIONS_MS,
                   lossless=True, loop=0)
    return path


def _write_zero_frame_video(path: Path) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        container.start_encoding()
    return path


@pytest.fixture(scope="session")
def kit():
    """This module: the helpers and constants above, for tests (importlib mode cannot import it)."""
    return sys.modules[__name__]
