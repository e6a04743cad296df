from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import load_file

from pavas_core.errors import UnsupportedCheckpointError
from pavas_core.models.alias_free import AntiAliasedSnake, bigvgan_resample_filter
from pavas_core.models.bigvgan import (
    LEGACY_WEIGHT_NORM,
    PLAIN_WEIGHTS,
    BigVganConfig,
    bigvgan_from_state_dict,
    detect_bigvgan_config,
    expected_bigvgan_tensors,
    fold_weight_norm,
)
from tolerances import assert_matches_golden, assert_same_computation, float64_twin

FIXTURES = Path(__file__).parents[1] / "fixtures" / "bigvgan"


def _fixture(name):
    tensors = load_file(FIXTURES / f"{name}.safetensors")
    weights = {k.removeprefix("weights."): v for k, v in tensors.items() if k.startswith("weights.")}
    return weights, tensors["input.mel"], tensors["output.waveform"]


@pytest.mark.parametrize("name", ["tiny_v1", "tiny_v2"])
def test_matches_mmaudio_bigvgan_golden(name):
    weights, mel, expected = _fixture(name)
    wave = bigvgan_from_state_dict(weights)(mel)
    fp64 = bigvgan_from_state_dict(weights, dtype=torch.float64)(mel.double())
    assert_matches_golden(wave, expected, fp64, f"{name} waveform")


def test_configuration_is_read_from_shapes():
    v1 = detect_bigvgan_config(_fixture("tiny_v1")[0])  # weight_g / weight_v spelling
    assert v1.num_mels == 80 and v1.upsample_initial_channel == 24
    assert v1.upsample_rates == (4, 2, 2) and v1.resblock_kernel_sizes == (3, 7, 11)
    assert v1.activation == "snakebeta" and v1.use_bias_at_final and v1.use_tanh_at_final
    assert v1.sample_rate_hz is None  # a hop of 16 is neither MMAudio front-end
    v2 = detect_bigvgan_config(_fixture("tiny_v2")[0])  # parametrizations spelling
    assert v2.num_mels == 128 and v2.upsample_rates == (8, 2, 2)
    assert not v2.use_bias_at_final and not v2.use_tanh_at_final


def _released(num_mels, rates, bias):
    return BigVganConfig(
        num_mels=num_mels,
        upsample_initial_channel=1536,
        upsample_rates=rates,
        upsample_kernel_sizes=tuple(2 * u for u in rates),
        resblock_kernel_sizes=(3, 7, 11),
        resblock_dilation_sizes=((1, 3, 5),) * 3,
        activation="snakebeta",
        snake_logscale=True,
        use_bias_at_final=bias,
        use_tanh_at_final=bias,
        sample_rate_hz=16000 if num_mels == 80 else 44100,
    )


@pytest.mark.parametrize("config", [_released(80, (4, 4, 2, 2, 2, 2), True), _released(128, (8, 4, 2, 2, 2, 2), False)])
def test_released_vocoders_are_recognised_without_config_file(config):
    fake = {k: torch.empty(s, device="meta") for k, s in expected_bigvgan_tensors(config).items()}
    assert detect_bigvgan_config(fake) == config
    assert config.hop_length == (256 if config.num_mels == 80 else 512)


def test_sample_rate_is_only_inferred_for_mmaudios_two_vocoders():
    config = _released(80, (4, 4, 2, 2, 2, 2), False)  # 80 bins, hop 256, but no final bias: not the 16 kHz one
    fake = {k: torch.empty(s, device="meta") for k, s in expected_bigvgan_tensors(config).items()}
    assert detect_bigvgan_config(fake).sample_rate_hz is None
    assert detect_bigvgan_config(fake, {"sampling_rate": 22050}).sample_rate_hz == 22050


def test_config_file_values_complete_and_must_agree_with_shapes():
    weights, _, _ = _fixture("tiny_v1")
    config = detect_bigvgan_config(weights, {"sampling_rate": 16000, "upsample_rates": [4, 2, 2]})
    assert config.sample_rate_hz == 16000
    with pytest.raises(UnsupportedCheckpointError, match="num_mels = 128 but the weights have 80"):
        detect_bigvgan_config(weights, {"num_mels": 128})
    with pytest.raises(UnsupportedCheckpointError, match="upsample rates"):
        detect_bigvgan_config(weights, {"upsample_rates": [3, 2, 2]})


def test_weight_norm_folding_equals_torch_weight_norm():
    torch.manual_seed(0)
    for layer in (torch.nn.Conv1d(5, 7, 3), torch.nn.ConvTranspose1d(6, 3, 4, 2)):
        normed = torch.nn.utils.parametrizations.weight_norm(layer)
        with torch.no_grad():
            normed.parametrizations.weight.original0.uniform_(0.5, 2.0)
        g = normed.parametrizations.weight.original0
        v = normed.parametrizations.weight.original1
        expected64 = float64_twin(normed).weight  # torch's own weight norm, in fp64
        assert_same_computation(fold_weight_norm(g, v), normed.weight, expected64, "folded weight")


def test_plain_weight_checkpoint_gives_the_same_waveform():
    weights, mel, expected = _fixture("tiny_v1")
    plain = {}
    for k, v in weights.items():
        if k.endswith("weight_g"):
            plain[k.replace("weight_g", "weight")] = fold_weight_norm(v, weights[k.replace("weight_g", "weight_v")])
        elif not k.endswith("weight_v"):
            plain[k] = v
    fp64 = bigvgan_from_state_dict(plain, dtype=torch.float64)(mel.double())
    assert_matches_golden(bigvgan_from_state_dict(plain)(mel), expected, fp64, "waveform from plain weights")


def _interleaved_reference(x, alpha, inv_beta):
    """Upsample x2 → snake → downsample x2 written the direct way (interleaved signal), in x's dtype."""
    channels = x.shape[1]
    f = torch.tensor(bigvgan_resample_filter(), dtype=x.dtype).view(1, 1, 12).expand(channels, 1, 12)
    up = 2 * F.conv_transpose1d(F.pad(x, (5, 5), mode="replicate"), f, stride=2, groups=channels)[..., 15:-15]
    y = up + inv_beta.view(1, -1, 1) * torch.sin(alpha.view(1, -1, 1) * up) ** 2
    return F.conv1d(F.pad(y, (5, 6), mode="replicate"), f, stride=2, groups=channels)


@pytest.mark.parametrize("length", [1, 2, 3, 4, 6, 7, 20])
def test_polyphase_activation_equals_direct_resampling_including_edges(length):
    generator = torch.Generator().manual_seed(length)
    act = AntiAliasedSnake(4)
    act.alpha.copy_(0.5 + torch.rand(4, generator=generator))
    act.inv_beta.copy_(0.5 + torch.rand(4, generator=generator))
    x = 3 * torch.randn(2, 4, length, generator=generator)
    expected = _interleaved_reference(x, act.alpha, act.inv_beta)
    expected64 = _interleaved_reference(x.double(), act.alpha.double(), act.inv_beta.double())
    assert_same_computation(act(x), expected, expected64, "polyphase vs direct resampling")


def test_resampling_filter_is_a_unit_gain_symmetric_lowpass():
    f = torch.tensor(bigvgan_resample_filter())
    assert f.shape == (12,) and torch.allclose(f.sum(), torch.tensor(1.0, dtype=f.dtype))
    assert torch.allclose(f, f.flip(0))
    assert f.argmax() in (5, 6)


def test_missing_and_misshaped_tensors_are_named_with_expected_shape():
    weights, _, _ = _fixture("tiny_v2")
    key = "resblocks.4.convs2.1.bias"
    with pytest.raises(UnsupportedCheckpointError, match=rf"missing tensors: {key} \(6,\)"):
        bigvgan_from_state_dict({k: v for k, v in weights.items() if k != key})
    key = "resblocks.0.activations.3.act.beta"
    with pytest.raises(UnsupportedCheckpointError, match=rf"{key}: file has \(11,\), expected \(12,\)"):
        bigvgan_from_state_dict(dict(weights, **{key: torch.zeros(11)}))
    key = "resblocks.0.activations.3.upsample.filter"
    with pytest.raises(UnsupportedCheckpointError, match="Kaiser-sinc"):
        bigvgan_from_state_dict(dict(weights, **{key: torch.ones(1, 1, 12)}))
    with pytest.raises(UnsupportedCheckpointError, match="not a BigVGAN generator"):
        bigvgan_from_state_dict({"decoder.conv_in.weight": torch.zeros(4, 20, 3)})


def _random_state_dict(config, seed=0):
    generator = torch.Generator().manual_seed(seed)
    out = {}
    for k, shape in expected_bigvgan_tensors(config, LEGACY_WEIGHT_NORM).items():
        t = torch.randn(shape, generator=generator)
        out[k] = 0.5 + 0.5 * t.abs() if k.endswith("weight_g") else 0.2 * t
    return out


def test_output_has_hop_samples_per_frame_with_released_upsampling():
    config = BigVganConfig(
        num_mels=80,
        upsample_initial_channel=64,
        upsample_rates=(4, 4, 2, 2, 2, 2),
        upsample_kernel_sizes=(8, 8, 4, 4, 4, 4),
        resblock_kernel_sizes=(3, 7, 11),
        resblock_dilation_sizes=((1, 3, 5),) * 3,
        activation="snakebeta",
        snake_logscale=True,
        use_bias_at_final=True,
        use_tanh_at_final=True,
        sample_rate_hz=16000,
    )
    vocoder = bigvgan_from_state_dict(_random_state_dict(config))
    assert vocoder.sample_rate_hz == 16000 and vocoder.hop_length == 256
    for frames in (1, 3):
        wave = vocoder(torch.randn(1, 80, frames) - 3)
        assert wave.shape == (1, 1, 256 * frames)
        assert torch.isfinite(wave).all() and wave.abs().max() <= 1


def test_plain_snake_activation_is_supported():
    weights, mel, _ = _fixture("tiny_v1")
    snake = {k: v for k, v in weights.items() if not k.endswith("act.beta")}
    vocoder = bigvgan_from_state_dict(snake)
    assert vocoder.config.activation == "snake"
    assert torch.isfinite(vocoder(mel)).all()
    assert PLAIN_WEIGHTS.folded and not LEGACY_WEIGHT_NORM.folded
