"""SAM-2: built from the packaged config without hydra's search path, fed from memory, bounded state;
the observer's checks of SAM-2's masks and its visible fallback to motion masks."""

from __future__ import annotations

import numpy as np
import pytest

from pavas_core.errors import UnsupportedCheckpointError
from pavas_core.perception.sam2_video import ReplayPredictor, build_sam2, detect_variant, held_frame_outputs, \
    load_sam2, memory_window, track_boxes
from pavas_core.physics.estimate import estimate_physics
from pavas_core.physics.options import EstimateOptions


@pytest.fixture(scope="module")
def tiny_sam2(tiny_perception_dir):
    return load_sam2(tiny_perception_dir / "sam2" / "sam2.1_hiera_tiny.pt", image_size=128)


def test_the_packaged_config_builds_when_hydra_was_initialised_elsewhere(tmp_path):
    """Another custom node initialising hydra breaks the package's own builder (hydra.compose searches the
    global path); building from the packaged YAML does not depend on it."""
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from sam2.build_sam import build_sam2_video_predictor

    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(tmp_path), version_base="1.2"):
            with pytest.raises(Exception, match="Cannot find primary config"):
                build_sam2_video_predictor("configs/sam2.1/sam2.1_hiera_t.yaml", device="cpu")
            predictor = build_sam2("tiny", image_size=256)
    finally:
        from hydra import initialize_config_module

        GlobalHydra.instance().clear()
        initialize_config_module("sam2", version_base="1.2")  # as `import sam2` left it
    assert predictor.image_size == 256 and predictor.sam_image_embedding_size == 16
    assert sum(p.numel() for p in predictor.parameters()) == 38_962_498  # sam2.1 hiera tiny


def test_the_variant_is_read_from_the_tensors(tiny_sam2, tmp_path):
    state = tiny_sam2.state_dict()
    assert detect_variant(state) == ("tiny", "2.1")
    no21 = {k: v for k, v in state.items() if not k.startswith("no_obj_embed_spatial")}
    assert detect_variant(no21) == ("tiny", "2")
    more = dict(state, **{f"image_encoder.trunk.blocks.{i}.norm1.weight": state["image_encoder.trunk.blocks.0.norm1.weight"]
                          for i in range(12, 16)})
    assert detect_variant(more)[0] == "small"
    with pytest.raises(UnsupportedCheckpointError, match="is this a SAM-2 checkpoint"):
        detect_variant({"image_encoder.trunk.blocks.4.norm1.weight": state["image_encoder.trunk.blocks.0.norm1.weight"]})


def test_a_safetensors_copy_loads_and_a_foreign_file_is_refused(tiny_sam2, tmp_path):
    from safetensors.torch import save_file

    state = {k: v.contiguous() for k, v in tiny_sam2.state_dict().items()}
    path = tmp_path / "sam2.1_hiera_tiny.safetensors"
    save_file(state, str(path))
    again = load_sam2(path, image_size=128)
    assert again.pavas_variant == "sam2.1_tiny"
    assert all(bool((a == b).all()) for a, b in zip(again.state_dict().values(), state.values()))
    save_file({"encoder.weight": state["image_encoder.trunk.blocks.0.norm1.weight"]}, str(tmp_path / "x.safetensors"))
    with pytest.raises(UnsupportedCheckpointError):
        load_sam2(tmp_path / "x.safetensors", image_size=128)


def test_random_sam2_tracks_frames_from_memory_and_keeps_only_its_memory_window(tiny_sam2, short_ball):
    clip, truth = short_ball
    frames = np.asarray(clip.frames)[:12]
    gt = truth.objects[0].masks
    k0 = int(np.flatnonzero(gt.visible())[0])
    tiny_sam2.max_obj_ptrs_in_encoder = 4  # a short window, so 12 frames show the pruning
    try:
        window = memory_window(tiny_sam2)
        states = []
        (masks,) = track_boxes(tiny_sam2, frames, [(k0, gt.box_xyxy(k0))], state_out=states)
    finally:
        tiny_sam2.max_obj_ptrs_in_encoder = 16
    assert window == 8  # 7 mask memories (num_maskmem) + the current frame
    assert masks.num_frames == 12 and masks.grid_size == (clip.width, clip.height)
    held = held_frame_outputs(states[0])
    assert held <= window + 2 < 12, held  # the prompt frame + the last `window` frames, not the whole clip
    assert len(states[0]["cached_features"]) == 1  # image features of one frame at a time


def _observe(ball, predictor, prompt_boxes=None):
    """The observe stage with SAM-2's interface replaying `predictor`'s masks; prompts from the truth."""
    from pavas_core.physics.estimate import observe, run_stage
    from pavas_core.physics.stages import Boxes, ObjectBoxes, create_backend, make_context

    clip, truth = ball
    opts = EstimateOptions(masks="sam2")
    ctx = make_context(clip, analysis_max_side=opts.analysis_max_side)
    assert ctx.clip_to_grid == 1.0
    discovery = run_stage("discover", opts, ctx)
    gt = truth.objects[0].masks
    k0 = int(np.flatnonzero(gt.visible())[0])
    box = prompt_boxes or tuple(float(v) for v in gt.box_xyxy(k0))
    boxes = Boxes([ObjectBoxes({k0: box}, {k0: 1.0}, "florence2")], backend="florence2")
    return observe(opts, ctx, discovery, boxes, backend=create_backend("observe", "sam2", predictor=predictor)), gt


def test_sam2_masks_are_used_as_they_are_when_they_hold(ball):
    _, truth = ball
    obs, gt = _observe(ball, ReplayPredictor([truth.objects[0].masks]))
    (o,) = obs.objects
    assert obs.mask_source == "sam2" and o.mask_source is None and not obs.warnings
    for k in range(gt.num_frames):
        a, b = o.masks.dense(k), gt.dense(k)
        assert (a is None and b is None) or np.array_equal(a, b)
    assert o.reliable.tolist() == gt.visible().tolist()
    assert o.extra["box_source"] == "florence2" and o.extra["sam2_lost_frames"] == 0


def test_frames_where_sam2_loses_the_object_get_the_motion_mask_and_a_warning(ball):
    _, truth = ball
    gt = truth.objects[0].masks
    lost = [k for k in np.flatnonzero(gt.visible())[10:14]]
    obs, _ = _observe(ball, ReplayPredictor([gt], drop={0: lost}))
    (o,) = obs.objects
    assert o.extra["sam2_lost_frames"] == 4 and o.extra["sam2_fallback_frames"] == 4
    assert any(f"SAM-2 lost object 0 in 4 frame(s)" in w for w in obs.warnings)
    for k in lost:  # the motion blob stands in: it overlaps the true mask
        assert o.masks.dense(k) is not None and (o.masks.dense(k) & gt.dense(k)).sum() > 0.5 * gt.frames[k].area_px


def test_a_prompt_sam2_does_not_take_leaves_the_object_to_motion(ball):
    _, truth = ball
    gt = truth.objects[0].masks
    moved = type(gt).empty(gt.num_frames, gt.grid_size)  # SAM-2 segmented something else: the top-left corner
    for k in range(gt.num_frames):
        moved.with_frame(k, 0, 0, np.ones((20, 20), bool))
    obs, _ = _observe(ball, ReplayPredictor([moved]))
    (o,) = obs.objects
    assert o.mask_source == "motion" and o.extra["sam2_prompt_iou"] < 0.5
    assert any("SAM-2 did not segment object 0 from its box" in w for w in obs.warnings)


def test_without_a_model_the_motion_masks_are_used_and_the_warning_says_how_to_give_one(ball):
    clip, truth = ball
    tracks = estimate_physics(clip, options=EstimateOptions(masks="sam2"))
    assert tracks.objects[0].mask_source == "motion" and tracks.estimator["stages"]["observe"] == "sam2"
    assert any("no SAM-2 model was given (--sam2 FILE" in w for w in tracks.warnings)
    assert len(tracks.objects[0].impacts) == len(truth.objects[0].impacts)


def test_lost_frames_get_the_motion_blob_of_the_same_object_whatever_order_the_objects_came_in(two_balls):
    """A VLM lists objects in its own order: the stand-in blob is the one that overlaps SAM-2's masks."""
    import dataclasses

    from pavas_core.physics.estimate import observe, run_stage
    from pavas_core.physics.stages import Boxes, ObjectBoxes, create_backend, make_context

    clip, truth = two_balls
    opts = EstimateOptions(masks="sam2")
    ctx = make_context(clip, analysis_max_side=opts.analysis_max_side)
    found = run_stage("discover", opts, ctx)
    assert len(found.objects) == 2
    # the objects as a VLM might list them: the other way round, with no motion tracks attached
    reversed_objects = [dataclasses.replace(o, handle=None) for o in reversed(found.objects)]
    discovery = dataclasses.replace(found, objects=reversed_objects)
    gts = [o.masks for o in truth.objects]
    firsts = [int(np.flatnonzero(g.visible())[0]) for g in gts]
    order = sorted(range(2), key=lambda i: -gts[i].box_xyxy(firsts[i])[0])  # right ball first, as reversed
    replay = [gts[i] for i in order]
    lost = {j: list(np.flatnonzero(replay[j].visible())[8:12]) for j in range(2)}
    boxes = Boxes([ObjectBoxes({firsts[i]: tuple(float(v) for v in gts[i].box_xyxy(firsts[i]))}, {firsts[i]: 1.0},
                               "florence2") for i in order], backend="florence2")
    obs = observe(opts, ctx, discovery, boxes,
                  backend=create_backend("observe", "sam2", predictor=ReplayPredictor(replay, drop=lost)))
    for j, o in enumerate(obs.objects):
        assert o.extra["sam2_fallback_frames"] == 4
        for k in lost[j]:
            stand_in, right = o.masks.dense(k), replay[j].dense(k)
            assert (stand_in & right).sum() > 0.5 * right.sum(), (j, k)
