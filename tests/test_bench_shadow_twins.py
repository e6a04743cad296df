"""bench/shadow_twins.py: shadow labels from a shadow-free twin, and a learned shadow test that can
only take pixels the rule could (darker than the background in every channel)."""

import numpy as np
import pytest

from bench_modules import load_bench


@pytest.fixture(scope="module")
def bench():
    return load_bench("shadow_twins")


def test_a_shadow_is_where_the_frame_is_darker_than_its_twin_off_the_bodies(bench):
    twin = np.full((20, 30, 3), 180, np.uint8)
    frame = twin.copy()
    frame[2:8, 2:12] = 120  # a cast shadow
    frame[12:18, 20:28] = 60  # a body, darker than the floor in both renders
    twin[12:18, 20:28] = 60
    frame[2:8, 20:28] = 178  # codec noise: 2 DN darker, no shadow
    body = np.zeros((20, 30), bool)
    body[12:18, 20:28] = True
    frame[10:12, 20:28] = 150  # a shadow touching the body: its first row beside the body is left out
    labels = bench.shadow_labels(frame, twin, body)
    assert labels[2:8, 2:12].all()
    assert not labels[body].any()
    assert not labels[2:8, 20:28].any()
    assert labels[10, 20:28].all() and not labels[11, 20:28].any()
    assert labels.sum() == 60 + 8


def test_the_learned_test_takes_only_pixels_darker_than_the_background_in_every_channel(bench):
    torch = pytest.importorskip("torch")

    class AlwaysShadow(torch.nn.Module):
        def forward(self, x):
            return torch.full((x.shape[0], 1, *x.shape[2:]), 10.0)

    background = np.full((40, 50, 3), 150.0, np.float32)
    frame = background.copy()
    frame[5:15, 5:20] *= 0.6  # darker in every channel
    frame[20:30, 30:45, 0] = 200.0  # a reddish body: brighter in one channel
    frame[20:30, 30:45, 1:] = 90.0
    called = bench.net_shadow_test(AlwaysShadow())(frame, background, noise=1.0)
    assert called[5:15, 5:20].all()
    assert called.sum() == 150
    # and a classifier that says "no shadow" takes nothing, candidates or not
    class NeverShadow(AlwaysShadow):
        def forward(self, x):
            return -super().forward(x)

    assert not bench.net_shadow_test(NeverShadow())(frame, background, noise=1.0).any()


def test_the_pixel_score_counts_candidates_only(bench):
    background = np.full((10, 10, 3), 100.0, np.float32)
    frame = background.copy()
    frame[:5] = 60.0  # a shadow on the top half
    frame[5:, :5] = 130.0  # a bright body: never a candidate
    frame[5:, 5:] = 40.0  # a dark body: a candidate
    shadow, body = np.zeros((10, 10), bool), np.zeros((10, 10), bool)
    shadow[:5] = True
    body[5:] = True
    crop = bench.ShadowCrop(frame, background, 1.0, shadow, body)
    score = bench.PixelScore()
    called = np.zeros((10, 10), bool)
    called[:3] = True
    called[5:, 5:7] = True
    called[5:, :5] = True  # not a candidate: not counted
    score.add(called, crop)
    assert (score.shadow, score.shadow_taken, score.body, score.body_taken) == (50, 30, 25, 10)


def test_training_on_nothing_labelled_is_a_clear_error(bench):
    pytest.importorskip("torch")
    flat = np.full((8, 8, 3), 100.0, np.float32)
    crop = bench.ShadowCrop(flat, flat.copy(), 1.0, np.zeros((8, 8), bool), np.zeros((8, 8), bool))
    with pytest.raises(ValueError, match="no labelled pixel"):
        bench.train_net([crop], steps=1)
