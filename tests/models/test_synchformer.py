"""Synchformer visual extractor: golden equivalence with MMAudio's code, loading, windowing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from pavas_core.errors import BadInputError, UnsupportedCheckpointError
from pavas_core.models.mmaudio.sequence import sequence_lengths
from pavas_core.models.synchformer import (
    SynchformerConfig,
    SynchformerVisual,
    encode_sync_frames,
    load_synchformer,
)
from tolerances import assert_follows_fp32, assert_matches_golden, assert_same_computation, float64_twin

GOLDEN = Path(__file__).parents[1] / "fixtures" / "synchformer" / "synchformer_tiny_golden.safetensors"


@pytest.fixture(scope="module")
def golden():
    tensors = load_file(str(GOLDEN))
    with safe_open(str(GOLDEN), "pt") as f:
        config = SynchformerConfig(**json.loads(f.metadata()["config"]))
    weights = {k[len("weights.") :]: v for k, v in tensors.items() if k.startswith("weights.")}
    return {
        "config": config,
        "weights": weights,
        "frames": tensors["input.frames"].float(),
        "features": tensors["output.features"],
    }


@pytest.fixture(scope="module")
def tiny_model(golden):
    return load_synchformer(golden["weights"], config=golden["config"])


@pytest.fixture(scope="module")
def tiny_model64(golden):
    """The same model in float64: its outputs set the fp32 spread of each comparison."""
    return load_synchformer(golden["weights"], config=golden["config"], dtype=torch.float64)


def test_matches_mmaudio_reference_on_golden_tiny_model(golden, tiny_model, tiny_model64):
    features = encode_sync_frames(tiny_model, golden["frames"], windows_per_batch=3)
    assert features.shape == golden["features"].shape == (2, 16, 32)
    fp64 = encode_sync_frames(tiny_model64, golden["frames"].double(), windows_per_batch=3)
    assert_matches_golden(features, golden["features"], fp64, "Synchformer features")


def test_window_batching_does_not_change_the_features(golden, tiny_model, tiny_model64):
    one_by_one = tiny_model.encode(golden["frames"], windows_per_batch=1)
    all_at_once = tiny_model.encode(golden["frames"], windows_per_batch=64)
    fp64 = tiny_model64.encode(golden["frames"].double(), windows_per_batch=64)
    assert_same_computation(one_by_one, all_at_once, fp64, "one window per batch vs all at once")


def test_single_clip_without_batch_dimension_equals_first_clip(golden, tiny_model, tiny_model64):
    first = tiny_model.encode(golden["frames"])[:1]
    fp64 = tiny_model64.encode(golden["frames"].double())[:1]
    assert_same_computation(tiny_model.encode(golden["frames"][0]), first, fp64, "clip without batch dimension")


def test_each_window_sees_16_frames_with_stride_8(golden, tiny_model, tiny_model64):
    frames = golden["frames"][:1]
    full = tiny_model.encode(frames)  # 24 frames → windows [0, 16) and [8, 24)
    second_window = tiny_model.encode(frames[:, 8:24])
    fp64 = tiny_model64.encode(frames.double())
    assert_same_computation(second_window, full[:, 8:], fp64[:, 8:], "second window alone")


@pytest.mark.parametrize("duration_s", [1.0, 4.5, 8.0, 10.0])
def test_token_count_equals_sequence_lengths_sync_len(duration_s, golden, tiny_model):
    lengths = sequence_lengths(duration_s, 44100)
    frames = torch.zeros(lengths.num_sync_frames, 3, 32, 32)
    calls = []
    out = tiny_model.encode(frames, windows_per_batch=16, progress=lambda d, t: calls.append((d, t)))
    assert out.shape == (1, lengths.sync_len, 32)
    assert calls[-1] == (lengths.sync_len // 8, lengths.sync_len // 8)


def test_loads_full_synchformer_checkpoint_ignoring_audio_branch(golden, tmp_path):
    weights = dict(golden["weights"])  # already prefixed: the reference Synchformer's state dict
    weights["afeat_extractor.blocks.0.attn.qkv.weight"] = torch.zeros(3, 3)
    weights["transformer.off_head.weight"] = torch.zeros(2, 2)
    weights["vproj.weight"] = torch.zeros(2, 2)
    weights["aproj.bias"] = torch.zeros(2)
    path = tmp_path / "synchformer_full.safetensors"
    save_file({k: v.half() for k, v in weights.items()}, str(path))
    model = load_synchformer(path, config=golden["config"], dtype=torch.float32)
    assert model.cls_token.dtype == torch.float32
    features = model.encode(golden["frames"])
    # the file holds fp16-rounded weights: compare with the model built from those same weights in memory
    rounded = {k: v.half().float() for k, v in golden["weights"].items()}
    expected = load_synchformer(rounded, config=golden["config"]).encode(golden["frames"])
    fp64 = load_synchformer(rounded, config=golden["config"], dtype=torch.float64).encode(golden["frames"].double())
    assert_same_computation(features, expected, fp64, "features from the full fp16 checkpoint")


def test_loads_pth_through_weights_only_and_bare_visual_state_dict(golden, tmp_path):
    path = tmp_path / "synchformer_state_dict.pth"
    torch.save(golden["weights"], path)
    from_pth = load_synchformer(path, config=golden["config"])
    bare = {k.removeprefix("vfeat_extractor."): v for k, v in golden["weights"].items()}
    from_bare = load_synchformer(bare, config=golden["config"])
    pth_state, bare_state = from_pth.state_dict(), from_bare.state_dict()
    assert pth_state.keys() == bare_state.keys()
    assert all(torch.equal(pth_state[k], bare_state[k]) for k in pth_state)
    # Equal weights can still round differently (kernels choose paths by memory alignment)
    fp64 = float64_twin(from_bare).encode(golden["frames"].double())
    assert_same_computation(from_pth.encode(golden["frames"]), from_bare.encode(golden["frames"]), fp64, "pth vs bare")


def test_unknown_extra_tensors_are_rejected(golden):
    weights = dict(golden["weights"])
    weights["some_other_model.weight"] = torch.zeros(1)
    with pytest.raises(UnsupportedCheckpointError, match="some_other_model.weight"):
        load_synchformer(weights, config=golden["config"])


def test_missing_or_misshaped_tensor_is_named_with_expected_shape(golden):
    weights = dict(golden["weights"])
    del weights["vfeat_extractor.blocks.1.mlp.fc2.bias"]
    with pytest.raises(UnsupportedCheckpointError, match=r"blocks\.1\.mlp\.fc2\.bias \(32,\)"):
        load_synchformer(weights, config=golden["config"])
    weights = dict(golden["weights"])
    weights["vfeat_extractor.temp_embed"] = torch.zeros(1, 4, 32)
    with pytest.raises(UnsupportedCheckpointError, match=r"temp_embed: file has \(1, 4, 32\), expected \(1, 8, 32\)"):
        load_synchformer(weights, config=golden["config"])


def test_tiny_checkpoint_does_not_fit_the_released_config_and_says_why(golden):
    with pytest.raises(UnsupportedCheckpointError, match="expected"):
        load_synchformer(golden["weights"], config=SynchformerConfig())  # released ViT-B/16 sizes


def test_configuration_is_read_from_shapes_with_heads_from_the_file_metadata(golden, tmp_path):
    path = tmp_path / "tiny.safetensors"
    heads = {"num_heads": golden["config"].num_heads}
    save_file({k: v.contiguous() for k, v in golden["weights"].items()}, str(path),
              metadata={"pavas_config": json.dumps(heads)})
    model = load_synchformer(path)
    assert model.config == golden["config"]
    features = encode_sync_frames(model, golden["frames"])
    fp64 = encode_sync_frames(float64_twin(model), golden["frames"].double())
    assert_matches_golden(features, golden["features"], fp64, "features of the model configured from the file")
    released = SynchformerVisual(SynchformerConfig())
    from pavas_core.models.synchformer import detect_synchformer_config

    assert detect_synchformer_config(released.state_dict()) == SynchformerConfig()  # heads = width / 64


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_half_precision_runs_close_to_fp32(golden, tiny_model, dtype):
    model = load_synchformer(golden["weights"], config=golden["config"], dtype=dtype)
    features = model.encode(golden["frames"])
    assert features.dtype == dtype
    assert_follows_fp32(features, tiny_model.encode(golden["frames"]), dtype, "Synchformer features")


def test_wrong_frame_size_or_too_few_frames_is_a_clear_error(tiny_model):
    with pytest.raises(BadInputError, match="windows must have shape"):
        tiny_model.encode(torch.zeros(16, 3, 48, 48))
    with pytest.raises(BadInputError, match="at least 16 frames"):
        tiny_model.encode(torch.zeros(15, 3, 32, 32))


def test_released_configuration_has_the_reference_tensor_layout():
    with torch.device("meta"):
        model = SynchformerVisual()
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert len(shapes) == 236  # 238 in the checkpoint minus the unused 2-D patch_embed.proj
    assert sum(v.numel() for v in model.state_dict().values()) == 122_440_704 - 768 * 3 * 16 * 16 - 768
    assert shapes["patch_embed_3d.proj.weight"] == (768, 3, 2, 16, 16)
    assert shapes["pos_embed"] == (1, 197, 768) and shapes["temp_embed"] == (1, 8, 768)
    assert shapes["spatial_attn_agg.self_attn.in_proj_weight"] == (2304, 768)
    assert shapes["blocks.11.timeattn.qkv.weight"] == (2304, 768)
