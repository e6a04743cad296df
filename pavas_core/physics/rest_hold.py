"""Following an object by its colour to where it comes to rest, under a moving camera.

Under a travelling camera a pixel is moving only if it differs from most of its warped neighbours
at ±0.2 s and ±0.4 s (moving_background.py). An object about to come to rest (its last low
bounces, a roll to a stop) is already in place in the later neighbours and close to it in the
earlier ones, so it stops being "moving" up to 0.2 s before it rests: its track ends before its
last contact, and that contact is never found.

A track that ends in view is followed on by its colours (a Gaussian in RGB of its last blobs seen
alone): in each next frame, the pixels of the object's colours near where it was, carried by the
background's motion (an object at rest moves with the room), make its blob, as long as that blob
is the object's size and lies inside the search window, and the room around the object does not
share its colours. Where the blob touches another tracked object's blob, the colours still cut
the object out of it; the sample is marked shared and split, as the tracker marks a blob it cuts
by colour. The hold stops once the object has been at rest for REST_S (its landing can then be
timed, its rest level seen), or after HOLD_S.

Only for a travelling camera: against a static or shaking one, the background model keeps an
object that has come to rest in the foreground for a while (segmentation.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .blob_colour import nearest_region
from .global_motion import GlobalMotion
from .moving_background import EDGE_MARGIN_PX
from .segmentation import Detection, detection_from_mask
from .tracking import LINK_AREA_LOG_GATE, Track, TrackPoint

HOLD_S = 0.5  # the longest an object is followed by its colour after its track ends
REST_S = 0.25  # ... or until it has been at rest this long
REST_PX = 0.5  # at rest: it moves less than this per frame against the room (px)
WINDOW_SIZES = 1.5  # the search window reaches this many object sizes beyond its last blob
MAX_LOOKALIKE_SHARE = 0.10  # more of the room around it in its colour than this: not followed
MIN_HOLD_POINTS = 5  # a track shorter than this is not followed
MIN_HOLD_BLOBS = 3  # ... nor one seen alone in fewer of its last blobs
HOLD_COLOUR_POINTS = 5  # the colour from the track's last blobs seen alone
MIN_LOOK_PIXELS = 20
PIXEL_NOISE_DN = 3.0  # per-channel noise added to the colours' spread
FIT_QUANTILE = 0.95  # the object's own pixels up to this quantile fit its colours...
FIT_MARGIN = 1.5  # ... with this margin on the squared distance
LUMA_TRIM = 0.1  # the colours' spread from the pixels between these quantiles of brightness
MIN_FIT_D2 = 11.3  # never tighter than the 99 % point of χ² with 3 degrees of freedom


@dataclass
class _Look:
    """The object's colours as a Gaussian in RGB, and the squared distance its own pixels keep to.
    Brightness is kept (unlike blob_colour's chromaticity): over the half second of a hold the object
    barely turns, and a dark ball's hue alone is too loose to tell it from a grey floor."""

    mean: np.ndarray  # (3,)
    inv_cov: np.ndarray  # (3, 3)
    fit_d2: float

    def fits(self, pixels: np.ndarray) -> np.ndarray:
        d = pixels.astype(np.float64) - self.mean
        return np.einsum("...i,ij,...j->...", d, self.inv_cov, d) <= self.fit_d2


def _look(dets: list[Detection]) -> _Look | None:
    parts = []
    for d in (d for d in dets if d.mask is not None and d.rgb is not None):
        inner = ndimage.binary_erosion(d.mask, structure=np.ones((3, 3), bool))
        parts.append(d.rgb[inner if inner.sum() >= MIN_LOOK_PIXELS else d.mask])
    px = np.concatenate(parts).astype(np.float64) if parts else np.zeros((0, 3))
    if len(px) < MIN_LOOK_PIXELS:
        return None
    luma = px @ np.array([0.299, 0.587, 0.114])
    lo, hi = np.quantile(luma, [LUMA_TRIM, 1.0 - LUMA_TRIM])
    core = px[(luma >= lo) & (luma <= hi)]  # without the highlight and the darkest shade, which
    core = core if len(core) >= MIN_LOOK_PIXELS else px  # would stretch the spread along grey
    mean = core.mean(axis=0)
    cov = np.cov(core.T) + np.eye(3) * PIXEL_NOISE_DN**2
    inv = np.linalg.inv(cov)
    d = core - mean
    own = np.einsum("ni,ij,nj->n", d, inv, d)
    return _Look(mean, inv, max(MIN_FIT_D2, FIT_MARGIN * float(np.quantile(own, FIT_QUANTILE))))


def _window(u: float, v: float, half: float, w: int, h: int) -> tuple[int, int, int, int]:
    return (max(0, int(np.floor(v - half))), min(h, int(np.ceil(v + half)) + 1),
            max(0, int(np.floor(u - half))), min(w, int(np.ceil(u + half)) + 1))


def _blobs_by_frame(tracks: list[Track]) -> dict[int, list[tuple[int, Detection]]]:
    out: dict[int, list[tuple[int, Detection]]] = {}
    for i, tr in enumerate(tracks):
        for p in tr.points:
            out.setdefault(p.frame, []).append((i, p.det))
    return out


def _touches(det: Detection, other: Detection) -> bool:
    """Whether two blobs share a pixel (or, without masks, their boxes overlap)."""
    a, b = det.box_xyxy, other.box_xyxy
    if not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]):
        return False
    if det.mask is None or other.mask is None:
        return True
    (ay, ax), (by, bx) = det.mask_origin, other.mask_origin
    y0, y1 = max(ay, by), min(ay + det.mask.shape[0], by + other.mask.shape[0])
    x0, x1 = max(ax, bx), min(ax + det.mask.shape[1], bx + other.mask.shape[1])
    if y0 >= y1 or x0 >= x1:
        return False
    return bool((det.mask[y0 - ay:y1 - ay, x0 - ax:x1 - ax] & other.mask[y0 - by:y1 - by, x0 - bx:x1 - bx]).any())


def _lookalike_share(model: _Look, frame_u8: np.ndarray, det: Detection, half: float) -> float:
    """Share of the room within `half` px of the blob `det` (its own pixels and a rim left out)
    that has the object's colours."""
    h, w = frame_u8.shape[:2]
    y0, y1, x0, x1 = _window(det.u_px, det.v_px, half, w, h)
    room = np.ones((y1 - y0, x1 - x0), bool)
    if det.mask is not None:
        ys, xs = np.nonzero(det.mask)
        ys, xs = ys + det.mask_origin[0] - y0, xs + det.mask_origin[1] - x0
        inside = (ys >= 0) & (ys < y1 - y0) & (xs >= 0) & (xs < x1 - x0)
        room[ys[inside], xs[inside]] = False
        room = ndimage.binary_erosion(room, structure=np.ones((5, 5), bool), border_value=1)
    if not room.any():
        return 1.0
    return float(np.mean(model.fits(frame_u8[y0:y1, x0:x1][room])))


def _blob_near(model: _Look, frame_u8: np.ndarray, k: int, centre: np.ndarray, reach: float, typical_px: float,
               edge_px: float) -> Detection | None:
    """The region of the object's colours nearest `centre` (blob_colour.nearest_region) in the window
    of half-size `reach` around it, holes filled; None when there is none, when it is not the
    object's size (×2 either way) or when it runs into the window's edge (it joins something else
    of the object's colours)."""
    h, w = frame_u8.shape[:2]
    y0, y1, x0, x1 = _window(float(centre[0]), float(centre[1]), reach, w, h)
    crop = frame_u8[y0:y1, x0:x1]
    fits = model.fits(crop)
    if not fits.any():
        return None
    window = detection_from_mask(k, y0, x0, np.ones(fits.shape, bool), edge_px=edge_px, frame_size=(w, h))
    window.rgb = crop
    blob = nearest_region(window, fits, centre)
    if blob is None or abs(np.log(max(blob.area_px, 1.0) / max(typical_px, 1.0))) > LINK_AREA_LOG_GATE:
        return None
    ys, xs = np.nonzero(blob.mask)
    if ys.min() == 0 or xs.min() == 0 or ys.max() == fits.shape[0] - 1 or xs.max() == fits.shape[1] - 1:
        return None
    return blob


def hold_to_rest(tracks: list[Track], frames_u8: np.ndarray, motion: GlobalMotion, *, fps: float,
                 edge_px: float = EDGE_MARGIN_PX) -> dict[int, int]:
    """Extend, in place, each track of `tracks` that ends in view by following its object's colours
    until it rests (see the module docstring); the points added are marked `held`.
    frames_u8: (T, H, W, 3) the frames the tracks were found in; motion: the background's motion.
    Returns {track id: points added} for the tracks extended."""
    t = frames_u8.shape[0]
    hold = max(2, int(round(HOLD_S * fps)))
    rest_need = max(2, int(round(REST_S * fps)))
    others = _blobs_by_frame(tracks)

    def room_shift(k0: int, k1: int, uv: np.ndarray) -> np.ndarray:
        """How far the background at `uv` of frame k0 moved by frame k1 (px)."""
        moved = motion.at(np.array([k0, k1]), np.full(2, uv[0]), np.full(2, uv[1]))
        return np.asarray(moved[1] - moved[0], dtype=np.float64)

    added: dict[int, int] = {}
    for i, tr in enumerate(tracks):
        last = tr.points[-1]
        if len(tr.points) < MIN_HOLD_POINTS or tr.last_frame >= t - 1 or last.det.touches_border or last.shared:
            continue
        alone = tr.seen_alone(HOLD_COLOUR_POINTS)
        model = _look(alone) if len(alone) >= MIN_HOLD_BLOBS else None
        typical = tr.typical_area()
        size = max(tr.typical_size(), float(np.sqrt(typical)))
        half = (0.5 + WINDOW_SIZES) * size + 2.0
        if model is None or _lookalike_share(model, frames_u8[last.frame], last.det, half) > MAX_LOOKALIKE_SHARE:
            continue
        uv = np.array([last.det.u_px, last.det.v_px])
        prev = tr.points[-2]
        # its own motion against the room at the track's end (px/frame) centres the first window
        own = (uv - np.array([prev.det.u_px, prev.det.v_px]) - room_shift(prev.frame, last.frame, uv)) \
            / max(last.frame - prev.frame, 1)
        at_rest, n_added = 0, 0
        for k in range(last.frame + 1, min(t, last.frame + 1 + hold)):
            carried = uv + room_shift(k - 1, k, uv)
            det = _blob_near(model, frames_u8[k], k, carried + own, half + float(np.hypot(*own)), typical, edge_px)
            if det is None or det.touches_border:
                break  # lost, or leaving the picture
            # beside another object its colours still cut it out of what it touches
            touching = any(j != i and _touches(det, o) for j, o in others.get(k, []))
            own = np.array([det.u_px, det.v_px]) - carried
            at_rest = at_rest + 1 if float(np.hypot(*own)) < REST_PX else 0
            uv = np.array([det.u_px, det.v_px])
            tr.points.append(TrackPoint(k, det, shared=touching, split=touching, held=True))
            others.setdefault(k, []).append((i, det))  # where the next tracks' holds meet it
            n_added += 1
            if at_rest >= rest_need:
                break
        if n_added:
            added[tr.id] = n_added
    return added
