"""Shot boundaries (hard cuts, fades) and estimation per shot."""

from __future__ import annotations

import numpy as np
import pytest

from pavas_core.physics.shots import (IMPACT_GUARD_S, ShotBoundary, detect_shot_boundaries, near_boundary,
                                      shot_ranges)
from pavas_core.physics.tracks import Shot


def _room(seed: int, n: int, *, h=90, w=160, pan_px=0.0) -> np.ndarray:
    """n frames of a textured room (its own colours per seed), sensor noise, optionally panning."""
    rng = np.random.default_rng(seed)
    base = rng.uniform(40, 220, size=3)
    big = np.clip(base + rng.normal(0, 35, size=(h, w * 2, 3)), 0, 255)
    big = np.stack([np.convolve(r, np.ones(5) / 5, mode="same") for r in big.reshape(-1, 3).T], 1).reshape(big.shape)
    out = []
    for k in range(n):
        x = int(round(k * pan_px))
        f = big[:, x : x + w] + rng.normal(0, 2.0, size=(h, w, 3))
        out.append(np.clip(f, 0, 255).astype(np.uint8))
    return np.stack(out)


def test_a_hard_cut_is_found_at_its_frame_and_nothing_else():
    frames = np.concatenate([_room(1, 30), _room(2, 25), _room(3, 20)])
    assert detect_shot_boundaries(frames) == [ShotBoundary(30, "cut"), ShotBoundary(55, "cut")]
    assert shot_ranges(75, detect_shot_boundaries(frames)) == [(0, 29, "start"), (30, 54, "cut"), (55, 74, "cut")]


def test_a_panning_camera_and_a_one_frame_flash_are_not_cuts():
    pan = _room(4, 40, pan_px=3.0)  # 3 px per frame of a busy texture: large frame differences, all alike
    assert detect_shot_boundaries(pan) == []
    flash = _room(5, 30)
    flash[15] = 255  # a camera flash: one white frame, the neighbours alike
    assert detect_shot_boundaries(flash) == []


def test_a_fade_through_black_is_one_boundary_of_kind_fade():
    a, b = _room(6, 30).astype(np.float32), _room(7, 30).astype(np.float32)
    ramp = np.linspace(1.0, 0.0, 8)
    out_fade = a[-8:] * ramp[:, None, None, None]
    in_fade = b[:8] * ramp[::-1, None, None, None]
    black = np.zeros((3,) + a.shape[1:], np.float32)
    frames = np.concatenate([a[:-8], out_fade, black, in_fade, b[8:]]).round().astype(np.uint8)
    found = detect_shot_boundaries(frames)
    assert len(found) == 1 and found[0].kind == "fade"
    # the new shot starts where the picture leaves black (the last fully dark frame is 30 + 1 + 2 or so)
    dark = np.flatnonzero(frames.reshape(len(frames), -1).mean(1) < 16)
    assert found[0].frame == dark[-1] + 1


def test_near_boundary_ignores_the_clips_own_start():
    shots = [Shot(0, 29, 0.0, 1.0, "start"), Shot(30, 59, 1.0, 2.0, "cut")]
    assert not near_boundary(0.05, shots)
    assert near_boundary(1.0 - IMPACT_GUARD_S + 0.01, shots) and near_boundary(1.0 + IMPACT_GUARD_S - 0.01, shots)
    assert not near_boundary(1.0 + IMPACT_GUARD_S + 0.01, shots)


@pytest.fixture(scope="module")
def two_shots(request):
    """Two different bouncing-ball scenes one after the other (a hard cut at 1.5 s), and their truths."""
    from pavas_core.video import clip_from_frames
    from tests.physics.conftest import build_scene, render

    a = build_scene([("basketball", (0.2, 0.3), (0.8, -1.0, 0.0), {})], duration_s=1.5, seed=11,
                    floor_style="wood")
    b = build_scene([("volleyball", (0.7, 0.25), (-0.6, 0.5, 0.0), {})], duration_s=2.0, seed=12,
                    floor_style="stone")
    (ca, ta), (cb, tb) = render(a), render(b)
    clip = clip_from_frames(np.concatenate([ca.frames, cb.frames]), ca.fps)
    return clip, ta, tb, ca.num_frames


def test_each_shot_is_estimated_on_its_own_with_the_clips_frames_and_times(two_shots):
    from pavas_core.physics.estimate import estimate_physics

    clip, ta, tb, cut = two_shots
    tracks = estimate_physics(clip)
    assert [(s.start_frame, s.end_frame, s.kind) for s in tracks.shots] == [(0, cut - 1, "start"),
                                                                          (cut, clip.num_frames - 1, "cut")]
    assert tracks.shots[1].start_s == pytest.approx(cut / clip.fps)
    assert {o.extra["shot"] for o in tracks.objects} == {0, 1}
    for o in tracks.objects:  # no object lives on both sides of the cut
        seen = [k for k, s in enumerate(o.speed_mps) if s is not None]
        assert seen and ((max(seen) < cut) if o.extra["shot"] == 0 else (min(seen) >= cut))
    cut_s = cut / clip.fps
    loud = [im for o in tracks.objects for im in o.impacts if im.sonified]
    assert all(abs(im.time_s - cut_s) >= IMPACT_GUARD_S for im in loud)
    # the impacts of the second shot are found at their times in the whole clip
    want = [im.time_s + cut_s for o in tb.objects for im in o.impacts
            if im.v_before >= 1.0 and im.time_s > IMPACT_GUARD_S]
    got = [im.time_s for o in tracks.objects if o.extra["shot"] == 1 for im in o.impacts if im.sonified]
    assert want and all(min(abs(g - w) for g in got) < 1.0 / clip.fps for w in want)
