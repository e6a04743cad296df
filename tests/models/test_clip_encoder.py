"""CLIP encoder on tiny open_clip configurations at random weights, offline."""

from __future__ import annotations

import socket
import sys

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

pytest.importorskip("open_clip")

from pavas_core.errors import UnsupportedCheckpointError  # noqa: E402
from pavas_core.models import clip_encoder  # noqa: E402
from pavas_core.models.clip_encoder import (  # noqa: E402
    CLIP_MODEL_NAME,
    ClipEncoder,
    OpenClipMissingError,
    build_clip_model,
    clip_model_config,
    encode_clip_frames,
    encode_text,
    load_clip_model,
    make_tokenizer,
    text_token_states,
)
from tolerances import assert_follows_fp32, assert_same_computation, float64_twin  # noqa: E402

# A ViT-H-14-378 in miniature: patch 14 on a 56-px model, fed 62-px frames (as 384 px feed 378).
TINY_CONFIG = {
    "embed_dim": 32,
    "quick_gelu": True,
    "vision_cfg": {"image_size": 56, "layers": 2, "width": 64, "head_width": 32, "patch_size": 14},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 48, "heads": 2, "layers": 2},
}
FRAME_PX = 62


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test; hubs are told to stay offline."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture(scope="module")
def tokenizer():
    return make_tokenizer(CLIP_MODEL_NAME)


@pytest.fixture(scope="module")
def tiny_model():
    torch.manual_seed(0)
    model = build_clip_model(TINY_CONFIG).eval()
    with torch.no_grad():  # open_clip zero-inits nothing important here, but make every tensor random
        for name, p in model.named_parameters():
            if name.endswith("ln_final.weight") or name.endswith("ln_post.weight"):
                p.copy_(1 + 0.2 * torch.randn_like(p))
            elif name.endswith(("ln_final.bias", "ln_post.bias")):
                p.copy_(0.2 * torch.randn_like(p))
    return model


@pytest.fixture(scope="module")
def encoder(tiny_model, tokenizer):
    return ClipEncoder(tiny_model, tokenizer)


@pytest.fixture(scope="module")
def tiny_model64(tiny_model):
    """The same model in float64: its outputs set the fp32 spread of each comparison."""
    return float64_twin(tiny_model)


@pytest.fixture(scope="module")
def encoder64(tiny_model64, tokenizer):
    return ClipEncoder(tiny_model64, tokenizer)


def manual_text_states(model, tokens):
    """MMAudio's patch_clip: token + positional embedding → causal transformer → ln_final → L2."""
    x = model.token_embedding(tokens) + model.positional_embedding
    x = model.transformer(x, attn_mask=model.attn_mask)
    return F.normalize(model.ln_final(x), dim=-1)


def test_text_features_are_all_77_normalised_token_states(encoder, tiny_model, tiny_model64, tokenizer):
    prompts = ["a glass bottle shatters on concrete", ""]
    states = encode_text(encoder, prompts)
    assert states.shape == (2, 77, 48)
    torch.testing.assert_close(states.norm(dim=-1), torch.ones(2, 77))
    with torch.no_grad():
        expected = manual_text_states(tiny_model, tokenizer(prompts))
        expected64 = manual_text_states(tiny_model64, tokenizer(prompts))
    assert_same_computation(states, expected, expected64, "text states vs the formula written out")
    # Not the pooled end-of-text embedding: positions differ from each other.
    assert (states[0, 1] - states[0, 5]).abs().max() > 1e-3


def test_tokenizer_is_open_clip_bpe_with_77_tokens(tokenizer):
    tokens = tokenizer(["a dog barks"])
    assert tokens.shape == (1, 77)
    assert tokens[0, 0].item() == 49406 and 49407 in tokens[0].tolist()  # start / end of text


def test_image_features_equal_encode_image_normalised_per_frame(encoder, tiny_model, tiny_model64):
    torch.manual_seed(1)
    frames = torch.randn(2, 5, 3, FRAME_PX, FRAME_PX)
    calls = []
    features = encode_clip_frames(encoder, frames, frames_per_batch=3, progress=lambda d, t: calls.append((d, t)))
    assert features.shape == (2, 5, 32)
    with torch.no_grad():
        expected = tiny_model.encode_image(frames.reshape(10, 3, FRAME_PX, FRAME_PX), normalize=True).reshape(2, 5, 32)
        expected64 = tiny_model64.encode_image(frames.reshape(10, 3, FRAME_PX, FRAME_PX).double(), normalize=True)
    assert_same_computation(features, expected, expected64.reshape(2, 5, 32), "features vs open_clip's encode_image")
    torch.testing.assert_close(features.norm(dim=-1), torch.ones(2, 5))
    assert calls == [(3, 10), (6, 10), (9, 10), (10, 10)]


def test_oversized_input_uses_only_the_top_left_patch_grid_like_384_into_378(encoder, encoder64):
    torch.manual_seed(2)
    frames = torch.randn(1, 2, 3, FRAME_PX, FRAME_PX)
    cropped = frames[..., :56, :56].clone()
    changed_margin = frames.clone()
    changed_margin[..., 56:, :] = 5.0
    changed_margin[..., :, 56:] = -5.0
    expected, expected64 = encoder.encode_frames(cropped), encoder64.encode_frames(cropped)
    assert_same_computation(encoder.encode_frames(frames), expected, expected64, "oversized frames vs cropped")
    assert_same_computation(encoder.encode_frames(changed_margin), expected, expected64, "changed margin vs cropped")


def test_frames_that_do_not_give_the_patch_grid_are_rejected(encoder):
    from pavas_core.errors import BadInputError

    with pytest.raises(BadInputError, match="patch grid"):
        encoder.encode_frames(torch.zeros(1, 3, 70, 70))


def test_loads_strictly_from_safetensors_and_reproduces_features(tiny_model, encoder64, tokenizer, tmp_path):
    path = tmp_path / "tiny_clip.safetensors"
    save_file({k: v.contiguous() for k, v in tiny_model.state_dict().items()}, str(path))
    loaded = load_clip_model(path, model_config=TINY_CONFIG)
    loaded_state, state = loaded.state_dict(), tiny_model.state_dict()
    assert loaded_state.keys() == state.keys() and all(torch.equal(loaded_state[k], state[k]) for k in state)
    # Equal weights can still round differently (kernels choose paths by memory alignment)
    original, copy = ClipEncoder(tiny_model, tokenizer), ClipEncoder(loaded, tokenizer)
    frames = torch.randn(1, 2, 3, FRAME_PX, FRAME_PX)
    assert_same_computation(
        copy.encode_frames(frames), original.encode_frames(frames), encoder64.encode_frames(frames), "image features"
    )
    assert_same_computation(
        copy.encode_text(["rain"]), original.encode_text(["rain"]), encoder64.encode_text(["rain"]), "text states"
    )
    assert torch.equal(loaded.attn_mask, tiny_model.attn_mask)


def test_loads_bin_via_weights_only_and_accepts_vector_logit_scale(tiny_model, tmp_path):
    weights = dict(tiny_model.state_dict())
    weights["logit_scale"] = weights["logit_scale"].reshape(1)  # some open_clip versions save (1,)
    path = tmp_path / "open_clip_pytorch_model.bin"
    torch.save(weights, path)
    loaded = load_clip_model(path, model_config=TINY_CONFIG, dtype=torch.bfloat16)
    assert loaded.visual.conv1.weight.dtype == torch.bfloat16
    assert loaded.logit_scale.shape == tiny_model.logit_scale.shape


def test_misshaped_file_is_rejected_naming_tensor_and_expected_shape(tiny_model, tmp_path):
    weights = {k: v.contiguous() for k, v in tiny_model.state_dict().items()}
    weights["visual.positional_embedding"] = torch.zeros(10, 64)
    path = tmp_path / "wrong.safetensors"
    save_file(weights, str(path))
    with pytest.raises(
        UnsupportedCheckpointError, match=r"visual\.positional_embedding: file has \(10, 64\), expected \(17, 64\)"
    ):
        load_clip_model(path, model_config=TINY_CONFIG)


def test_missing_tensor_is_rejected(tiny_model):
    weights = dict(tiny_model.state_dict())
    del weights["ln_final.weight"]
    with pytest.raises(UnsupportedCheckpointError, match=r"missing tensors: ln_final\.weight \(48,\)"):
        load_clip_model(weights, model_config=TINY_CONFIG)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_half_precision_features_are_close_to_fp32(tiny_model, tokenizer, dtype):
    half = ClipEncoder(load_clip_model(dict(tiny_model.state_dict()), model_config=TINY_CONFIG, dtype=dtype), tokenizer)
    full = ClipEncoder(tiny_model, tokenizer)
    frames = torch.randn(1, 3, 3, FRAME_PX, FRAME_PX)
    image_half = half.encode_frames(frames)
    text_half = half.encode_text(["thunder"])
    assert image_half.dtype == dtype and text_half.dtype == dtype
    assert_follows_fp32(image_half, full.encode_frames(frames), dtype, "image features")
    assert_follows_fp32(text_half, full.encode_text(["thunder"]), dtype, "text states")


def test_released_architecture_comes_from_the_bundled_config():
    config = clip_model_config(CLIP_MODEL_NAME)
    assert config["embed_dim"] == 1024 and config["quick_gelu"] is True
    assert config["vision_cfg"] == {"image_size": 378, "layers": 32, "width": 1280, "head_width": 80, "patch_size": 14}
    assert (
        config["text_cfg"]["width"] == 1024
        and config["text_cfg"]["layers"] == 24
        and config["text_cfg"]["context_length"] == 77
    )


def test_hub_references_are_refused():
    from pavas_core.errors import BadInputError

    with pytest.raises(BadInputError, match="bundled"):
        clip_model_config("hf-hub:apple/DFN5B-CLIP-ViT-H-14-384")
    with pytest.raises(BadInputError, match="bundled"):
        make_tokenizer("hf-hub:apple/DFN5B-CLIP-ViT-H-14-384")


def test_text_states_come_from_ln_final_of_open_clip_encode_text(tiny_model, tiny_model64, tokenizer):
    tokens = tokenizer(["metal clang"])
    eot = tokens.argmax(dim=-1)  # end-of-text position

    def unnormalised_states(model):
        x = model.token_embedding(tokens) + model.positional_embedding
        return model.ln_final(model.transformer(x, attn_mask=model.attn_mask))

    with torch.no_grad():
        states = text_token_states(tiny_model, tokens)
        pooled = tiny_model.encode_text(tokens)  # open_clip's own pooled + projected feature
        pooled64 = tiny_model64.encode_text(tokens)
        unnormalised, unnormalised64 = unnormalised_states(tiny_model), unnormalised_states(tiny_model64)
    projected = unnormalised[0, eot] @ tiny_model.text_projection
    assert_same_computation(projected, pooled, pooled64, "projected end-of-text state vs open_clip's encode_text")
    normalised64 = F.normalize(unnormalised64, dim=-1)
    assert_same_computation(states, F.normalize(unnormalised, dim=-1), normalised64, "states captured at ln_final")


def test_missing_open_clip_gives_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "open_clip", None)  # import now fails
    with pytest.raises(OpenClipMissingError, match="open_clip_torch"):
        clip_encoder.import_open_clip()
    with pytest.raises(ImportError):
        clip_model_config()
