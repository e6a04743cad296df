"""Florence-2 boxes: its location tokens read back exactly, the boxes backend and its fallback."""

from __future__ import annotations

import pytest

from pavas_core.perception.florence2 import parse_locations
from pavas_core.physics.estimate import run_stage
from pavas_core.physics.options import EstimateOptions
from pavas_core.physics.stages import create_backend, make_context


def test_location_tokens_become_pixel_boxes():
    # Florence-2's own integration example: "wheels" on a 640x480 picture → (92, 273, 557, 373) after rounding
    ((label, box),) = parse_locations("</s><s>wheels<loc_144><loc_570><loc_870><loc_778></s>", 640, 480)
    assert label == "wheels"
    assert box == pytest.approx(((144.5 / 1000) * 640, (570.5 / 1000) * 480, (870.5 / 1000) * 640,
                                 (778.5 / 1000) * 480))
    assert [round(v) for v in box] == [92, 274, 557, 374]


def test_several_boxes_labels_and_malformed_ones():
    text = "ball<loc_0><loc_0><loc_499><loc_499>ball<loc_500><loc_500><loc_999><loc_999>bad<loc_9><loc_9><loc_3><loc_3>"
    out = parse_locations(text, 1000, 100)
    assert [label for label, _ in out] == ["ball", "ball"]  # the box with x1 < x0 is dropped
    assert out[0][1] == pytest.approx((0.5, 0.05, 499.5, 49.95))
    assert out[1][1] == pytest.approx((500.5, 50.05, 999.5, 99.95))
    assert parse_locations("no boxes here", 10, 10) == []
    assert parse_locations("a<loc_1><loc_2><loc_3>", 10, 10) == []  # three tokens are no box


class ListDetector:
    """Florence-2's interface; returns the given boxes (clip pixels) for the given names, on every frame."""

    task = None

    def __init__(self, boxes_by_name):
        self.boxes_by_name = boxes_by_name
        self.calls = []

    def detect(self, image, name):
        self.calls.append(name)
        return list(self.boxes_by_name.get(name, []))


def _boxes(ball, detector, names):
    clip, _ = ball
    opts = EstimateOptions(object_names=names, boxes="florence2")
    ctx = make_context(clip, analysis_max_side=opts.analysis_max_side)
    discovery = run_stage("discover", opts, ctx)
    backend = create_backend("boxes", "florence2", detector=detector)
    return ctx, run_stage("boxes", opts, ctx, discovery, backend=backend)


def test_found_objects_get_florence_boxes_in_the_analysis_grid(ball):
    det = ListDetector({"basketball": [(100.0, 50.0, 140.0, 90.0)]})
    ctx, boxes = _boxes(ball, det, ["basketball"])
    (b,) = boxes.objects
    assert b.source == "florence2" and list(b.boxes) == [0]  # found on the first scanned frame
    assert b.boxes[0] == pytest.approx(tuple(v * ctx.clip_to_grid for v in (100.0, 50.0, 140.0, 90.0)))
    assert not boxes.warnings and det.calls == ["basketball"]


def test_an_object_florence_does_not_find_keeps_its_motion_box_and_says_so(ball):
    det = ListDetector({})
    ctx, boxes = _boxes(ball, det, ["basketball"])
    (b,) = boxes.objects
    assert b.source == "motion" and b.boxes
    assert any("did not find object(s) 0 (basketball)" in w for w in boxes.warnings)
    assert len(det.calls) == 8  # every scanned frame was tried


def test_without_a_model_every_object_has_its_motion_box(ball):
    clip, _ = ball
    opts = EstimateOptions(boxes="florence2")
    ctx = make_context(clip, analysis_max_side=opts.analysis_max_side)
    boxes = run_stage("boxes", opts, ctx, run_stage("discover", opts, ctx))
    assert [b.source for b in boxes.objects] == ["motion"]
    assert any("no Florence-2 model was given (--florence2 DIR" in w for w in boxes.warnings)


def test_the_tiny_random_florence2_loads_offline_and_answers(tiny_perception_dir, short_ball):
    from pavas_core.perception import cached_florence2

    folder = tiny_perception_dir / "LLM" / "Florence-2-base"
    det = cached_florence2(folder, device="cpu")
    assert cached_florence2(folder, device="cpu") is det  # loaded once (model registry)
    det.max_new_tokens, det.num_beams = 12, 1  # random weights: a short answer is as good as a long one
    clip, _ = short_ball
    text = det.generate_text(clip.frames[0], "<OPEN_VOCABULARY_DETECTION>basketball")
    assert isinstance(text, str) and text
    for box in det.detect(clip.frames[0], "basketball"):
        x0, y0, x1, y1 = box
        assert 0 <= x0 < x1 <= clip.width and 0 <= y0 < y1 <= clip.height
