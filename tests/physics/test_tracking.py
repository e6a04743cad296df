import numpy as np
import pytest

from pavas_core.physics.tracking import TrackerConfig, track_detections


def blob(frame, u, v, r, rgb, w=200, h=150):
    yy, xx = np.mgrid[int(v - r) - 1 : int(v + r) + 2, int(u - r) - 1 : int(u + r) + 2]
    return (xx + 0.5, yy + 0.5)


def det_from_mask(frame, mask, y0, x0, rgb, w=200, h=150):
    ys, xs = np.nonzero(mask)
    from pavas_core.physics.segmentation import _stats

    return _stats(frame, ys, xs, (y0, x0), rgb, mask, 1, (w, h))


def disc_mask(centres_radii, y0, x0, hh, ww):
    yy, xx = np.mgrid[0:hh, 0:ww] + 0.5
    m = np.zeros((hh, ww), bool)
    for (u, v), r in centres_radii:
        m |= np.hypot(xx + x0 - u, yy + y0 - v) <= r
    return m


def test_two_objects_crossing_keep_their_identities_and_a_merged_blob_is_split():
    # A (red, r=8) moves right, B (blue, r=5) moves left on a parallel path 9 px lower: their
    # blobs touch and merge for a few frames around the middle
    frames = []
    truth = []
    for k in range(40):
        a = (20 + 4 * k, 60.0 + 0.05 * k * k)
        b = (180 - 4 * k, 69.0 + 0.05 * k * k)
        truth.append((a, b))
        mask = disc_mask([(a, 8), (b, 5)], 0, 0, 150, 200)
        lab, n = __import__("scipy").ndimage.label(mask)
        dets = []
        for i in range(1, n + 1):
            m = lab == i
            ys, xs = np.nonzero(m)
            u = xs.mean() + 0.5
            rgb = (220.0, 30.0, 30.0) if (n == 2 and abs(u - a[0]) < abs(u - b[0])) else (
                (30.0, 30.0, 220.0) if n == 2 else (120.0, 30.0, 120.0))
            dets.append(det_from_mask(k, m, 0, 0, rgb))
        frames.append(dets)
    tracks = track_detections(frames)
    assert len(tracks) == 2
    for tr in tracks:
        uv = np.array([[p.det.u_px, p.det.v_px] for p in tr.points])
        fr = [p.frame for p in tr.points]
        which = [0 if np.linalg.norm(uv[i] - truth[f][0]) < np.linalg.norm(uv[i] - truth[f][1]) else 1
                 for i, f in enumerate(fr)]
        assert len(set(which)) == 1 and len(fr) >= 38  # followed throughout, never swapped
        obj = which[0]
        split = [p for p in tr.points if p.split]
        assert split  # the merged frames were cut between the two objects
        for p in split:
            assert np.linalg.norm([p.det.u_px - truth[p.frame][obj][0], p.det.v_px - truth[p.frame][obj][1]]) < 2.0


def test_static_blobs_and_one_frame_flickers_are_not_objects():
    frames = []
    for k in range(30):
        dets = [det_from_mask(k, disc_mask([((50, 50), 6)], 0, 0, 150, 200), 0, 0, (200.0, 200.0, 0.0))]
        if k == 12:
            dets.append(det_from_mask(k, disc_mask([((150, 100), 3)], 0, 0, 150, 200), 0, 0, (0.0, 0.0, 0.0)))
        frames.append(dets)
    assert track_detections(frames) == []


def _ball_dets(centres, r=6.0, rgb=(200.0, 60.0, 40.0), w=200, h=150):
    """One disc detection per frame (None: not seen); blobs cut by the picture's edge are cut."""
    frames = []
    for k, c in enumerate(centres):
        if c is None:
            frames.append([])
            continue
        u, v = c
        x0, y0 = max(int(u - r) - 1, 0), max(int(v - r) - 1, 0)
        x1, y1 = min(int(u + r) + 2, w), min(int(v + r) + 2, h)
        m = disc_mask([((u, v), r)], y0, x0, y1 - y0, x1 - x0)
        frames.append([det_from_mask(k, m, y0, x0, rgb, w, h)] if m.sum() else [])
    return frames


def test_a_fast_bounce_right_after_the_object_appears_does_not_break_its_track():
    # falls 20 → 38 px per frame, bounces between frames 5 and 6 (the step across the bounce is
    # short), goes back up: one track through the bounce
    g = 2.0  # px / frame²
    centres = []
    for k in range(14):
        tc = 5.5
        if k < tc:
            centres.append((100.0, 20.0 + 28.0 * k + 0.5 * g * k * k))
        else:
            v_in = 28.0 + g * tc
            y_c = 20.0 + 28.0 * tc + 0.5 * g * tc * tc
            tau = k - tc
            centres.append((100.0 + 0.0, y_c - 0.8 * v_in * tau + 0.5 * g * tau * tau))
    tracks = track_detections(_ball_dets(centres, h=260), config=TrackerConfig(max_gap_frames=3, link_gap_frames=6))
    assert len(tracks) == 1 and [p.frame for p in tracks[0].points] == list(range(14))


def test_an_object_thrown_up_out_of_the_picture_is_the_same_object_when_it_falls_back():
    # leaves through the top edge for 14 frames and comes back on the same parabola
    centres = []
    for k in range(30):
        v = 120.0 - 14.0 * k + 0.5 * 1.0 * k * k  # apex at k = 14, v = 22 … out of view in between
        centres.append((40.0 + 2.0 * k, v) if v > 40.0 or k < 4 or k > 24 else None)
    seen = [k for k, c in enumerate(centres) if c is not None]
    cfg = TrackerConfig(max_gap_frames=3, link_gap_frames=6, arc_link_gap_frames=20)
    tracks = track_detections(_ball_dets(centres), config=cfg)
    assert len(tracks) == 1 and [p.frame for p in tracks[0].points] == seen
    # without the arc link the two halves stay apart (the gap is longer than link_gap_frames)
    apart = track_detections(_ball_dets(centres), config=TrackerConfig(max_gap_frames=3, link_gap_frames=6,
                                                                        arc_link_gap_frames=0))
    assert len(apart) == 2


def test_two_objects_on_different_arcs_are_not_joined_across_a_gap():
    # the first leaves upwards; a second one of the same look appears later on another arc
    first = [(40.0 + 2.0 * k, 120.0 - 14.0 * k + 0.5 * k * k) for k in range(6)]
    second = [(150.0 - 3.0 * k, 30.0 + 9.0 * k + 0.5 * k * k) for k in range(8)]
    centres = first + [None] * 10 + second
    cfg = TrackerConfig(max_gap_frames=3, link_gap_frames=6, arc_link_gap_frames=20)
    assert len(track_detections(_ball_dets(centres), config=cfg)) == 2


def test_a_chain_of_unrelated_specks_is_no_object_but_a_falling_ball_is():
    # specks of noise where objects came to rest, linked frame after frame into one track (as seen
    # on generated scenes after landings): it travels far enough to pass the "moved" test, but
    # its velocity changes by tens of px from frame to frame: not a body. A falling ball is.
    from pavas_core.physics.segmentation import Detection
    from pavas_core.physics.tracking import Track, TrackPoint, _is_object

    def det(k, u, v, size):
        return Detection(k, u, v, size * size, size, (u - size / 2, v - size / 2, u + size / 2, v + size / 2),
                         False, (170.0, 165.0, 155.0))

    specks = [(56, 160), (68, 125), (114, 107), (69, 125), (9, 111), (67, 125)]
    chain = Track(0, [TrackPoint(22 + k, det(22 + k, u, v, 2.0)) for k, (u, v) in enumerate(specks)])
    ball = Track(1, [TrackPoint(k, det(k, 40.0 + 3.0 * k, 20.0 + 0.4 * k * k, 12.0)) for k in range(6)])
    assert not _is_object(chain, TrackerConfig()) and _is_object(ball, TrackerConfig())


def test_a_flicker_at_one_place_with_a_few_stray_blobs_linked_in_went_nowhere():
    # a resting place flickers for 27 frames; two stray specks 20 px away were linked into its
    # track (7 % of its points): it went nowhere, so it is no object (a real path is unaffected)
    from pavas_core.physics.segmentation import Detection
    from pavas_core.physics.tracking import Track, TrackPoint, _is_object, path_extent_px

    def det(k, u, v, size):
        return Detection(k, u, v, size * size, size, (u - size / 2, v - size / 2, u + size / 2, v + size / 2),
                         False, (160.0, 160.0, 156.0))

    places = [(35.0, 105.0)] * 27
    places[5], places[16] = (17.0, 108.0), (30.0, 121.0)
    flicker = Track(0, [TrackPoint(44 + 2 * k, det(44 + 2 * k, u, v, 1.0)) for k, (u, v) in enumerate(places)])
    assert path_extent_px(flicker) < 1.0 and not _is_object(flicker, TrackerConfig())
    ball = Track(1, [TrackPoint(k, det(k, 40.0 + 3.0 * k, 20.0 + 0.4 * k * k, 12.0)) for k in range(20)])
    assert path_extent_px(ball) > 50.0 and _is_object(ball, TrackerConfig())


def _bar_mask(pivot, length, angle_rad, width, hh, ww):
    """A bar standing on `pivot` (its lower right corner), tipped right by `angle_rad` from upright."""
    yy, xx = np.mgrid[0:hh, 0:ww] + 0.5
    axis = np.array([np.sin(angle_rad), -np.cos(angle_rad)])  # from the pivot up the bar
    across = np.array([-axis[1], axis[0]])  # perpendicular to the bar: its width lies on the -across side
    rel_u, rel_v = xx - pivot[0], yy - pivot[1]
    along = rel_u * axis[0] + rel_v * axis[1]
    side = -(rel_u * across[0] + rel_v * across[1])
    return (along >= 0) & (along <= length) & (side >= 0) & (side <= width)


def test_a_toppling_bar_is_not_cut_in_two_with_the_specks_along_its_resting_edge():
    # Standing still, the bar is background; only its left edge flickers (two one-pixel specks,
    # as camera shake leaves them). When it topples, its blob holds the specks' places: the speck
    # tracks, left without a detection, must not take half of it each (the old cut gave a speck
    # track a part a hundred times its own size, and the bar's track broke up).
    from pavas_core.physics.segmentation import Detection

    hh, ww = 150, 200
    pivot = (110.0, 120.0)
    frames = []
    for k in range(40):
        dets = []
        if k < 25:
            for v in (85.0, 115.0):
                dets.append(Detection(k, 101.5, v, 3.0, 1.2, (101.0, v - 1.5, 102.0, v + 1.5), False,
                                      (40.0, 140.0, 60.0)))
        else:
            angle = min(0.5 * 0.012 * (k - 24) ** 2 * 3.0, np.pi / 2)  # tips ever faster, then lies flat
            # at first only the part that has moved off its resting place differs from the background
            m = _bar_mask(pivot, min(40.0, 16.0 + 8.0 * (k - 25)), angle, 8.0, hh, ww)
            dets.append(det_from_mask(k, m, 0, 0, (40.0, 140.0, 60.0), w=ww, h=hh))
        frames.append(dets)
    tracks = track_detections(frames, config=TrackerConfig(min_motion_px=0.0))
    assert not any(p.split or p.shared for tr in tracks for p in tr.points)
    bar = [tr for tr in tracks if tr.last_frame == 39]
    assert len(bar) == 1 and [p.frame for p in bar[0].points if p.frame >= 25] == list(range(25, 40))


def test_a_body_that_lands_and_turns_half_background_is_still_one_object():
    # a disc 24 px across falls for 6 frames; its track breaks where it lands, and the track that
    # starts there shows only part of it resting (under a moving camera a body at rest becomes
    # background): blobs 18 px across, 0.56 of its area. The two are joined into one object; a
    # blob of a quarter of its area starting there is something else
    from pavas_core.physics.tracking import Track, TrackPoint, _link

    def track(tid, frames, centre_at, r):
        return Track(tid, [TrackPoint(k, _ball_dets([None] * k + [centre_at(k)], r=r)[k][0]) for k in frames])

    def fall_then_rest(r_rest):
        fall = track(0, range(6), lambda k: (40.0 + 2.0 * k, 20.0 + 2.0 * k * k), 12.0)
        rest = track(1, range(6, 12), lambda k: (52.0 + 0.5 * (k - 6), 92.0), r_rest)
        return _link([fall, rest], TrackerConfig(max_gap_frames=3, link_gap_frames=6))

    joined = fall_then_rest(9.0)
    assert len(joined) == 1 and [p.frame for p in joined[0].points] == list(range(12))
    assert len(fall_then_rest(6.0)) == 2


def test_an_object_that_bounces_for_half_a_second_then_rests_for_the_rest_of_the_clip_is_an_object():
    # a small box falls and bounces in frames 0..11, then rests where it landed for 130 frames and is
    # still seen there (the clip never shows that place empty): 92 % of its samples lie at one place,
    # so its 10-90 % box is that place, yet it went somewhere
    centres = [(40.0 + 2.0 * k, 20.0 + 0.6 * k * k) for k in range(9)]
    centres += [(58.0 + 1.5 * k, 58.4 - 5.0 * k + 0.6 * k * k) for k in range(1, 4)]
    centres += [(63.0, 50.0)] * 130
    tracks = track_detections(_ball_dets(centres, r=4.0))
    assert len(tracks) == 1 and tracks[0].first_frame == 0 and len(tracks[0].points) == len(centres)


def test_a_track_that_lives_on_slices_of_a_bigger_bodys_blob_is_no_object():
    # a speck beside a rolling tin (a sliver of its rim) is a blob of its own for a few frames; then
    # the tin's blob holds it, and the speck's track takes a slice of that blob in every frame,
    # bending with the tin's outline: a "flight" that gave two loud bounces. Seven blobs of its own
    # out of 26 is no object, the tin stays one; two bodies of one size that overlap as long
    # (the tin and a second tin) both stay, and so does a slice with half its blobs its own.
    from pavas_core.physics.tracking import Track, TrackPoint, _slices_of_bigger_bodies

    n = 26
    tin = _ball_dets([(40.0 + 3.0 * k, 60.0) for k in range(n)], r=12.0)
    speck = _ball_dets([(40.0 + 3.0 * k, 50.0 + 0.02 * k * k) for k in range(n)], r=3.0)

    def track(tid, dets, n_shared):
        return Track(tid, [TrackPoint(k, dets[k][0], shared=2 <= k < 2 + n_shared, split=2 <= k < 2 + n_shared)
                           for k in range(n)])

    assert _slices_of_bigger_bodies([track(0, tin, 19), track(1, speck, 19)]) == {1}
    assert _slices_of_bigger_bodies([track(0, tin, 13), track(1, speck, 13)]) == set()
    twin = _ball_dets([(40.0 + 3.0 * k, 50.0) for k in range(n)], r=12.0)
    assert _slices_of_bigger_bodies([track(0, tin, 19), track(1, twin, 19)]) == set()
    # a small ball that passes in front of the tin, going the other way, crosses it: no slice
    ball = _ball_dets([(110.0 - 3.0 * k, 58.0) for k in range(n)], r=3.0)
    assert _slices_of_bigger_bodies([track(0, tin, 19), track(1, ball, 19)]) == set()
    # the half of a slab that turns over as it falls swings round the body's centre (on rigid
    # scenes up to 1.45 of the body's size): still a slice, unlike the ball that crosses it
    turn = np.linspace(0.0, np.pi, n)
    swing = _ball_dets([(40.0 + 3.0 * k + 20.0 * np.cos(turn[k]), 60.0 - 20.0 * np.sin(turn[k])) for k in range(n)], r=3.0)
    assert _slices_of_bigger_bodies([track(0, tin, 19), track(1, swing, 19)]) == {1}


def _cut_track(tid, whole, keep_top, frames):
    """Two tracks of one body's blobs cut in `frames`: the body's part below the cut and a slice above it."""
    from pavas_core.physics.tracking import Track, TrackPoint

    body, piece = [], []
    for k, d in enumerate(whole):
        if k in frames:
            rows = np.arange(d.mask.shape[0])[:, None] + d.mask_origin[0] + 0.5
            top = np.broadcast_to(rows < keep_top(k, d), d.mask.shape)
            body.append(TrackPoint(k, d.part(~top), shared=True, split=True))
            piece.append(TrackPoint(k, d.part(top), shared=True, split=True))
        else:
            body.append(TrackPoint(k, d))
    return Track(tid, body), Track(tid + 1, piece)


def test_a_slice_gives_its_part_of_the_blob_back_to_the_body_it_was_cut_from():
    # the tin's blob cut in two in frames 2..20 (the slice takes its top fifth, a cut that wanders
    # by a pixel from frame to frame): the tin's centroid followed its own part and bobbed by
    # pixels; with the slice's part given back it is the whole blob's, on the tin's straight path
    from pavas_core.physics.tracking import _give_back_slices

    n = 26
    whole = [d[0] for d in _ball_dets([(40.0 + 3.0 * k, 60.0) for k in range(n)], r=12.0)]
    body, piece = _cut_track(0, whole, lambda k, d: 52.0 + (k % 3), set(range(2, 21)))
    tracks = [body, piece]
    assert max(abs(p.det.v_px - 60.0) for p in body.points) > 1.0  # the cut moved the tin's centroid
    _give_back_slices(tracks, {1})
    for p, d in zip(tracks[0].points, whole):
        assert not p.shared
        assert (p.det.u_px, p.det.v_px, p.det.area_px) == pytest.approx((d.u_px, d.v_px, d.area_px))


def test_slices_on_two_bodies_in_one_frame_each_go_back_to_their_own_body():
    # two tins, each with a slice riding on it in frames 2..20: each frame has four sharers, but
    # each blob only two parts; both tins get their whole blobs back
    from pavas_core.physics.tracking import _give_back_slices

    n = 26
    frames = set(range(2, 21))
    whole_a = [d[0] for d in _ball_dets([(40.0 + 3.0 * k, 60.0) for k in range(n)], r=12.0)]
    whole_b = [d[0] for d in _ball_dets([(40.0 + 3.0 * k, 120.0) for k in range(n)], r=12.0)]
    a, a_slice = _cut_track(0, whole_a, lambda k, d: 52.0 + (k % 3), frames)
    b, b_slice = _cut_track(2, whole_b, lambda k, d: 112.0 + (k % 3), frames)
    tracks = [a, a_slice, b, b_slice]
    _give_back_slices(tracks, {1, 3})
    for body, whole in ((tracks[0], whole_a), (tracks[2], whole_b)):
        for p, d in zip(body.points, whole):
            assert not p.shared and (p.det.u_px, p.det.v_px) == pytest.approx((d.u_px, d.v_px))


def test_a_slice_that_makes_the_body_rougher_is_not_given_back():
    # a body falls on a clean parabola; a shadow joins its blob in frames 4..20 as a slab below it
    # whose size flickers from frame to frame (where the shadow test cut it): the body's own part
    # is smooth, the whole blob's centroid jumps with the flicker. The body keeps its own part.
    from pavas_core.physics.segmentation import _stats
    from pavas_core.physics.tracking import Track, TrackPoint, _give_back_slices

    n = 26
    body, shadow = [], []
    for k in range(n):
        u, v = 40.0 + 3.0 * k, 15.0 + 0.15 * k * k
        disc = disc_mask([((u, v), 8.0)], 0, 0, 150, 200)
        if 4 <= k <= 20:
            yy, xx = np.mgrid[0:150, 0:200] + 0.5
            depth = 3.0 + 4.0 * (k % 2)
            slab = (np.abs(xx - u) <= 12.0) & (yy > v + 7.0) & (yy <= v + 7.0 + depth)
            union = disc | slab
            ys, xs = np.nonzero(union)
            whole = _stats(k, ys, xs, (0, 0), (200.0, 60.0, 40.0), union, 1, (200, 150))
            body.append(TrackPoint(k, whole.part(disc & ~slab), shared=True, split=True))
            shadow.append(TrackPoint(k, whole.part(slab), shared=True, split=True))
        else:
            ys, xs = np.nonzero(disc)
            body.append(TrackPoint(k, _stats(k, ys, xs, (0, 0), (200.0, 60.0, 40.0), disc, 1, (200, 150))))
    before = [(p.det.u_px, p.det.v_px) for p in body]
    tracks = [Track(0, body), Track(1, shadow)]
    _give_back_slices(tracks, {1})
    assert [(p.det.u_px, p.det.v_px) for p in tracks[0].points] == before


def test_a_fast_ball_whose_track_ends_in_blobs_far_away_keeps_its_fall(monkeypatch):
    # a ball falls fast (25-33 px per frame) for six frames, bounces, is lost in front of a bigger
    # body, and the wide gate after its last sample then links blobs 100 px away: the whole track
    # jumps about and was dropped, its fall included. Cut where it jumps, the fall is an object.
    from pavas_core.physics.tracking import Track, TrackPoint, _smooth_pieces
    import pavas_core.physics.tracking as tracking

    path = {k: (134.0 + 1.5 * (k - 11), 16.0 + 24.0 * (k - 11) + 1.5 * (k - 11) ** 2) for k in range(11, 17)}
    path[17] = (143.0, 137.0)
    path.update({18: (162.0, 123.0), 21: (62.0, 126.0), 23: (71.0, 161.0), 24: (30.0, 100.0), 26: (95.0, 40.0)})
    dets = _ball_dets([path.get(k) for k in range(27)], r=6.0, w=200, h=200)
    track = Track(0, [TrackPoint(k, dets[k][0]) for k in sorted(path)])
    cfg = TrackerConfig()
    assert not tracking._moves_smoothly(track.clean_points(), track.typical_size())
    pieces = _smooth_pieces(track, cfg)
    assert len(pieces) == 1 and [p.frame for p in pieces[0].points][:6] == list(range(11, 17))
    assert all(abs(p.det.u_px - path[p.frame][0]) < 1.0 for p in pieces[0].points)
    monkeypatch.setattr(tracking, "MAX_SPLIT_DEPTH", 0)
    assert _smooth_pieces(track, cfg) == []  # uncut, the whole track was lost


def test_a_box_toppling_toward_the_camera_is_an_object_though_its_centre_barely_moves():
    # a box 40 px wide and 50 tall tips over toward the camera where it stood: its top comes down
    # 24 px, its base stays, and it widens to 60 px as its top comes nearer. Its centre moves under
    # half its size (the test that drops a resting place's flicker), but its top went two thirds
    # of its size: it is an object
    from pavas_core.physics.tracking import path_extent_px

    hh, ww = 150, 200
    frames = []
    for k in range(14):
        s = min(k / 11.0, 1.0) ** 2
        top, half = 50.0 + 24.0 * s, 20.0 + 10.0 * s
        m = np.zeros((hh, ww), bool)
        m[int(round(top)) : 100, int(round(100 - half)) : int(round(100 + half))] = True
        frames.append([det_from_mask(k, m, 0, 0, (200.0, 60.0, 40.0), w=ww, h=hh)])
    (track,) = track_detections(frames, config=TrackerConfig())
    assert [p.frame for p in track.points] == list(range(14))
    assert path_extent_px(track) < 0.5 * track.typical_size()
