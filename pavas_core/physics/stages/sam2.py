"""Observe backend "sam2": the SAM-2 video predictor prompted with the boxes stage's boxes.

Each object is prompted with its earliest box and tracked through the clip (perception/sam2_video.py:
frames from memory at `image_size`, bounded memory on long clips). SAM-2's masks are checked
before they are used, and the motion observer's masks stand in where they fail, visibly:
- the prompt: on the prompted frame SAM-2's mask must cover its box (box IoU ≥ MIN_PROMPT_IOU);
  otherwise SAM-2 did not take the object and the whole object is observed by motion
  (its mask_source is "motion", with a warning);
- lost frames: a frame where SAM-2 sees no object, or a mask whose area jumps more than
  MAX_AREA_RATIO away from the prompted frame's (a leak onto the background, a jump to another
  object), gets the motion mask of that frame if there is one (counted in the object's
  `sam2_fallback_frames`, with a warning), else none.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import MissingWeightsError, PavasError
from ...perception import MODEL_FAILURES
from ...progress import ProgressCallback
from ..masks import ObjectMasks
from .base import Boxes, Discovery, ObjectObservation, Observation, StageContext, done
from .registry import BackendSetting, register_backend

MIN_PROMPT_IOU = 0.5  # SAM-2's mask on the prompted frame against the prompt box
MAX_AREA_RATIO = 6.0  # a rigid object's area changes this much only by a ×2.4 change of distance
DEFAULT_IMAGE_SIZE = 512  # SAM-2's own is 1024; the analysis frames are 320 px, 512 keeps CPUs usable


def box_iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


class Sam2Observer:
    def __init__(self, checkpoint: str | os.PathLike | None = None, predictor: Any = None,
                 image_size: int = DEFAULT_IMAGE_SIZE, device: Any = None, precision: str | None = None) -> None:
        from ...perception.sam2_video import check_image_size

        if checkpoint is not None and not Path(checkpoint).is_file():
            raise MissingWeightsError(f"sam2: weight file not found: {checkpoint}")
        self.checkpoint, self.predictor = checkpoint, predictor
        self.image_size = check_image_size(image_size)
        self.device, self.precision = device, precision

    def _predictor(self):
        if self.predictor is None:
            from ...perception import cached_sam2

            self.predictor = cached_sam2(self.checkpoint, image_size=self.image_size, device=self.device,
                                         precision=self.precision)
        return self.predictor

    def observe(self, ctx: StageContext, discovery: Discovery, boxes: Boxes | None, options: Any,
                progress: ProgressCallback | None = None) -> Observation:
        from ...perception.sam2_video import track_boxes
        from .motion import MotionObserver

        fallback = MotionObserver().observe(ctx, discovery, boxes, options)
        warnings = list(fallback.warnings)
        n = len(discovery.objects)
        prompts = [b.first() for b in boxes.objects] if boxes is not None and len(boxes.objects) == n else [None] * n
        tracked: list[ObjectMasks | None] = [None] * n
        if self.predictor is None and self.checkpoint is None:
            warnings.append("masks: no SAM-2 model was given (--sam2 FILE, or connect 'Load SAM-2'); "
                            "motion masks are used")
        elif any(p is not None for p in prompts):
            try:
                tracked = list(track_boxes(self._predictor(), ctx.frames, prompts, progress=progress))
            except (PavasError, KeyboardInterrupt):  # cancelled, or a model that cannot load: said as an error
                raise
            except MODEL_FAILURES as exc:  # a model failure: said, then the fallback
                detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
                warnings.append(f"masks: SAM-2 failed ({type(exc).__name__}: {detail}); motion masks are used")
        stand_ins = _matching_motion(ctx, tracked, fallback.objects)
        objects = []
        for i in range(n):
            objects.append(self._checked(i, tracked[i], prompts[i], stand_ins[i], boxes, warnings))
        _mark_overlaps(objects)
        done(progress)
        return Observation(objects, grid_size=ctx.grid_size, backend="sam2", mask_source="sam2", warnings=warnings)

    @staticmethod
    def _checked(i: int, masks: ObjectMasks | None, prompt: Any, motion: ObjectObservation, boxes: Boxes | None,
                 warnings: list[str]) -> ObjectObservation:
        box_source = boxes.objects[i].source if boxes is not None and i < len(boxes.objects) else "none"
        motion_only = ObjectObservation(motion.masks, motion.reliable.copy(), motion.overlap.copy(),
                                        extra={"box_source": box_source}, mask_source="motion")
        if masks is None or prompt is None:
            if prompt is None:
                warnings.append(f"masks: object {i} has no box to prompt SAM-2 with; its motion masks are used")
            return motion_only
        k0, box = prompt
        got = masks.box_xyxy(k0)
        iou = box_iou(tuple(float(v) for v in got), box) if got is not None else 0.0
        if iou < MIN_PROMPT_IOU:
            warnings.append(f"masks: SAM-2 did not segment object {i} from its box (mask/box IoU {iou:.2f} < "
                            f"{MIN_PROMPT_IOU}); its motion masks are used")
            motion_only.extra["sam2_prompt_iou"] = round(iou, 3)
            return motion_only
        ref_area = float(masks.frames[k0].area_px)
        out = ObjectMasks.empty(masks.num_frames, masks.grid_size)
        reliable = np.zeros(masks.num_frames, bool)
        lost = substituted = 0
        for k, fm in enumerate(masks.frames):
            ok = fm is not None and 1.0 / MAX_AREA_RATIO <= fm.area_px / ref_area <= MAX_AREA_RATIO
            if ok:
                out.frames[k] = fm
                reliable[k] = True
                continue
            lost += 1
            if motion.masks.frames[k] is not None:
                out.frames[k] = motion.masks.frames[k]
                reliable[k] = bool(motion.reliable[k])
                substituted += 1
        if lost:
            warnings.append(f"masks: SAM-2 lost object {i} in {lost} frame(s); motion masks stand in on "
                            f"{substituted} of them")
        return ObjectObservation(out, reliable, np.zeros(masks.num_frames, bool),
                                 extra={"box_source": box_source, "sam2_prompt_iou": round(iou, 3),
                                        "sam2_fallback_frames": substituted, "sam2_lost_frames": lost})


def _matching_motion(ctx: StageContext, tracked: list[ObjectMasks | None],
                     by_order: list[ObjectObservation]) -> list[ObjectObservation]:
    """For each object, the motion blob track that overlaps SAM-2's masks of it most (objects from a
    VLM come in the VLM's order, not in the order motion sees them); by order where SAM-2 has none."""
    from .motion import MotionObserver, motion_tracks

    if not any(m is not None for m in tracked):
        return by_order
    candidates = [MotionObserver._observe_track(ctx, tr) for tr in motion_tracks(ctx)]
    out, taken = list(by_order), set()
    for i, masks in enumerate(tracked):
        if masks is None:
            continue
        scores = []
        for j, cand in enumerate(candidates):
            both = np.flatnonzero(masks.visible() & cand.masks.visible())
            scores.append(sum(int((masks.dense(k) & cand.masks.dense(k)).sum()) for k in both))
        best = int(np.argmax(scores)) if scores else -1
        if best >= 0 and scores[best] > 0 and best not in taken:
            out[i] = candidates[best]
            taken.add(best)
    return out


def _mark_overlaps(objects: list[ObjectObservation]) -> None:
    """overlap[k]: the object's mask meets another object's in frame k (its extent may be off)."""
    for i, a in enumerate(objects):
        for j in range(i + 1, len(objects)):
            b = objects[j]
            for k in np.flatnonzero(a.masks.visible() & b.masks.visible()):
                if (a.masks.dense(k) & b.masks.dense(k)).any():
                    a.overlap[k] = b.overlap[k] = True


def _example_settings(ctx: StageContext, discovery: Discovery | None) -> dict[str, Any]:
    """For the contract test: a stand-in with SAM-2's predictor interface that returns the motion
    blobs (the real SAM-2, at random weights, runs in tests/perception on a short clip: on the
    contract's 75-frame clip it would take minutes on a CPU)."""
    from ...perception.sam2_video import ReplayPredictor
    from .motion import MotionObserver

    observed = MotionObserver().observe(ctx, discovery, None, None)
    return {"predictor": ReplayPredictor([o.masks for o in observed.objects])}


register_backend("observe", "sam2", Sam2Observer,
                 description="SAM-2 video masks prompted with each object's box; motion masks where SAM-2 "
                             "loses the object",
                 sources={"mask_source": ("sam2", "motion")}, example_settings=_example_settings,
                 settings=(BackendSetting("checkpoint", "--sam2", "SAM-2 weight file (.pt or .safetensors, e.g. "
                                          "sam2.1_hiera_tiny.pt)", metavar="FILE"),
                           BackendSetting("image_size", "--sam2-image-size", f"SAM-2 works on frames resized to this "
                                          f"square size (default {DEFAULT_IMAGE_SIZE}; 1024 is SAM-2's own)",
                                          int, "PX"),
                           BackendSetting("device", "--device", "device of the learned models", metavar="DEV"),
                           BackendSetting("precision", "--precision", "weight precision of the learned models",
                                          metavar="P")))
