"""PAVAS-tiny training windows: a synth-dataset folder → (frames, object coverage, ground-truth mass
and speed, log-mel latent of the reference sound) per window, cached on disk.

The layout and the windows are those of stage-2 training (`data.list_windows`: index.json, one
folder per clip with scene.mp4, scene.wav, physics.json; windows [k·d, (k + 1)·d) that fit in the
clip). Physics is the ground truth written by the generator (masks, mass, per-frame speed);
generation later reads the estimator's. The reference sound is mixed to mono and resampled to
16 kHz; its log-mel latent covers the window's `latent_len` tokens (zeros past the clip's end).

Cache: one safetensors file per window under CACHE/<key>/, key = hash of (layout version,
duration, frame size, and the physics rate when it is not 8 fps); a window whose clip files
changed is made again.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from ..errors import BadInputError
from ..models.mmaudio.sequence import CLIP_FPS
from ..models.tiny_generator.config import TINY_SAMPLE_RATE_HZ, TinyGeneratorConfig
from ..models.tiny_generator.window_inputs import TinyWindow, object_inputs, encoder_frames, window_lengths
from ..progress import ProgressCallback, report
from .data import CLIP_FILES, WindowRef, _clip_signature, _is_current, cached_window_path, list_windows

TINY_CACHE_VERSION = 1
TINY_CACHE_KEYS = ("frames", "coverage", "visible", "mass_kg", "speed_mps", "latent")
DECODE_MAX_SIDE = 256  # frames are squashed to ≤ 96 px anyway: decoding smaller saves time and memory


def tiny_cache_folder(cache_root: str | os.PathLike, duration_s: float, config: TinyGeneratorConfig) -> Path:
    fields = {"version": TINY_CACHE_VERSION, "duration_s": round(duration_s, 6), "frame_size_px": config.frame_size_px}
    if config.physics_fps != CLIP_FPS:  # the key of the 8-fps cache stays as it was
        fields["physics_fps"] = config.physics_fps
    key = json.dumps(fields)
    return Path(cache_root) / ("tiny-" + hashlib.sha256(key.encode()).hexdigest()[:16])


def encode_clip_windows(folder: Path, windows: Sequence[WindowRef], config: TinyGeneratorConfig,
                        duration_s: float):
    """Yield (window, TinyWindow with its latent) for the windows of one clip (decoded once)."""
    from ..metrics.spectral import resample, to_mono
    from ..models.generator import video_window
    from ..models.tiny_generator.mel_latent import SAMPLES_PER_TOKEN, LogMelLatent
    from ..physics.tracks import PhysicsTracks
    from ..video import read_audio, read_video

    lengths = window_lengths(duration_s)
    clip = read_video(folder / CLIP_FILES["video"], max_side=DECODE_MAX_SIDE, with_audio=False)
    tracks = PhysicsTracks.load(folder / CLIP_FILES["physics"])
    audio = read_audio(folder / CLIP_FILES["audio"])
    wave = resample(to_mono(audio.waveform), int(audio.sample_rate_hz), TINY_SAMPLE_RATE_HZ).astype(np.float32)
    to_latent = LogMelLatent()
    samples = lengths.latent_len * SAMPLES_PER_TOKEN
    for window in windows:
        part = video_window(clip, window.start_s, window.start_s + duration_s) if window.start_s > 0 else clip
        frames, _ = encoder_frames(part, duration_s, config.frame_size_px)
        coverage, visible, mass, speed, _ = object_inputs(tracks, window.start_s, config.physics_len(lengths),
                                                          config.grid_size, config.physics_fps)
        first = int(round(window.start_s * TINY_SAMPLE_RATE_HZ))
        piece = np.zeros(samples, np.float32)
        chunk = wave[first: first + samples]
        piece[: chunk.shape[0]] = chunk
        with torch.no_grad():
            latent = to_latent(torch.from_numpy(piece))[0]
        yield window, TinyWindow(frames, coverage, visible, mass, speed, latent=latent)


def load_tiny_windows(data: str | os.PathLike, *, duration_s: float, config: TinyGeneratorConfig,
                      cache: str | os.PathLike, progress: ProgressCallback | None = None
                      ) -> tuple[list[TinyWindow], list[WindowRef], list[str]]:
    """Every window of the dataset (made and cached where missing or stale), its reference, and notes."""
    from safetensors.torch import load_file, save_file

    from ..fileio import atomic_output

    refs, notes = list_windows(data, duration_s)
    folder = tiny_cache_folder(cache, duration_s, config)
    folder.mkdir(parents=True, exist_ok=True)
    todo: dict[Path, list[WindowRef]] = {}
    for ref in refs:
        if not _is_current(cached_window_path(folder, ref), ref):
            todo.setdefault(ref.folder, []).append(ref)
    done, total = 0, sum(len(v) for v in todo.values())
    for clip_folder, clip_refs in todo.items():
        for ref, window in encode_clip_windows(clip_folder, clip_refs, config, duration_s):
            tensors = {"frames": window.frames, "coverage": window.coverage, "visible": window.visible.to(torch.uint8),
                       "mass_kg": window.mass_kg, "speed_mps": window.speed_mps, "latent": window.latent}
            with atomic_output(cached_window_path(folder, ref), "PAVAS-tiny training cache file") as tmp:
                save_file({k: v.contiguous() for k, v in tensors.items()}, str(tmp),
                          metadata={"clip_signature": _clip_signature(ref.folder), "scene_id": ref.scene_id,
                                    "start_s": repr(ref.start_s)})
            done += 1
            report(progress, done, total)
    windows = []
    for ref in refs:
        tensors = load_file(str(cached_window_path(folder, ref)))
        missing = [k for k in TINY_CACHE_KEYS if k not in tensors]
        if missing:
            raise BadInputError(f"PAVAS-tiny cache file of {ref.name} lacks {missing}; delete {folder}")
        windows.append(TinyWindow(tensors["frames"], tensors["coverage"], tensors["visible"].bool(),
                                  tensors["mass_kg"], tensors["speed_mps"], latent=tensors["latent"]))
    return windows, refs, notes


def latent_statistics(windows: Sequence[TinyWindow]) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-band mean and standard deviation (20,) of the windows' log-mel latents."""
    stacked = torch.cat([w.latent for w in windows]).double()
    return stacked.mean(0).float(), stacked.std(0, unbiased=False).float()


def tiny_physics_statistics(windows: Sequence[TinyWindow]) -> dict[str, float]:
    """The Phy-Adapter's z-score statistics from the windows' ground truth (as stage-2 training computes them)."""
    from .data import physics_statistics

    return physics_statistics([{"mass_kg": w.mass_kg, "speed_mps": w.speed_mps, "visible": w.visible}
                               for w in windows])
