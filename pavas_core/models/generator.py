"""End-to-end MMAudio-compatible generation: video (+ prompt) → waveform at the model's true rate.

    encoders = load_feature_encoders(vae_path=..., vocoder_path=..., synchformer_path=..., clip_path=...)
    net = load_mmaudio_network("mmaudio_small_16k.pth")
    audio = generate(net, encoders, clip=read_video("in.mp4"), prompt="a ball bouncing", seed=0)
    audio.waveform   # (B, 1, round(duration · rate)) float32 on the CPU
    audio.sample_rate_hz

Frames are taken by time (the frame on screen at k/8 s for CLIP and k/25 s for Synchformer), never
"the first N frames", so any source frame rate gives audio in sync with the picture. The output
length is exactly the requested duration (the video's by default). Clips longer than the model's
trained 8 s are generated in overlapping windows joined with an equal-power cross-fade; each
window gets its own conditions from its own stretch of video and its own seed (seed + index).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import torch

from ..errors import BadInputError, MissingWeightsError, UnsupportedCheckpointError
from ..limits import MAX_SAMPLING_STEPS, check_seed, window_seed
from ..progress import ProgressCallback, report
from ..runtime import resolve_dtype
from ..video.clip import Clip
from ..video.decode import clip_from_frames
from ..video.resample import frame_indices_for_times
from .audio_decoder import AudioDecoder, load_audio_decoder
from .flow_matching import DEFAULT_CFG_STRENGTH, DEFAULT_NUM_STEPS, check_cfg_strength, sample
from .mmaudio.network import AdaLNDelta, MMAudioNetwork
from .mmaudio.sequence import SYNC_FPS, SYNC_WINDOW_FRAMES, TRAINED_DURATION_S, sequence_lengths

if TYPE_CHECKING:
    from .phy_conditioning import PhysicsConditioning

DEFAULT_WINDOW_S = TRAINED_DURATION_S
DEFAULT_OVERLAP_S = 1.0
MIN_DURATION_S = SYNC_WINDOW_FRAMES / SYNC_FPS  # one Synchformer window (0.64 s)
MAX_DURATION_S = 3600.0


@dataclass
class FeatureEncoders:
    """The non-DiT parts of MMAudio for one sample rate.

    audio_decoder: VAE decoder + vocoder (latent → waveform); required.
    synchformer / clip: visual (and, for CLIP, text) encoders; None when not loaded — generation then
    refuses a video (no Synchformer/CLIP) or a prompt (no CLIP) with a clear error.
    """

    audio_decoder: AudioDecoder
    synchformer: object | None = None  # SynchformerVisual
    clip: object | None = None  # ClipEncoder

    @property
    def sample_rate_hz(self) -> int:
        return self.audio_decoder.sample_rate_hz


def load_feature_encoders(
    *,
    vae_path: str | os.PathLike,
    vocoder_path: str | os.PathLike,
    synchformer_path: str | os.PathLike | None = None,
    clip_path: str | os.PathLike | None = None,
    dtype: torch.dtype | str | None = None,
    device: torch.device | str | None = None,
    vocoder_config_path: str | os.PathLike | None = None,
) -> FeatureEncoders:
    """Load the VAE decoder + vocoder (required) and the Synchformer / CLIP encoders (optional)."""
    torch_dtype = resolve_dtype(dtype)
    device = device or "cpu"
    decoder = load_audio_decoder(
        vae_path, vocoder_path, dtype=torch_dtype, device=device, vocoder_config_path=vocoder_config_path
    )
    synchformer = clip = None
    if synchformer_path is not None:
        from .synchformer import load_synchformer

        synchformer = load_synchformer(synchformer_path, device=device, dtype=torch_dtype)
    if clip_path is not None:
        from .clip_encoder import ClipEncoder

        clip = ClipEncoder.from_file(clip_path, device=device, dtype=torch_dtype)
    return FeatureEncoders(audio_decoder=decoder, synchformer=synchformer, clip=clip)


@dataclass
class GeneratedAudio:
    """waveform: (B, 1, T) float32 on the CPU, T = round(duration_s · sample_rate_hz)."""

    waveform: torch.Tensor
    sample_rate_hz: int
    duration_s: float
    windows_s: list[tuple[float, float]] = field(default_factory=list)  # (start, end) of each window
    warnings: list[str] = field(default_factory=list)


def plan_windows(duration_s: float, window_s: float, overlap_s: float) -> list[tuple[float, float]]:
    """(start, end) windows covering [0, duration_s): one window when it fits, else windows of
    `window_s` overlapping by at least `overlap_s`, spread evenly so the last one ends at duration_s."""
    if duration_s <= window_s + 1e-9:
        return [(0.0, duration_s)]
    if not 0 <= overlap_s < window_s:
        raise BadInputError(f"overlap ({overlap_s} s) must be shorter than the window ({window_s} s)")
    count = math.ceil((duration_s - overlap_s) / (window_s - overlap_s))
    step = (duration_s - window_s) / (count - 1)
    return [(i * step, i * step + window_s) for i in range(count)]


def video_window(clip: Clip, start_s: float, end_s: float) -> Clip:
    """The stretch of `clip` shown in [start_s, end_s), re-timed to start at 0."""
    first = int(frame_indices_for_times(clip.timestamps_s, np.array([start_s]))[0])
    last = int(np.searchsorted(clip.timestamps_s, end_s, side="left"))
    last = max(last, first + 1)
    stamps = np.maximum(clip.timestamps_s[first:last] - start_s, 0.0)
    return Clip(
        frames=clip.frames[first:last],
        timestamps_s=stamps,
        fps=clip.fps,
        duration_s=max(clip.duration_s - start_s, float(stamps[-1]) + 1.0 / clip.fps),
    )


def _crossfade_into(out: torch.Tensor, piece: torch.Tensor, start: int, fade: int) -> None:
    """Add `piece` (B, 1, L) into `out` at `start`, equal-power cross-fading its first `fade` samples."""
    end = min(start + piece.shape[-1], out.shape[-1])
    piece = piece[..., : end - start]
    if fade > 0 and start > 0:
        phase = torch.linspace(0, math.pi / 2, fade, dtype=piece.dtype)
        fade_in, fade_out = torch.sin(phase), torch.cos(phase)
        out[..., start : start + fade] *= fade_out
        piece = piece.clone()
        piece[..., :fade] *= fade_in
        out[..., start : start + fade] += piece[..., :fade]
        out[..., start + fade : end] = piece[..., fade:]
    else:
        out[..., start:end] = piece


def _check_pair(net: MMAudioNetwork, encoders: FeatureEncoders) -> None:
    if net.sample_rate_hz != encoders.sample_rate_hz or net.latent_dim != encoders.audio_decoder.latent_channels:
        raise UnsupportedCheckpointError(
            f"the MMAudio network makes {net.latent_dim}-channel latents for {net.sample_rate_hz} Hz but the VAE "
            f"decodes {encoders.audio_decoder.latent_channels}-channel latents at {encoders.sample_rate_hz} Hz: "
            "use v1-16.pth + best_netG.pt with a 16k network, v1-44.pth + BigVGAN-v2 with a 44k network"
        )


@torch.inference_mode()
def generate(
    net: MMAudioNetwork,
    encoders: FeatureEncoders,
    *,
    clip: Clip | None = None,
    frames: np.ndarray | torch.Tensor | None = None,
    fps: float | None = None,
    prompt: str = "",
    negative_prompt: str = "",
    duration_s: float | None = None,
    seed: int = 0,
    num_steps: int = DEFAULT_NUM_STEPS,
    cfg_strength: float = DEFAULT_CFG_STRENGTH,
    batch_size: int = 1,
    window_s: float = DEFAULT_WINDOW_S,
    overlap_s: float = DEFAULT_OVERLAP_S,
    progress: ProgressCallback | None = None,
    adaln_delta: AdaLNDelta | None = None,
    physics: "PhysicsConditioning | None" = None,
) -> GeneratedAudio:
    """Generate audio for a video (a Clip, or frames + fps) and/or a text prompt.

    duration_s defaults to the video's duration (8 s without video). With no video the clip and
    sync conditions are MMAudio's learned empty features (text-to-audio). A one-frame video is an
    image: its CLIP feature is repeated over time and sync is empty, as MMAudio's image mode does.
    progress(done, total) is called once per sampling step (and while encoding, with the same
    count) and may cancel by returning False or raising.

    physics: a PhysicsConditioning (Phy-Adapter + the clip's physics inputs). Each window gets the
    Δ-modulation of its own frames; the unconditional branch gets the adapter's null-physics delta
    (see phy_conditioning). `adaln_delta` is a fixed delta for every window instead (a per-token
    residual in it must then fit every window).
    """
    _check_pair(net, encoders)
    if physics is not None and adaln_delta is not None:
        raise BadInputError("give either physics= (a Phy-Adapter conditioning) or adaln_delta=, not both")
    if physics is not None:
        physics.adapter.config.check_network(net.config)
    if frames is not None:
        if clip is not None:
            raise BadInputError("give either clip= or frames= + fps=, not both")
        if fps is None:
            raise BadInputError("frames need their frame rate: pass fps=")
        clip = clip_from_frames(frames.cpu().numpy() if isinstance(frames, torch.Tensor) else frames, fps)
    if duration_s is None:
        duration_s = clip.duration_s if clip is not None else TRAINED_DURATION_S
    if not (math.isfinite(duration_s) and MIN_DURATION_S <= duration_s <= MAX_DURATION_S):
        raise BadInputError(f"duration must be between {MIN_DURATION_S} and {MAX_DURATION_S} s, got {duration_s}")
    if num_steps < 1 or batch_size < 1:
        raise BadInputError("num_steps and batch_size must be at least 1")
    if num_steps > MAX_SAMPLING_STEPS:
        raise BadInputError(f"num_steps must be at most {MAX_SAMPLING_STEPS}, got {num_steps}")
    seed = check_seed(seed)
    check_cfg_strength(cfg_strength)
    if (prompt or negative_prompt) and encoders.clip is None:
        raise MissingWeightsError("a text prompt needs the CLIP weights: load the CLIP file in the feature loader")
    if clip is not None and (encoders.clip is None or encoders.synchformer is None):
        raise MissingWeightsError("video conditioning needs both the Synchformer and the CLIP weights")

    rate = encoders.sample_rate_hz
    warnings: list[str] = []
    windows = plan_windows(duration_s, window_s, overlap_s)
    if len(windows) > 1:
        warnings.append(f"{duration_s:.2f} s is longer than the model's {window_s:g} s: generated in "
                        f"{len(windows)} overlapping windows joined with a cross-fade")
    units_per_window = num_steps + 2  # conditions, steps, decode
    total = units_per_window * len(windows)

    text_f = encoders.clip.encode_text([prompt]) if encoders.clip is not None and prompt else None
    negative_f = encoders.clip.encode_text([negative_prompt]) if negative_prompt else None

    num_samples = int(round(duration_s * rate))
    out = torch.zeros(batch_size, 1, num_samples)
    fade = int(round(overlap_s * rate)) if len(windows) > 1 else 0
    empty_by_lengths: dict[tuple[int, int], object] = {}  # every window but a lone one has the same lengths
    for index, (start_s, end_s) in enumerate(windows):
        base = index * units_per_window
        lengths = sequence_lengths(end_s - start_s, rate)
        clip_f, sync_f = _visual_features(net, encoders, clip, start_s, end_s, lengths, progress, base, total, warnings)
        text = text_f if text_f is not None else net.empty_string_feat.unsqueeze(0)
        conditions = net.preprocess_conditions(clip_f, sync_f, text).expand(batch_size)
        key = (lengths.clip_len, lengths.sync_len)
        if key not in empty_by_lengths:
            empty_by_lengths[key] = net.get_empty_conditions(batch_size, negative_f, clip_len=key[0], sync_len=key[1])
        empty = empty_by_lengths[key]
        report(progress, base + 1, total)

        def step_progress(done: int, _steps: int, base: int = base) -> bool | None:
            return progress(base + 1 + done, total) if progress is not None else None

        delta, empty_delta = adaln_delta, None
        if physics is not None:
            delta, empty_delta = physics.window_deltas(
                start_s, lengths.clip_len, latent_len=lengths.latent_len, sample_rate_hz=rate, batch_size=batch_size)
        latent = sample(
            net, conditions, empty, latent_len=lengths.latent_len, num_steps=num_steps,
            cfg_strength=cfg_strength, seed=window_seed(seed, index), progress=step_progress, adaln_delta=delta,
            empty_adaln_delta=empty_delta,
        )
        wave = encoders.audio_decoder.decode(net.unnormalize(latent.to(net.dtype))).float().cpu()
        del latent
        report(progress, base + units_per_window, total)
        start = int(round(start_s * rate))
        _crossfade_into(out, wave[..., : int(round((end_s - start_s) * rate))], start, fade)
    if not torch.isfinite(out).all():
        raise BadInputError("generation produced non-finite audio (check the model files and precision)")
    return GeneratedAudio(waveform=out, sample_rate_hz=rate, duration_s=duration_s, windows_s=windows, warnings=warnings)


def _visual_features(
    net: MMAudioNetwork,
    encoders: FeatureEncoders,
    clip: Clip | None,
    start_s: float,
    end_s: float,
    lengths,
    progress: ProgressCallback | None,
    base: int,
    total: int,
    warnings: list[str],
) -> tuple[torch.Tensor, torch.Tensor]:
    """(1, clip_len, 1024), (1, sync_len, 768) for one window; empty features without video."""
    empty_clip = net.empty_clip_feat.unsqueeze(0).expand(1, lengths.clip_len, -1)
    empty_sync = net.empty_sync_feat.unsqueeze(0).expand(1, lengths.sync_len, -1)
    if clip is None:
        return empty_clip, empty_sync
    keep_checking = (lambda done, _t: progress(base, total)) if progress is not None else None
    if clip.num_frames == 1:  # image mode, as MMAudio: one CLIP feature repeated, no sync
        from .video_features import preprocess_clip_frames

        frame = preprocess_clip_frames(clip.frames, device=encoders.clip.device, dtype=encoders.clip.dtype,
                                       size_px=encoders.clip.input_size_px)
        feature = encoders.clip.encode_frames(frame.unsqueeze(0), progress=keep_checking)
        if start_s == 0:
            warnings.append("one-frame video: image mode (the frame's CLIP feature repeated; no sync features)")
        return feature.expand(1, lengths.clip_len, -1), empty_sync
    from .video_features import encode_video

    window = video_window(clip, start_s, end_s) if (start_s > 0 or end_s < clip.duration_s) else clip
    conditions = encode_video(
        window, duration_s=end_s - start_s, clip_encoder=encoders.clip, synchformer=encoders.synchformer,
        progress=keep_checking,
    )
    for w in conditions.selection.warnings:
        if w not in warnings:
            warnings.append(w)
    return conditions.clip_features, conditions.sync_features

