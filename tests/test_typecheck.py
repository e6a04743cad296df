"""Data read from outside is checked against the annotations of the bundle it becomes."""

import copy
import json

import pytest

from pavas_core.errors import BadInputError
from pavas_core.physics.tracks import PhysicsTracks

GOOD = {"schema": 1, "fps": 30.0, "num_frames": 3, "width": 64, "height": 48,
        "objects": [{"id": 0, "name": "ball", "action": "x", "mass_kg": 0.5, "mass_source": "prior",
                     "speed_mps": [0.0, 1.0, None], "centroid_m": [[0, 0, 1], None, [0, 0, 1]],
                     "impacts": [{"frame": 1, "time_s": 0.03, "v_before": 2, "v_after": 1, "delta_ke_j": 0.75}]}],
        "geometry": {"backend": "pinhole", "metric_scale_source": "gravity"}}


def _with(path, value):
    doc = copy.deepcopy(GOOD)
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


@pytest.mark.parametrize("path, value, fragment", [
    (("objects", 0, "mass_kg"), "heavy", "objects[0].mass_kg must be a number"),
    (("objects", 0, "speed_mps"), "fast", "objects[0].speed_mps must be a list"),
    (("objects", 0, "centroid_m"), [[0, "a", 1], None, None], "objects[0].centroid_m[0][1] must be a number"),
    (("objects", 0, "impacts", 0, "time_s"), [1], "impacts[0].time_s must be a number"),
    (("objects", 0, "name"), 5, "objects[0].name must be text"),
    (("objects", 0, "id"), True, "objects[0].id must be a whole number"),
    (("objects", 0, "extra"), 7, "objects[0].extra must be an object"),
    (("objects",), {"a": 1}, "objects must be a list"),
    (("objects", 0, "impacts"), "none", "impacts must be a list"),
    (("geometry",), [1], "geometry must be an object"),
    (("fps",), "30", "fps must be a number"),
])
def test_wrong_json_types_are_named_by_their_field(path, value, fragment):
    with pytest.raises(BadInputError, match=fragment.replace("[", r"\[").replace("]", r"\]")) as excinfo:
        PhysicsTracks.from_dict(_with(path, value))
    assert "\n" not in str(excinfo.value)


def test_non_utf8_deeply_nested_and_oversized_files_are_user_errors(tmp_path):
    (tmp_path / "bytes.json").write_bytes(b'{"schema": 1, "name": "\xff"}')
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "folder.json").mkdir()
    with open(tmp_path / "huge.json", "wb") as handle:
        handle.truncate(80 * 1024**2)  # sparse
    for name, fragment in (("bytes.json", "not UTF-8"), ("deep.json", "nested too deeply"),
                           ("folder.json", "is a directory"), ("huge.json", "larger than")):
        with pytest.raises(BadInputError, match=fragment):
            PhysicsTracks.load(tmp_path / name)


def test_a_valid_document_round_trips():
    tracks = PhysicsTracks.from_dict(GOOD)
    assert json.loads(tracks.to_json())["objects"][0]["speed_mps"] == [0.0, 1.0, None]
