"""pavas_core.physics.timeline: the data and picture of the physics timeline."""

from __future__ import annotations

import json

import numpy as np

from pavas_core.physics.timeline import edit_summary, impact_marker_radius_px, render_timeline_image, timeline_data
from pavas_core.physics.tracks import Geometry, Impact, ObjectTrack, PhysicsTracks, delta_ke_j


def tracks(num_frames=90, mass_kg=0.5):
    speeds = [None if 40 <= i < 45 else 2.0 + 0.01 * i for i in range(num_frames)]
    impacts = [Impact(frame=30, time_s=1.0, v_before=4.0, v_after=2.0, delta_ke_j=delta_ke_j(mass_kg, 4.0, 2.0)),
               Impact(frame=60, time_s=2.0, v_before=2.0, v_after=1.9, delta_ke_j=delta_ke_j(mass_kg, 2.0, 1.9))]
    obj = ObjectTrack(id=3, name="ball", action="bouncing", mass_kg=mass_kg, mass_source="prior", speed_mps=speeds,
                      centroid_m=[[0, 0, 1]] * num_frames, impacts=impacts)
    return PhysicsTracks(fps=30.0, num_frames=num_frames, width=64, height=48, objects=[obj],
                         geometry=Geometry(backend="pinhole", metric_scale_source="gravity"))


def test_timeline_data_is_plain_json_with_gaps_and_impacts():
    data = timeline_data(tracks())
    json.dumps(data, allow_nan=False)
    (obj,) = data["objects"]
    assert obj["id"] == 3 and obj["mass_kg"] == 0.5 and len(obj["time_s"]) == 90
    assert obj["speed_mps"][42] is None and obj["speed_mps"][0] == 2.0
    assert [i["time_s"] for i in obj["impacts"]] == [1.0, 2.0]
    assert data["max_delta_ke_j"] == obj["impacts"][0]["delta_ke_j"] and data["duration_s"] == 3.0
    for imp in obj["impacts"]:  # the frontend draws these radii as they are
        assert imp["marker_radius_px"] == round(impact_marker_radius_px(imp["delta_ke_j"], data["max_delta_ke_j"]), 2)
    assert obj["impacts"][0]["marker_radius_px"] == 12.0


def test_long_tracks_are_decimated_for_the_browser():
    data = timeline_data(tracks(num_frames=5000), max_points=300)
    assert len(data["objects"][0]["time_s"]) <= 300 and data["objects"][0]["time_s"][-1] == round(4999 / 30, 4)


def test_marker_size_grows_with_energy_lost():
    assert impact_marker_radius_px(1.0, 1.0) > impact_marker_radius_px(0.01, 1.0) > impact_marker_radius_px(1e-9, 1.0)
    assert impact_marker_radius_px(0.0, 1.0) == 3.0


def test_picture_shows_the_speed_curve_in_the_object_colour():
    picture = render_timeline_image(tracks(), width_px=300, height_px=150)
    assert picture.shape == (150, 300, 3) and picture.dtype == np.uint8
    blue = (picture[..., 2] > 200) & (picture[..., 0] < 100)
    assert blue.sum() > 100  # the first object's line (66, 165, 245)


def test_edit_summary_pairs_masses_before_and_after():
    rows = edit_summary(tracks(mass_kg=0.5), tracks(mass_kg=2.0))
    assert rows == [{"id": 3, "name": "ball", "mass_before_kg": 0.5, "mass_after_kg": 2.0, "material_before": None,
                     "material_after": None, "impacts": 2}]
