import pytest

from pavas_core.errors import BadInputError
from pavas_core.synth import MATERIAL_NAMES, MATERIALS, get_material, resolve_material, size_from_mass_m

KLEINPAT_TABLE_4 = {  # ρ, E, ν, α, β as published (Wang & James 2019)
    "steel": (7850, 2.0e11, 0.29, 5, 3e-8),
    "glass": (2600, 6.2e10, 0.20, 1, 1e-7),
    "ceramic": (2700, 7.2e10, 0.19, 6, 1e-7),
    "wood": (750, 1.1e10, 0.25, 60, 2e-6),
    "plastic": (1070, 1.4e9, 0.35, 30, 1e-6),
}


def test_every_material_name_has_a_preset():
    assert MATERIAL_NAMES == ("steel", "aluminium", "glass", "ceramic", "stone", "wood", "plastic", "rubber",
                              "cardboard", "fabric")
    assert set(MATERIALS) == set(MATERIAL_NAMES)


@pytest.mark.parametrize("name", sorted(KLEINPAT_TABLE_4))
def test_kleinpat_materials_use_the_published_constants(name):
    m = get_material(name)
    values = (m.density_kg_m3, m.youngs_modulus_pa, m.poisson_ratio, m.rayleigh_alpha, m.rayleigh_beta)
    assert values == KLEINPAT_TABLE_4[name]


def test_soft_materials_are_heavily_damped_and_noisy():
    for name in ("rubber", "cardboard", "fabric"):
        m = get_material(name)
        assert m.damping_ratio(2 * 3.14159 * 1000) > 0.05
        assert m.contact_noise_fraction > 0
    assert all(get_material(n).contact_noise_fraction == 0 for n in ("steel", "glass", "wood"))


def test_aliases_resolve_with_a_note_and_unknown_names_raise():
    assert resolve_material("steel") == ("steel", None)
    name, note = resolve_material("Aluminum")
    assert name == "aluminium" and "aluminium" in note
    with pytest.raises(BadInputError, match="unknown material"):
        resolve_material("unobtainium")
    with pytest.raises(BadInputError, match="unknown material"):
        get_material("aluminum")  # the strict lookup takes preset names only


def test_size_from_mass_inverts_density_times_fill():
    wood = get_material("wood")
    size = size_from_mass_m(2.0, wood)
    assert wood.density_kg_m3 * wood.fill_fraction * size**3 == pytest.approx(2.0)
