import numpy as np

from pavas_core.physics.tracking import track_detections


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
