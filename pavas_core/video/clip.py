"""The Clip bundle (decoded frames with their real timing, and the audio that came with them),
and the conversion that makes any frame stack Clip-ready (uint8 RGB)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import BadInputError


@dataclass
class AudioTrack:
    """waveform: (C, T) float32 in [-1, 1]; sample_rate_hz: the true rate of that waveform."""

    waveform: np.ndarray
    sample_rate_hz: int

    @property
    def duration_s(self) -> float:
        return self.waveform.shape[-1] / float(self.sample_rate_hz)


@dataclass
class Clip:
    """A decoded video.

    frames: (T, H, W, 3) uint8 RGB.
    timestamps_s: (T,) float64 presentation time of each frame, first frame at 0.
        Variable frame rate is kept as it is; resampling to a fixed fps happens explicitly.
    fps: the nominal frame rate (for a VFR clip: frames / duration).
    duration_s: time covered by the clip (last timestamp + one frame period).
    audio: the first audio stream if there is one.
    source_size: (width, height) of the stored video before any decode-time resize.
    """

    frames: np.ndarray
    timestamps_s: np.ndarray
    fps: float
    duration_s: float
    audio: AudioTrack | None = None
    source_path: str | None = None
    source_size: tuple[int, int] | None = None
    metadata: dict = field(default_factory=dict)

    @property
    def num_frames(self) -> int:
        return int(self.frames.shape[0])

    @property
    def height(self) -> int:
        return int(self.frames.shape[1])

    @property
    def width(self) -> int:
        return int(self.frames.shape[2])


def frames_to_uint8(frames) -> np.ndarray:
    """(T, H, W, 3) uint8 RGB from uint8 frames or float frames in [0, 1] (ComfyUI IMAGE layout).

    Floats are rounded to the nearest level (so uint8 → float → uint8 is lossless) and values
    outside [0, 1] are clipped. A 4th (alpha) channel is dropped. Accepts anything np.asarray
    takes, including CPU torch tensors.
    """
    array = np.asarray(frames)
    if array.ndim != 4 or array.shape[-1] not in (3, 4):
        raise BadInputError(f"frames must have shape (T, H, W, 3), got {array.shape}")
    if array.shape[0] == 0 or array.shape[1] == 0 or array.shape[2] == 0:
        raise BadInputError(f"frames must hold at least one non-empty picture, got shape {array.shape}")
    array = array[..., :3]
    if array.dtype == np.uint8:
        return np.ascontiguousarray(array)
    if array.dtype.kind != "f":
        raise BadInputError(f"frames must be uint8 (0..255) or float (0..1), got dtype {array.dtype}")
    out = np.empty(array.shape, dtype=np.uint8)
    # Frame by frame: a float64 temporary of a whole long clip would be 8x the output.
    for index in range(array.shape[0]):
        picture = array[index].astype(np.float32, copy=False)
        if not np.all(np.isfinite(picture)):
            raise BadInputError(f"frame {index} contains NaN or infinite values")
        out[index] = np.clip(np.rint(picture * 255.0), 0, 255)
    return out
