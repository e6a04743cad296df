"""Measurements made on rendered audio (independent of how the synthesizer computes it)."""

import numpy as np
import pytest


class AudioMeasure:
    @staticmethod
    def onset_db(waveform: np.ndarray, time_s: float, sample_rate_hz: int, window_s: float = 0.02) -> float:
        """Mean-square level (dBFS) of [time_s, time_s + window_s)."""
        start = int(round(time_s * sample_rate_hz))
        x = np.asarray(waveform, dtype=np.float64).reshape(-1)[start : start + int(round(window_s * sample_rate_hz))]
        return float(10.0 * np.log10(np.mean(x * x)))

    @staticmethod
    def peak_db(waveform: np.ndarray, time_s: float, sample_rate_hz: int, window_s: float = 0.02) -> float:
        start = int(round(time_s * sample_rate_hz))
        x = np.asarray(waveform, dtype=np.float64).reshape(-1)[start : start + int(round(window_s * sample_rate_hz))]
        return float(20.0 * np.log10(np.max(np.abs(x))))

    @staticmethod
    def centroid_hz(waveform: np.ndarray, time_s: float, sample_rate_hz: int, window_s: float = 0.03) -> float:
        """Spectral centroid of the Hann-windowed onset [time_s, time_s + window_s)."""
        start = int(round(time_s * sample_rate_hz))
        n = int(round(window_s * sample_rate_hz))
        x = np.asarray(waveform, dtype=np.float64).reshape(-1)[start : start + n] * np.hanning(n)
        power = np.abs(np.fft.rfft(x, 4 * n)) ** 2
        freq = np.fft.rfftfreq(4 * n, 1.0 / sample_rate_hz)
        return float((power * freq).sum() / power.sum())

    @staticmethod
    def t60_s(waveform: np.ndarray, time_s: float, sample_rate_hz: int,
              lo_db: float = -5.0, hi_db: float = -35.0) -> float:
        """Reverberation time from the Schroeder backward-integrated energy decay (fit lo_db..hi_db)."""
        x = np.asarray(waveform, dtype=np.float64).reshape(-1)[int(round(time_s * sample_rate_hz)) :]
        energy = np.cumsum((x * x)[::-1])[::-1]
        edc = 10.0 * np.log10(energy / energy[0] + 1e-300)
        i1, i2 = int(np.argmax(edc < lo_db)), int(np.argmax(edc < hi_db))
        assert i2 > i1 + 2, "decay range not reached within the rendered audio"
        slope = np.polyfit(np.arange(i1, i2) / sample_rate_hz, edc[i1:i2], 1)[0]
        return float(-60.0 / slope)


@pytest.fixture(scope="session")
def measure() -> type[AudioMeasure]:
    return AudioMeasure
