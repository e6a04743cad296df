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
