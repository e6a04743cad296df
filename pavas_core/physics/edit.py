"""Editing physics by hand ("make it heavier", "faster", "make it glass"): a new PhysicsTracks.

Scaling mass or speed keeps everything consistent: impact energies are recomputed as
ΔKE = ½·m·(v_before² − v_after²) with the new values, and a mass that was changed says so
(`mass_source: "user"`). Positions are left as they were (the trajectory is not re-simulated);
the applied edit is recorded in the object's `extra["edits"]`.
"""

from __future__ import annotations

import copy
import math

from ..errors import BadInputError
from ..materials import MATERIAL_NAMES, material_named
from .tracks import PhysicsTracks, delta_ke_j


# what the command line's --mass-scale / --speed-scale and Edit Physics's widgets allow
MASS_SCALE_RANGE = (0.001, 1000.0)
SPEED_SCALE_RANGE = (0.01, 100.0)


def check_scale(name: str, value: float, allowed: tuple[float, float]) -> float:
    """`value` if it is a number within `allowed`, else one BadInputError line."""
    low, high = allowed
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (math.isfinite(value) and low <= value <= high):
        raise BadInputError(f"{name} must be a number from {low:g} to {high:g}, got {value!r}")
    return float(value)


def _positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (math.isfinite(value) and value > 0):
        raise BadInputError(f"edit_physics: {name} must be a positive number, got {value!r}")
    return float(value)


def edit_physics(
    tracks: PhysicsTracks,
    *,
    object_id: int | None = None,
    mass_scale: float = 1.0,
    mass_kg: float | None = None,
    speed_scale: float = 1.0,
    material: str | None = None,
) -> PhysicsTracks:
    """A copy of `tracks` with one object (or every object, object_id None) edited.

    mass_kg sets the mass (wins over mass_scale); mass_scale multiplies it; speed_scale multiplies
    every speed and impact speed; material replaces the material (one of MATERIAL_NAMES or a
    spelling of one from pavas_core.materials: "porcelain" is ceramic, "tin" is steel).
    """
    mass_scale = _positive("mass_scale", mass_scale)
    speed_scale = _positive("speed_scale", speed_scale)
    if mass_kg is not None:
        mass_kg = _positive("mass_kg", mass_kg)
    written_material = material
    if material is not None:
        material = material_named(material)
        if material is None:
            raise BadInputError(f"edit_physics: unknown material {written_material!r}; "
                                f"use one of {', '.join(MATERIAL_NAMES)}")
    ids = [o.id for o in tracks.objects]
    if object_id is not None and object_id not in ids:
        raise BadInputError(f"edit_physics: no object with id {object_id} (objects: {ids or 'none'})")
    out = copy.deepcopy(tracks)
    for obj in out.objects:
        if object_id is not None and obj.id != object_id:
            continue
        edit: dict = {}
        if mass_kg is not None or mass_scale != 1.0:
            new_mass = mass_kg if mass_kg is not None else obj.mass_kg * mass_scale
            edit["mass_kg"] = {"from": obj.mass_kg, "to": new_mass}
            obj.mass_kg = new_mass
            obj.mass_source = "user"
        if speed_scale != 1.0:
            obj.speed_mps = [None if s is None else s * speed_scale for s in obj.speed_mps]
            for imp in obj.impacts:
                imp.v_before *= speed_scale
                imp.v_after *= speed_scale
            edit["speed_scale"] = speed_scale
        if material is not None:
            edit["material"] = {"from": obj.material, "to": material}
            if written_material != material:
                edit["material"]["as_written"] = written_material
            obj.material = material
            obj.material_source = "user"
        for imp in obj.impacts:
            imp.delta_ke_j = delta_ke_j(obj.mass_kg, imp.v_before, imp.v_after)
        if edit:
            obj.extra.setdefault("edits", []).append(edit)
    return out.validate()
