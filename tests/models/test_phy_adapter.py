"""The Phy-Adapter: object features under masks, FiLM structure in time, Δ-modulation, files."""

import numpy as np
import pytest
import torch

from pavas_core.errors import UnsupportedCheckpointError
from pavas_core.models.mmaudio import load_mmaudio_network
from pavas_core.models.mmaudio.sequence import latent_frame_index, latent_token_times_s, sequence_lengths
from pavas_core.models.phy_adapter import (PhyAdapter, PhysicsBatch, fresh_adapter, load_adapter, save_adapter)
from pavas_core.models.physics_inputs import PhysicsInputs, collate, coverage_weights
from pavas_core.models.tiny_models import tiny_network_config, tiny_state_dicts


def randomised(adapter: PhyAdapter, seed: int = 0) -> PhyAdapter:
    """A copy whose zero-initialised layers hold random values (as after training)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in adapter.parameters():
            p.add_(0.2 * torch.randn(p.shape, generator=generator))
    return adapter


def physics_batch(num_frames: int, *, speed=None, mass=(0.5, 3.0), objects: int = 2, width: int = 32, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    speed = torch.full((1, objects, num_frames), 1.5) if speed is None else speed
    return PhysicsBatch(object_features=torch.randn(1, objects, num_frames, width, generator=g),
                        visible=torch.ones(1, objects, num_frames, dtype=torch.bool),
                        mass_kg=torch.tensor([mass[:objects]]), speed_mps=speed,
                        present=torch.ones(1, objects, dtype=torch.bool))


def per_token(delta, name: str, latent_len: int) -> torch.Tensor:
    residual = delta.residuals[name]
    return residual.index_select(1, delta.token_index) if residual.shape[1] > 1 else residual.expand(-1, latent_len, -1)


def test_latent_tokens_take_the_frame_on_screen_at_their_centre():
    index = latent_frame_index(250, 64, 16000)  # 8 s at 16 kHz: 31.25 tokens/s, 8 frames/s
    times = latent_token_times_s(250, 16000)
    assert times[0] == pytest.approx(0.016) and times[-1] == pytest.approx(7.984)
    assert index.tolist() == np.floor(times * 8).astype(int).tolist()
    assert index[0] == 0 and index[-1] == 63
    # more tokens than frames cover: the last frame is held
    assert latent_frame_index(345, 10, 44100)[-1] == 9


@pytest.mark.parametrize("rate", [16000, 44100])
def test_mass_modulation_is_the_same_at_every_token_and_speed_follows_each_frame(rate):
    adapter = randomised(fresh_adapter(tiny_network_config(rate), seed=1))
    lengths = sequence_lengths(2.0, rate)
    frames, tokens = lengths.clip_len, lengths.latent_len
    base = physics_batch(frames)
    with torch.no_grad():
        ref = adapter(base, latent_len=tokens, sample_rate_hz=rate)
        heavier = adapter(physics_batch(frames, mass=(5.0, 3.0)), latent_len=tokens, sample_rate_hz=rate)
        step_frame = 9
        speed = base.speed_mps.clone()
        speed[0, 0, step_frame:] = 6.0
        faster = adapter(physics_batch(frames, speed=speed), latent_len=tokens, sample_rate_hz=rate)
    token_frames = np.floor(latent_token_times_s(tokens, rate) * 8).astype(int)
    after = torch.from_numpy(token_frames >= step_frame)
    for name in ("joint_blocks.0.latent_block", "fused_blocks.0", "final_layer"):
        mass_change = per_token(heavier, name, tokens) - per_token(ref, name, tokens)
        assert mass_change.abs().max() > 1e-3
        # the mass enters through one FiLM for all frames: the same change at every audio token
        torch.testing.assert_close(mass_change, mass_change[:, :1].expand_as(mass_change), rtol=0, atol=1e-6)
        speed_change = (per_token(faster, name, tokens) - per_token(ref, name, tokens)).abs().amax(dim=(0, 2))
        assert speed_change[~after].max() == 0  # tokens before the step do not move at all
        assert speed_change[after].min() > 1e-4  # every token after it does
    # the speed branch alone holds no mass: a heavier object leaves it unchanged
    with torch.no_grad():
        codes_a = adapter.encode(base)
        codes_b = adapter.encode(physics_batch(frames, mass=(5.0, 3.0)))
        _, speed_a = adapter.branch_residuals(codes_a)
        _, speed_b = adapter.branch_residuals(codes_b)
    assert torch.equal(speed_a["fused_blocks.0"], speed_b["fused_blocks.0"])


def test_fresh_adapter_delta_is_exactly_zero_and_the_network_output_is_unchanged():
    sd = tiny_state_dicts(16000)["model"]
    net = load_mmaudio_network(sd)
    adapter = fresh_adapter(net.config)
    lengths = sequence_lengths(2.0, 16000)
    delta = adapter(physics_batch(lengths.clip_len), latent_len=lengths.latent_len, sample_rate_hz=16000)
    assert all(torch.count_nonzero(r) == 0 for r in delta.residuals.values())
    g = torch.Generator().manual_seed(0)
    cond = net.preprocess_conditions(torch.randn(1, lengths.clip_len, 32, generator=g),
                                     torch.randn(1, lengths.sync_len, 64, generator=g), net.empty_string_feat[None])
    latent = torch.randn(1, lengths.latent_len, 20, generator=g)
    with torch.no_grad():
        assert torch.equal(net.predict_flow(latent, 0.3, cond), net.predict_flow(latent, 0.3, cond, delta))


def test_after_one_optimizer_step_the_output_depends_on_mass_and_on_speed():
    """Zero-initialised g gives no gradient to mass or speed; one AdamW step on a batch makes both non-zero."""
    from pavas_core.train.loop import TrainConfig, TrainModule, draw_sample

    net = load_mmaudio_network(tiny_state_dicts(16000)["model"])
    adapter = fresh_adapter(net.config).train()
    lengths = sequence_lengths(2.0, 16000)
    g = torch.Generator().manual_seed(3)
    samples = [{"clip_f": torch.randn(lengths.clip_len, 32, generator=g),
                "sync_f": torch.randn(lengths.sync_len, 64, generator=g),
                "object_features": torch.randn(1, lengths.clip_len, 32, generator=g),
                "visible": torch.ones(1, lengths.clip_len, dtype=torch.bool),
                "mass_kg": torch.tensor([0.2 + 2.0 * i]), "speed_mps": torch.rand(1, lengths.clip_len, generator=g) * 4,
                "latent_mean": torch.randn(lengths.latent_len, 20, generator=g),
                "latent_std": torch.full((lengths.latent_len, 20), 0.1)} for i in range(2)]
    config = TrainConfig(physics_dropout=0.0, cfg_dropout=0.0)
    draws = [draw_sample(0, 1, i, (lengths.latent_len, 20), config) for i in range(2)]
    module = TrainModule(net, adapter)

    def output_gradients():
        batch = physics_batch(lengths.clip_len, objects=1)
        batch.mass_kg = batch.mass_kg.clone().requires_grad_(True)
        batch.speed_mps = batch.speed_mps.clone().requires_grad_(True)
        cond = net.preprocess_conditions(samples[0]["clip_f"][None], samples[0]["sync_f"][None],
                                         net.empty_string_feat[None])
        delta = adapter(batch, latent_len=lengths.latent_len, sample_rate_hz=16000)
        out = net.predict_flow(samples[0]["latent_mean"][None], 0.5, cond, delta)
        mass_grad, speed_grad = torch.autograd.grad(out.square().sum(), [batch.mass_kg, batch.speed_mps],
                                                    allow_unused=True)
        return [torch.zeros(1) if x is None else x for x in (mass_grad, speed_grad)]

    before = output_gradients()
    assert all(grad.abs().max() == 0 for grad in before)
    optimizer = torch.optim.AdamW(adapter.parameters(), lr=1e-3)
    module(samples, draws).backward()
    optimizer.step()
    mass_grad, speed_grad = output_gradients()
    assert mass_grad.abs().max() > 0 and speed_grad.abs().max() > 0


def test_summation_injection_starts_as_the_backbone_and_then_acts_per_frame():
    adapter = fresh_adapter(tiny_network_config(16000), injection="summation")
    lengths = sequence_lengths(2.0, 16000)
    delta = adapter(physics_batch(lengths.clip_len), latent_len=lengths.latent_len, sample_rate_hz=16000)
    assert not delta.residuals and torch.count_nonzero(delta.condition) == 0
    randomised(adapter)
    speed = torch.full((1, 2, lengths.clip_len), 1.5)
    speed[..., 4:] = 5.0
    with torch.no_grad():
        a = adapter(physics_batch(lengths.clip_len), latent_len=lengths.latent_len, sample_rate_hz=16000)
        b = adapter(physics_batch(lengths.clip_len, speed=speed), latent_len=lengths.latent_len, sample_rate_hz=16000)
    change = (b.token_condition - a.token_condition).abs().amax(dim=(0, 2))
    assert change[4:].min() > 0 and change[:4].max() > 0  # the mean over frames moved: every frame's remainder did


def test_coverage_weights_are_the_share_of_each_patch_the_mask_covers():
    mask = np.zeros((64, 64), dtype=bool)
    mask[:, :32] = True  # the left half
    weights = coverage_weights(mask, (4, 4), 1.0)
    np.testing.assert_array_equal(weights, np.tile([1.0, 1.0, 0.0, 0.0], (4, 1)))
    quarter = np.zeros((64, 64), dtype=bool)
    quarter[:8, :8] = True  # half of the first patch in each direction
    np.testing.assert_allclose(coverage_weights(quarter, (4, 4), 1.0)[0, 0], 0.25)
    # a single pixel between the samples still counts, in the patch that holds it
    dot = np.zeros((64, 64), dtype=bool)
    dot[40, 50] = True
    weights = coverage_weights(dot, (4, 4), 1.0)
    assert weights[2, 3] == 1.0 and weights.sum() == 1.0
    # the grid covers only the top-left 378/384: a mask in the last 6-px strip is not seen
    strip = np.zeros((384, 384), dtype=bool)
    strip[:, 380:] = True
    assert coverage_weights(strip, (27, 27), 378 / 384).sum() == 0


def test_object_features_pool_the_patch_tokens_under_the_mask(tmp_path):
    from pavas_core.models.clip_encoder import ClipEncoder
    from pavas_core.models.tiny_models import write_tiny_model_set

    encoder = ClipEncoder.from_file(write_tiny_model_set(tmp_path)["clip"])
    frames = torch.randn(3, 3, 56, 56, generator=torch.Generator().manual_seed(0))
    weights = torch.zeros(2, 3, 4, 4)
    weights[0, :, 1, 2] = 1.0  # object 0: one patch
    weights[1, :, :2, :] = 0.5  # object 1: the top half, evenly
    frame_features, objects = encoder.encode_objects(frames, weights, frames_per_batch=2)
    # batches of 2 and of 3 frames may take different fp32 kernels: float32 rounding, nothing more
    torch.testing.assert_close(frame_features, encoder.encode_frames(frames)[0], rtol=1e-5, atol=1e-6)
    visual = encoder.model.visual
    visual.output_tokens = True
    try:
        _, tokens = visual(frames)  # (3, 16, width)
    finally:
        visual.output_tokens = False
    torch.testing.assert_close(objects[0], tokens[:, 6] @ visual.proj)
    torch.testing.assert_close(objects[1], tokens[:, :8].mean(1) @ visual.proj)


def test_window_takes_the_frames_on_screen_and_collate_pads_objects():
    inputs = PhysicsInputs(object_features=torch.arange(10.0).view(1, 10, 1).expand(1, 10, 3),
                           visible=torch.ones(1, 10, dtype=torch.bool), mass_kg=torch.tensor([2.0]),
                           speed_mps=torch.arange(10.0).view(1, 10), object_ids=[0])
    window = inputs.window(0.3, 6)  # frames on screen at 0.3 + j/8 s: 2, 3, ..., 7
    assert window.speed_mps[0].tolist() == [2, 3, 4, 5, 6, 7]
    assert inputs.window(1.0, 4).speed_mps[0].tolist() == [8, 9, 9, 9]  # held past the end
    empty = PhysicsInputs(torch.zeros(0, 6, 3), torch.zeros(0, 6, dtype=torch.bool), torch.zeros(0),
                          torch.zeros(0, 6), [])
    batch = collate([window, empty])
    assert batch.present.tolist() == [[True], [False]]
    assert batch.object_features.shape == (2, 1, 6, 3)


def test_adapter_files_round_trip_and_refuse_another_network(tmp_path):
    adapter = randomised(fresh_adapter(tiny_network_config(16000)))
    adapter.set_statistics(log_mass_mean=0.3, log_mass_std=0.7, speed_mean_mps=1.1, speed_std_mps=2.2)
    path = tmp_path / "a.safetensors"
    save_adapter(adapter, path)
    loaded = load_adapter(path, network_config=tiny_network_config(16000))
    assert loaded.statistics() == pytest.approx(adapter.statistics())
    for (name, p), (_, q) in zip(adapter.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(p, q), name
    with pytest.raises(UnsupportedCheckpointError, match="made for an MMAudio network of width 32"):
        from pavas_core.models.mmaudio.config import VARIANTS

        load_adapter(path, network_config=VARIANTS["small_16k"])
    with pytest.raises(UnsupportedCheckpointError, match="not a Phy-Adapter file"):
        from safetensors.torch import save_file

        save_file({"x": torch.zeros(1)}, str(tmp_path / "other.safetensors"))
        load_adapter(tmp_path / "other.safetensors")
