"""CLIP visual and text features for MMAudio (Apple DFN5B-CLIP-ViT-H-14-384 through open_clip).

Model: open_clip's bundled ``ViT-H-14-378-quickgelu`` architecture (ViT-H/14 image tower, 32
layers, width 1280; text tower 24 layers, width 1024; embedding 1024; QuickGELU). It is built from
that bundled config with no pretrained tag, and the weights come only from a local file
(safetensors, or a torch pickle read with weights_only=True), loaded strictly. Nothing is fetched
from a hub: open_clip is never given a model name it could resolve online.

Image features: MMAudio feeds 384x384 frames into this 378-px model; the stride-14 patch
convolution then sees 27x27 patches and ignores the last 6 pixel rows and columns. We feed the same
384x384 frames, so the features are identical. Per frame: ``encode_image(normalize=True)``.

Text features: every one of the 77 token states after the final LayerNorm, each L2-normalised
(MMAudio's ``patch_clip``: no end-of-text pooling, no text projection) → (B, 77, 1024).

open_clip is imported only when an encoder is built, so a missing open_clip disables CLIP (with
:class:`OpenClipMissingError`) and nothing else.
"""

from __future__ import annotations

import os
from typing import Any, Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import BadInputError, PavasError
from ..progress import ProgressCallback, report
from .checkpoint import as_state_dict, check_state_dict, checkpoint_errors, pavas_config

CLIP_MODEL_NAME = "ViT-H-14-378-quickgelu"  # open_clip config and tokenizer of DFN5B-CLIP-ViT-H-14-384
CLIP_FEATURE_DIM = 1024
RELEASED_IMAGE_SIZE_PX = 378  # the model's own image size ...
RELEASED_INPUT_SIZE_PX = 384  # ... and the frame size MMAudio feeds it
TEXT_CONTEXT_LENGTH = 77
# Exporters disagree on these: logit_scale is () or (1,) depending on the open_clip version (it
# is unused for features), and old exports keep the causal mask that newer versions rebuild.
_SHAPE_FLEXIBLE_KEYS = ("logit_scale",)
_OPTIONAL_KEYS = ("attn_mask",)


class OpenClipMissingError(PavasError, ImportError):
    """The optional open_clip package is not installed."""


def import_open_clip() -> Any:
    """open_clip, or a clear error saying how to install it."""
    try:
        import open_clip
    except ImportError as exc:
        raise OpenClipMissingError(
            "the CLIP encoder needs the open_clip_torch package (pip install 'open_clip_torch>=2.24'); "
            f"importing it failed: {exc}"
        ) from exc
    return open_clip


def clip_model_config(model_name: str = CLIP_MODEL_NAME) -> dict:
    """open_clip's bundled architecture config for `model_name` (read from the package, offline)."""
    open_clip = import_open_clip()
    if model_name.startswith(("hf-hub:", "local-dir:")):
        raise BadInputError(
            f"give a bundled open_clip architecture name, not a hub or folder reference: {model_name!r}"
        )
    config = open_clip.get_model_config(model_name)
    if config is None:
        raise BadInputError(f"open_clip has no bundled architecture named {model_name!r}")
    return config


def build_clip_model(model_config: Mapping[str, Any], *, device: torch.device | str | None = None) -> nn.Module:
    """An open_clip CLIP with this architecture and freshly initialised weights (no download)."""
    open_clip = import_open_clip()
    with torch.device(device if device is not None else "cpu"):
        return open_clip.CLIP(**dict(model_config))


def _rebuild_causal_mask(model: nn.Module) -> None:
    """The non-persistent causal text mask, rebuilt after a meta-device build (-inf above the diagonal)."""
    reference = model.positional_embedding
    context = reference.shape[0]
    mask = torch.full((context, context), float("-inf"), device=reference.device).triu_(1)
    model.attn_mask = mask.to(reference.dtype)  # as open_clip's model.to(dtype) would leave it


@checkpoint_errors("CLIP")
def load_clip_model(
    source: str | os.PathLike | Mapping[str, torch.Tensor],
    *,
    model_config: Mapping[str, Any] | None = None,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
) -> nn.Module:
    """Build the CLIP model (default: ViT-H-14-378-quickgelu) and load `source` strictly.

    source: a .safetensors / .bin / .pth file or a state dict with open_clip key names (the
    DFN5B open_clip weights and kijai's apple_DFN5B-CLIP-ViT-H-14-384_*.safetensors use them).
    """
    config = dict(model_config) if model_config is not None else clip_model_config()
    weights = as_state_dict(source)
    open_clip = import_open_clip()
    with torch.device("meta"):  # no time spent initialising ~1e9 parameters we overwrite
        model = open_clip.CLIP(**config)
    expected = {k: v.shape for k, v in model.state_dict().items()}
    weights = {k: v for k, v in weights.items() if k not in _OPTIONAL_KEYS}
    for key in _SHAPE_FLEXIBLE_KEYS:
        if key in weights and key in expected and weights[key].numel() == 1:
            weights[key] = weights[key].reshape(expected[key])
    check_state_dict(expected, weights, f"CLIP {config.get('vision_cfg', {}).get('image_size', '?')} px")
    weights = {k: v.to(device=device, dtype=dtype) for k, v in weights.items()}
    model.load_state_dict(weights, strict=True, assign=True)
    _rebuild_causal_mask(model)
    leftovers = [name for name, t in list(model.named_parameters()) + list(model.named_buffers()) if t.is_meta]
    if leftovers:
        raise PavasError(f"CLIP: tensors left uninitialised after loading: {', '.join(leftovers[:8])}")
    return model.eval().requires_grad_(False)


class ClipEncoder:
    """An open_clip CLIP model plus its tokenizer; frames and prompts → MMAudio's CLIP features."""

    def __init__(self, model: nn.Module, tokenizer: Any) -> None:
        self.model = model
        self.tokenizer = tokenizer

    @classmethod
    @checkpoint_errors("CLIP")
    def from_file(
        cls,
        path: str | os.PathLike,
        *,
        device: torch.device | str = "cpu",
        dtype: torch.dtype = torch.float32,
        model_name: str = CLIP_MODEL_NAME,
    ) -> "ClipEncoder":
        """Load weights from a local file into the bundled `model_name` architecture.

        A safetensors file may instead carry its own open_clip architecture (a custom size, e.g. the
        tiny random-weight test models) as ``{"open_clip": {...}}`` in its ``pavas_config`` metadata;
        the tokenizer is still `model_name`'s bundled one.
        """
        custom = pavas_config(path, "clip").get("open_clip")  # sizes only: checked against an allow-list
        config = custom if custom is not None else clip_model_config(model_name)
        model = load_clip_model(path, model_config=config, device=device, dtype=dtype)
        return cls(model, make_tokenizer(model_name))

    @property
    def input_size_px(self) -> int:
        """Frame size fed to the image tower: MMAudio feeds 384-px frames to the 378-px DFN5B model
        (27x27 patches either way); any other model gets its own image size."""
        size = self.model.visual.image_size
        size = size[0] if isinstance(size, (tuple, list)) else int(size)
        return RELEASED_INPUT_SIZE_PX if size == RELEASED_IMAGE_SIZE_PX else size

    @property
    def device(self) -> torch.device:
        return self.model.positional_embedding.device

    @property
    def dtype(self) -> torch.dtype:
        return self.model.positional_embedding.dtype

    @torch.inference_mode()
    def encode_frames(
        self,
        frames: torch.Tensor,
        *,
        frames_per_batch: int = 16,
        progress: ProgressCallback | None = None,
    ) -> torch.Tensor:
        """(B, T, 3, S, S) or (T, 3, S, S) CLIP-normalised frames → (B, T, D) unit vectors.

        S is the preprocessing size (384 for the released model; any S with S // patch equal to the
        model's patch grid is accepted, as in open_clip). Frames run in batches of `frames_per_batch`.
        """
        if frames.ndim == 4:
            frames = frames.unsqueeze(0)
        if frames.ndim != 5 or frames.shape[2] != 3:
            raise BadInputError(f"CLIP frames must have shape (B, T, 3, H, W), got {tuple(frames.shape)}")
        if frames_per_batch < 1:
            raise BadInputError(f"frames_per_batch must be >= 1, got {frames_per_batch}")
        visual = self.model.visual
        grid = tuple(visual.grid_size)
        patch = tuple(visual.patch_size) if isinstance(visual.patch_size, (tuple, list)) else (visual.patch_size,) * 2
        height, width = frames.shape[-2:]
        if (height // patch[0], width // patch[1]) != grid:
            raise BadInputError(
                f"CLIP frames of {width}x{height} px do not give the model's {grid[1]}x{grid[0]} patch grid (patch {patch[0]} px)"
            )
        batch, num_frames = frames.shape[:2]
        flat = frames.reshape(batch * num_frames, *frames.shape[2:])
        outputs = []
        for start in range(0, flat.shape[0], frames_per_batch):
            chunk = flat[start : start + frames_per_batch].to(device=self.device, dtype=self.dtype)
            outputs.append(self.model.encode_image(chunk, normalize=True))
            report(progress, min(start + frames_per_batch, flat.shape[0]), flat.shape[0])
        return torch.cat(outputs, dim=0).reshape(batch, num_frames, -1)

    @property
    def patch_grid(self) -> tuple[int, int]:
        """(rows, columns) of the image tower's patch grid (27x27 for DFN5B at 384 px)."""
        grid = self.model.visual.grid_size
        return (int(grid[0]), int(grid[1])) if isinstance(grid, (tuple, list)) else (int(grid), int(grid))

    @property
    def patch_coverage(self) -> float:
        """Share of the preprocessed frame's width (and height) the patch grid covers: the 378-px model
        reads the top-left 378 of MMAudio's 384 px, i.e. 378/384."""
        visual = self.model.visual
        patch = visual.patch_size[0] if isinstance(visual.patch_size, (tuple, list)) else int(visual.patch_size)
        return min(1.0, self.patch_grid[1] * patch / self.input_size_px)

    @torch.inference_mode()
    def encode_objects(
        self,
        frames: torch.Tensor,
        patch_weights: torch.Tensor,
        *,
        frames_per_batch: int = 16,
        progress: ProgressCallback | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """CLIP frame features and mask-pooled object features from the same forward pass.

        frames (T, 3, S, S) CLIP-normalised; patch_weights (K, T, rows, cols) ≥ 0, each object's share
        of every patch. Returns (T, E) unit frame features (what `encode_frames` gives) and (K, T, E)
        object features: the weighted mean of the patch tokens after the final LayerNorm, through the
        visual projection (the image embedding space; pooling before projecting is the same linear
        map, cheaper). A frame whose weights are all zero gets zeros.
        """
        visual = self.model.visual
        num_frames = frames.shape[0]
        if patch_weights.dim() != 4 or patch_weights.shape[1] != num_frames or \
                tuple(patch_weights.shape[2:]) != self.patch_grid:
            raise BadInputError(f"patch weights must be (K, {num_frames}, {self.patch_grid[0]}, {self.patch_grid[1]}), "
                                f"got {tuple(patch_weights.shape)}")
        weights = patch_weights.flatten(2).to(device=self.device, dtype=torch.float32)  # (K, T, P)
        totals = weights.sum(-1, keepdim=True)
        weights = weights / totals.clamp_min(1e-12)
        pooled_frames, objects = [], []
        previous = getattr(visual, "output_tokens", False)
        visual.output_tokens = True  # open_clip then returns (pooled, patch tokens after ln_post)
        try:
            for start in range(0, num_frames, frames_per_batch):
                chunk = frames[start : start + frames_per_batch].to(device=self.device, dtype=self.dtype)
                pooled, tokens = visual(chunk)
                pooled_frames.append(F.normalize(pooled, dim=-1))
                mixed = torch.einsum("ktp,tpw->ktw", weights[:, start : start + chunk.shape[0]], tokens.float())
                objects.append(mixed)
                report(progress, min(start + frames_per_batch, num_frames), num_frames)
        finally:
            visual.output_tokens = previous
        object_tokens = torch.cat(objects, dim=1) if objects else weights.new_zeros(weights.shape[0], 0, 1)
        if visual.proj is not None:
            object_tokens = object_tokens @ visual.proj.float()
        frame_features = torch.cat(pooled_frames, dim=0) if pooled_frames else None
        return frame_features, object_tokens

    def tokenize(self, prompts: Sequence[str]) -> torch.Tensor:
        """Prompts → (B, 77) token ids (open_clip's BPE tokenizer, padded/truncated)."""
        if isinstance(prompts, str) or not all(isinstance(p, str) for p in prompts):
            raise BadInputError("prompts must be a list of strings")
        return self.tokenizer(list(prompts))

    @torch.inference_mode()
    def encode_text(self, prompts: Sequence[str]) -> torch.Tensor:
        """Prompts → (B, 77, W): all token states after ln_final, each L2-normalised (W = text width)."""
        tokens = self.tokenize(prompts).to(self.device)
        return text_token_states(self.model, tokens)


def text_token_states(model: nn.Module, tokens: torch.Tensor) -> torch.Tensor:
    """(B, L) token ids → (B, L, W) L2-normalised outputs of the text tower's final LayerNorm.

    The states are taken from open_clip's own encode_text at its ln_final (so the text tower runs
    exactly as in open_clip, whatever its version); pooling and projection after it are discarded.
    """
    captured: list[torch.Tensor] = []
    handle = model.ln_final.register_forward_hook(lambda _module, _inputs, output: captured.append(output))
    try:
        model.encode_text(tokens)
    finally:
        handle.remove()
    if len(captured) != 1:
        raise PavasError(f"CLIP text tower: expected one ln_final call, saw {len(captured)}")
    return F.normalize(captured[0], dim=-1)


def make_tokenizer(model_name: str = CLIP_MODEL_NAME) -> Any:
    """open_clip's tokenizer for a bundled architecture (its BPE vocabulary ships with the package)."""
    config = clip_model_config(model_name)  # refuses hub / folder references
    if config.get("text_cfg", {}).get("hf_tokenizer_name"):
        raise BadInputError(f"{model_name} uses a Hugging Face tokenizer, which would need a download")
    return import_open_clip().get_tokenizer(model_name)


def encode_clip_frames(
    encoder: ClipEncoder,
    clip_frames: torch.Tensor,
    *,
    frames_per_batch: int = 16,
    progress: ProgressCallback | None = None,
) -> torch.Tensor:
    """(B, clip_len, 3, 384, 384) or (clip_len, 3, 384, 384) → (B, clip_len, 1024)."""
    return encoder.encode_frames(clip_frames, frames_per_batch=frames_per_batch, progress=progress)


def encode_text(encoder: ClipEncoder, prompts: Sequence[str]) -> torch.Tensor:
    """Prompts → (B, 77, 1024) MMAudio text features."""
    return encoder.encode_text(prompts)
