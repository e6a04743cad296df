"""Configuration read from weight files may only choose shapes from an allow-list (no downloads)."""

import json
import socket

import pytest

from pavas_core.errors import UnsupportedCheckpointError
from pavas_core.models.tiny_models import TINY_CLIP_CONFIG, tiny_state_dicts


@pytest.fixture
def no_network(monkeypatch):
    """Any Python-level connection attempt fails the test loudly."""
    attempts = []

    def refuse(self, address, *args):
        attempts.append(address)
        raise AssertionError(f"network access attempted: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


def _clip_file(path, config):
    from safetensors.torch import save_file

    sd = tiny_state_dicts(16000)["clip"]
    save_file({k: v.contiguous() for k, v in sd.items()}, str(path), metadata={"pavas_config": json.dumps(config)})
    return path


@pytest.mark.parametrize("tower, option, value", [
    ("vision_cfg", "timm_model_name", "vit_base_patch16_224"),
    ("vision_cfg", "timm_model_pretrained", True),
    ("text_cfg", "hf_model_name", "bert-base-uncased"),
    ("text_cfg", "hf_tokenizer_name", "bert-base-uncased"),
])
def test_weight_file_metadata_cannot_make_open_clip_fetch_a_tower(tmp_path, no_network, tower, option, value):
    from pavas_core.models.clip_encoder import ClipEncoder

    config = json.loads(json.dumps(TINY_CLIP_CONFIG))
    config[tower][option] = value
    path = _clip_file(tmp_path / "clip.safetensors", {"open_clip": config})
    with pytest.raises(UnsupportedCheckpointError, match=option) as excinfo:
        ClipEncoder.from_file(path)
    assert "\n" not in str(excinfo.value)
    assert no_network == []


def test_the_tiny_clip_metadata_is_allowed_and_loads(tmp_path, no_network):
    from pavas_core.models.clip_encoder import ClipEncoder

    encoder = ClipEncoder.from_file(_clip_file(tmp_path / "clip.safetensors", {"open_clip": TINY_CLIP_CONFIG}))
    assert encoder.input_size_px == TINY_CLIP_CONFIG["vision_cfg"]["image_size"]
    assert no_network == []


@pytest.mark.parametrize("config, fragment", [
    ({"num_heads": 0}, "num_heads"),
    ({"num_heads": "8"}, "num_heads"),
    ({"num_heads": 2.5}, "num_heads"),
    ({"depth": 3}, "not allowed"),
    ([1, 2], "JSON object"),
])
def test_synchformer_metadata_values_are_typed_and_bounded(config, fragment):
    from pavas_core.models.config_schema import PAVAS_CONFIG_SCHEMAS, checked

    with pytest.raises(UnsupportedCheckpointError, match=fragment):
        checked(config, PAVAS_CONFIG_SCHEMAS["synchformer"], "file.safetensors: pavas_config")


def test_allowed_values_pass_unchanged_and_unknown_config_json_keys_can_be_ignored():
    from pavas_core.models.config_schema import OPEN_CLIP_SCHEMA, checked

    assert checked(TINY_CLIP_CONFIG, OPEN_CLIP_SCHEMA, "x") == TINY_CLIP_CONFIG
    assert checked({"embed_dim": 8, "learning_rate": 0.1}, OPEN_CLIP_SCHEMA, "x", unknown="ignore") == {"embed_dim": 8}
    with pytest.raises(UnsupportedCheckpointError, match="embed_dim"):
        checked({"embed_dim": 10**9}, OPEN_CLIP_SCHEMA, "x")
