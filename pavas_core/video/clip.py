"""The Clip bundle: decoded frames with their real timing, and the audio that came with them."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


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
