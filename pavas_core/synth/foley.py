"""Physics Foley: the impacts of a PhysicsTracks rendered by the modal synthesizer.

One global gain, and only to keep the peak at or below −1 dBFS; it is reported (gain_db) and never
applied per event, so the relative levels of the impacts keep following their ΔKE.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import BadInputError
from ..materials import get_material, resolve_material, size_from_mass_m
from ..physics.tracks import PhysicsTracks, sonified_impacts
from .impacts import ImpactEvent, synthesize_impacts

PEAK_CEILING_DBFS = -1.0
_DKE_MISMATCH_REL = 0.01


@dataclass
class FoleyResult:
    """waveform: (1, T) float32; gain_db: the one global gain applied (≤ 0, 0 when none was needed);
    events: the impacts rendered; notes: defaults taken, events skipped, gain applied."""

    waveform: np.ndarray
    sample_rate_hz: int
    events: list[ImpactEvent]
    gain_db: float
    notes: list[str] = field(default_factory=list)


def events_from_tracks(tracks: PhysicsTracks, *,
                       default_material: str = "plastic") -> tuple[list[ImpactEvent], list[str]]:
    """Turn every object's sonified impacts into ImpactEvents (an impact with `sonified` false is
    silent). Returns (events, notes about defaults taken)."""
    default_name, default_note = resolve_material(default_material)
    notes: list[str] = [default_note] if default_note else []
    events: list[ImpactEvent] = []
    for obj in tracks.objects:
        label = f"object {obj.id} ({obj.name!r})"
        impacts = sonified_impacts(obj)
        if obj.material is None:
            material = default_name
            if impacts:
                notes.append(f"{label}: no material given; synthesized as {material!r} (default_material)")
        else:
            material, alias_note = resolve_material(obj.material)
            if alias_note:
                notes.append(f"{label}: {alias_note}")
        preset = get_material(material)
        if obj.size_m is None:
            size_m = size_from_mass_m(obj.mass_kg, preset)
            if impacts:
                notes.append(f"{label}: no size given; {size_m:.3g} m derived from its mass and {material} density")
        else:
            size_m = float(obj.size_m)
            if not (math.isfinite(size_m) and size_m > 0):
                raise BadInputError(f"physics: {label}: size_m must be a positive number, got {obj.size_m!r}")
        for imp in impacts:
            surface = _surface_of(imp, label, notes)
            event = ImpactEvent(time_s=imp.time_s, mass_kg=obj.mass_kg, v_before=imp.v_before,
                                v_after=imp.v_after, material=material, size_m=size_m, surface_material=surface)
            stored = imp.delta_ke_j
            if abs(event.delta_ke_j - stored) > _DKE_MISMATCH_REL * max(abs(stored), 1e-9):
                notes.append(f"{label}: impact at {imp.time_s:.3f} s stores delta_ke_j={stored:.4g} J but its mass and "
                             f"speeds give {event.delta_ke_j:.4g} J; the sound follows mass and speeds")
            events.append(event)
    return events, notes


def _surface_of(imp, label: str, notes: list[str]) -> str | None:
    """The surface material an impact records in its `extra` (producers such as the synthetic
    scenes write it), or None (a generic hard floor)."""
    name = (getattr(imp, "extra", None) or {}).get("surface_material")
    if name is None:
        return None
    try:
        surface, alias_note = resolve_material(str(name))
    except BadInputError:
        notes.append(f"{label}: impact at {imp.time_s:.3f} s names an unknown surface {name!r}; "
                     "a generic hard floor is used")
        return None
    if alias_note:
        notes.append(f"{label}: surface {alias_note}")
    return surface


# Sample rates offered by every verb and node that writes Foley (the synthesizer itself takes any
# rate between MIN_SAMPLE_RATE_HZ and MAX_SAMPLE_RATE_HZ).
FOLEY_SAMPLE_RATES_HZ = (16000, 22050, 32000, 44100, 48000)


def render_foley(tracks: PhysicsTracks, *, sample_rate_hz: int = 44100, duration_s: float | None = None,
                 seed: int = 0, default_material: str = "plastic") -> FoleyResult:
    """Synthesize the impacts of `tracks` (duration: the clip's, unless given)."""
    if not isinstance(tracks, PhysicsTracks):
        raise BadInputError(f"render_foley needs PhysicsTracks, got {type(tracks).__name__}")
    tracks.validate()
    events, notes = events_from_tracks(tracks, default_material=default_material)
    duration = tracks.duration_s if duration_s is None else duration_s
    render = synthesize_impacts(events, duration_s=duration, sample_rate_hz=sample_rate_hz, seed=seed)
    notes.extend(render.notes)

    waveform = render.waveform
    peak = float(np.max(np.abs(waveform))) if waveform.size else 0.0
    ceiling = 10.0 ** (PEAK_CEILING_DBFS / 20.0)
    gain_db = 0.0
    if peak > ceiling:
        gain_db = 20.0 * math.log10(ceiling / peak)
        waveform = waveform.astype(np.float32, copy=False)
        waveform *= np.float32(10.0 ** (gain_db / 20.0))  # in place: a long sound is not copied
        notes.append(f"one global gain of {gain_db:.2f} dB applied to keep the peak at {PEAK_CEILING_DBFS:g} dBFS")
    return FoleyResult(waveform=waveform.astype(np.float32, copy=False), sample_rate_hz=render.sample_rate_hz,
                       events=render.events, gain_db=gain_db, notes=list(dict.fromkeys(notes)))
