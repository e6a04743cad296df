import json

import pytest

from pavas_core.cli import main as cli_main
from pavas_core.metrics import segment_shuffle
from pavas_core.physics.tracks import Geometry, Impact, ObjectTrack, PhysicsTracks
from pavas_core.video import write_wav

FPS = 30.0


def _tracks(impacts, duration_s, *, material):
    frames = int(round(duration_s * FPS))
    obj = ObjectTrack(
        id=0, name=f"{material} thing", action="bouncing", mass_kg=impacts[0].mass_kg, mass_source="prior",
        speed_mps=[0.0] * frames, centroid_m=[[0.0, 0.0, 2.0]] * frames,
        impacts=[Impact(frame=int(e.time_s * FPS), time_s=e.time_s, v_before=e.v_before, v_after=e.v_after,
                        delta_ke_j=e.delta_ke_j) for e in impacts],
        material=material, size_m=impacts[0].size_m,
    )
    return PhysicsTracks(fps=FPS, num_frames=frames, width=64, height=48, objects=[obj],
                         geometry=Geometry(backend="pinhole", metric_scale_source="gravity"))


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory, impact_set_factory):
    """A synth-dataset-shaped folder (index.json + <scene_id>/{physics.json, scene.wav}) and a folder of
    'generated' audio (the same sound, segment-shuffled)."""
    data = impact_set_factory(5, materials=("glass", "plastic"), clips_per_category=2, impacts_per_clip=5)
    root = tmp_path_factory.mktemp("dataset")
    generated = tmp_path_factory.mktemp("generated")
    shuffled = segment_shuffle(data.audio, seed=0)
    for clip_id, impacts in data.impacts.items():
        (root / clip_id).mkdir()
        _tracks(impacts, data.duration_s, material=impacts[0].material).save(root / clip_id / "physics.json")
        write_wav(root / clip_id / "scene.wav", data.audio[clip_id], bit_depth=32)
        write_wav(generated / f"{clip_id}.wav", shuffled[clip_id], bit_depth=32)
    index = {"schema": 1, "scenes": [{"scene_id": c} for c in sorted(data.impacts)]}
    (root / "index.json").write_text(json.dumps(index))
    return root, generated


def test_apcc_verb_scores_a_dataset_reference_and_writes_json(dataset_dir, tmp_path, capsys):
    root, _ = dataset_dir
    out = tmp_path / "apcc.json"
    assert cli_main(["apcc", "--dataset", str(root), "--json", str(out), "--null-baseline", "2"]) == 0
    printed = capsys.readouterr().out
    assert "APCC (reconstructed)" in printed
    report = json.loads(out.read_text())
    assert report["schema"] == 1 and report["num_events"] == 20
    assert report["apcc"]["mean"] >= 0.9
    assert set(report["apcc"]["per_category"]) == {"glass", "plastic"}
    assert abs(report["null_baseline"]["mean"]) < 0.6


def test_apcc_verb_reports_apcc_delta_against_generated_audio(dataset_dir, tmp_path):
    root, generated = dataset_dir
    out = tmp_path / "delta.json"
    assert cli_main(["apcc", "--dataset", str(root), "--generated-dir", str(generated), "--json", str(out)]) == 0
    delta = json.loads(out.read_text())["apcc_delta"]
    assert delta["label"] == "APCC-Δ (reconstructed)"
    assert delta["reference"]["mean"] >= 0.9 and delta["mean"] > 0.4


def test_apcc_verb_takes_paired_files_and_config_flags(dataset_dir, tmp_path):
    root, _ = dataset_dir
    scenes = sorted(p.name for p in root.iterdir() if p.is_dir())
    args = ["apcc", "--correlation", "spearman", "--window-end-ms", "80", "--json", str(tmp_path / "r.json")]
    for s in scenes:
        args += ["--physics", str(root / s / "physics.json"), "--audio", str(root / s / "scene.wav")]
    assert cli_main(args) == 0
    report = json.loads((tmp_path / "r.json").read_text())["apcc"]
    assert report["config"]["correlation"] == "spearman" and report["config"]["window_end_s"] == pytest.approx(0.08)
    assert report["mean"] >= 0.9
    for s in scenes:  # the same audio as reference: APCC-Δ is exactly 0
        args += ["--reference-audio", str(root / s / "scene.wav")]
    assert cli_main(args) == 0
    assert json.loads((tmp_path / "r.json").read_text())["apcc_delta"]["mean"] == 0.0


def test_apcc_verb_fails_with_one_line_for_bad_inputs(dataset_dir, tmp_path, capsys):
    root, _ = dataset_dir
    assert cli_main(["apcc", "--physics", str(root / "glass-0" / "physics.json")]) == 2
    assert "one --audio per --physics" in capsys.readouterr().err
    assert cli_main(["apcc", "--dataset", str(tmp_path / "nowhere")]) == 2
    assert "dataset folder not found" in capsys.readouterr().err
    assert cli_main(["apcc"]) == 2
    assert "nothing to score" in capsys.readouterr().err
    assert not (tmp_path / "nothing.json").exists()
