"""`--object NAME`: names go to objects in order of first appearance, one each; a track seen again
keeps its name; leftovers on either side are said in a note; unnamed objects say their mass is generic."""

from __future__ import annotations

import numpy as np
import pytest

from pavas_core.physics.estimate import estimate_physics
from pavas_core.physics.naming import assign_names
from pavas_core.physics.options import EstimateOptions
from pavas_core.video import clip_from_frames


def test_one_name_per_object_in_order_of_appearance():
    naming = assign_names(["ball", "block"], [0.1, 0.5, 1.2])
    assert naming.names == ["ball", "block", "object"]
    assert naming.sources == ["user", "user", "generic"]
    (note,) = naming.warnings
    assert "'ball' → object 0 (first seen 0.10 s)" in note and "'block' → object 1 (first seen 0.50 s)" in note
    assert "object 2 (first seen 1.20 s) stayed generic" in note


def test_a_single_name_names_only_the_first_object_and_says_so():
    naming = assign_names(["basketball"], [0.0, 0.4])
    assert naming.names == ["basketball", "object"]
    assert any("object 1 (first seen 0.40 s) stayed generic" in w for w in naming.warnings)


def test_more_names_than_objects_is_a_note():
    naming = assign_names(["a", "b", "c"], [0.0])
    assert naming.names == ["a"]
    assert naming.warnings == ["3 object name(s) given but only 1 moving object(s) found to name: 'b', 'c' named nothing"]


def test_an_object_seen_again_keeps_its_name_and_uses_no_name():
    naming = assign_names(["red box", "blue box"], [0.0, 0.7, 1.7], same_as=[None, None, 0])
    assert naming.names == ["red box", "blue box", "red box"]
    assert naming.sources == ["user", "user", "user"]
    assert naming.warnings == ["object 2 (first seen 1.70 s) is object 0 seen again (same colour and size, after it "
                               "was gone): it keeps the name 'red box'"]


def test_no_names_no_naming_notes():
    naming = assign_names([], [0.0, 1.0])
    assert naming.names == ["object", "object"] and naming.warnings == []


# --- end to end: a red box leaves the picture and comes back; a blue box shows in between ------------
FPS = 30.0


def _leaving_and_returning_clip():
    n, h, w = 84, 120, 200
    frames = np.full((n, h, w, 3), 90, np.uint8)
    rng = np.random.default_rng(0)
    frames = np.clip(frames.astype(np.int16) + rng.integers(-2, 3, frames.shape), 0, 255).astype(np.uint8)
    for k in range(n):
        if k < 16:  # red box goes out on the right
            x = 60 + 10 * k
            frames[k, 30:50, x:x + 20] = (220, 40, 40)
        if 20 <= k < 46:  # blue box crosses lower down, left to right
            x = 10 + 6 * (k - 20)
            frames[k, 80:104, x:x + 24] = (40, 60, 220)
        if k >= 56:  # red box back from the right, moving left (too long gone for the tracker to join)
            x = 190 - 5 * (k - 56)
            frames[k, 30:50, x:x + 20] = (220, 40, 40)
    return clip_from_frames(frames, FPS)


@pytest.fixture(scope="module")
def returning_box():
    return _leaving_and_returning_clip()


def test_a_track_that_reappears_keeps_its_name(returning_box):
    tracks = estimate_physics(returning_box, options=EstimateOptions(object_names=["red box", "blue box"]))
    assert [o.name for o in tracks.objects] == ["red box", "blue box", "red box"]
    assert [o.name_source for o in tracks.objects] == ["user"] * 3
    assert tracks.objects[2].extra["same_object_as"] == 0
    assert any("object 2" in w and "seen again" in w and "'red box'" in w for w in tracks.warnings)


def test_unnamed_objects_say_their_mass_is_a_generic_prior(returning_box):
    tracks = estimate_physics(returning_box)
    assert all(o.name_source == "generic" for o in tracks.objects)
    for o in tracks.objects:
        assert o.extra["prior"]["source"] == "generic" and o.mass_confidence <= 0.1
        assert any(w.startswith(f"object {o.id}: no object names given: generic") and "--object NAME" in w
                   for w in tracks.warnings)


def test_the_max_objects_cap_says_what_is_left_out(returning_box):
    tracks = estimate_physics(returning_box, options=EstimateOptions(max_objects=1))
    assert len(tracks.objects) == 1
    assert any("kept the 1 that moved most (--max-objects 1)" in w and "make no sound" in w for w in tracks.warnings)


def test_the_max_objects_cut_keeps_what_moved_most_not_what_lingered_longest():
    # a flickering resting place (80 frames, ±2 px of centroid jitter) against a ball that crossed
    # 120 px of the picture in 20 frames: the ball is the object worth keeping
    from pavas_core.physics.segmentation import Detection
    from pavas_core.physics.stages.motion import _moved_most
    from pavas_core.physics.tracking import Track, TrackPoint

    def det(k, u, v):
        return Detection(k, u, v, 30.0, 6.0, (u - 3, v - 3, u + 3, v + 3), False, (100.0, 100.0, 100.0))

    rng = np.random.default_rng(0)
    linger = Track(0, [TrackPoint(k, det(k, 50 + rng.uniform(-2, 2), 60 + rng.uniform(-2, 2))) for k in range(80)])
    flight = Track(1, [TrackPoint(k, det(k, 10 + 6.0 * k, 40.0)) for k in range(20)])
    ranked = sorted([linger, flight], key=_moved_most, reverse=True)
    assert [t.id for t in ranked] == [1, 0]


def test_the_max_objects_cut_puts_a_chain_of_specks_after_an_object_seen_throughout():
    # a chain of specks picked up in one frame out of four (a moving camera's misregistered tile
    # joints, linked across gaps) "travels" 240 px; a ball seen in every frame flies 120 px: the
    # ball is kept first. (Rank by distance alone and the chain wins.)
    from pavas_core.physics.segmentation import Detection
    from pavas_core.physics.stages.motion import _moved_most
    from pavas_core.physics.tracking import Track, TrackPoint, path_extent_px

    def det(k, u, v):
        return Detection(k, u, v, 30.0, 6.0, (u - 3, v - 3, u + 3, v + 3), False, (100.0, 100.0, 100.0))

    specks = Track(0, [TrackPoint(k, det(k, 20 + 3.0 * k, 170.0 + 10 * (k % 2))) for k in range(0, 80, 4)])
    ball = Track(1, [TrackPoint(k, det(k, 10 + 6.0 * k, 40.0 + 0.2 * k * k)) for k in range(20)])
    assert path_extent_px(specks) > path_extent_px(ball)
    ranked = sorted([specks, ball], key=_moved_most, reverse=True)
    assert [t.id for t in ranked] == [1, 0]
