"""Training windows and their cache: every input the frozen encoders make, computed once per clip.

A training set is a folder in the synth-dataset layout (index.json listing sub-folders, each with
scene.mp4, scene.wav and physics.json). Each clip gives the windows [k·d, (k + 1)·d) that fit
inside it (d = the training duration); a clip shorter than d gives none and is reported.

Per window the cache holds (one safetensors file, written atomically):
  clip_f (Lc, E) CLIP frame features, sync_f (Ls, 768) Synchformer features,
  object_features (K, Lc, E), visible (K, Lc), mass_kg (K,), speed_mps (K, Lc) (physics_inputs),
  latent_mean / latent_std (N, C): the VAE posterior of the reference sound (training draws a
  latent from it at every step, as MMAudio does).
The cache folder is named by a hash of the model files (path, size, time), the duration and the
cache layout version; a window whose clip files changed since it was written is made again.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from ..errors import BadInputError
from ..progress import ProgressCallback, report
from ..runtime import file_key

CACHE_VERSION = 1
CLIP_FILES = {"video": "scene.mp4", "audio": "scene.wav", "physics": "physics.json"}
CACHE_KEYS = ("clip_f", "sync_f", "object_features", "visible", "mass_kg", "speed_mps", "latent_mean", "latent_std")


@dataclass(frozen=True)
class WindowRef:
    """One training window: clip folder, start time, index among the clip's windows."""

    scene_id: str
    folder: Path
    start_s: float
    index: int

    @property
    def name(self) -> str:
        return f"{self.scene_id}_w{self.index:03d}"


def list_windows(root: str | os.PathLike, duration_s: float) -> tuple[list[WindowRef], list[str]]:
    """Every window of `duration_s` in the dataset, in scene order; and notes (clips too short)."""
    from ..metrics.cli import dataset_scene_ids

    root = Path(root)
    windows: list[WindowRef] = []
    notes: list[str] = []
    for scene_id in dataset_scene_ids(root):
        folder = root / scene_id
        for role, name in CLIP_FILES.items():
            if not (folder / name).is_file():
                raise BadInputError(f"training clip {folder} has no {name} ({role})")
        clip_duration = _duration_s(folder)
        count = int(np.floor(clip_duration / duration_s + 1e-9))
        if count == 0:
            notes.append(f"{scene_id}: {clip_duration:.2f} s is shorter than the training duration {duration_s:g} s; "
                         "not used")
        windows += [WindowRef(scene_id, folder, k * duration_s, k) for k in range(count)]
    if not windows:
        raise BadInputError(f"no clip in {root} is at least {duration_s:g} s long: pass a shorter --duration-s")
    return windows, notes


def _duration_s(folder: Path) -> float:
    from ..fileio import read_json

    physics = read_json(folder / CLIP_FILES["physics"], "physics file")
    try:
        return float(physics["num_frames"]) / float(physics["fps"])
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        raise BadInputError(f"{folder / CLIP_FILES['physics']}: no usable fps and num_frames") from None


def cache_folder(cache_root: str | os.PathLike, model_files: Sequence[Path], duration_s: float) -> Path:
    """The cache sub-folder for these model files and this duration."""
    key = json.dumps({"version": CACHE_VERSION, "duration_s": round(duration_s, 6),
                      "models": [list(file_key(p)) for p in model_files]})
    return Path(cache_root) / hashlib.sha256(key.encode()).hexdigest()[:16]


def _clip_signature(folder: Path) -> str:
    return json.dumps([list(file_key(folder / name)) for name in CLIP_FILES.values()])


def cached_window_path(folder: Path, window: WindowRef) -> Path:
    return folder / f"{window.name}.safetensors"


def _is_current(path: Path, window: WindowRef) -> bool:
    from ..models.checkpoint import read_safetensors_metadata

    if not path.is_file():
        return False
    try:
        meta = read_safetensors_metadata(path)
    except Exception:  # a damaged cache file is simply made again
        return False
    return meta.get("clip_signature") == _clip_signature(window.folder)


def build_cache(windows: Sequence[WindowRef], folder: Path, net, encoders, *, duration_s: float,
                progress: ProgressCallback | None = None) -> int:
    """Compute every missing or stale cache file in `folder`; returns how many were written."""
    from safetensors.torch import save_file

    from ..fileio import atomic_output

    folder.mkdir(parents=True, exist_ok=True)
    todo = [w for w in windows if not _is_current(cached_window_path(folder, w), w)]
    by_clip: dict[Path, list[WindowRef]] = {}
    for w in todo:
        by_clip.setdefault(w.folder, []).append(w)
    done = 0
    for clip_folder, clip_windows in by_clip.items():
        for window, tensors in _encode_clip(clip_folder, clip_windows, net, encoders, duration_s):
            with atomic_output(cached_window_path(folder, window), "training cache file") as tmp:
                save_file({k: v.contiguous() for k, v in tensors.items()}, str(tmp),
                          metadata={"clip_signature": _clip_signature(window.folder), "scene_id": window.scene_id,
                                    "start_s": repr(window.start_s)})
            done += 1
            report(progress, done, len(todo))
    return done


@torch.inference_mode()
def _encode_clip(clip_folder: Path, windows: Sequence[WindowRef], net, encoders, duration_s: float):
    """Yield (window, tensors) for the windows of one clip (the clip decoded and its physics read once)."""
    from ..models.generator import video_window
    from ..models.mel import MelConverter
    from ..models.mmaudio.sequence import sequence_lengths
    from ..models.physics_inputs import physics_inputs
    from ..models.video_features import encode_video
    from ..physics.tracks import PhysicsTracks
    from ..video import read_audio, read_video
    from ..metrics.spectral import resample, to_mono

    rate = net.sample_rate_hz
    lengths = sequence_lengths(duration_s, rate)
    clip = read_video(clip_folder / CLIP_FILES["video"], with_audio=False)
    tracks = PhysicsTracks.load(clip_folder / CLIP_FILES["physics"])
    inputs = physics_inputs(tracks, clip, encoders.clip)
    audio = read_audio(clip_folder / CLIP_FILES["audio"])
    wave = resample(to_mono(audio.waveform), int(audio.sample_rate_hz), rate).astype(np.float32)
    decoder = encoders.audio_decoder
    mel = MelConverter(decoder.mel_config).to(decoder.device)
    samples = lengths.latent_len * decoder.samples_per_latent
    for window in windows:
        part = video_window(clip, window.start_s, window.start_s + duration_s)
        video = encode_video(part, duration_s=duration_s, clip_encoder=encoders.clip, synchformer=encoders.synchformer)
        physics = inputs.window(window.start_s, lengths.clip_len)
        first = int(round(window.start_s * rate))
        piece = np.zeros(samples, np.float32)
        chunk = wave[first : first + samples]
        piece[: chunk.shape[0]] = chunk
        posterior = decoder.vae.encode(mel(torch.from_numpy(piece).to(decoder.device)).to(decoder.dtype))
        mean = posterior.mean[0].transpose(0, 1).float().cpu()  # (N, C)
        std = torch.exp(0.5 * posterior.logvar[0].transpose(0, 1).float()).cpu()
        if mean.shape[0] != lengths.latent_len:
            raise RuntimeError(f"VAE gave {mean.shape[0]} latents for {lengths.latent_len} tokens")
        yield window, {
            "clip_f": video.clip_features[0].float().cpu(),
            "sync_f": video.sync_features[0].float().cpu(),
            "object_features": physics.object_features.float(),
            "visible": physics.visible.to(torch.uint8),
            "mass_kg": physics.mass_kg.float(),
            "speed_mps": physics.speed_mps.float(),
            "latent_mean": mean,
            "latent_std": std,
        }


def load_window(folder: Path, window: WindowRef) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    tensors = load_file(str(cached_window_path(folder, window)))
    missing = [k for k in CACHE_KEYS if k not in tensors]
    if missing:
        raise BadInputError(f"training cache file for {window.name} lacks {missing}; delete the cache folder")
    tensors["visible"] = tensors["visible"].bool()
    return tensors


def physics_statistics(windows: Sequence[dict[str, torch.Tensor]]) -> dict[str, float]:
    """z-score statistics of log(1 + mass) over objects and of speed over visible frames of the windows."""
    masses = torch.cat([w["mass_kg"] for w in windows]) if windows else torch.zeros(0)
    speeds = torch.cat([w["speed_mps"][w["visible"]] for w in windows]) if windows else torch.zeros(0)
    from ..models.phy_adapter import (DEFAULT_LOG_MASS_MEAN, DEFAULT_LOG_MASS_STD, DEFAULT_SPEED_MEAN_MPS,
                                      DEFAULT_SPEED_STD_MPS)

    log_mass = torch.log1p(masses.double())
    return {
        "log_mass_mean": float(log_mass.mean()) if masses.numel() else DEFAULT_LOG_MASS_MEAN,
        "log_mass_std": float(log_mass.std(unbiased=False)) if masses.numel() > 1 else DEFAULT_LOG_MASS_STD,
        "speed_mean_mps": float(speeds.double().mean()) if speeds.numel() else DEFAULT_SPEED_MEAN_MPS,
        "speed_std_mps": float(speeds.double().std(unbiased=False)) if speeds.numel() > 1 else DEFAULT_SPEED_STD_MPS,
    }
