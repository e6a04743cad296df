"""pavas_core.audio_mix: layering sounds of different rates, channels and lengths."""

from __future__ import annotations

import numpy as np
import pytest

from pavas_core.audio_mix import MixLayer, mix_layers, resample_waveform
from pavas_core.errors import BadInputError


def sine(freq_hz, rate, seconds, amp=0.5):
    t = np.arange(int(rate * seconds)) / rate
    return (amp * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)[None, None]


def test_resampling_keeps_the_pitch_and_duration():
    out = resample_waveform(sine(1000, 16000, 1.0), 16000, 44100)
    assert out.shape[-1] == 44100
    spectrum = np.abs(np.fft.rfft(out[0, 0]))
    assert np.argmax(spectrum) == pytest.approx(1000, abs=1)


def test_mix_sums_with_gains_and_reports_what_it_changed():
    a = MixLayer(sine(440, 8000, 1.0), 8000, 0.0)
    b = MixLayer(np.ones((1, 2, 4000), np.float32) * 0.1, 8000, -20.0)
    result = mix_layers([a, b], prevent_clipping=False)
    assert result.waveform.shape == (1, 2, 8000) and result.sample_rate_hz == 8000
    assert result.waveform[0, 1, 100] == pytest.approx(a.waveform[0, 0, 100] + 0.01, abs=1e-6)
    assert result.waveform[0, 0, 6000] == pytest.approx(a.waveform[0, 0, 6000], abs=1e-7)  # b padded
    assert any("up-mixed" in n for n in result.notes) and any("padded" in n for n in result.notes)


def test_length_first_cuts_to_the_first_layer():
    result = mix_layers([MixLayer(sine(440, 8000, 0.5), 8000), MixLayer(sine(440, 8000, 2.0), 8000)], length="first")
    assert result.waveform.shape[-1] == 4000 and any("cut" in n for n in result.notes)


def test_a_mix_over_full_scale_is_brought_down_once_for_all():
    loud = MixLayer(np.full((1, 1, 10), 0.8, np.float32), 100)
    result = mix_layers([loud, loud], prevent_clipping=True)
    assert np.max(np.abs(result.waveform)) == pytest.approx(0.99)


@pytest.mark.parametrize("layers, message", [
    ([], "at least one"),
    ([MixLayer(np.zeros((2, 1, 5), np.float32), 100), MixLayer(np.zeros((3, 1, 5), np.float32), 100)], "batch"),
    ([MixLayer(np.zeros((1, 5), np.float32), 100)], "batch, channels, samples"),
    ([MixLayer(np.zeros((1, 1, 5), np.float32), 100, float("nan"))], "gain"),
])
def test_unmixable_inputs_are_refused(layers, message):
    with pytest.raises(BadInputError, match=message):
        mix_layers(layers)
