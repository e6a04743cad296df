"""Spectral front end of the APCC metric: mono mix, resampling, STFT power, mel filterbank.

numpy only (scipy.signal for the polyphase resampler, imported when a resample is needed). The mel
filterbank is the HTK-scale triangular bank without area normalisation, identical to
torchaudio.functional.melscale_fbanks(..., norm=None, mel_scale="htk") (checked in the tests).
"""

from __future__ import annotations

import math

import numpy as np


def hz_to_mel(freq_hz):
    """HTK mel scale: 2595·log10(1 + f/700)."""
    return 2595.0 * np.log10(1.0 + np.asarray(freq_hz, dtype=np.float64) / 700.0)


def mel_to_hz(mel):
    return 700.0 * (10.0 ** (np.asarray(mel, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank(n_freqs: int, sample_rate_hz: int, n_mels: int, f_min_hz: float, f_max_hz: float) -> np.ndarray:
    """Triangular filters on the HTK mel scale, peak 1, no area normalisation. Shape (n_freqs, n_mels).

    Bin frequencies run linearly from 0 to sample_rate_hz // 2 (as torchaudio does).
    """
    all_freqs = np.linspace(0.0, float(sample_rate_hz // 2), n_freqs)
    f_pts = mel_to_hz(np.linspace(hz_to_mel(f_min_hz), hz_to_mel(f_max_hz), n_mels + 2))
    f_diff = np.diff(f_pts)
    slopes = f_pts[None, :] - all_freqs[:, None]
    down = -slopes[:, :-2] / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    return np.maximum(0.0, np.minimum(down, up))


def to_mono(waveform: np.ndarray) -> np.ndarray:
    """(C, T) → (T,) float64 mean over channels."""
    return np.asarray(waveform, dtype=np.float64).mean(axis=0)


def resample(signal: np.ndarray, from_hz: int, to_hz: int) -> np.ndarray:
    """Polyphase resampling (scipy.signal.resample_poly, Kaiser window) of a (T,) signal."""
    if from_hz == to_hz:
        return signal
    from scipy.signal import resample_poly

    g = math.gcd(int(from_hz), int(to_hz))
    return resample_poly(signal, int(to_hz) // g, int(from_hz) // g)


def hann_window(n: int) -> np.ndarray:
    """Periodic Hann window (torch.hann_window's default)."""
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)


def frame_signal(signal: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """Centred frames: frame i covers samples [i·hop − n_fft/2, i·hop + n_fft/2), zero outside the
    signal (zeros, not reflection, so that an onset is never mirrored before it happens).
    Shape (F, n_fft) with F = 1 + T // hop; frame i is centred on time i·hop / fs."""
    pad = n_fft // 2
    padded = np.pad(signal, (pad, pad + n_fft))
    num_frames = 1 + signal.shape[0] // hop
    return np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop][:num_frames]  # a view, no copy


def stft_power(signal: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """|STFT|² with a periodic Hann window on centred frames. Shape (F, n_fft // 2 + 1)."""
    frames = frame_signal(signal, n_fft, hop) * hann_window(n_fft)[None, :]
    spec = np.fft.rfft(frames, axis=1)
    return spec.real**2 + spec.imag**2


LOG_MEL_RATE_HZ = 16000  # PAVAS-tiny's rate: the distance never asks for more bandwidth than it makes
LOG_MEL_N_FFT, LOG_MEL_HOP, LOG_MEL_BANDS = 1024, 256, 64
LOG_MEL_FLOOR_DB = -100.0  # per band, relative to full scale: silence in both is no difference


def log_mel_db(signal: np.ndarray, sample_rate_hz: int) -> np.ndarray:
    """Log-mel power spectrogram (F, 64) in dB of a mono signal, at 16 kHz (resampled when needed)."""
    x = resample(np.asarray(signal, dtype=np.float64), int(sample_rate_hz), LOG_MEL_RATE_HZ)
    power = stft_power(x, LOG_MEL_N_FFT, LOG_MEL_HOP) / (hann_window(LOG_MEL_N_FFT).sum() ** 2 / 4.0)
    mel = power @ mel_filterbank(power.shape[1], LOG_MEL_RATE_HZ, LOG_MEL_BANDS, 0.0, LOG_MEL_RATE_HZ / 2)
    return np.maximum(10.0 * np.log10(np.maximum(mel, 1e-30)), LOG_MEL_FLOOR_DB)


def log_mel_distance_db(reference: np.ndarray, reference_hz: int, generated: np.ndarray, generated_hz: int) -> float:
    """Log-mel spectral distance (dB) of generated to reference sound, both mono and from the same start:
    per frame the RMS over bands of the dB difference, averaged over the reference's frames (the
    generated sound is cut or padded with silence to the reference's length). Levels are absolute:
    a sound 6 dB too quiet everywhere is 6 dB away."""
    ref = log_mel_db(reference, reference_hz)
    gen = log_mel_db(generated, generated_hz)
    if gen.shape[0] < ref.shape[0]:
        gen = np.concatenate([gen, np.full((ref.shape[0] - gen.shape[0], gen.shape[1]), LOG_MEL_FLOOR_DB)])
    gen = gen[: ref.shape[0]]
    return float(np.mean(np.sqrt(np.mean((ref - gen) ** 2, axis=1))))
