"""Motion segmentation under a moving camera (dolly, pan, zoom): each frame against its warped neighbours.

A camera that travels shows a different background in every frame, so there is no single
background picture to subtract (segmentation.py's path for static and shaking cameras). Instead,
for each frame k its neighbours k ± Δ, k ± 2Δ (Δ ≈ 0.2 s) are warped into frame k by the
background's motion field (global_motion.py), and a pixel is moving only if it differs from at
least three of the four (the second-closest neighbour is its background): a moving object is at
another place in most of them, while whatever is at rest in the world (the room, an object that
has settled) lines up; where an object is about to come to rest, only the later neighbours show
it, so its place shows no ghost before it arrives. A pixel differs from a neighbour only beyond
that neighbour's colours within BOX_PX of its place: where the field misses the background by
a pixel (a floor's joints, interpolated across the floor's parallax) there is no difference, while
an object that moved further still differs. Pixels that the neighbours do not
see (the part of the view the camera has just reached) are not judged. Foreground, blobs and their
measurement are those of segmentation.py (thresholds from the noise and the local gradient, a
coarse pass at half resolution, a fine mask inside each blob's box).

Cost: per frame, four warped neighbours (bilinear); linear in the clip's length.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..progress import ProgressCallback, report
from .global_motion import GlobalMotion
from .segmentation import Detection, MotionSegmentation, _coarse_blobs, _gray, _half, _measure, _Thresholds

NEIGHBOUR_STEP_S = 0.2  # Δ: neighbours at k ± Δ and k ± 2Δ
SLACK_PX = 0.5  # misregistration tolerated on edges (field error, parallax inside a block)
EDGE_MARGIN_PX = 2
BOX_PX = 1  # a pixel is compared with its background's colours up to this far (px)


def _neighbours(k: int, t: int, step: int) -> list[int]:
    """Four frames around k at ±step, ±2·step; near the clip's ends, further ones on the other side."""
    offsets = [-2 * step, -step, step, 2 * step, 3 * step, -3 * step, 4 * step, -4 * step]
    out = [k + o for o in offsets if 0 <= k + o < t]
    return out[:4] if len(out) >= 2 else [j for j in range(t) if j != k][:4]


def _warp(img: np.ndarray, map_x: np.ndarray, map_y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """img (h, w, 3) float32 sampled at (map_x, map_y) (h, w), bilinear; → (picture, inside the frame)."""
    h, w = img.shape[:2]
    inside = (map_x >= 0) & (map_x <= w - 1) & (map_y >= 0) & (map_y <= h - 1)
    x = np.clip(map_x, 0, w - 1.001)
    y = np.clip(map_y, 0, h - 1.001)
    x0, y0 = x.astype(np.int32), y.astype(np.int32)
    fx, fy = (x - x0)[..., None], (y - y0)[..., None]
    flat = img.reshape(-1, img.shape[2])
    i00 = y0 * w + x0
    top = flat[i00] * (1 - fx) + flat[i00 + 1] * fx
    bottom = flat[i00 + w] * (1 - fx) + flat[i00 + w + 1] * fx
    return (top * (1 - fy) + bottom * fy).astype(np.float32), inside


def _box_range(stack: np.ndarray, r: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel minimum and maximum over the (2r+1)² square around each pixel of stack (N, H, W, C)
    (edge pixels repeated beyond the frame); separable, by shifted slices."""
    lo, hi = stack, stack
    for axis in (1, 2):
        n = stack.shape[axis]
        pad = [(0, 0)] * 4
        pad[axis] = (r, r)
        lo_p, hi_p = np.pad(lo, pad, mode="edge"), np.pad(hi, pad, mode="edge")

        def part(a: np.ndarray, o: int) -> np.ndarray:
            sl = [slice(None)] * 4
            sl[axis] = slice(o, o + n)
            return a[tuple(sl)]

        lo, hi = part(lo_p, 0).copy(), part(hi_p, 0).copy()
        for o in range(1, 2 * r + 1):
            np.minimum(lo, part(lo_p, o), out=lo)
            np.maximum(hi, part(hi_p, o), out=hi)
    return lo, hi


def _noise_sigma(diffs: list[np.ndarray]) -> float:
    d = np.concatenate([x[::2, ::2].ravel() for x in diffs])
    return max(float(1.4826 * np.median(np.abs(d - np.median(d)))), 0.5)


def _thresholds(background: np.ndarray, noise: float, slack_px: float) -> _Thresholds:
    gy, gx = np.gradient(_gray(background.clip(0, 255)))
    grad = ndimage.maximum_filter(np.sqrt(gx**2 + gy**2), size=3)
    lo = max(3.5 * noise, 10.0) + slack_px * grad
    hi = max(6.0 * noise, 18.0) + slack_px * grad
    return _Thresholds((lo**2).astype(np.float32), (hi**2).astype(np.float32))


def segment_moving_camera(frames_u8: np.ndarray, motion: GlobalMotion, *, fps: float, min_area_px: int = 5,
                          progress: ProgressCallback | None = None) -> MotionSegmentation:
    """Moving blobs of every frame of a clip whose camera moves. frames_u8: (T, H, W, 3) uint8, T ≥ 2."""
    t, h, w = frames_u8.shape[:3]
    step = max(1, int(round(NEIGHBOUR_STEP_S * fps)))
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    dense_cache: dict[int, np.ndarray] = {}

    def dense(k: int) -> np.ndarray:
        if k not in dense_cache:
            if len(dense_cache) > 16:
                dense_cache.pop(min(dense_cache))
            dense_cache[k] = motion.dense(k, h, w).astype(np.float32)
        return dense_cache[k]

    def background(k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per pixel, the warped neighbour that is the second closest to frame k, frame k's difference
        from it (beyond the neighbour's colours within BOX_PX), and where at least two neighbours see
        the pixel. A pixel then counts as moving only if it differs from at least
        three of the four neighbours: an object is elsewhere in most of them, while the place where
        an object is about to come to rest (it is there in the later neighbours only) shows no ghost."""
        own = frames_u8[k].astype(np.float32)
        d_k = dense(k)
        warped, seen = [], np.zeros((h, w), np.int32)
        for j in _neighbours(k, t, step):
            rel = dense(j) - d_k  # where the background seen at p in frame k is in frame j, minus p
            pic, inside = _warp(frames_u8[j].astype(np.float32), gx + rel[..., 0], gy + rel[..., 1])
            pic[~inside] = own[~inside]  # unseen: no evidence either way
            warped.append(pic)
            seen += inside
        stack = np.stack(warped)
        # each neighbour's colours within a pixel of the place (per channel): the field's error on
        # sharp lines (a floor's joints, where it is interpolated across the floor's parallax) is
        # then no difference, while an object that moved by more than a pixel still is
        nearest = np.clip(own, *_box_range(stack, BOX_PX))
        dist = np.einsum("nijc,nijc->nij", nearest - own, nearest - own)
        second = np.argsort(dist, axis=0)[min(1, len(warped) - 1)][None, ..., None]
        bg = np.take_along_axis(stack, second, axis=0)[0]
        return bg, own - np.take_along_axis(nearest, second, axis=0)[0], seen >= 2
    probe = np.unique(np.linspace(0, t - 1, min(t, 3)).round().astype(int))
    samples = []
    for k in probe:  # the noise of a plain difference (the box would hide most of it)
        bg, _, ok = background(int(k))
        samples.append(np.where(ok[..., None], frames_u8[k].astype(np.float32) - bg, 0.0))
    sigma = _noise_sigma(samples)
    noise = sigma * np.sqrt(3.0)
    m2 = (EDGE_MARGIN_PX + 1) // 2
    detections: list[list[Detection]] = []
    last_bg = None
    for k in range(t):
        bg, diff, ok = background(k)
        last_bg = bg
        diff[~ok] = 0.0
        fine = _thresholds(bg, noise, SLACK_PX)
        coarse = _thresholds(_half(bg), noise / 2, SLACK_PX / 2)
        dh = _half(diff)
        d2h = np.einsum("ijk,ijk->ij", dh, dh)
        weak = d2h > coarse.lo
        weak[:m2], weak[-m2:], weak[:, :m2], weak[:, -m2:] = False, False, False, False
        dets = []
        for y0, y1, x0, x1, local in _coarse_blobs(weak, d2h > coarse.hi):
            det = _measure(k, diff, fine, frames_u8[k], (2 * y0, 2 * y1, 2 * x0, 2 * x1), local,
                           min_area_px=min_area_px, margin=EDGE_MARGIN_PX, w=w, h=h)
            if det is not None:
                dets.append(det)
        detections.append(dets)
        report(progress, k + 1, t)
    return MotionSegmentation(motion.translation_px, False, sigma, detections,
                              last_bg if last_bg is not None else frames_u8[0].astype(np.float32))
