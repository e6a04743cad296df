"""ComfyUI 0.25's SAM 3 track data (SAM3_TRACK_DATA) read into per-object masks, gaps and all."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pavas_core.errors import BadInputError
from pavas_core.perception.sam3_track import pack_frame, track_to_object_masks, unpack_frame
from pavas_core.physics.estimate import assemble_physics, run_stage, settle_masses
from pavas_core.physics.options import EstimateOptions
from pavas_core.physics.stages import make_context
from pavas_core.physics.stages.mask_input import observe_sam3_track

MODEL_SIDE = 128  # SAM 3 tracks at its own square size; the masks stretch over the frame


def test_packing_is_eight_pixels_per_byte_lowest_bit_leftmost():
    row = np.zeros((1, 1, 16), bool)
    row[0, 0, [0, 9, 15]] = True
    packed = pack_frame(row)
    assert packed.tolist() == [[[1, 2 | 128]]]  # ComfyUI's pack_masks: bit j of byte b is pixel 8b + j
    assert np.array_equal(unpack_frame(packed), row)


def sam3_track(truth, *, missing=(), extra_object=False):
    """What 'Run SAM3 Video Track' gives for the ground truth: masks stretched to MODEL_SIDE², packed."""
    from PIL import Image

    gt = truth.objects[0].masks
    planes = []
    for k in range(gt.num_frames):
        dense = gt.dense(k)
        plane = np.zeros((MODEL_SIDE, MODEL_SIDE), bool)
        if dense is not None and k not in missing:
            img = Image.fromarray(dense.astype(np.uint8) * 255).resize((MODEL_SIDE, MODEL_SIDE), Image.BILINEAR)
            plane = np.asarray(img) >= 128
        objects = [plane] + ([np.zeros_like(plane)] if extra_object else [])
        planes.append(pack_frame(np.stack(objects)))
    w, h = gt.grid_size
    return {"packed_masks": torch.from_numpy(np.stack(planes)), "n_frames": gt.num_frames,
            "scores": [1.0] * (2 if extra_object else 1), "orig_size": (h, w)}


def test_track_data_become_the_objects_masks_with_frames_it_missed_left_empty(ball):
    clip, truth = ball
    gt = truth.objects[0].masks
    seen = np.flatnonzero(gt.visible())
    missing = set(int(k) for k in seen[5:9])
    masks, notes = track_to_object_masks(sam3_track(truth, missing=missing), gt.num_frames, gt.grid_size)
    (m,) = masks
    for k in seen:
        if k in missing:
            assert m.frames[k] is None
            continue
        a, b = m.dense(k), gt.dense(k)
        iou = (a & b).sum() / (a | b).sum()
        assert iou > 0.75, (k, iou)  # through a 128-px square and back
    assert len(notes) == 1 and f"not tracked in {gt.num_frames - len(seen) + 4} of {gt.num_frames}" in notes[0]


def test_physics_from_sam3_masks_is_the_balls_and_says_where_the_masks_came_from(ball):
    clip, truth = ball
    gt = truth.objects[0].masks
    missing = set(int(k) for k in np.flatnonzero(gt.visible())[5:9])
    opts = EstimateOptions()
    ctx = make_context(clip, analysis_max_side=opts.analysis_max_side)
    discovery = run_stage("discover", opts, ctx)
    obs = observe_sam3_track(discovery, sam3_track(truth, missing=missing, extra_object=True), object_indices=[0])
    assert obs.mask_source == "sam3" and obs.context is ctx
    assert any("SAM 3 object 0 is not tracked in" in w for w in obs.warnings)
    geo = run_stage("geometry", opts, ctx, discovery, obs)
    tracks = assemble_physics(ctx, discovery, obs, geo, settle_masses(discovery, run_stage("mass", opts, ctx, discovery,
                                                                                          geo), opts), opts)
    (obj,) = tracks.objects
    assert obj.mask_source == "sam3"
    assert all(obj.speed_mps[k] is None for k in missing)
    assert len(obj.impacts) == len(truth.objects[0].impacts)


@pytest.mark.parametrize("track, message", [
    ({"n_frames": 3}, "track_data"),
    ({"packed_masks": None, "n_frames": 75, "orig_size": "big"}, "orig_size"),
    ({"packed_masks": torch.zeros(75, 1, 8, 2, dtype=torch.float32), "n_frames": 75, "orig_size": (240, 320)}, "uint8"),
    ({"packed_masks": torch.zeros(10, 1, 8, 2, dtype=torch.uint8), "n_frames": 10, "orig_size": (240, 320)},
     "covers 10 frames"),
    ({"packed_masks": None, "n_frames": 75, "scores": [], "orig_size": (240, 320)}, "no tracked object"),
])
def test_track_data_that_do_not_fit_the_clip_are_refused_in_one_line(ball, track, message):
    clip, _ = ball
    opts = EstimateOptions()
    ctx = make_context(clip, analysis_max_side=opts.analysis_max_side)
    discovery = run_stage("discover", opts, ctx)
    with pytest.raises(BadInputError, match=message):
        observe_sam3_track(discovery, track)


def test_an_object_index_sam3_does_not_have_is_refused(ball):
    _, truth = ball
    gt = truth.objects[0].masks
    with pytest.raises(BadInputError, match="object index 3"):
        track_to_object_masks(sam3_track(truth), gt.num_frames, gt.grid_size, object_indices=[3])
