"""Keeping a video's own soundtrack and adding the Foley to it (`run --keep-audio`, *Mux Audio Into
Video*'s keep_original_audio).

The mix keeps the original's sample rate, channel count and channel layout (a 5.1 AAC stays 5.1).
Where the added sound goes:
- a layout with a front-centre channel (mono, 4.0, 5.0, 5.1, 6.1, 7.1): into the centre (FC) only,
  where on-screen action and dialogue sit in film mixes; the LFE and surround channels are left as
  they were;
- a layout without one (stereo, 2.1): into front left and right equally, each at −3 dB (a
  constant-power centre pan);
- an added sound with as many channels as the original: channel by channel.
The original gets `original_gain_db` (0: as it was), the added sound `added_gain_db`. A mix that
would clip is scaled down as a whole to just under full scale, with a note.
"""

from __future__ import annotations

import math
from typing import Sequence

import av
import numpy as np

from ..audio_mix import LIMIT_PEAK, resample_waveform
from ..errors import BadInputError
from .audio_io import channel_layout_name, validate_audio_track
from .clip import AudioTrack

_CENTRE_PAN_GAIN = 10.0 ** (-3.0 / 20.0)


def default_channel_names(num_channels: int) -> list[str]:
    """FFmpeg's channel names of the default layout for a channel count (e.g. 6 → FL FR FC LFE BL BR)."""
    return [c.name for c in av.AudioLayout(channel_layout_name(num_channels)).channels]


def placement(channel_names: Sequence[str]) -> np.ndarray:
    """(C,) gains with which a mono sound is added to each channel of a layout (see module doc)."""
    names = list(channel_names)
    gains = np.zeros(len(names), np.float32)
    if "FC" in names:
        gains[names.index("FC")] = 1.0
    elif "FL" in names and "FR" in names:
        gains[names.index("FL")] = gains[names.index("FR")] = _CENTRE_PAN_GAIN
    else:  # a layout with neither (unusual): every channel but the LFE, at equal power
        spread = [i for i, n in enumerate(names) if n != "LFE"] or list(range(len(names)))
        gains[spread] = 1.0 / math.sqrt(len(spread))
    return gains


def describe_placement(channel_names: Sequence[str]) -> str:
    names = list(channel_names)
    if "FC" in names:
        return "the centre channel" if len(names) > 1 else "the mono channel"
    if "FL" in names and "FR" in names:
        return "front left and right at -3 dB each"
    return "every channel but the LFE"


def mix_under_original(original: AudioTrack, added: AudioTrack, *, original_gain_db: float = 0.0,
                       added_gain_db: float = 0.0, channel_names: Sequence[str] | None = None,
                       duration_s: float | None = None) -> tuple[AudioTrack, list[str]]:
    """(the original with `added` mixed in, notes). The result has the original's rate and channels;
    its length is `duration_s` when given, else the longer of the two."""
    for name, gain in (("original_gain_db", original_gain_db), ("added_gain_db", added_gain_db)):
        if isinstance(gain, bool) or not isinstance(gain, (int, float)) or not math.isfinite(gain):
            raise BadInputError(f"{name} must be a finite number of dB, got {gain!r}")
    original = validate_audio_track(original)
    added = validate_audio_track(added)
    channels, rate = original.waveform.shape[0], original.sample_rate_hz
    names = list(channel_names) if channel_names else default_channel_names(channels)
    if len(names) != channels:
        raise BadInputError(f"the original sound has {channels} channels but its layout names {len(names)}")
    notes: list[str] = []
    extra = added.waveform
    if added.sample_rate_hz != rate:
        extra = resample_waveform(extra, added.sample_rate_hz, rate)
    if extra.shape[0] == channels:
        spread = extra
        where = "channel by channel"
    else:
        mono = extra.mean(axis=0, keepdims=True) if extra.shape[0] > 1 else extra
        spread = placement(names)[:, None] * mono
        where = describe_placement(names)
    length = int(round(duration_s * rate)) if duration_s is not None else max(original.waveform.shape[1],
                                                                             spread.shape[1])
    out = np.zeros((channels, length), np.float32)
    n = min(length, original.waveform.shape[1])
    out[:, :n] = original.waveform[:, :n] * np.float32(10.0 ** (original_gain_db / 20.0))
    n = min(length, spread.shape[1])
    out[:, :n] += spread[:, :n] * np.float32(10.0 ** (added_gain_db / 20.0))
    layout = "/".join(names)
    notes.append(f"the original sound ({channels} ch {layout}, {rate} Hz) is kept"
                 + (f" at {original_gain_db:+g} dB" if original_gain_db else "")
                 + f"; the Foley is added to {where}" + (f" at {added_gain_db:+g} dB" if added_gain_db else ""))
    peak = float(np.max(np.abs(out))) if out.size else 0.0
    if peak > 1.0:
        out *= np.float32(LIMIT_PEAK / peak)
        notes.append(f"the mix peaked at {20 * math.log10(peak):+.1f} dBFS; all of it was scaled down by "
                     f"{20 * math.log10(peak / LIMIT_PEAK):.1f} dB to avoid clipping")
    return AudioTrack(out, rate), notes
