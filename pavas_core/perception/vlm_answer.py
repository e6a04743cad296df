"""The question a vision-language model is asked about a clip, and the strict reading of its answer.

Any VLM can answer: the pack's own (vlm.py, transformers) or ComfyUI's TextGenerate node, whose
STRING output is read by the same code. The answer must be JSON of this shape:

    {"objects": [{"name": "basketball", "action": "bouncing", "moving": true,
                  "mass_kg": 0.6, "material": "rubber"}]}

`parse_answer` accepts the JSON bare, in a ```json fence, or as the first {...} in the text
(small models like to say "Here is the JSON:"); everything else about it is checked strictly:
types, a non-empty name, a finite positive mass in a physical range, a material the pack knows
(its spellings are mapped to the material table). A field that fails is dropped with a note (the
object keeps its other fields: its mass then comes from the prior table); an answer that is not
JSON of this shape raises VlmAnswerError, which a caller answers with a retry or a fallback.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

from ..errors import BadInputError
from ..materials import MATERIAL_NAMES, material_named

# Masses a thing in a video can have: a paper clip (1 g) to a loaded truck. Below or above, the
# number is no mass of an object on screen (a unit mix-up, a hallucination): the field is refused.
MIN_MASS_KG = 1e-3
MAX_MASS_KG = 1e5
MAX_NAME_CHARS = 80
MAX_ANSWER_CHARS = 65536  # longer text is not an answer to this question (and is not parsed)


class VlmAnswerError(BadInputError):
    """The answer is not JSON of the expected shape (prose, broken JSON, wrong types)."""


@dataclass
class VlmObject:
    name: str
    action: str | None = None
    moving: bool = True
    mass_kg: float | None = None  # None when the answer had no usable mass for it
    material: str | None = None  # one of MATERIAL_NAMES
    notes: list[str] = field(default_factory=list)  # fields dropped or mapped, for the warnings


@dataclass
class VlmAnswer:
    objects: list[VlmObject]  # in the order the model listed them (moving and static)
    text: str  # the raw answer

    @property
    def moving(self) -> list[VlmObject]:
        return [o for o in self.objects if o.moving]


def build_prompt(*, num_frames: int | None, duration_s: float | None, object_names: Sequence[str] = (),
                 max_objects: int = 4) -> str:
    """The question asked with `num_frames` frames of a clip lasting `duration_s` seconds (either may be
    None when another node picks the frames, e.g. ComfyUI's Generate Text)."""
    hint = ""
    names = [n for n in object_names if n]
    if names:
        hint = (" The user says the moving objects are, in order of appearance: " + ", ".join(names)
                + ". Use these names, in this order.")
    materials = ", ".join(MATERIAL_NAMES)
    seen = "These are frames of one video, in time order. " if num_frames is None or duration_s is None else \
        f"These are {num_frames} frames of one video, in time order, spanning {duration_s:.1f} seconds. "
    return (
        seen +
        "List the physical objects that really move in the scene (thrown, falling, bouncing, rolling, sliding, "
        "struck), at most " + str(max_objects) + ". Do not count motion that only comes from the camera moving, "
        "panning or shaking: an object that only appears to move because the camera moves has \"moving\": false."
        + hint + " For each object give: \"name\" (a short noun phrase, e.g. \"basketball\"), \"action\" (one "
        "verb, e.g. \"bouncing\"), \"moving\" (true or false), \"mass_kg\" (your best estimate of its mass in "
        f"kilograms, a number), \"material\" (one of: {materials}). Answer with JSON only, no other text, "
        "exactly in this form: {\"objects\": [{\"name\": \"basketball\", \"action\": \"bouncing\", "
        "\"moving\": true, \"mass_kg\": 0.6, \"material\": \"rubber\"}]}. "
        "If nothing moves, answer {\"objects\": []}."
    )


def retry_prompt(error: str) -> str:
    """What is said after an answer that could not be read (the model sees its answer above it)."""
    return (f"That answer could not be used: {error}. Answer again with JSON only, no other text, in the form "
            "{\"objects\": [{\"name\": ..., \"action\": ..., \"moving\": true, \"mass_kg\": ..., \"material\": ...}]}.")


_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)


def _json_text(text: str) -> Any:
    """The JSON value in `text`: bare, fenced, or the first {...} object in it."""
    stripped = text.strip()
    candidates = [stripped]
    candidates += [m.group(1).strip() for m in _FENCE.finditer(text)]
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except (ValueError, RecursionError):
            pass
    decoder = json.JSONDecoder()
    for start in (m.start() for m in re.finditer(r"\{", text)):
        try:
            value, _ = decoder.raw_decode(text, start)
        except (ValueError, RecursionError):
            continue
        if isinstance(value, dict):
            return value
    if "{" in text:
        raise VlmAnswerError("the answer's JSON is broken (it does not parse)")
    raise VlmAnswerError("the answer is prose, not JSON")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _read_object(i: int, raw: Any) -> VlmObject | None:
    if not isinstance(raw, dict):
        raise VlmAnswerError(f"objects[{i}] is not an object with fields")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise VlmAnswerError(f"objects[{i}] has no name")
    name = " ".join(name.split())[:MAX_NAME_CHARS]
    obj = VlmObject(name=name)
    action = raw.get("action")
    if isinstance(action, str) and action.strip():
        obj.action = " ".join(action.split())[:MAX_NAME_CHARS]
    elif action is not None:
        obj.notes.append(f"'{name}': action {action!r} is not text; ignored")
    moving = raw.get("moving", True)
    if not isinstance(moving, bool):
        raise VlmAnswerError(f"objects[{i}].moving must be true or false, got {moving!r}")
    obj.moving = moving
    if "mass_kg" in raw and raw["mass_kg"] is not None:
        mass = _number(raw["mass_kg"])
        if mass is None:
            obj.notes.append(f"'{name}': mass_kg {raw['mass_kg']!r} is not a number; mass from the prior table")
        elif not math.isfinite(mass) or not MIN_MASS_KG <= mass <= MAX_MASS_KG:
            obj.notes.append(f"'{name}': mass {raw['mass_kg']!r} kg is impossible (not within "
                             f"{MIN_MASS_KG:g}–{MAX_MASS_KG:g} kg); mass from the prior table")
        else:
            obj.mass_kg = mass
    else:
        obj.notes.append(f"'{name}': no mass_kg in the answer; mass from the prior table")
    material = raw.get("material")
    if material is not None:
        known = material_named(material) if isinstance(material, str) else None
        if known is None:
            obj.notes.append(f"'{name}': material {material!r} is not one the pack knows; ignored")
        else:
            obj.material = known
    return obj


def parse_answer(text: Any, *, max_objects: int = 1024) -> VlmAnswer:
    """Read a VLM's answer strictly (see the module doc). VlmAnswerError when it cannot be used."""
    if not isinstance(text, str):
        raise VlmAnswerError(f"the answer is not text ({type(text).__name__})")
    if len(text) > MAX_ANSWER_CHARS:
        raise VlmAnswerError(f"the answer is longer than {MAX_ANSWER_CHARS} characters")
    if not text.strip():
        raise VlmAnswerError("the answer is empty")
    value = _json_text(text)
    if not isinstance(value, dict) or not isinstance(value.get("objects"), list):
        raise VlmAnswerError('the answer\'s JSON has no "objects" list')
    raw_objects = value["objects"]
    if len(raw_objects) > max_objects:
        raise VlmAnswerError(f"the answer lists {len(raw_objects)} objects, more than {max_objects}")
    objects = [_read_object(i, raw) for i, raw in enumerate(raw_objects)]
    return VlmAnswer(objects=[o for o in objects if o is not None], text=text)
