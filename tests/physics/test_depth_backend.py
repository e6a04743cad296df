"""Geometry backend 'depth': a transformers metric depth model loaded from a folder, and its flags."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from pavas_core.errors import MissingWeightsError, UnsupportedCheckpointError


@pytest.fixture(scope="module")
def tiny_depth_dir(tmp_path_factory):
    from pavas_core.models.tiny_depth import write_tiny_depth_model

    return write_tiny_depth_model(str(tmp_path_factory.mktemp("depth") / "tiny-da-metric"))


def test_backend_settings_become_flags_and_reach_the_backend(tiny_depth_dir):
    from pavas_core.physics.options import add_estimator_arguments, options_from_args

    parser = argparse.ArgumentParser()
    add_estimator_arguments(parser)
    opts = options_from_args(parser.parse_args(["--geometry", "depth", "--depth", tiny_depth_dir]))
    assert opts.geometry == "depth" and opts.backend_settings == {"depth": {"model_dir": tiny_depth_dir}}
    assert options_from_args(parser.parse_args([])).backend_settings == {}


def test_the_model_folder_loads_as_saved_and_estimates_metric_depth(tiny_depth_dir):
    from pavas_core.models.depth_estimation import estimate_depth, load_depth_model
    from pavas_core.models.tiny_depth import tiny_depth_model

    loaded = load_depth_model(tiny_depth_dir, device="cpu")
    assert loaded.kind == "depth_anything" and loaded.model.config.depth_estimation_type == "metric"
    frames = np.random.default_rng(0).integers(0, 255, size=(3, 30, 40, 3), dtype=np.uint8)
    depth, fov = estimate_depth(loaded, frames, input_side=42)
    again, _ = estimate_depth(tiny_depth_model(0), frames, input_side=42)
    assert depth.shape == (3, 30, 40) and fov is None
    np.testing.assert_allclose(depth, again, rtol=1e-5)  # the saved folder is the same model
    assert (depth > 0).all() and (depth <= 20).all() and depth.std() > 0  # sigmoid · max_depth, not constant


def test_wrong_folders_are_refused_by_name(tmp_path, tiny_depth_dir):
    import json
    import shutil

    from pavas_core.models.depth_estimation import load_depth_model

    with pytest.raises(MissingWeightsError, match="config.json"):
        load_depth_model(tmp_path / "nothing")
    rel = tmp_path / "relative"
    shutil.copytree(tiny_depth_dir, rel)
    cfg = json.loads((rel / "config.json").read_text())
    cfg["depth_estimation_type"] = "relative"
    (rel / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(UnsupportedCheckpointError, match="relative"):
        load_depth_model(rel)


def test_estimate_runs_with_the_depth_model_from_the_command_line(bouncing_ball, tiny_depth_dir, tmp_path):
    from pavas_core.cli import main as cli_main
    from pavas_core.physics.tracks import PhysicsTracks
    from pavas_core.video import write_video

    clip, _ = bouncing_ball
    video = tmp_path / "ball.mp4"
    write_video(video, clip.frames[:30], clip.fps)
    out = tmp_path / "p.json"
    assert cli_main(["estimate", str(video), "-o", str(out), "--geometry", "depth", "--depth", tiny_depth_dir]) == 0
    tracks = PhysicsTracks.load(out)
    assert tracks.geometry.backend == "depth" and tracks.estimator["stages"]["geometry"] == "depth"
    assert tracks.objects and tracks.objects[0].frame == "world"
    assert any("assumed a 60° horizontal field of view" in w for w in tracks.warnings)
