import pytest

from pavas_core.errors import BadInputError
from pavas_core.runtime import ModelRegistry, file_key, resolve_dtype


def test_registry_builds_each_model_once_per_key():
    reg = ModelRegistry()
    calls = []

    def build():
        calls.append(1)
        return object()

    a = reg.get(("net", "f", "fp32"), build)
    b = reg.get(("net", "f", "fp32"), build)
    c = reg.get(("net", "f", "fp16"), build)
    assert a is b and a is not c and len(calls) == 2 and len(reg) == 2
    reg.drop(("net", "f", "fp16"))
    assert reg.keys() == [("net", "f", "fp32")]
    reg.clear()
    assert len(reg) == 0


def test_file_key_changes_when_the_file_changes(tmp_path):
    p = tmp_path / "w.safetensors"
    p.write_bytes(b"a")
    k1 = file_key(p)
    p.write_bytes(b"ab")
    assert file_key(p) != k1


def test_resolve_dtype_names_and_errors():
    import torch

    assert resolve_dtype("bf16") is torch.bfloat16 and resolve_dtype(None) is torch.float32
    with pytest.raises(BadInputError, match="fp32, fp16, bf16"):
        resolve_dtype("fp8")
