import json

from pavas_core.cli import main as cli_main
from pavas_core.physics.tracks import PhysicsTracks
from pavas_core.video import write_video


def test_estimate_command_writes_physics_json_from_a_video(bouncing_ball, tmp_path):
    clip, truth = bouncing_ball
    video = tmp_path / "ball.mp4"
    write_video(video, clip.frames, clip.fps)
    out = tmp_path / "physics.json"
    assert cli_main(["estimate", str(video), "-o", str(out), "--object", "basketball"]) == 0
    tracks = PhysicsTracks.load(out)
    assert json.loads(out.read_text())["schema"] == 1
    (obj,) = tracks.objects
    assert obj.name == "basketball" and obj.mass_kg == 0.62 and obj.mass_source == "prior"
    assert len(obj.impacts) == 3
    for est, true in zip(obj.impacts, truth.objects[0].impacts):
        assert abs(est.time_s - true.time_s) * truth.fps < 0.5
        assert abs(est.v_before - true.v_before) / true.v_before < 0.05


def test_estimate_command_reports_a_missing_file_as_an_error(tmp_path, capsys):
    assert cli_main(["estimate", str(tmp_path / "nope.mp4"), "-o", str(tmp_path / "p.json")]) == 2
    assert "error" in capsys.readouterr().err


def test_backend_settings_are_flags_declared_by_the_backends_and_reach_each_one(tmp_path, capsys):
    import argparse

    import pytest

    from pavas_core.physics.options import add_estimator_arguments, options_from_args

    parser = argparse.ArgumentParser()
    add_estimator_arguments(parser)
    vlm, sam2 = tmp_path / "Qwen2.5-VL-3B-Instruct", tmp_path / "sam2.1_hiera_tiny.pt"
    args = parser.parse_args(["--discover", "vlm", "--vlm", str(vlm), "--vlm-frames", "6", "--boxes", "florence2",
                              "--masks", "sam2", "--sam2", str(sam2), "--sam2-image-size", "256", "--device", "cpu"])
    opts = options_from_args(args)
    assert (opts.discover, opts.boxes, opts.masks) == ("vlm", "florence2", "sam2")
    # one --device for every learned backend; --vlm for both stages' "vlm" backends (they share settings)
    assert opts.backend_settings == {
        "vlm": {"model_dir": str(vlm), "num_frames": 6, "device": "cpu"},
        "florence2": {"device": "cpu"},
        "sam2": {"checkpoint": str(sam2), "image_size": 256, "device": "cpu"},
        "cut3r": {"device": "cpu"},
    }
    assert options_from_args(parser.parse_args([])).backend_settings == {}
    with pytest.raises(SystemExit):
        parser.parse_args(["--sam2-image-size", "big"])
    capsys.readouterr()


def test_a_model_given_on_the_command_line_that_is_not_there_is_an_error(bouncing_ball, tmp_path, capsys):
    clip, _ = bouncing_ball
    video = tmp_path / "ball.mp4"
    write_video(video, clip.frames, clip.fps)
    code = cli_main(["estimate", str(video), "-o", str(tmp_path / "p.json"), "--masks", "sam2",
                     "--sam2", str(tmp_path / "sam2.1_hiera_tiny.pt")])
    assert code == 2 and "sam2: weight file not found" in capsys.readouterr().err
    assert not (tmp_path / "p.json").exists()


def test_estimate_with_cut3r_from_the_command_line(bouncing_ball, tmp_path, capsys):
    from pavas_core.perception.cut3r import MICRO, random_state_dict, save_safetensors

    clip, _ = bouncing_ball
    video = tmp_path / "ball.mp4"
    write_video(video, clip.frames[:20], clip.fps)
    weights = tmp_path / "cut3r_micro.safetensors"
    save_safetensors(random_state_dict(MICRO, 0), MICRO, str(weights))
    out = tmp_path / "p.json"
    assert cli_main(["estimate", str(video), "-o", str(out), "--object", "basketball", "--geometry", "cut3r",
                     "--cut3r", str(weights), "--cut3r-size", "64", "--device", "cpu"]) == 0
    data = json.loads(out.read_text())
    assert data["geometry"]["backend"] == "cut3r" and data["geometry"]["extra"]["camera_poses_from"] == "cut3r"
    code = cli_main(["estimate", str(video), "-o", str(tmp_path / "q.json"), "--geometry", "cut3r",
                     "--cut3r", str(tmp_path / "cut3r_512_dpt_4_64.pth")])
    assert code == 2 and "CUT3R weights not found" in capsys.readouterr().err
    assert not (tmp_path / "q.json").exists()
