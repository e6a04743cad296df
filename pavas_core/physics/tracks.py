"""PhysicsTracks: the physics of a clip, and physics.json (schema 1) — its on-disk form.

Every estimated value says where it came from (`mass_source`, `metric_scale_source`, ...), so that
a fallback is never silent. Units are in the names: kg, m, s, m/s, J, px.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import BadInputError
from ..limits import MAX_DURATION_S, MAX_IMPACTS, MAX_OBJECTS

SCHEMA_VERSION = 1

# The fixed vocabulary of every `*_source` field (and of the other enumerations), checked by
# validate() and therefore on load. A backend that brings a new kind of source registers its value
# with `extend_vocabulary` in the same place it registers itself.
VOCABULARIES: dict[str, tuple[str, ...]] = {
    "name_source": ("user", "vlm", "generic"),
    "mass_source": ("prior", "vlm", "user"),
    "material_source": ("prior", "vlm", "user"),
    "size_source": ("gravity", "prior", "user", "cut3r", "depth", "da3", "moge"),
    "mask_source": ("motion", "mask_input", "sam2", "sam3", "box", "ground_truth"),
    "metric_scale_source": ("gravity", "size_prior", "user", "cut3r", "depth", "da3", "moge"),
    "focal_source": ("assumed_fov", "user", "cut3r", "depth", "da3", "moge", "ground_truth"),
    "backend": ("pinhole", "cut3r", "depth", "da3", "moge"),  # geometry.backend
    "frame": ("camera", "world"),  # coordinate frame of centroid_m
    "shot_kind": ("start", "cut", "fade"),  # how a shot begins: the clip's start, a hard cut, a fade
}
MASS_SOURCES = VOCABULARIES["mass_source"]
METRIC_SCALE_SOURCES = VOCABULARIES["metric_scale_source"]
GEOMETRY_BACKENDS = VOCABULARIES["backend"]


def extend_vocabulary(field_name: str, value: str) -> None:
    """Allow one more value of a `*_source` field (for a newly registered backend)."""
    if field_name not in VOCABULARIES:
        raise KeyError(f"no vocabulary named {field_name!r}; known: {', '.join(VOCABULARIES)}")
    if value not in VOCABULARIES[field_name]:
        VOCABULARIES[field_name] = VOCABULARIES[field_name] + (value,)


def _check_vocab(where: str, field_name: str, value: Any, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    allowed = VOCABULARIES[field_name]
    if value not in allowed:
        raise BadInputError(f"{where}: {field_name} must be one of {', '.join(allowed)}, got {value!r}")


def delta_ke_j(mass_kg: float, v_before: float, v_after: float) -> float:
    """Kinetic energy lost in an impact: ½·m·(v_before² − v_after²)."""
    return 0.5 * mass_kg * (v_before**2 - v_after**2)


@dataclass
class Impact:
    frame: int  # index of the frame at (or right after) the contact
    time_s: float  # contact time, may fall between frames
    v_before: float  # speed just before contact, m/s
    v_after: float  # speed just after contact, m/s
    delta_ke_j: float  # ½·m·(v_before² − v_after²)
    confidence: float | None = None  # 0..1: how well the trajectory supports this impact
    # False: kept for inspection but silent (no synthesized sound, no audio metric); `reason` says why
    sonified: bool = True
    reason: str | None = None  # why an impact is not sonified (plain words), else None
    extra: dict[str, Any] = field(default_factory=dict)  # producer-specific fields
    # fields this version does not know (from a later version or another tool): kept as they
    # were and written back in the same place
    unknown_fields: dict[str, Any] = field(default_factory=dict, repr=False)


def _json_list(value: Any, where: str) -> list:
    if not isinstance(value, list):
        raise BadInputError(f"physics: {where} must be a list, got {type(value).__name__}")
    return value


def _json_object(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise BadInputError(f"physics: {where} must be an object, got {type(value).__name__}")
    return value


def _json_number(value: Any, where: str) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadInputError(f"physics: {where} must be a number, got {value!r}")
    return value


def _split_known(cls, d: Any, where: str) -> dict[str, Any]:
    """Constructor arguments of dataclass `cls` from its JSON form; other keys → unknown_fields."""
    d = dict(_json_object(d, where))
    if "extra" in d:
        _json_object(d["extra"], f"{where}.extra")
    known = {k: d.pop(k) for k in list(d) if k in cls.__dataclass_fields__ and k != "unknown_fields"}
    known["unknown_fields"] = d
    return known


def _put_back_unknown(d: dict[str, Any]) -> dict[str, Any]:
    """Inverse of _split_known on an asdict() result: unknown fields return to the top level."""
    unknown = d.pop("unknown_fields", {}) or {}
    for k, v in unknown.items():
        d.setdefault(k, v)
    return d


@dataclass
class ObjectTrack:
    id: int
    name: str
    action: str
    mass_kg: float
    mass_source: str  # prior | vlm | user
    speed_mps: list[float | None]  # per frame; None where the object is not visible
    centroid_m: list[list[float] | None]  # per frame [x, y, z] in `frame` coordinates
    impacts: list[Impact] = field(default_factory=list)
    frame: str = "camera"  # coordinate frame of centroid_m: camera | world
    material: str | None = None
    material_source: str | None = None  # prior | vlm | user
    size_m: float | None = None  # characteristic size (diameter / longest side)
    size_source: str | None = None  # gravity | prior | user | cut3r | ...
    box_xyxy_px: list[list[float] | None] | None = None  # per frame, in the video's own pixel grid
    name_source: str | None = None  # user | vlm | generic
    mass_confidence: float | None = None  # 0..1
    mask_source: str | None = None  # which observer made `masks`: motion | mask_input | sam2 | ...
    # per-frame masks (pavas_core.physics.masks.ObjectMasks) in memory; in physics.json only when
    # written with masks=True (COCO RLE, in the video's own pixel grid)
    masks: Any = None
    extra: dict[str, Any] = field(default_factory=dict)
    unknown_fields: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class Shot:
    """One shot of the clip: frames start_frame..end_frame (inclusive), from start_s to end_s (the
    next shot's start). kind: how it begins (shot_kind vocabulary)."""

    start_frame: int
    end_frame: int
    start_s: float
    end_s: float
    kind: str  # start | cut | fade
    unknown_fields: dict[str, Any] = field(default_factory=dict, repr=False)


def sonified_impacts(obj: "ObjectTrack") -> list[Impact]:
    """The impacts of `obj` that make a sound (the others are kept in physics.json, silent)."""
    return [imp for imp in obj.impacts if imp.sonified]


@dataclass
class Geometry:
    backend: str  # pinhole | cut3r
    metric_scale_source: str  # gravity | size_prior | user | cut3r
    focal_px: float | None = None
    focal_source: str | None = None  # assumed_fov | user | cut3r | ...
    extra: dict[str, Any] = field(default_factory=dict)
    unknown_fields: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class PhysicsTracks:
    fps: float
    num_frames: int
    width: int
    height: int
    objects: list[ObjectTrack]
    geometry: Geometry
    warnings: list[str] = field(default_factory=list)  # fallbacks taken, things a user should know
    estimator: dict[str, Any] = field(default_factory=dict)  # which backend/version produced this
    # the clip's shots (physics is estimated per shot, never across a cut); empty: not analysed
    shots: list[Shot] = field(default_factory=list)
    schema: int = SCHEMA_VERSION
    unknown_fields: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def duration_s(self) -> float:
        return self.num_frames / self.fps

    def validate(self) -> "PhysicsTracks":
        """Raise BadInputError on values no consumer can use (wrong types, NaN mass, wrong lengths, ...)."""
        from ..typecheck import check_dataclass

        check_dataclass(self, "physics")
        if len(self.objects) > MAX_OBJECTS:
            raise BadInputError(f"physics: {len(self.objects)} objects, more than the limit of {MAX_OBJECTS}")
        num_impacts = sum(len(o.impacts) for o in self.objects)
        if num_impacts > MAX_IMPACTS:
            raise BadInputError(f"physics: {num_impacts} impacts, more than the limit of {MAX_IMPACTS}")
        if not (self.fps > 0 and math.isfinite(self.fps)):
            raise BadInputError(f"physics: fps must be a positive number, got {self.fps!r}")
        if self.num_frames < 0 or self.width <= 0 or self.height <= 0:
            raise BadInputError("physics: num_frames, width and height must be positive")
        if self.duration_s > MAX_DURATION_S:
            raise BadInputError(f"physics: {self.num_frames} frames at {self.fps:g} fps last {self.duration_s:g} s, "
                                f"longer than the {MAX_DURATION_S:g} s limit")
        ids = [o.id for o in self.objects]
        if len(set(ids)) != len(ids):
            raise BadInputError(f"physics: object ids must be unique, got {ids}")
        for o in self.objects:
            where = f"physics: object {o.id} ({o.name!r})"
            if not isinstance(o.mass_kg, (int, float)) or not (math.isfinite(o.mass_kg) and o.mass_kg > 0):
                raise BadInputError(f"{where}: mass_kg must be a positive finite number, got {o.mass_kg!r}")
            _check_vocab(where, "mass_source", o.mass_source)
            _check_vocab(where, "frame", o.frame)
            for name in ("name_source", "material_source", "size_source", "mask_source"):
                _check_vocab(where, name, getattr(o, name), optional=True)
            for name in ("mass_confidence",):
                c = getattr(o, name)
                if c is not None and not (isinstance(c, (int, float)) and 0.0 <= c <= 1.0):
                    raise BadInputError(f"{where}: {name} must be between 0 and 1, got {c!r}")
            if o.masks is not None and o.masks.num_frames != self.num_frames:
                raise BadInputError(f"{where}: masks need one entry per frame ({self.num_frames})")
            if len(o.speed_mps) != self.num_frames or len(o.centroid_m) != self.num_frames:
                raise BadInputError(
                    f"{where}: speed_mps and centroid_m need one entry per frame ({self.num_frames}), "
                    f"got {len(o.speed_mps)} and {len(o.centroid_m)}"
                )
            for s in o.speed_mps:
                if s is not None and not (math.isfinite(s) and s >= 0):
                    raise BadInputError(f"{where}: speed_mps holds {s!r}; use null where the object is not visible")
            for imp in o.impacts:
                vals = (imp.time_s, imp.v_before, imp.v_after, imp.delta_ke_j)
                if not all(math.isfinite(v) for v in vals) or imp.v_before < 0 or imp.v_after < 0:
                    raise BadInputError(f"{where}: impact at frame {imp.frame} has non-finite or negative values")
                if imp.confidence is not None and not (0.0 <= imp.confidence <= 1.0):
                    raise BadInputError(f"{where}: impact at frame {imp.frame} has confidence {imp.confidence!r} "
                                        "outside 0..1")
        self._validate_shots()
        _check_vocab("physics: geometry", "backend", self.geometry.backend)
        _check_vocab("physics: geometry", "metric_scale_source", self.geometry.metric_scale_source)
        _check_vocab("physics: geometry", "focal_source", self.geometry.focal_source, optional=True)
        return self

    def _validate_shots(self) -> None:
        prev_end = -1
        for k, shot in enumerate(self.shots):
            where = f"physics: shots[{k}]"
            _check_vocab(where, "shot_kind", shot.kind)
            if not (0 <= shot.start_frame <= shot.end_frame < max(self.num_frames, 1)):
                raise BadInputError(f"{where}: frames {shot.start_frame}..{shot.end_frame} are not within the clip's "
                                    f"{self.num_frames} frames")
            if shot.start_frame != prev_end + 1:
                raise BadInputError(f"{where}: starts at frame {shot.start_frame}, the shots before end at {prev_end} "
                                    "(shots must cover the clip in order, without gaps)")
            if not (math.isfinite(shot.start_s) and math.isfinite(shot.end_s) and shot.start_s < shot.end_s):
                raise BadInputError(f"{where}: start_s/end_s must be finite with start_s < end_s")
            if (k == 0) != (shot.kind == "start"):
                raise BadInputError(f"{where}: only the first shot has kind 'start'")
            prev_end = shot.end_frame
        if self.shots and prev_end != self.num_frames - 1:
            raise BadInputError(f"physics: the shots end at frame {prev_end}, the clip at {self.num_frames - 1}")

    # --- JSON -----------------------------------------------------------------------------
    def to_dict(self, *, masks: bool = False) -> dict[str, Any]:
        """The physics.json form. masks=True adds each object's masks (COCO RLE, video's own pixels)."""
        held = [o.masks for o in self.objects]
        for o in self.objects:  # asdict would deep-copy the crops only to drop them
            o.masks = None
        try:
            d = asdict(self)
        finally:
            for o, m in zip(self.objects, held):
                o.masks = m
        for od, m in zip(d["objects"], held):
            del od["masks"]
            if masks and m is not None:
                od["masks"] = m.resized((self.width, self.height)).to_json()
            for imp in od["impacts"]:
                _put_back_unknown(imp)
            _put_back_unknown(od)
        for shot in d["shots"]:
            _put_back_unknown(shot)
        _put_back_unknown(d["geometry"])
        _put_back_unknown(d)
        ordered = {"schema": d.pop("schema")}
        ordered.update(d)
        return ordered

    def to_json(self, indent: int | None = 1, *, masks: bool = False) -> str:
        return json.dumps(self.to_dict(masks=masks), indent=indent, allow_nan=False)

    def save(self, path: str | os.PathLike, *, masks: bool = False) -> None:
        from ..fileio import atomic_output

        with atomic_output(path) as tmp:
            tmp.write_text(self.to_json(masks=masks))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "PhysicsTracks":
        if not isinstance(d, dict):
            raise BadInputError("physics: expected a JSON object")
        schema = d.get("schema")
        if schema != SCHEMA_VERSION:
            raise BadInputError(f"physics: unsupported schema {schema!r} (this version reads schema {SCHEMA_VERSION})")
        try:
            from .masks import ObjectMasks

            num_frames = int(_json_number(_json_object(d, "physics")["num_frames"], "num_frames"))
            objects = []
            for n, o in enumerate(_json_list(d["objects"], "objects")):
                o = _split_known(ObjectTrack, o, f"objects[{n}]")
                o["impacts"] = [Impact(**_split_known(Impact, i, f"objects[{n}].impacts[{k}]"))
                                for k, i in enumerate(_json_list(o.get("impacts", []), f"objects[{n}].impacts"))]
                if o.get("masks") is not None:
                    o["masks"] = ObjectMasks.from_json(o["masks"], num_frames)
                objects.append(ObjectTrack(**o))
            top = _split_known(cls, d, "physics")
            tracks = cls(
                fps=float(_json_number(top["fps"], "fps")),
                num_frames=num_frames,
                width=int(_json_number(top["width"], "width")),
                height=int(_json_number(top["height"], "height")),
                objects=objects,
                geometry=Geometry(**_split_known(Geometry, top["geometry"], "geometry")),
                warnings=[str(w) for w in _json_list(top.get("warnings", []), "warnings")],
                estimator=dict(_json_object(top.get("estimator", {}), "estimator")),
                shots=[Shot(**_split_known(Shot, sh, f"shots[{k}]"))
                       for k, sh in enumerate(_json_list(top.get("shots", []), "shots"))],
                unknown_fields=top["unknown_fields"],
            )
        except BadInputError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            what = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            raise BadInputError(f"physics: malformed physics.json ({what})") from None
        return tracks.validate()

    @classmethod
    def from_json(cls, text: str) -> "PhysicsTracks":
        from ..fileio import parse_json

        return cls.from_dict(parse_json(text, "physics"))

    @classmethod
    def load(cls, path: str | os.PathLike) -> "PhysicsTracks":
        from ..fileio import read_json

        return cls.from_dict(read_json(path, "physics file"))
