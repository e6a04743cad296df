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
MASS_SOURCES = ("prior", "vlm", "user")
METRIC_SCALE_SOURCES = ("gravity", "size_prior", "user", "cut3r")
GEOMETRY_BACKENDS = ("pinhole", "cut3r")


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
    confidence: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # producer-specific fields, kept on load


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


def _impact_from_dict(d: dict[str, Any]) -> Impact:
    """Impact from its JSON form; unknown keys go to `extra` instead of failing."""
    d = dict(d)
    known = {k: d.pop(k) for k in list(d) if k in Impact.__dataclass_fields__}
    known.setdefault("extra", {}).update(d)
    return Impact(**known)


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
    size_source: str | None = None  # gravity | prior | user | cut3r
    box_xyxy_px: list[list[float] | None] | None = None  # per frame, in the clip's pixel grid
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Geometry:
    backend: str  # pinhole | cut3r
    metric_scale_source: str  # gravity | size_prior | user | cut3r
    focal_px: float | None = None
    focal_source: str | None = None  # assumed_fov | user | cut3r
    extra: dict[str, Any] = field(default_factory=dict)


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
    schema: int = SCHEMA_VERSION

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
            if not (math.isfinite(o.mass_kg) and o.mass_kg > 0):
                raise BadInputError(f"{where}: mass_kg must be a positive finite number, got {o.mass_kg!r}")
            if o.mass_source not in MASS_SOURCES:
                raise BadInputError(f"{where}: mass_source must be one of {MASS_SOURCES}, got {o.mass_source!r}")
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
        if self.geometry.backend not in GEOMETRY_BACKENDS:
            raise BadInputError(f"physics: geometry.backend must be one of {GEOMETRY_BACKENDS}")
        if self.geometry.metric_scale_source not in METRIC_SCALE_SOURCES:
            raise BadInputError(f"physics: metric_scale_source must be one of {METRIC_SCALE_SOURCES}")
        return self

    # --- JSON -----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        ordered = {"schema": d.pop("schema")}
        ordered.update(d)
        return ordered

    def to_json(self, indent: int | None = 1) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def save(self, path: str | os.PathLike) -> None:
        from ..fileio import atomic_output

        with atomic_output(path) as tmp:
            tmp.write_text(self.to_json())

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "PhysicsTracks":
        if not isinstance(d, dict):
            raise BadInputError("physics: expected a JSON object")
        schema = d.get("schema")
        if schema != SCHEMA_VERSION:
            raise BadInputError(f"physics: unsupported schema {schema!r} (this version reads schema {SCHEMA_VERSION})")
        try:
            objects = []
            for n, o in enumerate(_json_list(d["objects"], "objects")):
                o = dict(_json_object(o, f"objects[{n}]"))
                o["impacts"] = [_impact_from_dict(_json_object(i, f"objects[{n}].impacts[{k}]"))
                                for k, i in enumerate(_json_list(o.get("impacts", []), f"objects[{n}].impacts"))]
                _json_object(o.get("extra", {}), f"objects[{n}].extra")
                known = {k: o.pop(k) for k in list(o) if k in ObjectTrack.__dataclass_fields__}
                known.setdefault("extra", {}).update(o)  # unknown fields are kept, not dropped
                objects.append(ObjectTrack(**known))
            g = dict(_json_object(d["geometry"], "geometry"))
            _json_object(g.get("extra", {}), "geometry.extra")
            gk = {k: g.pop(k) for k in list(g) if k in Geometry.__dataclass_fields__}
            gk.setdefault("extra", {}).update(g)
            tracks = cls(
                fps=float(_json_number(d["fps"], "fps")),
                num_frames=int(_json_number(d["num_frames"], "num_frames")),
                width=int(_json_number(d["width"], "width")),
                height=int(_json_number(d["height"], "height")),
                objects=objects,
                geometry=Geometry(**gk),
                warnings=list(_json_list(d.get("warnings", []), "warnings")),
                estimator=dict(_json_object(d.get("estimator", {}), "estimator")),
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
