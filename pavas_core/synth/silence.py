"""Why a sound came out silent: one plain-words note, so that no all-zero WAV goes without one.

Every path to silence is named: no physics at all, no object, objects without impacts, impacts
marked `"sonified": false` (with their reasons), impacts that lose no kinetic energy, impacts
outside the clip, and physics read from a file (which of these it was, in that file).
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from ..physics.tracks import PhysicsTracks

# A waveform whose peak rounds to zero in a 16-bit WAV is silent.
SILENT_PEAK = 0.5 / 32767.0


def is_silent(waveform: np.ndarray) -> bool:
    waveform = np.asarray(waveform)
    return waveform.size == 0 or float(np.max(np.abs(waveform))) < SILENT_PEAK


def impact_sonified(impact) -> bool:
    """False when the impact says it makes no sound (`"sonified": false`, as a field of the impact,
    or kept from a file as an unknown field or in `extra`); a missing field means it sounds."""
    for value in (getattr(impact, "sonified", None), (getattr(impact, "unknown_fields", None) or {}).get("sonified"),
                  (getattr(impact, "extra", None) or {}).get("sonified")):
        if value is False:
            return False
    return True


def _unsonified_reason(impact) -> str | None:
    for source in (impact, getattr(impact, "unknown_fields", None) or {}, getattr(impact, "extra", None) or {}):
        value = getattr(source, "reason", None) if not isinstance(source, dict) else source.get("reason")
        if isinstance(value, str) and value:
            return value
    return None


def silence_reason(tracks: PhysicsTracks | None, duration_s: float | None = None, *, from_file: bool = False) -> str:
    """Plain words for why `tracks` give no sound (called when the sound is silent)."""
    if tracks is None:
        return "no physics was estimated and the generator made no sound"
    if not tracks.objects:
        return ("the physics lists no object" if from_file
                else "no moving object was found, so nothing can make a sound")
    impacts = [imp for obj in tracks.objects for imp in obj.impacts]
    if not impacts:
        if from_file:
            return f"{len(tracks.objects)} object(s) but no impact in the file"
        return (f"{len(tracks.objects)} object(s) but no impact: nothing in the motion shows a contact "
                "(objects that only move, glide or deform make no sound)")
    silent_flagged = [imp for imp in impacts if not impact_sonified(imp)]
    no_loss = [imp for imp in impacts if impact_sonified(imp) and not imp.v_after < imp.v_before]
    outside = [imp for imp in impacts if impact_sonified(imp) and imp.v_after < imp.v_before
               and duration_s is not None and not (0.0 <= imp.time_s < duration_s)]
    parts = []
    if silent_flagged:
        reasons = Counter(_unsonified_reason(imp) or "no reason given" for imp in silent_flagged)
        listed = "; ".join(f"{reason} ({count})" if count > 1 else reason for reason, count in reasons.most_common(3))
        parts.append(f"{len(silent_flagged)} marked not to be sonified ({listed})")
    if no_loss:
        parts.append(f"{len(no_loss)} with no kinetic energy lost (v_after >= v_before)")
    if outside:
        parts.append(f"{len(outside)} outside the clip's {duration_s:g} s")
    rest = len(impacts) - len(silent_flagged) - len(no_loss) - len(outside)
    if rest > 0:
        parts.append(f"{rest} too weak to be heard")
    return f"none of the {len(impacts)} impact(s) makes a sound: " + ", ".join(parts)


def silence_note(tracks: PhysicsTracks | None, waveform: np.ndarray, *, duration_s: float | None = None,
                 physics_file: str | None = None) -> str | None:
    """The note for a silent waveform, or None when it is not silent."""
    if not is_silent(waveform):
        return None
    reason = silence_reason(tracks, duration_s, from_file=physics_file is not None)
    where = f" (physics from {physics_file})" if physics_file else ""
    length = f"{duration_s:.2f} s of " if duration_s is not None and math.isfinite(duration_s) else ""
    return f"the sound is silent ({length}silence written){where}: {reason}"
