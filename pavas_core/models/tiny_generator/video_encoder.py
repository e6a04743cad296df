"""PAVAS-tiny's video encoder, trained from scratch with the generator: frames → the CLIP-rate and
Synchformer-rate feature sequences the MMAudio network reads, and per-object features for the
Phy-Adapter.

Input: the 25-fps frames of a window (frame j is the one on screen at j/25 s, as MMAudio's
Synchformer sees them), squashed to S × S pixels. Each frame and its difference to the previous
frame (6 channels: motion is what makes sound) go through three stride-2 convolutions → a
(S/8 × S/8) grid of width E per frame; a temporal convolution over the grid-averaged frames gives
each frame its context (with `spatial_pooling` "mean_max", the grid's mean and maximum, projected
back to E: a small moving object covers a few cells, which the mean dilutes). Then, with the lengths of `mmaudio.sequence`:

- sync_f (B, Ls, sync_dim): token j of window w (windows of 16 frames with stride 8, 8 tokens
  each, as Synchformer) is frames 8w + 2j and 8w + 2j + 1 concatenated and projected;
- clip_f (B, Lc, clip_dim): CLIP frame k (shown at k/8 s) is the 25-fps frame ⌊25 k / 8⌋, projected;
- object features (B, K, Lp, clip_dim), at the config's physics rate (Lp = Lc at 8 fps; at 25 fps
  physics frame k is 25-fps frame k): that frame's grid pooled under each object's coverage
  weights (the share of each grid cell the object's mask covers), projected; zero where the
  object is not visible (the adapter then uses its occlusion token).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ...errors import BadInputError
from ..mmaudio.sequence import CLIP_FPS, SYNC_FPS, SYNC_STRIDE_FRAMES, SYNC_TOKENS_PER_WINDOW, SequenceLengths
from .config import TinyGeneratorConfig


@dataclass
class TinyVideoFeatures:
    """clip_f (B, Lc, clip_dim), sync_f (B, Ls, sync_dim), object_features (B, K, Lc, clip_dim) or None."""

    clip_f: torch.Tensor
    sync_f: torch.Tensor
    object_features: torch.Tensor | None = None


def clip_frame_rows(clip_len: int, num_frames: int, rate_hz: float = CLIP_FPS) -> torch.Tensor:
    """(L,) int64: the 25-fps frame on screen at k/rate s for each frame k of a sequence at `rate_hz`
    (the CLIP rate by default), held at the end."""
    rows = np.floor(np.arange(clip_len) * SYNC_FPS / rate_hz + 1e-9).astype(np.int64)
    return torch.from_numpy(np.clip(rows, 0, num_frames - 1))


def sync_token_rows(sync_len: int) -> torch.Tensor:
    """(Ls, 2) int64: the two 25-fps frames of each Synchformer-rate token (tubelets of 2 frames)."""
    windows = sync_len // SYNC_TOKENS_PER_WINDOW
    w = np.repeat(np.arange(windows), SYNC_TOKENS_PER_WINDOW)
    j = np.tile(np.arange(SYNC_TOKENS_PER_WINDOW), windows)
    first = w * SYNC_STRIDE_FRAMES + 2 * j
    return torch.from_numpy(np.stack([first, first + 1], axis=1).astype(np.int64))


class TinyVideoEncoder(nn.Module):
    """See the module doc. `forward(frames, lengths, coverage)`; frames (B, F, 3, S, S) uint8 or float in [0, 1]."""

    def __init__(self, config: TinyGeneratorConfig) -> None:
        super().__init__()
        self.config = config
        width = config.encoder_width
        self.frame_net = nn.Sequential(
            nn.Conv2d(6, width // 2, 3, stride=2, padding=1), nn.SiLU(),
            nn.Conv2d(width // 2, width, 3, stride=2, padding=1), nn.SiLU(),
            nn.Conv2d(width, width, 3, stride=2, padding=1), nn.SiLU(),
        )
        # only with mean_max, so checkpoints of the mean encoder keep their exact keys
        self.pool_proj = nn.Linear(2 * width, width) if config.spatial_pooling == "mean_max" else None
        self.temporal = nn.Conv1d(width, width, 5, padding=2)
        self.sync_head = nn.Linear(2 * width, config.sync_dim)
        self.clip_head = nn.Linear(width, config.clip_dim)
        self.object_head = nn.Linear(width, config.clip_dim)

    def forward(self, frames: torch.Tensor, lengths: SequenceLengths,
                coverage: torch.Tensor | None = None) -> TinyVideoFeatures:
        """frames (B, F ≥ lengths.num_sync_frames, 3, S, S); coverage (B, K, Lp, S/8, S/8) or None
        (Lp = config.physics_len(lengths))."""
        cfg = self.config
        size, grid = cfg.frame_size_px, cfg.grid_size
        if frames.dim() != 5 or frames.shape[2:] != (3, size, size) or frames.shape[1] < lengths.num_sync_frames:
            raise BadInputError(f"PAVAS-tiny frames must be (B, ≥{lengths.num_sync_frames}, 3, {size}, {size}), "
                                f"got {tuple(frames.shape)}")
        device = self.sync_head.weight.device
        x = frames.to(device)
        x = x.float() / 255.0 if not x.is_floating_point() else x.float()
        batch, count = x.shape[:2]
        motion = torch.cat([torch.zeros_like(x[:, :1]), x[:, 1:] - x[:, :-1]], dim=1)
        maps = self.frame_net(torch.cat([x, motion], dim=2).flatten(0, 1))  # (B·F, E, g, g)
        maps = maps.view(batch, count, -1, grid, grid)
        pooled = maps.mean(dim=(3, 4))  # (B, F, E)
        if self.pool_proj is not None:
            pooled = self.pool_proj(torch.cat([pooled, maps.amax(dim=(3, 4))], dim=-1))
        context = pooled + self.temporal(pooled.transpose(1, 2)).transpose(1, 2)
        pairs = sync_token_rows(lengths.sync_len).to(device)  # (Ls, 2)
        sync_f = self.sync_head(context[:, pairs].flatten(2))  # (B, Ls, 2E) → sync_dim
        rows = clip_frame_rows(lengths.clip_len, count).to(device)
        clip_f = self.clip_head(context[:, rows])
        objects = None
        if coverage is not None:
            physics_len = cfg.physics_len(lengths)
            if coverage.dim() != 5 or coverage.shape[0] != batch or coverage.shape[2:] != (physics_len, grid, grid):
                raise BadInputError(f"coverage must be ({batch}, K, {physics_len}, {grid}, {grid}), "
                                    f"got {tuple(coverage.shape)}")
            weights = coverage.to(device=device, dtype=maps.dtype)
            total = weights.sum(dim=(3, 4))  # (B, K, Lp)
            physics_rows = rows if cfg.physics_fps == CLIP_FPS else \
                clip_frame_rows(physics_len, count, cfg.physics_fps).to(device)
            grids = maps[:, physics_rows]  # (B, Lp, E, g, g)
            pooled_objects = torch.einsum("bktyx,btcyx->bktc", weights, grids) / total.clamp_min(1e-6).unsqueeze(-1)
            objects = self.object_head(pooled_objects) * (total > 0).unsqueeze(-1).to(maps.dtype)
        return TinyVideoFeatures(clip_f=clip_f, sync_f=sync_f, object_features=objects)
