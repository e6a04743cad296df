"""Layering sounds: bring several waveforms to one sample rate, channel count and length, then sum.

Used to put the weight-free physics Foley under a generated soundtrack. Everything the mix had to
change (resampling, up-mixing, padding, limiting) is reported in `MixResult.notes`, never silently.
numpy/scipy only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from .errors import BadInputError
from .limits import check_sample_rate_hz

LENGTH_MODES = ("longest", "first")
# Peak the limiter brings an over-full mix down to (just under full scale).
LIMIT_PEAK = 0.99


@dataclass(frozen=True)
class MixLayer:
    """One input of the mix. waveform: (B, C, T) float32; gain_db applied before summing."""

    waveform: np.ndarray
    sample_rate_hz: int
    gain_db: float = 0.0


@dataclass
class MixResult:
    waveform: np.ndarray  # (B, C, T) float32
    sample_rate_hz: int
    notes: list[str] = field(default_factory=list)


def resample_waveform(waveform: np.ndarray, from_hz: int, to_hz: int) -> np.ndarray:
    """Polyphase resampling along the last axis (exact rational ratio, anti-aliased)."""
    if from_hz == to_hz:
        return waveform.astype(np.float32, copy=False)
    from scipy.signal import resample_poly

    g = math.gcd(int(from_hz), int(to_hz))
    out = resample_poly(waveform.astype(np.float64), int(to_hz) // g, int(from_hz) // g, axis=-1)
    return out.astype(np.float32)


def mix_layers(
    layers: Sequence[MixLayer],
    *,
    sample_rate_hz: int | None = None,
    length: str = "longest",
    prevent_clipping: bool = True,
) -> MixResult:
    """Sum `layers` after resampling to `sample_rate_hz` (default: the highest input rate).

    Batches broadcast (a batch of 1 is repeated to the others' size); mono is repeated to the
    other layers' channel count. `length`: "longest" pads shorter layers with silence, "first"
    cuts or pads every layer to the first layer's duration. With `prevent_clipping`, a mix whose
    peak exceeds full scale is scaled down as a whole to a peak of 0.99.
    """
    if not layers:
        raise BadInputError("nothing to mix: give at least one audio input")
    if length not in LENGTH_MODES:
        raise BadInputError(f"length must be one of {LENGTH_MODES}, got {length!r}")
    notes: list[str] = []
    for i, layer in enumerate(layers):
        if layer.waveform.ndim != 3:
            raise BadInputError(f"mix input {i + 1}: waveform must be (batch, channels, samples)")
        if not math.isfinite(layer.gain_db):
            raise BadInputError(f"mix input {i + 1}: gain must be a finite number of dB, got {layer.gain_db}")
    for i, layer in enumerate(layers):
        check_sample_rate_hz(layer.sample_rate_hz, f"mix input {i + 1}: sample rate")
    rate = int(sample_rate_hz) if sample_rate_hz else max(int(layer.sample_rate_hz) for layer in layers)
    check_sample_rate_hz(rate, "the mix's sample rate")

    waves = []
    for i, layer in enumerate(layers):
        wave = layer.waveform
        if layer.sample_rate_hz != rate:
            notes.append(f"input {i + 1} resampled from {layer.sample_rate_hz} Hz to {rate} Hz")
            wave = resample_waveform(wave, layer.sample_rate_hz, rate)
        waves.append(wave.astype(np.float32, copy=False) * np.float32(10.0 ** (layer.gain_db / 20.0)))

    batch = max(w.shape[0] for w in waves)
    channels = max(w.shape[1] for w in waves)
    for i, wave in enumerate(waves):
        if wave.shape[0] not in (1, batch):
            raise BadInputError(f"mix input {i + 1} has a batch of {wave.shape[0]}; the others have {batch}")
        if wave.shape[1] not in (1, channels):
            raise BadInputError(f"mix input {i + 1} has {wave.shape[1]} channels; cannot combine with {channels}")
        if wave.shape[1] == 1 and channels > 1:
            notes.append(f"input {i + 1} up-mixed from mono to {channels} channels")

    if length == "first":
        num_samples = waves[0].shape[-1]
    else:
        num_samples = max(w.shape[-1] for w in waves)
    out = np.zeros((batch, channels, num_samples), dtype=np.float32)
    for i, wave in enumerate(waves):
        n = min(wave.shape[-1], num_samples)
        if wave.shape[-1] < num_samples:
            notes.append(f"input {i + 1} padded with {(num_samples - wave.shape[-1]) / rate:.3f} s of silence")
        elif wave.shape[-1] > num_samples:
            notes.append(f"input {i + 1} cut by {(wave.shape[-1] - num_samples) / rate:.3f} s")
        out[..., :n] += wave[..., :n]  # broadcasting repeats batch 1 / mono

    peak = float(np.max(np.abs(out))) if out.size else 0.0
    if prevent_clipping and peak > 1.0:
        out *= np.float32(LIMIT_PEAK / peak)
        notes.append(f"mix peaked at {20 * math.log10(peak):+.1f} dBFS; scaled down to avoid clipping")
    return MixResult(out, rate, notes)
