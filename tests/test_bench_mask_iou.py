"""bench/mask_iou.py on a tiny dataset: the fake estimator's known IoU, and an estimator without masks."""

import re

import numpy as np
import pytest

from pavas_core.physics.tracks import PhysicsTracks
from pavas_core.scenes.dataset import synth_dataset
from pavas_core.scenes.evaluate import match_masks

from bench_modules import load_bench

@pytest.fixture(scope="module")
def bench():
    return load_bench("mask_iou")


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    out = tmp_path_factory.mktemp("masks")
    synth_dataset(out, n=2, seed=4, resolutions=((160, 120),), duration_range_s=(1.0, 1.0), fps_choices=(24.0,),
                  sample_rate_hz=16000)
    return out


def test_shifted_truth_scores_the_iou_of_a_one_pixel_shift(bench, tiny_data, capsys):
    assert bench.main(["--n", "2", "--data", str(tiny_data), "--fake", "shift", "--verbose"]) == 0
    out = capsys.readouterr().out
    ious = []
    for d in ("scene_0000", "scene_0001"):
        truth = PhysicsTracks.load(tiny_data / d / "physics.json")
        fake = bench.fake_estimate(truth, "shift")
        assert [o.id for o in fake.objects] == [o.id + 1000 for o in reversed(truth.objects)]
        for t, f in zip(truth.objects, reversed(fake.objects)):  # the same masks, one pixel to the right
            for k in np.flatnonzero(f.masks.visible()):
                a, b = t.masks.dense(k), f.masks.dense(k)
                np.testing.assert_array_equal(b[:, 1:], a[:, :-1])
                ious.append((a & b).sum() / (a | b).sum())
        assert all(p[1] == p[0] + 1000 for p in match_masks(truth, fake).pairs)
    median = float(re.search(r"median (\d\.\d+), mean", out).group(1))
    assert median == pytest.approx(np.median(ious), abs=6e-4)
    assert 0.6 < median < 0.97 and out.count("scene_000") == 2


def test_an_estimator_without_masks_is_reported_not_scored(bench, tiny_data, capsys, monkeypatch):
    def no_masks(clip, **_):
        truth = PhysicsTracks.load(tiny_data / "scene_0000" / "physics.json")
        for o in truth.objects:
            o.masks = o.mask_source = None
        return truth

    monkeypatch.setattr(bench, "estimate_physics", no_masks)
    assert bench.main(["--n", "1", "--data", str(tiny_data)]) == 0
    out = capsys.readouterr().out
    assert "estimator gave no masks" in out and "IoU over" not in out
