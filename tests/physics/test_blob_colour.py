"""Cutting an object out of a blob it shares with something of another colour (blob_colour.py and
the tracker's use of it)."""

import numpy as np

from pavas_core.physics.blob_colour import colour_model, own_pixels, separable, split_pixels
from pavas_core.physics.segmentation import _stats
from pavas_core.physics.tracking import track_detections

W, H = 200, 150
ORANGE = np.array([220.0, 110.0, 40.0])
BLUE = np.array([40.0, 80.0, 200.0])


def _scene(ball_uv, r, box=None, *, rng, shade=True):
    """(mask, rgb) of a shaded orange ball (brighter at its centre, as a lit sphere) and, optionally,
    a blue box (x0, y0, x1, y1) touching it: one blob over the whole frame's grid."""
    yy, xx = np.mgrid[0:H, 0:W] + 0.5
    dist = np.hypot(xx - ball_uv[0], yy - ball_uv[1])
    ball = dist <= r
    rgb = np.zeros((H, W, 3))
    light = 0.45 + 0.55 * np.clip(1.0 - dist / r, 0.0, 1.0) if shade else np.ones((H, W))
    rgb[ball] = ORANGE * light[ball, None]
    mask = ball.copy()
    if box is not None:
        x0, y0, x1, y1 = box
        inside = (xx >= x0) & (xx < x1) & (yy >= y0) & (yy < y1) & ~ball
        rgb[inside] = BLUE * 0.8
        mask |= inside
    rgb = np.clip(rgb + rng.normal(0.0, 2.0, rgb.shape), 0, 255).astype(np.uint8)
    return mask, rgb


def _det(frame, mask, rgb):
    ys, xs = np.nonzero(mask)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    crop = mask[y0:y1, x0:x1]
    cy, cx = np.nonzero(crop)
    return _stats(frame, cy, cx, (int(y0), int(x0)), (0.0, 0.0, 0.0), crop, 1, (W, H), rgb[y0:y1, x0:x1])


def test_a_shaded_ball_is_cut_out_of_a_blob_it_shares_with_a_blue_box():
    rng = np.random.default_rng(0)
    alone = [_det(k, *_scene((40.0 + 3 * k, 70.0), 9.0, rng=rng)) for k in range(4)]
    model = colour_model(alone)
    merged = _det(5, *_scene((100.3, 70.6), 9.0, box=(104, 50, 130, 90), rng=rng))
    assert merged.area_px > 3.0 * alone[0].area_px
    part = own_pixels(merged, model, np.array([99.0, 72.0]))
    true_area = np.pi * 81.0
    # the ball's outline pixels touching the box may go either way: a pixel's worth of centroid
    assert abs(part.u_px - 100.3) < 0.6 and abs(part.v_px - 70.6) < 0.6
    assert abs(part.area_px - true_area) < 0.1 * true_area
    assert part.mean_rgb[0] > 2.0 * part.mean_rgb[2]  # the part's own colour, not the blob's


def test_a_darker_side_of_the_same_colour_is_the_same_object():
    # a tumbling box turns a face half as bright to the light: same hue, it must not be cut off
    rng = np.random.default_rng(1)
    alone = [_det(k, *_scene((40.0 + 3 * k, 70.0), 9.0, rng=rng, shade=False)) for k in range(4)]
    model = colour_model(alone)
    mask, rgb = _scene((100.0, 70.0), 9.0, rng=rng, shade=False)
    rgb[:, 100:] = (rgb[:, 100:] * 0.5).astype(np.uint8)
    part = own_pixels(_det(5, mask, rgb), model, np.array([100.0, 70.0]))
    assert part.area_px == mask.sum()


def test_separable_colours():
    rng = np.random.default_rng(2)
    orange = colour_model([_det(0, *_scene((50.0, 70.0), 9.0, rng=rng))])
    mask, rgb = _scene((50.0, 70.0), 9.0, rng=rng)
    dark_orange = colour_model([_det(0, mask, (rgb * 0.6).astype(np.uint8))])  # the same hue, darker
    mask, rgb = _scene((50.0, 70.0), 9.0, box=(60, 40, 90, 100), rng=rng)
    blue_only = mask.copy()
    blue_only[:, :60] = False
    blue = colour_model([_det(0, blue_only, rgb)])
    assert separable(orange, blue)
    assert not separable(orange, dark_orange)


def test_the_tracker_keeps_a_ball_centroid_its_own_while_it_passes_a_body_of_another_colour():
    # a ball rolls right at 3 px/frame; in frames 15..21 a blue body that has just come to rest
    # beside its path is still part of the moving blob (a body turning into background)
    rng = np.random.default_rng(3)

    def run(with_colour: bool):
        frames, truth = [], []
        for k in range(30):
            uv = (30.0 + 3.0 * k, 80.0)
            box = (uv[0] + 7.0, 70, uv[0] + 21.0, 92) if 15 <= k <= 21 else None
            mask, rgb = _scene(uv, 8.0, box=box, rng=rng)
            d = _det(k, mask, rgb)
            if not with_colour:
                d.rgb = None
            frames.append([d])
            truth.append(uv)
        tracks = track_detections(frames)
        err = max(abs(p.det.u_px - truth[p.frame][0]) for t in tracks for p in t.points if 15 <= p.frame <= 21)
        return len(tracks), err

    n, err = run(True)
    assert n == 1 and err < 0.8
    # what the tracker did before it knew colours: followed the blob's centroid, 8 px off, and lost
    # the ball when the body left the blob
    n, err = run(False)
    assert n == 2 and err > 5.0


def test_the_blended_rim_of_an_object_stays_with_it():
    # the outline pixels mix the object with what is behind it (and with its motion blur): they fit
    # no colour, but cutting them off on one side would move the centroid
    rng = np.random.default_rng(4)
    model = colour_model([_det(k, *_scene((40.0 + 3 * k, 70.0), 9.0, rng=rng)) for k in range(4)])
    mask, rgb = _scene((100.0, 70.0), 9.0, rng=rng)
    rim = mask & ~__import__("scipy").ndimage.binary_erosion(mask, iterations=2)
    rim[:, :100] = False  # the trailing side only
    rgb[rim] = (0.5 * rgb[rim] + 0.5 * np.array([120, 120, 130])).astype(np.uint8)
    part = own_pixels(_det(5, mask, rgb), model, np.array([100.0, 70.0]))
    assert part.area_px == mask.sum()


def test_two_objects_of_different_colours_in_one_blob_are_split_by_colour():
    rng = np.random.default_rng(5)
    yy, xx = np.mgrid[0:H, 0:W] + 0.5
    front = np.hypot(xx - 90.0, yy - 70.0) <= 10.0  # the orange ball, in front
    back = (np.hypot(xx - 104.0, yy - 74.0) <= 12.0) & ~front  # the blue ball, partly hidden
    rgb = np.zeros((H, W, 3))
    rgb[front] = ORANGE * (0.5 + 0.5 * rng.random(front.sum()))[:, None]  # any shading
    rgb[back] = BLUE * (0.5 + 0.5 * rng.random(back.sum()))[:, None]
    rgb = np.clip(rgb + rng.normal(0.0, 2.0, rgb.shape), 0, 255).astype(np.uint8)
    orange = colour_model([_det(0, *_scene((50.0, 70.0), 10.0, rng=rng))])
    blue_mask = np.hypot(xx - 40.0, yy - 40.0) <= 12.0
    blue_rgb = np.zeros((H, W, 3), np.uint8)
    blue_rgb[blue_mask] = (BLUE * 0.8).astype(np.uint8)
    blue = colour_model([_det(0, blue_mask, blue_rgb)])
    a, b = split_pixels(_det(3, front | back, rgb), (orange, np.array([92.0, 70.0])), (blue, np.array([100.0, 72.0])))
    for part, truth in ((a, front), (b, back)):
        ys, xs = np.nonzero(truth)
        assert abs(part.u_px - (xs.mean() + 0.5)) < 0.3 and abs(part.v_px - (ys.mean() + 0.5)) < 0.3
        assert abs(part.area_px - truth.sum()) <= 0.03 * truth.sum()


def test_a_track_is_not_continued_by_an_object_of_another_hue_with_a_similar_mean_colour():
    # a beige box leaves the picture's middle; soon after, where its extrapolation leads, a
    # yellow-green ball appears: their mean colours are 50 DN apart (the tracker's coarse colour
    # gate lets that through) but their hues tell them apart
    from pavas_core.physics.tracking import TrackerConfig

    rng = np.random.default_rng(6)
    beige, green = np.array([150.0, 118.0, 76.0]), np.array([128.0, 133.0, 40.0])
    yy, xx = np.mgrid[0:H, 0:W] + 0.5
    frames = []
    for k in range(30):
        dets = []
        for colour, (u, v), on in ((beige, (20.0 + 3 * k, 80.0), k < 12), (green, (20.0 + 3 * k, 80.0), k >= 16)):
            if not on:
                continue
            mask = np.hypot(xx - u, yy - v) <= 7.0
            rgb = np.zeros((H, W, 3))
            rgb[mask] = colour * (0.7 + 0.3 * rng.random(mask.sum()))[:, None]
            rgb = np.clip(rgb + rng.normal(0.0, 2.0, rgb.shape), 0, 255).astype(np.uint8)
            dets.append(_det(k, mask, rgb))
        frames.append(dets)
    tracks = track_detections(frames, config=TrackerConfig())
    assert len(tracks) == 2
    assert [t.first_frame for t in tracks] == [0, 16]


def test_a_blob_of_the_object_s_own_size_is_not_cut_when_part_of_it_changes_hue():
    # coloured light (a blue sky above, a warm floor below) gives a tumbling body's faces different
    # hues: a blob no bigger than the object holds nothing else, and is kept whole
    rng = np.random.default_rng(7)
    frames, truth = [], []
    for k in range(30):
        uv = (30.0 + 3.0 * k, 80.0)
        mask, rgb = _scene(uv, 8.0, rng=rng)
        if 15 <= k <= 21:
            right = mask.copy()
            right[:, : int(uv[0])] = False
            rgb[right] = (0.6 * BLUE + 0.4 * ORANGE).astype(np.uint8)
        frames.append([_det(k, mask, rgb)])
        truth.append(uv)
    tracks = track_detections(frames)
    assert len(tracks) == 1
    pts = [p for p in tracks[0].points if 15 <= p.frame <= 21]
    assert len(pts) == 7 and not any(p.split for p in pts)
    assert max(abs(p.det.u_px - truth[p.frame][0]) for p in pts) < 0.3
