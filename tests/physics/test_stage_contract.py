"""The contract every stage backend is held to, today's and tomorrow's.

Each registered backend of each stage runs on a generated clip with exact physics; its result
must have the right lengths, units, coordinate frames and vocabularies, and the whole estimate
made with it must validate and survive a round trip through physics.json (unknown fields kept).
A backend registered in the tests only (stage_backends_for_tests) shows that adding a backend
needs no change to the estimator, the command line or the nodes.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from pavas_core.materials import MATERIAL_NAMES
from pavas_core.physics.dynamics import object_dynamics
from pavas_core.physics.estimate import assemble_physics, estimate_physics, observe, run_stage
from pavas_core.physics.options import EstimateOptions
from pavas_core.physics.stages import (
    STAGE_FLAGS,
    Boxes,
    STAGES,
    Discovery,
    MassEstimate,
    Observation,
    SceneGeometry,
    backend_info,
    backend_names,
    create_backend,
    make_context,
)
from pavas_core.physics.tracks import VOCABULARIES, PhysicsTracks

from . import stage_backends_for_tests  # noqa: F401  (registers the test-only backend)
from .conftest import gt_uv

CASES = [(stage, name) for stage in STAGES for name in backend_names(stage)]


def _backend(stage, name, ctx, discovery=None):
    info = backend_info(stage, name)
    settings = info.example_settings(ctx, discovery) if info.example_settings else {}
    return create_backend(stage, name, **settings)


def _chain(clip, stage, name):
    """Run the default chain on `clip` with backend `name` in `stage`: → (ctx, opts, results by stage)."""
    opts = EstimateOptions(**{STAGE_FLAGS[stage]: name})
    ctx = make_context(clip, analysis_max_side=opts.analysis_max_side)
    out = {}
    out["discover"] = run_stage("discover", opts, ctx,
                                backend=_backend("discover", opts.discover, ctx))
    out["boxes"] = run_stage("boxes", opts, ctx, out["discover"],
                             backend=_backend("boxes", opts.boxes, ctx, out["discover"]))
    out["observe"] = observe(opts, ctx, out["discover"], out["boxes"],
                             backend=_backend("observe", opts.masks, ctx, out["discover"]))
    out["geometry"] = run_stage("geometry", opts, ctx, out["discover"], out["observe"],
                                backend=_backend("geometry", opts.geometry, ctx, out["discover"]))
    out["mass"] = run_stage("mass", opts, ctx, out["discover"], out["geometry"],
                            backend=_backend("mass", opts.mass, ctx, out["discover"]))
    return ctx, opts, out


@pytest.fixture(scope="module", params=CASES, ids=[f"{s}-{n}" for s, n in CASES])
def chain(request, bouncing_ball):
    stage, name = request.param
    clip, truth = bouncing_ball
    ctx, opts, out = _chain(clip, stage, name)
    return stage, name, ctx, opts, out, truth


def test_discovery_lists_named_objects_with_sources(chain):
    *_, ctx, opts, out, truth = chain
    d = out["discover"]
    assert isinstance(d, Discovery) and d.context is ctx
    assert len(d.objects) == len(truth.objects)
    for o in d.objects:
        assert isinstance(o.name, str) and o.name.strip()
        assert o.name_source in VOCABULARIES["name_source"]
        assert isinstance(o.moving, bool)
        assert o.material is None or o.material in MATERIAL_NAMES
        assert o.mass_kg is None or (np.isfinite(o.mass_kg) and o.mass_kg > 0)


def test_boxes_are_one_set_per_object_inside_the_analysis_grid(chain):
    stage, name, ctx, opts, out, truth = chain
    boxes = out["boxes"]
    assert isinstance(boxes, Boxes) and len(boxes.objects) == len(out["discover"].objects)
    w, h = ctx.grid_size
    for b in boxes.objects:
        assert isinstance(b.source, str) and b.source
        assert set(b.boxes) == set(b.scores) and (b.source == "none") == (not b.boxes)
        for k, (x0, y0, x1, y1) in b.boxes.items():
            assert 0 <= k < ctx.num_frames and 0 <= b.scores[k] <= 1
            assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
    if stage == "boxes":  # the backend under test found the ball where it is (the truth, projected)
        k, (x0, y0, x1, y1) = boxes.objects[0].first()
        u, v = gt_uv(truth, 0, k, ctx.clip.width) * ctx.clip_to_grid
        assert x0 <= u <= x1 and y0 <= v <= y1


def test_observation_has_one_mask_per_object_and_frame_in_the_analysis_grid(chain):
    *_, ctx, opts, out, truth = chain
    obs = out["observe"]
    assert isinstance(obs, Observation)
    assert len(obs.objects) == len(out["discover"].objects)
    assert obs.grid_size == ctx.grid_size
    assert obs.mask_source in VOCABULARIES["mask_source"]
    w, h = ctx.grid_size
    for o in obs.objects:
        assert o.mask_source is None or o.mask_source in VOCABULARIES["mask_source"]
        assert o.masks.num_frames == ctx.num_frames and o.masks.grid_size == (w, h)
        visible = o.masks.visible()
        assert o.reliable.shape == o.overlap.shape == (ctx.num_frames,)
        assert o.reliable.dtype == bool and o.overlap.dtype == bool
        assert not (o.reliable & ~visible).any(), "a mask that is not there cannot be reliable"
        assert visible.sum() >= 10, "the bouncing ball is in view for most of the clip"
        for k in np.flatnonzero(visible):
            x0, y0, x1, y1 = o.box_xyxy(k)
            assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
            assert o.masks.dense(k).sum() == o.masks.frames[k].area_px > 0


def test_geometry_is_metric_in_a_stated_frame(chain):
    *_, ctx, opts, out, truth = chain
    geo = out["geometry"]
    assert isinstance(geo, SceneGeometry)
    n = ctx.num_frames
    assert len(geo.objects) == len(out["discover"].objects)
    assert geo.frame in VOCABULARIES["frame"]
    assert geo.backend in VOCABULARIES["backend"] and geo.metric_scale_source in VOCABULARIES["metric_scale_source"]
    assert geo.focal_source in VOCABULARIES["focal_source"] and geo.focal_px > 0
    poses = geo.camera_to_world
    assert poses.shape == (n, 4, 4)
    rot = poses[:, :3, :3]
    np.testing.assert_allclose(rot @ rot.transpose(0, 2, 1), np.broadcast_to(np.eye(3), rot.shape), atol=1e-9)
    np.testing.assert_array_equal(poses[:, 3], np.broadcast_to([0.0, 0.0, 0.0, 1.0], (n, 4)))
    for o, obs in zip(geo.objects, out["observe"].objects):
        assert o.centroid_m.shape == (n, 3)
        finite = np.isfinite(o.centroid_m).all(axis=1)
        assert not (finite & ~obs.masks.visible()).any(), "a centroid needs a mask"
        assert not (o.usable & ~finite).any()
        assert o.scale_source in VOCABULARIES["metric_scale_source"]
        assert o.size_source is None or o.size_source in VOCABULARIES["size_source"]
        assert o.pixel_size_m > 0 and o.noise_m >= 0
        if geo.frame == "camera":
            assert (o.centroid_m[finite, 2] > 0).all(), "in front of the camera"


def test_geometry_units_are_metres_gravity_comes_out_at_g_downwards(chain):
    """Units and axes: fitted on the backend's metric centroids, free fall accelerates at 9.81 m/s² along +y."""
    stage, name, ctx, opts, out, truth = chain
    if stage == "geometry" and not backend_info(stage, name).example_calibrated:
        pytest.skip(f"{name}'s example instance has random weights: it measures nothing true")
    geo = out["geometry"]
    dyn = object_dynamics(geo.objects[0], ctx.times_s, ctx.fps, penalty=opts.segment_penalty)
    assert dyn.extra["implied_gravity_mps2"] == pytest.approx(9.81, rel=0.1)
    true_size = truth.objects[0].size_m
    assert geo.objects[0].size_m == pytest.approx(true_size, rel=0.3)


def test_mass_is_positive_with_source_and_confidence(chain):
    *_, ctx, opts, out, truth = chain
    masses = out["mass"]
    assert len(masses) == len(out["discover"].objects)
    for m in masses:
        assert isinstance(m, MassEstimate)
        assert np.isfinite(m.mass_kg) and m.mass_kg > 0
        assert m.source in VOCABULARIES["mass_source"] and 0.0 <= m.confidence <= 1.0
        assert m.material is None or m.material in MATERIAL_NAMES
        assert m.material_source is None or m.material_source in VOCABULARIES["material_source"]


def test_physics_made_with_the_backend_validates_and_round_trips_through_physics_json(chain, tmp_path):
    *_, ctx, opts, out, truth = chain
    tracks = assemble_physics(ctx, out["discover"], out["observe"], out["geometry"], out["mass"], opts)
    tracks.validate()
    assert (tracks.width, tracks.height) == tuple(ctx.source_size) and tracks.num_frames == ctx.num_frames
    for o in tracks.objects:
        assert len(o.speed_mps) == len(o.centroid_m) == len(o.box_xyxy_px) == tracks.num_frames
        assert all(s is None or s >= 0 for s in o.speed_mps)
        for imp in o.impacts:
            assert imp.v_before >= 0 and imp.v_after >= 0 and 0 <= imp.confidence <= 1
            assert imp.delta_ke_j == pytest.approx(0.5 * o.mass_kg * (imp.v_before**2 - imp.v_after**2))
    # without masks (the default) and with them
    plain = PhysicsTracks.from_json(tracks.to_json())
    assert plain.to_json() == tracks.to_json()
    assert all(o.masks is None for o in plain.objects)
    path = tmp_path / "physics.json"
    tracks.save(path, masks=True)
    back = PhysicsTracks.load(path)
    assert back.to_json(masks=True) == tracks.to_json(masks=True)
    for a, b in zip(tracks.objects, back.objects):
        src = a.masks.resized((tracks.width, tracks.height))
        for k in range(tracks.num_frames):
            da, db = src.dense(k), b.masks.dense(k)
            assert (da is None and db is None) or np.array_equal(da, db)


def test_unknown_fields_are_kept_where_they_were(bouncing_ball):
    clip, _ = bouncing_ball
    d = json.loads(estimate_physics(clip).to_json())
    d["from_the_future"] = {"a": 1}
    d["geometry"]["lens"] = "fisheye"
    d["objects"][0]["colour"] = "orange"
    d["objects"][0]["impacts"][0]["sound_file"] = "hit.wav"
    again = json.loads(PhysicsTracks.from_dict(d).to_json())
    assert again["from_the_future"] == {"a": 1} and again["geometry"]["lens"] == "fisheye"
    assert again["objects"][0]["colour"] == "orange"
    assert again["objects"][0]["impacts"][0]["sound_file"] == "hit.wav"


@pytest.mark.parametrize("field, value", [("mass_source", "guess"), ("mask_source", "magic"), ("frame", "lab"),
                                          ("name_source", "oracle"), ("size_source", "vibes")])
def test_a_source_outside_its_vocabulary_is_refused_on_load(bouncing_ball, field, value):
    from pavas_core.errors import BadInputError

    clip, _ = bouncing_ball
    d = json.loads(estimate_physics(clip).to_json())
    d["objects"][0][field] = value
    with pytest.raises(BadInputError, match=field):
        PhysicsTracks.from_dict(d)


def test_an_added_backend_reaches_the_command_line_and_the_estimator_unchanged(bouncing_ball, tmp_path):
    from pavas_core.cli import main as cli_main
    from pavas_core.video import write_video

    clip, truth = bouncing_ball
    video = tmp_path / "ball.mp4"
    write_video(video, clip.frames, clip.fps)
    out = tmp_path / "p.json"
    assert cli_main(["estimate", str(video), "-o", str(out), "--masks", stage_backends_for_tests.NAME]) == 0
    tracks = PhysicsTracks.load(out)
    assert tracks.estimator["stages"]["observe"] == stage_backends_for_tests.NAME
    assert tracks.objects[0].mask_source == "box"
    # the box observer's centroids are the boxes' centres: the impacts are still the ball's
    assert len(tracks.objects[0].impacts) == len(truth.objects[0].impacts)


def test_stages_report_progress_from_start_to_end_and_can_be_cancelled(bouncing_ball):
    from pavas_core.errors import Cancelled

    clip, _ = bouncing_ball
    seen = []
    estimate_physics(clip, progress=lambda d, t: seen.append(d / t))
    assert seen[-1] == 1.0 and seen == sorted(seen) and len(seen) > 10
    with pytest.raises(Cancelled):
        estimate_physics(clip, progress=lambda d, t: d < 0.5 * t)


def test_impacts_say_whether_they_sound_and_why_not_and_the_shots_cover_the_clip(bouncing_ball):
    """Every impact carries `sonified` (and a reason when false); physics.json lists the shots."""
    from pavas_core.errors import BadInputError

    clip, _ = bouncing_ball
    tracks = estimate_physics(clip)
    d = json.loads(tracks.to_json())
    assert d["shots"] == [{"start_frame": 0, "end_frame": tracks.num_frames - 1, "start_s": 0.0,
                           "end_s": pytest.approx(tracks.num_frames / tracks.fps), "kind": "start"}]
    impacts = [im for o in d["objects"] for im in o["impacts"]]
    assert impacts and all(isinstance(im["sonified"], bool) for im in impacts)
    assert all(im["reason"] for im in impacts if not im["sonified"])
    assert all(im["reason"] is None for im in impacts if im["sonified"])
    # a file written before these fields existed: impacts sound, no shots listed
    for im in impacts:
        del im["sonified"], im["reason"]
    del d["shots"]
    old = PhysicsTracks.from_dict(d)
    assert old.shots == [] and all(im.sonified for o in old.objects for im in o.impacts)
    for bad, match in ((dict(kind="wipe"), "shot_kind"), (dict(start_frame=1), "starts at frame 1"),
                       (dict(end_frame=tracks.num_frames - 2), "the shots end")):
        d2 = json.loads(tracks.to_json())
        d2["shots"][0].update(bad)
        with pytest.raises(BadInputError, match=match):
            PhysicsTracks.from_dict(d2)
