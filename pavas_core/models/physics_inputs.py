"""The Phy-Adapter's inputs for one clip: per-object CLIP features and physics at the CLIP rate (8 fps).

CLIP frame k is the video frame on screen at k/8 s (the frame choice of video_features, so the
object features and MMAudio's own CLIP features see the same pictures). For each object and CLIP
frame:

- its mask, resized to the CLIP patch grid as coverage (the share of each patch the mask covers,
  from 4x4 samples per patch; the grid covers the top-left 378/384 of the squashed frame for the
  released model), pools the patch tokens (see ClipEncoder.encode_objects). A mask too small to
  cover any sample still counts: the patch holding its centre gets it. Where the object has no
  mask in that frame it is not visible and the adapter uses its occlusion token. Physics without
  masks (a physics.json written without --with-masks) falls back to the object's boxes, and
  without boxes to "not visible" everywhere; both fallbacks are reported in `warnings`;
- its speed: the physics frame on screen at k/8 s; frames where the speed is unknown (null) take
  the nearest known value in time (linear between two), and the mass is the object's.

`PhysicsInputs.window` re-samples these for a generation window starting anywhere (the frame on
screen at start + j/8 s), `collate` pads clips into a PhysicsBatch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch

from ..errors import BadInputError
from ..physics.masks import ObjectMasks
from ..physics.tracks import PhysicsTracks
from ..progress import ProgressCallback
from ..video.clip import Clip
from ..video.resample import frame_indices_for_times
from .mmaudio.sequence import CLIP_FPS
from .phy_adapter import PhysicsBatch

SAMPLES_PER_PATCH_SIDE = 4


@dataclass
class PhysicsInputs:
    """One clip's adapter inputs at `frame_rate_hz` (8 fps, the CLIP rate).

    object_features (K, T, C) float32; visible (K, T) bool; mass_kg (K,) float32; speed_mps (K, T)
    float32 with gaps filled; object_ids: the physics object of each row; warnings: fallbacks taken.
    """

    object_features: torch.Tensor
    visible: torch.Tensor
    mass_kg: torch.Tensor
    speed_mps: torch.Tensor
    object_ids: list[int] = field(default_factory=list)
    frame_rate_hz: float = CLIP_FPS
    warnings: list[str] = field(default_factory=list)

    @property
    def num_objects(self) -> int:
        return int(self.visible.shape[0])

    @property
    def num_frames(self) -> int:
        return int(self.visible.shape[1])

    def window(self, start_s: float, num_frames: int) -> "PhysicsInputs":
        """The inputs of a window whose frame j is the one on screen at start_s + j/rate (held at the end)."""
        if num_frames < 1:
            raise BadInputError(f"a window needs at least one frame, got {num_frames}")
        rows = np.floor(start_s * self.frame_rate_hz + np.arange(num_frames) + 1e-6).astype(np.int64)
        index = torch.from_numpy(np.clip(rows, 0, max(self.num_frames - 1, 0)))
        if self.num_frames == 0:  # no frames at all: nothing visible
            k = self.num_objects
            return PhysicsInputs(self.object_features.new_zeros(k, num_frames, self.object_features.shape[-1]),
                                 torch.zeros(k, num_frames, dtype=torch.bool), self.mass_kg.clone(),
                                 self.speed_mps.new_zeros(k, num_frames), list(self.object_ids), self.frame_rate_hz,
                                 list(self.warnings))
        return PhysicsInputs(
            object_features=self.object_features.index_select(1, index),
            visible=self.visible.index_select(1, index),
            mass_kg=self.mass_kg.clone(),
            speed_mps=self.speed_mps.index_select(1, index),
            object_ids=list(self.object_ids),
            frame_rate_hz=self.frame_rate_hz,
            warnings=list(self.warnings),
        )

    def with_physics(self, tracks: PhysicsTracks) -> "PhysicsInputs":
        """The same object features with mass and speed read again from `tracks` (e.g. after Edit Physics)."""
        by_id = {o.id: o for o in tracks.objects}
        missing = [i for i in self.object_ids if i not in by_id]
        if missing:
            raise BadInputError(f"the edited physics lacks object(s) {missing} of these object features")
        times = np.arange(self.num_frames) / self.frame_rate_hz
        mass = torch.tensor([by_id[i].mass_kg for i in self.object_ids], dtype=torch.float32)
        speed = torch.stack([torch.from_numpy(_speed_at(by_id[i].speed_mps, tracks.fps, times))
                             for i in self.object_ids]) if self.object_ids else self.speed_mps.clone()
        return PhysicsInputs(self.object_features, self.visible, mass, speed.float(), list(self.object_ids),
                             self.frame_rate_hz, list(self.warnings))


def collate(items: Sequence[PhysicsInputs]) -> PhysicsBatch:
    """Pad clips of equal frame count to the largest object count → PhysicsBatch (B, K, T, ...)."""
    if not items:
        raise BadInputError("collate needs at least one clip")
    frames = {item.num_frames for item in items}
    if len(frames) != 1:
        raise BadInputError(f"clips of one batch need the same number of frames, got {sorted(frames)}")
    width = items[0].object_features.shape[-1]
    if any(item.object_features.shape[-1] != width for item in items):
        raise BadInputError("clips of one batch have object features of different widths")
    k = max(item.num_objects for item in items)
    return PhysicsBatch(object_features=pad_objects([i.object_features for i in items], k),
                        visible=pad_objects([i.visible for i in items], k, dtype=torch.bool),
                        mass_kg=pad_objects([i.mass_kg for i in items], k, fill=1.0),
                        speed_mps=pad_objects([i.speed_mps for i in items], k),
                        present=object_presence([i.num_objects for i in items], k))


def pad_objects(rows: Sequence[torch.Tensor], num_objects: int, *, fill: float = 0.0,
                dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Per-clip tensors whose first axis is the object → (B, num_objects, ...), padded with `fill`
    (absent objects: no mask, mass 1 kg, speed 0); every row has the same trailing shape."""
    out = torch.full((len(rows), num_objects, *rows[0].shape[1:]), fill, dtype=dtype)
    for b, row in enumerate(rows):
        out[b, : row.shape[0]] = row
    return out


def object_presence(counts: Sequence[int], num_objects: int) -> torch.Tensor:
    """(B, num_objects) bool: which padded object slots hold a real object."""
    return torch.arange(num_objects)[None, :] < torch.as_tensor(list(counts))[:, None]


# ---------------------------------------------------------------------------------------------
# From a clip, its physics and a CLIP encoder


def _speed_at(speed_mps: Sequence[float | None], fps: float, times_s: np.ndarray) -> np.ndarray:
    """Speed (m/s) on screen at each time; unknown (None) frames filled from the nearest known ones."""
    values = np.array([np.nan if s is None else float(s) for s in speed_mps], dtype=np.float64)
    known = np.flatnonzero(np.isfinite(values))
    if known.size == 0:
        filled = np.zeros_like(values)
    else:
        filled = np.interp(np.arange(values.size), known, values[known])  # holds the ends
    frames = frame_indices_for_times(np.arange(values.size) / fps, times_s) if values.size else np.zeros(0, int)
    return filled[frames].astype(np.float32) if values.size else np.zeros(times_s.shape, np.float32)


def coverage_weights(mask: np.ndarray, grid: tuple[int, int], coverage: float,
                     samples: int = SAMPLES_PER_PATCH_SIDE) -> np.ndarray:
    """(rows, cols) share of each CLIP patch that the (H, W) bool mask covers.

    The patch grid spans the top-left `coverage` of the frame (both axes; the frame is squashed to a
    square for CLIP). Each patch is sampled at samples x samples points; a non-empty mask that hits
    no sample gives weight 1 to the patch holding its centre (if that lies in the covered part).
    """
    rows, cols = grid
    height, width = mask.shape
    ys = (np.arange(rows * samples) + 0.5) / (rows * samples) * coverage
    xs = (np.arange(cols * samples) + 0.5) / (cols * samples) * coverage
    yi = np.minimum((ys * height).astype(np.int64), height - 1)
    xi = np.minimum((xs * width).astype(np.int64), width - 1)
    sampled = mask[np.ix_(yi, xi)].reshape(rows, samples, cols, samples)
    weights = sampled.mean(axis=(1, 3)).astype(np.float32)
    if weights.sum() == 0 and mask.any():
        ys_px, xs_px = np.nonzero(mask)
        cy, cx = (ys_px.mean() + 0.5) / height / coverage, (xs_px.mean() + 0.5) / width / coverage
        if cy < 1 and cx < 1:
            weights[int(cy * rows), int(cx * cols)] = 1.0
    return weights


def _box_mask(box: Sequence[float], grid_size: tuple[int, int]) -> np.ndarray | None:
    width, height = grid_size
    x0, y0, x1, y1 = (float(v) for v in box)
    c0, c1 = int(np.clip(np.floor(x0), 0, width)), int(np.clip(np.ceil(x1), 0, width))
    r0, r1 = int(np.clip(np.floor(y0), 0, height)), int(np.clip(np.ceil(y1), 0, height))
    if c1 <= c0 or r1 <= r0:
        return None
    mask = np.zeros((height, width), dtype=bool)
    mask[r0:r1, c0:c1] = True
    return mask


def physics_inputs(
    tracks: PhysicsTracks,
    clip: Clip,
    clip_encoder,
    *,
    duration_s: float | None = None,
    progress: ProgressCallback | None = None,
) -> PhysicsInputs:
    """PhysicsInputs of `clip` (duration_s: the clip's by default) with the physics of `tracks`.

    clip_encoder: a ClipEncoder (its patch tokens are pooled under each object's mask).
    """
    from .video_features import preprocess_clip_frames, select_encoder_frames

    duration_s = clip.duration_s if duration_s is None else float(duration_s)
    selection = select_encoder_frames(np.asarray(clip.timestamps_s, dtype=np.float64), duration_s,
                                      video_end_s=float(clip.duration_s))
    num_frames = len(selection.clip_times_s)
    times = np.asarray(selection.clip_times_s, dtype=np.float64)
    physics_frames = frame_indices_for_times(np.arange(tracks.num_frames) / tracks.fps, times) \
        if tracks.num_frames else np.zeros(num_frames, np.int64)
    grid, coverage = clip_encoder.patch_grid, clip_encoder.patch_coverage
    warnings: list[str] = []
    weights = np.zeros((len(tracks.objects), num_frames, *grid), dtype=np.float32)
    speeds, masses, ids = [], [], []
    for k, obj in enumerate(tracks.objects):
        masks: ObjectMasks | None = obj.masks
        if masks is None and obj.box_xyxy_px is not None:
            warnings.append(f"object {obj.id} ({obj.name!r}) has no masks: its boxes stand in for them "
                            "in the object features")
        elif masks is None:
            warnings.append(f"object {obj.id} ({obj.name!r}) has neither masks nor boxes: its visual token is the "
                            "occlusion token in every frame")
        for j, frame in enumerate(physics_frames):
            if masks is not None:
                dense = masks.dense(int(frame))
            elif obj.box_xyxy_px is not None and obj.box_xyxy_px[int(frame)] is not None:
                dense = _box_mask(obj.box_xyxy_px[int(frame)], (tracks.width, tracks.height))
            else:
                dense = None
            if dense is not None:
                weights[k, j] = coverage_weights(dense, grid, coverage)
        speeds.append(_speed_at(obj.speed_mps, tracks.fps, times))
        masses.append(float(obj.mass_kg))
        ids.append(obj.id)
    visible = torch.from_numpy(weights.reshape(weights.shape[0], num_frames, -1).sum(-1) > 0)
    if len(tracks.objects) == 0:
        embed = clip_encoder.model.visual.output_dim if hasattr(clip_encoder.model.visual, "output_dim") else 0
        return PhysicsInputs(torch.zeros(0, num_frames, int(embed)), torch.zeros(0, num_frames, dtype=torch.bool),
                             torch.zeros(0), torch.zeros(0, num_frames), [], CLIP_FPS, warnings)
    frames = preprocess_clip_frames(clip.frames, selection.clip_indices, device=clip_encoder.device,
                                    dtype=clip_encoder.dtype, size_px=clip_encoder.input_size_px)
    _, objects = clip_encoder.encode_objects(frames, torch.from_numpy(weights), progress=progress)
    objects = objects.float().cpu() * visible.unsqueeze(-1)
    return PhysicsInputs(
        object_features=objects,
        visible=visible,
        mass_kg=torch.tensor(masses, dtype=torch.float32),
        speed_mps=torch.from_numpy(np.stack(speeds)).float(),
        object_ids=ids,
        frame_rate_hz=CLIP_FPS,
        warnings=warnings,
    )
