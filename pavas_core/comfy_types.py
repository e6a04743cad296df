"""Conversions between the library's bundles (Clip, AudioTrack) and ComfyUI's data layout.

Plain torch/numpy: this module never imports ComfyUI. The layouts are ComfyUI's public contract:

- IMAGE: float32 tensor (B, H, W, C) in 0..1, C = 3 (RGB); a video is B frames.
- AUDIO: a mapping {"waveform": float tensor (B, C, T), "sample_rate": int}. VideoHelperSuite
  passes a lazy Mapping that decodes on first access, so any Mapping is accepted (never only dict),
  and a failure while reading it becomes a BadInputError.

torch is imported inside the functions: importing this module stays cheap.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .errors import BadInputError
from .limits import check_sample_rate_hz
from .video.clip import AudioTrack, Clip

# Frames converted per chunk: bounds the float32 temporary to a few hundred MB for HD video.
_FRAMES_PER_CHUNK = 64


def check_fps(fps: Any, what: str = "fps") -> float:
    """A positive finite frame rate as float, else BadInputError."""
    try:
        value = float(fps)
    except (TypeError, ValueError):
        raise BadInputError(f"{what} must be a number, got {fps!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise BadInputError(f"{what} must be a positive frame rate, got {fps!r}")
    return value


def image_to_frames(images: Any) -> np.ndarray:
    """IMAGE (B, H, W, C) float 0..1 → frames (B, H, W, 3) uint8 RGB.

    Grey (C=1) is repeated to RGB and alpha (C=4) is dropped. NaN/Inf values are rejected: they
    would silently turn into black pixels and wrong motion.
    """
    import torch

    if isinstance(images, np.ndarray):
        images = torch.from_numpy(images)
    if not isinstance(images, torch.Tensor):
        raise BadInputError(f"expected IMAGE frames (a tensor [frames, height, width, channels]), got {type(images).__name__}")
    if images.ndim == 3:  # one frame without the batch axis
        images = images.unsqueeze(0)
    if images.ndim != 4 or images.shape[-1] not in (1, 3, 4):
        raise BadInputError(
            f"expected IMAGE frames shaped [frames, height, width, 1|3|4], got {list(images.shape)}"
        )
    if not images.is_floating_point():
        raise BadInputError(f"expected IMAGE frames of floating-point values 0..1, got {str(images.dtype).replace('torch.', '')}")
    num_frames, height, width, _ = images.shape
    if num_frames == 0 or height == 0 or width == 0:
        raise BadInputError(f"IMAGE input is empty (shape {list(images.shape)})")
    out = np.empty((num_frames, height, width, 3), dtype=np.uint8)
    for start in range(0, num_frames, _FRAMES_PER_CHUNK):
        chunk = images[start : start + _FRAMES_PER_CHUNK].detach().to("cpu", torch.float32)
        if not bool(torch.isfinite(chunk).all()):
            raise BadInputError(f"IMAGE input holds NaN or infinite values (frames {start}..{start + len(chunk) - 1})")
        if chunk.shape[-1] == 1:
            chunk = chunk.expand(-1, -1, -1, 3)
        elif chunk.shape[-1] == 4:
            chunk = chunk[..., :3]
        out[start : start + len(chunk)] = (chunk.clamp(0.0, 1.0) * 255.0).round().to(torch.uint8).numpy()
    return out


def frames_to_image(frames: np.ndarray):
    """frames (T, H, W, 3) uint8 → IMAGE (T, H, W, 3) float32 0..1 on the CPU."""
    import torch

    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
        raise BadInputError(f"expected uint8 frames (T, H, W, 3), got {frames.dtype} {list(frames.shape)}")
    out = torch.empty(frames.shape, dtype=torch.float32)
    for start in range(0, frames.shape[0], _FRAMES_PER_CHUNK):
        chunk = torch.from_numpy(np.array(frames[start : start + _FRAMES_PER_CHUNK]))  # a writable copy
        out[start : start + len(chunk)] = chunk.to(torch.float32) / 255.0
    return out


def clip_to_image(clip: Clip):
    """The clip's frames as IMAGE (T, H, W, 3) float32 0..1."""
    return frames_to_image(clip.frames)


def _read_audio(audio: Any, what: str):
    """AUDIO mapping → (waveform tensor (B, C, T), sample rate), read once and checked.

    Accepts any Mapping with "waveform" (B, C, T) or (C, T) and "sample_rate"; reading the keys
    may decode a file (VideoHelperSuite), so errors raised there are reported as bad input.
    """
    import torch

    if not isinstance(audio, Mapping):
        raise BadInputError(
            f"{what}: expected AUDIO (a mapping with 'waveform' and 'sample_rate'), got {type(audio).__name__}"
        )
    try:
        waveform = audio["waveform"]
        sample_rate = audio["sample_rate"]
    except KeyError as exc:
        raise BadInputError(f"{what}: AUDIO has no {exc.args[0]!r} entry") from None
    except Exception as exc:  # a lazy mapping failed to decode (e.g. the video has no audio stream)
        raise BadInputError(f"{what}: the audio could not be read ({type(exc).__name__}: {exc})") from None
    rate = _check_sample_rate(sample_rate, what)
    if isinstance(waveform, np.ndarray):
        waveform = torch.from_numpy(waveform)
    if not isinstance(waveform, torch.Tensor):
        raise BadInputError(f"{what}: waveform must be a tensor, got {type(waveform).__name__}")
    if waveform.ndim == 2:
        waveform = waveform.unsqueeze(0)
    if waveform.ndim != 3 or waveform.shape[1] == 0:
        raise BadInputError(f"{what}: waveform must be shaped [batch, channels, samples], got {list(waveform.shape)}")
    return waveform, rate


def _to_numpy(samples, what: str) -> np.ndarray:
    import torch

    out = np.ascontiguousarray(samples.detach().to("cpu", torch.float32).numpy())
    if not np.isfinite(out).all():
        raise BadInputError(f"{what}: waveform holds NaN or infinite samples")
    return out


def audio_to_track(audio: Any, *, what: str = "audio", batch_index: int = 0) -> AudioTrack:
    """AUDIO mapping → AudioTrack (C, T) float32 of one batch item."""
    waveform, rate = _read_audio(audio, what)
    if not 0 <= batch_index < waveform.shape[0]:
        raise BadInputError(f"{what}: batch item {batch_index} requested, AUDIO holds {waveform.shape[0]}")
    return AudioTrack(_to_numpy(waveform[batch_index], what), rate)


def audio_batch(audio: Any, *, what: str = "audio") -> tuple[np.ndarray, int]:
    """AUDIO mapping → (waveform (B, C, T) float32 numpy, sample_rate_hz), read and converted once."""
    waveform, rate = _read_audio(audio, what)
    return _to_numpy(waveform, what), rate


def waveform_to_audio(waveform: Any, sample_rate_hz: int) -> dict:
    """(B, C, T) or (C, T) array/tensor → AUDIO dict with a float32 CPU tensor and the true rate."""
    import torch

    tensor = torch.as_tensor(np.asarray(waveform) if not isinstance(waveform, torch.Tensor) else waveform)
    tensor = tensor.detach().to("cpu", torch.float32)
    if tensor.ndim == 2:
        tensor = tensor.unsqueeze(0)
    if tensor.ndim != 3:
        raise BadInputError(f"waveform must be (B, C, T) or (C, T), got {list(tensor.shape)}")
    return {"waveform": tensor.contiguous(), "sample_rate": _check_sample_rate(sample_rate_hz, "audio")}


def track_to_audio(track: AudioTrack) -> dict:
    """AudioTrack (C, T) → AUDIO {"waveform": (1, C, T) float32, "sample_rate": rate}."""
    return waveform_to_audio(track.waveform, track.sample_rate_hz)


def silent_audio(duration_s: float, sample_rate_hz: int = 44100, channels: int = 1) -> dict:
    """AUDIO of zeros lasting `duration_s` (at least one sample)."""
    num_samples = max(1, int(round(duration_s * sample_rate_hz)))
    return waveform_to_audio(np.zeros((1, channels, num_samples), dtype=np.float32), sample_rate_hz)


def clip_from_comfy(images: Any, fps: Any, audio: Any = None) -> Clip:
    """IMAGE frames + frame rate (+ optional AUDIO mapping) → Clip with evenly spaced timestamps."""
    from .video import clip_from_frames

    rate = check_fps(fps)
    frames = image_to_frames(images)
    track = audio_to_track(audio) if audio is not None else None
    return clip_from_frames(frames, rate, audio=track)


def _check_sample_rate(value: Any, what: str) -> int:
    try:
        rate = int(value)
    except (TypeError, ValueError):
        raise BadInputError(f"{what}: sample_rate must be an integer, got {value!r}") from None
    if rate <= 0 or rate != value:
        raise BadInputError(f"{what}: sample_rate must be a positive integer, got {value!r}")
    return check_sample_rate_hz(rate, f"{what}: sample_rate")


# --- MASK -----------------------------------------------------------------------------------------
def mask_batch_to_objects(mask: Any, num_frames: int) -> list:
    """MASK (B, H, W) float 0..1 → one ObjectMasks per object (a pixel belongs where the value > 0.5).

    B = num_frames: one object. B = k · num_frames: k objects, each a run of num_frames frames
    (object 0's frames first), as made by batching per-object masks one after the other.
    """
    import torch

    from .physics.masks import ObjectMasks

    if isinstance(mask, np.ndarray):
        mask = torch.from_numpy(mask)
    if not isinstance(mask, torch.Tensor):
        raise BadInputError(f"expected a MASK (a tensor [frames, height, width]), got {type(mask).__name__}")
    if mask.ndim == 2:
        mask = mask.unsqueeze(0)
    if mask.ndim != 3 or 0 in mask.shape:
        raise BadInputError(f"expected a MASK shaped [frames, height, width], got {list(mask.shape)}")
    batch = int(mask.shape[0])
    if num_frames <= 0 or batch % num_frames:
        raise BadInputError(f"the MASK batch has {batch} masks for a clip of {num_frames} frames: give one mask per "
                            "frame per object (objects one after the other)")
    if not bool(torch.isfinite(mask).all()):
        raise BadInputError("the MASK holds NaN or infinite values")
    size = (int(mask.shape[2]), int(mask.shape[1]))
    out = []
    for start in range(0, batch, num_frames):
        dense = (mask[start : start + num_frames] > 0.5).cpu().numpy()
        out.append(ObjectMasks.from_dense(dense, size))
    return out


def objects_to_mask_batch(masks: list, num_frames: int, size: tuple[int, int], object_index: int = -1):
    """ObjectMasks of the objects → MASK (num_frames, H, W) float in a grid of `size` (w, h): one
    object's masks, or (object_index -1) every object's pixels together."""
    import torch

    if object_index >= len(masks):
        raise BadInputError(f"no object {object_index} (there are {len(masks)}; -1 shows all)")
    w, h = int(size[0]), int(size[1])
    chosen = masks if object_index < 0 else [masks[object_index]]
    out = torch.zeros((num_frames, h, w), dtype=torch.float32)
    for m in chosen:
        m = m.resized((w, h))
        for k, f in enumerate(m.frames):
            if f is not None:
                region = out[k, f.y0 : f.y0 + f.crop.shape[0], f.x0 : f.x0 + f.crop.shape[1]]
                region[torch.from_numpy(f.crop)] = 1.0
    return out
