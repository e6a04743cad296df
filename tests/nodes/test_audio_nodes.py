"""Physics Foley, Audio Mix, APCC Score."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from conftest import make_tracks


def foley(pack, tracks, **kw):
    args = {"sample_rate_hz": 44100, "duration_s": 0.0, "seed": 0} | kw
    return pack.NODE_CLASS_MAPPINGS["PAVAS_PhysicsFoley"]().synthesize(tracks, **args)


def test_foley_is_as_long_as_the_clip_at_the_chosen_rate_and_audible(pack, tracks):
    out = foley(pack, tracks, sample_rate_hz=48000)
    (audio,) = out["result"]
    assert audio["sample_rate"] == 48000
    assert tuple(audio["waveform"].shape) == (1, 1, round(tracks.duration_s * 48000))
    wave = audio["waveform"][0, 0].numpy()
    assert np.isfinite(wave).all() and np.abs(wave).max() > 0.01
    # the loudest moment is at an impact, not somewhere else
    first_impact = tracks.objects[0].impacts[0].time_s
    onset = int(first_impact * 48000)
    assert np.abs(wave[onset:onset + 2400]).max() > 10 * np.abs(wave[: onset - 2400]).max()


def test_silent_foley_says_why_in_the_log(pack, core, caplog):
    quiet = make_tracks(core, impacts=())
    with caplog.at_level("INFO", logger="pavas"):
        (audio,) = foley(pack, quiet)["result"]
    assert float(audio["waveform"].abs().max()) == 0.0
    assert any("the sound is silent" in r.getMessage() and "1 object(s) but no impact" in r.getMessage()
               for r in caplog.records)


def test_foley_shows_a_player_through_a_preview_file_in_temp(pack, comfy, tracks):
    out = foley(pack, tracks)
    (entry,) = out["ui"]["audio"]
    assert entry["type"] == "temp" and entry["filename"].endswith(".wav")
    assert (comfy.temp_dir / entry["subfolder"] / entry["filename"]).stat().st_size > 1000


def test_foley_same_seed_same_sound_and_heavier_is_louder(pack, core):
    light, heavy = make_tracks(core, mass_kg=0.3), make_tracks(core, mass_kg=3.0)
    a = foley(pack, light)["result"][0]["waveform"]
    b = foley(pack, light)["result"][0]["waveform"]
    assert torch.equal(a, b)
    louder = foley(pack, heavy)["result"][0]["waveform"]
    assert float(louder.abs().max()) > float(a.abs().max())


def test_foley_with_a_duration_override(pack, tracks):
    (audio,) = foley(pack, tracks, duration_s=3.0, sample_rate_hz=16000)["result"]
    assert audio["waveform"].shape[-1] == 48000


@pytest.mark.parametrize("bad, message", [
    ("not physics", "expected PAVAS_PHYSICS"),
    ("nan_mass", "mass_kg must be a positive finite number"),
])
def test_foley_refuses_bad_physics_clearly(pack, core, tracks, bad, message):
    if bad == "nan_mass":
        tracks.objects[0].mass_kg = float("nan")
        bad = tracks
    with pytest.raises(core.errors.BadInputError, match=message):
        foley(pack, bad)


def mix(pack, a, b, **kw):
    args = {"gain_a_db": 0.0, "gain_b_db": 0.0, "sample_rate": "highest input", "length": "longest",
            "prevent_clipping": True} | kw
    return pack.NODE_CLASS_MAPPINGS["PAVAS_AudioMix"]().mix(a, b, **args)["result"][0]


def tone(freq_hz, rate, seconds, amp=0.25, channels=1):
    t = torch.arange(int(rate * seconds)) / rate
    return {"waveform": (amp * torch.sin(2 * math.pi * freq_hz * t)).repeat(channels, 1)[None], "sample_rate": rate}


def test_mix_resamples_to_the_highest_rate_and_keeps_each_pitch(pack):
    out = mix(pack, tone(440, 16000, 1.0), tone(3000, 44100, 0.5, channels=2))
    assert out["sample_rate"] == 44100
    assert tuple(out["waveform"].shape) == (1, 2, 44100)  # longest, stereo
    spectrum = np.abs(np.fft.rfft(out["waveform"][0, 0].numpy()))
    freqs = np.fft.rfftfreq(44100, 1 / 44100)
    peaks = sorted(freqs[np.argsort(spectrum)[-2:]])
    assert peaks == pytest.approx([440, 3000], abs=2)  # resampled, not relabelled (which would shift 440 Hz)


def test_mix_gains_in_db_and_length_of_first(pack):
    out = mix(pack, tone(440, 16000, 1.0), tone(440, 16000, 2.0), gain_a_db=0.0, gain_b_db=-60.0,
              length="audio_a", sample_rate="audio_a")
    assert out["sample_rate"] == 16000 and out["waveform"].shape[-1] == 16000
    assert float(out["waveform"].abs().max()) == pytest.approx(0.25, rel=2e-3)


def test_mix_prevents_clipping_by_scaling_the_whole_mix(pack):
    out = mix(pack, tone(440, 16000, 1.0, amp=0.9), tone(440, 16000, 1.0, amp=0.9))
    assert float(out["waveform"].abs().max()) == pytest.approx(0.99, abs=1e-4)


def test_mix_refuses_incompatible_inputs(pack, core):
    stereo = tone(440, 16000, 1.0, channels=2)
    three = {"waveform": torch.zeros(1, 3, 100), "sample_rate": 16000}
    with pytest.raises(core.errors.BadInputError, match="channels"):
        mix(pack, stereo, three)
    with pytest.raises(core.errors.BadInputError, match="audio_b"):
        mix(pack, stereo, {"waveform": torch.zeros(1, 1, 4)})


def test_apcc_is_high_for_the_physics_foley_and_reports_its_events(pack, core):
    tracks = make_tracks(core, impacts=((0.3, 6.0, 1.0), (0.8, 2.0, 1.5), (1.2, 4.0, 2.0), (1.6, 1.2, 1.0)),
                         num_frames=60)
    (audio,) = foley(pack, tracks)["result"]
    out = pack.NODE_CLASS_MAPPINGS["PAVAS_APCCScore"]().score(tracks, audio)
    score, report = out["result"]
    assert score > 0.8  # the synthesizer's loudness follows ΔKE by construction
    assert "APCC (reconstructed)" in report and "4 found" in report
    assert out["ui"]["pavas_text"] == [report]


def test_apcc_with_too_few_impacts_is_nan_and_says_why(pack, core):
    tracks = make_tracks(core, impacts=((0.5, 3.0, 1.0),))
    (audio,) = foley(pack, tracks)["result"]
    score, report = pack.NODE_CLASS_MAPPINGS["PAVAS_APCCScore"]().score(tracks, audio)["result"]
    assert math.isnan(score) and "not defined" in report


def test_apcc_refuses_bad_inputs(pack, core, tracks):
    node = pack.NODE_CLASS_MAPPINGS["PAVAS_APCCScore"]()
    with pytest.raises(core.errors.BadInputError, match="expected AUDIO"):
        node.score(tracks, [0.0, 1.0])
    with pytest.raises(core.errors.BadInputError, match="expected PAVAS_PHYSICS"):
        node.score({"objects": []}, tone(440, 16000, 1.0))
