import math

import numpy as np
import pytest

from pavas_core.errors import BadInputError
from pavas_core.physics.tracks import Geometry, Impact, ObjectTrack, PhysicsTracks, delta_ke_j
from pavas_core.synth import ImpactEvent, get_material, render_foley, render_impacts, size_from_mass_m

FPS, FRAMES = 30.0, 60  # a 2 s clip


def _object(obj_id, *, mass_kg, impacts, material="wood", size_m=0.1, name="block"):
    return ObjectTrack(
        id=obj_id, name=name, action="falling", mass_kg=mass_kg, mass_source="prior",
        speed_mps=[0.0] * FRAMES, centroid_m=[[0.0, 0.0, 2.0]] * FRAMES,
        impacts=[Impact(frame=int(t * FPS), time_s=t, v_before=vb, v_after=va,
                        delta_ke_j=delta_ke_j(mass_kg, vb, va)) for t, vb, va in impacts],
        material=material, size_m=size_m,
    )


def _tracks(*objects):
    return PhysicsTracks(fps=FPS, num_frames=FRAMES, width=64, height=48, objects=list(objects),
                         geometry=Geometry(backend="pinhole", metric_scale_source="gravity"))


def test_foley_equals_the_impact_render_of_the_tracks_when_quiet():
    tracks = _tracks(_object(0, mass_kg=0.2, impacts=[(0.3, 2.0, 1.0), (1.1, 1.0, 0.5)]))
    result = render_foley(tracks, sample_rate_hz=16000, seed=3)
    events = [ImpactEvent(0.3, 0.2, 2.0, 1.0, "wood", 0.1), ImpactEvent(1.1, 0.2, 1.0, 0.5, "wood", 0.1)]
    expected = render_impacts(events, duration_s=2.0, sample_rate_hz=16000, seed=3)
    assert result.gain_db == 0.0 and result.sample_rate_hz == 16000
    assert result.waveform.shape == (1, 32000) and result.waveform.dtype == np.float32
    assert np.array_equal(result.waveform, expected)
    assert len(result.events) == 2


def test_one_global_gain_keeps_the_peak_at_minus_one_dbfs_and_keeps_relative_levels():
    loud = _object(0, mass_kg=30.0, impacts=[(0.5, 5.0, 1.0)], material="steel", size_m=0.3)
    quiet = _object(1, mass_kg=0.05, impacts=[(1.2, 1.0, 0.5)], material="steel", size_m=0.3)
    tracks = _tracks(loud, quiet)
    result = render_foley(tracks)
    raw = render_impacts(result.events, duration_s=2.0)
    assert result.gain_db < -10.0
    assert 20 * math.log10(np.max(np.abs(result.waveform))) == pytest.approx(-1.0, abs=1e-3)
    assert np.allclose(result.waveform, raw * 10 ** (result.gain_db / 20), atol=1e-6)  # the same gain everywhere
    assert any("global gain" in n for n in result.notes)


def test_missing_material_and_size_use_documented_defaults_with_notes():
    obj = _object(0, mass_kg=0.4, impacts=[(0.5, 3.0, 1.0)], material=None, size_m=None, name="thing")
    result = render_foley(_tracks(obj), default_material="rubber")
    event = result.events[0]
    assert event.material == "rubber"
    assert event.size_m == pytest.approx(size_from_mass_m(0.4, get_material("rubber")))
    assert any("no material given" in n for n in result.notes)
    assert any("no size given" in n for n in result.notes)


def test_alias_material_and_recorded_surface_are_used_with_notes():
    obj = _object(0, mass_kg=0.4, impacts=[(0.5, 3.0, 1.0)], material="Aluminum")
    obj.impacts[0].extra["surface_material"] = "wood"
    result = render_foley(_tracks(obj))
    assert result.events[0].material == "aluminium" and result.events[0].surface_material == "wood"
    assert any("'Aluminum'" in n for n in result.notes)


def test_stored_delta_ke_that_disagrees_with_mass_and_speeds_is_noted():
    obj = _object(0, mass_kg=0.4, impacts=[(0.5, 3.0, 1.0)])
    obj.impacts[0].delta_ke_j = 99.0
    result = render_foley(_tracks(obj))
    assert any("delta_ke_j=99" in n for n in result.notes)


def test_duration_defaults_to_the_clip_and_can_be_given():
    tracks = _tracks(_object(0, mass_kg=0.2, impacts=[(0.3, 2.0, 1.0)]))
    assert render_foley(tracks, sample_rate_hz=48000).waveform.shape == (1, 96000)
    longer = render_foley(tracks, sample_rate_hz=48000, duration_s=3.0)
    assert longer.waveform.shape == (1, 144000)


def test_no_impacts_give_silence():
    result = render_foley(_tracks(_object(0, mass_kg=0.2, impacts=[])))
    assert result.events == [] and not np.any(result.waveform) and result.gain_db == 0.0


def test_bad_inputs_raise_bad_input_error():
    with pytest.raises(BadInputError, match="PhysicsTracks"):
        render_foley({"objects": []})
    tracks = _tracks(_object(0, mass_kg=0.2, impacts=[(0.3, 2.0, 1.0)], material="unobtainium"))
    with pytest.raises(BadInputError, match="unknown material"):
        render_foley(tracks)
    bad_mass = _tracks(_object(0, mass_kg=float("nan"), impacts=[(0.3, 2.0, 1.0)]))
    with pytest.raises(BadInputError, match="mass_kg"):
        render_foley(bad_mass)


def test_impacts_that_are_not_sonified_make_no_sound():
    """An impact kept silent (`sonified: false`) is not rendered: the sound is that of the others alone."""
    obj = _object(0, mass_kg=0.2, impacts=[(0.3, 2.0, 1.0), (1.1, 1.0, 0.5)])
    obj.impacts[0].sonified, obj.impacts[0].reason = False, "no free fall before contact"
    result = render_foley(_tracks(obj), sample_rate_hz=16000, seed=3)
    expected = render_impacts([ImpactEvent(1.1, 0.2, 1.0, 0.5, "wood", 0.1)], duration_s=2.0, sample_rate_hz=16000,
                              seed=3)
    assert len(result.events) == 1 and np.array_equal(result.waveform, expected)
    obj.impacts[1].sonified, obj.impacts[1].reason = False, "no speed loss (v_after >= v_before)"
    silent = render_foley(_tracks(obj), sample_rate_hz=16000, seed=3)
    assert silent.events == [] and not np.any(silent.waveform)
