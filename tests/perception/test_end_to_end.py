"""The whole estimator with the real learned backends at random weights, from the command line:
VLM (Qwen2.5-VL layout), Florence-2 and SAM-2 (sam2.1 hiera tiny) from tiny files, on a generated clip."""

from __future__ import annotations

import json

import numpy as np

from pavas_core.physics.tracks import VOCABULARIES, PhysicsTracks


def check_physics_contract(tracks: PhysicsTracks, path) -> None:
    """What the stage contract asks of any estimate (tests/physics/test_stage_contract.py), on a file."""
    tracks.validate()
    for o in tracks.objects:
        assert len(o.speed_mps) == len(o.centroid_m) == len(o.box_xyxy_px) == tracks.num_frames
        assert all(s is None or (s >= 0 and np.isfinite(s)) for s in o.speed_mps)
        for field in ("name_source", "mass_source", "mask_source"):
            assert getattr(o, field) in VOCABULARIES[field]
        assert o.mass_kg > 0 and 0 <= o.mass_confidence <= 1
        for imp in o.impacts:
            assert abs(imp.delta_ke_j - 0.5 * o.mass_kg * (imp.v_before**2 - imp.v_after**2)) < 1e-6 * max(1, imp.delta_ke_j)
    back = PhysicsTracks.load(path)
    assert back.to_json(masks=True) == tracks.to_json(masks=True)


def test_estimate_with_every_learned_backend_runs_on_a_cpu_and_says_what_it_fell_back_to(
        tiny_perception_dir, short_ball, tmp_path):
    from pavas_core.cli import main as cli_main
    from pavas_core.video import write_video

    clip, truth = short_ball
    video, out = tmp_path / "ball.mp4", tmp_path / "physics.json"
    write_video(video, clip.frames, clip.fps)
    llm = tiny_perception_dir / "LLM"
    argv = ["estimate", str(video), "-o", str(out), "--with-masks", "--device", "cpu", "--precision", "fp32",
            "--discover", "vlm", "--vlm", str(llm / "Qwen2.5-VL-3B-Instruct"), "--vlm-frames", "4",
            "--vlm-max-tokens", "16",
            "--boxes", "florence2", "--florence2", str(llm / "Florence-2-base"),
            "--masks", "sam2", "--sam2", str(tiny_perception_dir / "sam2" / "sam2.1_hiera_tiny.pt"),
            "--sam2-image-size", "128",
            "--mass", "vlm"]
    assert cli_main(argv) == 0
    tracks = PhysicsTracks.load(out)
    check_physics_contract(tracks, out)
    raw = json.loads(out.read_text())
    assert raw["estimator"]["stages"] == {"discover": "vlm", "boxes": "florence2", "observe": "sam2",
                                          "geometry": "gravity", "mass": "vlm"}
    warnings = " | ".join(tracks.warnings)
    # random weights: the VLM's text is no JSON (asked three times), so motion found the ball and the
    # prior weighed it; whatever SAM-2 did with its prompt is said per object
    assert "no usable VLM answer" in warnings and "found by motion instead" in warnings
    assert "no mass from the VLM" in warnings
    (obj,) = tracks.objects
    assert obj.mass_source == "prior" and obj.name_source == "generic"
    assert obj.extra["box_source"] in ("florence2", "motion")
    if obj.mask_source == "motion":
        assert "SAM-2 did not segment object 0" in warnings
    else:
        assert obj.mask_source == "sam2" and "sam2_lost_frames" in obj.extra
    assert len(raw["objects"][0]["masks"]["frames"]) == clip.num_frames
