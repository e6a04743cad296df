"""A backend that exists only in the tests: it shows that adding a backend is one module and one
registration, with no change to the estimator, the command line or the nodes.

`test_boxes` observes each object as the filled box around its motion blob (a stand-in for a
detector that only gives boxes). `register(core)` registers it with a given copy of pavas_core
(the ComfyUI pack imports its own copy, as a subpackage); importing this module registers it
with the top-level `pavas_core`.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np

NAME = "test_boxes"


def register(core: ModuleType) -> None:
    import importlib

    masks_mod = importlib.import_module(f"{core.__name__}.physics.masks")
    stages = importlib.import_module(f"{core.__name__}.physics.stages")
    motion = importlib.import_module(f"{core.__name__}.physics.stages.motion")

    class BoxObserver:
        def observe(self, ctx, discovery, boxes, options, progress=None):
            blobs = motion.MotionObserver().observe(ctx, discovery, boxes, options)
            objects = []
            for o in blobs.objects:
                boxes = masks_mod.ObjectMasks.empty(ctx.num_frames, ctx.grid_size)
                for k in range(ctx.num_frames):
                    b = o.masks.box_xyxy(k)
                    if b is not None:
                        x0, y0, x1, y1 = b
                        boxes.with_frame(k, y0, x0, np.ones((y1 - y0, x1 - x0), bool))
                objects.append(stages.ObjectObservation(boxes, o.reliable.copy(), o.overlap.copy()))
            return stages.Observation(objects, grid_size=ctx.grid_size, backend=NAME, mask_source="box")

    stages.register_backend("observe", NAME, BoxObserver,
                            description="filled boxes around the motion blobs (tests only)",
                            sources={"mask_source": "box"})


import pavas_core  # noqa: E402

register(pavas_core)
