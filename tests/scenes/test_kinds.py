"""Scene kinds: a glider that never hits anything, clips of several shots with hard cuts."""

from __future__ import annotations

import numpy as np
import pytest

from pavas_core.physics.shots import IMPACT_GUARD_S
from pavas_core.scenes.kinds import GLIDER_ACTION, check_kinds, concat_shots, cut_shot_scenes, glider_scene
from pavas_core.scenes.scene import ground_truth_tracks, sample_scene, simulate_scene

SMALL = dict(resolutions=((160, 120),), fps_choices=(24.0,))


@pytest.mark.parametrize("seed", [3, 41, 977])
def test_the_glider_is_added_to_an_unchanged_scene_and_glides_at_constant_speed_without_impact(seed):
    plain = sample_scene(seed)
    scene = glider_scene(seed)
    assert scene.objects[:-1] == plain.objects and scene.camera == plain.camera and scene.fps == plain.fps
    glider = scene.objects[-1]
    assert glider.action == GLIDER_ACTION and glider.kind.shape == "box"
    traj = simulate_scene(scene)[-1]
    assert traj.contacts == []
    pos, vel = traj.state_at(scene.frame_times_s)
    assert np.allclose(pos[:, 1], scene.camera.floor_y_m - glider.body.radius_m)  # on the floor throughout
    speed = np.linalg.norm(vel, axis=1)
    assert speed.min() > 0.05 and speed.max() - speed.min() < 1e-4  # constant speed
    truth = ground_truth_tracks(scene)
    assert truth.objects[-1].impacts == [] and sum(truth.objects[-1].extra["visible"]) > 0.5 * scene.num_frames


def test_a_cut_clip_lists_its_shots_and_keeps_each_shots_truth_in_the_clips_frames():
    scenes = cut_shot_scenes(5, **SMALL)
    assert 2 <= len(scenes) <= 3
    assert len({(s.fps, s.camera.width, s.camera.height) for s in scenes}) == 1
    assert len({s.seed for s in scenes}) == len(scenes)
    parts = [(s, ground_truth_tracks(s)) for s in scenes]
    truth = concat_shots(parts, scene_id="cuts", seed=5)
    n = sum(s.num_frames for s in scenes)
    assert truth.num_frames == n and [sh.kind for sh in truth.shots] == ["start"] + ["cut"] * (len(scenes) - 1)
    assert truth.shots[-1].end_frame == n - 1
    start = 0
    k = 0
    for shot_no, (sc, tr) in enumerate(parts):
        for obj in tr.objects:
            whole = truth.objects[k]
            k += 1
            assert whole.extra["shot"] == shot_no
            assert whole.speed_mps[start : start + sc.num_frames] == obj.speed_mps
            assert all(s is None for s in whole.speed_mps[:start] + whole.speed_mps[start + sc.num_frames :])
            assert len(whole.masks.frames) == n
            for a, b in zip(obj.impacts, whole.impacts):
                t = a.time_s + start / sc.fps
                assert b.time_s == pytest.approx(t) and b.frame == a.frame + start
                cuts = [sh.start_s for sh in truth.shots[1:]]
                assert b.extra["near_cut"] == any(abs(t - c) < IMPACT_GUARD_S for c in cuts)
        start += sc.num_frames
    assert k == len(truth.objects)


def test_unknown_kinds_are_refused_and_the_default_is_todays_scenes():
    from pavas_core.errors import BadInputError

    assert check_kinds(()) == ("bounce",)
    with pytest.raises(BadInputError, match="unknown scene kind 'cut'"):
        check_kinds(("bounce", "cut"))


def test_a_mixed_camera_dataset_alternates_static_and_dolly_by_rounds_of_the_kinds(tmp_path):
    """--camera-motion mixed: bounce static, glider static, bounce dolly, glider dolly; its static
    scenes are byte for byte those of the static dataset, its dolly scenes those of the dolly one."""
    import json

    from pavas_core.scenes.dataset import scene_camera_motion, synth_dataset

    assert [scene_camera_motion("mixed", i, 2) for i in range(6)] == ["static", "static", "dolly", "dolly",
                                                                       "static", "static"]
    assert scene_camera_motion("dolly", 0, 2) == "dolly" and scene_camera_motion("static", 3, 1) == "static"
    kw = dict(n=4, seed=7, fps_choices=(24.0,), resolutions=((64, 48),), duration_range_s=(1.0, 1.0),
              sample_rate_hz=16000, kinds=("bounce", "glider"))
    for motion in ("mixed", "static", "dolly"):
        synth_dataset(tmp_path / motion, camera_motion=motion, **kw)
    index = json.loads((tmp_path / "mixed" / "index.json").read_text())
    assert index["camera_motion"] == "mixed"
    assert [e["camera_motion"] for e in index["scenes"]] == ["static", "static", "dolly", "dolly"]
    for i, motion in enumerate(["static", "static", "dolly", "dolly"]):
        for name in ("physics.json", "scene.wav", "scene.mp4"):
            mixed = (tmp_path / "mixed" / f"scene_{i:04d}" / name).read_bytes()
            assert mixed == (tmp_path / motion / f"scene_{i:04d}" / name).read_bytes(), (i, name)
    # the camera does change the clip (else the comparison above could not tell the two apart)
    assert ((tmp_path / "dolly" / "scene_0002" / "scene.mp4").read_bytes()
            != (tmp_path / "static" / "scene_0002" / "scene.mp4").read_bytes())


def test_worker_processes_write_the_same_dataset(tmp_path):
    """--workers N renders scenes side by side; each scene comes from its own seed, so the files and
    the index are the same as with one process."""
    from pavas_core.errors import BadInputError
    from pavas_core.scenes.dataset import synth_dataset

    kw = dict(n=4, seed=9, fps_choices=(24.0,), resolutions=((64, 48),), duration_range_s=(1.0, 1.0),
              sample_rate_hz=16000, kinds=("bounce", "glider"), camera_motion="mixed")
    synth_dataset(tmp_path / "one", workers=1, **kw)
    synth_dataset(tmp_path / "two", workers=2, **kw)
    one = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*") if p.is_file())
    two = sorted(p.relative_to(tmp_path / "two") for p in (tmp_path / "two").rglob("*") if p.is_file())
    assert one == two and len(one) > 4
    for rel in one:
        assert (tmp_path / "one" / rel).read_bytes() == (tmp_path / "two" / rel).read_bytes(), rel
    with pytest.raises(BadInputError, match="--workers"):
        synth_dataset(tmp_path / "bad", workers=0, **kw)
    assert not (tmp_path / "bad").exists()
