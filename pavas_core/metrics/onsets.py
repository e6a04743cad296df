"""Onset accuracy and AP, as MMAudio evaluates them (its eval_onsets.py, after CondFoleyGen).

The definition, per clip (facts read from MMAudio's eval_onsets.py and librosa's onset code;
re-implemented in numpy, no librosa):

- audio: mono, resampled to 22 050 Hz, the first 8 s; ground-truth onsets: the impact times
  before 8 s;
- detection: librosa.onset.onset_detect(y, sr=22050, delta=0.3): spectral flux of the dB
  mel spectrogram (n_fft 2048, hop 512, centred frames with zero padding, periodic Hann,
  128 Slaney mel bands 0–11 025 Hz, power_to_db with ref 1, amin 1e-10, top_db 80), mean over
  bands of max(0, S[t] − S[t−1]), shifted by lag + n_fft // (2·hop) = 5 frames; normalised to
  [0, 1]; greedy peak picking with pre_max 1, post_max 1, pre_avg 4, post_avg 5, wait 1 frames
  (30 ms, 0 ms, 100 ms, 100 ms, 30 ms at this hop) and threshold delta = 0.3; onsets in samples
  (frame · 512);
- confidence of an onset: the largest value of the min–max normalised waveform
  (w − min)/(max − min + 1e-6) within ±0.05 s (1102 samples) of it; non-maximum suppression keeps
  the most confident onset and drops the others within 0.05 s;
- matching: each ground-truth onset in time order takes, among the remaining detected onsets
  closer than delta·22050 samples (the same 0.3, now in seconds), the one whose normalised
  waveform value at the onset sample is largest: a hit, scored with its confidence; no candidate:
  a miss scored 0. When no detected onset is left, the remaining ground truth is not scored (kept
  as in MMAudio). Unmatched detections are false positives scored with their confidence;
- accuracy = hits / ground-truth onsets (0 without any); AP = average precision of those labels and
  scores (scikit-learn's average_precision_score: Σ (R_n − R_{n−1}) P_n over the distinct score
  thresholds, from the highest); both averaged over clips.

Deviations, on purpose: a confidence window that starts before the first sample is clipped to it
(MMAudio's slice then comes back empty and its script stops); MMAudio's candidate choice reads
the waveform at ``onsets[idx]`` with ``idx`` counted among the *remaining* onsets (a list that
shrinks as matches are removed) — we read it at the candidate itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .spectral import resample, stft_power, to_mono

SAMPLE_RATE_HZ = 22050
DURATION_S = 8.0
N_FFT = 2048
HOP = 512
N_MELS = 128
TOP_DB = 80.0
AMIN = 1e-10
DELTA = 0.3  # MMAudio's --delta: the peak-picking threshold and, in seconds, the matching window
CONFIDENCE_WINDOW_S = 0.05
NMS_WINDOW_S = 0.05
# librosa's onset_detect peak-picking windows (30 ms, 0 ms + 1, 100 ms, 100 ms + 1, 30 ms) at 22 050 Hz / 512
PRE_MAX, POST_MAX = int(np.ceil(0.03 * SAMPLE_RATE_HZ // HOP)), int(np.ceil(0.00 * SAMPLE_RATE_HZ // HOP + 1))
PRE_AVG, POST_AVG = int(np.ceil(0.10 * SAMPLE_RATE_HZ // HOP)), int(np.ceil(0.10 * SAMPLE_RATE_HZ // HOP + 1))
WAIT = int(np.ceil(0.03 * SAMPLE_RATE_HZ // HOP))


def slaney_mel_filterbank(sample_rate_hz: int, n_fft: int, n_mels: int, f_min_hz: float = 0.0,
                          f_max_hz: float | None = None) -> np.ndarray:
    """librosa.filters.mel(htk=False, norm='slaney'): (n_mels, n_fft // 2 + 1) triangles on the Slaney
    mel scale (linear below 1 kHz, logarithmic above), each scaled to unit area."""
    f_max_hz = sample_rate_hz / 2 if f_max_hz is None else f_max_hz
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0

    def to_mel(f):
        f = np.asarray(f, dtype=np.float64)
        return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, f / f_sp)

    def to_hz(m):
        m = np.asarray(m, dtype=np.float64)
        return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)

    fft_freqs = np.linspace(0, sample_rate_hz / 2, 1 + n_fft // 2)
    mel_f = to_hz(np.linspace(to_mel(f_min_hz), to_mel(f_max_hz), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    return weights * (2.0 / (mel_f[2 : n_mels + 2] - mel_f[:n_mels]))[:, None]


def onset_strength(signal: np.ndarray) -> np.ndarray:
    """librosa.onset.onset_strength at 22 050 Hz with its defaults. signal (T,) → (1 + T // 512,)."""
    power = stft_power(signal, N_FFT, HOP)  # (F, bins), centred frames, zero padding, periodic Hann
    mel = power @ slaney_mel_filterbank(SAMPLE_RATE_HZ, N_FFT, N_MELS).T  # (F, mels)
    db = 10.0 * np.log10(np.maximum(AMIN, mel))
    db = np.maximum(db, db.max() - TOP_DB)
    flux = np.maximum(0.0, db[1:] - db[:-1]).mean(axis=1)
    shift = 1 + N_FFT // (2 * HOP)
    return np.concatenate([np.zeros(shift), flux])[: db.shape[0]]


def peak_pick(x: np.ndarray, *, pre_max: int, post_max: int, pre_avg: int, post_avg: int, delta: float,
              wait: int) -> np.ndarray:
    """librosa.util.peak_pick (greedy): frames n with x[n] = max(x[n − pre_max : n + post_max]) and
    x[n] ≥ mean(x[n − pre_avg : n + post_avg]) + delta, at least `wait` frames apart."""
    peaks = []
    n = 0
    if x.size and x[0] >= x[: min(post_max, x.size)].max() and x[0] >= x[: min(post_avg, x.size)].mean() + delta:
        peaks.append(0)
        n = wait + 1
    else:
        n = 1
    while n < x.size:
        if x[n] != x[max(0, n - pre_max) : min(n + post_max, x.size)].max():
            n += 1
            continue
        if x[n] < x[max(0, n - pre_avg) : min(n + post_avg, x.size)].mean() + delta:
            n += 1
            continue
        peaks.append(n)
        n += wait + 1
    return np.asarray(peaks, dtype=np.int64)


def detect_onsets(signal: np.ndarray, delta: float = DELTA) -> np.ndarray:
    """librosa.onset.onset_detect(y, sr=22050, units='samples', delta=delta): onset samples (sorted)."""
    envelope = onset_strength(signal)
    envelope = envelope - envelope.min()
    envelope = envelope / (envelope.max() + np.finfo(envelope.dtype).tiny)
    frames = peak_pick(envelope, pre_max=PRE_MAX, post_max=POST_MAX, pre_avg=PRE_AVG, post_avg=POST_AVG,
                       delta=delta, wait=WAIT)
    return frames * HOP


def _confidence(normalised: np.ndarray, sample: int) -> float:
    half = int(CONFIDENCE_WINDOW_S * SAMPLE_RATE_HZ)
    return float(normalised[max(0, sample - half) : sample + half].max())


def onset_nms(onsets: np.ndarray, normalised: np.ndarray) -> np.ndarray:
    """Keep the most confident onset, drop the others within 0.05 s; repeat. Returns sorted samples."""
    confidence = [_confidence(normalised, int(o)) for o in onsets]
    remaining = list(int(o) for o in onsets)
    kept = []
    for idx in np.argsort(confidence, kind="stable")[::-1]:
        current = int(onsets[idx])
        if current not in remaining:
            continue
        kept.append(current)
        remaining.remove(current)
        remaining = [o for o in remaining if abs(current - o) >= NMS_WINDOW_S * SAMPLE_RATE_HZ]
    return np.array(sorted(kept), dtype=np.int64)


def average_precision(labels: np.ndarray, scores: np.ndarray) -> float:
    """scikit-learn's average_precision_score for binary labels: Σ_n (R_n − R_{n−1})·P_n over the
    distinct thresholds from the highest score down. NaN without any positive label."""
    labels = np.asarray(labels, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    if labels.sum() == 0:
        return float("nan")
    order = np.argsort(-scores, kind="mergesort")
    labels, scores = labels[order], scores[order]
    distinct = np.flatnonzero(np.diff(scores)) if scores.size > 1 else np.zeros(0, np.int64)
    last = np.concatenate([distinct, [scores.size - 1]])
    true_pos = np.cumsum(labels)[last]
    false_pos = (last + 1) - true_pos
    precision = true_pos / (true_pos + false_pos)
    recall = true_pos / labels.sum()
    return float(np.sum(np.diff(np.concatenate([[0.0], recall])) * precision))


@dataclass
class OnsetScore:
    """One clip: accuracy (hits / ground truth), AP, the counts behind them."""

    accuracy: float
    ap: float
    hits: int
    ground_truth: int
    detected: int


def scored_signal(waveform: np.ndarray, sample_rate_hz: int, duration_s: float = DURATION_S) -> np.ndarray:
    """What the metric listens to: audio (C, T) or (T,) as mono at 22 050 Hz, its first `duration_s`."""
    signal = to_mono(np.atleast_2d(waveform))
    return resample(signal, int(sample_rate_hz), SAMPLE_RATE_HZ)[: int(duration_s * SAMPLE_RATE_HZ)]


def normalised_waveform(signal: np.ndarray) -> np.ndarray:
    """(w − min) / (max − min + 1e-6): the confidence and candidate-choice scale of the metric."""
    return (signal - signal.min()) / (signal.max() - signal.min() + 1e-6) if signal.size else signal


def detected_onsets_s(waveform: np.ndarray, sample_rate_hz: int, *, delta: float = DELTA,
                      duration_s: float = DURATION_S) -> np.ndarray:
    """The onsets the metric detects (after its non-maximum suppression), in seconds, sorted."""
    signal = scored_signal(waveform, sample_rate_hz, duration_s)
    if not signal.size:
        return np.zeros(0)
    return onset_nms(detect_onsets(signal, delta), normalised_waveform(signal)) / SAMPLE_RATE_HZ


def onset_score(waveform: np.ndarray, sample_rate_hz: int, impact_times_s, *, delta: float = DELTA,
                duration_s: float = DURATION_S) -> OnsetScore:
    """MMAudio's onset accuracy and AP of audio (C, T) or (T,) against the ground-truth impact times."""
    signal = scored_signal(waveform, sample_rate_hz, duration_s)
    # in time order: the greedy matching below depends on it, and impacts come object by object
    truth = np.sort(np.array([t for t in impact_times_s if t < duration_s], dtype=np.float64)) * SAMPLE_RATE_HZ
    normalised = normalised_waveform(signal)
    onsets = onset_nms(detect_onsets(signal, delta), normalised) if signal.size > 0 else np.zeros(0, np.int64)
    remaining = [int(o) for o in onsets]
    labels, scores = [], []
    hits = 0
    for gt in truth:
        candidates = [o for o in remaining if abs(o - gt) < delta * SAMPLE_RATE_HZ]
        if not candidates:
            labels.append(1), scores.append(0.0)
            continue
        match = max(candidates, key=lambda o: normalised[o] if o < normalised.size else -np.inf)
        hits += 1
        labels.append(1), scores.append(_confidence(normalised, match))
        remaining.remove(match)
        if not remaining:
            break
    for o in remaining:
        labels.append(0), scores.append(_confidence(normalised, o))
    accuracy = hits / truth.size if truth.size else 0.0
    ap = average_precision(np.array(labels), np.array(scores)) if labels else float("nan")
    return OnsetScore(accuracy=accuracy, ap=ap, hits=hits, ground_truth=int(truth.size), detected=int(onsets.size))
