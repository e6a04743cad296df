"""`run VIDEO --physics-in physics.json`: sound from a given (hand-edited) physics file, checked
against the video, never overwritten by --physics."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pavas_core import cli
from pavas_core.physics.tracks import PhysicsTracks
from pavas_core.scenes.dataset import demo_scene, write_scene
from pavas_core.synth import render_foley
from pavas_core.video import read_audio

RATE = 16000


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    out = tmp_path_factory.mktemp("physics_in")
    write_scene(out, demo_scene(0), sample_rate_hz=RATE)
    return out / "scene.mp4", json.loads((out / "physics.json").read_text())


def write_json(path, physics: dict):
    path.write_text(json.dumps(physics))
    return path


def run(video, out, *extra) -> int:
    return cli.main(["run", str(video), "-o", str(out), "--sample-rate", str(RATE), "--quiet", *extra])


def wav(path) -> np.ndarray:
    return np.asarray(read_audio(path).waveform, np.float64)


def expected_wav(physics_path, duration_s) -> np.ndarray:
    """What the foley generator makes of that file, as a 16-bit WAV stores it."""
    foley = render_foley(PhysicsTracks.load(physics_path), sample_rate_hz=RATE, duration_s=duration_s, seed=0)
    return np.round(np.clip(foley.waveform, -1, 1) * 32767) / 32767


def test_the_sound_follows_a_hand_edited_file(scene, tmp_path):
    video, physics = scene
    plain = write_json(tmp_path / "plain.json", physics)
    edited = json.loads(json.dumps(physics))
    edited["objects"][0]["mass_kg"] = 4 * edited["objects"][0]["mass_kg"]  # heavier ball (ΔKE left stale)
    edited["objects"][1]["material"] = "glass"  # the block rings like glass
    del edited["objects"][0]["impacts"][2]  # one bounce removed
    edited_path = write_json(tmp_path / "edited.json", edited)
    assert run(video, tmp_path / "plain.wav", "--physics-in", str(plain)) == 0
    assert run(video, tmp_path / "edited.wav", "--physics-in", str(edited_path)) == 0
    a, b = wav(tmp_path / "plain.wav"), wav(tmp_path / "edited.wav")
    duration = physics["num_frames"] / physics["fps"]
    np.testing.assert_allclose(b, expected_wav(edited_path, duration), atol=1.5 / 32767)
    np.testing.assert_allclose(a, expected_wav(plain, duration), atol=1.5 / 32767)
    assert np.abs(a - b).max() > 0.05
    # the removed bounce is silent in the edited sound: no onset there beyond the others' tails
    t = edited and physics["objects"][0]["impacts"][2]["time_s"]
    k = int(t * RATE)
    assert np.abs(a[0, k:k + 400]).max() > 3 * np.abs(b[0, k:k + 400]).max()


def test_mass_scale_applies_to_the_foley_generator_and_is_written(scene, tmp_path):
    video, physics = scene
    plain = write_json(tmp_path / "plain.json", physics)
    assert run(video, tmp_path / "x.wav", "--physics-in", str(plain), "--mass-scale", "2",
               "--physics", str(tmp_path / "out.json")) == 0
    written = json.loads((tmp_path / "out.json").read_text())
    assert [o["mass_kg"] for o in written["objects"]] == pytest.approx([2 * o["mass_kg"] for o in physics["objects"]])
    assert json.loads(plain.read_text()) == physics  # the input is untouched


def test_physics_out_may_not_overwrite_physics_in(scene, tmp_path, capsys):
    video, physics = scene
    path = write_json(tmp_path / "p.json", physics)
    before = path.read_bytes()
    assert run(video, tmp_path / "x.wav", "--physics-in", str(path), "--physics", str(path)) == 2
    err = capsys.readouterr().err
    assert "is the input" in err and len(err.strip().splitlines()) == 1
    assert path.read_bytes() == before and not (tmp_path / "x.wav").exists()
    # the same file by another spelling is refused too
    assert run(video, tmp_path / "x.wav", "--physics-in", str(path),
               "--physics", str(tmp_path / "sub" / ".." / "p.json")) == 2
    assert path.read_bytes() == before


@pytest.mark.parametrize("edit, message", [
    (lambda p: p.update(fps=25.0), "is for a 25 fps video"),
    (lambda p: p.update(num_frames=p["num_frames"] // 2,
                        objects=[dict(o, speed_mps=o["speed_mps"][: p["num_frames"] // 2],
                                      centroid_m=o["centroid_m"][: p["num_frames"] // 2],
                                      box_xyxy_px=(o.get("box_xyxy_px") or [None] * p["num_frames"])[: p["num_frames"] // 2],
                                      impacts=[], masks=None)
                                 for o in p["objects"]]), "made for another video"),
    (lambda p: p.update(width=480, height=480), "another aspect ratio"),
])
def test_a_file_for_another_video_is_refused_in_one_line(scene, tmp_path, capsys, edit, message):
    video, physics = scene
    edited = json.loads(json.dumps(physics))
    edit(edited)
    path = write_json(tmp_path / "p.json", edited)
    assert run(video, tmp_path / "x.wav", "--physics-in", str(path)) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and err.startswith("error:")
    assert not (tmp_path / "x.wav").exists()


def test_a_smaller_grid_of_the_same_aspect_is_rescaled_with_a_note(scene, tmp_path, capsys):
    video, physics = scene
    half = json.loads(json.dumps(physics))
    half["width"], half["height"] = physics["width"] // 2, physics["height"] // 2
    for o in half["objects"]:
        if o.get("box_xyxy_px"):
            o["box_xyxy_px"] = [None if b is None else [v / 2 for v in b] for b in o["box_xyxy_px"]]
    path = write_json(tmp_path / "half.json", half)
    assert run(video, tmp_path / "x.wav", "--physics-in", str(path), "--physics", str(tmp_path / "out.json")) == 0
    assert "rescaled ×2 to the video's 640x360" in capsys.readouterr().err
    out = json.loads((tmp_path / "out.json").read_text())
    assert (out["width"], out["height"]) == (640, 360)
    boxes = [b for b in out["objects"][0]["box_xyxy_px"] if b]
    truth = [b for b in physics["objects"][0]["box_xyxy_px"] if b]
    np.testing.assert_allclose(boxes, truth, atol=0.02)


def test_a_file_without_impacts_gives_silence_and_says_why(scene, tmp_path, capsys):
    video, physics = scene
    quiet = json.loads(json.dumps(physics))
    for o in quiet["objects"]:
        o["impacts"] = []
    path = write_json(tmp_path / "quiet.json", quiet)
    assert run(video, tmp_path / "x.wav", "--physics-in", str(path)) == 0
    err = capsys.readouterr().err
    assert np.abs(wav(tmp_path / "x.wav")).max() == 0.0
    assert "note: the sound is silent" in err and "(physics from quiet.json)" in err
    assert "2 object(s) but no impact" in err


def test_impacts_marked_not_sonified_are_named_in_the_silence_note():
    from pavas_core.synth.silence import silence_note

    tracks = PhysicsTracks.from_dict({
        "schema": 1, "fps": 10.0, "num_frames": 10, "width": 64, "height": 48,
        "geometry": {"backend": "pinhole", "metric_scale_source": "user"},
        "objects": [{"id": 0, "name": "head", "action": "moving", "mass_kg": 5.0, "mass_source": "prior",
                     "speed_mps": [0.0] * 10, "centroid_m": [None] * 10,
                     "impacts": [{"frame": 3, "time_s": 0.3, "v_before": 2.0, "v_after": 0.5, "delta_ke_j": 9.375,
                                  "sonified": False, "reason": "no free flight before the contact"},
                                 {"frame": 6, "time_s": 0.6, "v_before": 1.0, "v_after": 1.5, "delta_ke_j": -3.125}]}],
    })
    note = silence_note(tracks, np.zeros((1, 100), np.float32), duration_s=1.0)
    assert note == ("the sound is silent (1.00 s of silence written): none of the 2 impact(s) makes a sound: "
                    "1 marked not to be sonified (no free flight before the contact), "
                    "1 with no kinetic energy lost (v_after >= v_before)")
    assert silence_note(tracks, np.full((1, 100), 0.01, np.float32), duration_s=1.0) is None
