"""Hostile inputs to the learned parts (bad-input matrix findings): outputs never replace a model
file or folder the job reads, and a hostile depth-model folder is one clear error."""

from __future__ import annotations

import json
import shutil

import pytest

from pavas_core.cli import main
from pavas_core.errors import BadInputError, PavasError, UnsupportedCheckpointError
from pavas_core.fileio import OutputSet


def test_an_output_may_not_replace_a_file_of_an_input_folder(tmp_path):
    models = tmp_path / "models"
    (models / "sub").mkdir(parents=True)
    (models / "config.json").write_text("{}")
    (models / "sub" / "weights.bin").write_bytes(b"w")
    (tmp_path / "link.json").symlink_to(models / "config.json")
    for target in (models / "config.json", models / "sub" / "weights.bin", tmp_path / "link.json"):
        with pytest.raises(BadInputError, match="input folder"):
            with OutputSet(inputs=[tmp_path / "clip.mp4", models]) as outputs:
                outputs.add(target, "physics output")
    assert (models / "config.json").read_text() == "{}" and (models / "sub" / "weights.bin").read_bytes() == b"w"
    with OutputSet(inputs=[models]) as outputs:  # a new file in the folder replaces nothing
        outputs.add(models / "new.json", "physics output").write_text("[]")
    assert (models / "new.json").read_text() == "[]"


@pytest.fixture(scope="module")
def clip_file(tmp_path_factory):
    import numpy as np

    from pavas_core.video import write_video

    path = tmp_path_factory.mktemp("clip") / "v.mp4"
    frames = np.full((12, 48, 64, 3), 20, np.uint8)
    for i in range(12):
        frames[i, 10:20, 4 * i:4 * i + 10] = 230
    write_video(path, frames, 24.0)
    return path


def test_estimate_never_writes_over_a_model_file_or_answer_it_reads(tmp_path, clip_file, capsys):
    answer = tmp_path / "answer.json"
    answer.write_text(json.dumps({"objects": [{"name": "ball", "action": "falling", "moving": True, "mass_kg": 0.6,
                                               "material": "rubber"}]}))
    weights = tmp_path / "sam2.safetensors"
    weights.write_bytes(b"not yet read")
    depth = tmp_path / "depth"
    depth.mkdir()
    (depth / "config.json").write_text('{"model_type": "depth_anything"}')
    for argv, kept in (
        (["estimate", str(clip_file), "-o", str(answer), "--discover", "vlm_text", "--vlm-answer", str(answer)], answer),
        (["estimate", str(clip_file), "-o", str(weights), "--masks", "sam2", "--sam2", str(weights)], weights),
        (["run", str(clip_file), "-o", str(tmp_path / "a.wav"), "--physics", str(depth / "config.json"),
          "--geometry", "depth", "--depth", str(depth)], depth / "config.json"),
    ):
        before = kept.read_bytes()
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("error:") and "\n" not in err and "destroy that input" in err, err
        assert kept.read_bytes() == before
    assert not (tmp_path / "a.wav").exists()


def test_train_init_only_never_writes_over_a_model_file_it_reads(tmp_path, capsys):
    from pavas_core.models.tiny_models import write_tiny_model_set

    files = write_tiny_model_set(tmp_path / "models", sample_rate_hz=16000)
    clip_weights = files["clip"]  # a .safetensors file of the set: --init-only would have replaced it
    before = clip_weights.read_bytes()
    assert main(["train", "--models", str(tmp_path / "models"), "--init-only", "--out", str(clip_weights)]) == 2
    err = capsys.readouterr().err.strip()
    assert "destroy that input" in err and "\n" not in err, err
    assert clip_weights.read_bytes() == before
    assert main(["train", "--models", str(tmp_path / "models"), "--init-only", "--out", str(tmp_path / "a.safetensors")]) == 0


@pytest.fixture(scope="module")
def tiny_depth_dir(tmp_path_factory):
    pytest.importorskip("transformers")
    from pavas_core.models.tiny_depth import write_tiny_depth_model

    return write_tiny_depth_model(str(tmp_path_factory.mktemp("depth") / "tiny"))


def _variant(tiny_depth_dir, tmp_path, name, edit):
    folder = tmp_path / name
    shutil.copytree(tiny_depth_dir, folder)
    edit(folder)
    return folder


def _int32_weights(folder):
    import torch
    from safetensors.torch import load_file, save_file

    state = load_file(str(folder / "model.safetensors"))
    save_file({k: (v * 100).to(torch.int32) for k, v in state.items()}, str(folder / "model.safetensors"),
              metadata={"format": "pt"})


def _wrong_rank_weights(folder):
    from safetensors.torch import load_file, save_file

    state = load_file(str(folder / "model.safetensors"))
    save_file({k: v.reshape(-1).contiguous() for k, v in state.items()}, str(folder / "model.safetensors"),
              metadata={"format": "pt"})


@pytest.mark.parametrize("name, edit, error, match", [
    ("config_deep", lambda f: (f / "config.json").write_bytes(b"[" * 100_000 + b"]" * 100_000),
     UnsupportedCheckpointError, "not valid JSON"),
    ("type_not_text", lambda f: (f / "config.json").write_text('{"model_type": {"a": 1}}'),
     UnsupportedCheckpointError, "model_type"),
    ("no_weights", lambda f: (f / "model.safetensors").unlink(), UnsupportedCheckpointError, "cannot load it"),
    ("wrong_rank", _wrong_rank_weights, UnsupportedCheckpointError, "tensors of other shapes"),
    ("int32", _int32_weights, UnsupportedCheckpointError, "integer tensors"),
    ("pre_list", lambda f: (f / "preprocessor_config.json").write_text("[1, 2]"), BadInputError, "JSON object"),
    ("pre_deep", lambda f: (f / "preprocessor_config.json").write_bytes(b"[" * 100_000 + b"]" * 100_000),
     BadInputError, "nest"),
    ("pre_mean", lambda f: (f / "preprocessor_config.json").write_text('{"image_mean": [0.5]}'), BadInputError,
     "three finite numbers"),
    ("pre_size", lambda f: (f / "preprocessor_config.json").write_text('{"size": {"height": 1000000000}}'),
     BadInputError, "size must be"),
])
def test_a_hostile_depth_model_folder_is_one_clear_error(tiny_depth_dir, tmp_path, name, edit, error, match):
    from pavas_core.models.depth_estimation import load_depth_model

    folder = _variant(tiny_depth_dir, tmp_path, name, edit)
    with pytest.raises(error, match=match) as caught:
        load_depth_model(folder, device="cpu")
    assert isinstance(caught.value, PavasError) and "\n" not in str(caught.value)


def test_the_tiny_depth_folder_still_loads(tiny_depth_dir):
    from pavas_core.models.depth_estimation import load_depth_model

    model = load_depth_model(tiny_depth_dir, device="cpu")
    assert model.kind == "depth_anything" and model.mean == (0.485, 0.456, 0.406)


@pytest.mark.parametrize("name", ["nonsense", "cuda:99", "tpu", "cuda:-1"])
def test_a_device_this_machine_lacks_is_one_clear_error(name):
    from pavas_core.runtime import resolve_device

    with pytest.raises(BadInputError, match="device"):
        resolve_device(name)
    assert resolve_device("cpu").type == "cpu"


def test_train_with_bad_data_or_device_leaves_no_run_folder(tmp_path, capsys):
    from pavas_core.models.tiny_models import write_tiny_model_set

    write_tiny_model_set(tmp_path / "models", sample_rate_hz=16000)
    (tmp_path / "data").mkdir()  # no index.json: not a dataset
    for extra in (["--device", "cpu"], ["--device", "nonsense"]):
        out = tmp_path / "run"
        assert main(["train", "--models", str(tmp_path / "models"), "--data", str(tmp_path / "data"),
                     "--out", str(out), "--steps", "1", "--quiet", *extra]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("error:") and "\n" not in err and "internal error" not in err, err
        assert not out.exists()


@pytest.mark.parametrize("flag, value", [("--mass-scale", "-1"), ("--speed-scale", "1e300"), ("--mass-scale", "0")])
def test_run_refuses_physics_scales_out_of_range_even_without_an_adapter(tmp_path, clip_file, capsys, flag, value):
    models = tmp_path / "models"
    models.mkdir()  # never read: the scales are checked first
    assert main(["run", str(clip_file), "-o", str(tmp_path / "a.wav"), "--generator", "mmaudio", "--models",
                 str(models), flag, value]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {flag} must be a number from") and "\n" not in err, err
    assert not (tmp_path / "a.wav").exists()
