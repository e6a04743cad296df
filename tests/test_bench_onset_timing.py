"""bench/onset_timing.py: per impact, its ΔKE rank, the gap to the previous impact and the nearest onset."""

import numpy as np

from bench_modules import load_bench


def test_impact_rows_sort_by_time_rank_by_energy_and_measure_the_nearest_onset():
    bench = load_bench("onset_timing")
    times = np.array([1.0, 0.2, 0.5])  # object by object, not in time order
    energy = np.array([0.1, 3.0, 1.0])
    rows = bench.impact_rows(times, energy, np.array([0.21, 0.9]))
    rank, gap, nearest = rows.T
    np.testing.assert_allclose(rank, [1.0, 0.5, 0.0])  # 0.2 s is the loudest, 1.0 s the quietest
    np.testing.assert_allclose(gap, [np.inf, 0.3, 0.5])
    np.testing.assert_allclose(nearest, [0.01, 0.29, 0.1])
    silent = bench.impact_rows(times, energy, np.zeros(0))
    assert np.isinf(silent[:, 2]).all()
