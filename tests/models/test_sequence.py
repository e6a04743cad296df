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
