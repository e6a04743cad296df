"""Reading a VLM's answer: strict about the schema, explicit about every field it drops."""

from __future__ import annotations

import json

import pytest

from pavas_core.perception.vlm_answer import (
    MAX_MASS_KG,
    VlmAnswerError,
    build_prompt,
    parse_answer,
)

GOOD = {"objects": [{"name": "basketball", "action": "bouncing", "moving": True, "mass_kg": 0.6, "material": "rubber"},
                    {"name": "table", "action": "standing", "moving": False, "mass_kg": 20, "material": "wood"}]}


def test_a_valid_answer_is_read_field_by_field():
    answer = parse_answer(json.dumps(GOOD))
    ball, table = answer.objects
    assert (ball.name, ball.action, ball.moving, ball.mass_kg, ball.material) == \
        ("basketball", "bouncing", True, 0.6, "rubber")
    assert table.moving is False and table.mass_kg == 20.0
    assert [o.name for o in answer.moving] == ["basketball"]
    assert not ball.notes and not table.notes


@pytest.mark.parametrize("wrap", [
    "```json\n{}\n```", "Here is the JSON you asked for:\n{}\nHope it helps.", "  {}  ",
])
def test_json_in_a_fence_or_after_a_sentence_is_found(wrap):
    answer = parse_answer(wrap.replace("{}", json.dumps(GOOD)))
    assert [o.name for o in answer.objects] == ["basketball", "table"]


@pytest.mark.parametrize("text, reason", [
    ("A basketball bounces on the floor; it weighs about 600 grams.", "prose"),
    ('{"objects": [{"name": "ball", "mass_kg": 0.6,}', "broken"),
    ('{"things": []}', '"objects" list'),
    ('[{"name": "ball"}]', '"objects" list'),
    ('{"objects": [{"action": "falling", "mass_kg": 1}]}', "no name"),
    ('{"objects": [{"name": "ball", "moving": "yes"}]}', "true or false"),
    ('{"objects": ["ball"]}', "not an object"),
    ("", "empty"),
])
def test_answers_that_are_not_the_schema_are_refused_with_the_reason(text, reason):
    with pytest.raises(VlmAnswerError, match=reason):
        parse_answer(text)


@pytest.mark.parametrize("mass, why", [(-3, "impossible"), (0, "impossible"), (1e9, "impossible"),
                                       ("heavy", "not a number"), (True, "not a number"), (None, "no mass_kg")])
def test_an_impossible_or_missing_mass_is_dropped_with_a_note_and_the_object_kept(mass, why):
    raw = {"objects": [{"name": "stone", "moving": True, "mass_kg": mass, "material": "stone"}]}
    (stone,) = parse_answer(json.dumps(raw)).objects
    assert stone.mass_kg is None and stone.material == "stone"
    assert len(stone.notes) == 1 and why in stone.notes[0] and "prior" in stone.notes[0]


def test_the_largest_possible_mass_is_kept_and_nan_is_not():
    ok = parse_answer(json.dumps({"objects": [{"name": "truck", "mass_kg": MAX_MASS_KG}]})).objects[0]
    assert ok.mass_kg == MAX_MASS_KG
    nan = parse_answer('{"objects": [{"name": "truck", "mass_kg": NaN}]}').objects[0]
    assert nan.mass_kg is None and "impossible" in nan.notes[0]


def test_material_spellings_map_to_the_material_table_and_unknown_ones_are_dropped():
    raw = {"objects": [{"name": "can", "mass_kg": 0.02, "material": "Aluminum"},
                       {"name": "blob", "mass_kg": 0.1, "material": "unobtainium"}]}
    can, blob = parse_answer(json.dumps(raw)).objects
    assert can.material == "aluminium" and not can.notes
    assert blob.material is None and "unobtainium" in blob.notes[0]


def test_no_objects_is_a_valid_answer_and_too_many_is_not():
    assert parse_answer('{"objects": []}').objects == []
    many = {"objects": [{"name": f"o{i}", "mass_kg": 1} for i in range(5)]}
    with pytest.raises(VlmAnswerError, match="more than 4"):
        parse_answer(json.dumps(many), max_objects=4)


def test_the_prompt_asks_for_the_schema_and_separates_camera_motion():
    text = build_prompt(num_frames=8, duration_s=2.5, object_names=["basketball", "wooden block"], max_objects=3)
    assert "8 frames" in text and "2.5 seconds" in text and "at most 3" in text
    assert "camera" in text and '"mass_kg"' in text and "basketball, wooden block" in text
    # the example in the prompt is itself a valid answer
    example = text[text.index('{"objects": [{'):text.index("]}") + 2]
    assert parse_answer(example).objects[0].name == "basketball"
    assert build_prompt(num_frames=None, duration_s=None).startswith("These are frames of one video")
