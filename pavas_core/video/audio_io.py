"""Audio in and out: decode any audio stream PyAV reads to (C, T) float32, write WAV files.

Decoded audio keeps its true sample rate and channel count; whatever the stream's sample format
(s16, s32, flt, fltp, dbl, planar or packed), it is converted to planar float32 by an
``av.AudioResampler`` (which passes frames through untouched when they already are).
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from ..errors import BadInputError
from ..fileio import atomic_output
from ..limits import MAX_DECODED_AUDIO_SAMPLES, MAX_DURATION_S, check_sample_rate_hz
from .clip import AudioTrack
from .media_input import (
    av_errors_as_bad_input,
    av_open,
    check_input_path,
    open_input,
    seek_to_key_frame,
)

# FFmpeg's default layout for each channel count that encoders accept.
CHANNEL_LAYOUTS = {1: "mono", 2: "stereo", 3: "2.1", 4: "4.0", 5: "5.0", 6: "5.1", 7: "6.1", 8: "7.1"}
# Samples written per WAV frame (the size only bounds temporary memory).
_WAV_CHUNK_SAMPLES = 1 << 16


def channel_layout_name(num_channels: int) -> str:
    """FFmpeg layout name for a channel count ("mono", "stereo", "5.1", ...)."""
    try:
        return CHANNEL_LAYOUTS[num_channels]
    except KeyError:
        raise BadInputError(
            f"audio with {num_channels} channels is not supported (1 to {max(CHANNEL_LAYOUTS)}); "
            "mix it down first"
        ) from None


def validate_audio_track(audio: AudioTrack) -> AudioTrack:
    """Check an AudioTrack before encoding; return it as contiguous (C, T) float32.

    A 1-D waveform is taken as mono. Raises BadInputError for a bad rate, shape or NaN/inf values.
    """
    if not isinstance(audio, AudioTrack):
        raise BadInputError(f"expected an AudioTrack, got {type(audio).__name__}")
    rate = audio.sample_rate_hz
    if isinstance(rate, bool) or not isinstance(rate, (int, np.integer)) or rate <= 0:
        raise BadInputError(f"audio sample rate must be a positive integer in Hz, got {rate!r}")
    check_sample_rate_hz(rate, "audio sample rate")
    waveform = np.asarray(audio.waveform)
    if waveform.ndim == 1:
        waveform = waveform[None, :]
    if waveform.ndim != 2:
        raise BadInputError(f"audio waveform must have shape (channels, samples), got {waveform.shape}")
    if waveform.dtype.kind != "f":
        raise BadInputError(
            f"audio waveform must be floating point in [-1, 1], got {waveform.dtype}; "
            "divide integer PCM by its full scale (e.g. 32768) first"
        )
    channel_layout_name(waveform.shape[0])  # raises for unsupported channel counts
    waveform = np.ascontiguousarray(waveform, dtype=np.float32)
    if not np.all(np.isfinite(waveform)):
        raise BadInputError("audio waveform contains NaN or infinite values; fix the audio before writing it")
    return AudioTrack(waveform=waveform, sample_rate_hz=int(rate))


def fit_audio_to_duration(audio: AudioTrack, duration_s: float) -> AudioTrack:
    """Trim the audio, or pad it with silence at the end, to exactly round(duration_s × rate) samples."""
    target = max(0, int(round(duration_s * audio.sample_rate_hz)))
    waveform = audio.waveform
    if waveform.shape[-1] >= target:
        waveform = waveform[..., :target]
    else:
        padding = np.zeros(waveform.shape[:-1] + (target - waveform.shape[-1],), dtype=waveform.dtype)
        waveform = np.concatenate([waveform, padding], axis=-1)
    return AudioTrack(waveform=np.ascontiguousarray(waveform), sample_rate_hz=audio.sample_rate_hz)


def read_audio(path: str | os.PathLike) -> AudioTrack:
    """Decode the first audio stream of any file PyAV reads (wav, flac, mp3, m4a, opus, a video...).

    Returns (C, T) float32 at the stream's own sample rate, starting at its first sample.
    """
    file_path = check_input_path(path)
    with open_input(file_path, action="read audio from") as container:
        if not container.streams.audio:
            raise BadInputError(f"{file_path.name} has no audio stream")
    audio = decode_audio(file_path)
    if audio is None:
        raise BadInputError(f"{file_path.name}: its audio stream holds no decodable samples")
    return audio


def decode_audio(
    file_path: Path, *, origin_s: float | None = None, start_s: float = 0.0, end_s: float | None = None
) -> AudioTrack | None:
    """The first audio stream of a file as an AudioTrack covering [start_s, end_s) of a timeline.

    origin_s: file time that the timeline's 0 stands for (a video's first frame), or None to start
        the timeline at the first audio sample. Audio that starts after the window start is
        preceded by silence and audio before it is cut, so the result stays in sync with the
        pictures. Frames are laid end to end (following per-frame timestamps would open gaps
        where a muxer rounded them to milliseconds).
    Returns None when the file has no audio stream or the stream has no samples in the window.
    """
    with open_input(file_path, action="read audio from") as container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        can_seek = stream.start_time is not None and origin_s is not None and stream.time_base
        if start_s > 0 and can_seek and seek_to_key_frame(container, stream, origin_s + start_s):
            return _decode_audio_stream(container, stream, file_path, origin_s, start_s, end_s)
    # From the beginning (a failed seek can leave the demuxer anywhere, so reopen).
    with open_input(file_path, action="read audio from") as container:
        return _decode_audio_stream(container, container.streams.audio[0], file_path, origin_s, start_s, end_s)


def _decode_audio_stream(container, stream, file_path: Path, origin_s, start_s, end_s) -> AudioTrack | None:
    claimed_rate = stream.codec_context.sample_rate or stream.rate
    if claimed_rate:
        check_sample_rate_hz(claimed_rate, f"{file_path.name}: its audio stream's sample rate")
    resampler = av.AudioResampler(format="fltp")
    chunks: list[np.ndarray] = []
    collected = 0
    offset_s: float | None = None  # timeline time of the first decoded sample
    sample_rate_hz: int | None = None
    with av_errors_as_bad_input(file_path, "decode audio from"):
        for frame in container.decode(stream):
            if offset_s is None:
                has_time = frame.pts is not None and frame.time is not None
                offset_s = float(frame.time) - origin_s if has_time and origin_s is not None else 0.0
            for converted in resampler.resample(frame):
                sample_rate_hz = check_sample_rate_hz(converted.sample_rate, f"{file_path.name}: its audio")
                chunks.append(converted.to_ndarray())
                collected += converted.samples
            if sample_rate_hz and collected > MAX_DURATION_S * sample_rate_hz:
                raise BadInputError(
                    f"the sound of {file_path.name} is longer than the {MAX_DURATION_S:g} s limit; cut it first"
                )
            if chunks and collected * chunks[-1].shape[0] > MAX_DECODED_AUDIO_SAMPLES:
                raise BadInputError(
                    f"the sound of {file_path.name} decodes to more than {MAX_DECODED_AUDIO_SAMPLES} samples "
                    "(the limit for one file); cut it, or use fewer channels or a lower sample rate"
                )
            if end_s is not None and sample_rate_hz and offset_s + collected / sample_rate_hz >= end_s:
                break
        for converted in resampler.resample(None):
            sample_rate_hz = converted.sample_rate
            chunks.append(converted.to_ndarray())
    if not chunks or sample_rate_hz is None or offset_s is None:
        return None
    waveform = np.concatenate(chunks, axis=1).astype(np.float32, copy=False)

    # Place the decoded samples on the timeline and cut the window. Silence before the first sample
    # is never longer than the window (a stream stamped hours late must not allocate hours).
    first_index = int(round((offset_s - start_s) * sample_rate_hz))
    if end_s is not None:
        first_index = min(first_index, max(0, int(round((end_s - start_s) * sample_rate_hz))))
    elif first_index > MAX_DURATION_S * sample_rate_hz:
        raise BadInputError(f"the sound of {file_path.name} starts after the {MAX_DURATION_S:g} s limit")
    if first_index > 0:
        waveform = np.concatenate([np.zeros((waveform.shape[0], first_index), np.float32), waveform], axis=1)
    elif first_index < 0:
        waveform = waveform[:, -first_index:]
    if end_s is not None:
        waveform = waveform[:, : max(0, int(round((end_s - start_s) * sample_rate_hz)))]
    if waveform.shape[1] == 0:
        return None
    return AudioTrack(waveform=np.ascontiguousarray(waveform), sample_rate_hz=int(sample_rate_hz))


def write_wav(path: str | os.PathLike, audio: AudioTrack, *, bit_depth: int = 16) -> None:
    """Write a WAV file: 16-bit PCM (samples outside [-1, 1] are clipped) or 32-bit float.

    The file appears whole or not at all.
    """
    if bit_depth not in (16, 32):
        raise BadInputError(f"bit_depth must be 16 (PCM) or 32 (float), got {bit_depth!r}")
    track = validate_audio_track(audio)
    num_channels = track.waveform.shape[0]
    layout = channel_layout_name(num_channels)
    codec, sample_format = ("pcm_s16le", "s16") if bit_depth == 16 else ("pcm_f32le", "flt")
    samples = track.waveform.T  # (T, C) view: WAV stores samples interleaved; converted block by block
    with atomic_output(path) as tmp_path:
        with av_errors_as_bad_input(Path(path), "write", reading=False):
            with av_open(tmp_path, mode="w", format="wav") as container:
                stream = container.add_stream(codec, rate=track.sample_rate_hz, layout=layout)
                time_base = Fraction(1, track.sample_rate_hz)
                for start in range(0, samples.shape[0], _WAV_CHUNK_SAMPLES):
                    block = np.ascontiguousarray(samples[start : start + _WAV_CHUNK_SAMPLES])
                    if bit_depth == 16:
                        # Full scale is 32768 as in FFmpeg's s16 <-> float conversion, so reading back
                        # is exact to half a step; +1.0 itself becomes 32767.
                        block = np.clip(np.round(block * 32768.0), -32768, 32767).astype(np.int16)
                    frame = av.AudioFrame.from_ndarray(block.reshape(1, -1), format=sample_format, layout=layout)
                    frame.sample_rate = track.sample_rate_hz
                    frame.pts = start
                    frame.time_base = time_base
                    for packet in stream.encode(frame):
                        container.mux(packet)
                for packet in stream.encode(None):
                    container.mux(packet)
