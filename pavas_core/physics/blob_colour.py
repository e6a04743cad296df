"""An object's colour, to cut it out of a blob it shares with something else.

A moving object that passes in front of, or touches, another moving or newly resting object makes
one blob with it; when the two differ in colour, the object's own pixels tell where it is. The
model is the object's chromaticity (the channels' shares of brightness): shading, the sides of a
tumbling box and the camera's exposure change how bright an object is, not its hue, so a box
turning a darker face to the light still fits, while an orange ball in front of a blue box does not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .segmentation import Detection

CHANNEL_NOISE_DN = 3.0  # per-channel pixel noise (8-bit) that a dark pixel's chromaticity carries
MIN_MODEL_PIXELS = 20  # fewer interior pixels: no colour model
FIT_QUANTILE = 0.98  # the model's own pixels up to this quantile of distance fit it...
FIT_MARGIN = 1.5  # ... with this margin on the squared distance
MIN_FIT_D2 = 9.0  # and never tighter than 3 standard deviations
DARK_SUM_DN = 30.0  # channel sums below this have no usable hue


def _chroma(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, 2) chromaticity (r and g shares) of (N, 3) pixels, and each pixel's channel sum."""
    rgb = pixels.astype(np.float64).reshape(-1, 3)
    total = np.maximum(rgb.sum(axis=1), DARK_SUM_DN)
    return rgb[:, :2] / total[:, None], total


@dataclass
class ColourModel:
    """A Gaussian in chromaticity with a distance threshold its own pixels meet."""

    mean: np.ndarray  # (2,)
    cov: np.ndarray  # (2, 2)
    fit_d2: float  # squared Mahalanobis distance up to which a pixel is the object's

    def distance2(self, pixels: np.ndarray) -> np.ndarray:
        """Squared Mahalanobis distance of each pixel (..., 3) from the model, with each pixel's own
        chromaticity noise (a dark pixel's hue is uncertain) added to the spread."""
        c, total = _chroma(pixels)
        sigma = CHANNEL_NOISE_DN / total
        d = c - self.mean
        a = self.cov[0, 0] + sigma**2
        b = self.cov[0, 1]
        e = self.cov[1, 1] + sigma**2
        det = a * e - b * b
        d2 = (e * d[:, 0] ** 2 - 2.0 * b * d[:, 0] * d[:, 1] + a * d[:, 1] ** 2) / det
        return d2.reshape(pixels.shape[:-1])


def _interior_pixels(det: Detection) -> np.ndarray | None:
    """The blob's pixels away from its outline (edge pixels mix the object with what is behind it)."""
    if det.mask is None or det.rgb is None:
        return None
    inner = ndimage.binary_erosion(det.mask, structure=np.ones((3, 3), bool))
    if inner.sum() < MIN_MODEL_PIXELS:
        inner = det.mask
    return det.rgb[inner]


def colour_model(dets: list[Detection]) -> ColourModel | None:
    """The colour of an object seen alone in `dets`, or None when too few pixels are known."""
    parts = [p for p in (_interior_pixels(d) for d in dets) if p is not None and len(p)]
    if not parts:
        return None
    pixels = np.concatenate(parts)
    if len(pixels) < MIN_MODEL_PIXELS:
        return None
    c, _ = _chroma(pixels)
    mean = c.mean(axis=0)
    cov = np.cov(c.T) + np.eye(2) * 1e-6
    model = ColourModel(mean, cov, 0.0)
    own = model.distance2(pixels)
    model.fit_d2 = max(MIN_FIT_D2, FIT_MARGIN * float(np.quantile(own, FIT_QUANTILE)))
    return model


def separable(a: ColourModel, b: ColourModel) -> bool:
    """Whether two objects' colours tell their pixels apart: each mean lies outside the other's fit."""
    def d2(m: ColourModel, x: np.ndarray) -> float:
        d = x - m.mean
        return float(d @ np.linalg.solve(m.cov, d))

    return d2(a, b.mean) > a.fit_d2 and d2(b, a.mean) > b.fit_d2


def split_pixels(det: Detection, a: tuple[ColourModel, np.ndarray], b: tuple[ColourModel, np.ndarray]
                 ) -> tuple[Detection | None, Detection | None]:
    """(a's part, b's part) of a blob two objects of different colours share: each pixel goes to
    the model it fits better (distance in units of each model's own fit), each part is its
    connected region nearest its object's expected place (model, expected (u, v))."""
    if det.mask is None or det.rgb is None:
        return None, None
    to_a = det.mask & (a[0].distance2(det.rgb) / a[0].fit_d2 <= b[0].distance2(det.rgb) / b[0].fit_d2)
    return nearest_region(det, to_a, a[1]), nearest_region(det, det.mask & ~to_a, b[1])


def nearest_region(det: Detection, keep: np.ndarray, near_uv: np.ndarray) -> Detection | None:
    """The connected region of `keep` nearest `near_uv`, in units of its own radius (a big part
    slightly further off beats a speck right on the prediction), holes filled."""
    labels, n = ndimage.label(keep, structure=np.ones((3, 3), bool))
    if n == 0:
        return None
    y0, x0 = det.mask_origin
    sizes = ndimage.sum(keep, labels, index=np.arange(1, n + 1))
    centres = ndimage.center_of_mass(keep, labels, index=np.arange(1, n + 1))
    costs = [float(np.hypot(x0 + cx + 0.5 - near_uv[0], y0 + cy + 0.5 - near_uv[1])) / np.sqrt(max(size, 1.0) / np.pi)
             for (cy, cx), size in zip(centres, sizes)]
    return det.part(ndimage.binary_fill_holes(labels == 1 + int(np.argmin(costs))))


FOREIGN_MIN_THICKNESS_PX = 5  # a region of another colour at least this thick is another object


def own_pixels(det: Detection, model: ColourModel, near_uv: np.ndarray, *,
               min_foreign_px: float = 0.0) -> Detection | None:
    """The part of `det` left when the regions of another colour are taken out: the connected part
    nearest `near_uv` (where the object is expected), holes filled. Only thick regions go: the
    object's own outline blends with what is behind it (and with its motion blur) in a rim a pixel
    or two wide that fits no colour, and cutting it off on one side would shift the centroid.
    None when nothing is left, or fewer than `min_foreign_px` pixels are of another colour."""
    if det.mask is None or det.rgb is None:
        return None
    foreign = det.mask & (model.distance2(det.rgb) > model.fit_d2)
    if min_foreign_px > 0 and foreign.sum() < min_foreign_px:
        return None
    k = FOREIGN_MIN_THICKNESS_PX
    foreign = ndimage.binary_opening(foreign, structure=np.ones((k, k), bool))
    return nearest_region(det, det.mask & ~foreign, near_uv)
