"""What PAVAS-tiny reads of one window of a clip: its 25-fps frames at the encoder's size, and each
object's coverage of the feature grid, visibility, mass and speed at the config's physics rate (the
CLIP rate, 8 fps, by default; or 25 fps).

The frames are those MMAudio's encoders would see (`video_features.select_encoder_frames`: the
frame on screen at j/25 s, the last one held past the end), squashed to S × S with area
averaging. The object side follows `physics_inputs` (the Phy-Adapter's inputs of the MMAudio
path): the physics frame on screen at k/rate s; masks → coverage of each grid cell; without masks
the boxes stand in, without boxes the object is not visible (both said in `warnings`); unknown
speeds are filled from the nearest known ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ...errors import BadInputError
from ...physics.tracks import PhysicsTracks
from ...video.clip import Clip
from ...video.resample import frame_indices_for_times
from ..mmaudio.sequence import CLIP_FPS, SequenceLengths, sequence_lengths
from ..physics_inputs import _box_mask, _speed_at, coverage_weights, object_presence, pad_objects
from ..video_features import select_encoder_frames
from .config import TINY_SAMPLE_RATE_HZ, TinyGeneratorConfig

MIN_WINDOW_S = 0.64  # the shortest window with one Synchformer window (16 frames at 25 fps)


@dataclass
class TinyWindow:
    """One window. frames (F, 3, S, S) uint8; coverage (K, Lp, g, g) float32; visible (K, Lp) bool;
    mass_kg (K,) float32; speed_mps (K, Lp) float32 (Lp physics frames at the config's physics_fps);
    latent (N, 20) log-mel of the reference sound or None."""

    frames: torch.Tensor
    coverage: torch.Tensor
    visible: torch.Tensor
    mass_kg: torch.Tensor
    speed_mps: torch.Tensor
    latent: torch.Tensor | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def num_objects(self) -> int:
        return int(self.visible.shape[0])


def window_lengths(duration_s: float) -> SequenceLengths:
    if not duration_s >= MIN_WINDOW_S - 1e-9:
        raise BadInputError(f"a PAVAS-tiny window lasts at least {MIN_WINDOW_S} s, got {duration_s:g} s")
    return sequence_lengths(duration_s, TINY_SAMPLE_RATE_HZ)


def encoder_frames(clip: Clip, duration_s: float, size_px: int) -> tuple[torch.Tensor, list[str]]:
    """(F, 3, S, S) uint8: the 25-fps frames of the first `duration_s` of `clip` (held past its end)."""
    selection = select_encoder_frames(np.asarray(clip.timestamps_s, np.float64), duration_s,
                                      video_end_s=float(clip.duration_s))
    picked = torch.from_numpy(np.ascontiguousarray(clip.frames[selection.sync_indices]))  # (F, H, W, 3)
    pictures = picked.permute(0, 3, 1, 2).float()
    resized = F.interpolate(pictures, size=(size_px, size_px), mode="area")
    return resized.round().clamp(0, 255).to(torch.uint8), list(selection.warnings)


def object_inputs(tracks: PhysicsTracks, start_s: float, count: int, grid: int, fps: float = CLIP_FPS
                  ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, list[str]]:
    """(coverage (K, L, g, g), visible (K, L), mass_kg (K,), speed_mps (K, L), warnings) of the window
    whose physics frame k (of count = L) is shown at start_s + k/fps s (fps: 8, the CLIP rate, or 25)."""
    times = start_s + np.arange(count) / fps
    frames = frame_indices_for_times(np.arange(tracks.num_frames) / tracks.fps, times) if tracks.num_frames \
        else np.zeros(count, np.int64)
    objects = tracks.objects
    coverage = np.zeros((len(objects), count, grid, grid), np.float32)
    speeds, masses, warnings = [], [], []
    for k, obj in enumerate(objects):
        if obj.masks is None:
            warnings.append(f"object {obj.id} ({obj.name!r}): no masks, its "
                            + ("boxes stand in for them" if obj.box_xyxy_px is not None else
                               "visual token is the occlusion token in every frame"))
        for j, frame in enumerate(frames):
            frame = int(frame)
            if obj.masks is not None:
                dense = obj.masks.dense(frame)
            elif obj.box_xyxy_px is not None and obj.box_xyxy_px[frame] is not None:
                dense = _box_mask(obj.box_xyxy_px[frame], (tracks.width, tracks.height))
            else:
                dense = None
            if dense is not None:
                coverage[k, j] = coverage_weights(dense, (grid, grid), 1.0)
        speeds.append(_speed_at(obj.speed_mps, tracks.fps, times) if tracks.num_frames else np.zeros(count))
        masses.append(float(obj.mass_kg))
    cover = torch.from_numpy(coverage)
    speed = torch.from_numpy(np.stack(speeds).astype(np.float32)) if objects else torch.zeros(0, count)
    return cover, cover.sum(dim=(2, 3)) > 0, torch.tensor(masses, dtype=torch.float32), speed, warnings


def tiny_window(clip: Clip, tracks: PhysicsTracks | None, config: TinyGeneratorConfig, *, duration_s: float,
                start_s: float = 0.0) -> TinyWindow:
    """The inputs of the window [start_s, start_s + duration_s) of `clip` (tracks: the clip's physics, or None)."""
    from ..generator import video_window

    lengths = window_lengths(duration_s)
    part = video_window(clip, start_s, start_s + duration_s) if start_s > 0 else clip
    frames, warnings = encoder_frames(part, duration_s, config.frame_size_px)
    count = config.physics_len(lengths)
    if tracks is None:
        empty = torch.zeros(0, count)
        return TinyWindow(frames, torch.zeros(0, count, config.grid_size, config.grid_size),
                          empty.bool(), torch.zeros(0), empty, warnings=warnings)
    coverage, visible, mass, speed, notes = object_inputs(tracks, start_s, count, config.grid_size,
                                                          config.physics_fps)
    return TinyWindow(frames, coverage, visible, mass, speed, warnings=warnings + notes)


@dataclass
class TinyBatch:
    """Windows of one duration stacked, objects padded to K (present False for padding)."""

    frames: torch.Tensor  # (B, F, 3, S, S) uint8
    coverage: torch.Tensor  # (B, K, Lp, g, g), Lp physics frames
    visible: torch.Tensor  # (B, K, Lp)
    mass_kg: torch.Tensor  # (B, K)
    speed_mps: torch.Tensor  # (B, K, Lp)
    present: torch.Tensor  # (B, K)
    latent: torch.Tensor | None  # (B, N, 20)

    @property
    def batch_size(self) -> int:
        return int(self.frames.shape[0])


def stack_windows(windows: Sequence[TinyWindow]) -> TinyBatch:
    if not windows:
        raise BadInputError("a batch needs at least one window")
    shapes = {(tuple(w.frames.shape), tuple(w.coverage.shape[1:])) for w in windows}
    if len(shapes) != 1:
        raise BadInputError(f"windows of one batch need one duration and frame size, got {sorted(shapes)}")
    k = max(max(w.num_objects for w in windows), 1)
    latents = [w.latent for w in windows]
    latent = torch.stack(latents) if all(x is not None for x in latents) else None
    return TinyBatch(torch.stack([w.frames for w in windows]),
                     pad_objects([w.coverage for w in windows], k),
                     pad_objects([w.visible for w in windows], k, dtype=torch.bool),
                     pad_objects([w.mass_kg for w in windows], k, fill=1.0),
                     pad_objects([w.speed_mps for w in windows], k),
                     object_presence([w.num_objects for w in windows], k), latent)
