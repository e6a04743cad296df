"""APCC of one sound against one clip's PhysicsTracks (what the ComfyUI APCC node shows).

Within a single clip every impact of every object is one category ("all impacts"): the paper's
per-category correlation needs several events per category, and one clip rarely has several per
object. The report is a few readable lines saying what was used and what was left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..physics.tracks import PhysicsTracks
from ..video.clip import AudioTrack
from .apcc import LABEL, ApccConfig, ApccEvent, ApccResult, apcc

CLIP_ID = "clip"
CATEGORY = "all impacts"


def events_from_tracks(tracks: PhysicsTracks, *, clip_id: str = CLIP_ID, category: str = CATEGORY) -> list[ApccEvent]:
    """One ApccEvent per sonified impact of every object (time and ΔKE from the tracks)."""
    return [
        ApccEvent(clip_id=clip_id, category=category, time_s=float(imp.time_s), delta_ke_j=float(imp.delta_ke_j))
        for obj in tracks.objects
        for imp in obj.impacts
        if imp.sonified  # a silent impact made no sound to correlate with
    ]


@dataclass
class TracksApcc:
    score: float  # NaN when too few usable impacts
    result: ApccResult
    num_events: int
    report: str


def apcc_of_tracks(tracks: PhysicsTracks, audio: AudioTrack, config: ApccConfig = ApccConfig()) -> TracksApcc:
    """APCC (reconstructed) of `audio` against all impacts of `tracks`, with a readable report."""
    events = events_from_tracks(tracks)
    result = apcc(events, {CLIP_ID: audio}, config)
    lines = [f"{LABEL}: " + (f"{result.mean:+.3f}" if math.isfinite(result.mean) else "not defined")]
    used = sum(c.n for c in result.per_category.values())
    lines.append(f"impacts: {len(events)} found, {used} used (needs at least {config.min_events})")
    for reason, count in sorted(result.dropped.items()):
        if count:
            lines.append(f"left out: {count} ({reason})")
    for category, reason in sorted(result.skipped.items()):
        lines.append(f"not scored: {category} ({reason})")
    return TracksApcc(score=float(result.mean), result=result, num_events=len(events), report="\n".join(lines))
