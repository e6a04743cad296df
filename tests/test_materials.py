import ast
import math
import re
from pathlib import Path

import pytest

from pavas_core.errors import BadInputError
from pavas_core.materials import (
    MATERIAL_ALIASES,
    MATERIAL_NAMES,
    MATERIALS,
    MODE_SHAPES,
    REFERENCES,
    SOURCED_FIELDS,
    get_material,
    mass_from_size_kg,
    material_named,
    resolve_material,
    size_from_mass_m,
)
from pavas_core.physics.edit import edit_physics
from pavas_core.physics.priors import mass_prior
from pavas_core.physics.tracks import Geometry, ObjectTrack, PhysicsTracks

KLEINPAT_TABLE_4 = {  # ρ, E, ν, α, β as published (Wang & James 2019)
    "steel": (7850, 2.0e11, 0.29, 5, 3e-8),
    "glass": (2600, 6.2e10, 0.20, 1, 1e-7),
    "ceramic": (2700, 7.2e10, 0.19, 6, 1e-7),
    "wood": (750, 1.1e10, 0.25, 60, 2e-6),
    "plastic": (1070, 1.4e9, 0.35, 30, 1e-6),
}

# Bulk densities of everyday objects' materials, kg/m³ (handbook ranges, wide on purpose).
PHYSICAL_DENSITY_KG_M3 = {
    "steel": (7700, 8100), "aluminium": (2600, 2800), "glass": (2200, 2800), "ceramic": (1900, 2800),
    "stone": (2200, 3000), "wood": (350, 1000), "plastic": (850, 1500), "rubber": (900, 1300),
    "cardboard": (500, 900), "fabric": (100, 1550),
}


def test_every_material_name_has_an_entry():
    assert MATERIAL_NAMES == ("steel", "aluminium", "glass", "ceramic", "stone", "wood", "plastic", "rubber",
                              "cardboard", "fabric")
    assert set(MATERIALS) == set(MATERIAL_NAMES)
    assert all(MATERIALS[n].name == n and MATERIALS[n].mode_shape in MODE_SHAPES for n in MATERIAL_NAMES)


@pytest.mark.parametrize("name", MATERIAL_NAMES)
def test_every_value_has_a_source_from_the_reference_list(name):
    sources = MATERIALS[name].sources
    assert set(sources) == set(SOURCED_FIELDS)
    for field_name, text in sources.items():
        keys = re.findall(r"\[([^\]]+)\]", text)
        assert text.startswith("[") and keys, f"{name}.{field_name}: source {text!r} names no reference"
        assert all(k in REFERENCES for k in keys), f"{name}.{field_name}: unknown reference in {text!r}"


@pytest.mark.parametrize("name", sorted(KLEINPAT_TABLE_4))
def test_kleinpat_modal_constants_are_the_published_ones(name):
    m = get_material(name)
    rho, *modal = KLEINPAT_TABLE_4[name]
    assert (m.youngs_modulus_pa, m.poisson_ratio, m.rayleigh_alpha, m.rayleigh_beta) == tuple(modal)
    if m.density_kg_m3 == rho:
        assert m.sources["density_kg_m3"].startswith("[KleinPAT]")
    else:  # a density chosen for everyday objects says what KleinPAT has and why it differs
        assert f"KleinPAT lists {rho}" in m.sources["density_kg_m3"] or f"KleinPAT's {rho}" in m.sources["density_kg_m3"]


@pytest.mark.parametrize("name", MATERIAL_NAMES)
def test_densities_and_fill_fractions_are_physical(name):
    m = get_material(name)
    low, high = PHYSICAL_DENSITY_KG_M3[name]
    assert low <= m.density_kg_m3 <= high
    assert 0.0 < m.fill_fraction <= 1.0
    assert m.youngs_modulus_pa > 0 and 0.0 < m.poisson_ratio < 0.5
    assert m.rayleigh_alpha >= 0 and m.rayleigh_beta >= 0 and m.num_modes > 0 and 0 < m.thickness_ratio < 1


def test_soft_materials_are_heavily_damped_and_noisy():
    for name in ("rubber", "cardboard", "fabric"):
        m = get_material(name)
        assert m.damping_ratio(2 * math.pi * 1000) > 0.05
        assert m.contact_noise_fraction > 0
    assert all(get_material(n).contact_noise_fraction == 0 for n in ("steel", "glass", "wood"))


def test_aliases_resolve_with_a_note_and_unknown_names_raise():
    assert resolve_material("steel") == ("steel", None)
    name, note = resolve_material("Aluminum")
    assert name == "aluminium" and "aluminium" in note
    assert resolve_material(" Wood ")[0] == "wood"
    with pytest.raises(BadInputError, match="unknown material"):
        resolve_material("unobtainium")
    with pytest.raises(BadInputError, match="unknown material"):
        get_material("aluminum")  # the strict lookup takes the names only
    assert material_named("unobtainium") is None and material_named(None) is None


def test_every_alias_names_a_material_and_no_name_is_an_alias():
    assert set(MATERIAL_ALIASES.values()) <= set(MATERIAL_NAMES)
    assert not set(MATERIAL_ALIASES) & set(MATERIAL_NAMES)
    assert all(k == k.strip().lower() for k in MATERIAL_ALIASES)


def _tracks() -> PhysicsTracks:
    obj = ObjectTrack(id=0, name="thing", action="falling", mass_kg=0.5, mass_source="prior",
                      speed_mps=[0.0, 1.0], centroid_m=[[0, 0, 3], [0, 0.1, 3]],
                      material="rubber", material_source="prior")
    return PhysicsTracks(fps=30.0, num_frames=2, width=64, height=48, objects=[obj],
                         geometry=Geometry("pinhole", "gravity")).validate()


SINGLE_WORD_ALIASES = sorted(a for a in MATERIAL_ALIASES if " " not in a)


@pytest.mark.parametrize("alias", SINGLE_WORD_ALIASES)
def test_an_alias_means_the_same_material_to_the_prior_the_synthesizer_and_edit(alias):
    target = MATERIAL_ALIASES[alias]
    assert resolve_material(alias)[0] == target  # the synthesizer's reading
    edited = edit_physics(_tracks(), material=alias).objects[0]  # Edit Physics
    assert edited.material == target and edited.extra["edits"][-1]["material"]["as_written"] == alias
    assert mass_prior(f"{alias} gizmo").material == target  # the mass prior, reading an object name


def test_tin_is_steel_everywhere():
    assert material_named("tin") == "steel" and resolve_material("Tin")[0] == "steel"
    assert edit_physics(_tracks(), material="tin").objects[0].material == "steel"
    tin_box = mass_prior("tin gizmo", size_m=0.1)
    assert tin_box.material == "steel"
    assert tin_box.mass_kg == pytest.approx(mass_from_size_kg(0.1, get_material("steel")))


def test_size_from_mass_inverts_mass_from_size():
    for name in MATERIAL_NAMES:
        m = get_material(name)
        assert size_from_mass_m(mass_from_size_kg(0.2, m), m) == pytest.approx(0.2)
    wood = get_material("wood")
    assert wood.density_kg_m3 * wood.fill_fraction * size_from_mass_m(2.0, wood) ** 3 == pytest.approx(2.0)


def test_the_prior_and_the_synthesizer_agree_on_size_and_mass():
    """A mass the prior estimates from a material and a size gives that size back in the synthesizer."""
    prior = mass_prior("aluminium gizmo", size_m=0.3)
    assert prior.source == "material_size"
    assert size_from_mass_m(prior.mass_kg, get_material(prior.material)) == pytest.approx(0.3)


MATERIAL_FACTS = {"MATERIALS", "MATERIAL_NAMES", "MATERIAL_ALIASES", "MODE_SHAPES", "Material",
                  "get_material", "resolve_material", "material_named", "size_from_mass_m", "mass_from_size_kg",
                  "materials"}


@pytest.mark.parametrize("package, other", [("physics", "synth"), ("synth", "physics")])
def test_physics_and_synth_take_material_facts_only_from_the_materials_module(package, other):
    root = Path(__file__).resolve().parent.parent / "pavas_core" / package
    for path in sorted(root.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 2 and (node.module or "").startswith(other):
                names = {a.name for a in node.names} | set((node.module or "").split("."))
                assert not names & MATERIAL_FACTS, f"{path.name} imports material facts from {node.module}"
