"""Boxes backend "florence2": Florence-2 finds each discovered object by its name.

Frames spread over the clip are scanned from the start (`scan_frames` of them); each object gets
the boxes of its name on the first scanned frames where Florence-2 finds it (objects of the same
name take its boxes left to right, in order). An object Florence-2 does not find, or every object
when no model is given or it fails, gets the motion backend's boxes instead, with a warning
(`ObjectBoxes.source` says which).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import BadInputError, MissingWeightsError, PavasError
from ...perception import MODEL_FAILURES
from ...progress import ProgressCallback, report
from .base import Boxes, Discovery, ObjectBoxes, StageContext
from .registry import BackendSetting, register_backend

DEFAULT_SCAN_FRAMES = 8
BOXES_PER_OBJECT = 1  # the first frame it is found on: a segmenter needs one prompt per object


class Florence2Boxes:
    def __init__(self, model_dir: str | os.PathLike | None = None, detector: Any = None, task: str | None = None,
                 scan_frames: int = DEFAULT_SCAN_FRAMES, device: Any = None, precision: str | None = None,
                 trust_remote_code: bool = False) -> None:
        from ...perception.florence2 import TASKS

        if model_dir is not None and not Path(model_dir).is_dir():
            raise MissingWeightsError(f"florence2: model folder not found: {model_dir}")
        if task is not None and task not in TASKS:
            raise BadInputError(f"florence2: task must be one of {', '.join(TASKS)}, got {task!r}")
        if isinstance(scan_frames, bool) or not isinstance(scan_frames, int) or not 1 <= scan_frames <= 256:
            raise BadInputError(f"florence2: frames to scan must be 1 to 256, got {scan_frames!r}")
        self.model_dir, self.detector, self.task, self.scan_frames = model_dir, detector, task, scan_frames
        self.device, self.precision, self.trust_remote_code = device, precision, trust_remote_code

    def _detector(self):
        if self.detector is None:
            from ...perception import cached_florence2

            self.detector = cached_florence2(self.model_dir, device=self.device, precision=self.precision,
                                             trust_remote_code=self.trust_remote_code)
        return self.detector

    def boxes(self, ctx: StageContext, discovery: Discovery, options: Any,
              progress: ProgressCallback | None = None) -> Boxes:
        from .motion import motion_boxes

        n = len(discovery.objects)
        found: list[ObjectBoxes | None] = [None] * n
        warnings: list[str] = []
        if self.detector is None and self.model_dir is None:
            warnings.append("boxes: no Florence-2 model was given (--florence2 DIR, or connect 'Load Florence-2'); "
                            "the objects' motion boxes are used")
        elif n:
            try:
                found = self._scan(ctx, discovery, progress)
            except (PavasError, KeyboardInterrupt):  # cancelled, or a model that cannot load: said as an error
                raise
            except MODEL_FAILURES as exc:  # a model failure (memory, a broken processor): said, then the fallback
                detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
                warnings.append(f"boxes: Florence-2 failed ({type(exc).__name__}: {detail}); motion boxes are used")
        missing = [i for i, b in enumerate(found) if b is None]
        if missing:
            fallback, notes = motion_boxes(ctx, discovery)
            for i in missing:
                found[i] = fallback[i]
            if len(missing) < n or not warnings:
                names = ", ".join(f"{i} ({discovery.objects[i].name})" for i in missing)
                warnings.append(f"boxes: Florence-2 did not find object(s) {names}; their motion boxes are used")
            warnings.extend(notes)
        report(progress, 1, 1)
        return Boxes([b for b in found if b is not None], backend="florence2", warnings=warnings)

    def _scan(self, ctx: StageContext, discovery: Discovery,
              progress: ProgressCallback | None) -> list[ObjectBoxes | None]:
        detector = self._detector()
        if self.task is not None:
            detector.task = self.task
        frames = np.asarray(ctx.clip.frames)
        to_grid = ctx.clip_to_grid
        if frames.dtype != np.uint8:  # frames in memory may be float: the analysis grid is uint8
            frames, to_grid = ctx.frames, 1.0
        t = frames.shape[0]
        order = np.unique(np.round(np.linspace(0, t - 1, min(self.scan_frames, t))).astype(int))
        names: dict[str, list[int]] = {}
        for i, o in enumerate(discovery.objects):
            names.setdefault(o.name, []).append(i)
        found: list[ObjectBoxes | None] = [None] * len(discovery.objects)
        w, h = ctx.grid_size
        for step, k in enumerate(order):
            report(progress, step, len(order))
            for name, members in names.items():
                waiting = [i for i in members if found[i] is None]
                if not waiting:
                    continue
                boxes = sorted(detector.detect(frames[k], name), key=lambda b: b[0])
                for i, box in zip(waiting, boxes):
                    x0, y0, x1, y1 = (float(v) * to_grid for v in box)
                    x0, x1 = max(0.0, x0), min(float(w), x1)
                    y0, y1 = max(0.0, y0), min(float(h), y1)
                    if x1 - x0 >= 1.0 and y1 - y0 >= 1.0:
                        # Florence-2 gives no confidence for a box: 1.0 says "found", not "sure"
                        found[i] = ObjectBoxes({int(k): (x0, y0, x1, y1)}, {int(k): 1.0}, "florence2")
            if all(b is not None for b in found):
                break
        return found


def _example_settings(ctx: StageContext, discovery: Discovery | None) -> dict[str, Any]:
    """For the contract test: a detector that finds each object at its motion blob (the tiny
    random-weight Florence-2 runs in tests/perception)."""
    from .motion import motion_boxes

    boxes, _ = motion_boxes(ctx, discovery)
    frames = np.asarray(ctx.clip.frames)
    index = {frames[k, ::7, ::7].tobytes(): k for k in range(frames.shape[0])}

    class BlobDetector:
        task = None

        def detect(self, image, name):
            k = index.get(np.asarray(image)[::7, ::7].tobytes())
            return [tuple(v / ctx.clip_to_grid for v in b.boxes[k]) for b in boxes if k in b.boxes]

    return {"detector": BlobDetector()}


register_backend("boxes", "florence2", Florence2Boxes,
                 description="Florence-2 finds each object by its name on the first frames it is visible; "
                             "motion boxes for objects it does not find",
                 example_settings=_example_settings,
                 settings=(BackendSetting("model_dir", "--florence2", "folder of a Florence-2 model in transformers' "
                                          "native format (e.g. Florence-2-base)", metavar="DIR"),
                           BackendSetting("task", "--florence2-task", "<OPEN_VOCABULARY_DETECTION> (default) or "
                                          "<CAPTION_TO_PHRASE_GROUNDING>", metavar="TASK"),
                           BackendSetting("device", "--device", "device of the learned models", metavar="DEV"),
                           BackendSetting("precision", "--precision", "weight precision of the learned models",
                                          metavar="P")))
