"""Rendering of synthetic scenes: shaded spheres / boxes over the textured background.

Each object is drawn with analytic anti-aliased coverage, Lambert + Blinn shading, and optional
motion blur (the exposure is sampled at several instants centred on the frame time, so the blurred
blob stays centred on the true position). Camera shake translates the whole image by a recorded
sub-pixel offset. Gaussian sensor noise is added before quantisation to uint8.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .camera import PinholeCamera

_LIGHT = np.array([-0.45, -0.7, -0.55])
_LIGHT /= np.linalg.norm(_LIGHT)
_HALF = _LIGHT + np.array([0.0, 0.0, -1.0])
_HALF /= np.linalg.norm(_HALF)


@dataclass(frozen=True)
class Appearance:
    shape: str  # sphere | box
    radius_m: float  # sphere radius or half the box side
    color_rgb: tuple[float, float, float]
    specular: float


def shift_image(padded: np.ndarray, offset_px: tuple[float, float], *, margin_px: int, width: int,
                height: int) -> np.ndarray:
    """Crop `padded` (H + 2m, W + 2m, C) so that its content appears moved by offset (dx, dy) px (bilinear)."""
    dx, dy = offset_px
    x0, y0 = margin_px - dx, margin_px - dy
    ix, iy = int(np.floor(x0)), int(np.floor(y0))
    fx, fy = np.float32(x0 - ix), np.float32(y0 - iy)
    a = padded[iy : iy + height, ix : ix + width]
    b = padded[iy : iy + height, ix + 1 : ix + 1 + width]
    c = padded[iy + 1 : iy + 1 + height, ix : ix + width]
    d = padded[iy + 1 : iy + 1 + height, ix + 1 : ix + 1 + width]
    return (1 - fy) * ((1 - fx) * a + fx * b) + fy * ((1 - fx) * c + fx * d)


def _draw_samples(
    frame: np.ndarray, centers_px: np.ndarray, radii_px: np.ndarray, look: Appearance
) -> None:
    """Composite one object, blurred over its exposure samples, into `frame` (H, W, 3) in place.

    centers_px: (S, 2) projected centres (u, v) at the S exposure instants; radii_px: (S,).
    """
    h, w = frame.shape[:2]
    r_max = float(radii_px.max())
    pad = r_max + 2.0
    u_lo = int(np.floor(centers_px[:, 0].min() - pad))
    u_hi = int(np.ceil(centers_px[:, 0].max() + pad))
    v_lo = int(np.floor(centers_px[:, 1].min() - pad))
    v_hi = int(np.ceil(centers_px[:, 1].max() + pad))
    u_lo, v_lo = max(u_lo, 0), max(v_lo, 0)
    u_hi, v_hi = min(u_hi, w), min(v_hi, h)
    if u_lo >= u_hi or v_lo >= v_hi:
        return
    xs = np.arange(u_lo, u_hi, dtype=np.float32) + 0.5
    ys = np.arange(v_lo, v_hi, dtype=np.float32) + 0.5
    color = np.asarray(look.color_rgb, dtype=np.float32)
    acc_rgb = np.zeros((ys.size, xs.size, 3), np.float32)
    acc_a = np.zeros((ys.size, xs.size), np.float32)
    for (cu, cv), r in zip(centers_px, radii_px):
        ox = (xs - np.float32(cu))[None, :]
        oy = (ys - np.float32(cv))[:, None]
        r = np.float32(r)
        if look.shape == "sphere":
            dist = np.sqrt(ox**2 + oy**2)
            alpha = np.clip(r - dist + 0.5, 0.0, 1.0)
            nx, ny = ox / r, oy / r
            nz = -np.sqrt(np.clip(1.0 - nx**2 - ny**2, 0.0, 1.0))
            lam = np.clip(nx * _LIGHT[0] + ny * _LIGHT[1] + nz * _LIGHT[2], 0.0, 1.0)
            spec = np.clip(nx * _HALF[0] + ny * _HALF[1] + nz * _HALF[2], 0.0, 1.0) ** 40
            shade = (0.3 + 0.75 * lam)[..., None] * color + (look.specular * spec)[..., None]
        else:
            ax = np.clip(r - np.abs(ox) + 0.5, 0.0, 1.0)
            ay = np.clip(r - np.abs(oy) + 0.5, 0.0, 1.0)
            alpha = ax * ay
            # a lit top face band and darker edges read as a box
            edge = np.minimum(r - np.abs(ox), r - np.abs(oy))
            top = (oy < -0.55 * r).astype(np.float32)
            tone = (0.8 + 0.25 * top) * np.where(edge < 1.2, 0.65, 1.0)
            shade = tone[..., None] * color + look.specular * 0.1
        acc_rgb += alpha[..., None] * shade
        acc_a += alpha
    n = np.float32(len(radii_px))
    acc_rgb /= n
    acc_a /= n
    region = frame[v_lo:v_hi, u_lo:u_hi]
    region *= (1.0 - acc_a)[..., None]
    region += acc_rgb


def render_frame(
    background_padded: np.ndarray,
    *,
    camera: PinholeCamera,
    margin_px: int,
    offset_px: tuple[float, float],
    objects: list[tuple[Appearance, np.ndarray]],
) -> np.ndarray:
    """One frame (H, W, 3) float32 in [0, 1], before noise.

    objects: (appearance, positions (S, 3) of the centre at the S exposure instants), any order;
    they are drawn far to near.
    """
    frame = shift_image(background_padded, offset_px, margin_px=margin_px, width=camera.width,
                        height=camera.height).copy()
    order = sorted(range(len(objects)), key=lambda i: -float(objects[i][1][:, 2].mean()))
    for i in order:
        look, pos = objects[i]
        if np.any(pos[:, 2] <= 0.05):
            continue  # behind or at the camera: not drawn
        uv = camera.project(pos) + np.asarray(offset_px)[None, :]
        radii = camera.focal_px * look.radius_m / pos[:, 2]
        _draw_samples(frame, uv, radii, look)
    return frame


class SensorNoise:
    """Gaussian sensor noise of `sigma_dn` digital numbers, independent in every frame and pixel.

    (A cheaper bank of reused noise pictures would correlate the noise between frames, which image
    alignment then locks onto.)
    """

    def __init__(self, height: int, width: int, *, rng: np.random.Generator, sigma_dn: float) -> None:
        self.shape = (height, width, 3)
        self.rng = rng
        self.sigma = np.float32(sigma_dn)

    def apply(self, frame: np.ndarray) -> np.ndarray:
        """float [0, 1] (H, W, 3) → uint8 with noise."""
        noisy = frame * np.float32(255.0)
        if self.sigma > 0:
            noisy += self.rng.standard_normal(self.shape, dtype=np.float32) * self.sigma
        return np.clip(np.rint(noisy), 0, 255).astype(np.uint8)
