"""PAVAS-tiny's physics rate (`physics_fps` 8 or 25) and the speed-change input of the Phy-Adapter:
the physics reaches the audio tokens at the frame it happens, and an impact (a sudden change of
speed) is visible to the speed branch."""

import numpy as np
import pytest
import torch

from pavas_core.errors import BadInputError
from pavas_core.models.mmaudio.sequence import sequence_lengths
from pavas_core.models.phy_adapter import PhyAdapter, PhyAdapterConfig, PhysicsBatch
from pavas_core.models.tiny_generator import TinyGenerator, TinyGeneratorConfig
from pavas_core.models.tiny_generator.checkpoint import load_tiny_generator, save_tiny_generator
from pavas_core.models.tiny_generator.window_inputs import object_inputs
from pavas_core.physics.tracks import Geometry, ObjectTrack, PhysicsTracks

from .test_tiny_generator import RATE, randomised_network, tiny_batch


def test_defaults_are_the_papers_clip_rate_and_old_configs_read_as_such():
    config = TinyGeneratorConfig.from_json({})
    assert (config.physics_fps, config.speed_change) == (8, False)
    adapter = config.adapter_config()
    assert (adapter.frame_rate_hz, adapter.speed_change) == (8.0, False)
    assert PhyAdapterConfig.from_json({**adapter.to_json(), "frame_rate_hz": 25.0}).frame_rate_hz == 25.0
    old = {k: v for k, v in adapter.to_json().items() if k not in ("frame_rate_hz", "speed_change")}
    assert PhyAdapterConfig.from_json(old) == adapter


@pytest.mark.parametrize("bad", [{"physics_fps": 10}, {"physics_fps": True}, {"speed_change": "yes"}])
def test_bad_rate_options_are_refused(bad):
    with pytest.raises(BadInputError, match=next(iter(bad))):
        TinyGeneratorConfig(**bad)


@pytest.mark.parametrize("rate", [0, -8, 1000, float("nan")])
def test_adapter_refuses_a_frame_rate_out_of_range(rate):
    config = TinyGeneratorConfig().adapter_config()
    with pytest.raises(BadInputError, match="frame_rate_hz"):
        PhyAdapterConfig(**{**config.to_json(), "frame_rate_hz": rate})


@pytest.mark.parametrize("fps,expected", [(8, 16), (25, 50)])
def test_physics_len_counts_the_frames_of_the_window(fps, expected):
    assert TinyGeneratorConfig(physics_fps=fps).physics_len(sequence_lengths(2.0, RATE)) == expected


def _tracks(fps: float, speeds: list[float]) -> PhysicsTracks:
    n = len(speeds)
    obj = ObjectTrack(id=0, name="ball", action="bouncing", mass_kg=1.0, mass_source="prior", speed_mps=speeds,
                      centroid_m=[[0, 0, 1]] * n, box_xyxy_px=[[8.0, 8.0, 24.0, 24.0]] * n)
    return PhysicsTracks(fps=fps, num_frames=n, width=64, height=64, objects=[obj],
                         geometry=Geometry(backend="pinhole", metric_scale_source="gravity"))


def test_object_inputs_sample_the_speed_at_the_physics_rate():
    """A clip at 30 fps whose speed steps from 4 to 1 m/s at frame 30 (t = 1 s): at 25 fps physics frame
    k shows t = k/25, so frames 0–24 read 4 m/s and 25 on read 1; at 8 fps the step is at frame 8."""
    speeds = [4.0] * 30 + [1.0] * 30
    tracks = _tracks(30.0, speeds)
    _, visible, _, speed25, _ = object_inputs(tracks, 0.0, 50, 8, 25)
    assert speed25.shape == (1, 50) and bool(visible.all())
    assert speed25[0, :25].eq(4.0).all() and speed25[0, 25:].eq(1.0).all()
    _, _, _, speed8, _ = object_inputs(tracks, 0.0, 16, 8)
    assert speed8[0, :8].eq(4.0).all() and speed8[0, 8:].eq(1.0).all()
    # a window starting at 0.5 s: its physics frame 12 is t = 0.98 s, frame 13 is t = 1.02 s
    _, _, _, late, _ = object_inputs(tracks, 0.5, 25, 8, 25)
    assert late[0, 12] == 4.0 and late[0, 13] == 1.0


def test_object_features_at_25_fps_come_from_the_frame_on_screen():
    """Physics frame k at 25 fps is encoder frame k: changing frame 20's pixels changes the object
    features of frames 20 and 21 (the encoder also reads each frame's difference to the previous one)
    and no other; at 8 fps, CLIP frame k reads encoder frame ⌊25 k / 8⌋ (frame 25 is CLIP frame 8)."""
    for fps, frame, changed in ((25, 20, [20, 21]), (8, 25, [8])):
        config = TinyGeneratorConfig(physics_fps=fps)
        model = TinyGenerator(config)
        batch, lengths = tiny_batch(config, 2.0, batch=1, objects=1)
        before = model.encode_video(batch, lengths).object_features
        assert before.shape == (1, 1, config.physics_len(lengths), config.clip_dim)
        batch.frames[:, frame] = 255 - batch.frames[:, frame]
        after = model.encode_video(batch, lengths).object_features
        moved = torch.nonzero((after - before).abs().amax(dim=-1)[0, 0] > 1e-6).flatten().tolist()
        assert moved == changed, (fps, moved)


def _speed_batch(speeds: list[list[float]]) -> PhysicsBatch:
    b, t = len(speeds), len(speeds[0])
    g = torch.Generator().manual_seed(0)
    return PhysicsBatch(object_features=torch.randn(1, 1, t, 64, generator=g).expand(b, 1, t, 64),
                        visible=torch.ones(b, 1, t, dtype=torch.bool), mass_kg=torch.ones(b, 1),
                        speed_mps=torch.tensor(speeds).view(b, 1, t), present=torch.ones(b, 1, dtype=torch.bool))


@pytest.mark.parametrize("speed_change", [False, True])
def test_speed_change_lets_c_vel_see_the_previous_frame(speed_change):
    """Two clips with the same speed at frame 2 but different speeds just before it: without the
    speed-change input c_vel at frame 2 is the same (a per-frame function of the speed); with it,
    the impact (a drop from 6 to 2 m/s) gives another code than a steady 2 m/s."""
    config = TinyGeneratorConfig(physics_fps=25, speed_change=speed_change).adapter_config()
    torch.manual_seed(0)
    adapter = PhyAdapter(config)
    codes = adapter.encode(_speed_batch([[2.0, 2.0, 2.0, 2.0], [6.0, 6.0, 2.0, 2.0]]))
    steady, impact = codes.c_vel[0], codes.c_vel[1]
    differs = (steady[2] - impact[2]).abs().max().item() > 1e-4
    assert differs == speed_change
    # frame 3 follows frame 2 at the same speed in both clips: same code either way
    assert torch.allclose(steady[3], impact[3], atol=1e-6)


def test_c_vel_reaches_the_audio_tokens_of_its_own_frame_at_25_fps():
    """The per-token residual of audio token n is that of the 25-fps frame on screen at its time: a
    speed change confined to frames 25–26 (1.00–1.08 s) moves only the tokens centred in them."""
    config = TinyGeneratorConfig(physics_fps=25, speed_change=True)
    model = randomised_network(TinyGenerator(config))
    torch.manual_seed(1)
    for p in model.adapter.speed_delta[-1].parameters():  # a trained, non-zero speed branch
        torch.nn.init.normal_(p, std=0.1)
    lengths = sequence_lengths(2.0, RATE)
    base = [2.0] * 50
    bumped = list(base)
    bumped[25] = bumped[26] = 5.0
    codes = model.adapter.encode(_speed_batch([base, bumped]))
    delta = model.physics_delta(codes, lengths.latent_len)
    name = "joint_blocks.0.latent_block"
    per_token = delta.residuals[name][:, delta.token_index]  # (2, N, w)
    moved = torch.nonzero((per_token[0] - per_token[1]).abs().amax(-1) > 1e-6).flatten()
    times = (moved.double() + 0.5) * 512 / RATE
    # tokens centred from 1.00 s up to 1.12 s (frame 27 is where the speed change back to 2 m/s shows)
    assert moved.numel() > 0 and times.min() >= 1.0 - 1e-9 and times.max() < 28 / 25


def test_a_25_fps_checkpoint_round_trips_and_generates(tmp_path):
    config = TinyGeneratorConfig(physics_fps=25, speed_change=True)
    model = randomised_network(TinyGenerator(config))
    path = tmp_path / "fps25.safetensors"
    save_tiny_generator(model, path)
    loaded = load_tiny_generator(path)
    assert (loaded.config.physics_fps, loaded.config.speed_change) == (25, True)
    original = model.state_dict()
    assert all(torch.equal(loaded.state_dict()[k], original[k]) for k in original)
    batch, lengths = tiny_batch(config, 2.0, batch=1)
    assert batch.speed_mps.shape[-1] == 50
    a = model.generate_latent(batch, lengths, seed=3, num_steps=2)
    b = loaded.generate_latent(batch, lengths, seed=3, num_steps=2)
    # same weights; fp32 kernels may order sums differently for the loaded copy's memory layout
    assert torch.allclose(a, b, atol=1e-3) and bool(torch.isfinite(a).all())


def test_the_note_names_the_physics_rate_of_a_checkpoint(tmp_path):
    from pavas_core.models.tiny_generator.checkpoint import describe_checkpoint

    for config, words in ((TinyGeneratorConfig(), "PAVAS-tiny both-delta, 0 training steps"),
                          (TinyGeneratorConfig(physics_fps=25, speed_change=True),
                           "PAVAS-tiny both-delta (physics at 25 fps, with speed change), 0 training steps"),
                          (TinyGeneratorConfig(physics_fps=25, physics_conditions="none"),
                           "PAVAS-tiny backbone, 0 training steps")):
        path = tmp_path / "m.safetensors"
        save_tiny_generator(TinyGenerator(config), path, extra={"trained_steps": 0})
        assert describe_checkpoint(path) == words


def test_the_mmaudio_path_refuses_an_adapter_made_for_another_physics_rate(tmp_path):
    """Adapter files steer MMAudio, whose physics comes at 8 fps: a 25-fps adapter would map its frames
    to the wrong audio tokens, so it is refused in words; the same adapter at 8 fps loads."""
    from pavas_core.errors import UnsupportedCheckpointError
    from pavas_core.models.phy_adapter import load_adapter, save_adapter

    for rate in (25.0, 8.0):
        config = TinyGeneratorConfig().adapter_config()
        adapter = PhyAdapter(PhyAdapterConfig(**{**config.to_json(), "frame_rate_hz": rate, "speed_change": True}))
        path = tmp_path / f"adapter_{rate:g}.safetensors"
        save_adapter(adapter, path)
        if rate == 8.0:
            assert load_adapter(path).config.speed_change is True
        else:
            with pytest.raises(UnsupportedCheckpointError, match="reads the physics at 25 fps"):
                load_adapter(path)
