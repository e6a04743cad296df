"""Weight-free modal impact synthesis: Hertz-contact force pulses into material mode banks.

Onset level follows 10·log10(ΔKE) (absolute calibration, see impacts.py), brightness follows the
Hertz contact time (faster hits are brighter), decay follows the material's Rayleigh damping.
numpy only; nothing here imports torch.

The material table (densities, modal constants, spellings) lives in pavas_core.materials; the
names below are re-exported from there.
"""

from ..materials import MATERIAL_NAMES, MATERIALS, Material, get_material, resolve_material, size_from_mass_m
from .foley import FOLEY_SAMPLE_RATES_HZ, FoleyResult, events_from_tracks, render_foley
from .impacts import (
    ONSET_DBFS_AT_1_J,
    ONSET_WINDOW_S,
    ImpactEvent,
    ImpactRender,
    render_impacts,
    synthesize_impacts,
)

__all__ = [
    "FOLEY_SAMPLE_RATES_HZ",
    "FoleyResult",
    "ImpactEvent",
    "ImpactRender",
    "MATERIALS",
    "MATERIAL_NAMES",
    "Material",
    "ONSET_DBFS_AT_1_J",
    "ONSET_WINDOW_S",
    "events_from_tracks",
    "get_material",
    "render_foley",
    "render_impacts",
    "resolve_material",
    "size_from_mass_m",
    "synthesize_impacts",
]
