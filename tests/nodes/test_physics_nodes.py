"""Estimate Physics, Edit Physics, Physics Preview."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import make_tracks


def edit(pack, tracks, **kw):
    args = {"object_id": -1, "mass_scale": 1.0, "mass_kg": 0.0, "speed_scale": 1.0, "material": "keep"} | kw
    return pack.NODE_CLASS_MAPPINGS["PAVAS_EditPhysics"]().edit(tracks, **args)


def estimate(pack, clip, **kw):
    args = {"object_names": "", "object_size_m": 0.0, "meters_per_px": 0.0, "focal_px": 0.0, "max_objects": 4} | kw
    return pack.NODE_CLASS_MAPPINGS["PAVAS_EstimatePhysics"]().estimate(clip, **args)


def test_estimate_finds_the_bouncing_object_its_impacts_and_sends_the_timeline(pack, core, scene_video):
    _, _, _, clip = pack.NODE_CLASS_MAPPINGS["PAVAS_LoadVideo"]().load(
        "scene.mp4", max_side=0, force_fps=0.0, start_s=0.0, max_duration_s=0.0)
    out = estimate(pack, clip, object_names="stone")
    tracks, text = out["result"]
    assert isinstance(tracks, core.physics.tracks.PhysicsTracks)
    assert tracks.num_frames == clip.num_frames and tracks.fps == pytest.approx(clip.fps)
    (obj,) = tracks.objects
    assert obj.name == "stone" and len(obj.impacts) >= 2
    assert json.loads(text)["schema"] == 1
    (timeline,) = out["ui"]["pavas_timeline"]
    assert [len(o["impacts"]) for o in timeline["objects"]] == [len(obj.impacts)]
    json.dumps(timeline, allow_nan=False)  # what the websocket sends must be plain JSON


def test_estimate_of_a_clip_without_motion_gives_no_objects_and_says_so(pack, core):
    still = core.video.clip_from_frames(np.full((12, 24, 32, 3), 90, np.uint8), 12.0)
    tracks, _ = estimate(pack, still)["result"]
    assert tracks.objects == [] and any("no moving object" in w for w in tracks.warnings)


def test_estimate_refuses_something_that_is_not_a_clip(pack, core):
    with pytest.raises(core.errors.BadInputError, match="expected PAVAS_CLIP"):
        estimate(pack, np.zeros((4, 8, 8, 3)))


def test_edit_makes_the_object_heavier_and_its_impacts_more_energetic(pack, core, tracks):
    out = edit(pack, tracks, mass_scale=2.0)
    (heavier,) = out["result"]
    before, after = tracks.objects[0], heavier.objects[0]
    assert after.mass_kg == pytest.approx(2 * before.mass_kg) and after.mass_source == "user"
    for a, b in zip(before.impacts, after.impacts):
        assert b.delta_ke_j == pytest.approx(2 * a.delta_ke_j)
    (row,) = out["ui"]["pavas_objects"]
    assert row["mass_before_kg"] == pytest.approx(0.6) and row["mass_after_kg"] == pytest.approx(1.2)
    assert tracks.objects[0].mass_kg == pytest.approx(0.6)  # the input is not changed in place


def test_edit_sets_mass_speed_and_material(pack, core, tracks):
    (edited,) = edit(pack, tracks, object_id=0, mass_kg=5.0, speed_scale=0.5, material="steel")["result"]
    obj = edited.objects[0]
    assert obj.mass_kg == pytest.approx(5.0) and obj.material == "steel"
    assert obj.impacts[0].v_before == pytest.approx(0.5 * tracks.objects[0].impacts[0].v_before)


def test_edit_of_an_unknown_object_says_which_exist(pack, core, tracks):
    with pytest.raises(core.errors.BadInputError, match="7"):
        edit(pack, tracks, object_id=7, mass_scale=2.0)


def test_edit_refuses_nan_physics(pack, core, tracks):
    tracks.objects[0].speed_mps[3] = float("nan")
    with pytest.raises(core.errors.BadInputError, match="speed_mps"):
        edit(pack, tracks)


def test_preview_draws_the_plot_and_sends_image_and_timeline(pack, comfy, tracks):
    out = pack.NODE_CLASS_MAPPINGS["PAVAS_PhysicsPreview"]().preview(tracks, width=400, height=200)
    (image,) = out["result"]
    assert tuple(image.shape) == (1, 200, 400, 3)
    assert float(image.std()) > 0.02  # not a blank picture
    (entry,) = out["ui"]["images"]
    assert (comfy.temp_dir / entry["subfolder"] / entry["filename"]).is_file()
    (timeline,) = out["ui"]["pavas_timeline"]
    assert [i["time_s"] for i in timeline["objects"][0]["impacts"]] == [0.5, 1.1, 1.6]


def test_preview_of_a_clip_without_moving_objects_still_draws(pack, core):
    empty = make_tracks(core)
    empty.objects = []
    (image,) = pack.NODE_CLASS_MAPPINGS["PAVAS_PhysicsPreview"]().preview(empty, width=200, height=120)["result"]
    assert tuple(image.shape) == (1, 120, 200, 3)


def test_preview_refuses_bad_physics(pack, core):
    with pytest.raises(core.errors.BadInputError, match="expected PAVAS_PHYSICS"):
        pack.NODE_CLASS_MAPPINGS["PAVAS_PhysicsPreview"]().preview(None, width=400, height=200)
