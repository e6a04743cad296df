"""Piecewise free-flight fitting of one object's trajectory, in the picture or in metres.

Between contacts an object in free flight moves on a parabola whose acceleration is gravity (the
same vector for every flight of the object: in pixels/s² at the object's depth for an image
trajectory, in m/s² for a metric one). The trajectory is cut into segments by dynamic programming (optimal segmentation with a
per-segment penalty): each segment is either *flight* (acceleration fixed to the gravity vector;
free start position and velocity) or *ground* (resting, sliding or rolling on the floor: constant
level along gravity, constant deceleration across it). In the picture (`ground_drift`) a ground
segment of GROUND_DRIFT_MIN_SAMPLES samples or more may also drift steadily along gravity: an
object rolling toward or away from the camera moves down or up the image, and with a level
ground that roll was explained better by "flight" under a tiny gravity, which outvoted the true
gravity of the fall before it. In metres the floor is level: a drift there would let the sides
of a driven circle pass for ground and hide the energy it gains in the air. Gravity itself
is first estimated from short windows that fit a free parabola well, then refined jointly over all
flight segments; outliers (a motion-blurred contact frame, a partly hidden blob) are rejected and
the segmentation redone.

Positions are (N, D) points, D = 2 (image pixels of the analysis grid, already freed from camera
shake and corrected for motion in depth, see geometry.py) or D = 3 (metres). Gravity points
roughly along +y (image rows grow downwards; camera and world frames here are y-down). The fixed
tolerances below are in `unit`s: the length of one analysis pixel in the trajectory's units
(1 for an image trajectory, metres per pixel at the object's depth for a metric one), i.e. the
measurement's resolution. Times are seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

FLIGHT = "flight"
NOISE_FLOOR = 0.1  # units (pixels)
GROUND = "ground"
GROUND_DRIFT_MIN_SAMPLES = 5  # shorter ground segments keep a level: a drift through 3-4 samples can straddle a contact


@dataclass
class Segment:
    """Samples i0..i1 (inclusive) follow pos(t) = c0 + c1·τ + c2·τ², τ = t − t0 (trajectory units, s)."""

    kind: str  # flight | ground
    i0: int
    i1: int
    t0: float
    c0: np.ndarray  # (D,)
    c1: np.ndarray  # (D,)
    c2: np.ndarray  # (D,)
    cov_c0c1: np.ndarray | None = None  # (D, 2, 2): per axis, covariance of (c0, c1)
    rms: float = 0.0

    @property
    def n(self) -> int:
        return self.i1 - self.i0 + 1

    def pos(self, t: np.ndarray | float) -> np.ndarray:
        tau = np.asarray(t, dtype=np.float64)[..., None] - self.t0
        return self.c0 + self.c1 * tau + self.c2 * tau**2

    def vel(self, t: np.ndarray | float) -> np.ndarray:
        tau = np.asarray(t, dtype=np.float64)[..., None] - self.t0
        return self.c1 + 2.0 * self.c2 * tau

    def pos_sigma(self, t: float) -> float:
        """Standard error of the fitted position at time t, all axes together."""
        if self.cov_c0c1 is None:
            return float("inf")
        tau = t - self.t0  # t0 is the samples' mean time: c0 and c1 are uncorrelated
        return float(np.sqrt(max(sum(float(c[0, 0] + tau * tau * c[1, 1]) for c in self.cov_c0c1), 0.0)))

    def vel_sigma(self) -> float:
        """Standard error of the fitted velocity (per s), all axes together (c2 is fixed by gravity)."""
        if self.cov_c0c1 is None:
            return float("inf")
        return float(np.sqrt(max(sum(float(c[1, 1]) for c in self.cov_c0c1), 0.0)))


@dataclass
class FlightFit:
    accel: np.ndarray  # (D,) gravity as the trajectory shows it (units/s²)
    accel_sigma: float  # its standard error (magnitude)
    segments: list[Segment]  # i0/i1 index the inlier samples t_s[inliers]
    inliers: np.ndarray  # (N,) bool: samples used by the fit
    t_s: np.ndarray  # (M,) times of the inlier samples
    points: np.ndarray  # (M, D) their positions
    noise: float  # position noise estimate (per axis of the picture plane)
    n_flight_samples: int
    cost: float = 0.0  # Σ SSE/σ² + penalty per segment: compares fits of the same samples
    unit: float = 1.0  # length of one analysis pixel in the trajectory's units (see module docstring)
    ground_drift: bool = False  # its ground segments may drift along gravity (fit_flights)
    # the samples dropped as outliers (times, positions): off every curve, yet still where the
    # object was seen (a body already stopped by the floor while no fit reaches it yet)
    outlier_t_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    outlier_points: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    @property
    def down(self) -> np.ndarray:
        """The unit vector along the fit's gravity."""
        return unit_down(self.accel)


def unit_down(accel: np.ndarray) -> np.ndarray:
    """The unit vector along an acceleration (a zero one stays zero rather than dividing by zero)."""
    return accel / (np.linalg.norm(accel) + 1e-12)


# --- noise -------------------------------------------------------------------------------------

def estimate_noise(t: np.ndarray, xy: np.ndarray, *, unit: float = 1.0) -> float:
    """Position noise from third differences of consecutive samples (zero for a parabola), mean over axes."""
    dt = np.diff(t)
    if len(t) < 6:
        return 0.3 * unit
    step = np.median(dt)
    ok = np.abs(dt - step) < 0.25 * step
    run = ok[:-2] & ok[1:-1] & ok[2:]
    d3 = np.diff(xy, n=3, axis=0)[run]
    if len(d3) < 3:
        return 0.3 * unit
    mad = np.median(np.abs(d3 - np.median(d3, axis=0)), axis=0)
    sigma = float(np.mean(1.4826 * mad / np.sqrt(20.0)))
    # centroids also carry slowly varying errors (shading, blur, partial masks) that third
    # differences do not see; a floor keeps the segmentation from chasing them
    return max(sigma, NOISE_FLOOR * unit)


# --- gravity from windows ----------------------------------------------------------------------

def window_gravity(t: np.ndarray, xy: np.ndarray, noise: float, *, fps: float, unit: float = 1.0
                   ) -> np.ndarray | None:
    """First estimate of the gravity vector (units/s²) from clean parabolic windows (the best
    supported of `gravity_candidates`), or None."""
    found = gravity_candidates(t, xy, noise, fps=fps, unit=unit)
    return found[0] if found else None


def gravity_candidates(t: np.ndarray, xy: np.ndarray, noise: float, *, fps: float, unit: float = 1.0
                       ) -> list[np.ndarray]:
    """Estimates of the gravity vector (units/s²) from clean parabolic windows, best supported first.

    Windows of several lengths slide along the track; those that straddle a contact fit a single
    parabola badly and are skipped, those at rest show no gravity and are skipped too. Each
    estimate is a weighted median of one cluster of consistent windows that trusts long windows
    most (the error of a fitted acceleration falls like span⁻²): the cluster of all windows, and
    where it differs, that of the windows with the strongest downward acceleration. Long windows
    on a slow roll or slide can outweigh the short windows of a fast fall with a small, noisy
    downward curve of their own; the caller decides between the two by how well each explains
    the whole track.
    """
    n = len(t)
    accs, weights = [], []
    for length in (5, 8, 12, 18, 27, 40):
        if length > n:
            break
        step = max(1, length // 4)
        for i in range(0, n - length + 1, step):
            tt = t[i : i + length]
            if tt[-1] - tt[0] > 1.5 * (length - 1) / fps:
                continue  # gap inside the window
            tau = tt - tt.mean()
            basis = np.stack([np.ones_like(tau), tau, tau**2], 1)
            coef, *_ = np.linalg.lstsq(basis, xy[i : i + length], rcond=None)
            # per axis of the picture plane (two axes), whatever D: motion in depth adds no noise here
            rms = float(np.sqrt(np.mean(np.sum((xy[i : i + length] - basis @ coef) ** 2, axis=1)) / 2.0))
            if rms > 2.0 * noise + 0.05 * unit:
                continue
            a = 2.0 * coef[2]
            span = tau[-1] - tau[0]
            if np.linalg.norm(a) * span**2 / 8.0 < 4.0 * noise:
                continue  # the acceleration does not show above the noise over this window
            accs.append(a)
            weights.append(length * span**4)
    if not accs:
        return []
    accs, weights = np.array(accs), np.array(weights)
    # this also rules out a rolling or sliding object's sideways deceleration
    down = points_down(accs)
    accs, weights = accs[down], weights[down]
    if not len(accs):
        return []
    found = [_cluster(accs, weights)]
    # an object in free flight shows the strongest downward acceleration of its whole track (a
    # support only takes some away): the cluster of the strongest windows is the other candidate
    strong = accs[:, 1] >= 0.5 * np.percentile(accs[:, 1], 90)
    other = _cluster(accs[strong], weights[strong])
    if np.linalg.norm(other - found[0]) >= 0.15 * np.linalg.norm(found[0]):
        found.append(other)
    return found


def points_down(accel: np.ndarray) -> np.ndarray:
    """Whether each acceleration (..., D), axis 1 down the picture, can be gravity: it points down
    the picture, within ~35° (a camera is not expected to be tilted further)."""
    accel = np.asarray(accel, dtype=np.float64)
    return accel[..., 1] > 1.4 * np.linalg.norm(np.delete(accel, 1, axis=-1), axis=-1)


def _cluster(accs: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted median of the consistent cluster (within 15 %) around the windows' weighted median."""
    est = np.array([weighted_median(accs[:, ax], weights) for ax in range(accs.shape[1])])
    for _ in range(3):  # keep the consistent cluster (windows on gravity, not on odd motion)
        close = np.linalg.norm(accs - est, axis=1) < 0.15 * np.linalg.norm(est)
        if not close.any():
            break
        est = np.array([weighted_median(accs[close, ax], weights[close]) for ax in range(accs.shape[1])])
    return est


def weighted_median(x: np.ndarray, w: np.ndarray) -> float:
    """The value of `x` below which half of the total weight `w` lies."""
    order = np.argsort(x)
    cw = np.cumsum(w[order])
    return float(x[order][np.searchsorted(cw, 0.5 * cw[-1])])


# --- segment costs -----------------------------------------------------------------------------

def _flight_costs(t: np.ndarray, xy: np.ndarray, accel: np.ndarray) -> np.ndarray:
    """(N, N) SSE of a fixed-acceleration fit on samples i..j (upper triangle, j ≥ i + 1)."""
    n = len(t)
    out = np.full((n, n), np.inf)
    for i in range(n - 1):
        tau = t[i:] - t[i]
        r = xy[i:] - 0.5 * accel[None, :] * tau[:, None] ** 2
        c = np.cumsum
        s0 = np.arange(1, len(tau) + 1, dtype=np.float64)
        s1, s2 = c(tau), c(tau**2)
        det = s0 * s2 - s1**2
        sse = np.zeros(len(tau))
        for ax in range(xy.shape[1]):
            sr, srt, srr = c(r[:, ax]), c(r[:, ax] * tau), c(r[:, ax] ** 2)
            with np.errstate(divide="ignore", invalid="ignore"):
                proj = (s2 * sr**2 - 2 * s1 * sr * srt + s0 * srt**2) / det
            sse += srr - proj
        sse[0] = np.inf
        out[i, i:] = np.maximum(np.nan_to_num(sse, nan=np.inf), 0.0)
    return out


def across_basis(down: np.ndarray) -> np.ndarray:
    """(D − 1, D) orthonormal directions perpendicular to the unit vector `down` (D = 2 or 3)."""
    if down.shape == (2,):
        return np.array([[-down[1], down[0]]])
    # the complement's basis from a QR of [down | I]: its first column spans down
    q, _ = np.linalg.qr(np.column_stack([down, np.eye(len(down))]))
    return q[:, 1 : len(down)].T


def _ground_costs(t: np.ndarray, xy: np.ndarray, down: np.ndarray, drift: bool = False) -> np.ndarray:
    """(N, N) SSE of the ground model on samples i..j: constant along `down` (with `drift`: linear
    from GROUND_DRIFT_MIN_SAMPLES samples on), quadratic across it."""
    n = len(t)
    q = xy @ down
    p = xy @ across_basis(down).T  # (N, D − 1)
    out = np.full((n, n), np.inf)
    for i in range(n - 1):
        tau = t[i:] - t[i]
        c = np.cumsum
        s0 = np.arange(1, len(tau) + 1, dtype=np.float64)
        sq, sqq = c(q[i:]), c(q[i:] ** 2)
        level = sqq - sq**2 / s0
        sse_q = np.where(s0 >= GROUND_DRIFT_MIN_SAMPLES, _line_sse(tau, q[i:]), level) if drift else level
        sse_p = sum(_quad_sse(tau, p[i:, k]) for k in range(p.shape[1]))
        sse = sse_q + sse_p
        sse[0] = np.inf
        out[i, i:] = np.maximum(np.nan_to_num(sse, nan=np.inf), 0.0)
    return out


def _line_sse(tau: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Running SSE of a straight-line least-squares fit on y[:k+1] for every k."""
    c = np.cumsum
    s0 = np.arange(1, len(tau) + 1, dtype=np.float64)
    st, stt, sy, syy, sty = c(tau), c(tau**2), c(y), c(y**2), c(tau * y)
    det = s0 * stt - st**2
    with np.errstate(divide="ignore", invalid="ignore"):
        proj = (stt * sy**2 - 2 * st * sy * sty + s0 * sty**2) / det
    out = syy - proj
    out[:2] = 0.0  # one or two samples: on their line
    return out


def _quad_sse(tau: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Running SSE of a quadratic least-squares fit on y[:k+1] for every k (NaN/inf where underdetermined)."""
    c = np.cumsum
    m = np.stack([c(tau**k) for k in range(5)])  # (5, K)
    m[0] = np.arange(1, len(tau) + 1)
    b = np.stack([c(y * tau**k) for k in range(3)])  # (3, K)
    mat = np.stack([np.stack([m[r + s] for s in range(3)], -1) for r in range(3)], -2)  # (K, 3, 3)
    rhs = b.T[..., None]  # (K, 3, 1)
    out = np.full(len(tau), np.inf)
    ok = np.arange(len(tau)) >= 2
    if ok.any():
        with np.errstate(all="ignore"):
            sol = np.linalg.solve(mat[ok] + 1e-12 * np.eye(3), rhs[ok])[..., 0]
        out[ok] = c(y**2)[ok] - np.einsum("kj,kj->k", sol, b.T[ok])
    out[1] = 0.0  # two samples: a line through them (underdetermined quadratic, zero residual)
    return out


# --- dynamic programming -----------------------------------------------------------------------

def segment_trajectory(cost_flight: np.ndarray, cost_ground: np.ndarray, *, noise: float,
                       penalty: float) -> list[tuple[int, int, str]]:
    """Optimal cut into segments minimising Σ (SSE/σ² + penalty). → [(i0, i1, kind)]."""
    n = cost_flight.shape[0]
    var = noise**2
    with np.errstate(over="ignore"):
        cost = np.minimum(cost_flight, cost_ground) / var + penalty
    # flight only where it fits clearly better: two or three samples at rest fit both models to
    # rounding error, and the choice must not depend on the units the positions are in
    kind = np.where(cost_flight < cost_ground - 1e-9 * var, 0, 1)
    best = np.full(n + 1, np.inf)  # best[j]: cost of samples 0..j-1
    best[0] = 0.0
    arg = np.zeros(n + 1, dtype=int)
    for j in range(2, n + 1):
        cand = best[: j - 1] + cost[: j - 1, j - 1]
        i = int(np.argmin(cand))
        best[j], arg[j] = cand[i], i
    if not np.isfinite(best[n]):
        return [(0, n - 1, FLIGHT)] if n >= 2 else []
    segs = []
    j = n
    while j > 0:
        i = arg[j]
        segs.append((i, j - 1, FLIGHT if kind[i, j - 1] == 0 else GROUND))
        j = i
    return segs[::-1]


def _segmentation_cost(t: np.ndarray, xy: np.ndarray, accel: np.ndarray, *, noise: float, penalty: float) -> float:
    """Σ (SSE/σ² + penalty) of the optimal segmentation of the track under gravity `accel`, with the
    drifting ground model: it chooses between gravity candidates, and a roll must never vote for one."""
    down = unit_down(accel)
    cf, cg = _flight_costs(t, xy, accel), _ground_costs(t, xy, down, drift=True)
    spans = segment_trajectory(cf, cg, noise=noise, penalty=penalty)
    return float(sum(min(cf[i0, i1], cg[i0, i1]) / noise**2 + penalty for i0, i1, _ in spans))


# --- fits --------------------------------------------------------------------------------------

def fit_segment(t: np.ndarray, xy: np.ndarray, i0: int, i1: int, kind: str, accel: np.ndarray,
                noise: float, drift: bool = False) -> Segment:
    tt, pp = t[i0 : i1 + 1], xy[i0 : i1 + 1]
    t0 = float(tt.mean())
    tau = tt - t0
    cov = np.zeros((xy.shape[1], 2, 2))
    if kind == FLIGHT:
        c2 = 0.5 * accel
        r = pp - c2[None, :] * tau[:, None] ** 2
        basis = np.stack([np.ones_like(tau), tau], 1)
        coef, *_ = np.linalg.lstsq(basis, r, rcond=None)
        c0, c1 = coef[0], coef[1]
        fitted = basis @ coef + c2[None, :] * tau[:, None] ** 2
        if len(tt) >= 2:
            inv = np.linalg.pinv(basis.T @ basis) * noise**2
            cov[:] = inv[None]
    else:
        down = unit_down(accel)
        across = across_basis(down)  # (D − 1, D)
        q = pp @ down
        qc = np.polyfit(tau, q, 1) if drift and len(tt) >= GROUND_DRIFT_MIN_SAMPLES else np.array([0.0, q.mean()])
        p = pp @ across.T
        deg = min(2, len(tt) - 1)
        pc = np.polyfit(tau, p, deg) if len(tt) > 1 else p[:1]  # (deg + 1, D − 1), highest power first
        pc = np.concatenate([np.zeros((3 - len(pc), p.shape[1])), pc])  # rows: a2, a1, a0
        c0 = qc[1] * down + pc[2] @ across
        c1 = qc[0] * down + pc[1] @ across
        c2 = pc[0] @ across
        fitted = c0 + c1 * tau[:, None] + c2 * tau[:, None] ** 2
        basis = np.stack([np.ones_like(tau), tau], 1)
        inv = np.linalg.pinv(basis.T @ basis) * noise**2
        cov[:] = inv[None]
    rms = float(np.sqrt(np.mean(np.sum((pp - fitted) ** 2, axis=1)))) if len(tt) else 0.0
    return Segment(kind, i0, i1, t0, np.asarray(c0, float), np.asarray(c1, float), np.asarray(c2, float), cov, rms)


def joint_gravity(t: np.ndarray, xy: np.ndarray, spans: list[tuple[int, int, str]],
                  min_len: int = 3) -> tuple[np.ndarray, float, int] | None:
    """Least squares of one shared acceleration + per-segment start/velocity over flight segments.

    → (accel (D,), its standard error, number of samples used), or None if too little flight.
    """
    flights = [(i0, i1) for i0, i1, k in spans if k == FLIGHT and i1 - i0 + 1 >= min_len]
    if not flights:
        return None
    m = sum(i1 - i0 + 1 for i0, i1 in flights)
    ncol = 1 + 2 * len(flights)
    est = []
    sse = 0.0
    dof = 0
    for ax in range(xy.shape[1]):
        rows = np.zeros((m, ncol))
        y = np.zeros(m)
        r = 0
        for s, (i0, i1) in enumerate(flights):
            tau = t[i0 : i1 + 1] - t[i0 : i1 + 1].mean()
            k = len(tau)
            rows[r : r + k, 0] = 0.5 * tau**2
            rows[r : r + k, 1 + 2 * s] = 1.0
            rows[r : r + k, 2 + 2 * s] = tau
            y[r : r + k] = xy[i0 : i1 + 1, ax]
            r += k
        coef, *_ = np.linalg.lstsq(rows, y, rcond=None)
        resid = y - rows @ coef
        sse += float(resid @ resid)
        dof += m - ncol
        est.append((coef[0], rows))
    accel = np.array([e[0] for e in est])
    if dof <= 0:
        return None
    var = sse / dof
    cov = np.linalg.pinv(est[0][1].T @ est[0][1]) * var
    sigma = float(np.sqrt(max(cov[0, 0], 0.0)))
    return accel, sigma, m


def fit_flights(t: np.ndarray, xy: np.ndarray, *, fps: float, penalty: float = 30.0,
                noise: float | None = None, iterations: int = 4, unit: float = 1.0,
                ground_drift: bool = False, start: np.ndarray | None = None,
                refine_gravity: bool = True) -> FlightFit | None:
    """Segment and fit one trajectory. t: (N,) s, xy: (N, D) points. None if no gravity can be seen.

    noise: the position noise if known (else estimated); unit: see the module docstring;
    ground_drift: ground segments may drift along gravity (a picture's trajectory, see above);
    start: the gravity to start from (default: the best of `gravity_candidates`);
    refine_gravity: False holds the gravity at `start` (the segments are still refitted; its
    `accel_sigma` stays infinite: that gravity was imposed, not measured).

    Samples far from their segment's curve (a motion-blurred contact frame, a partly hidden blob)
    are dropped as outliers and the segmentation is redone.
    """
    n = len(t)
    if n < 5:
        return None
    noise = noise if noise is not None else estimate_noise(t, xy, unit=unit)
    if iterations < 1:
        raise ValueError("fit_flights needs at least one iteration")
    candidates = [np.asarray(start, dtype=np.float64)] if start is not None else \
        gravity_candidates(t, xy, noise, fps=fps, unit=unit)
    if not candidates:
        return None
    accel = candidates[0] if len(candidates) == 1 else \
        min(candidates, key=lambda a: _segmentation_cost(t, xy, a, noise=noise, penalty=penalty))
    inl = np.ones(n, bool)
    sigma_a = float("inf")
    spans: list[tuple[int, int, str]] = []
    for it in range(iterations):
        ti, pi = t[inl], xy[inl]
        down = unit_down(accel)
        spans = segment_trajectory(_flight_costs(ti, pi, accel), _ground_costs(ti, pi, down, ground_drift),
                                   noise=noise, penalty=penalty)
        jg = joint_gravity(ti, pi, spans) if refine_gravity else None
        if jg is not None and jg[0][1] > 0:
            accel, sigma_a, _ = jg
        segs = [fit_segment(ti, pi, i0, i1, k, accel, noise, ground_drift) for i0, i1, k in spans]
        idx = np.flatnonzero(inl)
        resid = np.zeros(len(ti))
        for s in segs:
            resid[s.i0 : s.i1 + 1] = np.linalg.norm(pi[s.i0 : s.i1 + 1] - s.pos(ti[s.i0 : s.i1 + 1]), axis=1)
        bad = resid > max(4.0 * noise, 0.5 * unit)
        for s in segs:  # outliers are exceptions: a segment mostly off its curve is a misfit, not outliers
            if bad[s.i0 : s.i1 + 1].mean() > 0.5:
                bad[s.i0 : s.i1 + 1] = False
        if not bad.any() or it == iterations - 1:
            break
        if inl.sum() - bad.sum() < 5:
            break
        inl[idx[bad]] = False
    # every exit above leaves ti, pi, segs fitted on the final inliers
    n_flight = sum(s.n for s in segs if s.kind == FLIGHT)
    sse = sum(float(np.sum((pi[s.i0 : s.i1 + 1] - s.pos(ti[s.i0 : s.i1 + 1])) ** 2)) for s in segs)
    cost = sse / noise**2 + penalty * len(segs) + 16.0 * float((~inl).sum())  # an outlier costs 4σ²
    return FlightFit(np.asarray(accel, float), sigma_a, segs, inl, ti, pi, noise, n_flight, cost, unit,
                     ground_drift, t[~inl], xy[~inl])


def better_start(fit: FlightFit, t: np.ndarray, xy: np.ndarray, *, fps: float, penalty: float,
                 accept: Callable[[FlightFit], bool]) -> FlightFit:
    """`fit` (of samples t, xy), or the first refit from another of `gravity_candidates` that the
    caller accepts and that explains the track at least as well (cost ≤ `fit`'s).

    `fit_flights` starts from the candidate whose first segmentation explains the track best, but a
    few windows of odd motion can win that vote while, once refined, another start fits better."""
    for start in gravity_candidates(t, xy, fit.noise, fps=fps, unit=fit.unit):
        alt = fit_flights(t, xy, fps=fps, penalty=penalty, noise=fit.noise, unit=fit.unit,
                          ground_drift=fit.ground_drift, start=start)
        if alt is not None and alt.cost <= fit.cost and accept(alt):
            return alt
    return fit
