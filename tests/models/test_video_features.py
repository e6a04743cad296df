"""Frame choice by time, lengths, short-video policy and MMAudio-exact preprocessing."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch

from pavas_core.errors import BadInputError
from pavas_core.models.mmaudio.sequence import sequence_lengths
from pavas_core.models.video_features import (
    CLIP_MEAN,
    CLIP_SIZE_PX,
    CLIP_STD,
    SYNC_SIZE_PX,
    prepare_encoder_frames,
    preprocess_clip_frames,
    preprocess_sync_frames,
    select_encoder_frames,
)
from pavas_core.video.clip import Clip
from tolerances import fp32_rounding_bound

DURATIONS_S = (1.0, 4.5, 8.0, 10.0)


def indexed_frames(num_frames: int, height: int = 24, width: int = 40) -> np.ndarray:
    """(T, H, W, 3) uint8 frames whose flat colour encodes the frame index: R = i % 256, G = i // 256."""
    frames = np.zeros((num_frames, height, width, 3), dtype=np.uint8)
    index = np.arange(num_frames)
    frames[..., 0] = (index % 256)[:, None, None]
    frames[..., 1] = (index // 256)[:, None, None]
    frames[..., 2] = 77
    return frames


def decode_indices(preprocessed: torch.Tensor, mean, std) -> np.ndarray:
    """Invert the normalisation of flat frames and read the encoded index back."""
    pixel = preprocessed[:, :, preprocessed.shape[2] // 2, preprocessed.shape[3] // 2]  # (N, 3)
    values = (pixel * torch.tensor(std) + torch.tensor(mean)) * 255.0
    values = values.round().to(torch.int64).numpy()
    assert np.all(values[:, 2] == 77), "flat frames must stay flat through the resize"
    return values[:, 0] + 256 * values[:, 1]


def on_screen_constant_fps(k: int, target_fps: int, fps: Fraction, num_frames: int) -> int:
    """Exact rational answer: the last frame i with i / fps <= k / target + tolerance, held at the end.

    The shared rule (pavas_core.video.resample) lets a frame stamped up to min(1 ms, period / 4)
    late count as on screen, to absorb millisecond-rounded timestamps.
    """
    tolerance = min(Fraction(1, 1000), 1 / (4 * fps))
    return min(int((Fraction(k, target_fps) + tolerance) * fps), num_frames - 1)


@pytest.mark.parametrize("fps", [Fraction(10), Fraction(24), Fraction(30), Fraction(60), Fraction(30000, 1001)])
def test_frames_are_the_ones_on_screen_at_k_over_8_and_k_over_25_seconds(fps):
    duration_s = 2.0
    num_frames = int(np.ceil(float(fps) * duration_s)) + 1
    frames = indexed_frames(num_frames)
    # Timestamps as a decoder gives them (pts * time_base, correctly rounded): 30000/1001 fps puts
    # frame 30 at 1.001 s, within the shared 1 ms tolerance of t = 1 s.
    stamps = [float(i / fps) for i in range(num_frames)]
    encoded = prepare_encoder_frames(frames, duration_s=duration_s, timestamps_s=stamps)
    lengths = sequence_lengths(duration_s, 44100)

    clip_seen = decode_indices(encoded.clip, CLIP_MEAN, CLIP_STD)
    sync_seen = decode_indices(encoded.sync, (0.5,) * 3, (0.5,) * 3)
    expected_clip = [on_screen_constant_fps(k, 8, fps, num_frames) for k in range(lengths.clip_len)]
    expected_sync = [on_screen_constant_fps(k, 25, fps, num_frames) for k in range(lengths.num_sync_frames)]
    assert clip_seen.tolist() == expected_clip
    assert sync_seen.tolist() == expected_sync
    assert encoded.selection.held_clip_frames == 0 and encoded.selection.warnings == []


def test_thirty_fps_video_is_resampled_not_truncated_to_the_first_frames():
    # The bug in one ComfyUI port: CLIP frame k was source frame k (input assumed to be 8 fps).
    selection = select_encoder_frames(np.arange(300) / 30.0, 8.0)
    assert selection.clip_indices[10] == 37  # t = 1.25 s → frame 37 at 30 fps, not frame 10
    assert selection.clip_indices[-1] == 236  # t = 7.875 s
    assert selection.sync_indices[-1] == 238  # t = 199/25 = 7.96 s


def test_variable_frame_rate_picks_the_last_frame_shown_at_or_before_each_time():
    rng = np.random.default_rng(3)
    gaps = rng.choice([1 / 60, 1 / 30, 1 / 24, 0.1, 0.013], size=200)
    stamps = np.concatenate([[0.0], np.cumsum(gaps)[:-1]])
    frames = indexed_frames(len(stamps))
    encoded = prepare_encoder_frames(frames, duration_s=2.5, timestamps_s=stamps)

    def brute_force(t: float) -> int:
        """Last frame shown by t; a frame stamped up to min(1 ms, gap / 4) late still counts."""
        late_ok = [0.0] + [min(1e-3, 0.25 * (stamps[i] - stamps[i - 1])) for i in range(1, len(stamps))]
        return max(i for i, s in enumerate(stamps) if s - t <= late_ok[i])

    clip_times = np.arange(20) / 8.0
    sync_times = np.arange(sequence_lengths(2.5, 16000).num_sync_frames) / 25.0
    assert decode_indices(encoded.clip, CLIP_MEAN, CLIP_STD).tolist() == [brute_force(t) for t in clip_times]
    assert decode_indices(encoded.sync, (0.5,) * 3, (0.5,) * 3).tolist() == [brute_force(t) for t in sync_times]


def test_clip_input_uses_its_own_timestamps():
    stamps = np.array([0.0, 0.5, 0.9, 1.2, 1.75])
    clip = Clip(frames=indexed_frames(5), timestamps_s=stamps, fps=5 / 2.0, duration_s=2.0)
    encoded = prepare_encoder_frames(clip, duration_s=2.0)
    seen = decode_indices(encoded.clip, CLIP_MEAN, CLIP_STD)
    expected = [int(np.searchsorted(stamps, k / 8.0, side="right") - 1) for k in range(16)]
    assert seen.tolist() == expected
    assert encoded.selection.held_clip_frames == 0


@pytest.mark.parametrize("duration_s", DURATIONS_S)
def test_lengths_equal_sequence_lengths(duration_s):
    selection = select_encoder_frames(np.arange(400) / 30.0, duration_s)
    for sample_rate_hz in (16000, 44100):
        lengths = sequence_lengths(duration_s, sample_rate_hz)
        assert len(selection.clip_indices) == lengths.clip_len
        assert len(selection.sync_indices) == lengths.num_sync_frames
    assert (len(selection.clip_indices), len(selection.sync_indices)) == {
        1.0: (8, 24),
        4.5: (36, 112),
        8.0: (64, 200),
        10.0: (80, 248),
    }[duration_s]


def test_short_video_holds_the_last_frame_for_the_requested_duration():
    frames = indexed_frames(45)  # 1.5 s at 30 fps, 4 s requested
    encoded = prepare_encoder_frames(frames, duration_s=4.0, fps=30.0)
    selection = encoded.selection
    clip_seen = decode_indices(encoded.clip, CLIP_MEAN, CLIP_STD)
    sync_seen = decode_indices(encoded.sync, (0.5,) * 3, (0.5,) * 3)
    assert encoded.clip.shape[0] == 32 and encoded.sync.shape[0] == 96
    assert clip_seen[:12].tolist() == [int(k * 30 / 8) for k in range(12)]
    assert np.all(clip_seen[12:] == 44)  # t >= 1.5 s shows the held last frame
    assert np.all(sync_seen[38:] == 44) and sync_seen[37] == int(37 * 30 / 25)
    assert selection.held_clip_frames == 32 - 12
    assert selection.held_sync_frames == 96 - 38
    assert len(selection.warnings) == 2 and "held" in selection.warnings[0]


def test_exactly_long_enough_video_holds_nothing():
    selection = select_encoder_frames(np.arange(240) / 30.0, 8.0, video_end_s=8.0)
    assert selection.held_clip_frames == 0 and selection.held_sync_frames == 0 and not selection.warnings


def test_duration_shorter_than_one_sync_window_is_rejected():
    with pytest.raises(BadInputError, match="too short"):
        select_encoder_frames(np.arange(30) / 30.0, 0.5)


def test_timing_must_be_given_exactly_once():
    frames = indexed_frames(10)
    with pytest.raises(BadInputError, match="exactly one"):
        prepare_encoder_frames(frames, duration_s=1.0)
    with pytest.raises(BadInputError, match="exactly one"):
        prepare_encoder_frames(frames, duration_s=1.0, fps=10.0, timestamps_s=np.arange(10) / 10)
    with pytest.raises(BadInputError, match="fps"):
        prepare_encoder_frames(frames, duration_s=1.0, fps=0.0)


def test_preprocessing_matches_mmaudio_torchvision_transforms_bit_for_bit():
    v2 = pytest.importorskip("torchvision.transforms.v2")
    rng = np.random.default_rng(0)
    for height, width in ((37, 53), (300, 200), (225, 400), (224, 224)):
        # Smooth content plus noise: realistic, and exercises overshoot clamping.
        y, x = np.mgrid[0:height, 0:width]
        base = 127 + 100 * np.sin(x[None, :, :, None] / 7.0 + np.arange(3) + y[None, :, :, None] / 11.0)
        frames = np.clip(base + rng.normal(0, 20, (3, height, width, 3)), 0, 255).astype(np.uint8)
        chw = torch.from_numpy(frames).permute(0, 3, 1, 2)
        # MMAudio's eval_utils.load_video transforms, on the same uint8 (T, C, H, W) tensor.
        clip_ref = v2.Compose(
            [
                v2.Resize((384, 384), interpolation=v2.InterpolationMode.BICUBIC),
                v2.ToImage(),
                v2.ToDtype(torch.float32, scale=True),
            ]
        )(chw)
        clip_ref = v2.Normalize(mean=list(CLIP_MEAN), std=list(CLIP_STD))(clip_ref)
        sync_ref = v2.Compose(
            [
                v2.Resize(224, interpolation=v2.InterpolationMode.BICUBIC),
                v2.CenterCrop(224),
                v2.ToImage(),
                v2.ToDtype(torch.float32, scale=True),
                v2.Normalize(mean=[0.5, 0.5, 0.5], std=[0.5, 0.5, 0.5]),
            ]
        )(chw)
        clip_ours = preprocess_clip_frames(frames, chunk_frames=2)
        sync_ours = preprocess_sync_frames(frames, chunk_frames=2)
        assert clip_ours.shape == (3, 3, CLIP_SIZE_PX, CLIP_SIZE_PX) and sync_ours.shape == (
            3,
            3,
            SYNC_SIZE_PX,
            SYNC_SIZE_PX,
        )
        # The resized uint8 pictures must be equal; then each side scales, subtracts the mean and divides
        # by the std in fp32 (3 roundings each, in whatever order and fusion its kernels use).
        for ours, ref in ((clip_ours, clip_ref), (sync_ours, sync_ref)):
            torch.testing.assert_close(ours, ref, rtol=0, atol=fp32_rounding_bound(6, ref.abs().max().item()))


def test_float_frames_are_quantised_like_decoded_uint8_frames():
    rng = np.random.default_rng(1)
    frames_u8 = rng.integers(0, 256, (2, 30, 50, 3), dtype=np.uint8)
    frames_float = torch.from_numpy(frames_u8).float() / 255.0
    torch.testing.assert_close(preprocess_sync_frames(frames_float), preprocess_sync_frames(frames_u8), rtol=0, atol=0)


def test_repeated_source_frames_are_resized_once_and_progress_counts_distinct_frames():
    frames = indexed_frames(10)  # 1 s at 10 fps → 25 sync frames from 10 distinct source frames
    calls = []
    out = preprocess_sync_frames(
        frames, np.repeat(np.arange(10), 3)[:25], chunk_frames=4, progress=lambda d, t: calls.append((d, t))
    )
    assert out.shape == (25, 3, 224, 224)
    assert calls == [(4, 9), (8, 9), (9, 9)]


def test_output_dtype_and_device_follow_the_request():
    out = preprocess_clip_frames(indexed_frames(2), dtype=torch.bfloat16, device="cpu")
    assert out.dtype == torch.bfloat16 and out.device.type == "cpu"


def test_malformed_frames_are_rejected_with_a_clear_message():
    with pytest.raises(BadInputError, match=r"\(T, H, W, 3\)"):
        preprocess_clip_frames(np.zeros((2, 10, 10), dtype=np.uint8))
    with pytest.raises(BadInputError, match="no frames"):
        select_encoder_frames(np.array([]), 2.0)


def test_extremely_elongated_frames_are_rejected_before_resizing():
    with pytest.raises(BadInputError, match="elongated"):
        preprocess_sync_frames(np.zeros((1, 2, 400, 3), dtype=np.uint8))


def test_nan_float_frames_are_rejected():
    frames = torch.full((2, 8, 8, 3), 0.5)
    frames[1, 3, 3, 0] = float("nan")
    with pytest.raises(BadInputError, match="NaN"):
        preprocess_clip_frames(frames)


@pytest.mark.parametrize("duration_s", [1.0, 2.5])
def test_encode_video_gives_sequence_lengths_for_both_encoders(duration_s):
    pytest.importorskip("open_clip")
    from pavas_core.models.clip_encoder import ClipEncoder, build_clip_model, make_tokenizer
    from pavas_core.models.synchformer import SynchformerConfig, SynchformerVisual
    from pavas_core.models.video_features import encode_video

    torch.manual_seed(0)
    # Tiny models that accept the real input sizes: 384 px (27x27 patches of 14) and 224 px.
    clip_config = {
        "embed_dim": 16,
        "vision_cfg": {"image_size": 378, "layers": 1, "width": 32, "head_width": 16, "patch_size": 14},
        "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 16, "heads": 1, "layers": 1},
    }
    clip = ClipEncoder(build_clip_model(clip_config).eval(), make_tokenizer())
    sync = SynchformerVisual(SynchformerConfig(embed_dim=16, depth=1, num_heads=2, patch_size_px=56)).eval()
    frames = indexed_frames(int(30 * duration_s))
    calls = []
    conditions = encode_video(
        frames,
        duration_s=duration_s,
        fps=30.0,
        clip_encoder=clip,
        synchformer=sync,
        progress=lambda d, t: calls.append((d, t)),
    )
    lengths = sequence_lengths(duration_s, 44100)
    assert conditions.clip_features.shape == (1, lengths.clip_len, 16)
    assert conditions.sync_features.shape == (1, lengths.sync_len, 16)
    done = [d for d, _ in calls]
    assert done == sorted(done) and calls[-1][0] == calls[-1][1] and len({t for _, t in calls}) == 1
