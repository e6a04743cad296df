"""The max-objects cut under a moving camera keeps the object whose motion shows physical impacts.

A panning camera over a textured wall: a ball bounces (little image travel: it drifts with the camera)
while a box glides across at constant speed (far more image travel). With room for one object the
plain "moved most" rank would keep the glider, which can never make an impact."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from pavas_core.physics.estimate import estimate_physics
from pavas_core.physics.options import EstimateOptions
from pavas_core.video import clip_from_frames

FPS = 30.0
N, H, W = 66, 120, 160
PAN_PX = 2  # the camera's pan per frame, px
G_PX = 981.0  # gravity in the picture (0.01 m per px)


def _ball_heights() -> np.ndarray:
    """Bottom of the ball (px from the top) per frame: dropped at y 15 onto a floor at y 100, e = 0.6."""
    floor, y, v, dt = 100.0, 15.0, 0.0, 1.0 / FPS / 20
    out = []
    for k in range(N):
        out.append(y)
        for _ in range(20):
            v += G_PX * dt
            y += v * dt
            if y >= floor and v > 0:
                y, v = floor, -0.6 * v
    return np.array(out)


def _panning_clip():
    rng = np.random.default_rng(3)
    wall = ndimage.zoom(rng.uniform(40, 200, (H // 4 + 2, (W + PAN_PX * N) // 4 + 2, 3)), (4, 4, 1), order=1)
    wall = ndimage.gaussian_filter(wall, (1.0, 1.0, 0))
    bottoms = _ball_heights()
    yy, xx = np.mgrid[0:H, 0:W]
    frames = np.empty((N, H, W, 3), np.uint8)
    for k in range(N):
        img = wall[:H, PAN_PX * k: PAN_PX * k + W].copy()
        cy, cx = bottoms[k] - 6.0, 120.0  # the ball drifts with the camera: it stays near x = 120
        img[(yy - cy) ** 2 + (xx - cx) ** 2 <= 36] = (230, 60, 40)
        x0 = 8 + 2 * k  # the box glides across at 4 px/frame in the world, 2 px/frame in the picture
        img[78:92, x0:x0 + 16] = (40, 70, 230)
        frames[k] = np.clip(img + rng.normal(0, 1.5, img.shape), 0, 255).astype(np.uint8)
    return clip_from_frames(frames, FPS)


@pytest.fixture(scope="module")
def panning_clip():
    return _panning_clip()


def test_the_camera_is_moving_and_the_plain_rank_would_keep_the_glider(panning_clip):
    from pavas_core.physics.stages import make_context
    from pavas_core.physics.stages.motion import _moved_most, motion_tracks, physical_impacts

    ctx = make_context(panning_clip, analysis_max_side=320)
    assert ctx.global_motion().kind == "moving"  # the probe against the frame before sees the pan
    tracks = motion_tracks(ctx)
    impacts = physical_impacts(ctx, tracks, EstimateOptions())
    ball = tracks[int(np.argmax(impacts))]
    glider = max(tracks, key=lambda tr: np.ptp([p.det.u_px for p in tr.points]))
    assert ball is not glider and max(impacts) >= 2 and impacts[tracks.index(glider)] == 0
    assert _moved_most(glider) > _moved_most(ball)


def test_the_cut_keeps_the_bouncing_ball_not_the_far_gliding_box(panning_clip):
    tracks = estimate_physics(panning_clip, options=EstimateOptions(max_objects=1))
    (obj,) = tracks.objects
    assert sum(im.sonified for im in obj.impacts) >= 1
    # the ball's first contact: 15 → 100 px under 981 px/s² takes 0.416 s
    first = min(im.time_s for im in obj.impacts if im.sonified)
    assert abs(first - np.sqrt(2 * 85 / G_PX)) < 1.5 / FPS
    assert any("kept the 1 with the most physical impacts" in w for w in tracks.warnings)


def test_a_track_whose_metric_scale_is_a_guess_shows_no_physical_impact_to_the_rank(panning_clip, monkeypatch):
    # the same ball with its scale from a generic size instead of its own free fall: whether it then
    # "falls at g" is the guess's doing (a flat cartoon's blob won the rank that way and was sonified)
    import dataclasses

    from pavas_core.physics.stages import make_context
    from pavas_core.physics.stages.gravity import GravityGeometry
    from pavas_core.physics.stages.motion import motion_tracks, physical_impacts

    ctx = make_context(panning_clip, analysis_max_side=320)
    tracks = motion_tracks(ctx)
    assert max(physical_impacts(ctx, tracks, EstimateOptions())) >= 2
    own = GravityGeometry.geometry

    def guessed(self, *args, **kwargs):
        geo = own(self, *args, **kwargs)
        return dataclasses.replace(geo, objects=[dataclasses.replace(o, scale_source="size_prior") for o in geo.objects])

    monkeypatch.setattr(GravityGeometry, "geometry", guessed)
    assert physical_impacts(ctx, tracks, EstimateOptions()) == [0] * len(tracks)
