"""End-to-end generation on tiny random-weight model sets (loaded through the real file loaders)."""

import numpy as np
import pytest
import torch

from pavas_core.errors import BadInputError, Cancelled, MissingWeightsError, UnsupportedCheckpointError
from pavas_core.models.generator import FeatureEncoders, generate, plan_windows
from pavas_core.models.tiny_models import tiny_generator
from pavas_core.video import clip_from_frames



@pytest.fixture(scope="module")
def tiny16(tmp_path_factory):
    return tiny_generator(16000, folder=tmp_path_factory.mktemp("tiny16"))


@pytest.fixture(scope="module")
def tiny44(tmp_path_factory):
    return tiny_generator(44100, folder=tmp_path_factory.mktemp("tiny44"))


def moving_square_frames(num_frames: int, size: int = 48, seed: int = 0) -> np.ndarray:
    """(T, H, W, 3) uint8: a bright square on a noisy background, its position a function of the frame."""
    rng = np.random.default_rng(seed)
    frames = rng.integers(0, 60, size=(num_frames, size, size, 3), dtype=np.uint8)
    for i in range(num_frames):
        x = (i * 5) % (size - 10)
        frames[i, 10:20, x : x + 10] = 255
    return frames


@pytest.mark.parametrize("rate_fixture, rate", [("tiny16", 16000), ("tiny44", 44100)])
def test_cfg_sampling_gives_finite_audio_of_exactly_the_requested_length(request, rate_fixture, rate):
    net, encoders = request.getfixturevalue(rate_fixture)
    out = generate(net, encoders, prompt="a ball bouncing", duration_s=1.3, num_steps=25, cfg_strength=4.5, seed=1)
    assert out.sample_rate_hz == rate
    assert out.waveform.shape == (1, 1, round(1.3 * rate))
    assert torch.isfinite(out.waveform).all() and out.waveform.std() > 1e-4


def test_duration_defaults_to_the_videos(tiny16):
    net, encoders = tiny16
    clip = clip_from_frames(moving_square_frames(37), fps=15.0)  # 2.4667 s
    out = generate(net, encoders, clip=clip, num_steps=2)
    assert out.waveform.shape[-1] == round(37 / 15 * 16000)


def test_same_pictures_at_another_frame_rate_give_the_same_sound(tiny16):
    """The frames shown at each instant decide the conditions, not the frame count (the fps bug of other packs)."""
    net, encoders = tiny16
    frames12 = moving_square_frames(24)  # 2 s at 12 fps
    frames24 = np.repeat(frames12, 2, axis=0)  # the same 2 s at 24 fps, every picture shown twice as long
    a = generate(net, encoders, clip=clip_from_frames(frames12, 12.0), num_steps=2, seed=3)
    b = generate(net, encoders, clip=clip_from_frames(frames24, 24.0), num_steps=2, seed=3)
    # Both runs feed the same pictures to the same encoders and network: one computation on equal
    # inputs, bitwise equal under every kernel configuration tried. 1e-6 (~70 ulps of the 0.14 peak)
    # only absorbs kernels that round by memory address; a frame-count effect moves it by > 1e-4 (c).
    torch.testing.assert_close(a.waveform, b.waveform, rtol=0, atol=1e-6)
    c = generate(net, encoders, clip=clip_from_frames(frames12[::-1].copy(), 12.0), num_steps=2, seed=3)
    assert (a.waveform - c.waveform).abs().max() > 1e-4  # and the pictures do matter


def test_same_seed_same_sound_other_seed_other_sound(tiny16):
    net, encoders = tiny16
    a = generate(net, encoders, duration_s=1.0, num_steps=2, seed=5)
    b = generate(net, encoders, duration_s=1.0, num_steps=2, seed=5)
    c = generate(net, encoders, duration_s=1.0, num_steps=2, seed=6)
    assert torch.equal(a.waveform, b.waveform)
    assert (a.waveform - c.waveform).abs().max() > 1e-4


def test_progress_is_reported_per_step_and_can_cancel(tiny16):
    net, encoders = tiny16
    seen = []
    generate(net, encoders, duration_s=1.0, num_steps=4, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (6, 6) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    steps = []

    def stop_after_two_steps(done, total):
        steps.append(done)
        return done < 3  # unit 1 = conditions, 2..5 = steps

    with pytest.raises(Cancelled):
        generate(net, encoders, duration_s=1.0, num_steps=4, progress=stop_after_two_steps)
    assert max(steps) == 3


def test_long_clip_is_generated_in_cross_faded_windows(tiny16):
    net, encoders = tiny16
    clip = clip_from_frames(moving_square_frames(45), fps=15.0)  # 3 s
    out = generate(net, encoders, clip=clip, num_steps=2, window_s=1.5, overlap_s=0.5)
    assert len(out.windows_s) == 3 and out.waveform.shape[-1] == 48000
    assert torch.isfinite(out.waveform).all() and any("windows" in w for w in out.warnings)


@pytest.mark.parametrize("duration, window, overlap", [(8.0, 8.0, 1.0), (8.01, 8.0, 1.0), (30.0, 8.0, 1.0), (3.0, 1.5, 0.5)])
def test_window_plan_covers_the_clip_with_at_least_the_overlap(duration, window, overlap):
    windows = plan_windows(duration, window, overlap)
    assert windows[0][0] == 0 and windows[-1][1] == pytest.approx(duration)
    assert all(end - start <= window + 1e-9 for start, end in windows)
    assert all(prev_end - start >= overlap - 1e-9 for (_, prev_end), (start, _) in zip(windows, windows[1:]))


def test_network_and_decoder_of_different_rates_are_refused(tiny16, tiny44):
    with pytest.raises(UnsupportedCheckpointError, match="v1-16.pth"):
        generate(tiny16[0], tiny44[1], duration_s=1.0, num_steps=1)


def test_missing_encoders_and_bad_durations_have_clear_errors(tiny16):
    net, encoders = tiny16
    decoder_only = FeatureEncoders(audio_decoder=encoders.audio_decoder)
    with pytest.raises(MissingWeightsError, match="CLIP"):
        generate(net, decoder_only, prompt="thunder", duration_s=1.0)
    with pytest.raises(MissingWeightsError, match="Synchformer"):
        generate(net, decoder_only, clip=clip_from_frames(moving_square_frames(20), 10.0))
    out = generate(net, decoder_only, duration_s=1.0, num_steps=1)  # unconditional: decoder is enough
    assert out.waveform.shape[-1] == 16000
    with pytest.raises(BadInputError, match="duration"):
        generate(net, encoders, duration_s=0.2)


def test_the_largest_seed_works_on_every_window_and_nan_guidance_is_refused(tiny16):
    """Class 5 of the hostile-input issue: the seed widget allows 2^64 − 1, and the second window
    used seed + 1 (an overflow); cfg=NaN used to mean "no guidance" without a word."""
    net, encoders = tiny16
    out = generate(net, encoders, duration_s=2.0, window_s=1.0, overlap_s=0.25, num_steps=1, seed=2**64 - 1)
    assert len(out.windows_s) >= 2 and torch.isfinite(out.waveform).all()
    for bad in (float("nan"), float("inf"), -1.0):
        with pytest.raises(BadInputError, match="cfg_strength"):
            generate(net, encoders, duration_s=1.0, num_steps=1, cfg_strength=bad)
    with pytest.raises(BadInputError, match="seed"):
        generate(net, encoders, duration_s=1.0, num_steps=1, seed=2**64)
