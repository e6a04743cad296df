"""Shot boundaries: hard cuts and fades in the decoded analysis frames.

Physics is estimated per shot (estimate.py): an object of one shot is never tracked or fitted into
the next, and an impact too close to a boundary (IMPACT_GUARD_S) has too little trajectory on one
side to be measured, so it is kept silent.

A hard cut is a frame whose picture differs from the one before far more than the frames around
it differ from each other (an adaptive threshold: camera motion or a busy scene raises the local
level, so they do not cut). Two measures of the change, both cheap on a 32-px-wide thumbnail:
the colour histogram's distance (half the L1 distance of 4×4×4-bin histograms, 0..1) and the
mean absolute difference of the thumbnails' pixels (0..1). A one-frame flash (a picture unlike both
neighbours while the neighbours are alike) is not a cut. A fade is a monotone ramp of the mean
luminance into or out of black; the shot after it starts at the first frame that is no longer black.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

IMPACT_GUARD_S = 0.25  # no sonified impact this close to a cut or fade
MIN_SHOT_FRAMES = 3  # boundaries closer than this are one boundary
THUMB_WIDTH = 32
HIST_BINS = 4  # per channel
CUT_HIST_MIN = 0.3  # histogram distance that is a cut on its own (when well above the local level)
CUT_PIX_MIN = 0.12  # thumbnail difference that is a cut together with a histogram change ...
CUT_PIX_HIST_MIN = 0.1  # ... at least this large
LOCAL_FACTOR = 3.0  # a cut stands this many times above the median change of its neighbours
LOCAL_WINDOW = 8  # frames on each side for that median
BLACK_LUMA = 16.0 / 255.0  # mean luminance of a black frame
FADE_MIN_FRAMES = 4  # a fade's ramp lasts at least this many frames


@dataclass(frozen=True)
class ShotBoundary:
    frame: int  # first frame of the new shot
    kind: str  # cut | fade


def _thumbnails(frames: np.ndarray) -> np.ndarray:
    """(T, h, 32, 3) float32 in 0..1: block means of each frame (cheap, noise-averaged)."""
    t, h, w = frames.shape[:3]
    step = max(1, w // THUMB_WIDTH)
    hh, ww = (h // step) * step, (w // step) * step
    if hh == 0 or ww == 0:
        return frames.astype(np.float32) / 255.0
    x = frames[:, :hh, :ww].reshape(t, hh // step, step, ww // step, step, 3)
    return x.mean(axis=(2, 4), dtype=np.float32) / 255.0


def _histograms(thumbs: np.ndarray) -> np.ndarray:
    """(T, HIST_BINS³) normalised colour histograms of the thumbnails."""
    q = np.clip((thumbs * HIST_BINS).astype(np.int64), 0, HIST_BINS - 1)
    code = (q[..., 0] * HIST_BINS + q[..., 1]) * HIST_BINS + q[..., 2]
    code = code.reshape(code.shape[0], -1)
    hist = np.stack([np.bincount(c, minlength=HIST_BINS**3) for c in code]).astype(np.float64)
    return hist / np.maximum(hist.sum(axis=1, keepdims=True), 1.0)


def _local_median(d: np.ndarray, k: int) -> float:
    lo, hi = max(1, k - LOCAL_WINDOW), min(len(d), k + LOCAL_WINDOW + 1)
    around = np.concatenate([d[lo:k], d[k + 1 : hi]])
    return float(np.median(around)) if around.size else 0.0


def frame_changes(thumbs: np.ndarray, hist: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(hist distance, pixel difference) between frame k−1 and k (index 0: zero), and mean luminance per frame."""
    n = len(thumbs)
    dh = np.zeros(n)
    dp = np.zeros(n)
    if n > 1:
        dh[1:] = 0.5 * np.abs(np.diff(hist, axis=0)).sum(axis=1)
        dp[1:] = np.abs(np.diff(thumbs, axis=0)).mean(axis=(1, 2, 3))
    luma = (thumbs @ np.array([0.299, 0.587, 0.114], np.float32)).mean(axis=(1, 2))
    return dh, dp, luma


def _is_cut(k: int, dh: np.ndarray, dp: np.ndarray, thumbs_hist: tuple[np.ndarray, np.ndarray]) -> bool:
    mh, mp = _local_median(dh, k), _local_median(dp, k)
    strong_hist = dh[k] >= CUT_HIST_MIN and dh[k] > LOCAL_FACTOR * mh
    pixels = dp[k] >= CUT_PIX_MIN and dp[k] > LOCAL_FACTOR * mp and dh[k] >= CUT_PIX_HIST_MIN \
        and dh[k] > LOCAL_FACTOR * mh
    if not (strong_hist or pixels):
        return False
    thumbs, hist = thumbs_hist
    # a flash: one frame unlike both its neighbours, which are alike (frame k, or frame k − 1)
    for a, b in ((k - 1, k + 1), (k - 2, k)):
        if a < 0 or b >= len(thumbs):
            continue
        across_h = 0.5 * float(np.abs(hist[b] - hist[a]).sum())
        across_p = float(np.abs(thumbs[b] - thumbs[a]).mean())
        if across_h < 0.5 * dh[k] and across_p < 0.5 * dp[k]:
            return False
    return True


def _fades(luma: np.ndarray) -> list[tuple[int, int, int]]:
    """Fades through (or in from, or out to) black: (first frame of the shot after it, first and
    last frame of the whole fade). The frames inside a fade change from one to the next like a cut
    does (their colours slide through the histogram's bins); they are no cuts."""
    dark = luma < BLACK_LUMA
    out = []
    n = len(luma)
    k = 0
    while k < n:
        if not dark[k]:
            k += 1
            continue
        j = k
        while j < n and dark[j]:
            j += 1
        # dark run k..j-1: a fade out before it (monotone fall) or a fade in after it (monotone rise)
        lo = k
        while lo > 0 and luma[lo - 1] > luma[lo]:
            lo -= 1
        hi = j - 1
        while hi + 1 < n and luma[hi + 1] > luma[hi]:
            hi += 1
        fall, rise = k - lo >= FADE_MIN_FRAMES, hi - (j - 1) >= FADE_MIN_FRAMES
        if (fall or rise) and 0 < j < n:
            out.append((j, lo, hi))
        k = j
    return out


def detect_shot_boundaries(frames: np.ndarray) -> list[ShotBoundary]:
    """Boundaries (first frame of each shot after the first), in order. frames: (T, h, w, 3) uint8."""
    frames = np.asarray(frames)
    n = frames.shape[0]
    if n < 2:
        return []
    thumbs = _thumbnails(frames)
    hist = _histograms(thumbs)
    dh, dp, luma = frame_changes(thumbs, hist)
    found: dict[int, str] = {}
    for k in range(1, n):
        if _is_cut(k, dh, dp, (thumbs, hist)):
            found[k] = "cut"
    for k, lo, hi in _fades(luma):
        # the changes inside a fade, and the cut out of black that ends it, are this one boundary
        for c in [c for c in found if lo <= c <= hi + MIN_SHOT_FRAMES]:
            del found[c]
        found[k] = "fade"
    out: list[ShotBoundary] = []
    for k in sorted(found):
        if out and k - out[-1].frame < MIN_SHOT_FRAMES:
            continue  # a burst of changes: one boundary
        if k < MIN_SHOT_FRAMES and found[k] == "cut":
            continue
        out.append(ShotBoundary(k, found[k]))
    return out


def shot_ranges(num_frames: int, boundaries: list[ShotBoundary]) -> list[tuple[int, int, str]]:
    """[(start_frame, end_frame inclusive, kind)] covering 0..num_frames−1; the first kind is "start"."""
    starts = [(0, "start")] + [(b.frame, b.kind) for b in boundaries if 0 < b.frame < num_frames]
    out = []
    for i, (s, kind) in enumerate(starts):
        e = starts[i + 1][0] - 1 if i + 1 < len(starts) else num_frames - 1
        out.append((s, e, kind))
    return out


def near_boundary(time_s: float, shots, guard_s: float = IMPACT_GUARD_S) -> bool:
    """True when `time_s` lies within guard_s of a cut or fade (the clip's own start and end are not boundaries)."""
    for shot in shots[1:]:
        if abs(time_s - shot.start_s) < guard_s:
            return True
    return False
