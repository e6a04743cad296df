import pytest
import torch

from pavas_core.errors import MissingWeightsError, UnsupportedCheckpointError
from pavas_core.models.checkpoint import check_state_dict, load_state_dict, load_strict


def _module():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))


def test_safetensors_and_pth_round_trip(tmp_path):
    from safetensors.torch import save_file

    sd = _module().state_dict()
    save_file(sd, tmp_path / "m.safetensors")
    torch.save({"state_dict": sd}, tmp_path / "m.pth")
    for name in ("m.safetensors", "m.pth"):
        loaded = load_state_dict(tmp_path / name)
        assert all(torch.equal(loaded[k], sd[k]) for k in sd)


def test_pickle_that_needs_code_is_refused(tmp_path):
    import datetime

    # any global outside torch's allow-list needs code execution to unpickle
    torch.save({"x": datetime.date(2020, 1, 1)}, tmp_path / "evil.pth")
    with pytest.raises(UnsupportedCheckpointError, match="evil.pth"):
        load_state_dict(tmp_path / "evil.pth")


def test_missing_and_empty_files_have_clear_errors(tmp_path):
    with pytest.raises(MissingWeightsError, match="not found"):
        load_state_dict(tmp_path / "nope.safetensors")
    (tmp_path / "empty.pth").write_bytes(b"")
    with pytest.raises(UnsupportedCheckpointError, match="empty"):
        load_state_dict(tmp_path / "empty.pth")


def test_strict_load_names_missing_extra_and_misshaped_tensors():
    m = _module()
    sd = dict(m.state_dict())
    sd.pop("1.bias")
    sd["0.weight"] = torch.zeros(5, 3)
    sd["extra.weight"] = torch.zeros(1)
    with pytest.raises(UnsupportedCheckpointError) as exc:
        load_strict(m, sd, "tiny net")
    msg = str(exc.value)
    assert "1.bias (2,)" in msg and "extra.weight" in msg and "0.weight: file has (5, 3), expected (4, 3)" in msg


def test_check_state_dict_accepts_a_match_and_ignored_keys():
    expected = {"a": (2,), "b": (3, 1)}
    check_state_dict(expected, {"a": torch.zeros(2), "b": torch.zeros(3, 1), "buf": torch.zeros(1)}, "x", ignore={"buf"})


# --- class 6 of the hostile-input issue: safe weight loading ---------------------------------------

def test_pickles_need_torch_2_6_but_safetensors_load_on_any_torch(tmp_path, monkeypatch):
    from safetensors.torch import save_file

    sd = _module().state_dict()
    save_file(sd, tmp_path / "m.safetensors")
    torch.save(sd, tmp_path / "m.pth")
    monkeypatch.setattr(torch, "__version__", "2.5.1+cu121")
    with pytest.raises(UnsupportedCheckpointError, match=r"torch 2\.6.*CVE-2025-32434.*safetensors") as excinfo:
        load_state_dict(tmp_path / "m.pth")
    assert "\n" not in str(excinfo.value)
    assert set(load_state_dict(tmp_path / "m.safetensors")) == set(sd)


def test_a_zip_bomb_or_a_legacy_pickle_is_refused_before_torch_reads_it(tmp_path):
    import tracemalloc
    import zipfile

    with zipfile.ZipFile(tmp_path / "bomb.pth", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("archive/data.pkl", "w", force_zip64=True) as entry:
            for _ in range(256):  # 256 MiB of zeros in a few hundred KB
                entry.write(bytes(1 << 20))
    tracemalloc.start()
    with pytest.raises(UnsupportedCheckpointError, match="compressed"):
        load_state_dict(tmp_path / "bomb.pth")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 16 * 1024**2  # nothing was inflated
    torch.save(_module().state_dict(), tmp_path / "old.pth", _use_new_zipfile_serialization=False)
    with pytest.raises(UnsupportedCheckpointError, match="zip archive"):
        load_state_dict(tmp_path / "old.pth")


def test_integer_tensors_and_wrong_ranks_are_checkpoint_errors(tmp_path):
    from safetensors.torch import save_file

    from pavas_core.models.audio_decoder import load_vae
    from pavas_core.models.tiny_models import tiny_state_dicts

    vae = tiny_state_dicts(16000)["vae"]
    save_file({k: (v * 100).to(torch.int32).contiguous() for k, v in vae.items()}, tmp_path / "int.safetensors")
    save_file({k: v.reshape(-1).contiguous() for k, v in vae.items()}, tmp_path / "flat.safetensors")
    with pytest.raises(UnsupportedCheckpointError, match="int32|floating point"):
        load_vae(tmp_path / "int.safetensors")
    with pytest.raises(UnsupportedCheckpointError, match="VAE"):
        load_vae(tmp_path / "flat.safetensors")
