"""`evaluate`: APCC-Δ, onset accuracy/AP and the level slope over a folder of clips, in parallel."""

import json
import shutil

import numpy as np
import pytest

from pavas_core.cli import main


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    from pavas_core.scenes.dataset import synth_dataset

    root = tmp_path_factory.mktemp("evaluate")
    synth_dataset(root / "data", n=3, seed=11, fps_choices=(30.0,), resolutions=((64, 48),),
                  duration_range_s=(3.0, 3.0), sample_rate_hz=16000)
    return root


def generated(dataset, name, make):
    folder = dataset / name
    folder.mkdir(exist_ok=True)
    for scene in sorted((dataset / "data").glob("scene_*")):
        make(scene / "scene.wav", folder / f"{scene.name}.wav")
    return folder


def test_the_reference_scored_as_generated_gives_zero_apcc_delta_and_a_slope_near_one(dataset, tmp_path, capsys):
    gen = generated(dataset, "copy", shutil.copy)
    assert main(["evaluate", "--dataset", str(dataset / "data"), "--generated-dir", str(gen), "--workers", "2",
                 "--json", str(tmp_path / "e.json"), "--quiet"]) == 0
    result = json.loads((tmp_path / "e.json").read_text())
    assert result["apcc_delta"] == 0.0
    ref, gen_side = result["reference"], result["generated"]
    assert ref == gen_side
    assert ref["level_slope"]["slope"] > 0 and ref["level_slope"]["n"] > 10
    assert ref["onset_accuracy"] > 0.5
    assert "onset accuracy" in capsys.readouterr().out


def test_silence_scores_no_onsets_and_the_same_in_one_process(dataset, tmp_path):
    from pavas_core.video import AudioTrack, read_audio, write_wav

    def silence(src, dst):
        audio = read_audio(src)
        write_wav(dst, AudioTrack(np.zeros_like(audio.waveform), audio.sample_rate_hz))

    gen = generated(dataset, "silence", silence)
    for workers in ("1", "2"):
        out = tmp_path / f"s{workers}.json"
        assert main(["evaluate", "--dataset", str(dataset / "data"), "--generated-dir", str(gen), "--workers",
                     workers, "--json", str(out), "--quiet"]) == 0
    one, two = (json.loads((tmp_path / f"s{w}.json").read_text()) for w in ("1", "2"))
    assert one == two
    assert one["generated"]["onset_accuracy"] == 0.0 and one["generated"]["level_slope"]["r"] is None
    assert one["reference"]["log_mel_distance_db"] == 0.0 and one["generated"]["log_mel_distance_db"] > 1.0


def test_missing_generated_audio_is_reported(dataset, tmp_path, capsys):
    assert main(["evaluate", "--dataset", str(dataset / "data"), "--generated-dir", str(tmp_path)]) == 2
    assert "no generated audio for scene scene_0000" in capsys.readouterr().err


def test_level_slope_is_one_common_slope_with_an_intercept_per_category():
    from pavas_core.evaluate import level_slope

    dke = np.array([0.01, 0.1, 1.0, 10.0, 0.02, 0.2, 2.0])
    categories = np.array(["steel"] * 4 + ["rubber"] * 3, dtype=object)
    level = 10 * np.log10(dke) + np.where(categories == "steel", -20.0, -45.0)  # 1 dB per dB, other offsets
    fit = level_slope(level, dke, categories)
    assert fit["slope"] == pytest.approx(1.0) and fit["r"] == pytest.approx(1.0) and fit["n"] == 7
    # pooled, the offsets would pull the slope away from 1
    pooled = np.polyfit(10 * np.log10(dke), level, 1)[0]
    assert abs(pooled - 1.0) > 0.1
    half = level_slope(0.5 * 10 * np.log10(dke) + 3.0, dke, categories)
    assert half["slope"] == pytest.approx(0.5)


def test_onset_precision_exposes_a_sound_that_sprays_onsets(dataset, tmp_path, capsys):
    """Onset accuracy is a recall: clicks every 0.1 s hit nearly every impact. The pooled precision
    (hits over detected onsets) and the counts show it."""
    from pavas_core.video import AudioTrack, read_audio, write_wav

    def clicks(src, dst):
        audio = read_audio(src)
        wave = np.zeros_like(audio.waveform)
        wave[..., :: int(0.1 * audio.sample_rate_hz)] = 0.5
        write_wav(dst, AudioTrack(wave, audio.sample_rate_hz))

    gen = generated(dataset, "clicks", clicks)
    out = tmp_path / "c.json"
    assert main(["evaluate", "--dataset", str(dataset / "data"), "--generated-dir", str(gen), "--workers", "1",
                 "--json", str(out), "--quiet"]) == 0
    result = json.loads(out.read_text())
    ref, spray = result["reference"], result["generated"]
    clips = result["clips"].values()
    for side in ("reference", "generated"):
        assert result[side]["onsets_detected"] == sum(c[side]["onsets_detected"] for c in clips)
        assert result[side]["onset_hits"] == sum(c[side]["onset_hits"] for c in clips)
        assert result[side]["onsets_true"] == sum(c[side]["onset_truth"] for c in clips) > 0
    assert spray["onset_accuracy"] >= ref["onset_accuracy"]
    assert spray["onsets_detected"] > 1.5 * spray["onsets_true"] > 1.5 * ref["onsets_detected"]
    assert spray["onset_precision"] < ref["onset_precision"] - 0.3 and ref["onset_precision"] > 0.8
    table = capsys.readouterr().out
    assert "onset precision (hits / detected)" in table
    assert f"{spray['onsets_detected']}/{spray['onsets_true']}" in table
