"""Which video frames MMAudio's two visual encoders see, and how they are prepared.

Frame choice is by TIME, never by position: CLIP sees the frame on screen at t = k/8 s
(k = 0 .. clip_len-1) and Synchformer the frame on screen at t = k/25 s (k = 0 .. num_sync_frames-1),
whatever the frame rate of the input (constant or variable). "On screen at t" is the last frame
whose presentation time is <= t (up to the timestamp-rounding tolerance of
:func:`pavas_core.video.resample.frame_indices_for_times`, the rule shared with video decoding).
Reading the first N frames instead (what one ComfyUI port does) silently assumes the input already
runs at 8 or 25 fps and desynchronises everything else.

MMAudio itself picks, for each target time, the first decoded frame whose time is >= t; the two
rules differ by less than one source-frame period and agree exactly whenever a source frame falls
on the target time.

Short videos: MMAudio shortens the requested duration to the frames available. We keep the
requested duration (so the audio has the length the user asked for) and hold the last frame for
every target time at or after the end of the video; :class:`FrameSelection` reports how many
frames were held and carries a warning saying so.

Preprocessing reproduces MMAudio's torchvision pipeline (``eval_utils.load_video``) exactly:
  CLIP: squash-resize to 384x384, bicubic with antialias, on uint8; then [0, 1] and the OpenAI CLIP
        mean/std. (The ViT-H-14-378 model then uses only the top-left 378x378 pixels: 27x27 patches.)
  Synchformer: resize so the shorter side is 224 (longer side truncated to int), bicubic with
        antialias, on uint8; center crop 224x224; [0, 1]; mean 0.5, std 0.5 (so [-1, 1]).
Resizing runs batched in torch on uint8 frames. On the CPU this is torch's native uint8 kernel,
bit-identical to MMAudio's preprocessing; frames that already live on a GPU are resized there in
float and rounded back to uint8 (as torchvision does on a GPU), which can differ by a few levels
on sharp edges. Each distinct source frame is resized once even when it is held for several
target times (a 10 fps video feeds 25 fps Synchformer input).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import BadInputError
from ..progress import ProgressCallback, report
from ..video.clip import Clip
from ..video.resample import frame_indices_for_times
from .mmaudio.sequence import (
    CLIP_FPS,
    SYNC_FPS,
    SYNC_TOKENS_PER_WINDOW,
    SYNC_WINDOW_FRAMES,
    SequenceLengths,
    sequence_lengths,
)

if TYPE_CHECKING:  # the encoders are passed in; this module only prepares their input
    from .clip_encoder import ClipEncoder
    from .synchformer import SynchformerVisual

CLIP_SIZE_PX = 384
SYNC_SIZE_PX = 224
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
SYNC_MEAN = (0.5, 0.5, 0.5)
SYNC_STD = (0.5, 0.5, 0.5)
# Float round-off margin when deciding whether a target time lies at or after the end of the video.
_END_TOLERANCE_S = 1e-9
# Only the audio-side lengths depend on the sample rate; any supported rate gives the same
# clip/sync lengths.
_ANY_SUPPORTED_RATE_HZ = 16000
MIN_DURATION_S = SYNC_WINDOW_FRAMES / SYNC_FPS  # one Synchformer window (0.64 s)
MAX_ASPECT_RATIO = 16  # longer / shorter frame side accepted for the Synchformer resize


def encoder_lengths(duration_s: float) -> SequenceLengths:
    """MMAudio's sequence lengths for `duration_s`; rejects durations too short for one sync window."""
    if not np.isfinite(duration_s) or duration_s < MIN_DURATION_S:
        raise BadInputError(
            f"duration {duration_s!r} s is too short: MMAudio needs at least {MIN_DURATION_S:.2f} s "
            f"({SYNC_WINDOW_FRAMES} frames at {SYNC_FPS:g} fps for one Synchformer window)"
        )
    return sequence_lengths(float(duration_s), _ANY_SUPPORTED_RATE_HZ)


@dataclass(frozen=True)
class FrameSelection:
    """Which source frame each encoder input frame comes from.

    clip_indices: (clip_len,) source frame index for t = k/8 s.
    sync_indices: (num_sync_frames,) source frame index for t = k/25 s.
    held_clip_frames / held_sync_frames: how many target times fall at or after the end of the
        video (they show the held last frame). warnings: one line per held stream, for the user.
    """

    duration_s: float
    lengths: SequenceLengths
    clip_times_s: np.ndarray
    sync_times_s: np.ndarray
    clip_indices: np.ndarray
    sync_indices: np.ndarray
    video_end_s: float
    held_clip_frames: int
    held_sync_frames: int
    warnings: list[str] = field(default_factory=list)


def select_encoder_frames(
    timestamps_s: np.ndarray | Sequence[float], duration_s: float, *, video_end_s: float | None = None
) -> FrameSelection:
    """Pick the source frames for CLIP (8 fps) and Synchformer (25 fps) covering `duration_s`.

    timestamps_s: (T,) presentation time of each source frame, seconds.
    video_end_s: when the last frame stops being shown; default: last timestamp + the median
        frame period (or + 1/25 s for a single frame).
    """
    stamps = np.asarray(timestamps_s, dtype=np.float64)
    if stamps.ndim != 1 or stamps.size == 0:
        raise BadInputError("the video has no frames")
    if not np.all(np.isfinite(stamps)):
        raise BadInputError("frame timestamps must be finite numbers")
    lengths = encoder_lengths(duration_s)
    if video_end_s is None:
        period_s = float(np.median(np.diff(stamps))) if stamps.size > 1 else 1.0 / SYNC_FPS
        video_end_s = float(stamps[-1]) + period_s
    clip_times = np.arange(lengths.clip_len, dtype=np.float64) / CLIP_FPS
    sync_times = np.arange(lengths.num_sync_frames, dtype=np.float64) / SYNC_FPS
    held_clip = int(np.count_nonzero(clip_times >= video_end_s - _END_TOLERANCE_S))
    held_sync = int(np.count_nonzero(sync_times >= video_end_s - _END_TOLERANCE_S))
    warnings = []
    for name, held, total, fps in (
        ("CLIP", held_clip, lengths.clip_len, CLIP_FPS),
        ("Synchformer", held_sync, lengths.num_sync_frames, SYNC_FPS),
    ):
        if held:
            warnings.append(
                f"video ends at {video_end_s:.3f} s, before the requested {duration_s:g} s: "
                f"the last frame is held for {held} of {total} {name} frames ({fps:g} fps)"
            )
    return FrameSelection(
        duration_s=float(duration_s),
        lengths=lengths,
        clip_times_s=clip_times,
        sync_times_s=sync_times,
        clip_indices=frame_indices_for_times(stamps, clip_times),
        sync_indices=frame_indices_for_times(stamps, sync_times),
        video_end_s=float(video_end_s),
        held_clip_frames=held_clip,
        held_sync_frames=held_sync,
        warnings=warnings,
    )


# ---------------------------------------------------------------------------------------------
# Preprocessing


def _frame_tensor(frames: np.ndarray | torch.Tensor) -> torch.Tensor:
    """Validate (T, H, W, 3) frames (uint8, or float in [0, 1] as ComfyUI IMAGE) → tensor view, no copy."""
    if isinstance(frames, np.ndarray):
        frames = torch.from_numpy(np.ascontiguousarray(frames))
    if not isinstance(frames, torch.Tensor):
        raise BadInputError(f"frames must be a numpy array or torch tensor, not {type(frames).__name__}")
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise BadInputError(f"frames must have shape (T, H, W, 3), got {tuple(frames.shape)}")
    if frames.shape[0] == 0 or frames.shape[1] == 0 or frames.shape[2] == 0:
        raise BadInputError(f"frames are empty: shape {tuple(frames.shape)}")
    if frames.dtype != torch.uint8 and not frames.is_floating_point():
        raise BadInputError(f"frames must be uint8 or float in [0, 1], got {frames.dtype}")
    return frames


def _as_uint8(frames: torch.Tensor) -> torch.Tensor:
    """Float frames in [0, 1] → uint8 (rounded), so every input takes MMAudio's uint8 path."""
    if frames.dtype == torch.uint8:
        return frames
    if torch.isnan(frames).any():
        raise BadInputError("frames contain NaN values")
    return (frames.float().clamp(0.0, 1.0) * 255.0).round_().to(torch.uint8)


def _resize_bicubic_uint8(images: torch.Tensor, size_hw: tuple[int, int]) -> torch.Tensor:
    """(N, 3, H, W) uint8 → (N, 3, h, w) uint8, bicubic with antialias (torchvision's tensor Resize)."""
    if tuple(images.shape[-2:]) == tuple(size_hw):
        return images
    if images.device.type == "cpu":
        # torch's native uint8 kernel: the path torchvision (and so MMAudio) takes on the CPU.
        return F.interpolate(images, size=size_hw, mode="bicubic", align_corners=False, antialias=True)
    resized = F.interpolate(images.float(), size=size_hw, mode="bicubic", align_corners=False, antialias=True)
    return resized.clamp_(0, 255).round_().to(torch.uint8)


def sync_resize_size(height: int, width: int, size_px: int = SYNC_SIZE_PX) -> tuple[int, int]:
    """(h, w) after resizing the shorter side to `size_px` (longer side truncated, as torchvision)."""
    if width <= height:
        return int(size_px * height / width), size_px
    return size_px, int(size_px * width / height)


def center_crop_offsets(height: int, width: int, crop_px: int) -> tuple[int, int]:
    """(top, left) of a centred crop, rounded like torchvision (Python's round-half-to-even)."""
    return int(round((height - crop_px) / 2.0)), int(round((width - crop_px) / 2.0))


def _consecutive_runs(sorted_indices: np.ndarray, max_len: int) -> list[tuple[int, int]]:
    """Split sorted distinct indices into [start, stop) ranges of consecutive values, each <= max_len long."""
    runs = []
    start = 0
    for pos in range(1, len(sorted_indices) + 1):
        if pos == len(sorted_indices) or sorted_indices[pos] != sorted_indices[pos - 1] + 1 or pos - start == max_len:
            runs.append((int(sorted_indices[start]), int(sorted_indices[pos - 1]) + 1))
            start = pos
    return runs


def _prepare_frames(
    frames: np.ndarray | torch.Tensor,
    indices: np.ndarray,
    *,
    resize_fn,
    mean: tuple[float, float, float],
    std: tuple[float, float, float],
    device: torch.device | str | None,
    dtype: torch.dtype,
    chunk_frames: int,
    progress: ProgressCallback | None,
) -> torch.Tensor:
    """Resize each distinct source frame in `indices` once, then gather and normalise.

    Consecutive source frames are resized together straight from a view of the input (no copy of
    full-resolution frames: copying them costs more than resizing them).
    """
    if chunk_frames < 1:
        raise BadInputError(f"chunk_frames must be >= 1, got {chunk_frames}")
    source = _frame_tensor(frames)
    indices = np.asarray(indices, dtype=np.int64)
    if indices.size and (indices.min() < 0 or indices.max() >= source.shape[0]):
        raise BadInputError(f"frame index out of range for a video of {source.shape[0]} frames")
    unique, inverse = np.unique(indices, return_inverse=True)
    out_device = torch.device(device) if device is not None else source.device
    resized_chunks = []
    done = 0
    for start, stop in _consecutive_runs(unique, chunk_frames):
        view = _as_uint8(source[start:stop]).permute(0, 3, 1, 2)  # (n, 3, H, W) uint8, channels-last
        # Standard layout: gathering a channels-last uint8 tensor is several times slower.
        resized_chunks.append(resize_fn(view).contiguous().to(out_device))
        done += stop - start
        report(progress, done, len(unique))
    resized = torch.cat(resized_chunks, dim=0)
    gathered = resized.index_select(0, torch.from_numpy(inverse.reshape(-1)).to(out_device))
    mean_t = torch.tensor(mean, device=out_device, dtype=torch.float32).view(1, 3, 1, 1)
    std_t = torch.tensor(std, device=out_device, dtype=torch.float32).view(1, 3, 1, 1)
    return ((gathered.float() / 255.0 - mean_t) / std_t).to(dtype)


def preprocess_clip_frames(
    frames: np.ndarray | torch.Tensor,
    indices: np.ndarray | None = None,
    *,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
    chunk_frames: int = 32,
    progress: ProgressCallback | None = None,
    size_px: int = CLIP_SIZE_PX,
) -> torch.Tensor:
    """Frames → CLIP input (N, 3, size_px, size_px): squash resize, [0, 1], OpenAI CLIP mean/std.

    size_px: 384 for the released model (MMAudio's size); a custom-size CLIP gives its own
    (``ClipEncoder.input_size_px``).

    frames: (T, H, W, 3) uint8 or float [0, 1]. indices: (N,) source frames to use (default all).
    Resizing happens where the frames are (CPU for numpy input); the result is moved to `device`.
    """
    if indices is None:
        indices = np.arange(int(frames.shape[0]))

    def squash(chunk: torch.Tensor) -> torch.Tensor:
        return _resize_bicubic_uint8(chunk, (size_px, size_px))

    return _prepare_frames(
        frames,
        indices,
        resize_fn=squash,
        mean=CLIP_MEAN,
        std=CLIP_STD,
        device=device,
        dtype=dtype,
        chunk_frames=chunk_frames,
        progress=progress,
    )


def preprocess_sync_frames(
    frames: np.ndarray | torch.Tensor,
    indices: np.ndarray | None = None,
    *,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
    chunk_frames: int = 32,
    progress: ProgressCallback | None = None,
) -> torch.Tensor:
    """Frames → Synchformer input (N, 3, 224, 224): shorter side 224, center crop, mean/std 0.5."""
    if indices is None:
        indices = np.arange(int(frames.shape[0]))

    def resize_and_crop(chunk: torch.Tensor) -> torch.Tensor:
        height, width = chunk.shape[-2:]
        if max(height, width) > MAX_ASPECT_RATIO * min(height, width):
            # The shorter-side resize would blow the longer side up to an enormous image.
            raise BadInputError(
                f"frames of {width}x{height} px are too elongated (aspect ratio above {MAX_ASPECT_RATIO})"
            )
        h, w = sync_resize_size(height, width)
        resized = _resize_bicubic_uint8(chunk, (h, w))
        top, left = center_crop_offsets(h, w, SYNC_SIZE_PX)
        return resized[:, :, top : top + SYNC_SIZE_PX, left : left + SYNC_SIZE_PX]

    return _prepare_frames(
        frames,
        indices,
        resize_fn=resize_and_crop,
        mean=SYNC_MEAN,
        std=SYNC_STD,
        device=device,
        dtype=dtype,
        chunk_frames=chunk_frames,
        progress=progress,
    )


@dataclass
class EncoderFrames:
    """Preprocessed encoder inputs for one video.

    clip: (clip_len, 3, 384, 384) CLIP-normalised. sync: (num_sync_frames, 3, 224, 224) in [-1, 1].
    selection: which source frame each came from, and whether the last frame was held.
    """

    clip: torch.Tensor
    sync: torch.Tensor
    selection: FrameSelection


def video_timing(
    video: Clip | np.ndarray | torch.Tensor,
    *,
    timestamps_s: np.ndarray | Sequence[float] | None = None,
    fps: float | None = None,
) -> tuple[np.ndarray | torch.Tensor, np.ndarray, float | None]:
    """(frames, timestamps_s, video_end_s) of a Clip, or of raw frames with timestamps or an fps.

    video_end_s is None for raw frames with timestamps: it is then inferred from the frame spacing.
    """
    if isinstance(video, Clip):
        if timestamps_s is not None or fps is not None:
            raise BadInputError("a Clip carries its own timing; do not pass timestamps_s or fps with it")
        return video.frames, np.asarray(video.timestamps_s, dtype=np.float64), float(video.duration_s)
    num_frames = int(video.shape[0])
    if (timestamps_s is None) == (fps is None):
        raise BadInputError("give the frames' timing: either timestamps_s or fps (exactly one)")
    if timestamps_s is not None:
        stamps = np.asarray(timestamps_s, dtype=np.float64)
        if stamps.shape != (num_frames,):
            raise BadInputError(f"timestamps_s has {stamps.size} entries for {num_frames} frames")
        return video, stamps, None
    if not (fps is not None and np.isfinite(fps) and fps > 0):
        raise BadInputError(f"fps must be a positive number, got {fps!r}")
    return video, np.arange(num_frames, dtype=np.float64) / float(fps), num_frames / float(fps)


def prepare_encoder_frames(
    video: Clip | np.ndarray | torch.Tensor,
    *,
    duration_s: float,
    timestamps_s: np.ndarray | Sequence[float] | None = None,
    fps: float | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
    chunk_frames: int = 32,
    progress: ProgressCallback | None = None,
) -> EncoderFrames:
    """Select (by time) and preprocess the CLIP and Synchformer frames for `duration_s` seconds.

    video: a Clip, or (T, H, W, 3) frames (uint8, or float [0, 1]) with `timestamps_s` or `fps`.
    Lengths equal ``sequence_lengths(duration_s, sr).clip_len`` and ``.num_sync_frames``.
    """
    frames, stamps, video_end_s = video_timing(video, timestamps_s=timestamps_s, fps=fps)
    selection = select_encoder_frames(stamps, duration_s, video_end_s=video_end_s)
    total = len(np.unique(selection.clip_indices)) + len(np.unique(selection.sync_indices))

    def sub_progress(offset: int):
        if progress is None:
            return None
        return lambda done, _total: progress(offset + done, total)

    clip = preprocess_clip_frames(
        frames, selection.clip_indices, device=device, dtype=dtype, chunk_frames=chunk_frames, progress=sub_progress(0)
    )
    sync = preprocess_sync_frames(
        frames,
        selection.sync_indices,
        device=device,
        dtype=dtype,
        chunk_frames=chunk_frames,
        progress=sub_progress(len(np.unique(selection.clip_indices))),
    )
    return EncoderFrames(clip=clip, sync=sync, selection=selection)


@dataclass
class VideoConditions:
    """MMAudio's visual conditions for one video.

    clip_features: (1, clip_len, 1024) unit vectors at 8 fps.
    sync_features: (1, sync_len, 768) Synchformer tokens (8 per 16-frame window, stride 8 at 25 fps).
    selection: the source frame behind each input frame, held-frame counts and warnings.
    """

    clip_features: torch.Tensor
    sync_features: torch.Tensor
    selection: FrameSelection


def encode_video(
    video: Clip | np.ndarray | torch.Tensor,
    *,
    duration_s: float,
    clip_encoder: "ClipEncoder",
    synchformer: "SynchformerVisual",
    timestamps_s: np.ndarray | Sequence[float] | None = None,
    fps: float | None = None,
    frames_per_batch: int = 16,
    windows_per_batch: int = 8,
    progress: ProgressCallback | None = None,
) -> VideoConditions:
    """Frames → CLIP (8 fps) and Synchformer (25 fps) features for `duration_s` seconds.

    The lengths are ``sequence_lengths(duration_s, sr).clip_len`` and ``.sync_len``. progress is
    called once per preprocessing chunk, CLIP batch and Synchformer batch, on one running count.
    """
    frames, stamps, video_end_s = video_timing(video, timestamps_s=timestamps_s, fps=fps)
    selection = select_encoder_frames(stamps, duration_s, video_end_s=video_end_s)
    lengths = selection.lengths
    num_windows = lengths.sync_len // SYNC_TOKENS_PER_WINDOW
    n_clip_src = len(np.unique(selection.clip_indices))
    n_sync_src = len(np.unique(selection.sync_indices))
    stage_sizes = [n_clip_src, n_sync_src, lengths.clip_len, num_windows]
    total = sum(stage_sizes)

    def stage(index: int) -> ProgressCallback | None:
        if progress is None:
            return None
        offset = sum(stage_sizes[:index])
        return lambda done, _total: progress(offset + done, total)

    clip_frames = preprocess_clip_frames(
        frames, selection.clip_indices, device=clip_encoder.device, dtype=clip_encoder.dtype, progress=stage(0),
        size_px=clip_encoder.input_size_px,
    )
    sync_param = synchformer.cls_token
    sync_frames = preprocess_sync_frames(
        frames, selection.sync_indices, device=sync_param.device, dtype=sync_param.dtype, progress=stage(1)
    )
    clip_features = clip_encoder.encode_frames(
        clip_frames.unsqueeze(0), frames_per_batch=frames_per_batch, progress=stage(2)
    )
    sync_features = synchformer.encode(sync_frames.unsqueeze(0), windows_per_batch=windows_per_batch, progress=stage(3))
    if clip_features.shape[1] != lengths.clip_len or sync_features.shape[1] != lengths.sync_len:
        raise RuntimeError(
            f"encoder lengths {clip_features.shape[1]}/{sync_features.shape[1]} differ from "
            f"sequence_lengths {lengths.clip_len}/{lengths.sync_len}"
        )
    return VideoConditions(clip_features=clip_features, sync_features=sync_features, selection=selection)
