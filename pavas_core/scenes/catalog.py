"""Objects the synthetic scenes are made of: name, material, shape, size, mass, bounce, look.

A solid object's mass is its material's density (pavas_core.materials, the one material table)
times its volume. Hollow, stuffed and regulation objects keep a mass from sports standards and
typical products, as the prior table (pavas_core.physics.priors) does, with the reason why it is
not density × volume on the line; so an estimator that names the object right gets the mass
right. Restitution values are typical drop-test values on a hard floor (rubber balls ≈ 0.75–0.85,
wood ≈ 0.5, stone ≈ 0.3, soft goods barely bounce).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..materials import get_material


@dataclass(frozen=True)
class ObjectKind:
    name: str
    material: str  # one of pavas_core.materials.MATERIAL_NAMES
    shape: str  # sphere | box
    size_m: float  # diameter (sphere) or side (box)
    mass_kg: float
    restitution: float
    color_rgb: tuple[float, float, float]  # base albedo 0..1
    specular: float  # 0 (matte) .. 1 (polished)


SHAPE_VOLUME_FACTOR = {"sphere": math.pi / 6, "box": 1.0}  # volume / size³ (size: diameter or side)


def solid_mass_kg(material: str, shape: str, size_m: float) -> float:
    """Mass of a solid object: the material's density × the shape's volume."""
    return get_material(material).density_kg_m3 * SHAPE_VOLUME_FACTOR[shape] * size_m**3


def _solid(name, material, shape, size_m, restitution, color_rgb, specular) -> ObjectKind:
    return ObjectKind(name, material, shape, size_m, solid_mass_kg(material, shape, size_m), restitution,
                      color_rgb, specular)


CATALOG: tuple[ObjectKind, ...] = (
    # hollow balls: regulation masses (FIBA, ITF, IFAB, FIVB), far below a solid rubber sphere's
    ObjectKind("basketball", "rubber", "sphere", 0.24, 0.62, 0.80, (0.85, 0.42, 0.12), 0.15),
    ObjectKind("tennis ball", "rubber", "sphere", 0.067, 0.058, 0.75, (0.80, 0.90, 0.20), 0.05),
    ObjectKind("soccer ball", "rubber", "sphere", 0.22, 0.43, 0.72, (0.95, 0.95, 0.92), 0.2),
    ObjectKind("volleyball", "rubber", "sphere", 0.21, 0.27, 0.74, (0.95, 0.85, 0.35), 0.15),
    # hollow: a typical 10 cm playground rubber ball
    ObjectKind("rubber ball", "rubber", "sphere", 0.10, 0.12, 0.82, (0.85, 0.15, 0.20), 0.3),
    _solid("steel ball", "steel", "sphere", 0.06, 0.55, (0.72, 0.74, 0.78), 0.9),
    _solid("glass ball", "glass", "sphere", 0.08, 0.50, (0.60, 0.80, 0.85), 0.95),
    _solid("wooden ball", "wood", "sphere", 0.08, 0.50, (0.65, 0.45, 0.25), 0.1),
    # WPA regulation mass: phenolic resin (≈ 1700 kg/m³) is denser than the generic plastic
    ObjectKind("billiard ball", "plastic", "sphere", 0.057, 0.17, 0.60, (0.15, 0.20, 0.70), 0.7),
    # USBC: a common adult ball; the weight-block core makes it denser than the generic plastic
    ObjectKind("bowling ball", "plastic", "sphere", 0.218, 6.5, 0.30, (0.25, 0.10, 0.45), 0.8),
    _solid("stone", "stone", "sphere", 0.10, 0.30, (0.50, 0.48, 0.44), 0.05),
    # hollow: an 11 oz stoneware mug
    ObjectKind("mug", "ceramic", "box", 0.10, 0.35, 0.35, (0.92, 0.90, 0.85), 0.6),
    _solid("wooden block", "wood", "box", 0.10, 0.45, (0.78, 0.60, 0.35), 0.1),
    # hollow: an empty shipping box
    ObjectKind("cardboard box", "cardboard", "box", 0.25, 0.35, 0.20, (0.70, 0.55, 0.35), 0.0),
    # a real brick's mass (UK 215×102.5×65 mm, 2.3–3.0 kg); the render's 12 cm cube only stands in for its shape
    ObjectKind("brick", "ceramic", "box", 0.12, 2.5, 0.25, (0.70, 0.30, 0.20), 0.05),
    # stuffed: mostly air
    ObjectKind("cushion", "fabric", "box", 0.35, 0.45, 0.15, (0.30, 0.55, 0.75), 0.0),
    # hollow: an empty 355 ml can (13–15 g)
    ObjectKind("aluminium can", "aluminium", "box", 0.08, 0.015, 0.45, (0.80, 0.82, 0.86), 0.8),
)


def kind_by_name(name: str) -> ObjectKind:
    for kind in CATALOG:
        if kind.name == name:
            return kind
    raise KeyError(f"no object kind named {name!r}; known: {', '.join(k.name for k in CATALOG)}")
