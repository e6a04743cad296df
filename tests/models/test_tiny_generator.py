"""PAVAS-tiny's modules: shapes and rates of every stream, the zero-initialised adapter, the
Griffin-Lim vocoder, checkpoint files."""

import math

import numpy as np
import pytest
import torch

from pavas_core.errors import UnsupportedCheckpointError
from pavas_core.models.mmaudio import random_state_dict
from pavas_core.models.mmaudio.sequence import sequence_lengths
from pavas_core.models.tiny_generator import TinyGenerator, TinyGeneratorConfig
from pavas_core.models.tiny_generator.checkpoint import load_tiny_generator, save_tiny_generator
from pavas_core.models.mel import slaney_mel_filters
from pavas_core.models.tiny_generator.mel_latent import TINY_MEL, GriffinLimVocoder, LogMelLatent
from pavas_core.models.tiny_generator.video_encoder import clip_frame_rows, sync_token_rows
from pavas_core.models.tiny_generator.window_inputs import TinyBatch

RATE = 16000


def tiny_batch(config: TinyGeneratorConfig, duration_s: float = 2.0, *, batch: int = 2, objects: int = 2,
               seed: int = 0, mass_kg: float = 1.0) -> tuple[TinyBatch, object]:
    lengths = sequence_lengths(duration_s, RATE)
    g = torch.Generator().manual_seed(seed)
    grid = config.grid_size
    count = config.physics_len(lengths)  # the CLIP length at the default 8 fps
    frames = torch.randint(0, 256, (batch, lengths.num_sync_frames, 3, config.frame_size_px, config.frame_size_px),
                           generator=g, dtype=torch.uint8)
    coverage = torch.zeros(batch, objects, count, grid, grid)
    coverage[:, :, :, 2:4, 3:5] = 1.0
    coverage[:, :, :3] = 0.0  # not visible in the first three CLIP frames
    return TinyBatch(frames=frames, coverage=coverage, visible=coverage.sum(dim=(3, 4)) > 0,
                     mass_kg=torch.full((batch, objects), mass_kg),
                     speed_mps=torch.rand(batch, objects, count, generator=g) * 5,
                     present=torch.ones(batch, objects, dtype=torch.bool),
                     latent=torch.randn(batch, lengths.latent_len, 20, generator=g) - 8), lengths


def randomised_network(model: TinyGenerator, seed: int = 1) -> TinyGenerator:
    """Every path of the DiT active (its own init zeroes the adaLN layers and the output)."""
    state = random_state_dict(model.network.config, seed=seed)
    model.network.load_state_dict(state)
    return model


def test_streams_have_the_lengths_and_widths_the_network_reads():
    config = TinyGeneratorConfig()
    model = TinyGenerator(config)
    batch, lengths = tiny_batch(config, 2.0)
    features = model.encode_video(batch, lengths)
    assert features.clip_f.shape == (2, lengths.clip_len, config.clip_dim) == (2, 16, 64)
    assert features.sync_f.shape == (2, lengths.sync_len, config.sync_dim) == (2, 40, 64)
    assert features.object_features.shape == (2, 2, 16, config.clip_dim)
    # not visible → zero object features (the adapter then uses its occlusion token)
    assert torch.count_nonzero(features.object_features[:, :, :3]) == 0
    assert torch.count_nonzero(features.object_features[:, :, 3:]) > 0
    # tubelets of 2 frames, windows of 16 frames with stride 8: window 1 starts at frame 8
    rows = sync_token_rows(lengths.sync_len)
    assert rows[0].tolist() == [0, 1] and rows[7].tolist() == [14, 15] and rows[8].tolist() == [8, 9]
    assert int(rows.max()) == lengths.num_sync_frames - 1
    # CLIP frame k shows at k/8 s: the 25-fps frame floor(25 k / 8)
    assert clip_frame_rows(4, 100).tolist() == [0, 3, 6, 9]
    # the latent: one 20-band frame per MMAudio token (512 samples at 16 kHz)
    wave = torch.randn(1, lengths.latent_len * 512) * 0.1
    assert LogMelLatent()(wave).shape == (1, lengths.latent_len, 20)
    loss = model.training_loss(batch, lengths, noise=torch.randn_like(batch.latent), t=torch.full((2,), 0.5),
                               drop_video=torch.zeros(2, dtype=torch.bool), drop_physics=torch.zeros(2, dtype=torch.bool))
    assert loss.dim() == 0 and math.isfinite(float(loss.detach()))


@pytest.mark.parametrize("physics,injection", [("c_mass", "delta"), ("c_vel", "delta"), ("both", "delta"),
                                               ("both", "summation"), ("c_mass", "summation")])
def test_a_fresh_adapter_reproduces_the_backbone_bit_for_bit(physics, injection):
    backbone = randomised_network(TinyGenerator(TinyGeneratorConfig(physics_conditions="none")))
    steered = TinyGenerator(TinyGeneratorConfig(physics_conditions=physics, injection=injection))
    steered.encoder.load_state_dict(backbone.encoder.state_dict())
    steered.network.load_state_dict(backbone.network.state_dict())
    batch, lengths = tiny_batch(steered.config, 2.0)
    x = torch.randn(2, lengths.latent_len, 20, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        plain = backbone.network.predict_flow(x, 0.3, backbone.conditions(backbone.encode_video(batch, lengths)))
        features = steered.encode_video(batch, lengths)
        delta = steered.physics_delta(steered.physics_codes(batch, features), lengths.latent_len)
        assert delta is not None and not delta.is_empty
        out = steered.network.predict_flow(x, 0.3, steered.conditions(features), delta)
    assert torch.equal(out, plain)
    assert torch.count_nonzero(plain) > 0


def test_each_ablation_branch_reads_only_its_own_physics():
    def response(physics: str, mass_kg: float, speed_scale: float) -> torch.Tensor:
        model = randomised_network(TinyGenerator(TinyGeneratorConfig(physics_conditions=physics)))
        for p in (model.adapter.mass_delta[-1], model.adapter.speed_delta[-1]):
            torch.nn.init.normal_(p.weight, std=0.1)
        batch, lengths = tiny_batch(model.config, 2.0, mass_kg=mass_kg)
        batch.speed_mps = batch.speed_mps * speed_scale
        with torch.no_grad():
            features = model.encode_video(batch, lengths)
            delta = model.physics_delta(model.physics_codes(batch, features), lengths.latent_len)
            return model.network.predict_flow(batch.latent, 0.5, model.conditions(features), delta)

    for physics, reads_mass, reads_speed in (("c_mass", True, False), ("c_vel", False, True), ("both", True, True)):
        torch.manual_seed(0)
        base = response(physics, 1.0, 1.0)
        torch.manual_seed(0)
        heavier = response(physics, 10.0, 1.0)
        torch.manual_seed(0)
        faster = response(physics, 1.0, 2.0)
        assert (not torch.equal(heavier, base)) == reads_mass, physics
        assert (not torch.equal(faster, base)) == reads_speed, physics


@pytest.mark.parametrize("frequency_hz", [440.0, 1000.0, 2500.0])
def test_griffin_lim_round_trip_keeps_the_pitch_of_a_tone(frequency_hz):
    t = torch.arange(2 * RATE) / RATE
    tone = (0.3 * torch.sin(2 * math.pi * frequency_hz * t)).unsqueeze(0)
    wave = GriffinLimVocoder()(LogMelLatent()(tone))[0]
    assert wave.shape[0] == 62 * 512
    middle = wave[4000:28000].double().numpy()
    spectrum = np.abs(np.fft.rfft(middle * np.hanning(middle.size)))
    peak_hz = np.fft.rfftfreq(middle.size, 1 / RATE)[int(np.argmax(spectrum))]
    # 20 bands: their centres are 140-360 Hz apart below 3 kHz; the peak comes back within a quarter
    # of that spacing (measured: 3 Hz off at 440 Hz, 0 at 1 kHz, 63 Hz at 2.5 kHz)
    centres = slaney_mel_filters(TINY_MEL).argmax(dim=1).double().numpy() * RATE / TINY_MEL.n_fft
    spacing = np.diff(centres)[np.searchsorted(centres, frequency_hz) - 1]
    assert abs(peak_hz - frequency_hz) < 0.25 * spacing
    # and it is a tone again, not noise: nearly all energy within ±20 % of the pitch (measured 0.98-0.996)
    freqs = np.fft.rfftfreq(middle.size, 1 / RATE)
    near = np.abs(freqs - frequency_hz) < 0.2 * frequency_hz
    assert (spectrum[near] ** 2).sum() > 0.9 * (spectrum ** 2).sum()


def test_griffin_lim_keeps_a_click_at_its_time():
    wave = torch.zeros(1, 2 * RATE)
    wave[0, RATE] = 0.9  # a click at 1.000 s
    out = GriffinLimVocoder()(LogMelLatent()(wave))[0].numpy()
    envelope = np.convolve(out ** 2, np.ones(256) / 256, mode="same")
    assert abs(np.argmax(envelope) / RATE - 1.0) < 0.02  # within 20 ms (a token is 32 ms)


def test_checkpoint_round_trip_is_exact_and_carries_its_config(tmp_path):
    config = TinyGeneratorConfig(physics_conditions="c_vel", injection="summation")
    model = randomised_network(TinyGenerator(config))
    model.set_latent_statistics(torch.linspace(-9, -5, 20), torch.linspace(1, 2, 20))
    path = tmp_path / "tiny.safetensors"
    save_tiny_generator(model, path, extra={"trained_steps": 7})
    loaded = load_tiny_generator(path)
    assert loaded.config == config
    original = model.state_dict()
    assert set(loaded.state_dict()) == set(original)
    assert all(torch.equal(loaded.state_dict()[k], original[k]) for k in original)
    other = tmp_path / "other.safetensors"
    from safetensors.torch import save_file

    save_file({"x": torch.zeros(1)}, str(other))
    with pytest.raises(UnsupportedCheckpointError, match="not a PAVAS-tiny checkpoint"):
        load_tiny_generator(other)


def test_mean_max_pooling_keeps_a_small_moving_object_that_the_mean_dilutes(tmp_path):
    """spatial_pooling "mean_max": the frame summary also takes the grid's maximum, so one hot cell
    (a small object moving) weighs as much as a whole moving picture would in the mean. The shipped
    "mean" encoder keeps its keys (old checkpoints load), and the option round-trips."""
    from pavas_core.errors import BadInputError

    assert TinyGeneratorConfig.from_json({}).spatial_pooling == "mean"
    assert "encoder.pool_proj.weight" not in TinyGenerator(TinyGeneratorConfig()).state_dict()
    with pytest.raises(BadInputError, match="spatial_pooling"):
        TinyGeneratorConfig(spatial_pooling="max")
    config = TinyGeneratorConfig(spatial_pooling="mean_max")
    model = TinyGenerator(config)
    encoder = model.encoder
    with torch.no_grad():  # the pooled summary itself: project [mean, max] → the max half alone
        encoder.pool_proj.weight.zero_()
        encoder.pool_proj.bias.zero_()
        width = config.encoder_width
        encoder.pool_proj.weight[:, width:] = torch.eye(width)
    batch, lengths = tiny_batch(config, 2.0)
    seen = {}
    hook = encoder.temporal.register_forward_hook(lambda mod, inputs, out: seen.setdefault("pooled", inputs[0]))
    model.encode_video(batch, lengths)
    hook.remove()
    # what the temporal convolution reads is the grid's maximum per frame, not its mean
    frames = batch.frames.float() / 255.0
    motion = torch.cat([torch.zeros_like(frames[:, :1]), frames[:, 1:] - frames[:, :-1]], dim=1)
    with torch.no_grad():
        maps = encoder.frame_net(torch.cat([frames, motion], dim=2).flatten(0, 1))
    peak = maps.amax(dim=(2, 3)).view(2, -1, width)
    assert torch.allclose(seen["pooled"].transpose(1, 2), peak, atol=1e-6)
    assert not torch.allclose(peak, maps.mean(dim=(2, 3)).view(2, -1, width), atol=1e-3)
    batch, lengths = tiny_batch(config, 2.0)
    assert model.encode_video(batch, lengths).sync_f.shape == (2, lengths.sync_len, config.sync_dim)
    path = tmp_path / "mean_max.safetensors"
    save_tiny_generator(model, path)
    assert load_tiny_generator(path).config.spatial_pooling == "mean_max"
