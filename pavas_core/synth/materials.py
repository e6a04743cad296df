"""Material presets for the modal impact synthesizer, each with the source of its constants.

Elastic constants (density ρ, Young's modulus E, Poisson ratio ν) set the size→frequency law
(f ∝ (h/L)·c/L with c = √(E/ρ)) and the Hertz contact stiffness. Rayleigh damping C = αM + βK gives
each mode of angular frequency ω the decay rate d = (α + β·ω²)/2 (1/s) and damping ratio
ξ = α/(2ω) + β·ω/2, so T60 = ln(10³)/d.

Sources:
- [KleinPAT] J.-H. Wang and D. L. James, "KleinPAT: Optimal Mode Conflation for Time-Domain
  Precomputation of Acoustic Transfer", ACM Trans. Graph. 38(4) (SIGGRAPH 2019), Table 4 (the same
  material set is used by RealImpact, CVPR 2023).
- [Cremer-Heckl] L. Cremer, M. Heckl, B. A. T. Petersson, "Structure-Borne Sound", 3rd ed.,
  Springer 2005, table of loss factors η of common materials (η = 2ξ).
- [ASM] ASM Handbook Vol. 2 (aluminium 6061-T6 properties).
- Values tagged [ours] are engineering choices documented where they are made; they are not
  published constants.

Geometry fields, all [ours]: `thickness_ratio` is the effective h/L of a typical object of this
material (thin-walled cups/pans ≈ 0.03, wooden boards, bats and bowls ≈ 0.05, chunky stones
≈ 0.15; for the soft materials it is tuned so that a 20–30 cm object has a fundamental of
~60–300 Hz, where the thud of a hollow ball or box sits). `fill_fraction` is the fraction of the
bounding cube of side L that the material fills, used to derive a size from a mass:
L = (m / (ρ·fill))^(1/3).
`radiation_db` is the onset level at equal ΔKE relative to a hard material: soft materials turn
more of the lost kinetic energy into heat than into sound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import BadInputError

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
class MaterialPreset:
    name: str
    density_kg_m3: float
    youngs_modulus_pa: float
    poisson_ratio: float
    rayleigh_alpha: float  # 1/s, mass-proportional damping
    rayleigh_beta: float  # s, stiffness-proportional damping
    mode_shape: str  # one of MODE_SHAPES: which family of mode-frequency ratios
    num_modes: int  # modes in the bank before the band limit drops the high ones
    thickness_ratio: float  # effective h/L (see module docstring)
    fill_fraction: float  # mass = ρ · fill · L³ (see module docstring)
    radiation_db: float  # onset level offset at equal ΔKE (0 for hard materials)
    contact_noise_fraction: float = 0.0  # share of the onset energy in a filtered-noise contact burst
    contact_noise_decay_s: float = 0.0  # e-folding time of that burst

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


MATERIALS: dict[str, MaterialPreset] = {
    # [KleinPAT] Table 4 "steel": ρ 7850, E 2.0e11, ν 0.29, α 5, β 3e-8.
    "steel": MaterialPreset("steel", 7850.0, 2.0e11, 0.29, 5.0, 3e-8, "plate", 16, 0.03, 0.2, 0.0),
    # Not in KleinPAT. ρ, E, ν: [ASM] 6061-T6 (2700 kg/m³, 68.9 GPa, 0.33). Damping: aluminium's loss
    # factor (~1e-4) is no larger than steel's (1e-4..6e-4) [Cremer-Heckl], so KleinPAT's steel α, β
    # are reused rather than inventing lower values.
    "aluminium": MaterialPreset("aluminium", 2700.0, 6.89e10, 0.33, 5.0, 3e-8, "plate", 16, 0.03, 0.1, 0.0),
    # [KleinPAT] Table 4 "glass": ρ 2600, E 6.2e10, ν 0.20, α 1, β 1e-7.
    "glass": MaterialPreset("glass", 2600.0, 6.2e10, 0.20, 1.0, 1e-7, "shell", 16, 0.03, 0.15, 0.0),
    # [KleinPAT] Table 4 "ceramic": ρ 2700, E 7.2e10, ν 0.19, α 6, β 1e-7.
    "ceramic": MaterialPreset("ceramic", 2700.0, 7.2e10, 0.19, 6.0, 1e-7, "shell", 16, 0.05, 0.3, 0.0),
    # Not in KleinPAT. ρ 2600, E 5e10, ν 0.25: granite/marble handbook ranges (2.6-2.7 g/cm³,
    # 50-70 GPa). Damping [ours]: α 10, β 3e-7 give η = 2ξ ≈ 5e-3 at 2 kHz — below the 1e-2..5e-2
    # that [Cremer-Heckl] lists for concrete and brick, because dense natural stone rings more than
    # cast concrete (lithophones), and above KleinPAT's ceramic.
    "stone": MaterialPreset("stone", 2600.0, 5.0e10, 0.25, 10.0, 3e-7, "plate", 12, 0.15, 0.6, -3.0),
    # [KleinPAT] Table 4 "wood": ρ 750, E 1.1e10, ν 0.25, α 60, β 2e-6.
    "wood": MaterialPreset("wood", 750.0, 1.1e10, 0.25, 60.0, 2e-6, "bar", 12, 0.05, 0.5, -3.0),
    # [KleinPAT] Table 4 "plastic": ρ 1070, E 1.4e9, ν 0.35, α 30, β 1e-6. (With these constants
    # plastic rings about twice as long as wood at the same frequency: its α and β are half of wood's.)
    "plastic": MaterialPreset("plastic", 1070.0, 1.4e9, 0.35, 30.0, 1e-6, "shell", 12, 0.04, 0.15, -6.0),
    # Not in KleinPAT. ρ 1100, ν 0.49; E 1e7 as used for the rubber contact example in the Hertz
    # notes (Johnson, Contact Mechanics). Damping [ours]: α 600, β 4e-5 give ξ 0.26 at 200 Hz and
    # 0.17 at 1 kHz, i.e. η 0.35-0.5, inside the 0.1-1 range [Cremer-Heckl] gives for rubber.
    "rubber": MaterialPreset("rubber", 1100.0, 1.0e7, 0.49, 600.0, 4e-5, "shell", 8, 0.4, 0.15, -10.0,
                             contact_noise_fraction=0.3, contact_noise_decay_s=0.003),
    # Not in KleinPAT. ρ 700, E 3e9, ν 0.3: paperboard (0.6-0.8 g/cm³, in-plane E 2-6 GPa).
    # Damping [ours]: α 330, β 1.4e-5 give ξ ≈ 0.1 (η ≈ 0.2) at 300 Hz and 2 kHz: a corrugated box
    # loses more than fibreboard (1e-2..3e-2) and about as much as cork (0.13-0.17) [Cremer-Heckl].
    "cardboard": MaterialPreset("cardboard", 700.0, 3.0e9, 0.3, 330.0, 1.4e-5, "plate", 8, 0.02, 0.1, -8.0,
                                contact_noise_fraction=0.5, contact_noise_decay_s=0.003),
    # Not in KleinPAT; cloth is essentially non-resonant. [ours]: bulk ρ 300 and effective E 1e6 of
    # a folded textile bundle (for the Hertz contact); α 400, β 4e-5 give ξ 0.28 at 120 Hz and 0.16
    # at 1 kHz (felt-like, η ≈ 0.3-0.6); most of the onset energy goes into the contact-noise burst.
    "fabric": MaterialPreset("fabric", 300.0, 1.0e6, 0.3, 400.0, 4e-5, "plate", 8, 0.3, 0.3, -15.0,
                             contact_noise_fraction=0.9, contact_noise_decay_s=0.004),
}

# What an impact lands on when the surface is not known: a concrete-like hard floor.
GENERIC_FLOOR = MATERIALS["stone"]

# Spellings a user or a VLM may write, mapped to a preset. Used by render_foley (with a note).
MATERIAL_ALIASES = {
    "metal": "steel", "iron": "steel", "stainless steel": "steel",
    "aluminum": "aluminium", "tin": "aluminium",
    "porcelain": "ceramic", "clay": "ceramic", "pottery": "ceramic",
    "concrete": "stone", "rock": "stone", "marble": "stone", "granite": "stone", "brick": "stone",
    "timber": "wood", "wooden": "wood",
    "polycarbonate": "plastic", "pvc": "plastic",
    "paper": "cardboard", "paperboard": "cardboard",
    "cloth": "fabric", "textile": "fabric", "leather": "fabric", "foam": "fabric",
}


def get_material(name: str) -> MaterialPreset:
    """The preset for one of MATERIAL_NAMES; BadInputError for anything else."""
    preset = MATERIALS.get(name) if isinstance(name, str) else None
    if preset is None:
        raise BadInputError(f"unknown material {name!r}; use one of {', '.join(MATERIAL_NAMES)}")
    return preset


def resolve_material(name: str) -> tuple[str, str | None]:
    """Map a free-form material name to a preset name. Returns (preset name, note or None).

    Exact names pass unchanged; known aliases ("aluminum", "metal", "cloth", ...) map with a note;
    anything else raises BadInputError.
    """
    if not isinstance(name, str):
        raise BadInputError(f"material must be a string, got {name!r}")
    key = name.strip().lower()
    if key in MATERIALS:
        return key, None if key == name else f"material {name!r} read as {key!r}"
    if key in MATERIAL_ALIASES:
        target = MATERIAL_ALIASES[key]
        return target, f"material {name!r} has no preset of its own; synthesized as {target!r}"
    raise BadInputError(f"unknown material {name!r}; use one of {', '.join(MATERIAL_NAMES)}")


def size_from_mass_m(mass_kg: float, material: MaterialPreset) -> float:
    """Characteristic size L (m) of an object of this mass: L = (m / (ρ · fill))^(1/3)."""
    return (mass_kg / (material.density_kg_m3 * material.fill_fraction)) ** (1.0 / 3.0)
