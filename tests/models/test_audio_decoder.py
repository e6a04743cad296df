import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from pavas_core.errors import BadInputError, UnsupportedCheckpointError
from pavas_core.models.audio_decoder import AudioDecoder, load_audio_decoder, load_vae, load_vocoder
from pavas_core.models.bigvgan import LEGACY_WEIGHT_NORM, BigVganConfig, expected_bigvgan_tensors
from pavas_core.models.vae import vae_from_state_dict
from tolerances import assert_follows_fp32, assert_same_computation

FIXTURES = Path(__file__).parents[1] / "fixtures"



def _weights(path):
    return {k.removeprefix("weights."): v for k, v in load_file(path).items() if k.startswith("weights.")}


def _vocoder_weights(*, num_mels, rates, bias, seed=0):
    """Random BigVGAN generator with the released upsampling (hop 256 or 512) and few channels."""
    config = BigVganConfig(
        num_mels=num_mels,
        upsample_initial_channel=64,
        upsample_rates=rates,
        upsample_kernel_sizes=tuple(2 * u for u in rates),
        resblock_kernel_sizes=(3, 7),
        resblock_dilation_sizes=((1, 3, 5),) * 2,
        activation="snakebeta",
        snake_logscale=True,
        use_bias_at_final=bias,
        use_tanh_at_final=bias,
        sample_rate_hz=None,
    )
    generator = torch.Generator().manual_seed(seed)
    out = {}
    for k, shape in expected_bigvgan_tensors(config, LEGACY_WEIGHT_NORM).items():
        t = torch.randn(shape, generator=generator)
        out[k] = 0.2 + 0.2 * t.abs() if k.endswith("weight_g") else 0.2 * t
    return out


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """16k pair as .pth files ({'generator': ...} wrapper for the vocoder), 44k pair as safetensors."""
    root = tmp_path_factory.mktemp("audio_decoder")
    paths = {}
    torch.save(_weights(FIXTURES / "vae" / "tiny_16k.safetensors"), root / "vae16.pth")
    torch.save({"generator": _vocoder_weights(num_mels=80, rates=(4, 4, 2, 2, 2, 2), bias=True)}, root / "voc16.pt")
    save_file(_weights(FIXTURES / "vae" / "tiny_44k.safetensors"), root / "vae44.safetensors")
    (root / "v2").mkdir()
    save_file(_vocoder_weights(num_mels=128, rates=(8, 4, 2, 2, 2, 2), bias=False), root / "v2" / "voc44.safetensors")
    paths.update(
        vae16=root / "vae16.pth",
        voc16=root / "voc16.pt",
        vae44=root / "vae44.safetensors",
        voc44=root / "v2" / "voc44.safetensors",
        root=root,
    )
    return paths


@pytest.mark.parametrize("rate, samples_per_token", [("16", 512), ("44", 1024)])
def test_decoding_n_tokens_gives_n_times_two_hops_of_audio(files, rate, samples_per_token):
    decoder = load_audio_decoder(files[f"vae{rate}"], files[f"voc{rate}"])
    assert decoder.sample_rate_hz == (16000 if rate == "16" else 44100)
    assert decoder.samples_per_latent == samples_per_token
    for tokens in (1, 3):
        latent = torch.randn(2, tokens, decoder.latent_channels)
        wave = decoder.decode(latent)
        assert wave.shape == (2, 1, tokens * samples_per_token)
        assert wave.dtype == torch.float32 and torch.isfinite(wave).all() and wave.abs().max() <= 1


def test_decode_is_vae_then_vocoder_on_channel_first_latents(files):
    decoder = load_audio_decoder(files["vae16"], files["voc16"])
    latent = torch.randn(1, 4, 20)
    mel = decoder.vae.decode(latent.transpose(1, 2))
    assert mel.shape == (1, 80, 8)
    assert torch.equal(decoder.decode(latent), decoder.vocoder(mel))


def test_vae_and_vocoder_from_different_rates_are_refused(files):
    vae16 = load_vae(files["vae16"])
    voc44 = load_vocoder(files["voc44"])
    with pytest.raises(
        UnsupportedCheckpointError, match="do not belong together.*80-bin mels but the vocoder reads 128"
    ):
        AudioDecoder(vae16, voc44)
    with pytest.raises(UnsupportedCheckpointError, match="do not belong together"):
        load_audio_decoder(files["vae44"], files["voc16"])


def test_vocoder_config_json_beside_the_weights_is_used_and_checked(files):
    config_path = files["root"] / "v2" / "config.json"
    try:
        config_path.write_text(
            json.dumps(
                {
                    "upsample_rates": [8, 4, 2, 2, 2, 2],
                    "resblock_kernel_sizes": [3, 7],
                    "sampling_rate": 44100,
                    "use_tanh_at_final": True,
                }
            )
        )
        assert load_vocoder(files["voc44"]).config.use_tanh_at_final
        config_path.write_text(json.dumps({"upsample_rates": [8, 4, 2, 2, 2, 2], "resblock_kernel_sizes": [3, 7, 11]}))
        with pytest.raises(UnsupportedCheckpointError, match=r"config\.json says resblock_kernel_sizes"):
            load_vocoder(files["voc44"])
        config_path.write_text(json.dumps({"model_type": "something else"}))  # not BigVGAN's: ignored
        assert not load_vocoder(files["voc44"]).config.use_tanh_at_final
    finally:
        config_path.unlink(missing_ok=True)


def test_explicit_vocoder_config_supplies_the_sample_rate(files, tmp_path):
    weights = _weights(FIXTURES / "bigvgan" / "tiny_v1.safetensors")  # hop 16: rate unknown from shapes
    assert load_vocoder(weights).sample_rate_hz is None
    (tmp_path / "hp.json").write_text(
        json.dumps({"upsample_rates": [4, 2, 2], "resblock_kernel_sizes": [3, 7, 11], "sampling_rate": 16000})
    )
    assert load_vocoder(weights, config_path=tmp_path / "hp.json").sample_rate_hz == 16000
    with pytest.raises(UnsupportedCheckpointError, match="hop is 16 samples"):
        AudioDecoder(load_vae(files["vae16"]), load_vocoder(weights, config_path=tmp_path / "hp.json"))


@pytest.mark.parametrize("dtype", ["bf16", "fp16"])
def test_half_precision_decoder_follows_fp32(files, dtype):
    latent = torch.randn(1, 3, 20, generator=torch.Generator().manual_seed(3))
    reference = load_audio_decoder(files["vae16"], files["voc16"]).decode(latent)
    decoder = load_audio_decoder(files["vae16"], files["voc16"], dtype=dtype)
    torch_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}[dtype]
    assert decoder.dtype == torch_dtype
    wave = decoder.decode(latent)
    assert wave.dtype == torch.float32
    assert_follows_fp32(wave, reference, torch_dtype, "waveform")


def test_half_precision_vae_file_with_encoder_loads_into_fp32(tmp_path):
    tensors = load_file(FIXTURES / "vae" / "tiny_44k.safetensors")
    weights = {k: v.half() for k, v in _weights(FIXTURES / "vae" / "tiny_44k.safetensors").items()}
    save_file(weights, tmp_path / "mmaudio_vae_44k_fp16.safetensors")  # like kijai's export: encoder included
    vae = load_vae(tmp_path / "mmaudio_vae_44k_fp16.safetensors", dtype="fp32")
    assert vae.encoder is None and vae.decoder.conv_in.weight.dtype == torch.float32
    mel = vae.decode(tensors["input.latent"])
    # the file holds fp16-rounded weights: compare with the VAE built from those same weights in memory
    rounded = {k: v.float() for k, v in weights.items()}
    expected = vae_from_state_dict(rounded).decode(tensors["input.latent"])
    expected64 = vae_from_state_dict(rounded, dtype=torch.float64).decode(tensors["input.latent"].double())
    assert_same_computation(mel, expected, expected64, "decoded mel")


def test_latents_of_the_wrong_shape_are_refused(files):
    decoder = load_audio_decoder(files["vae44"], files["voc44"])
    with pytest.raises(BadInputError, match=r"\(B, N, 40\)"):
        decoder.decode(torch.randn(1, 40, 5))
    with pytest.raises(BadInputError, match="no tokens"):
        decoder.decode(torch.randn(1, 0, 40))
