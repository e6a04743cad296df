"""MMAudio network behaviour beyond the golden outputs: Δ-modulation hook, lengths, conditions, inputs."""

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from pavas_core.errors import BadInputError
from pavas_core.models.mmaudio import AdaLNDelta, Conditions, load_mmaudio_network, sequence_lengths
from tolerances import assert_same_computation, float64_twin

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mmaudio"



@pytest.fixture(scope="module")
def net():
    return load_mmaudio_network(FIXTURES / "tiny_v2_weights.safetensors")


@pytest.fixture(scope="module")
def io():
    return load_file(str(FIXTURES / "tiny_v2_io.safetensors"))


@pytest.fixture(scope="module")
def conditions(net, io):
    return net.preprocess_conditions(io["clip_f"], io["sync_f"], io["text_f"])


def features(net, batch: int, duration_s: float, seed: int = 0):
    lengths = sequence_lengths(duration_s, net.sample_rate_hz)
    g = torch.Generator().manual_seed(seed)
    cfg = net.config
    return (
        torch.randn(batch, lengths.latent_len, cfg.latent_dim, generator=g),
        torch.rand(batch, generator=g),
        0.03 * torch.randn(batch, lengths.clip_len, cfg.clip_dim, generator=g),
        torch.randn(batch, lengths.sync_len, cfg.sync_dim, generator=g),
        0.03 * torch.randn(batch, cfg.text_len, cfg.text_dim, generator=g),
    )


def test_adaln_hook_names_and_shapes_cover_every_block(net):
    shapes = net.adaln_shapes(2, 87)
    dim = net.config.hidden_dim
    assert list(shapes) == net.adaln_names
    assert list(shapes) == [
        "joint_blocks.0.latent_block",
        "joint_blocks.0.clip_block",
        "joint_blocks.0.text_block",
        "joint_blocks.1.latent_block",
        "joint_blocks.1.clip_block",
        "joint_blocks.1.text_block",
        "fused_blocks.0",
        "final_layer",
    ]
    assert shapes["joint_blocks.0.latent_block"] == (2, 87, 6 * dim)
    assert shapes["fused_blocks.0"] == (2, 87, 6 * dim)
    assert shapes["joint_blocks.0.clip_block"] == (2, 1, 6 * dim)
    # the last joint block's CLIP/text streams are pre-only: shift and scale
    assert shapes["joint_blocks.1.text_block"] == (2, 1, 2 * dim)
    assert shapes["final_layer"] == (2, 1, 2 * dim)


def test_zero_delta_on_every_block_reproduces_the_backbone_exactly(net, io, conditions):
    zeros = AdaLNDelta({name: torch.zeros(shape) for name, shape in net.adaln_shapes(2, 87).items()})
    with torch.inference_mode():
        backbone = net.predict_flow(io["latent"], io["t"], conditions)
        with_zero_delta = net.predict_flow(io["latent"], io["t"], conditions, zeros)
    assert torch.equal(backbone, with_zero_delta)


@pytest.mark.parametrize(
    "name",
    [
        "joint_blocks.0.latent_block",
        "joint_blocks.0.clip_block",
        "joint_blocks.1.text_block",
        "fused_blocks.0",
        "final_layer",
    ],
)
def test_nonzero_delta_on_any_block_changes_the_velocity(net, io, conditions, name):
    shape = net.adaln_shapes(2, 87)[name]
    residual = 0.1 * torch.randn(shape, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        backbone = net.predict_flow(io["latent"], io["t"], conditions)
        modulated = net.predict_flow(io["latent"], io["t"], conditions, AdaLNDelta({name: residual}))
    assert (modulated - backbone).abs().max() > 1e-3


def test_per_token_delta_acts_on_its_own_tokens_first(net, io, conditions):
    """A residual on one audio token of the last block changes the output around that token most
    (attention spreads a little of it everywhere; the convolutions reach ±4 tokens)."""
    residual = torch.zeros(net.adaln_shapes(2, 87)["fused_blocks.0"])
    residual[:, 40] = 0.5
    with torch.inference_mode():
        backbone = net.predict_flow(io["latent"], io["t"], conditions)
        modulated = net.predict_flow(io["latent"], io["t"], conditions, AdaLNDelta({"fused_blocks.0": residual}))
    change = (modulated - backbone).abs().amax(dim=(0, 2))
    assert 36 <= int(change.argmax()) <= 44
    assert change[36:45].max() > 5 * change.median()


def test_delta_is_differentiable_through_the_frozen_network(net, io, conditions):
    residual = torch.zeros(2, 1, 6 * net.config.hidden_dim, requires_grad=True)
    out = net.predict_flow(io["latent"], io["t"], conditions, AdaLNDelta({"joint_blocks.0.latent_block": residual}))
    out.square().mean().backward()
    assert residual.grad is not None and residual.grad.abs().max() > 0


def test_bad_delta_names_and_shapes_are_reported(net, io, conditions):
    with pytest.raises(BadInputError, match="unknown block 'joint_blocks.9.latent_block'"):
        net.predict_flow(io["latent"], io["t"], conditions, AdaLNDelta({"joint_blocks.9.latent_block": torch.zeros(1)}))
    with pytest.raises(BadInputError, match=r"final_layer.*does not broadcast to the modulation \(2, 87\|1, 64\)"):
        net.predict_flow(io["latent"], io["t"], conditions, AdaLNDelta({"final_layer": torch.zeros(2, 87, 64 + 1)}))


def test_deltas_of_two_branches_stack_with_zeros_for_a_missing_one(net):
    shapes = net.adaln_shapes(1, 87)
    cond = AdaLNDelta({"final_layer": torch.ones(2, 1, 64)})
    stacked = AdaLNDelta.concat([(cond, 2), (None, 2)], shapes)
    assert stacked.residuals["final_layer"].shape == (4, 1, 64)
    assert stacked.residuals["final_layer"][:2].eq(1).all() and stacked.residuals["final_layer"][2:].eq(0).all()
    assert AdaLNDelta.concat([(None, 2), (None, 2)], shapes) is None


@pytest.mark.parametrize("duration_s", [1.0, 5.3, 8.0, 10.0])
def test_sequence_lengths_follow_the_inputs(net, duration_s):
    latent, t, clip_f, sync_f, text_f = features(net, 1, duration_s)
    with torch.inference_mode():
        velocity = net.velocity(latent, t, clip_f, sync_f, text_f)
    assert velocity.shape == latent.shape and torch.isfinite(velocity).all()


def test_duration_changes_the_clip_rope_alignment(net):
    """Same CLIP/sync/text features with a longer latent stretch CLIP positions: outputs differ."""
    latent, t, clip_f, sync_f, text_f = features(net, 1, 2.0)
    longer = torch.cat([latent, latent[:, :5]], dim=1)
    with torch.inference_mode():
        short = net.velocity(latent, t, clip_f, sync_f, text_f)
        long = net.velocity(longer, t, clip_f, sync_f, text_f)
    assert (long[:, :10] - short[:, :10]).abs().max() > 1e-4


def test_samples_in_a_batch_are_independent(net, io):
    inputs = [io[k][1:] for k in ("latent", "t", "clip_f", "sync_f", "text_f")]
    with torch.inference_mode():
        both = net.velocity(io["latent"], io["t"], io["clip_f"], io["sync_f"], io["text_f"])
        second = net.velocity(*inputs)
        second64 = float64_twin(net).velocity(*(x.double() for x in inputs))
    assert_same_computation(both[1:], second, second64, "second sample of a batch of two vs alone")


def test_stacked_conditions_share_one_latent(net, io, conditions):
    empty = net.get_empty_conditions(2, clip_len=16, sync_len=40)
    net64 = float64_twin(net)
    with torch.inference_mode():
        stacked = net.predict_flow(io["latent"], io["t"], Conditions.concat([conditions, empty]))
        separate = torch.cat(
            [net.predict_flow(io["latent"], io["t"], conditions), net.predict_flow(io["latent"], io["t"], empty)]
        )
        latent64 = io["latent"].double()
        conditions64 = net64.preprocess_conditions(io["clip_f"].double(), io["sync_f"].double(), io["text_f"].double())
        empty64 = net64.get_empty_conditions(2, clip_len=16, sync_len=40)
        separate64 = torch.cat(
            [net64.predict_flow(latent64, io["t"], conditions64), net64.predict_flow(latent64, io["t"], empty64)]
        )
    assert_same_computation(stacked, separate, separate64, "conditional and empty branches stacked vs separate")


def test_empty_conditions_are_the_learned_empty_features(net):
    empty = net.get_empty_conditions(3, clip_len=16, sync_len=40)
    explicit = net.preprocess_conditions(
        net.empty_clip_feat.expand(16, -1)[None],
        net.empty_sync_feat.expand(40, -1)[None],
        net.empty_string_feat[None],
    )
    assert empty.batch_size == 3 and (empty.clip_len, empty.sync_len) == (16, 40)
    torch.testing.assert_close(empty.global_cond, explicit.global_cond.expand(3, -1), atol=0, rtol=0)
    default = net.get_empty_conditions(1)
    assert (default.clip_len, default.sync_len) == (64, 192)  # the trained 8-s clip


def test_negative_text_replaces_the_empty_string(net, io):
    negative = net.get_empty_conditions(2, io["negative_text_f"], clip_len=16, sync_len=40)
    plain = net.get_empty_conditions(2, clip_len=16, sync_len=40)
    assert negative.text_tokens.shape == plain.text_tokens.shape
    assert not torch.allclose(negative.text_tokens, plain.text_tokens)
    torch.testing.assert_close(negative.clip_tokens, plain.clip_tokens)


def test_normalize_and_unnormalize_use_the_checkpoint_statistics(net):
    x = torch.randn(2, 5, net.latent_dim)
    torch.testing.assert_close(net.unnormalize(net.normalize(x)), x)
    torch.testing.assert_close(net.unnormalize(torch.zeros(1, 1, net.latent_dim)), net.latent_mean)


def test_bad_feature_shapes_are_reported(net):
    latent, t, clip_f, sync_f, text_f = features(net, 1, 2.0)
    with pytest.raises(BadInputError, match="not a multiple of 8"):
        net.preprocess_conditions(clip_f, sync_f[:, :-3], text_f)
    with pytest.raises(BadInputError, match="different batch sizes"):
        net.preprocess_conditions(clip_f.expand(2, -1, -1), sync_f, text_f)
    with pytest.raises(BadInputError, match=r"clip_f must be \(B, L, 32\)"):
        net.preprocess_conditions(clip_f[..., :8], sync_f, text_f)
    with pytest.raises(BadInputError, match="77 tokens"):
        net.preprocess_conditions(clip_f, sync_f, text_f[:, :10])
    with pytest.raises(BadInputError, match=r"latent must be \(B, N, 40\)"):
        net.velocity(latent[..., :20], t, clip_f, sync_f, text_f)
