"""Multi-object tracking of moving blobs with stable identities.

Each frame, every live track predicts where its object is (a parabola through its recent
positions: objects in flight accelerate), and detections are assigned to tracks by the Hungarian
method on a cost mixing distance (gated by the track's size and speed), colour and area. When two
objects overlap they make one blob: a track left without a detection whose prediction falls inside
a blob clearly bigger than its own object shares that blob, and both samples are marked `shared`
(their centroids are not the objects' own, later fits skip them). Such a blob is cut between the
two objects by their colours when these differ (blob_colour.py), else by its shape (`_split`); a
track's blob that also holds something of another colour (a body that has just come to rest
beside it, its shadow) is trimmed to the object's own colour. Tracks survive short gaps
(occlusion, missed detections) and broken tracks are re-linked when one's extrapolation meets the
other's start. Tracks that never move (ghosts of the background model, static clutter) and very
short ones are dropped.
"""

from __future__ import annotations

import itertools
import statistics
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage
from scipy.optimize import linear_sum_assignment

from .blob_colour import ColourModel, colour_model, own_pixels, separable, split_pixels
from .segmentation import Detection

_INFEASIBLE = 1e6
# a detection |log(area ratio)| further than this from a track's typical area is another object
# (×3.3 either way: motion blur and partial masks change a blob's area, not by an order of magnitude)
AREA_LOG_GATE = 1.2
# broken tracks are joined only if their blobs are about the same size: ×2 either way (an object
# that lands under a moving camera turns into background, and the blobs after its landing are
# half its size)
LINK_AREA_LOG_GATE = 0.7


def _area_log_ratio(area_px: float, typical_px: float) -> float:
    """|log(area / typical)|: how far a blob's area is from a track's typical one."""
    return abs(float(np.log(max(area_px, 1.0) / max(typical_px, 1.0))))


@dataclass
class TrackPoint:
    frame: int
    det: Detection
    shared: bool = False  # blob shared with another track (objects overlapping)
    split: bool = False  # shared, but cut into this object's part (centroid usable with care)
    held: bool = False  # found by its colour after its motion track ended (rest_hold.py)


@dataclass
class Track:
    id: int
    points: list[TrackPoint] = field(default_factory=list)
    colour_cache: tuple[tuple[int, int], ColourModel | None] | None = field(default=None, repr=False, compare=False)

    @property
    def first_frame(self) -> int:
        return self.points[0].frame

    @property
    def last_frame(self) -> int:
        return self.points[-1].frame

    def clean_points(self, n: int | None = None) -> list[TrackPoint]:
        pts = [p for p in self.points if (not p.shared or p.split) and not p.det.touches_border]
        if not pts:
            pts = [p for p in self.points if not p.shared] or self.points
        return pts[-n:] if n else pts

    def recent_points(self, n: int) -> list[TrackPoint]:
        """The last n points whose centroid is the object's own (blobs cut by the border included)."""
        pts = [p for p in self.points if not p.shared or p.split] or self.points
        return pts[-n:]

    def seen_alone(self, n: int) -> list[Detection]:
        """The blobs of its last n points seen alone (not shared, not cut by the border), oldest first."""
        alone: list[Detection] = []
        for p in reversed(self.points):  # the newest first: the cost stays flat however long the track
            if not p.shared and not p.det.touches_border:
                alone.insert(0, p.det)
                if len(alone) == n:
                    break
        return alone

    def predict(self, frame: int) -> np.ndarray:
        """Expected centroid (u, v) at `frame` from the most recent positions."""
        pts = self.recent_points(6)
        f = np.array([p.frame for p in pts], dtype=np.float64)
        uv = np.array([[p.det.u_px, p.det.v_px] for p in pts])
        if len(pts) == 1:
            return uv[-1]
        deg = 2 if len(pts) >= 4 else 1
        x = f - f[-1]
        coef = np.polyfit(x, uv, deg)
        xp = frame - f[-1]
        return np.array([np.polyval(coef[:, 0], xp), np.polyval(coef[:, 1], xp)])

    def speed_px_per_frame(self) -> float:
        pts = self.recent_points(4)
        if len(pts) < 2:
            return 0.0
        a, b = pts[-2], pts[-1]
        return float(np.hypot(b.det.u_px - a.det.u_px, b.det.v_px - a.det.v_px) / max(b.frame - a.frame, 1))

    def peak_speed_px_per_frame(self) -> float:
        """The fastest of the last three steps: a step across a bounce is short (the object went down
        and came back up within it), while the object after it moves about as fast as before."""
        pts = self.recent_points(4)
        steps = [np.hypot(b.det.u_px - a.det.u_px, b.det.v_px - a.det.v_px) / max(b.frame - a.frame, 1)
                 for a, b in zip(pts[:-1], pts[1:])]
        return float(max(steps, default=0.0))

    def typical_area(self) -> float:
        return float(statistics.median(p.det.area_px for p in self.clean_points(7)))

    def typical_size(self) -> float:
        return float(statistics.median(p.det.size_px for p in self.clean_points(7)))

    def color(self) -> np.ndarray:
        pts = self.clean_points(7)
        return np.array([statistics.median(p.det.mean_rgb[c] for p in pts) for c in range(3)])

    def positions(self) -> np.ndarray:
        return np.array([[p.det.u_px, p.det.v_px] for p in self.points])


@dataclass(frozen=True)
class TrackerConfig:
    max_gap_frames: int = 8  # a track waits this long for its object to reappear
    min_points: int = 5  # shorter tracks are dropped
    min_motion_px: float = 4.0  # tracks whose centroid never moves further are dropped (ghosts)
    link_gap_frames: int = 15  # broken tracks closer than this in time may be re-linked
    arc_link_gap_frames: int = 30  # ... and up to this far apart if one free-fall arc joins them


def _cost_matrix(tracks: list[Track], dets: list[Detection], frame: int, young_gate_px: float) -> np.ndarray:
    cost = np.full((len(tracks), len(dets)), _INFEASIBLE)
    for i, tr in enumerate(tracks):
        pred = tr.predict(frame)
        gap = frame - tr.last_frame
        size = tr.typical_size()
        # a bounce reverses the motion: the prediction (which carries on) can then be off by up to
        # twice the distance travelled since the contact, at the speed from before the bounce
        gate = 3.0 + 1.2 * size + 2.5 * tr.peak_speed_px_per_frame() * gap + 2.0 * (gap - 1)
        if len(tr.points) == 1:  # speed still unknown: a fast object may be far from where it was
            gate = max(gate, young_gate_px)
        color = tr.color()
        area = tr.typical_area()
        for j, d in enumerate(dets):
            dist = float(np.hypot(d.u_px - pred[0], d.v_px - pred[1]))
            if dist > gate:
                continue
            dcol = float(np.linalg.norm(np.asarray(d.mean_rgb) - color)) / 40.0
            darea = _area_log_ratio(d.area_px, area)
            # overlapping objects: the blob's colour is a mix. Only right after the track was seen: a
            # bigger blob of another colour after a gap is another object
            merged = d.area_px > 1.3 * area and gap <= 2
            if (dcol > 2.5 and not merged) or darea > AREA_LOG_GATE:
                continue  # another object: a different colour or a very different size
            if gap > 2 and _other_hue(tr, d):
                continue  # seen again after a gap, about the same mean colour, but not the object's hue
            cost[i, j] = (dist / gate) ** 2 + 0.5 * dcol**2 + 0.3 * darea**2
    return cost


def track_detections(detections: list[list[Detection]], *, config: TrackerConfig | None = None) -> list[Track]:
    """Link per-frame detections into tracks. → tracks sorted by first appearance, ids 0..n−1."""
    cfg = config or TrackerConfig()
    young_gate = 0.0
    for dets in detections:
        if dets and dets[0].frame_size[0]:
            young_gate = 0.2 * max(dets[0].frame_size)
            break
    live: list[Track] = []
    done: list[Track] = []
    next_id = 0
    for frame, dets in enumerate(detections):
        still = []
        for tr in live:
            (still if frame - tr.last_frame <= cfg.max_gap_frames else done).append(tr)
        live = still
        matched_det: dict[int, int] = {}
        if live and dets:
            cost = _cost_matrix(live, dets, frame, young_gate)
            rows, cols = linear_sum_assignment(cost)
            for r, c in zip(rows, cols):
                if cost[r, c] < _INFEASIBLE:
                    matched_det[c] = r
        matched_tracks = set(matched_det.values())
        preds = {i: tr.predict(frame) for i, tr in enumerate(live)}
        for j, i in matched_det.items():
            live[i].points.append(_own_part(live[i], dets[j], preds[i]) or TrackPoint(frame, dets[j]))
        # overlapping objects make one blob: a track left without a detection takes its part of a
        # big blob it sits in, whichever of the two tracks the blob was matched to
        for i, tr in enumerate(live):
            if i in matched_tracks or frame - tr.last_frame > 2 or len(tr.points) < 2:
                continue
            pred = preds[i]
            # the prediction may be off after a bounce: allow for the object's own motion
            pad = 0.5 * tr.typical_size() + 1.5 * tr.speed_px_per_frame() * (frame - tr.last_frame)
            for j, d in enumerate(dets):
                x0, y0, x1, y1 = d.box_xyxy
                if j not in matched_det or not (x0 - pad <= pred[0] <= x1 + pad and y0 - pad <= pred[1] <= y1 + pad):
                    continue
                k_other = matched_det[j]
                other = live[k_other]
                # the blob must hold both objects: bigger than the matched one alone by a good part of this one
                if not d.area_px > other.typical_area() + 0.3 * tr.typical_area():
                    continue
                parts = _split_by_colour(d, (tr, pred), (other, preds[k_other]))
                if parts is None:
                    parts = _split(d, pred, tr.typical_area(), preds[k_other], other.typical_area())
                    if parts[0] is not None and parts[1] is not None:
                        parts = _assign_parts(parts, (tr, pred), (other, preds[k_other]))
                if parts[0] is not None and parts[1] is not None:
                    mine, theirs = parts
                    if _area_log_ratio(mine.area_px, tr.typical_area()) > AREA_LOG_GATE:
                        # a part far bigger (or smaller) than the track's object is not that object:
                        # the flicker along a resting body's edge is a chain of one-pixel specks, and
                        # when the body topples its blob is cut in two with a speck's half
                        break
                    other.points[-1] = TrackPoint(frame, theirs, shared=True, split=True)
                    tr.points.append(TrackPoint(frame, mine, shared=True, split=True))
                elif d.mask is not None and parts[0] is None:
                    pass  # cut by the predictions (one neck-less blob), nothing near this track's: its object is not in it
                else:
                    other.points[-1].shared = True
                    tr.points.append(TrackPoint(frame, d, shared=True))
                break
        for j, d in enumerate(dets):
            if j not in matched_det:
                live.append(Track(next_id, [TrackPoint(frame, d)]))
                next_id += 1
    done.extend(live)
    tracks = _link(sorted(done, key=lambda t: t.first_frame), cfg)
    slices = _slices_of_bigger_bodies(tracks)
    _give_back_slices(tracks, slices)
    kept = [piece for i, t in enumerate(tracks) if i not in slices for piece in _smooth_pieces(t, cfg)]
    kept.sort(key=lambda t: (t.first_frame, t.points[0].det.u_px))
    for i, t in enumerate(kept):
        t.id = i
    return kept


COLOUR_MODEL_POINTS = 5  # the object's colour from its last blobs seen alone
MIN_COLOUR_POINTS = 3
OVERSIZE_SHARE = 1.0  # a blob bigger than the object may hold something else
FOREIGN_SHARE = 0.15  # a region of another colour this big (share of the object's area) is something else...
FOREIGN_MIN_PX = 20.0  # ... and at least this many pixels


def _track_colour(track: Track) -> ColourModel | None:
    """The track's colour model from its last blobs seen alone (cached until one is added)."""
    alone = track.seen_alone(COLOUR_MODEL_POINTS)
    if len(alone) < MIN_COLOUR_POINTS:
        return None
    key = (len(track.points), alone[-1].frame)
    if track.colour_cache is None or track.colour_cache[0] != key:
        track.colour_cache = (key, colour_model(alone))
    return track.colour_cache[1]


def _own_part(track: Track, d: Detection, pred: np.ndarray) -> TrackPoint | None:
    """The track's object cut out of a blob it was matched to that is bigger than it and also holds
    something of another colour (a body it passes in front of, one that has just landed next to
    it, its shadow). None when the blob is the object's size or all its colour, or colour does not
    tell them apart."""
    typical = track.typical_area()
    if d.rgb is None or d.area_px <= OVERSIZE_SHARE * typical:
        return None  # no bigger than the object: nothing else in it (a face turning another hue to the light is still it)
    model = _track_colour(track)
    if model is None:
        return None
    least = max(FOREIGN_MIN_PX, FOREIGN_SHARE * typical)
    part = own_pixels(d, model, pred, min_foreign_px=least)
    if part is None or d.area_px - part.area_px < least:
        return None
    if _area_log_ratio(part.area_px, typical) > LINK_AREA_LOG_GATE:
        return None  # what is left is not the object's size either: keep the blob as it is
    return TrackPoint(d.frame, part, shared=True, split=True)


def _other_hue(track: Track, d: Detection) -> bool:
    """Whether most of a blob's pixels are not of the track's object's colour."""
    model = _track_colour(track) if d.rgb is not None and d.mask is not None else None
    if model is None:
        return False
    return float(np.median(model.distance2(d.rgb[d.mask]))) > model.fit_d2


def _first_colour(track: Track) -> ColourModel | None:
    """The colour model of a track's first blobs seen alone (where a later track starts)."""
    return colour_model([p.det for p in track.points if not p.shared and not p.det.touches_border][:COLOUR_MODEL_POINTS])


def _colours_differ(a: Track, b_first: ColourModel | None) -> bool:
    """Whether the end of track `a` and a track starting with colour `b_first` (see `_first_colour`)
    are objects of clearly different colours (see blob_colour.separable)."""
    ma = _track_colour(a)
    return ma is not None and b_first is not None and separable(ma, b_first)


def _split_by_colour(d: Detection, a: tuple[Track, np.ndarray],
                     b: tuple[Track, np.ndarray]) -> tuple[Detection | None, Detection | None] | None:
    """(a's part, b's part) of a blob two objects of clearly different colours share, or None when
    their colours do not tell them apart (then the blob's shape must: see `_split`)."""
    if d.rgb is None:
        return None
    ma, mb = _track_colour(a[0]), _track_colour(b[0])
    if ma is None or mb is None or not separable(ma, mb):
        return None
    return split_pixels(d, (ma, a[1]), (mb, b[1]))


def _split(d: Detection, pred_a: np.ndarray, area_a: float, pred_b: np.ndarray,
           area_b: float) -> tuple[Detection | None, Detection | None]:
    """Cut a merged blob between two objects.

    Touching objects leave a neck in the blob: its distance transform then has two peaks, the two
    objects' centres, whose values are their radii; each pixel goes to the centre nearer in units
    of radius. Deeply overlapping objects leave one peak: then the predicted centres are used.
    """
    if d.mask is None:
        return None, None
    mask = np.pad(d.mask, 1)
    dist = ndimage.distance_transform_edt(mask)
    r_small = np.sqrt(max(min(area_a, area_b), 1.0) / np.pi)
    peaks = (dist == ndimage.maximum_filter(dist, size=3)) & (dist >= max(1.0, 0.5 * r_small))
    py, px = np.nonzero(peaks)
    order = np.argsort(-dist[py, px])
    seeds: list[tuple[int, int]] = []
    for k in order:  # the strongest peak, then the strongest one well apart from it
        y, x = int(py[k]), int(px[k])
        if not seeds or np.hypot(y - seeds[0][0], x - seeds[0][1]) > dist[seeds[0]] + 0.5 * dist[y, x]:
            seeds.append((y, x))
        if len(seeds) == 2:
            break
    y0, x0 = d.mask_origin
    ys, xs = np.nonzero(d.mask)
    if len(seeds) == 2:
        # each peak is an object's centre and its distance value that object's radius
        (ya, xa), (yb, xb) = seeds
        da = np.hypot(ys + 1 - ya, xs + 1 - xa) / dist[ya, xa]
        db = np.hypot(ys + 1 - yb, xs + 1 - xb) / dist[yb, xb]
        first = da <= db
        keep = np.zeros(d.mask.shape, bool)
        keep[ys[first], xs[first]] = True
        return d.part(keep), d.part(d.mask & ~keep)
    u, v = xs + x0 + 0.5, ys + y0 + 0.5
    ra, rb = np.sqrt(max(area_a, 1.0) / np.pi), np.sqrt(max(area_b, 1.0) / np.pi)
    to_a = np.hypot(u - pred_a[0], v - pred_a[1]) / ra <= np.hypot(u - pred_b[0], v - pred_b[1]) / rb
    keep_a = np.zeros(d.mask.shape, bool)
    keep_a[ys[to_a], xs[to_a]] = True
    return d.part(keep_a), d.part(d.mask & ~keep_a)


def _assign_parts(parts: tuple[Detection, Detection], a: tuple[Track, np.ndarray],
                  b: tuple[Track, np.ndarray]) -> tuple[Detection, Detection]:
    """Give each track the part that fits it better (position in radii, plus area ratio)."""
    def cost(part: Detection, tr: Track, pred: np.ndarray) -> float:
        r = np.sqrt(max(tr.typical_area(), 1.0) / np.pi)
        return float(np.hypot(part.u_px - pred[0], part.v_px - pred[1]) / r
                     + abs(np.log(max(part.area_px, 1.0) / max(tr.typical_area(), 1.0))))

    p, q = parts
    straight = cost(p, *a) + cost(q, *b)
    crossed = cost(q, *a) + cost(p, *b)
    return (p, q) if straight <= crossed else (q, p)


OWN_SHARE_MIN = 1 / 3  # share of an object's samples that are blobs of its own (not shared with another track)
SLICE_AREA_RATIO = 2.0  # the body whose blob a slice shares is at least this much bigger (area)
SLICE_OFFSET_SHARE = 1.6  # ... and the slice keeps its place on it within this share of its size


def _slices_of_bigger_bodies(tracks: list[Track]) -> set[int]:
    """Indices of the tracks that are hardly ever a blob of their own, but a slice of a bigger body's.

    A speck beside a body (a rim, a sliver of its shadow) can start a track that then takes a slice
    of the body's blob in every frame, bending with its outline (a rolling tin's slice, 7 blobs of
    its own out of 26, made two loud "bounces"). Such a track has blobs of its own for less than
    OWN_SHARE_MIN of its samples, most of its shared ones are shared with a track of
    SLICE_AREA_RATIO times its area or more, and it keeps its place on that body (the 10-90 % range
    of its offset from the body's centroid is at most SLICE_OFFSET_SHARE of the body's size: 0.3
    to 0.8 for a tin's rim and shadow, 1.45 for the half of a slab that turns over as it falls off
    a ledge; a small ball that passes in front of a glider crosses it, 2.8). The body keeps its
    track: two bodies of about one size overlapping for long are judged as before."""
    # partners are the tracks sharing a blob in the same frame: a slice and its body may share
    # one blob, or each hold a part of it (keyed by the blob itself, every development set found
    # the same impacts, 2026-12-04 night)
    sharing: dict[int, list[tuple[int, TrackPoint]]] = {}
    for i, t in enumerate(tracks):
        for p in t.points:
            if p.shared:
                sharing.setdefault(p.frame, []).append((i, p))
    areas = [t.typical_area() for t in tracks]
    out = set()
    for i, t in enumerate(tracks):
        shared = [p for p in t.points if p.shared]
        if len(t.points) - len(shared) >= OWN_SHARE_MIN * len(t.points):
            continue
        offsets: dict[int, list[tuple[float, float]]] = {}  # per bigger partner: where the slice sits on it
        for p in shared:
            for j, q in sharing[p.frame]:
                if j != i and areas[j] >= SLICE_AREA_RATIO * areas[i]:
                    offsets.setdefault(j, []).append((p.det.u_px - q.det.u_px, p.det.v_px - q.det.v_px))
        if not offsets:
            continue
        j, off = max(offsets.items(), key=lambda kv: len(kv[1]))
        # a slice rides on its body; a small ball passing in front of a big box crosses it
        spread = np.percentile(off, 90, axis=0) - np.percentile(off, 10, axis=0)
        if len(off) > 0.5 * len(shared) and float(np.hypot(*spread)) <= SLICE_OFFSET_SHARE * tracks[j].typical_size():
            out.add(i)
    return out


def _give_back_slices(tracks: list[Track], slices: set[int]) -> None:
    """Each slice's part of a blob goes back to the body it was cut from (in place).

    A blob cut between a body and a slice of it (its shadow, a rim) leaves the body's centroid on
    its own part, which changes from frame to frame with the cut: a rolling tin's path bent into
    "bounces". Where the body and the slice hold the only two parts of one blob (blobs told apart
    by their place in the frame: a slice on each of two bodies is no reason to keep both cut; a
    rolling tube kept its cut part, jittering by a pixel, and "bounced" at 0.6 m/s), the body gets
    the whole blobs back if its path is smoother with them (a rim: a tube's roughness 0.27 ->
    0.23 px/frame²). A shadow is a slice too, but one that slides along the floor while the body
    falls: given back, it made a brick's path rougher (0.39 -> 0.60) and tilted its flight 14°."""
    by_blob: dict[tuple, list[tuple[int, int]]] = {}
    for i, t in enumerate(tracks):
        for k, p in enumerate(t.points):
            if p.split:
                by_blob.setdefault(_blob_key(p), []).append((i, k))
    for i in slices:
        wholes: dict[int, dict[int, Detection]] = {}  # per body: its point index -> the whole blob
        for p in tracks[i].points:
            holders = by_blob.get(_blob_key(p), []) if p.split else []
            if len(holders) != 2:
                continue
            j, k = next((j, k) for j, k in holders if j != i)
            whole = tracks[j].points[k].det.joined(p.det) if j not in slices else None
            if whole is not None:
                wholes.setdefault(j, {})[k] = whole
        for j, parts in wholes.items():
            body = tracks[j].points
            if _roughness(body, parts, given_back=True) >= _roughness(body, parts, given_back=False):
                continue  # the part is no rim: a shadow sliding along the floor as the body falls
            for k, whole in parts.items():
                body[k] = TrackPoint(body[k].frame, whole)
            tracks[j].colour_cache = None


def _roughness(points: list[TrackPoint], parts: dict[int, Detection], *, given_back: bool) -> float:
    """Median frame-to-frame change of velocity (px/frame²) of a track's centroid around the points
    in `parts` (point index -> whole blob), with or without those blobs given back."""
    dets = [parts[k] if given_back and k in parts else p.det for k, p in enumerate(points)]
    uv = np.array([[d.u_px, d.v_px] for d in dets])
    f = np.array([p.frame for p in points])
    ks = [k for k in range(1, len(points) - 1)
          if f[k + 1] - f[k] == 1 and f[k] - f[k - 1] == 1 and (k - 1 in parts or k in parts or k + 1 in parts)]
    if not ks:
        return 0.0
    acc = [np.hypot(*(uv[k + 1] - 2 * uv[k] + uv[k - 1])) for k in ks]
    return float(np.median(acc))


def _blob_key(p: TrackPoint) -> tuple:
    """Which blob of its frame a part was cut from (the parts of one blob share its box)."""
    shape = p.det.mask.shape if p.det.mask is not None else None
    return p.frame, p.det.mask_origin, shape


def _is_object(track: Track, cfg: TrackerConfig) -> bool:
    clean = track.clean_points()
    if len(clean) < cfg.min_points:
        return False
    if max(path_extent_px(track), outline_extent_px(track)) < max(cfg.min_motion_px, 0.5 * track.typical_size()):
        return False  # never goes anywhere: the flicker of a resting place or an edge
    return _moves_smoothly(clean, track.typical_size())


JOURNEY_MIN_POINTS = 5  # a journey: at least this many samples away from where the object mostly was


def path_extent_px(track: Track) -> float:
    """How far the object went: the diagonal of its path's 10–90 % box (one stray blob linked in
    does not make a resting place's flicker a journey), or, if larger, how far from its median
    place its JOURNEY_MIN_POINTS-th farthest sample lies (an object that bounces for half a second
    and then rests for the rest of the clip has its 10–90 % box at its resting place)."""
    uv = track.positions()
    if len(uv) == 0:
        return 0.0
    lo, hi = np.percentile(uv, 10, axis=0), np.percentile(uv, 90, axis=0)
    box = float(np.hypot(*(hi - lo)))
    if len(uv) <= JOURNEY_MIN_POINTS:
        return box
    far = np.sort(np.hypot(*(uv - np.median(uv, axis=0)).T))[-JOURNEY_MIN_POINTS]
    return max(box, float(far))


def outline_extent_px(track: Track) -> float:
    """How far the object's outline went: the largest 10–90 % range of one side of its box. A body
    toppling over where it stood (toward the camera, say) barely moves its centre, but its top
    comes down by most of its height; the flicker of a resting place keeps its box."""
    boxes = np.array([p.det.box_xyxy for p in track.points], dtype=np.float64)
    if len(boxes) == 0:
        return 0.0
    return float((np.percentile(boxes, 90, axis=0) - np.percentile(boxes, 10, axis=0)).max())


MAX_SPLIT_DEPTH = 3  # a track that jumps about is cut at most this deep (at most 2**depth pieces)


def _smooth_pieces(track: Track, cfg: TrackerConfig, depth: int = 0) -> list[Track]:
    """The track if it is an object; else, if it jumps about, the pieces of it that are objects.

    The tracker's gate is wide after a fast object's last sample (a bounce may have reversed it):
    a ball lost in front of a bigger body for two frames took a slice of that body and then a
    blob 100 px away, and the whole track, its clean fall and bounce included, failed the
    smoothness test. Cut at the sample where the velocity changes most, each side judged again."""
    if _is_object(track, cfg):
        return [track]
    clean = track.clean_points()
    if depth >= MAX_SPLIT_DEPTH or len(clean) < 2 * cfg.min_points or _moves_smoothly(clean, track.typical_size()):
        return []  # too short to hold two objects' worth, or dropped for a reason a cut does not mend
    f = np.array([p.frame for p in clean], dtype=np.float64)
    uv = np.array([(p.det.u_px, p.det.v_px) for p in clean], dtype=np.float64)
    vel = np.diff(uv, axis=0) / np.diff(f)[:, None]
    cut = clean[int(np.argmax(np.hypot(*np.diff(vel, axis=0).T))) + 1].frame
    pieces = []
    for part in ([p for p in track.points if p.frame < cut], [p for p in track.points if p.frame > cut]):
        if part:
            pieces += _smooth_pieces(Track(track.id, part), cfg, depth + 1)
    return pieces


SMOOTH_MIN_PX = 3.0  # frame-to-frame change of velocity (px/frame²) tolerated for any object...
SMOOTH_SIZE_SHARE = 0.5  # ... or this share of its size (centroids of big blobs wobble more)


def _moves_smoothly(points: list[TrackPoint], size_px: float) -> bool:
    """A body's centroid changes velocity little from frame to frame (gravity, a bounce now and
    then); a chain of unrelated specks (noise where objects came to rest, texture edges) jumps
    about. Judged by the median change of velocity per frame (px/frame², gaps allowed)."""
    f = np.array([p.frame for p in points], dtype=np.float64)
    uv = np.array([(p.det.u_px, p.det.v_px) for p in points], dtype=np.float64)
    if len(f) < 3:
        return True
    vel = np.diff(uv, axis=0) / np.diff(f)[:, None]
    dt = 0.5 * (f[2:] - f[:-2])
    jerk = np.hypot(*(np.diff(vel, axis=0) / dt[:, None]).T)
    return float(np.median(jerk)) <= max(SMOOTH_MIN_PX, SMOOTH_SIZE_SHARE * size_px)


def _link(tracks: list[Track], cfg: TrackerConfig) -> list[Track]:
    """Join a track that ends to one that starts soon after where its extrapolation leads."""
    tracks = list(tracks)
    first_colours: dict[int, ColourModel | None] = {}  # by id(track): each candidate's colour, fitted once
    changed = True
    while changed:
        changed = False
        best = None
        for a in tracks:
            if len(a.points) < 3:
                continue
            for b in tracks:
                gap = b.first_frame - a.last_frame
                if b is a or gap < 1 or gap > max(cfg.link_gap_frames, cfg.arc_link_gap_frames):
                    continue
                first = b.points[0].det
                dcol = float(np.linalg.norm(np.asarray(first.mean_rgb) - a.color())) / 40.0
                b_area = float(np.median([p.det.area_px for p in b.points[:5]]))
                if not (dcol < 1.5 and _area_log_ratio(b_area, a.typical_area()) < LINK_AREA_LOG_GATE):  # same colour and about the same size
                    continue
                if id(b) not in first_colours:
                    first_colours[id(b)] = _first_colour(b)
                if _colours_differ(a, first_colours[id(b)]):
                    continue  # close in mean colour, but their pixels' hues tell them apart
                score = None
                if gap <= cfg.link_gap_frames:
                    pred = a.predict(b.first_frame)
                    dist = float(np.hypot(first.u_px - pred[0], first.v_px - pred[1]))
                    gate = 3.0 + 1.2 * a.typical_size() + 1.0 * a.peak_speed_px_per_frame() * gap
                    if dist < gate:  # where the extrapolation leads
                        score = dist / gate + 0.2 * dcol
                if score is None and gap <= cfg.arc_link_gap_frames:
                    # an object thrown up out of the picture (or hidden for a while) comes back on
                    # the same free-fall arc it left on
                    arc = _arc_misfit(a, b)
                    if arc < 1.0:
                        score = arc + 0.2 * dcol
                if score is not None and (best is None or score < best[0]):
                    best = (score, a, b)
        if best is not None:
            _, a, b = best
            a.points.extend(b.points)
            tracks.remove(b)
            first_colours.pop(id(a), None)  # fewer than COLOUR_MODEL_POINTS alone blobs: b's now count too
            first_colours.pop(id(b), None)
            changed = True
    return tracks


def _arc_misfit(a: Track, b: Track) -> float:
    """How badly one free-fall arc (a parabola in time, accelerating down the picture) joins the end
    of `a` to the start of `b`: its rms residual in units of the tolerance (< 1: they join).

    Only whole blobs count (not cut by the picture's edge, not shared): a cut blob's centroid is off.
    The arc may start at a's last bounce and end at b's first one, so shorter ends are tried as well.
    """
    def whole(pts: list[TrackPoint]) -> list[TrackPoint]:
        return [p for p in pts if not p.shared and not p.det.touches_border]

    tail_all, head_all = whole(a.points[-8:]), whole(b.points[:8])
    if len(tail_all) < 3 or len(head_all) < 3:
        return float("inf")
    size = 0.5 * (a.typical_size() + b.typical_size())
    tol = 1.0 + 0.05 * size
    best = float("inf")
    for ka, kb in itertools.product(range(3, min(6, len(tail_all)) + 1), range(3, min(6, len(head_all)) + 1)):
        pts = tail_all[-ka:] + head_all[:kb]
        f = np.array([p.frame for p in pts], dtype=np.float64)
        uv = np.array([[p.det.u_px, p.det.v_px] for p in pts])
        x = f - f.mean()
        basis = np.stack([np.ones_like(x), x, x**2], 1)
        coef, *_ = np.linalg.lstsq(basis, uv, rcond=None)
        acc_u, acc_v = 2.0 * coef[2]
        if not (acc_v > 0 and abs(acc_u) < 0.5 * acc_v):
            continue  # not gravity (a camera tilted by more than ~25° is not expected here)
        rms = float(np.sqrt(np.mean(np.sum((uv - basis @ coef) ** 2, axis=1))))
        best = min(best, rms / tol)
    return best
