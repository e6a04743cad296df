import pytest

from pavas_core.errors import BadInputError
from pavas_core.physics.edit import edit_physics
from pavas_core.physics.tracks import Geometry, Impact, ObjectTrack, PhysicsTracks


def make_tracks() -> PhysicsTracks:
    objs = [
        ObjectTrack(id=i, name=n, action="bouncing", mass_kg=m, mass_source="prior",
                    speed_mps=[1.0, 2.0, None], centroid_m=[[0, 0, 3], [0, 0.1, 3], None],
                    impacts=[Impact(frame=1, time_s=0.04, v_before=4.0, v_after=3.0, delta_ke_j=0.5 * m * 7.0)],
                    material="rubber", material_source="prior")
        for i, (n, m) in enumerate([("ball", 0.5), ("block", 1.0)])
    ]
    return PhysicsTracks(fps=25.0, num_frames=3, width=64, height=48, objects=objs,
                         geometry=Geometry("pinhole", "gravity")).validate()


def test_heavier_object_has_proportionally_more_impact_energy_and_says_so():
    t = make_tracks()
    out = edit_physics(t, object_id=0, mass_scale=3.0)
    ball = out.objects[0]
    assert ball.mass_kg == 1.5 and ball.mass_source == "user"
    assert ball.impacts[0].delta_ke_j == pytest.approx(0.5 * 1.5 * (16 - 9))
    assert out.objects[1].mass_kg == 1.0 and out.objects[1].mass_source == "prior"  # untouched
    assert t.objects[0].mass_kg == 0.5  # the input is not modified


def test_faster_motion_scales_speeds_and_energy_quadratically():
    out = edit_physics(make_tracks(), speed_scale=2.0)
    for before, after in zip(make_tracks().objects, out.objects):
        assert after.speed_mps == [2.0, 4.0, None]
        assert after.impacts[0].v_before == 8.0 and after.impacts[0].v_after == 6.0
        assert after.impacts[0].delta_ke_j == pytest.approx(4 * before.impacts[0].delta_ke_j)
        assert after.mass_source == "prior"


def test_absolute_mass_and_material_overrides():
    out = edit_physics(make_tracks(), object_id=1, mass_kg=0.25, mass_scale=10.0, material="glass")
    block = out.objects[1]
    assert block.mass_kg == 0.25 and block.material == "glass" and block.material_source == "user"
    assert block.extra["edits"][0]["mass_kg"] == {"from": 1.0, "to": 0.25}


@pytest.mark.parametrize("kwargs", [{"object_id": 7}, {"mass_scale": 0.0}, {"speed_scale": -1.0},
                                    {"mass_kg": float("nan")}, {"material": "unobtainium"}])
def test_bad_edits_are_refused(kwargs):
    with pytest.raises(BadInputError):
        edit_physics(make_tracks(), **kwargs)
