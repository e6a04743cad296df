"""Synchformer visual feature extractor, as MMAudio uses it for its synchronisation features.

A MotionFormer video ViT (ViT-B/16, divided space-time attention, 12 blocks, width 768) reads a
window of 16 frames at 224x224 (25 fps). Tubelets of 2 frames x 16x16 pixels give 8 time steps of
14x14 patches; after the blocks, a CLS-token transformer layer pools each time step's patches,
so a window becomes 8 vectors of 768. A clip is cut into windows of 16 frames with a stride of 8
(MMAudio's ``encode_video_with_sync``), and the windows' vectors are concatenated in time:
T frames → S = (T - 16) // 8 + 1 windows → (S·8, 768).

Weights: ``synchformer_state_dict.pth`` (MMAudio's release) holds the whole Synchformer, of which
only the visual extractor (``vfeat_extractor.*``) is used. The audio feature extractor
(``afeat_extractor.*``), the projections (``vproj.*``, ``aproj.*``) and the synchronisation
transformer (``transformer.*``) are ignored on purpose; any other key is an error. kijai's
``mmaudio_synchformer_{fp16,fp32}.safetensors`` carry the same tensor names (his loader reads
each ``vfeat_extractor.*`` parameter by name). A bare visual state dict (no prefix) is accepted
too. The 2-D ``patch_embed.proj`` that MotionFormer keeps only to count patches is unused and
dropped. Every tensor we use is required, with its exact shape.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

import torch
from torch import nn

from ..errors import BadInputError, UnsupportedCheckpointError
from ..progress import ProgressCallback, report
from .checkpoint import as_state_dict, check_state_dict, checkpoint_errors, pavas_config
from .synchformer_layers import LAYER_NORM_EPS, DividedSpaceTimeBlock, SpatialAggregator

VISUAL_PREFIX = "vfeat_extractor."
# Parts of the released Synchformer checkpoint that MMAudio does not use.
IGNORED_PREFIXES = ("afeat_extractor.", "vproj.", "aproj.", "transformer.")
# MotionFormer's 2-D patch embedding: kept in the checkpoint to count patches, never applied.
UNUSED_VISUAL_KEYS = ("patch_embed.proj.weight", "patch_embed.proj.bias")


@dataclass(frozen=True)
class SynchformerConfig:
    """Sizes of the visual extractor; the defaults are the released model's."""

    embed_dim: int = 768
    depth: int = 12
    num_heads: int = 12
    mlp_ratio: float = 4.0
    image_size_px: int = 224
    patch_size_px: int = 16
    tubelet_frames: int = 2
    window_frames: int = 16
    window_stride_frames: int = 8

    @property
    def grid_size(self) -> int:
        return self.image_size_px // self.patch_size_px

    @property
    def num_patches(self) -> int:
        return self.grid_size**2

    @property
    def tokens_per_window(self) -> int:
        return self.window_frames // self.tubelet_frames

    def num_windows(self, num_frames: int) -> int:
        return max(0, (num_frames - self.window_frames) // self.window_stride_frames + 1)


class SynchformerVisual(nn.Module):
    """MotionFormer feature extractor: windows (N, 3, 16, H, W) → (N, 8, D)."""

    def __init__(self, config: SynchformerConfig = SynchformerConfig()) -> None:
        super().__init__()
        c = config
        if c.window_frames % c.tubelet_frames:
            raise ValueError("window_frames must be a multiple of tubelet_frames")
        self.config = c
        self.cls_token = nn.Parameter(torch.zeros(1, 1, c.embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, c.num_patches + 1, c.embed_dim))  # CLS + spatial
        self.temp_embed = nn.Parameter(torch.zeros(1, c.tokens_per_window, c.embed_dim))
        self.patch_embed_3d = nn.Module()
        self.patch_embed_3d.proj = nn.Conv3d(
            3,
            c.embed_dim,
            kernel_size=(c.tubelet_frames, c.patch_size_px, c.patch_size_px),
            stride=(c.tubelet_frames, c.patch_size_px, c.patch_size_px),
        )
        self.blocks = nn.ModuleList(
            DividedSpaceTimeBlock(c.embed_dim, c.num_heads, c.mlp_ratio) for _ in range(c.depth)
        )
        self.norm = nn.LayerNorm(c.embed_dim, eps=LAYER_NORM_EPS)
        self.spatial_attn_agg = SpatialAggregator(c.embed_dim, c.num_heads, c.mlp_ratio)

    def forward(self, windows: torch.Tensor) -> torch.Tensor:
        """windows: (N, 3, window_frames, H, W), normalised to [-1, 1] → (N, tokens_per_window, D)."""
        c = self.config
        expected = (3, c.window_frames, c.image_size_px, c.image_size_px)
        if windows.ndim != 5 or tuple(windows.shape[1:]) != expected:
            raise BadInputError(
                f"Synchformer windows must have shape (N, {', '.join(map(str, expected))}), got {tuple(windows.shape)}"
            )
        num = windows.shape[0]
        x = self.patch_embed_3d.proj(windows)  # (N, D, t, h, w)
        x = x.flatten(2).transpose(1, 2)  # (N, t·h·w, D), time-major
        # Position = spatial embedding of the patch + temporal embedding of its time step.
        spatial = self.pos_embed[:, 1:].repeat(1, c.tokens_per_window, 1)
        temporal = self.temp_embed.repeat_interleave(c.num_patches, dim=1)
        cls = (self.cls_token + self.pos_embed[:, :1]).expand(num, -1, -1)
        x = torch.cat([cls, x + spatial + temporal], dim=1)
        for block in self.blocks:
            x = block(x, num_frames=c.tokens_per_window, num_patches=c.num_patches)
        x = self.norm(x[:, 1:])  # the CLS token is not part of the output
        pooled = self.spatial_attn_agg(x.reshape(num * c.tokens_per_window, c.num_patches, c.embed_dim))
        return pooled.view(num, c.tokens_per_window, c.embed_dim)

    @torch.inference_mode()
    def encode(
        self,
        frames: torch.Tensor,
        *,
        windows_per_batch: int = 8,
        progress: ProgressCallback | None = None,
    ) -> torch.Tensor:
        """frames: (B, T, 3, H, W) or (T, 3, H, W) in [-1, 1] at 25 fps → (B, S·8, D).

        Windows of 16 frames, stride 8 (S = (T - 16) // 8 + 1); all windows of all clips are
        run through the network in batches of `windows_per_batch`. progress(done, total) per batch.
        """
        c = self.config
        if frames.ndim == 4:
            frames = frames.unsqueeze(0)
        if frames.ndim != 5 or frames.shape[2] != 3:
            raise BadInputError(f"Synchformer frames must have shape (B, T, 3, H, W), got {tuple(frames.shape)}")
        if windows_per_batch < 1:
            raise BadInputError(f"windows_per_batch must be >= 1, got {windows_per_batch}")
        batch, num_frames = frames.shape[:2]
        num_windows = c.num_windows(num_frames)
        if num_windows == 0:
            raise BadInputError(f"Synchformer needs at least {c.window_frames} frames, got {num_frames}")
        param = self.cls_token
        frames = frames.to(device=param.device, dtype=param.dtype)
        starts = [(b, s * c.window_stride_frames) for b in range(batch) for s in range(num_windows)]
        outputs = []
        for first in range(0, len(starts), windows_per_batch):
            chunk = starts[first : first + windows_per_batch]
            windows = torch.stack([frames[b, t : t + c.window_frames] for b, t in chunk])  # (n, 16, 3, H, W)
            outputs.append(self(windows.transpose(1, 2)))
            report(progress, first + len(chunk), len(starts))
        features = torch.cat(outputs, dim=0)  # (B·S, 8, D)
        return features.reshape(batch, num_windows * c.tokens_per_window, c.embed_dim)


def visual_state_dict(state_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The visual extractor's tensors of a Synchformer checkpoint, without the prefix.

    Keys under IGNORED_PREFIXES are dropped (documented above); any other key outside the
    visual extractor means this is not a Synchformer checkpoint.
    """
    if any(k.startswith(VISUAL_PREFIX) for k in state_dict):
        stray = [k for k in state_dict if not k.startswith(VISUAL_PREFIX) and not k.startswith(IGNORED_PREFIXES)]
        if stray:
            raise UnsupportedCheckpointError(
                "Synchformer: checkpoint holds tensors outside the known parts "
                f"(vfeat_extractor, {', '.join(p.rstrip('.') for p in IGNORED_PREFIXES)}): "
                + ", ".join(stray[:8])
                + (f" (+{len(stray) - 8} more)" if len(stray) > 8 else "")
            )
        visual = {k[len(VISUAL_PREFIX) :]: v for k, v in state_dict.items() if k.startswith(VISUAL_PREFIX)}
    else:
        visual = dict(state_dict)
    for key in UNUSED_VISUAL_KEYS:
        visual.pop(key, None)
    return visual


HEAD_WIDTH = 64  # ViT-B/16's attention head width; heads are not visible in tensor shapes


def detect_synchformer_config(visual: Mapping[str, torch.Tensor], hints: Mapping[str, object] = {}) -> SynchformerConfig:
    """The extractor's sizes from its tensor shapes (the released one, or a custom size).

    The number of attention heads cannot be read from shapes: it is ``hints["num_heads"]`` when the
    file says (safetensors metadata ``pavas_config``), else width / 64 as in ViT-B/16.
    """
    def shape(key: str) -> tuple[int, ...]:
        if key not in visual:
            raise UnsupportedCheckpointError(f"not a Synchformer checkpoint: tensor {key!r} is missing")
        return tuple(visual[key].shape)

    embed_dim = shape("cls_token")[-1]
    proj = shape("patch_embed_3d.proj.weight")  # (D, 3, tubelet, patch, patch)
    num_positions = shape("pos_embed")[1] - 1
    grid = int(round(num_positions**0.5))
    if grid * grid != num_positions or len(proj) != 5:
        raise UnsupportedCheckpointError(f"Synchformer: unexpected pos_embed / patch_embed_3d shapes {num_positions}, {proj}")
    tokens_per_window = shape("temp_embed")[1]
    depth = len({k.split(".")[1] for k in visual if k.startswith("blocks.")})
    hidden = shape("blocks.0.mlp.fc1.weight")[0] if depth else int(4 * embed_dim)
    num_heads = int(hints.get("num_heads", max(1, embed_dim // HEAD_WIDTH)))
    if embed_dim % num_heads:
        raise UnsupportedCheckpointError(f"Synchformer: width {embed_dim} is not divisible by {num_heads} heads")
    return SynchformerConfig(
        embed_dim=embed_dim,
        depth=depth,
        num_heads=num_heads,
        mlp_ratio=hidden / embed_dim,
        image_size_px=grid * proj[-1],
        patch_size_px=proj[-1],
        tubelet_frames=proj[2],
        window_frames=tokens_per_window * proj[2],
    )


@checkpoint_errors("Synchformer")
def load_synchformer(
    source: str | os.PathLike | Mapping[str, torch.Tensor],
    *,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
    config: SynchformerConfig | None = None,
) -> SynchformerVisual:
    """Build the visual extractor and load its weights strictly (file path or state dict).

    Accepts MMAudio's ``synchformer_state_dict.pth``, kijai's ``mmaudio_synchformer_*.safetensors``
    or a bare visual state dict; fp32/fp16/bf16 files load into any `dtype`. The configuration is
    read from the tensor shapes unless given.
    """
    weights = visual_state_dict(as_state_dict(source))
    if config is None:
        config = detect_synchformer_config(weights, pavas_config(source, "synchformer"))
    with torch.device("meta"):
        model = SynchformerVisual(config)
    expected = {k: v.shape for k, v in model.state_dict().items()}
    check_state_dict(expected, weights, "Synchformer visual extractor")
    weights = {k: v.to(device=device, dtype=dtype) for k, v in weights.items()}
    model.load_state_dict(weights, strict=True, assign=True)
    return model.eval().requires_grad_(False)


def encode_sync_frames(
    model: SynchformerVisual,
    sync_frames: torch.Tensor,
    *,
    windows_per_batch: int = 8,
    progress: ProgressCallback | None = None,
) -> torch.Tensor:
    """(B, T, 3, 224, 224) or (T, 3, 224, 224) frames at 25 fps → (B, sync_len, 768).

    For T = ``sequence_lengths(d, sr).num_sync_frames`` the output length is ``.sync_len``.
    """
    return model.encode(sync_frames, windows_per_batch=windows_per_batch, progress=progress)
