"""The main job on clips of the kinds a new user tries first, none of which shows an impact
(bench/real_clips.py builds them from scikit-image's public-domain photos): no sonified impact, a
WAV peak ≤ −40 dBFS and a note that says why. A flat-colour cartoon once came out with one impact at
−27 dBFS when a ranking change let a generic-size blob "fall at g"; this keeps such regressions out."""

import pytest

from bench_modules import load_bench

pytest.importorskip("skimage")


@pytest.fixture(scope="module")
def bench():
    return load_bench("real_clips")


@pytest.mark.parametrize("clip", ["talking_head", "street_cuts", "animation"])
def test_a_clip_without_impacts_comes_out_silent_with_a_note_saying_why(bench, clip, tmp_path):
    result = bench.measure(clip, tmp_path)
    assert result["sonified"] == 0, result["notes"]
    assert result["peak_dbfs"] <= bench.PEAK_TARGET_DBFS
    assert any(bench.says_why_silent(note) for note in result["notes"]), result["notes"]
