"""Null baselines for APCC: the same audio with its onsets moved away from the events.

A metric that says "this sound follows the physics" should give ≈ 0 for sound whose timing has
been scrambled. Two scrambles:

- circular_shift: each clip rotated by its own random offset. Onsets no longer line up with the
  events, but a clip's overall loudness stays in that clip, so when loud clips hold the large-ΔKE
  events some correlation survives (between-clip confound).
- segment_shuffle: all clips (of one sample rate) cut into equal segments that are permuted across
  the whole set and re-assembled into clips of the original lengths. This removes both the
  alignment and the between-clip confound; it is the baseline the tests and benches use.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from ..errors import BadInputError
from ..video.clip import AudioTrack


def circular_shift(audio_by_clip: Mapping[str, AudioTrack], *, seed: int,
                   min_shift_s: float = 0.5) -> dict[str, AudioTrack]:
    """Every clip rotated in time by a random offset in [min_shift_s, duration − min_shift_s]."""
    rng = np.random.default_rng(seed)
    out: dict[str, AudioTrack] = {}
    for clip_id in sorted(audio_by_clip):
        audio = audio_by_clip[clip_id]
        n = audio.waveform.shape[-1]
        lo = int(round(min_shift_s * audio.sample_rate_hz))
        if n <= 2 * lo:
            raise BadInputError(f"clip {clip_id!r} is too short ({n} samples) for a {min_shift_s} s circular shift")
        shift = int(rng.integers(lo, n - lo + 1))
        out[clip_id] = AudioTrack(np.roll(audio.waveform, shift, axis=-1), audio.sample_rate_hz)
    return out


def segment_shuffle(audio_by_clip: Mapping[str, AudioTrack], *, seed: int,
                    segment_s: float = 0.5) -> dict[str, AudioTrack]:
    """Segments of `segment_s` from all clips of the same sample rate and channel count, permuted
    across clips; each clip keeps its length (the last, partial segment of a clip stays in place)."""
    if not segment_s > 0:
        raise BadInputError("segment_s must be positive")
    rng = np.random.default_rng(seed)
    out: dict[str, AudioTrack] = {}
    pools: dict[tuple[int, int], list[str]] = {}
    for clip_id in sorted(audio_by_clip):
        a = audio_by_clip[clip_id]
        pools.setdefault((int(a.sample_rate_hz), int(a.waveform.shape[0])), []).append(clip_id)
    for (rate, _), clip_ids in pools.items():
        seg = max(1, int(round(segment_s * rate)))
        pieces, slots = [], []
        for clip_id in clip_ids:
            w = audio_by_clip[clip_id].waveform
            for k in range(w.shape[-1] // seg):
                pieces.append(w[:, k * seg : (k + 1) * seg])
                slots.append((clip_id, k))
        order = rng.permutation(len(pieces))
        shuffled = {clip_id: np.array(audio_by_clip[clip_id].waveform, copy=True) for clip_id in clip_ids}
        for (clip_id, k), src in zip(slots, order):
            shuffled[clip_id][:, k * seg : (k + 1) * seg] = pieces[src]
        for clip_id in clip_ids:
            out[clip_id] = AudioTrack(shuffled[clip_id], rate)
    return out
