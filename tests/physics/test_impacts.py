"""Impacts from a piecewise free-flight fit (synthetic trajectories with exact contact times)."""

import numpy as np
from pavas_core.physics.flight import fit_flights
from pavas_core.physics.impacts import find_contacts

def test_a_landing_is_timed_where_the_object_comes_to_rest_not_at_the_earlier_bounce_level():
    # a box bounces once, flies, lands at t_land and slides; its first (fast, blurred) bounce
    # appears 1.5 px lower than the floor it rests on
    fps, g = 60.0, 600.0  # px/s²
    t = np.arange(70) / fps
    t_bounce, t_land, floor = 20.3 / fps, 50.4 / fps, 140.0
    v_up = 0.5 * g * (t_land - t_bounce)
    y = np.where(t < t_bounce, floor - 0.5 * g * (t_bounce - t) ** 2 - 260.0 * (t_bounce - t),
                 np.where(t < t_land, floor - v_up * (t - t_bounce) + 0.5 * g * (t - t_bounce) ** 2, floor))
    y[(t > t_bounce - 2.5 / fps) & (t < t_bounce + 2.5 / fps)] += 1.5  # blur near the fast bounce
    x = 50.0 + 40.0 * t
    rng = np.random.default_rng(0)
    xy = np.stack([x, y], 1) + rng.normal(0, 0.1, (len(t), 2))
    fit = fit_flights(t, xy, fps=fps, penalty=120.0)
    contacts = find_contacts(fit, frame_dt=1 / fps, min_jump_px=30.0)
    landing = [c for c in contacts if c.kind == "landing"]
    assert len(landing) == 1
    assert abs(landing[0].time_s - t_land) * fps < 0.3
