"""MMAudio's onset accuracy / AP, re-implemented: filterbank, detector, matching, average precision."""

import numpy as np
import pytest

from pavas_core.metrics.onsets import (SAMPLE_RATE_HZ, average_precision, detect_onsets, detected_onsets_s, onset_score,
                                       slaney_mel_filterbank)


def test_slaney_filterbank_is_torchaudios_slaney_bank():
    torchaudio = pytest.importorskip("torchaudio")
    ours = slaney_mel_filterbank(22050, 2048, 128)
    theirs = torchaudio.functional.melscale_fbanks(1025, 0.0, 11025.0, 128, 22050, norm="slaney",
                                                   mel_scale="slaney").numpy().T
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-7)


def clicks(times_s, *, duration_s=6.0, rate=SAMPLE_RATE_HZ, amplitudes=None, seed=0):
    rng = np.random.default_rng(seed)
    signal = 1e-4 * rng.standard_normal(int(duration_s * rate))
    for i, t in enumerate(times_s):
        start = int(t * rate)
        n = int(0.15 * rate)
        burst = rng.standard_normal(n) * np.exp(-np.arange(n) / (0.02 * rate))
        signal[start:start + n] += (1.0 if amplitudes is None else amplitudes[i]) * 0.5 * burst
    return signal


def test_detector_finds_each_burst_within_a_frame():
    times = [0.7, 2.0, 3.1, 4.6]
    found = detect_onsets(clicks(times)) / SAMPLE_RATE_HZ
    assert len(found) == 4
    np.testing.assert_allclose(found, times, atol=2 * 512 / SAMPLE_RATE_HZ)


def test_average_precision_is_scikit_learns():
    # thresholds 0.9, 0.8, 0.7, 0.0: precision 1, 1/2, 2/3, 3/4 at recall 1/3, 1/3, 2/3, 1
    assert average_precision(np.array([1, 0, 1, 1]), np.array([0.9, 0.8, 0.7, 0.0])) == pytest.approx(
        1 / 3 + (2 / 3) / 3 + (3 / 4) / 3)
    assert average_precision(np.array([1, 1]), np.array([0.5, 0.5])) == 1.0
    assert np.isnan(average_precision(np.array([0, 0]), np.array([0.5, 0.1])))


def test_matching_scores_hits_misses_and_false_alarms():
    times = [0.7, 2.0, 3.1, 4.6]
    perfect = onset_score(clicks(times), SAMPLE_RATE_HZ, times)
    assert (perfect.accuracy, perfect.ap, perfect.hits) == (1.0, 1.0, 4)
    # one impact without a sound: 3 of 4 found. Its miss is a positive scored 0; with no false alarm
    # the precision never drops, so AP stays 1 (as in MMAudio: only accuracy counts misses)
    missing = onset_score(clicks([times[0], times[2], times[3]]), SAMPLE_RATE_HZ, times)
    assert missing.accuracy == 0.75 and missing.ap == 1.0
    # the last impact silent: once every detection is matched MMAudio stops, the rest is not scored
    tail = onset_score(clicks(times[:3]), SAMPLE_RATE_HZ, times)
    assert tail.accuracy == 0.75 and tail.ap == 1.0
    # an extra sound with no impact: a false alarm; quieter than the hits it ranks after them ...
    quiet = onset_score(clicks(times + [5.3], amplitudes=[1, 1, 1, 1, 0.2]), SAMPLE_RATE_HZ, times)
    assert quiet.accuracy == 1.0 and quiet.detected == 5 and quiet.ap == 1.0
    # ... louder, it ranks first and costs precision at every recall
    loud = onset_score(clicks(times + [5.3], amplitudes=[0.3, 0.3, 0.3, 0.3, 1.0]), SAMPLE_RATE_HZ, times)
    assert loud.accuracy == 1.0 and loud.ap < 0.9
    silent = onset_score(np.zeros(6 * SAMPLE_RATE_HZ), SAMPLE_RATE_HZ, times)
    assert silent.accuracy == 0.0 and silent.hits == 0
    # audio at another rate is resampled first; impacts after 8 s are not counted (MMAudio's 8-s cut)
    at_16k = onset_score(clicks(times, rate=16000), 16000, times + [9.0])
    assert at_16k.accuracy == 1.0 and at_16k.ground_truth == 4


def test_impacts_are_matched_in_time_order_whatever_order_they_come_in():
    """Impacts of several objects come object by object; the greedy matching takes them in time order.
    Sounds at 1.05 and 1.45 s, impacts at 1.0 and 1.2 s: in time order 1.0 s takes the only sound
    near it and 1.2 s the other (2 hits). Taken first, 1.2 s picks whichever sound reads louder at its
    onset sample — for most noise draws the one at 1.05 s, leaving 1.0 s with none."""
    for seed in range(10):
        audio = clicks([1.05, 1.45], amplitudes=[1.0, 0.5], seed=seed)
        in_time_order = onset_score(audio, SAMPLE_RATE_HZ, [1.0, 1.2])
        object_by_object = onset_score(audio, SAMPLE_RATE_HZ, [1.2, 1.0])
        assert in_time_order.hits == 2 and in_time_order.accuracy == 1.0
        assert (object_by_object.hits, object_by_object.ap) == (in_time_order.hits, in_time_order.ap), seed


def test_detected_onsets_are_the_ones_the_score_matches():
    times = [0.7, 2.0, 3.1, 4.6]
    audio = clicks(times + [5.3], amplitudes=[1, 1, 1, 1, 0.2])
    found = detected_onsets_s(audio, SAMPLE_RATE_HZ)
    assert found.size == onset_score(audio, SAMPLE_RATE_HZ, times).detected == 5
    np.testing.assert_allclose(found, times + [5.3], atol=2 * 512 / SAMPLE_RATE_HZ)
    assert detected_onsets_s(np.zeros(0), SAMPLE_RATE_HZ).size == 0
