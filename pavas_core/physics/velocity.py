"""Per-frame position and velocity of one object from its fitted trajectory (pixels or metres).

The fitted segments tile the track's time span: each segment holds from the contact before it to
the contact after it (or, for a release, the midpoint between samples). Velocities are the
segments' analytic derivatives — not finite differences of noisy centroids. A track without a
gravity fit falls back to a Savitzky–Golay derivative of its centroids.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .flight import FlightFit, Segment
from .impacts import Contact


@dataclass
class PiecewiseTrajectory:
    segments: list[Segment]
    switch_times_s: list[float]  # len(segments) − 1 boundaries

    def states(self, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N,) times → positions (N, D) and velocities (N, D) per s."""
        t = np.asarray(t_s, dtype=np.float64)
        idx = np.searchsorted(np.asarray(self.switch_times_s), t, side="right")
        dims = len(self.segments[0].c0)
        pos = np.empty((t.size, dims))
        vel = np.empty((t.size, dims))
        for k, seg in enumerate(self.segments):
            sel = idx == k
            if sel.any():
                pos[sel] = seg.pos(t[sel])
                vel[sel] = seg.vel(t[sel])
        return pos, vel


def piecewise_from_fit(fit: FlightFit, contacts: list[Contact]) -> PiecewiseTrajectory:
    by_cut = {c.before: c.time_s for c in contacts}
    switches = []
    for i in range(len(fit.segments) - 1):
        if i in by_cut:
            switches.append(by_cut[i])
        else:
            a, b = fit.segments[i], fit.segments[i + 1]
            switches.append(0.5 * (float(fit.t_s[a.i1]) + float(fit.t_s[b.i0])))
    return PiecewiseTrajectory(list(fit.segments), switches)


def smoothed_states(t_s: np.ndarray, points: np.ndarray, *, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """Fallback without a fit: Savitzky–Golay smoothing (≈ 0.2 s window, quadratic) and its derivative."""
    # imported here: scipy.signal brings scipy.stats, half a second of start-up on a small machine,
    # and most runs never take this fallback
    from scipy.signal import savgol_filter

    n = len(t_s)
    if n < 3:
        return points.astype(float), np.zeros_like(points, dtype=float)
    win = int(np.clip(round(0.2 * fps) | 1, 3, n if n % 2 else n - 1))
    order = min(2, win - 1)
    dt = float(np.median(np.diff(t_s))) if n > 1 else 1.0 / fps
    pos = savgol_filter(points, win, order, axis=0)
    vel = savgol_filter(points, win, order, deriv=1, delta=dt, axis=0)
    return pos, vel
