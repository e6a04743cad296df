"""Motion segmentation: moving blobs per frame, robust to sensor noise and small camera shake.

1. Camera shake: the global image translation of every frame against the first one, by phase
   correlation (sub-pixel peak). Below 0.2 px everywhere the camera is taken as static.
2. Background: per-pixel temporal median of up to MAX_BACKGROUND_FRAMES (21) frames aligned on the first one, moved back
   onto each frame's own position.
3. Foreground: colour distance to the background against a hysteresis threshold that grows with
   the background's local gradient (a misregistration of a fraction of a pixel on a textured
   background, or compression noise on its edges, must not look like motion); then closing,
   hole filling and connected components.
Each blob becomes a `Detection` with its centroid, area, a blur-tolerant size (twice the
minor-axis extent: motion blur stretches a blob along its motion only) and mean colour.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from scipy import fft as sfft
from scipy import ndimage

from ..progress import ProgressCallback, report
from .masks import principal_spreads

MAX_BACKGROUND_FRAMES = 21
STATIC_SHIFT_PX = 0.2


@dataclass
class Detection:
    """One moving blob in one frame (analysis pixel grid, shake NOT removed)."""

    frame: int
    u_px: float  # centroid, x right
    v_px: float  # centroid, y down
    area_px: float
    size_px: float  # diameter-equivalent size across the blob's minor axis
    box_xyxy: tuple[float, float, float, float]
    touches_border: bool
    mean_rgb: tuple[float, float, float]
    mask: np.ndarray | None = None  # (h, w) bool: the blob inside its box (for splitting merged blobs)
    mask_origin: tuple[int, int] = (0, 0)  # (y0, x0) of `mask` in the frame
    edge_px: float = 1.0  # distance from the frame edge that counts as touching the border
    frame_size: tuple[int, int] = (0, 0)  # (w, h) of the frame
    rgb: np.ndarray | None = None  # (h, w, 3) uint8: the frame's pixels under `mask`'s box (colour of parts)

    def part(self, keep: np.ndarray) -> "Detection | None":
        """The sub-blob of pixels `keep` (same shape as `mask`), or None if empty; its colour is
        its own pixels' when they are known, else the whole blob's."""
        if self.mask is None:
            return None
        sub = self.mask & keep
        if not sub.any():
            return None
        ys, xs = np.nonzero(sub)
        return _stats(self.frame, ys, xs, self.mask_origin, self.mean_rgb, sub, self.edge_px, self.frame_size,
                      self.rgb)

    def joined(self, other: "Detection") -> "Detection | None":
        """The blob of this part and `other`, another part cut from the same blob (same box and
        origin), or None when they are not parts of one blob."""
        if (self.mask is None or other.mask is None or self.mask.shape != other.mask.shape
                or self.mask_origin != other.mask_origin):
            return None
        union = self.mask | other.mask
        ys, xs = np.nonzero(union)
        return _stats(self.frame, ys, xs, self.mask_origin, self.mean_rgb, union, self.edge_px, self.frame_size,
                      self.rgb)


def _stats(k: int, ys: np.ndarray, xs: np.ndarray, origin: tuple[int, int], rgb: tuple[float, float, float],
           mask: np.ndarray, edge: float, frame_size: tuple[int, int], pixels: np.ndarray | None = None) -> Detection:
    y0, x0 = origin
    if pixels is not None:
        col = pixels[ys, xs].astype(np.float64).mean(axis=0)
        rgb = (float(col[0]), float(col[1]), float(col[2]))
    w, h = frame_size
    a = float(xs.size)
    mx, my = xs.mean(), ys.mean()
    _, smallest = principal_spreads(ys, xs)
    bx0, by0 = x0 + int(xs.min()), y0 + int(ys.min())
    bx1, by1 = x0 + int(xs.max()) + 1, y0 + int(ys.max()) + 1
    return Detection(
        frame=k,
        u_px=float(x0 + mx) + 0.5,  # pixel centres are at +0.5
        v_px=float(y0 + my) + 0.5,
        area_px=a,
        size_px=float(4.0 * np.sqrt(smallest)),
        box_xyxy=(float(bx0), float(by0), float(bx1), float(by1)),
        touches_border=bool(bx0 <= edge or by0 <= edge or bx1 >= w - edge or by1 >= h - edge),
        mean_rgb=rgb,
        mask=mask,
        mask_origin=origin,
        edge_px=edge,
        frame_size=frame_size,
        rgb=pixels,
    )


def detection_from_mask(frame: int, y0: int, x0: int, crop: np.ndarray, *, edge_px: float,
                        frame_size: tuple[int, int]) -> Detection:
    """The blob statistics (centroid, area, size, box, border contact) of any mask: `crop` (h, w)
    bool placed at (y0, x0) of a frame of `frame_size` (w, h). Colour is not known here (zeros)."""
    ys, xs = np.nonzero(crop)
    return _stats(frame, ys, xs, (y0, x0), (0.0, 0.0, 0.0), crop, edge_px, frame_size)


@dataclass
class MotionSegmentation:
    shifts_px: np.ndarray  # (T, 2) image translation (dx, dy) of each frame against frame 0
    camera_static: bool
    noise_sigma_dn: float  # per-channel noise of frame − background, 0..255 units
    detections: list[list[Detection]]  # per frame
    background: np.ndarray  # (H, W, 3) float32, frame-0 coordinates


def _gray(frames_u8: np.ndarray) -> np.ndarray:
    """(..., 3) uint8 → (...) float32 luma."""
    f = frames_u8.astype(np.float32)
    return 0.299 * f[..., 0] + 0.587 * f[..., 1] + 0.114 * f[..., 2]


MAX_SHAKE_FRACTION = 0.06  # camera shake larger than this share of the picture is not looked for


def _phase_shift(spec: np.ndarray, ref_spec: np.ndarray, h: int, w: int) -> tuple[float, float]:
    cross = spec * ref_spec
    cross /= np.abs(cross) + 1e-6
    corr = sfft.irfft2(cross, s=(h, w))
    # only small translations are plausible: look for the peak near zero shift
    reach = max(2, int(MAX_SHAKE_FRACTION * max(h, w)))
    window = np.full(corr.shape, -np.inf)
    ys = np.r_[0 : reach + 1, h - reach : h]
    xs = np.r_[0 : reach + 1, w - reach : w]
    window[np.ix_(ys, xs)] = corr[np.ix_(ys, xs)]
    iy, ix = np.unravel_index(int(np.argmax(window)), corr.shape)
    return _wrap(ix, w) + _subpixel(corr, iy, ix, axis=1), _wrap(iy, h) + _subpixel(corr, iy, ix, axis=0)


def estimate_shifts(frames_u8: np.ndarray) -> np.ndarray:
    """(T, H, W, 3) → (T, 2) translation (dx, dy) of each frame's content against frame 0 (phase correlation).

    A few frames are checked first at half resolution; when none moved by STATIC_SHIFT_PX the
    camera is static and the rest is skipped (all zeros).
    """
    t, h, w = frames_u8.shape[:3]
    out = np.zeros((t, 2))
    if t < 2:
        return out
    h2, w2 = h // 2, w // 2
    probe = np.unique(np.linspace(0, t - 1, min(t, 8)).round().astype(int))
    small = _gray(frames_u8[probe, : 2 * h2, : 2 * w2]).reshape(len(probe), h2, 2, w2, 2).mean(axis=(2, 4))
    win2 = (np.hanning(h2)[:, None] * np.hanning(w2)[None, :]).astype(np.float32)
    ref2 = np.conj(sfft.rfft2((small[0] - small[0].mean()) * win2))
    moved = [np.hypot(*_phase_shift(sfft.rfft2((g - g.mean()) * win2), ref2, h2, w2)) * 2 for g in small[1:]]
    if max(moved, default=0.0) < STATIC_SHIFT_PX:
        return out
    win = (np.hanning(h)[:, None] * np.hanning(w)[None, :]).astype(np.float32)
    ref = _gray(frames_u8[0])
    ref_spec = np.conj(sfft.rfft2((ref - ref.mean()) * win))
    for k in range(1, t):
        g = _gray(frames_u8[k])
        out[k] = _phase_shift(sfft.rfft2((g - g.mean()) * win), ref_spec, h, w)
    # a hand-held camera moves smoothly: a frame far off its neighbours' median is a false peak
    if t >= 5:
        med = ndimage.median_filter(out, size=(5, 1), mode="nearest")
        bad = np.abs(out - med).max(axis=1) > 2.0
        out[bad] = med[bad]
    return out


def _wrap(i: int, n: int) -> float:
    return float(i - n if i > n // 2 else i)


def _subpixel(corr: np.ndarray, iy: int, ix: int, *, axis: int) -> float:
    h, w = corr.shape
    if axis == 1:
        a, b, c = corr[iy, (ix - 1) % w], corr[iy, ix], corr[iy, (ix + 1) % w]
    else:
        a, b, c = corr[(iy - 1) % h, ix], corr[iy, ix], corr[(iy + 1) % h, ix]
    den = a - 2 * b + c
    return float(np.clip(0.5 * (a - c) / den, -0.5, 0.5)) if den < 0 else 0.0


class _Shifter:
    """Bilinear sub-pixel translation of one image to many offsets (padded once)."""

    def __init__(self, img: np.ndarray, max_shift_px: float) -> None:
        self.pad = int(np.ceil(max_shift_px)) + 2
        self.h, self.w = img.shape[:2]
        self.padded = np.pad(img, ((self.pad, self.pad), (self.pad, self.pad)) + ((0, 0),) * (img.ndim - 2),
                             mode="edge")

    def __call__(self, dx: float, dy: float) -> np.ndarray:
        """out(x, y) = img(x − dx, y − dy)."""
        h, w, p = self.h, self.w, self.pad
        ix, iy = int(np.floor(dx)), int(np.floor(dy))
        fx, fy = np.float32(dx - ix), np.float32(dy - iy)
        y0, x0 = p - iy, p - ix
        a = self.padded[y0 : y0 + h, x0 : x0 + w]
        if fx == 0 and fy == 0:
            return a
        b = self.padded[y0 : y0 + h, x0 - 1 : x0 - 1 + w]
        c = self.padded[y0 - 1 : y0 - 1 + h, x0 : x0 + w]
        d = self.padded[y0 - 1 : y0 - 1 + h, x0 - 1 : x0 - 1 + w]
        return (1 - fy) * ((1 - fx) * a + fx * b) + fy * ((1 - fx) * c + fx * d)


def camera_shake(frames_u8: np.ndarray) -> tuple[np.ndarray, bool]:
    """(T, 2) image translation of each frame against frame 0, and whether the camera is static.

    A static camera (every shift below STATIC_SHIFT_PX) gets exact zeros.
    """
    shifts = estimate_shifts(frames_u8)
    static = bool(np.all(np.abs(shifts) < STATIC_SHIFT_PX))
    if static:
        shifts[:] = 0.0
    return shifts, static


def border_margin_px(shifts_px: np.ndarray, camera_static: bool) -> int:
    """Pixels along the picture's edge that camera shake can fill with replicated background:
    blobs there are not trusted, and an object within margin + 1 px of the edge counts as cut."""
    return 0 if camera_static else int(np.ceil(np.abs(shifts_px).max())) + 2


def shift_image(img: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """out(x, y) = img(x − dx, y − dy), bilinear, edges replicated. img: (H, W, ...) float32."""
    if dx == 0 and dy == 0:
        return img
    return _Shifter(img, max(abs(dx), abs(dy)))(dx, dy)




def _half(img: np.ndarray) -> np.ndarray:
    """2×2 block mean over the two leading pixel axes (odd edges dropped)."""
    h, w = img.shape[0] // 2 * 2, img.shape[1] // 2 * 2
    x = img[:h, :w]
    return 0.25 * (x[0::2, 0::2] + x[1::2, 0::2] + x[0::2, 1::2] + x[1::2, 1::2])


@dataclass
class _Thresholds:
    """Squared colour-distance thresholds per pixel (weak / strong)."""

    lo: np.ndarray
    hi: np.ndarray


def _thresholds(aligned: np.ndarray, background: np.ndarray, *, sigma: float, slack_px: float,
                alt: np.ndarray | None = None) -> _Thresholds:
    """Hysteresis thresholds from the noise level, each pixel's typical residual and the local gradient.

    Edges that shimmer (sub-pixel misregistration, resampling blur, compression) get a higher
    threshold than flat areas. The typical residual is that of the calmest third of the sampled
    frames, which a moving object rarely covers. `alt`: the other state of regions whose
    background changes (an object comes to rest there); a pixel's residual is to the nearer state,
    else the object resting there for most of the clip would raise the threshold and hide its
    last bounces.
    """
    res = aligned - background[None]
    d2 = np.einsum("kijc,kijc->kij", res, res)
    if alt is not None:
        res = aligned - alt[None]
        d2 = np.minimum(d2, np.einsum("kijc,kijc->kij", res, res))
    # the calmest third of the clip: shimmer and compression noise are there all the time, while an
    # object that lingers (hops in place before it rests) must not raise its place's threshold
    dist = np.sqrt(d2)
    if len(dist) >= 6:
        typical = 1.2 * np.min([np.median(c, axis=0) for c in np.array_split(dist, 3, axis=0)], axis=0)
    else:
        typical = np.median(dist, axis=0)
    typical = ndimage.maximum_filter(typical, size=3)
    gy, gx = np.gradient(_gray(background.clip(0, 255)))
    grad = np.sqrt(gx**2 + gy**2)
    if alt is not None:
        gy, gx = np.gradient(_gray(alt.clip(0, 255)))
        grad = np.maximum(grad, np.sqrt(gx**2 + gy**2))
    grad = ndimage.maximum_filter(grad, size=3)
    noise = sigma * np.sqrt(3.0)  # typical colour distance of pure noise
    lo = np.maximum(max(3.5 * noise, 10.0), 3.0 * typical) + slack_px * grad
    hi = np.maximum(max(6.0 * noise, 18.0), 5.0 * typical) + slack_px * grad
    return _Thresholds((lo**2).astype(np.float32), (hi**2).astype(np.float32))


def segment_motion(
    frames_u8: np.ndarray,
    *,
    min_area_px: int = 5,
    min_settle_frames: int = 5,
    shake: tuple[np.ndarray, bool] | None = None,
    progress: ProgressCallback | None = None,
) -> MotionSegmentation:
    """Moving blobs of every frame. frames_u8: (T, H, W, 3) uint8 RGB, T ≥ 2.

    shake: the clip's `camera_shake(frames_u8)` when the caller already has it.

    min_settle_frames: an object counts as settled (part of the background) once its resting place
    has looked the same for this many frames.

    Blobs are found on a half-resolution difference image (fast, and insensitive to the pixel-level
    shimmer of textured edges), then measured on the full-resolution difference inside their box.
    """
    t, h, w = frames_u8.shape[:3]
    shifts, static = shake if shake is not None else camera_shake(frames_u8)
    shifts = shifts.copy()

    picks = np.unique(np.linspace(0, t - 1, min(t, MAX_BACKGROUND_FRAMES)).round().astype(int))
    aligned = np.stack([shift_image(frames_u8[k].astype(np.float32), -shifts[k, 0], -shifts[k, 1]) for k in picks])
    background = np.median(aligned, axis=0).astype(np.float32)
    # noise of frame − background where nothing moves (the MAD barely notices the pixels that do)
    diffs = aligned[:: max(1, len(picks) // 5), ::2, ::2] - background[None, ::2, ::2]
    sigma = max(float(1.4826 * np.median(np.abs(diffs - np.median(diffs)))), 0.5)
    first = list(range(min(5, t)))
    last = list(range(max(t - 3, 0), t))
    ends = np.stack([shift_image(frames_u8[k].astype(np.float32), -shifts[k, 0], -shifts[k, 1]) for k in first + last])
    start, end = ends[: len(first)], ends[len(first) :]
    changes = []
    if t >= 8:
        # an object that lingers (rolls slowly, bounces in place) can fill the median where it
        # spends most of its time; where the first frames agree, they show the empty scene
        early, unsteady = _start_state(start, background, noise=sigma * np.sqrt(3.0),
                                       slack_px=0.0 if static else SHAKE_EDGE_SLACK_PX)
        calm = ndimage.binary_erosion(~unsteady, iterations=2)  # keep clear of whatever moved there
        # ... unless what the first frames show there is gone by the end: an object in its place at
        # the start that moves off from the first frame on (a block dropped or sliding from t = 0)
        # left its start state there as a "ghost" blob, a second track beside the falling one
        last_state = _end_state(end, early, noise=sigma * np.sqrt(3.0), slack_px=0.0 if static else SHAKE_EDGE_SLACK_PX)
        calm &= ~_gone_by_the_end(last_state, background)
        background = np.where(calm[..., None], early, background).astype(np.float32)
        changes = _scene_changes(early, unsteady, last_state, background, min_area_px=min_area_px)
    slack = 0.3 if not static else 0.15  # px of misregistration tolerated on edges
    margin = border_margin_px(shifts, static)
    alt = None
    if changes:
        alt = background.copy()  # the other state of every region that changes
        for ch in changes:
            alt[ch.ys, ch.xs] = ch.after
            background[ch.ys, ch.xs] = ch.before
    fine = _thresholds(aligned, background, sigma=sigma, slack_px=slack, alt=alt)
    aligned_half = np.stack([_half(a) for a in aligned])
    coarse = _thresholds(aligned_half, _half(background), sigma=sigma / 2, slack_px=slack / 2,
                         alt=None if alt is None else _half(alt))
    max_shift = float(np.abs(shifts).max())
    shifter = _Shifter(background, max_shift)
    if changes:
        alt_shifter = _Shifter(alt, max_shift)
        pad = int(np.ceil(max_shift)) + 2
        boxes_alt = [(max(int(ch.ys.min()) - pad, 0), min(int(ch.ys.max()) + pad + 1, h),
                      max(int(ch.xs.min()) - pad, 0), min(int(ch.xs.max()) + pad + 1, w)) for ch in changes]
        settle = [_settle_frame(frames_u8, shifts, ch, fine.lo, run=min_settle_frames) for ch in changes]
        if RESTING_OBJECTS_LEAVE:
            # an object at rest in the first frames that then moves off (topples, is pushed) is
            # a change the other way round: its start state is the object, not the empty scene.
            # Until it leaves, either state is background (no "ghost"); from then on the pixels it
            # vacates are judged against the end state (the empty scene there) and the others
            # against the start state until the place settles. Judged against either state, a
            # body toppling over where it stood was hidden wherever it matched its own standing
            # or lying pose: half of it missing, its centre pixels off, its track often dropped.
            leave_at = [_leave_frame(frames_u8, shifts, ch, fine.lo, shifter) for ch in changes]
            in_changes = np.zeros((h, w), bool)
            for ch in changes:
                in_changes[ch.ys, ch.xs] = True
            vacated = [None if k is None else _vacated(ch, background, ~in_changes) for ch, k in zip(changes, leave_at)]
        else:
            leave_at, vacated = [None] * len(changes), [None] * len(changes)
        vacated_boxes = []  # per region, its vacated pixels in its box (none where an object arrives)
        for (y0, y1, x0, x1), ch, vac in zip(boxes_alt, changes, vacated):
            box = np.zeros((y1 - y0, x1 - x0), bool)
            if vac is not None:
                box[ch.ys[vac] - y0, ch.xs[vac] - x0] = True
            vacated_boxes.append(box)

    detections: list[list[Detection]] = []
    m2 = (margin + 1) // 2
    for k in range(t):
        frame_f = frames_u8[k].astype(np.float32)
        bg_k = shifter(shifts[k, 0], shifts[k, 1])
        diff = frame_f - bg_k
        if SHADOWS_ARE_BACKGROUND:
            _remove_shadows(diff, frame_f, bg_k, coarse.lo, noise=sigma)
        if changes:
            # where the background changes once (an object came to rest or left), a pixel is
            # foreground only if it matches neither state once the change is complete: no ghost
            alt_k = alt_shifter(shifts[k, 0], shifts[k, 1])
            other = frame_f - alt_k
            for (y0, y1, x0, x1), k_settle, k_leave, vac in zip(boxes_alt, settle, leave_at, vacated_boxes):
                a, b = diff[y0:y1, x0:x1], other[y0:y1, x0:x1]
                if SHADOWS_ARE_BACKGROUND and (k_leave is not None and k >= k_leave or k >= k_settle):
                    # a shadow on the other state (the body's, moving as it topples) is no object either
                    b[cast_shadow(frame_f[y0:y1, x0:x1], alt_k[y0:y1, x0:x1], noise=sigma)] = 0.0
                if k_leave is not None and k >= k_leave:
                    # a body at rest has moved off: the pixels it vacated show the empty scene (the
                    # end state) from now on, so the body passing over them stays visible; the
                    # others keep the start state until the place settles
                    a[vac] = b[vac]
                    if k < k_settle:
                        continue
                elif k < k_settle and k_leave is None:
                    continue  # still arriving: the start state alone, so the object stays visible
                closer = np.einsum("ijk,ijk->ij", b, b) < np.einsum("ijk,ijk->ij", a, a)
                a[closer] = b[closer]
        dh = _half(diff)
        d2h = np.einsum("ijk,ijk->ij", dh, dh)
        weak = d2h > coarse.lo
        if m2:
            weak[:m2], weak[-m2:], weak[:, :m2], weak[:, -m2:] = False, False, False, False
        boxes = _coarse_blobs(weak, d2h > coarse.hi)
        dets = []
        for y0, y1, x0, x1, local_coarse in boxes:
            det = _measure(k, diff, fine, frames_u8[k], (2 * y0, 2 * y1, 2 * x0, 2 * x1), local_coarse,
                           min_area_px=min_area_px, margin=margin, w=w, h=h)
            if det is not None:
                dets.append(det)
        detections.append(dets)
        report(progress, k + 1, t)
    return MotionSegmentation(shifts, static, sigma, detections, background)


SHADOWS_ARE_BACKGROUND = True
SHADOW_RATIO = (0.3, 0.9)  # a cast shadow keeps this share of the light, or more than none
SHADOW_CHROMA_TOL = 0.07  # the channels' ratios to the background agree within this
SHADOW_TEXTURE_NCC = 0.6  # ... and the background's texture shows through (normalised correlation)


def _remove_shadows(diff: np.ndarray, frame: np.ndarray, background: np.ndarray, coarse_lo: np.ndarray, *,
                    noise: float) -> None:
    """Zero `diff` where a cast shadow is (in place), looking only where something differs at all
    (the coarse foreground, grown by the shadow test's window): most of a frame is plain background."""
    dh = _half(diff)
    weak = np.einsum("ijk,ijk->ij", dh, dh) > coarse_lo
    if not weak.any():
        return
    labels, n = ndimage.label(weak, structure=np.ones((3, 3), bool))
    h, w = diff.shape[:2]
    for sl in ndimage.find_objects(labels):
        if (sl[0].stop - sl[0].start) * (sl[1].stop - sl[1].start) < 4:
            continue  # a speck of noise: not foreground anyway
        y0, y1 = max(2 * sl[0].start - 6, 0), min(2 * sl[0].stop + 6, h)
        x0, x1 = max(2 * sl[1].start - 6, 0), min(2 * sl[1].stop + 6, w)
        shadow = cast_shadow(frame[y0:y1, x0:x1], background[y0:y1, x0:x1], noise=noise)
        diff[y0:y1, x0:x1][shadow] = 0.0


def shadow_candidates(frame: np.ndarray, background: np.ndarray, *, noise: float) -> np.ndarray:
    """(H, W) bool: the pixels that can be in a cast shadow at all, darker than the background in
    every channel beyond the noise (a shadow takes light away; the shadow test's cheap first cut)."""
    return np.all(frame < background - (2.0 * noise + 2.0), axis=-1)


def cast_shadow(frame: np.ndarray, background: np.ndarray, *, noise: float) -> np.ndarray:
    """(H, W) bool: pixels that are the background in a cast shadow, not an object.

    A shadow under one dominant light scales the background's colour by one factor ρ < 1 in
    every channel (same chroma, lower level), and the texture under it stays the same. An object
    darker than the floor rarely does both: its own colour and shading differ in chroma, or
    replace the floor's texture with its own. Both tests are local (5×5 windows); where the
    background has no texture to compare, only a ratio that is uniform over the window counts.
    """
    eps = 4.0 + noise
    darker = shadow_candidates(frame, background, noise=noise)
    cand = np.zeros(darker.shape, bool)
    ys, xs = np.nonzero(darker)
    if ys.size == 0:
        return cand
    ratio = (frame[ys, xs] + eps) / (background[ys, xs] + eps)
    r = ratio.mean(axis=-1)
    ok = (np.abs(ratio - r[:, None]).max(axis=-1) < SHADOW_CHROMA_TOL) & (r > SHADOW_RATIO[0]) & (r < SHADOW_RATIO[1])
    if not ok.any():
        return cand
    cand[ys[ok], xs[ok]] = True
    rho = np.ones(darker.shape, np.float32)
    rho[ys, xs] = r
    # the window tests only around the candidates (a shadow is a small part of the picture)
    rows, cols = np.flatnonzero(cand.any(axis=1)), np.flatnonzero(cand.any(axis=0))
    h, w = cand.shape
    y0, y1 = max(int(rows[0]) - 4, 0), min(int(rows[-1]) + 5, h)
    x0, x1 = max(int(cols[0]) - 4, 0), min(int(cols[-1]) + 5, w)
    out = np.zeros_like(cand)
    out[y0:y1, x0:x1] = _shadow_texture(frame[y0:y1, x0:x1], background[y0:y1, x0:x1], rho[y0:y1, x0:x1],
                                        noise=noise) & cand[y0:y1, x0:x1]
    return out


def _shadow_texture(frame: np.ndarray, background: np.ndarray, rho: np.ndarray, *, noise: float) -> np.ndarray:
    """The local half of `cast_shadow`: the background's texture shows through (or a uniform ratio)."""
    gf, gb = _gray(frame.clip(0, 255)), _gray(background.clip(0, 255))
    # the seven local means in one filter call (a window of 1 along the stacking axis): the same
    # numbers as seven calls, and this runs for every moving blob of every frame
    size = 5
    means = ndimage.uniform_filter(np.stack([gf, gb, gf * gf, gb * gb, gf * gb, rho * rho, rho], axis=-1), (size, size, 1))
    mf, mb = means[..., 0], means[..., 1]
    vf = means[..., 2] - mf * mf
    vb = means[..., 3] - mb * mb
    cov = means[..., 4] - mf * mb
    textured = vb > (3.0 * noise) ** 2
    ncc = cov / np.sqrt(np.maximum(vf, 1e-6) * np.maximum(vb, 1e-6))
    # flat background: the ratio must hold over the whole window (an object's shading varies)
    rho_sd = np.sqrt(np.maximum(means[..., 5] - means[..., 6] ** 2, 0))
    return np.where(textured, ncc > SHADOW_TEXTURE_NCC, rho_sd < 0.03)


@dataclass
class _Change:
    """A background region that changes during the clip (an object comes to rest there, or leaves)."""

    ys: np.ndarray  # pixel rows of the region (frame-0 coordinates)
    xs: np.ndarray
    before: np.ndarray  # (N, 3) colours at the start of the clip
    after: np.ndarray  # (N, 3) colours at the end


SHAKE_EDGE_SLACK_PX = 0.6  # misregistration of shaken frames after alignment, px (edges shimmer by that much)


def _start_state(start: np.ndarray, background: np.ndarray, *, noise: float, slack_px: float = 0.0
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The scene as the first frames show it. start: (K, H, W, 3) the first frames aligned on frame 0.

    → (early (H, W, 3): the start state, unsteady (H, W) bool: no steady start state there).
    Where the first K frames agree, their median. An object that arrives at its final resting place
    within those frames (a fast throw or drop) leaves that place unsteady although the first three
    frames still show it empty; there the first three frames are used, if what moved around that
    place lies on one side of it (an object that is there from the start and moves off slowly is
    ringed by its leading and trailing edges instead, and must not become the empty scene).
    """
    steady = max(4.0 * noise, 20.0)
    early = np.median(start, axis=0)
    if slack_px > 0:
        # a shaken camera: the aligned frames still shimmer along strong edges (the edges of an
        # object at rest too, which must not look like a slow object's leading and trailing edges)
        gy, gx = np.gradient(_gray(early.clip(0, 255)))
        steady = steady + slack_px * ndimage.maximum_filter(np.sqrt(gx**2 + gy**2), size=3)
    unsteady = np.sqrt(np.max(np.sum((start - early) ** 2, axis=-1), axis=0)) >= steady
    if len(start) <= 3:
        return early, unsteady
    early3 = np.median(start[:3], axis=0)
    unsteady3 = np.sqrt(np.max(np.sum((start[:3] - early3) ** 2, axis=-1), axis=0)) >= steady
    # only where it matters: the first three frames differ from the median (which holds the object)
    cand = unsteady & ~unsteady3 & (np.sqrt(np.sum((early3 - background) ** 2, axis=-1)) > max(6.0 * noise, 25.0))
    cand = ndimage.binary_opening(cand, structure=np.ones((3, 3), bool))
    labels, n = ndimage.label(cand)
    if n == 0:
        return early, unsteady
    use = np.zeros(n + 1, bool)
    for r, sl in enumerate(ndimage.find_objects(labels), start=1):
        pad = tuple(slice(max(a.start - 3, 0), a.stop + 3) for a in sl)
        region = labels[pad] == r
        ring = ndimage.binary_dilation(region, iterations=2) & ~region
        moving = ring & unsteady3[pad]
        use[r] = not ring.any() or moving.sum() < 0.2 * ring.sum() or _one_sided(region, moving)
    # with the slivers along its edge that the opening removed (else they would look like motion
    # all round the place where the object comes to rest)
    take = ndimage.binary_dilation(use[labels], iterations=2) & unsteady & ~unsteady3
    early = np.where(take[..., None], early3, early)
    return early, unsteady & ~take


@dataclass
class _EndState:
    """The scene as the last frames show it, and where the start state differs from it."""

    late: np.ndarray  # (H, W, 3) the last frames' median
    steady: np.ndarray | float  # a state's frames agree within this (per pixel along a shaken camera's edges)
    differ: float  # two states differ beyond this
    changed: np.ndarray  # (H, W) bool: the last frames agree there, on a state other than the start's


def _end_state(end: np.ndarray, early: np.ndarray, *, noise: float, slack_px: float = 0.0) -> _EndState:
    """end: (3, H, W, 3) the last frames, aligned on frame 0; early: the start state (_start_state)."""
    late = np.median(end, axis=0)
    # each state must be steady over its frames: an object merely passing by in the first or
    # last frames is not a change of the background
    steady: np.ndarray | float = max(4.0 * noise, 20.0)
    if slack_px > 0:
        # a shaken camera: the edges of the object now at rest shimmer after alignment (as in
        # _start_state); without the slack its outline stays out of the region and keeps showing
        # as motion, hiding the object's own last bounces across it
        gy, gx = np.gradient(_gray(late.clip(0, 255)))
        steady = steady + slack_px * ndimage.maximum_filter(np.sqrt(gx**2 + gy**2), size=3)
    spread = np.sqrt(np.max(np.sum((end - late) ** 2, axis=-1), axis=0))
    differ = max(6.0 * noise, 25.0)
    changed = (spread < steady) & (np.sqrt(np.sum((early - late) ** 2, axis=-1)) > differ)
    return _EndState(late, steady, differ, changed)


def _gone_by_the_end(ends: _EndState, background: np.ndarray) -> np.ndarray:
    """(H, W) bool: where the start state is what neither the last frames nor the median show.

    background: the temporal median. Where the last frames agree among
    themselves and with the median, and the start differs from both, something was there at the
    start only (the median is right there; where instead the start and the last frames agree, a
    lingering object filled the median)."""
    return ends.changed & (np.sqrt(np.sum((ends.late - background) ** 2, axis=-1)) < ends.steady)


def _scene_changes(early: np.ndarray, unsteady: np.ndarray, ends: _EndState, background: np.ndarray, *,
                   min_area_px: int) -> list[_Change]:
    """Regions whose background is not the same all through the clip.

    early, unsteady: the start state and where there is none (see _start_state); ends: the last
    frames' state; background: the temporal median. The median keeps an
    object that rests (or lingers, rolling slowly) for much of the clip, and its empty place would
    then look like a moving "ghost" before it arrives.
    Where the first frames agree among themselves but differ from the median (or from the last
    frames, which agree among themselves), the region gets two states: the start, and the end
    (last frames, or the median); after the object has settled a pixel there counts as moving
    only if it matches neither.
    """
    late, thr, to_late = ends.late, ends.differ, ends.changed
    to_median = np.sqrt(np.sum((early - background) ** 2, axis=-1)) > thr
    after = np.where(to_late[..., None], late, background)
    cand = ndimage.binary_opening((to_late | to_median) & ~unsteady, structure=np.ones((3, 3), bool))
    labels, n = ndimage.label(cand)
    keep = np.zeros(n + 1, bool)
    for r, sl in enumerate(ndimage.find_objects(labels), start=1):
        # a resting object is steady all round; the part a slow object covers in all of the first
        # frames is ringed by pixels it covers only in some of them, on both sides of its motion
        # (leading and trailing edge). An object that comes to rest next to where something moved
        # at the start (it fell there itself) has moving pixels on one side only.
        pad = tuple(slice(max(a.start - 3, 0), a.stop + 3) for a in sl)
        region = labels[pad] == r
        ring = ndimage.binary_dilation(region, iterations=2) & ~region
        keep[r] = region.sum() >= min_area_px and (not ring.any() or unsteady[pad][ring].mean() < 0.2
                                                   or _one_sided(region, ring & unsteady[pad]))
    cand = ndimage.binary_dilation(keep[labels], structure=np.ones((3, 3), bool), iterations=2)
    labels, n = ndimage.label(cand)
    out = []
    for r, sl in enumerate(ndimage.find_objects(labels), start=1):
        ys, xs = np.nonzero(labels[sl] == r)
        if ys.size < min_area_px:
            continue
        ys, xs = ys + sl[0].start, xs + sl[1].start
        out.append(_Change(ys, xs, early[ys, xs].astype(np.float32), after[ys, xs].astype(np.float32)))
    return out


def _one_sided(region: np.ndarray, moving: np.ndarray) -> bool:
    """Do the `moving` pixels around `region` lie on one side of it (within about a half-circle)?

    Directions from the region's centre to the moving pixels: their mean resultant length is near 1
    when they crowd on one side and near 0 when they surround the region or sit on opposite sides.
    """
    if moving.sum() < 3:
        return True
    cy, cx = (float(c.mean()) for c in np.nonzero(region))
    my, mx = np.nonzero(moving)
    ang = np.arctan2(my - cy, mx - cx)
    return float(np.hypot(np.cos(ang).mean(), np.sin(ang).mean())) > 0.6


RESTING_OBJECTS_LEAVE = True
LEAVE_RUN_FRAMES = 3  # consecutive frames off its start state: the region's object has left
LEAVE_CALM_RING = 0.03  # share of the surroundings moving before an object at rest moves off: calm
LEAVE_RING_SHARE = 0.35  # ... and while the place changes, they move less than this share of it (else: colour)


def _state_match(frames_u8: np.ndarray, shifts: np.ndarray, ch: _Change, state: np.ndarray, thr: np.ndarray
                 ) -> np.ndarray:
    """(T,) per frame: the share of the region's pixels within `thr` (squared distance) of `state`
    ((N, 3): its start or end state), each frame read where the camera's shift put the region."""
    t, h, w = frames_u8.shape[:3]
    match = np.empty(t)
    for k in range(t):
        yy = np.clip(ch.ys + int(round(shifts[k, 1])), 0, h - 1)
        xx = np.clip(ch.xs + int(round(shifts[k, 0])), 0, w - 1)
        d = frames_u8[k, yy, xx].astype(np.float32) - state
        match[k] = float(np.mean(np.einsum("ij,ij->i", d, d) < thr))
    return match


def _leave_frame(frames_u8: np.ndarray, shifts: np.ndarray, ch: _Change, lo: np.ndarray, shifter: "_Shifter"
                 ) -> int | None:
    """The frame from which the region's start state has left (an object at rest moved off), or None
    where an object arrives there instead.

    The region keeps its start state for a while, then changes; an arriving object comes from
    around the region (its surroundings move in the frames before), an object at rest starts
    moving from inside it (its surroundings are calm until then). Where the surroundings move as
    much while the region changes (one sliding off crosses them as it goes, as one arriving does
    before it covers the place), the colour of what crosses them tells: the start state's (the
    object that was there) or the end state's (the object that comes to rest).
    """
    t, h, w = frames_u8.shape[:3]
    match = _state_match(frames_u8, shifts, ch, ch.before, lo[ch.ys, ch.xs])
    # it has left once the region stops matching for good: a shaken camera's misregistration dips
    # a frame or two below the bar long before anything moves (0.84-0.89 in frames 8-57 of a drop
    # whose box arrives at frame 62; counted from frame 8 its calm ring made it "leave")
    off = match < 0.9
    run = min(LEAVE_RUN_FRAMES, t)
    gone = np.flatnonzero(np.lib.stride_tricks.sliding_window_view(off, run).all(axis=1))
    if gone.size == 0 or gone[0] < 4:
        return None  # never leaves, or moves from the start (no rest seen)
    k_leave = int(gone[0])
    # halfway from its start state to its end state, what changes the place is seen: an object
    # sliding up to its resting place (its shadow, its blur) dips the start state's match below the
    # bar while the surroundings are still calm (0.74-0.89 over frames 10-22 of a box that arrived
    # at frame 24, counted as "leaving": its own resting place then hid it as it arrived)
    level = 0.5 * (float(np.median(match[:3])) + float(np.median(match[-3:])))
    half = np.flatnonzero(np.lib.stride_tricks.sliding_window_view(match < level, run).all(axis=1))
    k_half = max(int(half[0]), k_leave) if half.size else k_leave
    y0, y1 = int(ch.ys.min()), int(ch.ys.max()) + 1
    x0, x1 = int(ch.xs.min()), int(ch.xs.max()) + 1
    reach = max(3, (max(y1 - y0, x1 - x0)) // 3)
    Y0, Y1, X0, X1 = max(y0 - reach, 0), min(y1 + reach, h), max(x0 - reach, 0), min(x1 + reach, w)
    region = np.zeros((Y1 - Y0, X1 - X0), bool)
    region[ch.ys - Y0, ch.xs - X0] = True
    ring = ndimage.binary_dilation(region, iterations=reach) & ~region
    if not ring.any():
        return None

    @functools.cache  # the calm frames before it leaves and the frames before halfway can overlap
    def moving(k: int) -> tuple[np.ndarray, np.ndarray]:
        crop = frames_u8[k].astype(np.float32)[Y0:Y1, X0:X1]
        d = crop - shifter(shifts[k, 0], shifts[k, 1])[Y0:Y1, X0:X1]
        return np.einsum("ijk,ijk->ij", d, d) > lo[Y0:Y1, X0:X1], crop

    calm = [float(moving(k)[0][ring].mean()) for k in range(max(k_leave - 6, 0), k_leave)]
    if not calm or max(calm) >= LEAVE_CALM_RING:
        return None
    # a body toppling over where it stood barely touches its surroundings while it changes its
    # place; one sliding off crosses them as it goes, as one arriving does before it covers the
    # place. Told apart by colour: what crosses the surroundings looks like the place's start
    # state (the object that was there) or like its end state (the object that comes to rest)
    ring_share, inside_share, crossing = [], [], []
    for k in range(max(k_half - 6, 0), k_half):
        mv, crop = moving(k)
        ring_share.append(float(mv[ring].mean()))
        inside_share.append(float(mv[region].mean()))
        crossing.append(crop[mv & ring])
    if max(ring_share) <= LEAVE_RING_SHARE * max(inside_share):
        return k_leave
    colours = np.concatenate(crossing).mean(axis=0)
    to_start = float(np.linalg.norm(colours - ch.before.mean(axis=0)))
    to_end = float(np.linalg.norm(colours - ch.after.mean(axis=0)))
    return k_leave if to_start <= to_end else None


VACATED_FLOOR_BLUR_PX = 1.5  # the surroundings' texture is smoothed this much before it is carried in


def _vacated(ch: _Change, background: np.ndarray, outside: np.ndarray) -> np.ndarray:
    """(N,) bool over the region's pixels: those a body at rest leaves empty (its end state is the
    empty scene), against those it comes to cover (its start state is).

    Which state is the empty scene is read off the surroundings (`outside`: the background pixels
    of no region): each pixel takes the colour of the nearest pixel around the region. The nearest,
    not an average: the top of a post standing before a wall is surrounded by the wall, its foot
    by the floor (a blur of both looked like the post)."""
    h, w = background.shape[:2]
    y0, y1, x0, x1 = int(ch.ys.min()), int(ch.ys.max()) + 1, int(ch.xs.min()), int(ch.xs.max()) + 1
    pad = 4
    Y0, Y1, X0, X1 = max(y0 - pad, 0), min(y1 + pad, h), max(x0 - pad, 0), min(x1 + pad, w)
    known = outside[Y0:Y1, X0:X1]
    if not known.any():
        return np.zeros(ch.ys.size, bool)
    # the blur takes in a little of the region's edge too; over the surroundings alone it found
    # fewer topples' landings on the rigid development seeds (89 against 93 of 120)
    smooth = ndimage.gaussian_filter(background[Y0:Y1, X0:X1], (VACATED_FLOOR_BLUR_PX, VACATED_FLOOR_BLUR_PX, 0))
    _, (iy, ix) = ndimage.distance_transform_edt(~known, return_indices=True)
    ly, lx = ch.ys - Y0, ch.xs - X0
    floor = smooth[iy[ly, lx], ix[ly, lx]]
    to_end = np.einsum("ij,ij->i", ch.after - floor, ch.after - floor)
    to_start = np.einsum("ij,ij->i", ch.before - floor, ch.before - floor)
    return to_end < to_start


SETTLE_MATCH_FACTOR = 4.0  # squared-distance threshold of `lo` × this: still the end state


def _settle_frame(frames_u8: np.ndarray, shifts: np.ndarray, ch: _Change, lo: np.ndarray, *, run: int) -> int:
    """First frame from which the region mostly shows its end state (the object has settled)."""
    t = frames_u8.shape[0]
    # an object at rest in compressed video flickers at its edges by more than the sensor noise
    # that `lo` is made of; a hop moves whole edges by pixels, far beyond either
    frac = _state_match(frames_u8, shifts, ch, ch.after, SETTLE_MATCH_FACTOR * lo[ch.ys, ch.xs])
    ok = frac >= 0.95  # (nearly) all of it: an object still hopping in place is not settled
    steady = np.array([ok[k : k + run].all() for k in range(t)])
    # from there on it stays so (objects passing by later only dip it briefly)
    tail_ok = np.array([np.median(frac[k:]) >= 0.95 for k in range(t)])
    hits = np.flatnonzero(steady & tail_ok)
    return int(hits[0]) if hits.size else t


def _coarse_blobs(weak: np.ndarray, strong: np.ndarray) -> list[tuple[int, int, int, int, np.ndarray]]:
    """Components of `weak` holding ≥ 2 strong pixels; fragments ≤ 2 px apart are one blob.

    → [(y0, y1, x0, x1, mask of the blob inside that box)] at the coarse resolution.
    """
    labels, n = ndimage.label(weak, structure=np.ones((3, 3), bool))
    if n == 0:
        return []
    n_strong = np.bincount(labels[strong & weak], minlength=n + 1)
    keep = np.flatnonzero(n_strong[1:] >= 1) + 1
    if keep.size == 0:
        return []
    slices = ndimage.find_objects(labels)
    boxes = [[slices[i - 1][0].start, slices[i - 1][0].stop, slices[i - 1][1].start, slices[i - 1][1].stop] for i in keep]
    members = [[int(i)] for i in keep]
    counts = [int(n_strong[i]) for i in keep]
    merged = True
    while merged:  # join fragments whose boxes (grown by 2 px) overlap
        merged = False
        for a in range(len(boxes)):
            for b in range(a + 1, len(boxes)):
                A, B = boxes[a], boxes[b]
                if A[0] - 2 < B[1] and B[0] - 2 < A[1] and A[2] - 2 < B[3] and B[2] - 2 < A[3]:
                    boxes[a] = [min(A[0], B[0]), max(A[1], B[1]), min(A[2], B[2]), max(A[3], B[3])]
                    members[a] += members.pop(b)
                    counts[a] += counts.pop(b)
                    boxes.pop(b)
                    merged = True
                    break
            if merged:
                break
    hh, ww = weak.shape
    out = []
    for (y0, y1, x0, x1), ids, c in zip(boxes, members, counts):
        if c < 2:
            continue
        y0, y1, x0, x1 = max(y0 - 1, 0), min(y1 + 1, hh), max(x0 - 1, 0), min(x1 + 1, ww)
        out.append((y0, y1, x0, x1, np.isin(labels[y0:y1, x0:x1], ids)))
    return out


def _measure(k: int, diff: np.ndarray, fine: _Thresholds, rgb: np.ndarray, box: tuple[int, int, int, int],
             coarse_mask: np.ndarray, *, min_area_px: int, margin: int, w: int, h: int) -> Detection | None:
    """Full-resolution mask of one blob inside its box (limited to the grown coarse blob) → Detection."""
    y0, y1, x0, x1 = box
    y1, x1 = min(y1, h), min(x1, w)
    d = diff[y0:y1, x0:x1]
    d2 = np.einsum("ijk,ijk->ij", d, d)
    allowed = np.repeat(np.repeat(coarse_mask, 2, axis=0), 2, axis=1)[: y1 - y0, : x1 - x0]
    allowed = ndimage.binary_dilation(allowed, structure=np.ones((3, 3), bool))
    mask = (d2 > fine.lo[y0:y1, x0:x1]) & allowed
    if mask.sum() < min_area_px:
        return None
    mask = ndimage.binary_closing(mask, structure=np.ones((3, 3), bool)) | mask
    mask = ndimage.binary_fill_holes(mask)
    return _blob(k, mask, y0, x0, rgb[y0:y1, x0:x1], margin, w, h)


def _blob(k: int, mask: np.ndarray, y0: int, x0: int, rgb: np.ndarray, margin: int, w: int, h: int) -> Detection:
    ys, xs = np.nonzero(mask)
    return _stats(k, ys, xs, (y0, x0), (0.0, 0.0, 0.0), mask, margin + 1, (w, h), rgb)
