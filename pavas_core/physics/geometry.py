"""Pinhole geometry without a depth network: focal length, motion in depth, metric scale.

Camera frame: x right, y down, z forward (OpenCV). An object at depth Z seen at pixel (u, v) is at
X = (u − cx)·Z/f, Y = (v − cy)·Z/f. Without depth sensing, Z/f (metres per pixel at the object) is
what a gravity fit measures: free fall accelerates at g, which the image shows as a_px = g·f/Z
pixels/s², so metres-per-pixel = g / a_px — independent of the focal length. The focal length
(given, or from an assumed field of view) then only sets Z itself.

Motion in depth changes the apparent size (Z ∝ 1/size). When the size changes significantly and
steadily over a track, positions are rescaled to a common reference depth before fitting, so that
the parabolas stay parabolas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

ASSUMED_HFOV_DEG = 60.0


def focal_from_fov(width_px: int, hfov_deg: float = ASSUMED_HFOV_DEG) -> float:
    """Focal length (px) of a pinhole camera with this horizontal field of view."""
    return 0.5 * width_px / math.tan(math.radians(hfov_deg) / 2.0)


@dataclass(frozen=True)
class DepthModel:
    """Relative depth s(t) = Z(t) / Z_ref = 1 + rate_per_s·(t − t_ref); rate 0 when not measurable."""

    t_ref_s: float
    rate_per_s: float
    active: bool

    def scale(self, t_s: np.ndarray | float) -> np.ndarray:
        return 1.0 + self.rate_per_s * (np.asarray(t_s, dtype=np.float64) - self.t_ref_s)


def fit_depth_model(t_s: np.ndarray, size_px: np.ndarray, *, min_change: float = 0.04,
                    min_significance: float = 5.0) -> DepthModel:
    """Linear model of 1/size over time (robust): the object moves steadily in depth if it is significant."""
    t = np.asarray(t_s, dtype=np.float64)
    q = 1.0 / np.maximum(np.asarray(size_px, dtype=np.float64), 0.5)
    t_ref = float(t.mean()) if len(t) else 0.0
    if len(t) < 8 or t.max() - t.min() <= 0:
        return DepthModel(t_ref, 0.0, False)
    keep = np.ones(len(t), bool)
    coef = np.array([0.0, float(np.median(q))])
    for _ in range(3):
        coef = np.polyfit(t[keep] - t_ref, q[keep], 1)
        res = q - np.polyval(coef, t - t_ref)
        mad = 1.4826 * np.median(np.abs(res[keep])) + 1e-9
        keep = np.abs(res) < 3.0 * mad
        if keep.sum() < 6:
            return DepthModel(t_ref, 0.0, False)
    slope, q_ref = float(coef[0]), float(coef[1])
    res = q[keep] - np.polyval(coef, t[keep] - t_ref)
    tt = t[keep] - t_ref
    se = float(np.sqrt(np.sum(res**2) / max(keep.sum() - 2, 1) / max(np.sum((tt - tt.mean()) ** 2), 1e-12)))
    change = abs(slope) * (t.max() - t.min()) / max(q_ref, 1e-9)
    active = change >= min_change and abs(slope) >= min_significance * se and q_ref > 0
    return DepthModel(t_ref, slope / q_ref if active else 0.0, bool(active))


@dataclass(frozen=True)
class MetricScale:
    """Metres per pixel of the analysis grid at an object's reference depth, and where it came from."""

    meters_per_px: float
    source: str  # gravity | size_prior | user
    detail: str = ""
