"""A backend that exists only in the tests: it shows that adding a backend is one module and one
registration, with no change to the estimator, the command line or the nodes.

`test_boxes` observes each object as the filled box around its motion blob (a stand-in for a
detector that only gives boxes).
"""

from __future__ import annotations

import numpy as np

from pavas_core.physics.masks import ObjectMasks
from pavas_core.physics.stages import ObjectObservation, Observation, register_backend
from pavas_core.physics.stages.motion import MotionObserver

NAME = "test_boxes"


class BoxObserver:
    def observe(self, ctx, discovery, options, progress=None):
        motion = MotionObserver().observe(ctx, discovery, options)
        objects = []
        for o in motion.objects:
            boxes = ObjectMasks.empty(ctx.num_frames, ctx.grid_size)
            for k in range(ctx.num_frames):
                b = o.masks.box_xyxy(k)
                if b is not None:
                    x0, y0, x1, y1 = b
                    boxes.with_frame(k, y0, x0, np.ones((y1 - y0, x1 - x0), bool))
            objects.append(ObjectObservation(boxes, o.reliable.copy(), o.overlap.copy()))
        return Observation(objects, grid_size=ctx.grid_size, backend=NAME, mask_source="box")


register_backend("observe", NAME, BoxObserver, description="filled boxes around the motion blobs (tests only)",
                 sources={"mask_source": "box"})
