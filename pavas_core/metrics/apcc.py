"""APCC (reconstructed): the audio–physics correlation coefficient of PAVAS, and APCC-Δ.

The paper (PAVAS, CVPR 2026) defines APCC as the correlation, within each sound category, between
the kinetic energy lost at an impact and the onset spectral intensity of the audio near it; APCC-Δ
is the gap between the value for generated audio and for ground-truth audio (lower is better).
The exact detector, window, scale, correlation and aggregation are not published, so this is a
reconstruction and every unknown is a parameter of ApccConfig. Defaults:

- intensity: max over frames centred in [t − 16 ms, t + 48 ms] of the frame's mel power in dB,
  10·log10(Σ_mel mel_power), from a log-mel STFT at 16 kHz (n_fft 512 = 32 ms, hop 128 = 8 ms,
  periodic Hann, 64 HTK mel bands 0–8 kHz, no area normalisation, dB floor 1e-10). Short frames
  and a short window keep a bounce apart from the ring of the bounce before it;
- masked events: an event with another impact of the same clip less than 100 ms away is dropped
  and counted (`dropped["masked"]`): the two onsets overlap, so no onset measure can give either
  its own level (on generated scenes with bouncing objects, measuring them anyway takes the
  reference sound's APCC from 0.98 to 0.9 and below);
- ΔKE transform: log10 (dB intensity is linear in log ΔKE for an ideal impact sound);
- correlation: Pearson; aggregation: mean over categories; categories with fewer than 3 usable
  events, or with zero variance, are skipped and reported;
- ΔKE <= 0 (no energy lost: the log is undefined): dropped and counted (option: a floor);
- events whose time lies outside their audio: dropped and counted.

APCC-Δ = mean over categories present in both results of |r_reference − r_generated|; signed
differences are reported per category.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from ..errors import BadInputError
from ..limits import MAX_IMPACTS, MAX_SAMPLE_RATE_HZ, check_sample_rate_hz
from ..progress import ProgressCallback, report
from ..video.clip import AudioTrack
from .spectral import mel_filterbank, resample, to_mono

LABEL = "APCC (reconstructed)"
INTENSITIES = ("mel_power", "mel_mean_db", "rms", "spectral_flux")
SCALES = ("db", "linear")
ENERGY_TRANSFORMS = ("log10", "linear")
CORRELATIONS = ("pearson", "spearman")
AGGREGATES = ("mean", "event_weighted")
NONPOSITIVE_RULES = ("drop", "floor")
# Bounds of the options (the analysis must stay linear in the audio and the events).
MAX_WINDOW_S = 1.0
MAX_N_FFT = 65536
MAX_N_MELS = 1024


@dataclass(frozen=True)
class ApccConfig:
    """Every unknown of the paper's definition, with the reconstruction's default."""

    intensity: str = "mel_power"  # mel_power | mel_mean_db | rms | spectral_flux
    scale: str = "db"  # db | linear (mel_power and rms only)
    window_start_s: float = -0.016  # frames centred in [t + start, t + end] are searched
    window_end_s: float = 0.048
    min_gap_s: float = 0.1  # an event with another impact of its clip closer than this is masked: dropped
    energy_transform: str = "log10"  # log10 | linear, applied to ΔKE
    correlation: str = "pearson"  # pearson | spearman
    aggregate: str = "mean"  # mean over categories | event_weighted (weights = events per category)
    min_events: int = 3
    nonpositive_dke: str = "drop"  # drop | floor: what to do with ΔKE <= 0
    dke_floor_j: float = 1e-6  # used by nonpositive_dke = "floor"
    analysis_rate_hz: int = 16000
    n_fft: int = 512
    hop: int = 128
    n_mels: int = 64
    f_min_hz: float = 0.0
    f_max_hz: float | None = None  # None: analysis_rate_hz / 2
    power_floor: float = 1e-10  # dB conversion floor (amin)

    def validate(self) -> "ApccConfig":
        choices = {
            "intensity": INTENSITIES, "scale": SCALES, "energy_transform": ENERGY_TRANSFORMS,
            "correlation": CORRELATIONS, "aggregate": AGGREGATES, "nonpositive_dke": NONPOSITIVE_RULES,
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise BadInputError(f"APCC: {name} must be one of {allowed}, got {getattr(self, name)!r}")
        if self.scale == "linear" and self.intensity not in ("mel_power", "rms"):
            raise BadInputError(f"APCC: scale='linear' applies to mel_power and rms only, not {self.intensity!r}")
        if not self.window_start_s < self.window_end_s:
            raise BadInputError("APCC: window_start_s must be smaller than window_end_s")
        if not -MAX_WINDOW_S <= self.window_start_s < self.window_end_s <= MAX_WINDOW_S:
            raise BadInputError(f"APCC: the onset window must lie within ±{MAX_WINDOW_S * 1000:g} ms of the impact")
        if not (self.min_gap_s >= 0 and math.isfinite(self.min_gap_s)):
            raise BadInputError("APCC: min_gap_s must be a finite number >= 0")
        if self.min_events < 2:
            raise BadInputError("APCC: min_events must be at least 2 (a correlation needs two points)")
        if not (self.dke_floor_j > 0 and self.power_floor > 0):
            raise BadInputError("APCC: dke_floor_j and power_floor must be positive")
        if self.analysis_rate_hz < 1000 or self.n_fft < 16 or not 0 < self.hop <= self.n_fft or self.n_mels < 1:
            raise BadInputError("APCC: analysis_rate_hz >= 1000, n_fft >= 16, 0 < hop <= n_fft and n_mels >= 1 needed")
        if self.analysis_rate_hz > MAX_SAMPLE_RATE_HZ or self.n_fft > MAX_N_FFT or self.n_mels > MAX_N_MELS:
            raise BadInputError(f"APCC: analysis_rate_hz <= {MAX_SAMPLE_RATE_HZ}, n_fft <= {MAX_N_FFT} and "
                                f"n_mels <= {MAX_N_MELS} needed")
        f_max = self.f_max_hz if self.f_max_hz is not None else self.analysis_rate_hz / 2
        if not 0 <= self.f_min_hz < f_max <= self.analysis_rate_hz / 2:
            raise BadInputError("APCC: need 0 <= f_min_hz < f_max_hz <= analysis_rate_hz / 2")
        return self


@dataclass(frozen=True)
class ApccEvent:
    clip_id: str
    category: str
    time_s: float
    delta_ke_j: float


@dataclass
class CategoryCorrelation:
    r: float
    n: int


@dataclass
class ApccResult:
    """per_category: r and the number of events used; skipped: category → reason;
    mean: the aggregate (NaN when every category was skipped); dropped: reason → events left out
    (nonpositive_dke, outside_audio, masked); floored: events with ΔKE <= 0 kept at dke_floor_j."""

    per_category: dict[str, CategoryCorrelation]
    skipped: dict[str, str]
    mean: float
    dropped: dict[str, int]
    config: ApccConfig
    floored: int = 0
    label: str = LABEL

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "mean": _json_float(self.mean),
            "per_category": {c: {"r": _json_float(v.r), "n": v.n} for c, v in sorted(self.per_category.items())},
            "skipped": dict(sorted(self.skipped.items())),
            "dropped": dict(self.dropped),
            "floored": self.floored,
            "config": asdict(self.config),
        }


@dataclass
class ApccDeltaResult:
    """per_category: |r_reference − r_generated|; signed: r_reference − r_generated;
    skipped: categories not scored in both; mean: mean of per_category (NaN if empty)."""

    reference: ApccResult
    generated: ApccResult
    per_category: dict[str, float]
    signed: dict[str, float]
    skipped: dict[str, str]
    mean: float
    label: str = "APCC-Δ (reconstructed)"

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "mean": _json_float(self.mean),
            "per_category": {c: _json_float(v) for c, v in sorted(self.per_category.items())},
            "signed": {c: _json_float(v) for c, v in sorted(self.signed.items())},
            "skipped": dict(sorted(self.skipped.items())),
            "reference": self.reference.to_dict(),
            "generated": self.generated.to_dict(),
        }


def _json_float(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


# --- intensity -------------------------------------------------------------------------------------
def _check_audio(name: str, audio: object) -> AudioTrack:
    if not isinstance(audio, AudioTrack):
        raise BadInputError(f"APCC: audio of clip {name!r} must be an AudioTrack, got {type(audio).__name__}")
    w = np.asarray(audio.waveform)
    if w.ndim != 2 or w.shape[0] < 1:
        raise BadInputError(f"APCC: audio of clip {name!r} must have shape (channels, samples), got {w.shape}")
    if w.shape[1] == 0:
        raise BadInputError(f"APCC: audio of clip {name!r} is empty (0 samples)")
    if not np.all(np.isfinite(w)):
        raise BadInputError(f"APCC: audio of clip {name!r} contains NaN or infinite samples")
    if not (isinstance(audio.sample_rate_hz, (int, np.integer)) and audio.sample_rate_hz > 0):
        raise BadInputError(f"APCC: audio of clip {name!r} has an invalid sample rate {audio.sample_rate_hz!r}")
    check_sample_rate_hz(audio.sample_rate_hz, f"APCC: audio of clip {name!r}")
    return audio


def _analysis_signal(audio: AudioTrack, config: ApccConfig) -> np.ndarray:
    """Mono mix at the analysis rate. Shape (T',) float64."""
    return resample(to_mono(audio.waveform), int(audio.sample_rate_hz), config.analysis_rate_hz)


def _num_frames(signal: np.ndarray, config: ApccConfig) -> int:
    return 1 + signal.shape[0] // config.hop


def _intensity_of_frames(signal: np.ndarray, frame_idx: np.ndarray, config: ApccConfig) -> np.ndarray:
    """Intensity of the frames `frame_idx` (sorted, unique) of `signal`. Shape (len(frame_idx),).

    Frames are analysed in chunks, so memory stays bounded however many frames are asked for."""
    from .spectral import frame_signal

    frames_all = frame_signal(signal, config.n_fft, config.hop)  # a view; only the frames used are read
    out = np.empty(frame_idx.shape[0])
    for start in range(0, frame_idx.shape[0], _FRAMES_PER_CHUNK):
        chunk = frame_idx[start:start + _FRAMES_PER_CHUNK]
        out[start:start + chunk.shape[0]] = _intensity_of_chunk(frames_all, chunk, config)
    return out


_FRAMES_PER_CHUNK = 2048


def _intensity_of_chunk(frames_all: np.ndarray, frame_idx: np.ndarray, config: ApccConfig) -> np.ndarray:
    from .spectral import hann_window

    if config.intensity == "rms":
        return _scaled(np.mean(frames_all[frame_idx] ** 2, axis=1), config)
    wanted = frame_idx
    if config.intensity == "spectral_flux":  # needs each frame's predecessor
        wanted = np.union1d(frame_idx, np.maximum(frame_idx - 1, 0))
    spec = np.fft.rfft(frames_all[wanted] * hann_window(config.n_fft)[None, :], axis=1)
    power = spec.real**2 + spec.imag**2
    f_max = config.f_max_hz if config.f_max_hz is not None else config.analysis_rate_hz / 2
    fbank = mel_filterbank(power.shape[1], config.analysis_rate_hz, config.n_mels, config.f_min_hz, f_max)
    # einsum without BLAS: for these few frames it is faster than a threaded GEMM and immune to
    # BLAS thread oversubscription on a busy machine
    mel = np.einsum("fk,km->fm", power, fbank, optimize=False)
    if config.intensity == "mel_power":
        return _scaled(mel.sum(axis=1), config)
    log_mel = 10.0 * np.log10(np.maximum(mel, config.power_floor))
    if config.intensity == "mel_mean_db":
        return log_mel.mean(axis=1)
    # spectral_flux: mean over bands of the half-wave rectified first difference of log-mel (0 for frame 0)
    pos = {f: i for i, f in enumerate(wanted)}
    flux = np.array([
        np.maximum(0.0, log_mel[pos[f]] - log_mel[pos[f - 1]]).mean() if f > 0 else 0.0 for f in frame_idx
    ])
    return flux


def frame_intensity(audio: AudioTrack, config: ApccConfig = ApccConfig()) -> tuple[np.ndarray, np.ndarray]:
    """Intensity of every frame of `audio` under `config`.

    Returns (frame centre times (F,) s, values (F,)); frame i is centred at i·hop / analysis_rate_hz.
    """
    config.validate()
    signal = _analysis_signal(_check_audio("<audio>", audio), config)
    idx = np.arange(_num_frames(signal, config))
    return idx * config.hop / config.analysis_rate_hz, _intensity_of_frames(signal, idx, config)


def _scaled(power: np.ndarray, config: ApccConfig) -> np.ndarray:
    if config.scale == "linear":
        return power
    return 10.0 * np.log10(np.maximum(power, config.power_floor))


def _event_intensities(audio: AudioTrack, times_s: np.ndarray, config: ApccConfig) -> np.ndarray:
    """Max intensity over the frames centred in each event's window; NaN for events outside the audio.

    Only the frames some window needs are analysed (a long clip with few impacts stays cheap).
    """
    signal = _analysis_signal(audio, config)
    num_frames = _num_frames(signal, config)
    frame_dt = config.hop / config.analysis_rate_hz
    out = np.full(times_s.shape[0], np.nan)
    inside = (times_s >= 0.0) & (times_s <= audio.duration_s)
    # frame i is centred at i·frame_dt; the window holds i with t + start <= i·dt <= t + end
    lo = np.clip(np.ceil((times_s + config.window_start_s) / frame_dt - 1e-9), 0, num_frames).astype(np.int64)
    hi = np.clip(np.floor((times_s + config.window_end_s) / frame_dt + 1e-9) + 1, 0, num_frames).astype(np.int64)
    usable = inside & (hi > lo)
    if not np.any(usable):
        return out
    # the frames some window covers: a difference array over the frames (linear in frames + events)
    cover = np.zeros(num_frames + 1, dtype=np.int64)
    np.add.at(cover, lo[usable], 1)
    np.add.at(cover, hi[usable], -1)
    needed = np.flatnonzero(np.cumsum(cover[:-1]) > 0)
    values = _intensity_of_frames(signal, needed, config)
    # max over each window's frames: they are contiguous in `needed` (every frame of a window is needed)
    starts = np.searchsorted(needed, lo[usable])
    ends = np.searchsorted(needed, hi[usable])
    padded = np.append(values, -np.inf)  # reduceat may index one past the end
    bounds = np.empty(2 * starts.shape[0], dtype=np.int64)
    bounds[0::2], bounds[1::2] = starts, ends
    out[usable] = np.maximum.reduceat(padded, bounds)[0::2]
    return out


def onset_intensity(audio: AudioTrack, times_s: Sequence[float] | np.ndarray,
                    config: ApccConfig = ApccConfig()) -> np.ndarray:
    """Onset spectral intensity of `audio` at each time (see ApccConfig). Shape (N,); NaN where a
    time lies outside the audio."""
    times = np.asarray(times_s, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(times)):
        raise BadInputError("APCC: event times must be finite")
    config.validate()
    return _event_intensities(_check_audio("<audio>", audio), times, config)


# --- correlation -----------------------------------------------------------------------------------
def _average_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n with ties given their average rank (as scipy.stats.rankdata(method='average'))."""
    order = np.argsort(x, kind="mergesort")
    sorted_x = x[order]
    ranks = np.empty(x.shape[0])
    boundaries = np.flatnonzero(np.diff(sorted_x)) + 1
    starts = np.concatenate([[0], boundaries])
    ends = np.concatenate([boundaries, [x.shape[0]]])
    for s, e in zip(starts, ends):
        ranks[order[s:e]] = 0.5 * (s + e - 1) + 1.0
    return ranks


def correlation(x: np.ndarray, y: np.ndarray, method: str = "pearson") -> float:
    """Pearson or Spearman correlation of two (N,) arrays; NaN if either has zero variance."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if method == "spearman":
        x, y = _average_ranks(x), _average_ranks(y)
    elif method != "pearson":
        raise BadInputError(f"APCC: correlation must be one of {CORRELATIONS}, got {method!r}")
    xc, yc = x - x.mean(), y - y.mean()
    denom = math.sqrt(float(xc @ xc) * float(yc @ yc))
    if denom == 0.0:
        return float("nan")
    return float(np.clip((xc @ yc) / denom, -1.0, 1.0))


def _is_finite_number(x: object) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool) and math.isfinite(x)


def _check_events(events: Iterable[ApccEvent]) -> list[ApccEvent]:
    events = list(events)
    if len(events) > MAX_IMPACTS:
        raise BadInputError(f"APCC: {len(events)} events, more than the limit of {MAX_IMPACTS}; score fewer clips")
    for i, e in enumerate(events):
        if not isinstance(e, ApccEvent):
            raise BadInputError(f"APCC: event {i} must be an ApccEvent, got {type(e).__name__}")
        if not (_is_finite_number(e.time_s) and _is_finite_number(e.delta_ke_j)):
            raise BadInputError(f"APCC: event {i} (clip {e.clip_id!r}) has a non-finite time or ΔKE")
    return events


def apcc(events: Iterable[ApccEvent], audio_by_clip: Mapping[str, AudioTrack],
         config: ApccConfig = ApccConfig(), *, progress: ProgressCallback | None = None) -> ApccResult:
    """APCC (reconstructed) of the audio against the events' ΔKE; see the module docstring.

    `progress(done, total)` is called after each clip (returning False cancels).
    """
    config.validate()
    events = _check_events(events)
    missing = sorted({e.clip_id for e in events} - set(audio_by_clip))
    if missing:
        raise BadInputError(f"APCC: no audio given for clip(s) {missing[:5]}{' ...' if len(missing) > 5 else ''}")
    intensity = np.full(len(events), np.nan)
    masked = np.zeros(len(events), dtype=bool)
    by_clip: dict[str, list[int]] = {}
    for i, e in enumerate(events):
        by_clip.setdefault(e.clip_id, []).append(i)
    for done, (clip_id, idx) in enumerate(by_clip.items(), start=1):
        audio = _check_audio(clip_id, audio_by_clip[clip_id])
        intensity[idx], masked[idx] = clip_measures(audio, [events[i].time_s for i in idx], config)
        report(progress, done, len(by_clip))
    return apcc_from_measures(events, intensity, masked, config)


def clip_measures(audio: AudioTrack, times_s, config: ApccConfig = ApccConfig()) -> tuple[np.ndarray, np.ndarray]:
    """The per-event part of APCC for one clip: (onset intensity (N,), NaN outside the audio;
    masked (N,) bool: another of these events closer than min_gap_s)."""
    times = np.asarray(times_s, dtype=np.float64).reshape(-1)
    return _event_intensities(audio, times, config), _masked(times, config.min_gap_s)


def apcc_from_measures(events: Iterable[ApccEvent], intensity: np.ndarray, masked: np.ndarray,
                       config: ApccConfig = ApccConfig()) -> ApccResult:
    """APCC from each event's intensity and mask flag (see clip_measures): the correlation part,
    for callers that measured the clips elsewhere (e.g. in parallel)."""
    config.validate()
    events = _check_events(events)
    dropped = {"nonpositive_dke": 0, "outside_audio": 0, "masked": 0}
    floored = 0
    energy = np.array([e.delta_ke_j for e in events], dtype=np.float64)
    if config.nonpositive_dke == "floor":
        floored = int(np.count_nonzero(energy <= 0))
        energy = np.maximum(energy, config.dke_floor_j)

    per_category: dict[str, CategoryCorrelation] = {}
    skipped: dict[str, str] = {}
    categories: dict[str, list[int]] = {}
    for i, e in enumerate(events):
        if energy[i] <= 0:
            dropped["nonpositive_dke"] += 1
            continue
        if not math.isfinite(intensity[i]):
            dropped["outside_audio"] += 1
            continue
        if masked[i]:
            dropped["masked"] += 1
            continue
        categories.setdefault(e.category, []).append(i)
    for e in events:
        categories.setdefault(e.category, [])
    for category, idx in sorted(categories.items()):
        if len(idx) < config.min_events:
            skipped[category] = f"{len(idx)} usable event(s), fewer than min_events={config.min_events}"
            continue
        x = energy[idx]
        x = np.log10(x) if config.energy_transform == "log10" else x
        r = correlation(x, intensity[idx], config.correlation)
        if not math.isfinite(r):
            skipped[category] = "zero variance of ΔKE or of the intensity"
            continue
        per_category[category] = CategoryCorrelation(r=r, n=len(idx))
    return ApccResult(per_category=per_category, skipped=skipped, mean=_aggregate(per_category, config),
                      dropped=dropped, config=config, floored=floored)


def _masked(times_s: np.ndarray, min_gap_s: float) -> np.ndarray:
    """Events with another event of the same clip closer than min_gap_s: their onsets overlap, so
    no onset measure can tell their levels apart (a micro-bounce under the ring of the bounce before)."""
    if min_gap_s <= 0 or times_s.size < 2:
        return np.zeros(times_s.shape[0], dtype=bool)
    # The nearest other event is a neighbour in time order: sort once (O(n log n), O(n) memory).
    order = np.argsort(times_s, kind="stable")
    gaps = np.diff(times_s[order])
    nearest = np.full(times_s.shape[0], np.inf)
    nearest[:-1] = gaps
    nearest[1:] = np.minimum(nearest[1:], gaps)
    masked = np.empty(times_s.shape[0], dtype=bool)
    masked[order] = nearest < min_gap_s
    return masked


def _aggregate(per_category: Mapping[str, CategoryCorrelation], config: ApccConfig) -> float:
    if not per_category:
        return float("nan")
    r = np.array([c.r for c in per_category.values()])
    if config.aggregate == "event_weighted":
        n = np.array([c.n for c in per_category.values()], dtype=np.float64)
        return float((r * n).sum() / n.sum())
    return float(r.mean())


def apcc_delta(events: Iterable[ApccEvent], reference_audio: Mapping[str, AudioTrack],
               generated_audio: Mapping[str, AudioTrack], config: ApccConfig = ApccConfig(), *,
               progress: ProgressCallback | None = None) -> ApccDeltaResult:
    """APCC-Δ (reconstructed): mean over categories of |r(reference) − r(generated)|."""
    events = _check_events(events)
    num_clips = len({e.clip_id for e in events})

    def part(offset: int) -> ProgressCallback | None:  # one progress bar over both passes
        if progress is None:
            return None
        return lambda done, total: progress(offset + done, 2 * num_clips)

    ref = apcc(events, reference_audio, config, progress=part(0))
    gen = apcc(events, generated_audio, config, progress=part(num_clips))
    return apcc_delta_of(ref, gen)


def apcc_delta_of(ref: ApccResult, gen: ApccResult) -> ApccDeltaResult:
    """APCC-Δ from the APCC of the reference and of the generated audio (same events)."""
    per_category: dict[str, float] = {}
    signed: dict[str, float] = {}
    skipped: dict[str, str] = {}
    for category in sorted(set(ref.per_category) | set(gen.per_category) | set(ref.skipped) | set(gen.skipped)):
        if category in ref.per_category and category in gen.per_category:
            d = ref.per_category[category].r - gen.per_category[category].r
            signed[category] = d
            per_category[category] = abs(d)
        else:
            where = [name for name, res in (("reference", ref), ("generated", gen)) if category not in res.per_category]
            skipped[category] = "not scored in " + " and ".join(where)
    mean = float(np.mean(list(per_category.values()))) if per_category else float("nan")
    return ApccDeltaResult(reference=ref, generated=gen, per_category=per_category, signed=signed,
                           skipped=skipped, mean=mean)
