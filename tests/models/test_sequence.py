import numpy as np
import pytest

from pavas_core.models.mmaudio.sequence import sequence_lengths

# (duration s, sample rate) -> (latent, clip, sync) as the released MMAudio code computes them
REFERENCE = {
    (8.0, 16000): (250, 64, 192),
    (8.0, 44100): (345, 64, 192),
    (1.0, 16000): (32, 8, 16),
    (4.0, 16000): (125, 32, 88),
    (5.0, 16000): (157, 40, 112),
    (10.0, 16000): (313, 80, 240),
    (16.0, 16000): (500, 128, 392),
    (10.0, 44100): (431, 80, 240),
}


@pytest.mark.parametrize("key", sorted(REFERENCE))
def test_sequence_lengths_match_mmaudio(key):
    s = sequence_lengths(*key)
    assert (s.latent_len, s.clip_len, s.sync_len) == REFERENCE[key]


def test_audio_samples_and_sync_frames_cover_the_duration():
    s = sequence_lengths(8.0, 16000)
    assert s.num_audio_samples == 128000 and s.num_sync_frames == 200
    s44 = sequence_lengths(8.0, 44100)
    assert s44.num_audio_samples == 353280


def test_a_window_length_from_a_subtraction_gets_the_full_lengths():
    from pavas_core.models.generator import plan_windows

    exact = sequence_lengths(8.0, 16000)
    inexact = [end - start for d in np.arange(8.05, 60.0, 0.37) for start, end in plan_windows(float(d), 8.0, 1.0)
               if end - start != 8.0]
    assert inexact  # floating-point window lengths like 7.9999999999999964 do occur
    for length in inexact:
        got = sequence_lengths(length, 16000)
        assert (got.latent_len, got.clip_len, got.sync_len) == (exact.latent_len, exact.clip_len, exact.sync_len)
