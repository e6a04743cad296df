"""Object masks from ComfyUI's SAM 3 video tracking (`SAM3_VideoTrack` → SAM3_TRACK_DATA).

The format, as ComfyUI 0.25 makes it (comfy/ldm/sam3/tracker.py, comfy_extras/nodes_sam3.py), is a
dict:
- "packed_masks": uint8 tensor (frames, objects, Hm, Wm / 8): the masks at the model's own square
  size, 8 pixels per byte, the lowest bit the leftmost pixel; or None when nothing was tracked;
- "n_frames": int; "scores": one float per object (1.0 for objects from initial masks);
- "orig_size": (H, W) of the frames that were tracked (the masks stretch to it).
An object that is not tracked in a frame (not yet found, occluded, lost) has an empty mask there.

`track_to_object_masks` turns it into one ObjectMasks per object, in any pixel grid of the same
picture, one frame at a time (the whole clip is never unpacked at once).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..errors import BadInputError
from ..physics.masks import ObjectMasks
from ..progress import ProgressCallback, report


def _as_numpy(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach().to("cpu").numpy()
    return np.asarray(value)


def _check(track: Any) -> tuple[Any, int, tuple[int, int]]:
    if not isinstance(track, dict) or "n_frames" not in track or "packed_masks" not in track:
        raise BadInputError("SAM 3 track: expected the track_data of ComfyUI's 'Run SAM3 Video Track' "
                            "(a dict with packed_masks and n_frames)")
    n = track["n_frames"]
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise BadInputError(f"SAM 3 track: n_frames must be a whole number, got {n!r}")
    size = track.get("orig_size")
    if not (isinstance(size, (tuple, list)) and len(size) == 2 and all(isinstance(v, int) and v > 0 for v in size)):
        raise BadInputError(f"SAM 3 track: orig_size must be (height, width), got {size!r}")
    packed = track["packed_masks"]
    if packed is not None:
        if not hasattr(packed, "shape") or not hasattr(packed, "dtype"):
            raise BadInputError(f"SAM 3 track: packed_masks must be a tensor, got {type(packed).__name__}")
        shape = tuple(packed.shape)
        if len(shape) != 4 or shape[0] != n:
            raise BadInputError(f"SAM 3 track: packed_masks must be (frames={n}, objects, H, W/8), got {shape}")
        dtype = str(getattr(packed, "dtype", ""))
        if "uint8" not in dtype:
            raise BadInputError(f"SAM 3 track: packed_masks must be uint8 (bit-packed), got {dtype}")
    return packed, n, (int(size[1]), int(size[0]))


def unpack_frame(packed_frame: Any) -> np.ndarray:
    """(objects, Hm, Wm/8) uint8 → (objects, Hm, Wm) bool (bit j of byte b is pixel 8b + j)."""
    return np.unpackbits(_as_numpy(packed_frame), axis=-1, bitorder="little").astype(bool)


def pack_frame(masks: np.ndarray) -> np.ndarray:
    """(objects, H, W) bool → the packed form (W a multiple of 8); for tests and tools."""
    masks = np.asarray(masks, dtype=bool)
    if masks.shape[-1] % 8:
        raise ValueError("the width of packed masks must be a multiple of 8")
    return np.packbits(masks, axis=-1, bitorder="little")


def track_to_object_masks(track: Any, num_frames: int, grid_size: tuple[int, int], *,
                          object_indices: Sequence[int] | None = None,
                          progress: ProgressCallback | None = None) -> tuple[list[ObjectMasks], list[str]]:
    """One ObjectMasks per tracked object (or per index in `object_indices`) in a `grid_size` (w, h)
    grid, and notes (objects absent in some frames). The track must cover `num_frames` frames."""
    from PIL import Image

    packed, n, _ = _check(track)
    if n != num_frames:
        raise BadInputError(f"SAM 3 track: it covers {n} frames, the clip has {num_frames}; track the same frames")
    if packed is None:
        return [], ["SAM 3 tracked no object in this clip"]
    count = int(packed.shape[1])
    indices = list(range(count)) if object_indices is None else list(object_indices)
    bad = [i for i in indices if not 0 <= i < count]
    if bad:
        raise BadInputError(f"SAM 3 track: object index {bad[0]} is not among its {count} objects (0–{count - 1})")
    w, h = int(grid_size[0]), int(grid_size[1])
    out = [ObjectMasks.empty(n, (w, h)) for _ in indices]
    for k in range(n):
        planes = unpack_frame(packed[k])
        for j, i in enumerate(indices):
            plane = planes[i]
            if not plane.any():
                continue
            # the masks are stretched over the frame (the tracker resized frames without cropping)
            small = Image.fromarray(plane.astype(np.uint8) * 255).resize((w, h), Image.BILINEAR)
            out[j].with_frame(k, 0, 0, np.asarray(small) >= 128)
        report(progress, k + 1, n)
    notes = []
    for j, i in enumerate(indices):
        missing = int((~out[j].visible()).sum())
        if missing:
            notes.append(f"SAM 3 object {i} is not tracked in {missing} of {n} frames (not visible there)")
    return out, notes
