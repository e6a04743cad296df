import math
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from pavas_core.errors import BadInputError
from pavas_core.models.mel import MEL_16K, MEL_44K, MelConverter, mel_config_for_bins
from tolerances import assert_matches_golden, float64_twin, fp32_rounding_bound

GOLDEN = Path(__file__).parents[1] / "fixtures" / "vae" / "mel_golden.safetensors"


@pytest.fixture(scope="module")
def converters():
    return {"16k": MelConverter(MEL_16K), "44k": MelConverter(MEL_44K)}


@pytest.mark.parametrize("mode", ["16k", "44k"])
def test_matches_mmaudio_mel_converter_golden(converters, mode):
    golden = load_file(GOLDEN)
    wave = golden[f"input.waveform_{mode}"]
    mel = converters[mode](wave)
    # Log domain: an error is a relative error of the mel energy, largest in the quiet bins, where
    # the fp32 FFT's absolute rounding is a large part of the energy. The bound is a multiple of
    # this computation's fp32 spread here (44.1 kHz: about 5e-5).
    fp64 = float64_twin(converters[mode])(wave.double())
    assert_matches_golden(mel, golden[f"output.mel_{mode}"], fp64, f"mel {mode}")


@pytest.mark.parametrize("config", [MEL_16K, MEL_44K])
def test_frames_are_samples_over_hop(config):
    converter = MelConverter(config)
    for samples in (config.hop_length * 7, config.hop_length * 7 + config.hop_length - 1):
        mel = converter(torch.zeros(2, samples))
        assert mel.shape == (2, config.n_mels, 7)


def test_eight_seconds_give_the_frames_mmaudio_uses():
    assert MelConverter(MEL_16K)(torch.zeros(8 * 16000)).shape[-1] == 500  # 250 latent tokens
    assert MEL_44K.n_mels == 128 and MEL_44K.hop_length == 512


@pytest.mark.parametrize("config, floor", [(MEL_16K, -5.0), (MEL_44K, math.log(1e-5))])
def test_silence_sits_on_the_floor_in_each_log_base(config, floor):
    mel = MelConverter(config)(torch.zeros(1, 4 * config.n_fft))
    # log of the fp32 floor: the floor's own rounding, the log's (libm or vectorised: ≤ 1 ulp) and its result
    atol = fp32_rounding_bound(3, abs(floor))
    torch.testing.assert_close(mel, torch.full_like(mel, floor), atol=atol, rtol=0)


@pytest.mark.parametrize("config", [MEL_16K, MEL_44K])
def test_a_sine_lights_the_mel_bin_whose_filter_covers_its_frequency(config):
    frequency_hz = 1000.0
    converter = MelConverter(config)
    time_s = torch.arange(config.sample_rate_hz // 2) / config.sample_rate_hz
    mel = converter(0.5 * torch.sin(2 * math.pi * frequency_hz * time_s))
    fft_bin = round(frequency_hz * config.n_fft / config.sample_rate_hz)
    expected_bin = converter.mel_filters[:, fft_bin].argmax()
    assert (mel[0, :, 2:-2].argmax(dim=0) == expected_bin).all()


def test_waveform_is_clamped_to_unit_range(converters):
    wave = torch.randn(1, 4096)
    assert torch.equal(converters["16k"](3 * wave), converters["16k"]((3 * wave).clamp(-1, 1)))


def test_mel_bins_select_the_front_end():
    assert mel_config_for_bins(80) is MEL_16K and mel_config_for_bins(128) is MEL_44K
    with pytest.raises(BadInputError, match="80"):
        mel_config_for_bins(64)


def test_too_short_or_misshaped_waveforms_are_refused(converters):
    with pytest.raises(BadInputError, match="too short"):
        converters["16k"](torch.zeros(1, 100))
    with pytest.raises(BadInputError, match="shape"):
        converters["16k"](torch.zeros(1, 1, 4096))
