"""Objects the synthetic scenes are made of: name, material, shape, size, mass, bounce, look.

Masses follow the sports standards / densities used by the prior table (pavas_core.physics.priors),
so an estimator that names the object right gets the mass right. Restitution values are typical
drop-test values on a hard floor (rubber balls ≈ 0.75–0.85, wood ≈ 0.5, stone ≈ 0.3, soft goods
barely bounce).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ObjectKind:
    name: str
    material: str  # one of pavas_core.synth MATERIAL_NAMES
    shape: str  # sphere | box
    size_m: float  # diameter (sphere) or side (box)
    mass_kg: float
    restitution: float
    color_rgb: tuple[float, float, float]  # base albedo 0..1
    specular: float  # 0 (matte) .. 1 (polished)


CATALOG: tuple[ObjectKind, ...] = (
    ObjectKind("basketball", "rubber", "sphere", 0.24, 0.62, 0.80, (0.85, 0.42, 0.12), 0.15),
    ObjectKind("tennis ball", "rubber", "sphere", 0.067, 0.058, 0.75, (0.80, 0.90, 0.20), 0.05),
    ObjectKind("soccer ball", "rubber", "sphere", 0.22, 0.43, 0.72, (0.95, 0.95, 0.92), 0.2),
    ObjectKind("volleyball", "rubber", "sphere", 0.21, 0.27, 0.74, (0.95, 0.85, 0.35), 0.15),
    ObjectKind("rubber ball", "rubber", "sphere", 0.10, 0.12, 0.82, (0.85, 0.15, 0.20), 0.3),
    ObjectKind("steel ball", "steel", "sphere", 0.06, 0.89, 0.55, (0.72, 0.74, 0.78), 0.9),
    ObjectKind("glass ball", "glass", "sphere", 0.08, 0.67, 0.50, (0.60, 0.80, 0.85), 0.95),
    ObjectKind("wooden ball", "wood", "sphere", 0.08, 0.18, 0.50, (0.65, 0.45, 0.25), 0.1),
    ObjectKind("billiard ball", "plastic", "sphere", 0.057, 0.17, 0.60, (0.15, 0.20, 0.70), 0.7),
    ObjectKind("bowling ball", "plastic", "sphere", 0.218, 6.5, 0.30, (0.25, 0.10, 0.45), 0.8),
    ObjectKind("stone", "stone", "sphere", 0.10, 1.3, 0.30, (0.50, 0.48, 0.44), 0.05),
    ObjectKind("mug", "ceramic", "box", 0.10, 0.35, 0.35, (0.92, 0.90, 0.85), 0.6),
    ObjectKind("wooden block", "wood", "box", 0.10, 0.6, 0.45, (0.78, 0.60, 0.35), 0.1),
    ObjectKind("cardboard box", "cardboard", "box", 0.25, 0.35, 0.20, (0.70, 0.55, 0.35), 0.0),
    ObjectKind("brick", "ceramic", "box", 0.12, 2.5, 0.25, (0.70, 0.30, 0.20), 0.05),
    ObjectKind("cushion", "fabric", "box", 0.35, 0.45, 0.15, (0.30, 0.55, 0.75), 0.0),
    ObjectKind("aluminium can", "aluminium", "box", 0.08, 0.015, 0.45, (0.80, 0.82, 0.86), 0.8),
)


def kind_by_name(name: str) -> ObjectKind:
    for kind in CATALOG:
        if kind.name == name:
            return kind
    raise KeyError(f"no object kind named {name!r}; known: {', '.join(k.name for k in CATALOG)}")
