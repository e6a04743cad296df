"""Global motion of the background, frame by frame: is the camera static, shaking, or moving?

Without depth, the camera's motion shows as the image motion of the background. Between two
consecutive frames it is measured on a grid of overlapping blocks by phase correlation (each
block's dominant translation, sub-pixel, with the correlation peak as its confidence); blocks
that disagree with a robust quadratic fit of the whole grid (a moving object dominates them) or
have no texture take the fit's value. The
block grid, interpolated bilinearly, is a smooth displacement field: a uniform one for shake or a
pan, a radial one for a zoom, and one that changes with the depth of what each block shows for a
travelling camera (dolly parallax: the floor near the camera slides faster than the back wall).
Each frame is measured against a keyframe, which is renewed when the view has moved on; chained
over the keyframes this gives, at every grid node, the displacement of the background since frame 0
(`cumulative_px`). A shaking camera keeps frame 0 as its keyframe (no drift); chaining at fixed
nodes ignores that a point travels across the field, a second-order error where the field varies
slowly across the picture. Each frame is also measured against the frame before it: a node whose
keyframe peak has faded and whose keyframe measurement disagrees with that chain has lost the
keyframe's correlation (a floor under a dolly shears inside a block as the view moves on: its near
rows slide faster than its far ones) and follows the chain until the next keyframe. When the field
is not one translation (parallax, zoom) and the picture's blocks correlate well, the clip is
measured again on blocks half as large, so that the floor's motion, which grows row by row towards
the camera, is followed between nodes half as far apart.

The clip is then classed as
- "static": frame 0 against a few frames spread over the clip, three quarters of the blocks that
  have texture moved by less than STATIC_SHIFT_PX (a moving object may fill the others) (sensor noise or the dithering of a GIF does not move the picture);
- "shake": the field stays uniform (a translation) and small (a hand-held camera): the translation
  is handed to the shake-compensated path of segmentation.py as before;
- "moving": anything else (dolly, pan beyond the shake range, zoom): the moving-camera path
  (moving_background.py) compares each frame with its neighbours warped by the field, and the
  geometry takes the camera's motion out of the objects' trajectories (world frame). A field that
  does not line the frames up better than no motion at all (FIELD_GAIN) is noise, not a camera
  move (a flat-colour cartoon: its blocks correlate with the objects or with nothing): "static".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import fft as sfft
from scipy import ndimage

STATIC_SHIFT_PX = 0.2  # below this the picture did not move (analysis px)
MIN_PEAK = 0.08  # a block whose phase-correlation peak is lower has no usable texture
MOVING_SPREAD_PX = 4.0  # a field whose nodes disagree this much (since frame 0) is not a translation
SHAKE_REACH_FRACTION = 0.06  # a translation larger than this share of the picture is a pan, not shake
# the static probe counts a block as textured above what independent sensor noise gives between two
# frames (peaks 0.10-0.18 for 32-px blocks of a plain background; 0.22-0.74 for the scenes' rooms)
PROBE_MIN_PEAK = 0.2
MIN_TEXTURED_SHARE = 0.25  # a probe with fewer textured blocks cannot tell a camera move (plain background)
# against the frame before, an object on a plain background correlates with itself wherever it goes:
# such a probe tells a camera move only where most of the picture is textured (a pan over a wall)
PAIR_MIN_TEXTURED_SHARE = 0.5
# a node has lost its keyframe when the keyframe's correlation peak has faded below this share of the
# frame before's, and the two measurements differ by more than KEY_DISAGREE_PX (a noisy texture
# makes single blocks disagree by that much while their peaks stay alike: the chain would then
# random-walk)
LOST_PEAK_SHARE = 0.5
KEY_DISAGREE_PX = 1.0
MIN_FINE_BLOCK_PX = 16  # a finer block has too little texture to correlate
# blocks half as large are measured only on a picture whose blocks correlate at least this well
# (median peak; the dolly scenes' rooms 0.4-0.7, a smooth texture under sensor noise ~0.2)
FINE_MIN_PEAK = 0.3
# a moving camera's field must explain the frames: warped by it, a frame differs from a later one by
# less than this share of what it differs unwarped (dolly scenes and pans 0.26-0.44; the flat-colour
# cartoon of bench/real_clips.py, whose field is noise, 0.73), frames BASELINE_PX of motion apart
FIELD_GAIN = 0.6
BASELINE_PX = 2.0
SOURCE = "background_phase_correlation"


@dataclass
class GlobalMotion:
    """The background's image motion over a clip (analysis pixels).

    kind: static | shake | moving.
    cumulative_px: (T, R, C, 2) displacement (dx, dy) since frame 0 of the background seen at each
        grid node; zeros for a static camera.
    node_x, node_y: (C,), (R,) pixel coordinates of the grid nodes.
    confidence: (T,) share of the blocks that had texture and agreed with their neighbours.
    """

    kind: str
    cumulative_px: np.ndarray
    node_x: np.ndarray
    node_y: np.ndarray
    confidence: np.ndarray
    source: str = SOURCE

    @property
    def static(self) -> bool:
        return self.kind == "static"

    @property
    def translation_px(self) -> np.ndarray:
        """(T, 2) median displacement over the grid: the camera's translation of the picture."""
        return np.median(self.cumulative_px.reshape(len(self.cumulative_px), -1, 2), axis=1)

    @property
    def spread_px(self) -> float:
        """How far the nodes disagree with the median displacement (parallax, zoom): over the clip, the
        largest 80th percentile over the nodes, of the displacements median-filtered over 5 frames (a
        moving object that takes over a few blocks for a moment is not the camera)."""
        c = self.cumulative_px.reshape(len(self.cumulative_px), -1, 2)
        if not c.size:
            return 0.0
        if len(c) >= 5:
            c = ndimage.median_filter(c, size=(5, 1, 1), mode="nearest")
        dev = np.abs(c - np.median(c, axis=1, keepdims=True)).max(axis=2)
        return float(np.percentile(dev, 80, axis=1).max())

    def at(self, k: int | np.ndarray, x: np.ndarray | float, y: np.ndarray | float) -> np.ndarray:
        """Displacement (…, 2) since frame 0 of the background seen at (x, y) in frame(s) k (bilinear)."""
        k = np.asarray(k)
        x0, ax = _fractional_index(x, self.node_x)
        y0, ay = _fractional_index(y, self.node_y)
        x1 = np.minimum(x0 + 1, len(self.node_x) - 1)
        y1 = np.minimum(y0 + 1, len(self.node_y) - 1)
        ax, ay = ax[..., None], ay[..., None]
        c = self.cumulative_px
        return ((1 - ay) * ((1 - ax) * c[k, y0, x0] + ax * c[k, y0, x1])
                + ay * ((1 - ax) * c[k, y1, x0] + ax * c[k, y1, x1]))

    def dense(self, k: int, h: int, w: int) -> np.ndarray:
        """(h, w, 2) float32 displacement since frame 0 at every pixel (centres) of frame k (bilinear)."""
        rows = _interp_matrix(np.arange(h) + 0.5, self.node_y) @ self.cumulative_px[k].reshape(len(self.node_y), -1)
        rows = rows.reshape(h, len(self.node_x), 2).astype(np.float32)  # (h, C, 2): tiny, then along x
        x0, a = _fractional_index(np.arange(w) + 0.5, self.node_x)
        x1 = np.minimum(x0 + 1, len(self.node_x) - 1)
        a = a.astype(np.float32)[None, :, None]
        return rows[:, x0] * (1 - a) + rows[:, x1] * a


def _fractional_index(pos: np.ndarray, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(i0, a): pos lies at nodes[i0] + a·(nodes[i0 + 1] − nodes[i0]); beyond the outer nodes the
    end segments are extended (a < 0 or > 1): the floor's motion keeps growing towards the bottom
    edge, a zoom's towards every edge."""
    pos = np.asarray(pos, dtype=np.float64)
    if len(nodes) == 1:
        return np.zeros(pos.shape, int), np.zeros(pos.shape)
    f = np.interp(pos, nodes, np.arange(len(nodes)))
    f = np.where(pos < nodes[0], (pos - nodes[0]) / (nodes[1] - nodes[0]), f)
    f = np.where(pos > nodes[-1], len(nodes) - 1 + (pos - nodes[-1]) / (nodes[-1] - nodes[-2]), f)
    i0 = np.clip(np.floor(f).astype(int), 0, len(nodes) - 2)
    return i0, f - i0


def _interp_matrix(pos: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """(len(pos), len(nodes)) weights of linear interpolation between nodes (extended beyond the ends)."""
    m = np.zeros((len(pos), len(nodes)))
    if len(nodes) == 1:
        m[:, 0] = 1.0
        return m
    i0, a = _fractional_index(pos, nodes)
    m[np.arange(len(pos)), i0] = 1 - a
    m[np.arange(len(pos)), i0 + 1] += a
    return m


def _gray(frames_u8: np.ndarray) -> np.ndarray:
    f = frames_u8.astype(np.float32)
    return 0.299 * f[..., 0] + 0.587 * f[..., 1] + 0.114 * f[..., 2]


@dataclass
class _Grid:
    block: int
    ys: np.ndarray  # (R,) top rows of the blocks
    xs: np.ndarray  # (C,) left columns
    window: np.ndarray  # (B, B)

    @property
    def node_y(self) -> np.ndarray:
        return self.ys + self.block / 2.0

    @property
    def node_x(self) -> np.ndarray:
        return self.xs + self.block / 2.0


def _grid(h: int, w: int, block: int | None = None) -> _Grid:
    """Overlapping square blocks (power-of-two side, about a third of the short side unless given)
    covering the frame."""
    side = min(h, w)
    if block is None:
        block = int(2 ** np.clip(np.round(np.log2(side / 3.0)), 3, 6))  # 8..64 px
    block = min(block, side)
    rows = max(2, int(round(h / (block / 2.0))) - 1)
    cols = max(2, int(round(w / (block / 2.0))) - 1)
    ys = np.round(np.linspace(0, h - block, rows)).astype(int)
    xs = np.round(np.linspace(0, w - block, cols)).astype(int)
    win = (np.hanning(block)[:, None] * np.hanning(block)[None, :]).astype(np.float32)
    return _Grid(block, ys, xs, win)


def _blocks_spectrum(gray: np.ndarray, g: _Grid) -> np.ndarray:
    b = g.block
    blocks = np.stack([gray[y : y + b, x : x + b] for y in g.ys for x in g.xs])
    blocks = blocks - blocks.mean(axis=(1, 2), keepdims=True)
    return sfft.rfft2(blocks * g.window, axes=(1, 2))


def _block_shifts(spec: np.ndarray, ref: np.ndarray, g: _Grid, reach: int) -> tuple[np.ndarray, np.ndarray]:
    """Translation (dx, dy) of each block's content from `ref` to `spec`, and its correlation peak."""
    b = g.block
    cross = spec * np.conj(ref)
    cross /= np.abs(cross) + 1e-6
    corr = sfft.irfft2(cross, s=(b, b), axes=(1, 2))
    n = corr.shape[0]
    idx = np.r_[0 : reach + 1, b - reach : b]
    sub = corr[:, idx][:, :, idx]
    flat = sub.reshape(n, -1).argmax(axis=1)
    iy, ix = idx[flat // len(idx)], idx[flat % len(idx)]
    peak = corr[np.arange(n), iy, ix]
    ar = np.arange(n)

    def refine(a: np.ndarray, c: np.ndarray) -> np.ndarray:
        den = a - 2 * peak + c
        with np.errstate(divide="ignore", invalid="ignore"):
            off = np.where(den < 0, 0.5 * (a - c) / den, 0.0)
        return np.clip(off, -0.5, 0.5)

    dx = np.where(ix > b // 2, ix - b, ix) + refine(corr[ar, iy, (ix - 1) % b], corr[ar, iy, (ix + 1) % b])
    dy = np.where(iy > b // 2, iy - b, iy) + refine(corr[ar, (iy - 1) % b, ix], corr[ar, (iy + 1) % b, ix])
    return np.stack([dx, dy], axis=-1), peak


def _design(x: np.ndarray, y: np.ndarray, w: int, h: int) -> np.ndarray:
    """Quadratic polynomial terms of normalised pixel coordinates (the smooth part of the field)."""
    u, v = (x - w / 2) / w, (y - h / 2) / h
    return np.stack([np.ones_like(u), u, v, u * u, u * v, v * v], axis=-1)


def _clean(shifts: np.ndarray, peak: np.ndarray, g: _Grid, w: int, h: int) -> tuple[np.ndarray, float]:
    """The pair's field on the grid: each block's own shift where it agrees with a robust quadratic
    fit of the textured blocks, the fit elsewhere (no texture, or a moving object in the block).

    → ((R, C, 2) field, share of blocks kept as measured)."""
    rows, cols = len(g.ys), len(g.xs)
    yy, xx = np.meshgrid(g.node_y, g.node_x, indexing="ij")
    a = _design(xx.ravel(), yy.ravel(), w, h)
    keep = peak >= MIN_PEAK
    if keep.sum() < 8:  # too little texture for a field: one translation (or none)
        fill = np.median(shifts[keep], axis=0) if keep.any() else np.zeros(2)
        return np.broadcast_to(fill, (rows, cols, 2)).copy(), float(keep.mean())
    model = np.zeros_like(shifts)
    for _ in range(4):
        coef, *_ = np.linalg.lstsq(a[keep], shifts[keep], rcond=None)
        model = a @ coef
        res = np.abs(shifts - model).max(axis=1)
        tol = max(0.35, 3.0 * 1.4826 * float(np.median(res[keep])))
        new = (peak >= MIN_PEAK) & (res < tol)
        if new.sum() < 8 or np.array_equal(new, keep):
            break
        keep = new
    field = np.where(keep[:, None], shifts, model)
    return field.reshape(rows, cols, 2), float(keep.mean())


def probe_static(frames_u8: np.ndarray, *, probes: int = 8) -> bool:
    """Frame 0 against a few frames spread over the clip, and each of those against the frame before
    it: did no textured block move?

    The camera moved when a probe saw most textured blocks move, provided at least two probes had
    enough texture to tell: on a plain background the only texture of a single probe may be an
    object passing over its own place of frame 0 (a shake may show in one probe only, so one vote of
    a well-textured clip is enough). The probes against the frame before see a pan or a dolly that
    has carried the view beyond a block's reach of frame 0 (whose blocks then no longer correlate
    and were taken for a plain background)."""
    t, h, w = frames_u8.shape[:3]
    if t < 2:
        return True
    g = _grid(h, w)
    reach = max(1, g.block // 4)
    ref = _blocks_spectrum(_gray(frames_u8[0]), g)
    pairs = []
    for k in np.unique(np.linspace(1, t - 1, min(t - 1, probes)).round().astype(int)):
        spec = _blocks_spectrum(_gray(frames_u8[k]), g)
        pairs.append((spec, ref, MIN_TEXTURED_SHARE))
        if k > 1:
            pairs.append((spec, _blocks_spectrum(_gray(frames_u8[k - 1]), g), PAIR_MIN_TEXTURED_SHARE))
    counted = moved = 0
    for spec, before, min_share in pairs:
        shifts, peak = _block_shifts(spec, before, g, reach)
        good = peak >= PROBE_MIN_PEAK
        if good.sum() < max(8, min_share * good.size):
            # too little texture to tell by: what has texture on a plain background is mostly the
            # moving objects themselves, whose motion is not the camera's
            continue
        counted += 1
        # most textured blocks, not their median: a zoom moves the edges and leaves the centre
        if np.percentile(np.abs(shifts[good]).max(axis=1), 75) >= STATIC_SHIFT_PX:
            moved += 1
    return not (moved >= 1 and counted >= 2)


def _track_field(frames_u8: np.ndarray, g: _Grid) -> tuple[np.ndarray, np.ndarray, float]:
    """→ ((T, R, C, 2) displacement since frame 0 at the grid's nodes, (T,) confidence, median
    correlation peak of the blocks)."""
    t, h, w = frames_u8.shape[:3]
    cum = np.zeros((t, len(g.ys), len(g.xs), 2))
    conf = np.ones(t)
    peaks = []
    reach = max(1, g.block // 4)
    # each frame against a keyframe (no drift while the camera only shakes); a new keyframe once the
    # view has moved by half the reach of a block's correlation. Each frame is also measured against
    # the frame before: a node where the two disagree and whose keyframe peak has faded has lost the
    # keyframe's correlation (a floor under a dolly shears inside a block as the view moves on) and
    # follows the chain of consecutive frames until the next keyframe; the others keep the
    # keyframe's measurement (less drift)
    key, key_spec = 0, _blocks_spectrum(_gray(frames_u8[0]), g)
    prev_spec = key_spec
    lost = np.zeros((len(g.ys), len(g.xs)), bool)  # nodes that follow the chain until the next keyframe
    for k in range(1, t):
        cur = _blocks_spectrum(_gray(frames_u8[k]), g)
        shifts, peak = _block_shifts(cur, key_spec, g, reach)
        field, conf[k] = _clean(shifts, peak, g, w, h)
        cum[k] = cum[key] + field
        peaks.append(float(np.median(peak)))
        if key != k - 1:
            step_shifts, step_peak = _block_shifts(cur, prev_spec, g, reach)
            chained = cum[k - 1] + _clean(step_shifts, step_peak, g, w, h)[0]
            faded = (peak < LOST_PEAK_SHARE * step_peak).reshape(lost.shape)
            lost |= faded & (np.abs(chained - cum[k]).max(axis=-1) > KEY_DISAGREE_PX)
            cum[k][lost] = chained[lost]
        if lost.mean() > 0.5 or np.abs(field[~lost]).max(initial=0.0) > reach / 2:
            key, key_spec = k, cur
            lost[:] = False
        prev_spec = cur
    return cum, conf, float(np.median(peaks)) if peaks else 0.0


def _field_explains_change(frames_u8: np.ndarray, motion: GlobalMotion, *, probes: int = 8) -> bool:
    """Does the measured field account for how frames differ better than no motion at all?

    On a picture with little texture (a flat-colour cartoon: plain sky, plain ground) the blocks
    correlate with the moving objects or with nothing, and the field they give is noise; warping a
    frame by it then matches the next one no better than the frame itself does, while a real camera
    move is explained by its field (the textured background lines up)."""
    t, h, w = frames_u8.shape[:3]
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    still = warped = 0.0
    shift = motion.translation_px
    for k in np.unique(np.linspace(1, t - 1, min(t - 1, probes)).round().astype(int)):
        # against the last frame the view had moved from by BASELINE_PX (a slow dolly moves by less
        # than the noise between consecutive frames)
        far = np.nonzero(np.abs(shift[:k] - shift[k]).max(axis=1) >= BASELINE_PX)[0]
        j = int(far[-1]) if len(far) else 0
        before, cur = _gray(frames_u8[j]), _gray(frames_u8[k])
        rel = motion.dense(j, h, w) - motion.dense(k, h, w)  # where frame k's background is in frame j
        moved = ndimage.map_coordinates(before, [gy + rel[..., 1], gx + rel[..., 0]], order=1, mode="nearest")
        still += float(np.abs(cur - before).mean())
        warped += float(np.abs(cur - moved).mean())
    return warped < FIELD_GAIN * still


def estimate_global_motion(frames_u8: np.ndarray) -> GlobalMotion:
    """(T, H, W, 3) uint8 → the background's motion field since frame 0, classed static/shake/moving."""
    t, h, w = frames_u8.shape[:3]
    g = _grid(h, w)
    still = GlobalMotion("static", np.zeros((t, len(g.ys), len(g.xs), 2)), g.node_x, g.node_y, np.ones(t))
    if probe_static(frames_u8):
        return still
    cum, conf, peak = _track_field(frames_u8, g)
    motion = GlobalMotion("shake", cum, g.node_x, g.node_y, conf)
    reach_px = SHAKE_REACH_FRACTION * max(h, w)
    if motion.spread_px > MOVING_SPREAD_PX or float(np.abs(motion.translation_px).max()) > reach_px:
        if not _field_explains_change(frames_u8, motion):
            return still  # a field of noise (a flat-colour picture), not a camera move
        motion.kind = "moving"
        if motion.spread_px > MOVING_SPREAD_PX and g.block >= 2 * MIN_FINE_BLOCK_PX and peak >= FINE_MIN_PEAK:
            # parallax: the field changes within a block (the floor's motion grows row by row
            # towards the camera), so a finer grid follows it where the picture has the texture for
            # it; one translation (a pan) keeps the larger blocks, whose chain drifts less
            fine = _grid(h, w, block=g.block // 2)
            cum, conf, _ = _track_field(frames_u8, fine)
            motion = GlobalMotion("moving", cum, fine.node_x, fine.node_y, conf)
    elif float(np.abs(motion.translation_px).max()) < STATIC_SHIFT_PX:
        motion.kind = "static"
        motion.cumulative_px[:] = 0.0
    return motion
