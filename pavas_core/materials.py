"""Materials: the one table of what each material is, how it is spelled, and where each number comes from.

Read by the mass priors (physics/priors.py: mass from a material word and a size), the modal
synthesizer (synth/: mode frequencies, damping, Hertz contact, size from mass), the scene
generator (scenes/catalog.py: masses of solid objects) and Edit Physics (physics/edit.py: "make
it glass"). Nothing else keeps a density, a fill fraction, a modal constant or a material spelling.

Every numeric field of every material has a source in `Material.sources` (field name → text that
starts with a reference key in brackets, e.g. "[KleinPAT] Table 4"); the keys are listed in
REFERENCES. [ours] marks an engineering choice, with its reason, not a published constant.

Fields:
- density_kg_m3: bulk density of the material of a typical everyday object. Used for mass
  (ρ·volume) and for the bar wave speed c = √(E/ρ) that scales every mode frequency.
- fill_fraction: share of the bounding cube of side L (the characteristic size: diameter or
  longest side) that the material fills in a typical object: mass = ρ·fill·L³, and back,
  L = (m / (ρ·fill))^(1/3). One number for both directions, so a mass estimated from a size gives
  that size back. [ours] for every material (see _FILL).
- youngs_modulus_pa, poisson_ratio: elastic constants (size → frequency law, Hertz contact stiffness).
- rayleigh_alpha (1/s), rayleigh_beta (s): Rayleigh damping C = αM + βK; a mode of angular
  frequency ω decays at d = (α + β·ω²)/2 (1/s), damping ratio ξ = α/(2ω) + β·ω/2, T60 = ln(10³)/d.
- mode_shape (one of MODE_SHAPES), num_modes: which family of mode-frequency ratios, and how many
  modes the bank holds before the band limit drops the high ones. [ours]
- thickness_ratio: effective h/L of a typical object (thin-walled cups and pans ≈ 0.03, wooden
  boards, bats and bowls ≈ 0.05, chunky stones ≈ 0.15; for the soft materials it is tuned so that
  a 20–30 cm object has a fundamental of ~60–300 Hz, where the thud of a hollow ball or box sits). [ours]
- radiation_db: onset level at equal ΔKE relative to a hard material (soft materials turn more of
  the lost kinetic energy into heat than into sound). [ours]
- contact_noise_fraction, contact_noise_decay_s: share of the onset energy in a filtered-noise
  contact burst, and its e-folding time. [ours]

Decisions where the mass prior and the synthesizer used to disagree (one number each now):
- glass 2500 kg/m³ (soda-lime glass of bottles, tumblers, windows and marbles; KleinPAT lists
  2600). Mode frequencies of glass rise by √(2600/2500) ≈ 2 %.
- ceramic 2400 kg/m³ (porcelain and stoneware tableware, 2300–2500; KleinPAT lists 2700, a dense
  technical ceramic). Mode frequencies rise by √(2700/2400) ≈ 6 %.
- wood 600 kg/m³ (everyday wooden things mix softwoods, ~400–550 at 12 % moisture, and hardwoods,
  ~650–750; KleinPAT's 750 is a hardwood). KleinPAT's E is kept, so wood's mode frequencies rise
  by √(750/600) ≈ 12 %, within the spread between species.
- plastic 1070 kg/m³ (KleinPAT; the prior had 1050, both inside the ABS/polystyrene range).
- rubber 1150 kg/m³ (middle of the 1100–1200 range of filled, vulcanised rubber; the synthesizer had 1100).
- fabric 300 kg/m³ (a folded textile bundle, mostly air; the prior had 400).
- fill fractions: of the two values each material had, the one nearer the median of
  m/(ρ·L³) over the prior table's entries of that material (hollow and elongated objects pull
  those medians far below a solid's 1, so the lower value won for most materials).
- spellings: "tin" is steel (tinplate, tin-coated steel, is what tin cans, tin boxes and tin toys
  are; the synthesizer had aluminium); "foam" is fabric (a dead, light material: foam's 20–100
  kg/m³ and its thud are nearer a textile bundle than solid rubber; the prior had rubber);
  "brick" is ceramic (fired clay, as the prior table's and the scene catalog's bricks; the
  synthesizer had stone).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Mapping

from .errors import BadInputError

REFERENCES: Mapping[str, str] = MappingProxyType({
    "KleinPAT": "J.-H. Wang and D. L. James, \"KleinPAT: Optimal Mode Conflation for Time-Domain Precomputation "
                "of Acoustic Transfer\", ACM Trans. Graph. 38(4) (SIGGRAPH 2019), Table 4 (the material set "
                "RealImpact, CVPR 2023, also uses)",
    "Cremer-Heckl": "L. Cremer, M. Heckl, B. A. T. Petersson, \"Structure-Borne Sound\", 3rd ed., Springer 2005, "
                    "table of loss factors η of common materials (η = 2ξ)",
    "ASM": "ASM Handbook Vol. 2, properties of aluminium 6061-T6",
    "Johnson": "K. L. Johnson, \"Contact Mechanics\", Cambridge University Press 1985 (Hertz contact)",
    "USDA-Wood": "USDA Forest Products Laboratory, \"Wood Handbook\", FPL-GTR-190 (2010): specific gravity of "
                 "common species",
    "handbook": "engineering handbook ranges found in any table of densities and moduli of common solids",
    "ours": "an engineering choice of this project, with its reason given where it is made",
})

MATERIAL_NAMES = (
    "steel",
    "aluminium",
    "glass",
    "ceramic",
    "stone",
    "wood",
    "plastic",
    "rubber",
    "cardboard",
    "fabric",
)

MODE_SHAPES = ("bar", "plate", "shell")


@dataclass(frozen=True)
class Material:
    """One material; see the module docstring for what each field means and `sources` for where it comes from."""

    name: str
    density_kg_m3: float
    fill_fraction: float
    youngs_modulus_pa: float
    poisson_ratio: float
    rayleigh_alpha: float  # 1/s, mass-proportional damping
    rayleigh_beta: float  # s, stiffness-proportional damping
    mode_shape: str  # one of MODE_SHAPES
    num_modes: int
    thickness_ratio: float  # effective h/L
    radiation_db: float  # onset level offset at equal ΔKE (0 for hard materials)
    contact_noise_fraction: float  # share of the onset energy in a filtered-noise contact burst
    contact_noise_decay_s: float  # e-folding time of that burst
    sources: Mapping[str, str] = field(compare=False, repr=False)  # field name → "[REFERENCE] detail"

    @property
    def wave_speed_mps(self) -> float:
        """c = √(E/ρ), the bar wave speed that scales every mode frequency."""
        return math.sqrt(self.youngs_modulus_pa / self.density_kg_m3)

    def decay_rate_per_s(self, omega_rad_s):
        """Rayleigh decay rate d = (α + β·ω²)/2 of a mode with angular frequency ω (array or float)."""
        return 0.5 * (self.rayleigh_alpha + self.rayleigh_beta * omega_rad_s**2)

    def damping_ratio(self, omega_rad_s):
        """ξ = α/(2ω) + β·ω/2."""
        return self.rayleigh_alpha / (2.0 * omega_rad_s) + 0.5 * self.rayleigh_beta * omega_rad_s


# The fields that hold a number (or a choice) and therefore need a source.
SOURCED_FIELDS = tuple(f.name for f in fields(Material) if f.name not in ("name", "sources"))


def _material(name: str, **values: tuple[object, str]) -> Material:
    """Build a Material from `field=(value, source)` pairs, so that no value is written without its source."""
    missing = set(SOURCED_FIELDS) - set(values)
    extra = set(values) - set(SOURCED_FIELDS)
    if missing or extra:
        raise ValueError(f"material {name!r}: missing {sorted(missing)}, unknown {sorted(extra)}")
    return Material(name, **{k: v for k, (v, _) in values.items()}, sources={k: s for k, (_, s) in values.items()})


_KP = "[KleinPAT] Table 4"
_FILL = ("[ours] share of the bounding cube a typical object of this material fills; of the prior's and the "
         "synthesizer's former values, the one nearer the median of m/(ρ·L³) over the prior table's entries")
_SOLID_ONLY = "[ours] hard material: all of the onset energy is in the modes"
_NO_NOISE = "[ours] no contact burst"

MATERIALS: Mapping[str, Material] = MappingProxyType({
    "steel": _material(
        "steel",
        density_kg_m3=(7850.0, _KP + "; the handbook value of carbon steel"),
        fill_fraction=(0.12, _FILL + " (hollow pans, cans, tools)"),
        youngs_modulus_pa=(2.0e11, _KP),
        poisson_ratio=(0.29, _KP),
        rayleigh_alpha=(5.0, _KP),
        rayleigh_beta=(3e-8, _KP),
        mode_shape=("plate", "[ours] thin-walled pans, cans and sheets"),
        num_modes=(16, "[ours] a metal rings with many audible modes"),
        thickness_ratio=(0.03, "[ours] thin-walled cups and pans"),
        radiation_db=(0.0, "[ours] hard-material reference level"),
        contact_noise_fraction=(0.0, _SOLID_ONLY),
        contact_noise_decay_s=(0.0, _NO_NOISE),
    ),
    "aluminium": _material(
        "aluminium",
        density_kg_m3=(2700.0, "[ASM] 6061-T6"),
        fill_fraction=(0.1, _FILL + " (cans, pans, ladders)"),
        youngs_modulus_pa=(6.89e10, "[ASM] 6061-T6"),
        poisson_ratio=(0.33, "[ASM] 6061-T6"),
        rayleigh_alpha=(5.0, "[Cremer-Heckl] aluminium's loss factor (~1e-4) is no larger than steel's "
                             "(1e-4..6e-4), so KleinPAT's steel α is reused rather than inventing a lower one"),
        rayleigh_beta=(3e-8, "[Cremer-Heckl] as rayleigh_alpha: KleinPAT's steel β reused"),
        mode_shape=("plate", "[ours] thin-walled cans and pans"),
        num_modes=(16, "[ours] as steel"),
        thickness_ratio=(0.03, "[ours] thin-walled cans and pans"),
        radiation_db=(0.0, "[ours] hard-material reference level"),
        contact_noise_fraction=(0.0, _SOLID_ONLY),
        contact_noise_decay_s=(0.0, _NO_NOISE),
    ),
    "glass": _material(
        "glass",
        density_kg_m3=(2500.0, "[handbook] soda-lime glass 2440–2530 (bottles, tumblers, windows, marbles); "
                               "KleinPAT lists 2600"),
        fill_fraction=(0.15, _FILL + " (glasses, bottles, bowls)"),
        youngs_modulus_pa=(6.2e10, _KP),
        poisson_ratio=(0.20, _KP),
        rayleigh_alpha=(1.0, _KP),
        rayleigh_beta=(1e-7, _KP),
        mode_shape=("shell", "[ours] glasses, bottles and bowls are shells"),
        num_modes=(16, "[ours] glass rings with many audible modes"),
        thickness_ratio=(0.03, "[ours] thin-walled glasses"),
        radiation_db=(0.0, "[ours] hard-material reference level"),
        contact_noise_fraction=(0.0, _SOLID_ONLY),
        contact_noise_decay_s=(0.0, _NO_NOISE),
    ),
    "ceramic": _material(
        "ceramic",
        density_kg_m3=(2400.0, "[handbook] porcelain and stoneware 2300–2500 (cups, plates, tiles); "
                               "KleinPAT lists 2700, a dense technical ceramic"),
        fill_fraction=(0.2, _FILL + " (mugs, bowls, bricks)"),
        youngs_modulus_pa=(7.2e10, _KP),
        poisson_ratio=(0.19, _KP),
        rayleigh_alpha=(6.0, _KP),
        rayleigh_beta=(1e-7, _KP),
        mode_shape=("shell", "[ours] cups, bowls and vases are shells"),
        num_modes=(16, "[ours] ceramic rings with many audible modes"),
        thickness_ratio=(0.05, "[ours] thicker walls than glass"),
        radiation_db=(0.0, "[ours] hard-material reference level"),
        contact_noise_fraction=(0.0, _SOLID_ONLY),
        contact_noise_decay_s=(0.0, _NO_NOISE),
    ),
    "stone": _material(
        "stone",
        density_kg_m3=(2600.0, "[handbook] granite, limestone and marble 2600–2700"),
        fill_fraction=(0.5, _FILL + " (rocks are lumps, not cubes)"),
        youngs_modulus_pa=(5.0e10, "[handbook] granite and marble 50–70 GPa"),
        poisson_ratio=(0.25, "[handbook] granite and marble 0.2–0.3"),
        rayleigh_alpha=(10.0, "[ours] with β gives η = 2ξ ≈ 5e-3 at 2 kHz: below the 1e-2..5e-2 that "
                              "[Cremer-Heckl] lists for concrete and brick (dense natural stone rings more than "
                              "cast concrete), above KleinPAT's ceramic"),
        rayleigh_beta=(3e-7, "[ours] see rayleigh_alpha"),
        mode_shape=("plate", "[ours] slabs and cobbles"),
        num_modes=(12, "[ours] a dull ring with fewer modes than metal or glass"),
        thickness_ratio=(0.15, "[ours] chunky stones"),
        radiation_db=(-3.0, "[ours] a lump radiates less of the lost energy than a thin shell"),
        contact_noise_fraction=(0.0, _SOLID_ONLY),
        contact_noise_decay_s=(0.0, _NO_NOISE),
    ),
    "wood": _material(
        "wood",
        density_kg_m3=(600.0, "[USDA-Wood] everyday wooden things mix softwoods (~400–550 kg/m³ at 12 % moisture) "
                              "and hardwoods (~650–750); KleinPAT's 750 is a hardwood"),
        fill_fraction=(0.4, _FILL + " (blocks, boards, bats)"),
        youngs_modulus_pa=(1.1e10, _KP),
        poisson_ratio=(0.25, _KP),
        rayleigh_alpha=(60.0, _KP),
        rayleigh_beta=(2e-6, _KP),
        mode_shape=("bar", "[ours] boards, bats and sticks are bars"),
        num_modes=(12, "[ours] a short, knocking ring"),
        thickness_ratio=(0.05, "[ours] wooden boards, bats and bowls"),
        radiation_db=(-3.0, "[ours] wood turns more of the lost energy into heat than metal does"),
        contact_noise_fraction=(0.0, _SOLID_ONLY),
        contact_noise_decay_s=(0.0, _NO_NOISE),
    ),
    "plastic": _material(
        "plastic",
        density_kg_m3=(1070.0, _KP + "; inside the ABS/polystyrene range 1040–1070 [handbook]"),
        fill_fraction=(0.15, _FILL + " (hollow bottles, boxes, housings)"),
        youngs_modulus_pa=(1.4e9, _KP),
        poisson_ratio=(0.35, _KP),
        rayleigh_alpha=(30.0, _KP + " (half of wood's: plastic rings about twice as long at the same frequency)"),
        rayleigh_beta=(1e-6, _KP),
        mode_shape=("shell", "[ours] bottles, boxes and housings are shells"),
        num_modes=(12, "[ours] fewer ringing modes than metal"),
        thickness_ratio=(0.04, "[ours] moulded walls"),
        radiation_db=(-6.0, "[ours] a soft polymer turns more of the lost energy into heat"),
        contact_noise_fraction=(0.0, _SOLID_ONLY),
        contact_noise_decay_s=(0.0, _NO_NOISE),
    ),
    "rubber": _material(
        "rubber",
        density_kg_m3=(1150.0, "[handbook] filled, vulcanised rubber 1100–1200 (the middle)"),
        fill_fraction=(0.15, _FILL + " (hollow balls, tyres)"),
        youngs_modulus_pa=(1.0e7, "[handbook] soft rubber 1–100 MPa; the value the synthesizer's Hertz contact "
                                   "has used since its first version (after [Johnson])"),
        poisson_ratio=(0.49, "[handbook] rubber is nearly incompressible"),
        rayleigh_alpha=(600.0, "[ours] with β gives ξ 0.26 at 200 Hz and 0.17 at 1 kHz, η 0.35–0.5, inside the "
                               "0.1–1 range [Cremer-Heckl] gives for rubber"),
        rayleigh_beta=(4e-5, "[ours] see rayleigh_alpha"),
        mode_shape=("shell", "[ours] hollow balls"),
        num_modes=(8, "[ours] a heavily damped thud"),
        thickness_ratio=(0.4, "[ours] tuned so a 20–30 cm ball's fundamental sits at ~60–300 Hz"),
        radiation_db=(-10.0, "[ours] rubber turns most of the lost energy into heat"),
        contact_noise_fraction=(0.3, "[ours] a slap on contact"),
        contact_noise_decay_s=(0.003, "[ours] a short slap"),
    ),
    "cardboard": _material(
        "cardboard",
        density_kg_m3=(700.0, "[handbook] paperboard 600–800"),
        fill_fraction=(0.08, _FILL + " (boxes are mostly air)"),
        youngs_modulus_pa=(3.0e9, "[handbook] paperboard in-plane 2–6 GPa"),
        poisson_ratio=(0.3, "[handbook] paperboard ~0.3"),
        rayleigh_alpha=(330.0, "[ours] with β gives ξ ≈ 0.1 (η ≈ 0.2) at 300 Hz and 2 kHz: a corrugated box loses "
                               "more than fibreboard (1e-2..3e-2) and about as much as cork (0.13–0.17) "
                               "[Cremer-Heckl]"),
        rayleigh_beta=(1.4e-5, "[ours] see rayleigh_alpha"),
        mode_shape=("plate", "[ours] box walls are plates"),
        num_modes=(8, "[ours] a heavily damped thud"),
        thickness_ratio=(0.02, "[ours] tuned so a 20–30 cm box's fundamental sits at ~60–300 Hz"),
        radiation_db=(-8.0, "[ours] a box turns most of the lost energy into heat"),
        contact_noise_fraction=(0.5, "[ours] a papery slap on contact"),
        contact_noise_decay_s=(0.003, "[ours] a short slap"),
    ),
    "fabric": _material(
        "fabric",
        density_kg_m3=(300.0, "[ours] bulk density of a folded textile bundle: fibres of 1300–1550 kg/m³ "
                              "[handbook] with most of the bundle air"),
        fill_fraction=(0.15, _FILL + " (stuffed and folded things)"),
        youngs_modulus_pa=(1.0e6, "[ours] effective modulus of a folded textile bundle, for the Hertz contact"),
        poisson_ratio=(0.3, "[ours] effective, of a bundle"),
        rayleigh_alpha=(400.0, "[ours] with β gives ξ 0.28 at 120 Hz and 0.16 at 1 kHz (felt-like, η ≈ 0.3–0.6 "
                               "[Cremer-Heckl]); cloth is essentially non-resonant"),
        rayleigh_beta=(4e-5, "[ours] see rayleigh_alpha"),
        mode_shape=("plate", "[ours] a bundle has no clear shape; plate ratios are the densest"),
        num_modes=(8, "[ours] a heavily damped thud"),
        thickness_ratio=(0.3, "[ours] tuned so a 20–30 cm cushion's fundamental sits at ~60–300 Hz"),
        radiation_db=(-15.0, "[ours] cloth radiates very little of the lost energy"),
        contact_noise_fraction=(0.9, "[ours] most of the onset energy is the contact rustle"),
        contact_noise_decay_s=(0.004, "[ours] a short rustle"),
    ),
})

# Every spelling a user, a VLM or an object name may use for a material, mapped to one of
# MATERIAL_NAMES (the names themselves map to themselves and are not repeated here). One table: the
# mass prior reads it word by word in object names ("metal bucket"), the synthesizer and Edit
# Physics read it for a material given on its own ("aluminum").
MATERIAL_ALIASES: Mapping[str, str] = MappingProxyType({
    # metals: most everyday "metal" things are steel; tinplate (tin-coated steel) is what tin cans,
    # tin boxes and tin toys are made of; copper alloys, lead and precious metals are dense, ringing
    # metals nearer steel than aluminium
    "metal": "steel", "metallic": "steel", "iron": "steel", "cast iron": "steel", "stainless": "steel",
    "stainless steel": "steel", "tin": "steel", "tinplate": "steel", "brass": "steel", "copper": "steel",
    "bronze": "steel", "chrome": "steel", "lead": "steel", "silver": "steel", "gold": "steel",
    "aluminum": "aluminium",
    "crystal": "glass",
    # fired clay: tableware, pots and bricks
    "porcelain": "ceramic", "china": "ceramic", "clay": "ceramic", "terracotta": "ceramic", "pottery": "ceramic",
    "stoneware": "ceramic", "earthenware": "ceramic", "brick": "ceramic",
    "rock": "stone", "marble": "stone", "granite": "stone", "concrete": "stone", "cement": "stone",
    "wooden": "wood", "timber": "wood", "oak": "wood", "pine": "wood", "bamboo": "wood",
    "acrylic": "plastic", "nylon": "plastic", "vinyl": "plastic", "resin": "plastic", "polycarbonate": "plastic",
    "pvc": "plastic",
    "silicone": "rubber", "latex": "rubber",
    "paper": "cardboard", "paperboard": "cardboard", "carton": "cardboard",
    # textiles, and foam: light and dead like a textile bundle, not solid rubber
    "cloth": "fabric", "textile": "fabric", "cotton": "fabric", "wool": "fabric", "woolen": "fabric",
    "leather": "fabric", "felt": "fabric", "plush": "fabric", "stuffed": "fabric", "denim": "fabric",
    "silk": "fabric", "knitted": "fabric", "foam": "fabric",
})


def material_named(text: str) -> str | None:
    """The material a word or phrase names ("Aluminum" → "aluminium", "wooden" → "wood"), or None."""
    if not isinstance(text, str):
        return None
    key = " ".join(text.strip().lower().split())
    if key in MATERIALS:
        return key
    return MATERIAL_ALIASES.get(key)


def get_material(name: str) -> Material:
    """The material called exactly `name` (one of MATERIAL_NAMES); BadInputError for anything else."""
    material = MATERIALS.get(name) if isinstance(name, str) else None
    if material is None:
        raise BadInputError(f"unknown material {name!r}; use one of {', '.join(MATERIAL_NAMES)}")
    return material


def resolve_material(name: str) -> tuple[str, str | None]:
    """Map a free-form material name to one of MATERIAL_NAMES. Returns (name, note or None).

    Exact names pass unchanged; other spellings ("Aluminum", "metal", "cloth", ...) map with a
    note; anything else raises BadInputError.
    """
    if not isinstance(name, str):
        raise BadInputError(f"material must be a string, got {name!r}")
    target = material_named(name)
    if target is None:
        raise BadInputError(f"unknown material {name!r}; use one of {', '.join(MATERIAL_NAMES)}")
    if target == name:
        return target, None
    if target == name.strip().lower():
        return target, f"material {name!r} read as {target!r}"
    return target, f"material {name!r} has no entry of its own; read as {target!r}"


def mass_from_size_kg(size_m: float, material: Material) -> float:
    """Mass (kg) of a typical object of this material and characteristic size L: ρ · fill · L³."""
    return material.density_kg_m3 * material.fill_fraction * size_m**3


def size_from_mass_m(mass_kg: float, material: Material) -> float:
    """Characteristic size L (m) of a typical object of this mass: L = (m / (ρ · fill))^(1/3)."""
    return (mass_kg / (material.density_kg_m3 * material.fill_fraction)) ** (1.0 / 3.0)
