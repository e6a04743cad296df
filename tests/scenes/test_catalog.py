from pathlib import Path

import pytest

from pavas_core.materials import MATERIAL_NAMES
from pavas_core.scenes import catalog
from pavas_core.scenes.catalog import CATALOG, solid_mass_kg

SOLID = {"steel ball", "glass ball", "wooden ball", "stone", "wooden block"}
# denser than their generic material, for a reason written in the catalog
DENSER_THAN_GENERIC = {"billiard ball": "phenolic resin", "bowling ball": "weight-block core"}


def test_every_kind_is_made_of_a_known_material_and_shape():
    assert len({k.name for k in CATALOG}) == len(CATALOG)
    for kind in CATALOG:
        assert kind.material in MATERIAL_NAMES and kind.shape in ("sphere", "box"), kind.name


@pytest.mark.parametrize("kind", [k for k in CATALOG if k.name in SOLID], ids=lambda k: k.name)
def test_solid_objects_weigh_their_material_density_times_their_volume(kind):
    assert kind.mass_kg == pytest.approx(solid_mass_kg(kind.material, kind.shape, kind.size_m), rel=1e-12)


def test_a_steel_ball_weighs_what_steel_of_its_size_weighs():
    steel_ball = next(k for k in CATALOG if k.name == "steel ball")
    assert steel_ball.mass_kg == pytest.approx(7850 * 3.14159265 / 6 * 0.06**3, rel=1e-6)


@pytest.mark.parametrize("kind", [k for k in CATALOG if k.name not in SOLID], ids=lambda k: k.name)
def test_other_objects_are_lighter_than_solid_unless_the_catalog_says_why(kind):
    ratio = kind.mass_kg / solid_mass_kg(kind.material, kind.shape, kind.size_m)
    if kind.name in DENSER_THAN_GENERIC:
        assert 1.0 < ratio < 2.0
        assert DENSER_THAN_GENERIC[kind.name] in Path(catalog.__file__).read_text(encoding="utf-8")
    else:
        assert ratio < 1.0  # hollow, stuffed, or a real shape smaller than the rendered box
