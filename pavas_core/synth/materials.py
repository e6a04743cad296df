"""Kept so that `pavas_core.synth.materials` imports keep working: the material table lives in
pavas_core.materials (one table, read by the mass priors, the synthesizer, the scene generator
and Edit Physics). Import from there."""

from ..materials import (  # noqa: F401
    MATERIAL_ALIASES,
    MATERIAL_NAMES,
    MATERIALS,
    MODE_SHAPES,
    Material,
    get_material,
    resolve_material,
    size_from_mass_m,
)

MaterialPreset = Material  # the class's former name
