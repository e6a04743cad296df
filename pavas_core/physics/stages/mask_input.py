"""Observe backend for masks made elsewhere (a ComfyUI MASK batch from any segmenter, ComfyUI's
SAM 3 track data, a file).

The given masks (one ObjectMasks per object, any grid of the same picture) are resampled to the
analysis grid. Where two given objects' masks overlap in a frame, both are marked as overlapping
(their extents may be off) but their centroids are still their own. `source` names where they came
from in physics.json's mask_source ("mask_input" for any MASK, "sam3" for SAM 3 track data).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ...errors import BadInputError
from ...progress import ProgressCallback
from ..masks import ObjectMasks
from .base import Boxes, Discovery, ObjectObservation, Observation, StageContext, done
from .registry import register_backend

SOURCES = ("mask_input", "sam3")


class GivenMasksObserver:
    def __init__(self, masks: Sequence[ObjectMasks] = (), source: str = "mask_input") -> None:
        if source not in SOURCES:
            raise BadInputError(f"masks: source must be one of {', '.join(SOURCES)}, got {source!r}")
        self.masks = list(masks)
        self.source = source

    def observe(self, ctx: StageContext, discovery: Discovery, boxes: Boxes | None, options: Any,
                progress: ProgressCallback | None = None) -> Observation:
        if not self.masks:
            raise BadInputError("masks: no masks were given (connect a MASK batch, one per object)")
        n = ctx.num_frames
        grid = [m.resized(ctx.grid_size) for m in self.masks]
        for m in grid:
            if m.num_frames != n:
                raise BadInputError(f"masks: got {m.num_frames} frames of masks for a clip of {n} frames")
        warnings = []
        if len(grid) != len(discovery.objects):
            warnings.append(f"{len(grid)} mask set(s) for {len(discovery.objects)} object(s): matched in order")
        objects = []
        for i in range(len(discovery.objects)):
            masks = grid[i] if i < len(grid) else ObjectMasks.empty(n, ctx.grid_size)
            visible = masks.visible()
            overlap = np.zeros(n, bool)
            for j, other in enumerate(grid):
                if j == i:
                    continue
                for k in np.flatnonzero(visible & other.visible()):
                    a, b = masks.dense(k), other.dense(k)
                    overlap[k] |= bool((a & b).any())
            objects.append(ObjectObservation(masks, visible.copy(), overlap))
        done(progress)
        return Observation(objects, grid_size=ctx.grid_size, backend="mask_input", mask_source=self.source,
                           warnings=warnings)


def _example_settings(ctx: StageContext, discovery: Discovery) -> dict[str, Any]:
    """For the contract test: the motion observer's masks, handed over as if from another node."""
    from .motion import MotionObserver

    return {"masks": [o.masks for o in MotionObserver().observe(ctx, discovery, None, None).objects]}


register_backend("observe", "mask_input", GivenMasksObserver,
                 description="masks given as input (a ComfyUI MASK batch from any segmenter), one set per object",
                 sources={"mask_source": SOURCES}, example_settings=_example_settings)


def observe_given(ctx: StageContext, discovery: Discovery, masks: Sequence[ObjectMasks], *,
                  source: str = "mask_input", notes: Sequence[str] = (),
                  progress: ProgressCallback | None = None) -> Observation:
    """The observation of masks made elsewhere, travelling with its clip (per-stage nodes)."""
    observation = GivenMasksObserver(masks, source).observe(ctx, discovery, None, None, progress)
    observation.warnings[:0] = list(notes)
    observation.context = ctx
    return observation


def observe_sam3_track(discovery: Discovery, track: Any, *, object_indices: Sequence[int] | None = None,
                       progress: ProgressCallback | None = None) -> Observation:
    """Masks from ComfyUI's SAM 3 track data (perception/sam3_track.py), objects matched in order."""
    from ...perception.sam3_track import track_to_object_masks

    ctx = discovery.require_context()
    masks, notes = track_to_object_masks(track, ctx.num_frames, ctx.grid_size, object_indices=object_indices)
    if not masks:
        raise BadInputError("SAM 3 track: it holds no tracked object; give SAM 3 an initial mask or a text prompt")
    return observe_given(ctx, discovery, masks, source="sam3", notes=notes, progress=progress)
