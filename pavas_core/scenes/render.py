"""Rendering of synthetic scenes: shaded spheres / boxes over the textured background.

Each object is drawn with analytic anti-aliased coverage, Lambert + Blinn shading, and optional
motion blur (the exposure is sampled at several instants centred on the frame time, so the blurred
blob stays centred on the true position). Camera shake translates the whole image by a recorded
sub-pixel offset. Gaussian sensor noise is added before quantisation to uint8.

The same analytic coverage gives the ground-truth masks: `render_frame_and_coverage` returns each
object's blurred coverage as it composites it, `frame_coverage` computes it without drawing, and
`owned_masks` turns the coverages of one frame into the pixels each object owns (see there).
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


@dataclass(frozen=True)
class Coverage:
    """How much of each pixel one object covers in one frame, averaged over the exposure samples.

    `alpha` (h, w) float32 in [0, 1], placed at (y0, x0) of the picture (the crop is clipped to it).
    This is the opacity the renderer composites the object with.
    """

    y0: int
    x0: int
    alpha: np.ndarray


def _sample_alpha(shape: str, ox: np.ndarray, oy: np.ndarray, r: np.float32) -> np.ndarray:
    """Analytic anti-aliased coverage of one exposure sample: ox (1, w), oy (h, 1) pixel-centre offsets
    from the projected centre, r the projected radius (half side for a box) → (h, w) in [0, 1].

    A pixel is at least half covered (≥ 0.5) exactly where its centre lies inside the shape."""
    if shape == "sphere":
        return np.clip(r - np.sqrt(ox**2 + oy**2) + 0.5, 0.0, 1.0)
    return np.clip(r - np.abs(ox) + 0.5, 0.0, 1.0) * np.clip(r - np.abs(oy) + 0.5, 0.0, 1.0)


def _crop_bounds(centers_px: np.ndarray, radii_px: np.ndarray, width: int, height: int
                 ) -> tuple[int, int, int, int] | None:
    """(u_lo, u_hi, v_lo, v_hi) of the pixels the exposure samples can touch, clipped to the picture."""
    pad = float(radii_px.max()) + 2.0
    u_lo = max(int(np.floor(centers_px[:, 0].min() - pad)), 0)
    u_hi = min(int(np.ceil(centers_px[:, 0].max() + pad)), width)
    v_lo = max(int(np.floor(centers_px[:, 1].min() - pad)), 0)
    v_hi = min(int(np.ceil(centers_px[:, 1].max() + pad)), height)
    if u_lo >= u_hi or v_lo >= v_hi:
        return None
    return u_lo, u_hi, v_lo, v_hi


def _pixel_centres(bounds: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    u_lo, u_hi, v_lo, v_hi = bounds
    return (np.arange(u_lo, u_hi, dtype=np.float32) + 0.5, np.arange(v_lo, v_hi, dtype=np.float32) + 0.5)


def object_coverage(centers_px: np.ndarray, radii_px: np.ndarray, shape: str, *, width: int, height: int
                    ) -> Coverage | None:
    """The object's blurred coverage without drawing it (the same alpha `_draw_samples` composites).

    centers_px: (S, 2) projected centres (u, v) at the S exposure instants; radii_px: (S,).
    None when no pixel of the picture can be touched."""
    bounds = _crop_bounds(centers_px, radii_px, width, height)
    if bounds is None:
        return None
    xs, ys = _pixel_centres(bounds)
    acc_a = np.zeros((ys.size, xs.size), np.float32)
    for (cu, cv), r in zip(centers_px, radii_px):
        acc_a += _sample_alpha(shape, (xs - np.float32(cu))[None, :], (ys - np.float32(cv))[:, None], np.float32(r))
    acc_a /= np.float32(len(radii_px))
    return Coverage(bounds[2], bounds[0], acc_a)


def _draw_samples(
    frame: np.ndarray, centers_px: np.ndarray, radii_px: np.ndarray, look: Appearance
) -> Coverage | None:
    """Composite one object, blurred over its exposure samples, into `frame` (H, W, 3) in place.

    centers_px: (S, 2) projected centres (u, v) at the S exposure instants; radii_px: (S,).
    Returns the coverage it was composited with (None when it missed the picture).
    """
    h, w = frame.shape[:2]
    bounds = _crop_bounds(centers_px, radii_px, w, h)
    if bounds is None:
        return None
    u_lo, u_hi, v_lo, v_hi = bounds
    xs, ys = _pixel_centres(bounds)
    color = np.asarray(look.color_rgb, dtype=np.float32)
    acc_rgb = np.zeros((ys.size, xs.size, 3), np.float32)
    acc_a = np.zeros((ys.size, xs.size), np.float32)
    for (cu, cv), r in zip(centers_px, radii_px):
        ox = (xs - np.float32(cu))[None, :]
        oy = (ys - np.float32(cv))[:, None]
        r = np.float32(r)
        alpha = _sample_alpha(look.shape, ox, oy, r)
        if look.shape == "sphere":
            nx, ny = ox / r, oy / r
            nz = -np.sqrt(np.clip(1.0 - nx**2 - ny**2, 0.0, 1.0))
            lam = np.clip(nx * _LIGHT[0] + ny * _LIGHT[1] + nz * _LIGHT[2], 0.0, 1.0)
            spec = np.clip(nx * _HALF[0] + ny * _HALF[1] + nz * _HALF[2], 0.0, 1.0) ** 40
            shade = (0.3 + 0.75 * lam)[..., None] * color + (look.specular * spec)[..., None]
        else:
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
    return Coverage(v_lo, u_lo, acc_a)


def draw_order(objects: list[tuple[Appearance, np.ndarray]]) -> list[int]:
    """Indices of `objects` (appearance, positions (S, 3)) far to near: the order they are composited
    in (mean depth over the exposure; equal depths in list order, the later one on top)."""
    return sorted(range(len(objects)), key=lambda i: -float(objects[i][1][:, 2].mean()))


def _projection(camera: PinholeCamera, offset_px: tuple[float, float], look: Appearance, pos: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray] | None:
    """(centres (S, 2) px with the shake offset, radii (S,) px), or None when any sample is behind
    or at the camera (such an object is not drawn)."""
    if np.any(pos[:, 2] <= 0.05):
        return None
    uv = camera.project(pos) + np.asarray(offset_px)[None, :]
    radii = camera.focal_px * look.radius_m / pos[:, 2]
    return uv, radii


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
    return render_frame_and_coverage(background_padded, camera=camera, margin_px=margin_px,
                                     offset_px=offset_px, objects=objects)[0]


def render_frame_and_coverage(
    background_padded: np.ndarray,
    *,
    camera: PinholeCamera,
    margin_px: int,
    offset_px: tuple[float, float],
    objects: list[tuple[Appearance, np.ndarray]],
) -> tuple[np.ndarray, list[Coverage | None]]:
    """`render_frame` plus each object's coverage (in the order of `objects`; None where not drawn)."""
    frame = shift_image(background_padded, offset_px, margin_px=margin_px, width=camera.width,
                        height=camera.height).copy()
    coverages: list[Coverage | None] = [None] * len(objects)
    for i in draw_order(objects):
        look, pos = objects[i]
        proj = _projection(camera, offset_px, look, pos)
        if proj is not None:
            coverages[i] = _draw_samples(frame, proj[0], proj[1], look)
    return frame, coverages


def frame_coverage(
    *, camera: PinholeCamera, offset_px: tuple[float, float], objects: list[tuple[Appearance, np.ndarray]]
) -> list[Coverage | None]:
    """Each object's coverage in one frame without drawing the picture (same values as
    `render_frame_and_coverage`)."""
    out: list[Coverage | None] = []
    for look, pos in objects:
        proj = _projection(camera, offset_px, look, pos)
        out.append(None if proj is None else object_coverage(proj[0], proj[1], look.shape, width=camera.width,
                                                             height=camera.height))
    return out


def owned_masks(coverages: list[Coverage | None], order: list[int]) -> list[tuple[int, int, np.ndarray] | None]:
    """Which pixels each object owns in the composited picture → per object (y0, x0, bool crop) or None.

    coverages: per object (any order); order: the draw order, far to near (`draw_order`). Compositing
    far to near gives object i the share w_i = a_i · ∏ (1 − a_j) of a pixel's colour, the product over
    the objects j drawn after (nearer than) i. Object i owns the pixel where w_i ≥ 0.5, i.e. where at
    least half of what the pixel shows is that object; the shares add up to at most 1, so two objects
    can both reach 0.5 only in an exact tie, which the nearer one wins.
    """
    out: list[tuple[int, int, np.ndarray] | None] = [None] * len(coverages)
    claimed: list[tuple[int, int, np.ndarray]] = []  # masks of the nearer objects already decided
    for pos, i in reversed(list(enumerate(order))):  # near to far
        c = coverages[i]
        if c is None:
            continue
        share = c.alpha.copy()
        h, w = share.shape
        for j in order[pos + 1:]:  # everything composited over i
            cj = coverages[j]
            if cj is None:
                continue
            sl_i, sl_j = _overlap((c.y0, c.x0, h, w), (cj.y0, cj.x0) + cj.alpha.shape)
            if sl_i is not None:
                share[sl_i] *= 1.0 - cj.alpha[sl_j]
        mask = share >= 0.5
        for y0, x0, m in claimed:
            sl_i, sl_j = _overlap((c.y0, c.x0, h, w), (y0, x0) + m.shape)
            if sl_i is not None:
                mask[sl_i] &= ~m[sl_j]
        claimed.append((c.y0, c.x0, mask))
        out[i] = (c.y0, c.x0, mask) if mask.any() else None
    return out


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]
             ) -> tuple[tuple[slice, slice], tuple[slice, slice]] | tuple[None, None]:
    """Slices into crop a (y0, x0, h, w) and crop b of the pixels both cover, or (None, None)."""
    y0, x0 = max(a[0], b[0]), max(a[1], b[1])
    y1, x1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    if y1 <= y0 or x1 <= x0:
        return None, None
    return ((slice(y0 - a[0], y1 - a[0]), slice(x0 - a[1], x1 - a[1])),
            (slice(y0 - b[0], y1 - b[0]), slice(x0 - b[1], x1 - b[1])))


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
