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
