"""Euler flow-matching sampler with classifier-free guidance."""

from pathlib import Path

import pytest
import torch

from pavas_core.errors import BadInputError, Cancelled
from pavas_core.models.flow_matching import initial_noise, sample, time_grid
from pavas_core.models.mmaudio import AdaLNDelta, Conditions, load_mmaudio_network
from tolerances import fp32_rounding_bound

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mmaudio"



class ConstantFlowNet:
    """Velocity = the first C channels of the global condition, plus t: an exactly integrable field.

    Records the batch size of the conditions of every call.
    """

    latent_dim = 3
    dtype = torch.float32
    device = torch.device("cpu")

    def __init__(self) -> None:
        self.condition_batches: list[int] = []

    def predict_flow(self, latent, t, conditions, adaln_delta=None):
        self.condition_batches.append(conditions.batch_size)
        repeats = conditions.batch_size // latent.shape[0]
        shift = conditions.global_cond[:, None, : self.latent_dim]
        if adaln_delta is not None:
            shift = shift + adaln_delta.residuals["final_layer"][..., : self.latent_dim]
        return shift + torch.as_tensor(t) + 0 * latent.repeat(repeats, 1, 1)

    def adaln_shapes(self, batch_size, latent_len):
        return {"final_layer": (batch_size, 1, 8)}


def constant_conditions(value: float, batch: int = 2) -> Conditions:
    return Conditions(
        clip_tokens=torch.zeros(batch, 4, 8),
        sync_tokens=torch.zeros(batch, 8, 8),
        text_tokens=torch.zeros(batch, 77, 8),
        global_cond=torch.full((batch, 8), value),
    )


def left_end_time_integral(steps: int) -> float:
    """Σ t_i · Δt over the grid: what explicit Euler gives for velocity = t."""
    times = time_grid(steps)
    return float(sum(times[i] * (times[i + 1] - times[i]) for i in range(steps)))


def test_time_grid_runs_from_noise_to_data():
    assert torch.equal(time_grid(4), torch.tensor([0.0, 0.25, 0.5, 0.75, 1.0]))


def test_euler_with_guidance_integrates_the_guided_velocity_exactly():
    net = ConstantFlowNet()
    noise = torch.randn(2, 5, 3)
    steps, strength = 10, 4.5
    result = sample(
        net, constant_conditions(1.0), constant_conditions(-2.0), noise=noise, num_steps=steps, cfg_strength=strength
    )
    guided_shift = strength * 1.0 + (1 - strength) * -2.0
    expected = noise + guided_shift + left_end_time_integral(steps)
    # fp32 roundings: per step the velocity (1), the guided mix (3), × Δt (1), the update (1); 2 in `expected`
    atol = fp32_rounding_bound(6 * steps + 2, expected.abs().max().item())
    torch.testing.assert_close(result, expected, atol=atol, rtol=0)
    # velocity at the left end: Σ t_i Δt = (1 − 1/steps) / 2, not 1/2
    assert left_end_time_integral(steps) == pytest.approx(0.45)


def test_both_branches_run_in_one_batched_call_per_step():
    net = ConstantFlowNet()
    sample(net, constant_conditions(1.0), constant_conditions(0.0), latent_len=7, seed=0, num_steps=6)
    assert net.condition_batches == [4] * 6


def test_guidance_below_one_skips_the_unconditional_branch():
    net = ConstantFlowNet()
    noise = torch.zeros(2, 5, 3)
    result = sample(net, constant_conditions(1.0), None, noise=noise, num_steps=4, cfg_strength=0.5)
    assert net.condition_batches == [2] * 4
    expected = noise + 1.0 + left_end_time_integral(4)
    # fp32 roundings: per step the velocity, × Δt and the update (3); 2 in `expected`
    atol = fp32_rounding_bound(3 * 4 + 2, expected.abs().max().item())
    torch.testing.assert_close(result, expected, atol=atol, rtol=0)


def test_delta_applies_to_its_branch_only():
    net = ConstantFlowNet()
    noise = torch.zeros(2, 5, 3)
    delta = AdaLNDelta({"final_layer": torch.ones(2, 1, 8)})
    base = sample(net, constant_conditions(1.0), constant_conditions(0.0), noise=noise, num_steps=2)
    with_cond_delta = sample(
        net, constant_conditions(1.0), constant_conditions(0.0), noise=noise, num_steps=2, adaln_delta=delta
    )
    with_uncond_delta = sample(
        net, constant_conditions(1.0), constant_conditions(0.0), noise=noise, num_steps=2, empty_adaln_delta=delta
    )
    torch.testing.assert_close(with_cond_delta - base, torch.full_like(base, 4.5))
    torch.testing.assert_close(with_uncond_delta - base, torch.full_like(base, -3.5))


def test_same_seed_same_noise_and_generator_equivalent_to_seed():
    a = initial_noise(2, 9, 3, seed=5)
    assert torch.equal(a, initial_noise(2, 9, 3, seed=5))
    assert torch.equal(a, initial_noise(2, 9, 3, generator=torch.Generator().manual_seed(5)))
    assert not torch.equal(a, initial_noise(2, 9, 3, seed=6))


def test_missing_arguments_are_reported():
    net = ConstantFlowNet()
    with pytest.raises(BadInputError, match="empty_conditions"):
        sample(net, constant_conditions(1.0), None, latent_len=4, seed=0)
    with pytest.raises(BadInputError, match="exactly one of seed= or generator="):
        sample(net, constant_conditions(1.0), constant_conditions(0.0), latent_len=4)
    with pytest.raises(BadInputError, match="latent_len"):
        sample(net, constant_conditions(1.0), constant_conditions(0.0), seed=0)


@pytest.fixture(scope="module", params=["v1", "v2"])
def tiny_net(request):
    return load_mmaudio_network(FIXTURES / f"tiny_{request.param}_weights.safetensors")


def test_25_step_guided_sampling_gives_finite_latents_of_the_requested_length(tiny_net):
    """At the real 8-s sequence lengths: 250 tokens at 16 kHz, 345 at 44.1 kHz."""
    lengths = tiny_net.config.sequence_lengths(8.0)
    assert lengths.latent_len == {16000: 250, 44100: 345}[tiny_net.sample_rate_hz]
    g = torch.Generator().manual_seed(0)
    cfg = tiny_net.config
    conditions = tiny_net.preprocess_conditions(
        0.03 * torch.randn(1, lengths.clip_len, cfg.clip_dim, generator=g),
        torch.randn(1, lengths.sync_len, cfg.sync_dim, generator=g),
        0.03 * torch.randn(1, cfg.text_len, cfg.text_dim, generator=g),
    )
    empty = tiny_net.get_empty_conditions(1, clip_len=lengths.clip_len, sync_len=lengths.sync_len)
    calls = []
    latent = sample(
        tiny_net, conditions, empty, latent_len=lengths.latent_len, seed=42, progress=lambda *a: calls.append(a)
    )
    assert latent.shape == (1, lengths.latent_len, cfg.latent_dim) and latent.dtype == torch.float32
    assert torch.isfinite(latent).all() and latent.std() > 0.1
    assert calls == [(step, 25) for step in range(1, 26)]


def test_progress_callback_returning_false_cancels_after_that_step():
    net = ConstantFlowNet()
    calls = []

    def stop_at_three(done, total):
        calls.append(done)
        return done < 3

    with pytest.raises(Cancelled):
        sample(net, constant_conditions(1.0), constant_conditions(0.0), latent_len=4, seed=0, progress=stop_at_three)
    assert calls == [1, 2, 3] and len(net.condition_batches) == 3


def test_exception_from_the_progress_callback_propagates():
    class Interrupted(Exception):
        pass

    def interrupt(done, total):
        raise Interrupted

    net = ConstantFlowNet()
    with pytest.raises(Interrupted):
        sample(net, constant_conditions(1.0), constant_conditions(0.0), latent_len=4, seed=0, progress=interrupt)
    assert len(net.condition_batches) == 1


def test_zero_deltas_through_the_sampler_reproduce_the_backbone(tiny_net):
    lengths = tiny_net.config.sequence_lengths(1.0)
    cfg = tiny_net.config
    g = torch.Generator().manual_seed(1)
    conditions = tiny_net.preprocess_conditions(
        0.03 * torch.randn(2, lengths.clip_len, cfg.clip_dim, generator=g),
        torch.randn(2, lengths.sync_len, cfg.sync_dim, generator=g),
        0.03 * torch.randn(2, cfg.text_len, cfg.text_dim, generator=g),
    )
    empty = tiny_net.get_empty_conditions(2, clip_len=lengths.clip_len, sync_len=lengths.sync_len)
    shapes = tiny_net.adaln_shapes(1, lengths.latent_len)
    zeros = AdaLNDelta({name: torch.zeros(shape) for name, shape in shapes.items()})
    common = dict(latent_len=lengths.latent_len, seed=3, num_steps=3)
    backbone = sample(tiny_net, conditions, empty, **common)
    with_zeros = sample(tiny_net, conditions, empty, adaln_delta=zeros, empty_adaln_delta=zeros, **common)
    assert torch.equal(with_zeros, backbone)
    pushed = AdaLNDelta({"final_layer": torch.full((1, 1, 2 * cfg.hidden_dim), 0.2)})
    assert (sample(tiny_net, conditions, empty, adaln_delta=pushed, **common) - backbone).abs().max() > 1e-3
