"""Following an object by its colours to where it rests under a travelling camera (rest_hold.py)."""

from pathlib import Path

import numpy as np

from pavas_core.physics.global_motion import GlobalMotion
from pavas_core.physics.rest_hold import REST_S, hold_to_rest
from pavas_core.physics.segmentation import _stats
from pavas_core.physics.stages.motion import MotionObserver
from pavas_core.physics.tracking import Track, TrackPoint

W, H, T = 160, 100, 40
FPS = 24.0
PAN_PX = 2  # the camera travels right: the room moves 2 px left per frame (whole pixels: no resampling)
RADIUS = 7.0
PURPLE = np.array([60.0, 30.0, 110.0])  # a dark ball: its hue alone does not tell it from grey
REST_FRAME = 20  # the ball stops here and stays
TRACK_END = REST_FRAME - 4  # where moving-camera segmentation lost it (it was about to rest)


def _room(rng: np.random.Generator, colour: np.ndarray | None = None) -> np.ndarray:
    """A wide textured room (grey, or of `colour`'s hue) that the camera pans across."""
    tex = rng.normal(0.0, 1.0, (H, W + PAN_PX * T + 8))
    for _ in range(3):  # blotches a few pixels across, like a floor's texture
        tex = (tex + np.roll(tex, 1, 0) + np.roll(tex, 1, 1) + np.roll(tex, -1, 0) + np.roll(tex, -1, 1)) / 5
    tex = 0.85 + 0.3 * tex / tex.std()
    base = np.array([140.0, 140.0, 135.0]) if colour is None else colour
    return np.clip(base[None, None, :] * tex[..., None], 0, 255)


def _ball_world(k: int) -> tuple[float, float]:
    """The ball's centre in room pixels: rolling, then at rest from REST_FRAME (it stops against
    something; a slower approach would count as rest once it moves less than REST_PX a frame)."""
    return 40.0 + 2.5 * min(k, REST_FRAME), 60.0


def _render(room: np.ndarray, rng: np.random.Generator, *, other_at: dict[int, tuple[float, float]] | None = None):
    frames, centres = [], []
    yy, xx = np.mgrid[0:H, 0:W] + 0.5
    for k in range(T):
        img = room[:, PAN_PX * k:PAN_PX * k + W].copy()
        uw, vw = _ball_world(k)
        u, v = uw - PAN_PX * k, vw
        dist = np.hypot(xx - u, yy - v)
        ball = dist <= RADIUS
        light = 0.55 + 0.45 * np.clip(1.0 - dist / RADIUS, 0.0, 1.0)  # a lit sphere: brighter inside
        img[ball] = PURPLE * light[ball, None]
        glint = np.exp(-((xx - u + 2.5) ** 2 + (yy - v + 2.5) ** 2) / 8.0)  # the lamp's highlight, fading to white
        img[ball] += (np.array([230.0, 225.0, 240.0]) - img[ball]) * glint[ball, None]
        if other_at and k in other_at:
            ou, ov = other_at[k]
            img[np.hypot(xx - ou, yy - ov) <= 5.0] = (220.0, 200.0, 40.0)
        frames.append(np.clip(img + rng.normal(0.0, 2.0, img.shape), 0, 255).astype(np.uint8))
        centres.append((u, v))
    return np.stack(frames), np.array(centres)


def _det(frames: np.ndarray, k: int, mask: np.ndarray):
    ys, xs = np.nonzero(mask)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    crop = mask[y0:y1, x0:x1]
    cy, cx = np.nonzero(crop)
    return _stats(k, cy, cx, (int(y0), int(x0)), (0.0, 0.0, 0.0), crop, 2, (W, H), frames[k, y0:y1, x0:x1])


def _disc(u: float, v: float, r: float) -> np.ndarray:
    yy, xx = np.mgrid[0:H, 0:W] + 0.5
    return np.hypot(xx - u, yy - v) <= r


def _track(frames: np.ndarray, centres: np.ndarray, last: int, track_id: int = 0) -> Track:
    return Track(track_id, [TrackPoint(k, _det(frames, k, _disc(*centres[k], RADIUS))) for k in range(last + 1)])


def _motion() -> GlobalMotion:
    node_x, node_y = np.linspace(0, W, 5), np.linspace(0, H, 4)
    cum = np.zeros((T, len(node_y), len(node_x), 2))
    cum[..., 0] = -PAN_PX * np.arange(T)[:, None, None]
    return GlobalMotion("moving", cum, node_x, node_y, np.ones(T))


def test_a_ball_lost_just_before_it_rests_is_followed_by_its_colours_to_rest():
    rng = np.random.default_rng(3)
    frames, centres = _render(_room(rng), rng)
    tr = _track(frames, centres, TRACK_END)
    added = hold_to_rest([tr], frames, _motion(), fps=FPS)
    rest_need = int(round(REST_S * FPS))
    # followed through its last frames of motion and then REST_S at rest, not to the hold's limit
    assert added == {0: REST_FRAME + rest_need - TRACK_END}
    held = [p for p in tr.points if p.held]
    assert [p.frame for p in held] == list(range(TRACK_END + 1, REST_FRAME + rest_need + 1))
    # where it is: a rasterised 7 px disc's centroid and the colour threshold's rim are within 0.3 px
    got = np.array([[p.det.u_px, p.det.v_px] for p in held])
    np.testing.assert_allclose(got, centres[[p.frame for p in held]], atol=0.3)
    # the observation says how many samples were found this way
    obs = MotionObserver._observe_track(type("Ctx", (), {"num_frames": T, "grid_size": (W, H)})(), tr)
    assert obs.extra["held_samples"] == len(held)


def test_an_object_in_a_room_speckled_with_its_colours_is_not_followed():
    """A grey floor strewn with small purple flecks (a fifth of it): the ball would still be the
    nearest purple region, and the size and window rules would let it be followed; the room's
    colours say its pixels cannot be told from the floor's, so it is not."""
    rng = np.random.default_rng(4)
    room = _room(rng)
    flecks = rng.random((room.shape[0] // 2, room.shape[1] // 2)) < 0.2
    room[np.kron(flecks, np.ones((2, 2), bool))[: room.shape[0], : room.shape[1]]] = PURPLE * 0.8
    frames, centres = _render(room, rng)
    tr = _track(frames, centres, TRACK_END)
    assert hold_to_rest([tr], frames, _motion(), fps=FPS) == {}
    assert tr.last_frame == TRACK_END


def test_beside_another_object_its_colours_still_cut_it_out_and_the_samples_say_so():
    rng = np.random.default_rng(5)
    meet = TRACK_END + 3
    # a yellow body passes just beside the ball (its paint clear of the ball's, its blob's blurred
    # rim reaching into it) from `meet` on
    other = {k: (_ball_world(k)[0] - PAN_PX * k + 12.5, 60.0) for k in range(meet, T)}
    frames, centres = _render(_room(rng), rng, other_at=other)
    ball = _track(frames, centres, TRACK_END)
    yellow = Track(1, [TrackPoint(k, _det(frames, k, _disc(*other[k], 8.5))) for k in range(meet, T)])
    hold_to_rest([ball, yellow], frames, _motion(), fps=FPS)
    held = [p for p in ball.points if p.held]
    assert [p.frame for p in held] == list(range(TRACK_END + 1, REST_FRAME + int(round(REST_S * FPS)) + 1))
    # marked as sharing a blob with another object (usable with care), but where it is all the same
    assert [p.shared and p.split for p in held] == [p.frame >= meet for p in held]
    got = np.array([[p.det.u_px, p.det.v_px] for p in held])
    np.testing.assert_allclose(got, centres[[p.frame for p in held]], atol=0.3)


def test_a_dark_balls_glint_and_shade_do_not_make_a_grey_floor_its_colour(monkeypatch):
    """Pixels of a generated dolly scene (a dark purple bowling ball's last blobs seen alone, the
    grey floor and pink wall around it): the ball's colours, taken without its brightest and
    darkest tenth, fit almost none of the room; taken whole, the glint and the shade stretch
    them along grey and half of the room fits, so the ball was never followed."""
    import pavas_core.physics.rest_hold as rest_hold

    px = np.load(Path(__file__).parent.parent / "fixtures" / "pixels" / "dark_ball_on_grey_floor.npz")
    ball, room = px["ball"], px["room"]
    blob = _stats(0, np.zeros(len(ball), int), np.arange(len(ball)), (0, 0), (0.0, 0.0, 0.0),
                  np.ones((1, len(ball)), bool), 2, (len(ball), 1), ball[None])
    look = rest_hold._look([blob])
    assert np.mean(look.fits(room)) <= rest_hold.MAX_LOOKALIKE_SHARE
    assert np.mean(look.fits(ball)) >= 0.8
    monkeypatch.setattr(rest_hold, "LUMA_TRIM", 0.0)
    assert np.mean(rest_hold._look([blob]).fits(room)) > 0.3
