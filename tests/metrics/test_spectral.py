import numpy as np
import pytest

from pavas_core.metrics.spectral import frame_signal, hann_window, mel_filterbank, resample, stft_power


# Golden values from torchaudio 2.9.1: melscale_fbanks(513, 0.0, 8000.0, 64, 16000, norm=None,
# mel_scale="htk"), summed over frequency bins (one value per mel band), and two single entries.
TORCHAUDIO_BAND_SUMS = [
    1.77266, 1.86393, 1.94858, 2.027, 2.09952, 2.1665, 2.35342, 2.33166, 2.45478, 2.56273, 2.68544, 2.74387,
    2.87497, 2.99647, 3.10891, 3.2128, 3.37348, 3.48901, 3.63973, 3.75792, 3.92534, 4.08038, 4.22373, 4.42041,
    4.55681, 4.78964, 4.934, 5.14366, 5.36557, 5.53743, 5.7793, 6.02009, 6.24288, 6.4809, 6.74746, 7.02792,
    7.28743, 7.57938, 7.87893, 8.1865, 8.52465, 8.84735, 9.19449, 9.57919, 9.93492, 10.34053, 10.74331, 11.17316,
    11.61055, 12.06696, 12.55386, 13.03633, 13.56801, 14.08648, 14.65695, 15.24147, 15.82559, 16.46161, 17.10609,
    17.78895, 18.49552, 19.22193, 19.97522, 20.77018,
]


def test_mel_filterbank_equals_torchaudio_htk_without_norm():
    fb = mel_filterbank(513, 16000, 64, 0.0, 8000.0)
    assert fb.shape == (513, 64)
    assert fb.sum(axis=0) == pytest.approx(TORCHAUDIO_BAND_SUMS, abs=1e-4)
    assert fb[3, 0] == pytest.approx(0.33240172266960144, abs=1e-5)  # torchaudio works in float32
    assert fb[511, 63] == pytest.approx(0.04722568765282631, abs=1e-5)
    assert fb[40, 10] == 0.0


def test_stft_power_equals_an_explicit_dft_of_centred_hann_frames():
    x = np.random.default_rng(0).standard_normal(700)
    n_fft, hop = 64, 16
    ours = stft_power(x, n_fft, hop)
    padded = np.concatenate([np.zeros(n_fft // 2), x, np.zeros(n_fft)])
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
    dft = np.exp(-2j * np.pi * np.outer(np.arange(n_fft // 2 + 1), np.arange(n_fft)) / n_fft)
    expected = np.array([np.abs(dft @ (padded[i * hop : i * hop + n_fft] * window)) ** 2
                         for i in range(1 + x.shape[0] // hop)])
    assert ours == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_frames_are_centred_and_zero_padded():
    x = np.arange(1, 11, dtype=np.float64)
    frames = frame_signal(x, 4, 2)
    assert frames.shape == (6, 4)
    assert frames[0].tolist() == [0, 0, 1, 2] and frames[1].tolist() == [1, 2, 3, 4]
    assert hann_window(4).tolist() == pytest.approx([0.0, 0.5, 1.0, 0.5])


def test_resampling_keeps_a_tone_and_its_power():
    t = np.arange(44100) / 44100
    tone = np.sin(2 * np.pi * 440 * t)
    down = resample(tone, 44100, 16000)
    assert down.shape == (16000,)
    mid = slice(1000, 15000)
    assert np.mean(down[mid] ** 2) == pytest.approx(0.5, rel=0.01)
    assert np.argmax(np.abs(np.fft.rfft(down))) == 440


def test_log_mel_distance_is_the_level_difference_for_a_scaled_copy_and_ignores_the_file_rate():
    from pavas_core.metrics.spectral import log_mel_distance_db, resample

    rng = np.random.default_rng(0)
    sr = 44100
    noise = rng.normal(0, 0.1, sr)  # 1 s of white noise: every band far above the -100 dB floor
    assert log_mel_distance_db(noise, sr, noise, sr) == 0.0
    # half the amplitude is 20·log10(2) = 6.02 dB lower in every band of every frame
    assert log_mel_distance_db(noise, sr, 0.5 * noise, sr) == pytest.approx(6.0206, abs=1e-6)
    # the same sound written at 16 kHz is the same sound (both are analysed at 16 kHz)
    at16k = resample(noise, sr, 16000)
    assert log_mel_distance_db(noise, sr, at16k, 16000) < 0.3
    # a generated sound that stops halfway is padded with silence, not compared over half the clip
    assert log_mel_distance_db(noise, sr, noise[: sr // 2], sr) > 20.0
