"""Loading MMAudio checkpoints: variant detection from shapes, strict errors, dtypes, file formats."""

import math
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from pavas_core.errors import UnsupportedCheckpointError
from pavas_core.models.mmaudio import (
    VARIANTS,
    detect_mmaudio_config,
    expected_shapes,
    load_mmaudio_network,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mmaudio"
TINY_V1 = FIXTURES / "tiny_v1_weights.safetensors"
TINY_V1_IO = FIXTURES / "tiny_v1_io.safetensors"

# parameter counts and state-dict sizes of MMAudio's own networks (instantiated from its code)
PUBLISHED = {
    "small_16k": (157_283_644, 251),
    "small_44k": (157_409_144, 251),
    "medium_44k": (621_805_944, 251),
    "large_44k": (1_030_002_168, 416),
    "large_44k_v2": (1_030_575_608, 416),
}



def meta_state_dict(variant: str) -> dict[str, torch.Tensor]:
    """A released variant's state dict as shapes only (nothing allocated)."""
    return {k: torch.empty(shape, device="meta") for k, shape in expected_shapes(VARIANTS[variant]).items()}


@pytest.fixture(scope="module")
def tiny_weights() -> dict[str, torch.Tensor]:
    return load_file(str(TINY_V1))


@pytest.fixture(scope="module")
def tiny_io() -> dict[str, torch.Tensor]:
    return load_file(str(TINY_V1_IO))


def velocity(net, io):
    with torch.inference_mode():
        return net.velocity(io["latent"], io["t"], io["clip_f"], io["sync_f"], io["text_f"]).float()


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_released_variant_is_recognised_from_shapes_alone(variant):
    config = detect_mmaudio_config(meta_state_dict(variant))
    assert config == VARIANTS[variant]


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_variant_shapes_have_mmaudios_parameter_counts(variant):
    shapes = expected_shapes(VARIANTS[variant])
    assert (sum(math.prod(s) for s in shapes.values()), len(shapes)) == PUBLISHED[variant]


def test_v1_and_v2_large_differ_only_in_timestep_width_and_projection_layout():
    v1, v2 = meta_state_dict("large_44k"), meta_state_dict("large_44k_v2")
    assert v1["t_embed.mlp.0.weight"].shape == (896, 256) and v2["t_embed.mlp.0.weight"].shape == (896, 896)
    assert "clip_input_proj.1.w1.weight" in v1 and "clip_input_proj.2.w1.weight" in v2
    assert "text_input_proj.1.w1.weight" in v1 and "text_input_proj.2.w1.weight" in v2


def test_sample_rate_follows_latent_channels():
    assert [VARIANTS[v].sample_rate_hz for v in ("small_16k", "small_44k", "large_44k_v2")] == [16000, 44100, 44100]


def test_mixed_v1_v2_layout_is_rejected():
    state_dict = meta_state_dict("large_44k_v2")
    state_dict["t_embed.mlp.0.weight"] = torch.empty(896, 256, device="meta")
    with pytest.raises(UnsupportedCheckpointError, match=r"t_embed\.mlp\.0\.weight.*expected 896"):
        detect_mmaudio_config(state_dict)


def test_missing_tensor_is_named_with_its_expected_shape():
    state_dict = meta_state_dict("small_16k")
    del state_dict["fused_blocks.7.attn.qkv.weight"]
    with pytest.raises(UnsupportedCheckpointError, match=r"missing.*fused_blocks\.7\.attn\.qkv\.weight \(1344, 448\)"):
        detect_mmaudio_config(state_dict)


def test_missing_key_tensor_says_it_is_not_an_mmaudio_checkpoint():
    state_dict = meta_state_dict("small_16k")
    del state_dict["audio_input_proj.0.weight"]
    with pytest.raises(UnsupportedCheckpointError, match=r"not an MMAudio.*audio_input_proj\.0\.weight"):
        detect_mmaudio_config(state_dict)
    with pytest.raises(UnsupportedCheckpointError, match="not an MMAudio"):
        detect_mmaudio_config({"weight": torch.empty(3, 3, device="meta")})


def test_extra_tensor_is_named():
    state_dict = meta_state_dict("medium_44k")
    state_dict["fused_blocks.3.extra.weight"] = torch.empty(7, device="meta")
    with pytest.raises(UnsupportedCheckpointError, match=r"unexpected.*fused_blocks\.3\.extra\.weight \(7,\)"):
        detect_mmaudio_config(state_dict)


def test_misshaped_tensor_is_named_with_file_and_expected_shape():
    state_dict = meta_state_dict("large_44k_v2")
    state_dict["final_layer.conv.weight"] = torch.empty(20, 896, 7, device="meta")
    with pytest.raises(
        UnsupportedCheckpointError, match=r"final_layer\.conv\.weight: file has \(20, 896, 7\), expected \(40, 896, 7\)"
    ):
        detect_mmaudio_config(state_dict)


def test_non_persistent_buffers_in_a_file_are_ignored(tiny_weights, tiny_io):
    with_buffers = dict(tiny_weights)
    with_buffers["latent_rot"] = torch.zeros(1, 63, 8, 2, 2)
    with_buffers["clip_rot"] = torch.zeros(1, 16, 8, 2, 2)
    with_buffers["t_embed.freqs"] = torch.zeros(128)
    reference = velocity(load_mmaudio_network(tiny_weights), tiny_io)
    assert torch.equal(velocity(load_mmaudio_network(with_buffers), tiny_io), reference)


def test_loaded_network_is_frozen_in_eval_mode_on_the_requested_device(tiny_weights):
    net = load_mmaudio_network(tiny_weights, device="cpu")
    assert not net.training and not any(p.requires_grad for p in net.parameters())
    assert net.device == torch.device("cpu") and net.dtype == torch.float32


@pytest.mark.parametrize("dtype, tolerance", [(torch.float16, 0.02), (torch.bfloat16, 0.1)])
def test_half_precision_networks_track_float32(tiny_weights, tiny_io, dtype, tolerance):
    reference = velocity(load_mmaudio_network(tiny_weights), tiny_io)
    net = load_mmaudio_network(tiny_weights, dtype=dtype)
    assert all(p.dtype == dtype for p in net.parameters())
    result = velocity(net, tiny_io)
    relative = ((result - reference).norm() / reference.norm()).item()
    assert relative < tolerance


def test_unsupported_dtype_is_refused(tiny_weights):
    with pytest.raises(ValueError, match="float32, float16 or bfloat16"):
        load_mmaudio_network(tiny_weights, dtype=torch.float64)


def test_safetensors_and_pth_files_round_trip(tmp_path, tiny_weights, tiny_io):
    reference = velocity(load_mmaudio_network(tiny_weights), tiny_io)
    net = load_mmaudio_network(TINY_V1)
    saved = {k: v.contiguous() for k, v in net.state_dict().items()}
    save_file(saved, tmp_path / "net.safetensors")
    torch.save(saved, tmp_path / "net.pth")
    for path in (tmp_path / "net.safetensors", tmp_path / "net.pth"):
        assert torch.equal(velocity(load_mmaudio_network(path), tiny_io), reference)


def test_pickle_needing_code_is_refused(tmp_path):
    path = tmp_path / "evil.pth"
    torch.save({"weights": torch.zeros(1), "config": Path("x")}, path)
    with pytest.raises(UnsupportedCheckpointError, match="evil.pth"):
        load_mmaudio_network(path)
