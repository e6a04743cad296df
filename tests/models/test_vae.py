import math
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from pavas_core.errors import BadInputError, UnsupportedCheckpointError
from pavas_core.models.vae import (
    LOG_MEL_MEAN_80,
    LOG_MEL_MEAN_128,
    LOG_MEL_STD_80,
    LOG_MEL_STD_128,
    VAE_16K,
    VAE_44K,
    VaeConfig,
    detect_vae_config,
    expected_vae_tensors,
    vae_from_state_dict,
)
from pavas_core.models.vae_layers import fold_mp_weight
from tolerances import assert_follows_fp32, assert_matches_golden, assert_same_computation

FIXTURES = Path(__file__).parents[1] / "fixtures" / "vae"


def _fixture(name):
    tensors = load_file(FIXTURES / f"{name}.safetensors")
    weights = {k.removeprefix("weights."): v for k, v in tensors.items() if k.startswith("weights.")}
    return weights, tensors


@pytest.mark.parametrize(
    "name, config",
    [
        ("tiny_16k", VaeConfig(mel_bins=80, latent_channels=20, hidden_channels=8)),
        ("tiny_44k", VaeConfig(mel_bins=128, latent_channels=40, hidden_channels=6)),
    ],
)
def test_decoder_and_encoder_match_mmaudio_golden(name, config):
    weights, golden = _fixture(name)
    vae = vae_from_state_dict(weights, with_encoder=True)
    assert vae.config == config
    vae64 = vae_from_state_dict(weights, with_encoder=True, dtype=torch.float64)  # sets the fp32 spread
    mel = vae.decode(golden["input.latent"])
    assert_matches_golden(mel, golden["output.mel"], vae64.decode(golden["input.latent"].double()), "decoded mel")
    posterior = vae.encode(golden["input.mel"])
    posterior64 = vae64.encode(golden["input.mel"].double())
    assert_matches_golden(posterior.mean, golden["output.posterior_mean"], posterior64.mean, "posterior mean")
    assert_matches_golden(posterior.logvar, golden["output.posterior_logvar"], posterior64.logvar, "posterior logvar")


def test_encoder_tensors_are_ignored_unless_asked_for():
    weights, golden = _fixture("tiny_16k")
    decoder_only = vae_from_state_dict(weights)  # the file holds encoder.* too
    assert decoder_only.encoder is None
    assert torch.equal(
        decoder_only.decode(golden["input.latent"]),
        vae_from_state_dict(weights, with_encoder=True).decode(golden["input.latent"]),
    )
    with pytest.raises(BadInputError, match="without its encoder"):
        decoder_only.encode(golden["input.mel"])


def test_file_without_encoder_loads_decoder_but_refuses_encoder_request():
    weights, _ = _fixture("tiny_44k")
    stripped = {k: v for k, v in weights.items() if not k.startswith("encoder.")}
    assert vae_from_state_dict(stripped).config.mel_bins == 128
    with pytest.raises(UnsupportedCheckpointError, match="no encoder"):
        vae_from_state_dict(stripped, with_encoder=True)


def test_checkpoint_mel_statistics_take_precedence_over_published_tables():
    weights, golden = _fixture("tiny_16k")
    latent = golden["input.latent"]
    base = vae_from_state_dict(weights).decode(latent)
    base64 = vae_from_state_dict(weights, dtype=torch.float64).decode(latent.double())
    shifted = dict(weights, data_mean=weights["data_mean"] + 1.0, data_std=weights["data_std"] * 2.0)
    out = vae_from_state_dict(shifted).decode(latent)
    mean = weights["data_mean"]
    # decoder output is h·std + mean, so doubling std and adding 1 to mean maps base → 2·base − mean + 1
    # (std is folded into the last conv's weights, so the two sides round differently)
    expected, expected64 = 2 * base - mean + 1.0, 2 * base64 - mean.double() + 1.0
    assert_same_computation(out, expected, expected64, "decoded with the file's own statistics")
    without = {k: v for k, v in weights.items() if k not in ("data_mean", "data_std")}
    from_tables = vae_from_state_dict(without).decode(latent)
    assert_same_computation(from_tables, base, base64, "decoded with the published tables")


def test_published_tables_are_the_released_statistics():
    weights_16, _ = _fixture("tiny_16k")  # fixtures carry the reference's buffers
    weights_44, _ = _fixture("tiny_44k")
    assert torch.allclose(weights_16["data_mean"].flatten(), torch.tensor(LOG_MEL_MEAN_80))
    assert torch.allclose(weights_16["data_std"].flatten(), torch.tensor(LOG_MEL_STD_80))
    assert torch.allclose(weights_44["data_mean"].flatten(), torch.tensor(LOG_MEL_MEAN_128))
    assert torch.allclose(weights_44["data_std"].flatten(), torch.tensor(LOG_MEL_STD_128))


def test_forced_weight_normalisation_matches_edm2_formula_and_ignores_scale():
    raw = torch.randn(6, 4, 3, generator=torch.Generator().manual_seed(0))
    fan_in = 12

    def formula(raw):
        return raw / (1e-4 + raw.flatten(1).norm(dim=1).view(-1, 1, 1) / math.sqrt(fan_in)) / math.sqrt(fan_in)

    assert_same_computation(fold_mp_weight(raw), formula(raw), formula(raw.double()), "folded weight")
    # Rows have unit norm after folding up to ε = 1e-4 in the denominator: a row of RMS r gets norm
    # r / (ε + r) = 1 − ε/r + ..., within 1e-3 for every r > 0.1 (these rows: r ≈ 1).
    assert torch.allclose(fold_mp_weight(raw).flatten(1).norm(dim=1), torch.ones(6), atol=1e-3)
    # So scaling the raw weight changes nothing but the ε term: ×5 moves each folded weight w by
    # (4/5)·ε/r·|w| ≈ 6e-5 here (|w| ≤ 0.7); fp32 rounding is 1000× smaller.
    assert torch.allclose(fold_mp_weight(5 * raw), fold_mp_weight(raw), atol=1e-4)


def test_released_sizes_are_detected_from_shapes():
    for config in (VAE_16K, VAE_44K):
        shapes = expected_vae_tensors(config, with_encoder=False)
        fake = {k: torch.empty(s, device="meta") for k, s in shapes.items()}
        assert detect_vae_config(fake) == config


def test_decoding_doubles_the_time_axis_and_stays_finite():
    weights, _ = _fixture("tiny_44k")
    vae = vae_from_state_dict(weights)
    for tokens in (1, 2, 5):
        mel = vae.decode(torch.randn(1, 40, tokens))
        assert mel.shape == (1, 128, 2 * tokens) and torch.isfinite(mel).all()


def test_missing_extra_and_misshaped_tensors_are_named_with_expected_shape():
    weights, _ = _fixture("tiny_16k")
    missing = {k: v for k, v in weights.items() if k != "decoder.mid.attn_1.qkv.weight"}
    with pytest.raises(
        UnsupportedCheckpointError, match=r"missing tensors: decoder\.mid\.attn_1\.qkv\.weight \(96, 32, 1\)"
    ):
        vae_from_state_dict(missing)
    extra = dict(weights, **{"decoder.extra.weight": torch.zeros(3)})
    with pytest.raises(UnsupportedCheckpointError, match=r"unexpected tensors: decoder\.extra\.weight"):
        vae_from_state_dict(extra)
    bad = dict(weights, **{"decoder.up.1.block.0.conv2.weight": torch.zeros(16, 16, 5)})
    with pytest.raises(
        UnsupportedCheckpointError,
        match=r"decoder\.up\.1\.block\.0\.conv2\.weight: file has \(16, 16, 5\), expected \(16, 16, 3\)",
    ):
        vae_from_state_dict(bad)
    with pytest.raises(UnsupportedCheckpointError, match="not an MMAudio VAE"):
        vae_from_state_dict({"conv_pre.weight": torch.zeros(4, 80, 7)})


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_half_precision_decoding_follows_fp32(dtype):
    weights, golden = _fixture("tiny_16k")
    fp32 = vae_from_state_dict(weights).decode(golden["input.latent"])
    mel = vae_from_state_dict(weights, dtype=dtype).decode(golden["input.latent"].to(dtype))
    assert mel.dtype == dtype
    assert_follows_fp32(mel, fp32, dtype, "decoded mel")
