"""A block that lands on an edge and tips flat just before its track ends (dynamics._tip_at_vanishing)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from pavas_core.physics import dynamics, gating
from pavas_core.physics.dynamics import object_dynamics
from pavas_core.physics.options import EstimateOptions
from pavas_core.physics.stages.base import ObjectGeometry

CONTACT_PENALTY = EstimateOptions().segment_penalty  # the segment cost the estimator finds contacts with

G = 9.81


def _edge_landing_then_tip(h: float, w: float, phi0: float, *, fps: float, rest_samples: int = 2, clip_s: float = 2.0,
                           noise_m: float = 0.0005, scale_source: str = "gravity", extent_m: float | None = None,
                           fall_accel: float = G, merged_rise_m: float = 0.0):
    """A box h long and w thick falls from rest and lands on an edge just after 0.31 s, its centre
    at phi0 (rad) from the vertical above the edge, stopped; it then tips over about that edge from
    rest (θ'' = (3g/4R)·sin θ) and lies flat, at rest for `rest_samples` frames before its track ends
    (at rest, it turned into background) while the clip goes on. While it turns, its blob is not
    fitted (merged with its shadow): those samples are seen, not usable. fall_accel: the fall's
    acceleration (m/s², gravity's unless a test says otherwise); merged_rise_m: how far above the
    body the first of those merged blobs' centroids lies.
    → (dynamics, flat landing time s, the centre's speed then m/s, drop of the centre m)."""
    r = 0.5 * np.hypot(h, w)
    lying = 0.5 * np.pi - np.arctan2(w, h)
    t1 = 9.4 / 30.0
    dt = 1e-5
    phi, om, tt, path = phi0, 0.0, 0.0, []
    while phi < lying:
        path.append((tt, phi))
        om += 0.75 * G / r * np.sin(phi) * dt
        phi += om * dt
        tt += dt
    t2, v2 = t1 + tt, om * r
    path = np.array(path)
    times = np.arange(int(clip_s * fps)) / fps
    n_track = int(np.floor(t2 * fps)) + 1 + rest_samples
    pos = np.full((len(times), 3), np.nan)
    for k in range(n_track):
        tk = times[k]
        if tk <= t1:
            a, fall = phi0, 0.5 * fall_accel * (t1**2 - tk**2)
        else:
            a, fall = (float(np.interp(tk - t1, path[:, 0], path[:, 1])) if tk < t2 else lying), 0.0
        pos[k] = [r * np.sin(a), -r * np.cos(a) - fall, 2.0]  # y down, the floor at 0
    pos[:n_track] += np.random.default_rng(0).normal(0, noise_m, (n_track, 3))
    turning = (times > t1 + 2.0 / fps) & (times < t2)
    usable = np.isfinite(pos).all(axis=1) & ~turning
    pos[np.flatnonzero(turning)[0], 1] -= merged_rise_m
    geo = ObjectGeometry(pos, usable, np.zeros(len(times), bool), pixel_size_m=0.004, noise_m=0.0008, size_m=w,
                         size_source="gravity", scale_source=scale_source)
    geo = dataclasses.replace(geo, extent_m=h if extent_m is None else extent_m)
    dyn = object_dynamics(geo, times, fps, penalty=CONTACT_PENALTY, gravity_mps2=G)
    return dyn, t2, v2, r * np.cos(phi0) - 0.5 * w


def _sounding(dyn):
    return [im for im in dyn.impacts if im.check.reason(gating.DEFAULT_MIN_IMPACT_CONFIDENCE) is None]


CASES = [(0.3, 0.1, 0.5, 60.0), (0.3, 0.1, 0.35, 30.0), (0.3, 0.1, 0.35, 60.0), (0.25, 0.12, 0.4, 60.0)]


@pytest.mark.parametrize("h, w, phi0, fps", CASES)
def test_a_block_that_tips_flat_after_its_landing_sounds_where_it_lies_down(h, w, phi0, fps):
    """The landing sounds, and so does the tip's blow, within a frame of it, at the speed energy
    gives: the drop frees ¾·m·g·d into the centre's motion (exact for a box from rest), on top of
    the speed the fit keeps after the landing (it stopped: up to 0.3 m/s of fit, 3 % here)."""
    dyn, t2, v2, drop = _edge_landing_then_tip(h, w, phi0, fps=fps)
    sounding = _sounding(dyn)
    assert len(sounding) == 2 and sounding[0].v_before > 2.5  # the fall's landing (3.1 m/s)
    tip = sounding[1]
    assert tip.check.facts["tip_after_landing"] is True
    assert abs(tip.time_s - t2) * fps < 0.5  # between the last sample on the way down and the first at rest
    assert tip.check.facts["tip_drop_m"] == pytest.approx(drop, abs=3 * 0.0005 + 0.001)
    assert tip.v_before == pytest.approx(v2, rel=0.05)
    assert tip.v_after == 0.0 and tip.confidence == sounding[0].confidence


@pytest.mark.parametrize("h, w, phi0, fps", CASES)
def test_without_the_tip_rule_that_blow_is_silent(h, w, phi0, fps, monkeypatch):
    """The case the rule is for: no fitted segment shows the tip, so nothing else sounds it."""
    monkeypatch.setattr(dynamics, "_tip_at_vanishing", lambda *a, **k: None)
    dyn, t2, _, _ = _edge_landing_then_tip(h, w, phi0, fps=fps)
    assert not [im for im in _sounding(dyn) if abs(im.time_s - t2) * fps < 2.0]


def test_no_tip_where_the_track_ends_with_the_clip():
    """A track that ends with the clip says nothing of a vanishing."""
    h, w, phi0, fps = CASES[0]
    dyn, t2, _, _ = _edge_landing_then_tip(h, w, phi0, fps=fps, clip_s=36 / fps)  # its last 2 samples at rest
    assert int(np.floor(t2 * fps)) + 3 == 36 and dyn.speed_mps[-1] is not None  # the track ends with the clip
    assert len(dyn.impacts) >= 1 and not any(im.check.facts.get("tip_after_landing") for im in dyn.impacts)


@pytest.mark.parametrize("extent_m", [0.7, 0.12])
def test_no_tip_when_the_drop_is_no_tips_size(extent_m):
    """Measured against an extent that makes the 9 cm drop less than TOPPLE_MIN_DROP_SHARE of it
    (0.7 m) or more than TIP_DROP_SHARE (0.12 m), the descent is no tip over an edge."""
    h, w, phi0, fps = CASES[0]
    dyn, _, _, _ = _edge_landing_then_tip(h, w, phi0, fps=fps, extent_m=extent_m)
    assert not any(im.check.facts.get("tip_after_landing") for im in dyn.impacts)


def test_no_tip_under_a_guessed_scale():
    """In a scale guessed from a size prior, a drop says nothing of a speed."""
    h, w, phi0, fps = CASES[0]
    dyn, _, _, _ = _edge_landing_then_tip(h, w, phi0, fps=fps, scale_source="size_prior")
    assert not any(im.check.facts.get("tip_after_landing") for im in dyn.impacts)


def test_no_tip_after_a_landing_that_is_no_impact():
    """The tip is only as sure as the landing before it: after a "fall" at 4 m/s² (no gravity, the
    landing fails its tests) the descent makes no sound either."""
    h, w, phi0, fps = CASES[0]
    dyn, _, _, _ = _edge_landing_then_tip(h, w, phi0, fps=fps, fall_accel=4.0)
    assert dyn.impacts and dyn.impacts[0].check.failed == gating.NOT_GRAVITY
    assert not any(im.check.facts.get("tip_after_landing") for im in dyn.impacts)


def test_the_tips_drop_is_measured_from_the_bodys_own_blobs():
    """A merged blob's centroid 3 cm above the body while it turns (its shadow, another object) is
    not where the body was: the drop and the speed stay the body's."""
    h, w, phi0, fps = CASES[0]
    dyn, t2, v2, drop = _edge_landing_then_tip(h, w, phi0, fps=fps, merged_rise_m=0.03)
    tip = _sounding(dyn)[-1]
    assert tip.check.facts["tip_after_landing"] is True and abs(tip.time_s - t2) * fps < 0.5
    assert tip.check.facts["tip_drop_m"] == pytest.approx(drop, abs=3 * 0.0005 + 0.001)
    assert tip.v_before == pytest.approx(v2, rel=0.05)


# --- the track ends on the way down (dynamics._tip_cut_by_vanishing) ------------------------------

CUT_CASES = CASES + [(0.3, 0.1, 0.2, 30.0), (0.2, 0.1, 0.3, 24.0)]


@pytest.mark.parametrize("h, w, phi0, fps", CUT_CASES)
def test_a_tip_whose_track_ends_on_the_way_down_sounds_in_the_frame_after_it(h, w, phi0, fps):
    """Lying still, the body turned into background at once: its last sample shows it still turning.
    The blow falls in the frame after that sample; it is taken halfway (within half a frame of the
    truth by construction), and its speed is what the drop to there frees: the drop over that frame
    runs on at the last step's rate, within 10 % of the speed at the blow for these tips (a tip
    from rest: v² = 1.5·g·d exactly, so the fall's speed error is the extrapolation's alone)."""
    dyn, t2, v2, _ = _edge_landing_then_tip(h, w, phi0, fps=fps, rest_samples=0)
    assert dyn.speed_mps[int(np.floor(t2 * fps)) + 1] is None  # the track ends before the blow
    sounding = _sounding(dyn)
    assert len(sounding) == 2 and sounding[0].v_before > 2.5
    tip = sounding[1]
    assert tip.check.facts["tip_after_landing"] is True and tip.check.facts["tip_cut_by_vanishing"] is True
    # inferred from the vanishing, it is an unseen landing: the shot's other tracks may contradict it
    assert tip.check.facts["landing_seen"] is False
    assert abs(tip.time_s - t2) * fps <= 0.5 + 1e-6
    assert tip.v_before == pytest.approx(v2, rel=0.1)
    assert tip.v_after == 0.0 and tip.confidence == sounding[0].confidence


@pytest.mark.parametrize("h, w, phi0, fps", CUT_CASES[:2])
def test_without_the_cut_tip_rule_that_blow_is_silent(h, w, phi0, fps, monkeypatch):
    monkeypatch.setattr(dynamics, "_tip_cut_by_vanishing", lambda *a, **k: None)
    dyn, t2, _, _ = _edge_landing_then_tip(h, w, phi0, fps=fps, rest_samples=0)
    assert not [im for im in _sounding(dyn) if abs(im.time_s - t2) * fps < 2.0]


@pytest.mark.parametrize("extent_m", [0.7, 0.12])
def test_no_cut_tip_when_the_descent_is_no_tips_size(extent_m):
    """Against a 0.7 m extent the 9 cm drop is too small for a tip over an edge; against 0.12 m
    it is more than a tip brings down (a ball whose track breaks off on its way down)."""
    h, w, phi0, fps = CASES[0]
    dyn, _, _, _ = _edge_landing_then_tip(h, w, phi0, fps=fps, rest_samples=0, extent_m=extent_m)
    assert not any(im.check.facts.get("tip_after_landing") for im in dyn.impacts)


def test_no_cut_tip_where_the_clip_ends_on_the_way_down():
    h, w, phi0, fps = CASES[0]
    dyn, t2, _, _ = _edge_landing_then_tip(h, w, phi0, fps=fps, rest_samples=0, clip_s=34 / fps)
    assert int(np.floor(t2 * fps)) + 1 == 34 and dyn.speed_mps[-1] is not None  # the track ends with the clip
    assert not any(im.check.facts.get("tip_after_landing") for im in dyn.impacts)
