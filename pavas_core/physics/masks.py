"""Per-object masks over a clip: compact in memory, COCO run-length encoded in physics.json.

A mask of one object in one frame is stored as the tight crop that holds its pixels, with the
crop's origin in a stated pixel grid (`grid_size`, (width, height)). Dense (T, H, W) stacks of a
long clip would cost hundreds of megabytes per object; crops cost about the object's area.

The JSON form is COCO's uncompressed RLE, one per frame: ``{"size": [h, w], "counts": [...]}``,
column-major runs starting with background (pycocotools' ``frPyObjects`` reads it), or ``null``
where the object is not visible.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..errors import BadInputError


@dataclass(frozen=True)
class FrameMask:
    """The pixels of one object in one frame: `crop` (h, w) bool placed at (y0, x0) of the grid."""

    y0: int
    x0: int
    crop: np.ndarray

    @property
    def area_px(self) -> int:
        return int(np.count_nonzero(self.crop))

    def box_xyxy(self) -> tuple[int, int, int, int]:
        """Tight box (x0, y0, x1, y1) of the mask's pixels, x1/y1 exclusive."""
        ys, xs = np.nonzero(self.crop)
        return (self.x0 + int(xs.min()), self.y0 + int(ys.min()), self.x0 + int(xs.max()) + 1,
                self.y0 + int(ys.max()) + 1)

    def elongation(self) -> float:
        """√(λ1/λ2) of the pixels' principal spreads (1: round or square): unlike the box's aspect,
        the same whichever way the outline is turned in the picture."""
        ys, xs = np.nonzero(self.crop)
        if xs.size < 3:
            return 1.0
        largest, smallest = principal_spreads(ys, xs)
        return float(np.sqrt(largest / smallest))


# each pixel covers a unit square, whose own spread (variance 1/12 along any axis) the covariance of
# the pixel centres leaves out: without it a blob one pixel wide measures 0 px across (and a size
# prior then puts it kilometres away)
PIXEL_VARIANCE = 1.0 / 12.0


def principal_spreads(ys: np.ndarray, xs: np.ndarray) -> tuple[float, float]:
    """(largest, smallest) variance of a set of pixels along its principal axes, px², each pixel's
    own area included (PIXEL_VARIANCE): never below 1/12."""
    x, y = xs - xs.mean(), ys - ys.mean()
    cxx, cyy, cxy = float(np.mean(x * x)), float(np.mean(y * y)), float(np.mean(x * y))
    half_trace = 0.5 * (cxx + cyy)
    disc = float(np.sqrt(0.25 * (cxx - cyy) ** 2 + cxy**2))
    return half_trace + disc + PIXEL_VARIANCE, max(half_trace - disc, 0.0) + PIXEL_VARIANCE


def _tight(y0: int, x0: int, mask: np.ndarray) -> FrameMask | None:
    """Crop `mask` (placed at y0, x0) to its pixels; None if it has none."""
    mask = np.asarray(mask, dtype=bool)
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    return FrameMask(y0 + r0, x0 + c0, np.ascontiguousarray(mask[r0:r1, c0:c1]))


@dataclass
class ObjectMasks:
    """Masks of one object for every frame of a clip, in a pixel grid of `grid_size` = (width, height)."""

    grid_size: tuple[int, int]
    frames: list[FrameMask | None] = field(default_factory=list)

    # --- construction ---------------------------------------------------------------------
    @classmethod
    def empty(cls, num_frames: int, grid_size: tuple[int, int]) -> "ObjectMasks":
        return cls((int(grid_size[0]), int(grid_size[1])), [None] * int(num_frames))

    @classmethod
    def from_dense(cls, masks: np.ndarray | Sequence[np.ndarray | None], grid_size: tuple[int, int] | None = None
                   ) -> "ObjectMasks":
        """From (T, H, W) masks (bool, or float where > 0.5 counts); an all-empty frame is None."""
        frames: list[FrameMask | None] = []
        size = grid_size
        for m in masks:
            if m is None:
                frames.append(None)
                continue
            m = np.asarray(m)
            if m.ndim != 2:
                raise BadInputError(f"masks: each frame's mask must be (H, W), got shape {m.shape}")
            if size is None:
                size = (int(m.shape[1]), int(m.shape[0]))
            if (m.shape[1], m.shape[0]) != tuple(size):
                raise BadInputError(f"masks: frame mask of {m.shape[1]}x{m.shape[0]} in a {size[0]}x{size[1]} grid")
            frames.append(_tight(0, 0, m > 0.5 if m.dtype.kind == "f" else m.astype(bool)))
        if size is None:
            raise BadInputError("masks: no frames and no grid size")
        return cls((int(size[0]), int(size[1])), frames)

    def with_frame(self, k: int, y0: int, x0: int, crop: np.ndarray) -> None:
        """Set frame k's mask from a crop at (y0, x0) (clipped to the grid)."""
        w, h = self.grid_size
        crop = np.asarray(crop, dtype=bool)
        ys0, xs0 = max(0, -y0), max(0, -x0)
        ys1, xs1 = min(crop.shape[0], h - y0), min(crop.shape[1], w - x0)
        if ys1 <= ys0 or xs1 <= xs0:
            self.frames[k] = None
            return
        self.frames[k] = _tight(y0 + ys0, x0 + xs0, crop[ys0:ys1, xs0:xs1])

    # --- reading --------------------------------------------------------------------------
    @property
    def num_frames(self) -> int:
        return len(self.frames)

    def visible(self) -> np.ndarray:
        """(T,) bool: the object has at least one pixel in the frame."""
        return np.array([f is not None for f in self.frames], dtype=bool)

    def dense(self, k: int) -> np.ndarray | None:
        """(H, W) bool mask of frame k, or None where the object is not visible."""
        f = self.frames[k]
        if f is None:
            return None
        w, h = self.grid_size
        out = np.zeros((h, w), dtype=bool)
        out[f.y0 : f.y0 + f.crop.shape[0], f.x0 : f.x0 + f.crop.shape[1]] = f.crop
        return out

    def box_xyxy(self, k: int) -> tuple[int, int, int, int] | None:
        f = self.frames[k]
        return None if f is None else f.box_xyxy()

    def area_px(self) -> np.ndarray:
        return np.array([0 if f is None else f.area_px for f in self.frames])

    # --- resampling -------------------------------------------------------------------------
    def resized(self, grid_size: tuple[int, int]) -> "ObjectMasks":
        """The same masks in another grid of the same picture (nearest pixel centre)."""
        w2, h2 = int(grid_size[0]), int(grid_size[1])
        w, h = self.grid_size
        if (w2, h2) == (w, h):
            return ObjectMasks((w, h), list(self.frames))
        sx, sy = w2 / w, h2 / h
        out = ObjectMasks.empty(self.num_frames, (w2, h2))
        for k, f in enumerate(self.frames):
            if f is None:
                continue
            ch, cw = f.crop.shape
            # target pixels whose centres fall inside the crop
            tx0, tx1 = int(np.floor(f.x0 * sx)), min(int(np.ceil((f.x0 + cw) * sx)), w2)
            ty0, ty1 = int(np.floor(f.y0 * sy)), min(int(np.ceil((f.y0 + ch) * sy)), h2)
            src_x = np.floor((np.arange(tx0, tx1) + 0.5) / sx).astype(int) - f.x0
            src_y = np.floor((np.arange(ty0, ty1) + 0.5) / sy).astype(int) - f.y0
            okx, oky = (src_x >= 0) & (src_x < cw), (src_y >= 0) & (src_y < ch)
            crop = np.zeros((ty1 - ty0, tx1 - tx0), dtype=bool)
            crop[np.ix_(oky, okx)] = f.crop[np.ix_(src_y[oky], src_x[okx])]
            out.frames[k] = _tight(ty0, tx0, crop)
        return out

    # --- JSON (COCO uncompressed RLE) --------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        w, h = self.grid_size
        return {"size": [h, w], "frames": [None if f is None else rle_encode(self.dense(k))
                                           for k, f in enumerate(self.frames)]}

    @classmethod
    def from_json(cls, d: Any, num_frames: int) -> "ObjectMasks":
        if not isinstance(d, dict) or "size" not in d or "frames" not in d:
            raise BadInputError('physics: "masks" must be {"size": [h, w], "frames": [...]}')
        try:
            h, w = (int(v) for v in d["size"])
        except (TypeError, ValueError):
            raise BadInputError(f'physics: masks "size" must be [height, width], got {d["size"]!r}') from None
        if h <= 0 or w <= 0:
            raise BadInputError(f'physics: masks "size" must be positive, got {d["size"]!r}')
        frames = d["frames"]
        if not isinstance(frames, list) or len(frames) != num_frames:
            raise BadInputError(f"physics: masks need one entry per frame ({num_frames})")
        out = cls.empty(num_frames, (w, h))
        for k, rle in enumerate(frames):
            if rle is not None:
                out.frames[k] = _tight(0, 0, rle_decode(rle, (h, w)))
        return out


def rle_encode(mask: np.ndarray) -> dict[str, Any]:
    """(H, W) bool → COCO uncompressed RLE {"size": [H, W], "counts": [...]} (column-major, background first)."""
    mask = np.asarray(mask, dtype=bool)
    flat = mask.ravel(order="F").astype(np.int8)
    change = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    counts = np.diff(bounds).tolist()
    if flat.size and flat[0]:
        counts = [0] + counts  # runs start with background
    return {"size": [int(mask.shape[0]), int(mask.shape[1])], "counts": [int(c) for c in counts]}


def rle_decode(rle: Any, size: tuple[int, int] | None = None) -> np.ndarray:
    """COCO uncompressed RLE → (H, W) bool. BadInputError on malformed input."""
    if not isinstance(rle, dict) or "counts" not in rle:
        raise BadInputError('physics: a frame mask must be {"size": [h, w], "counts": [...]} or null')
    try:
        h, w = (int(v) for v in rle.get("size", size or ()))
        counts = np.asarray(rle["counts"], dtype=np.int64)
    except (TypeError, ValueError):
        raise BadInputError("physics: a frame mask has a malformed size or counts") from None
    if size is not None and (h, w) != tuple(size):
        raise BadInputError(f"physics: a frame mask of size {[h, w]} in a grid of {list(size)}")
    if counts.ndim != 1 or (counts < 0).any() or int(counts.sum()) != h * w:
        raise BadInputError(f"physics: a frame mask's run lengths must be ≥ 0 and add up to {h}×{w}")
    values = np.arange(counts.size) % 2 == 1
    return np.repeat(values, counts).reshape((w, h)).T.copy()
