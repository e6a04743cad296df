"""What a user may tell the physics estimator: one set of options for `run`, `estimate` and the nodes.

`EstimateOptions` is the library form; `add_estimator_arguments` / `options_from_args` are its
command-line form, shared by every verb that estimates physics, so a flag has one name, one
default and one meaning everywhere. The stage backends (`--discover`, `--boxes`, `--masks`,
`--geometry`, `--mass`) are listed from the stage registry: registering a backend adds it to the
choices, and the settings it declares (`--vlm DIR`, `--sam2 FILE`, ...) to the flags.
"""

from __future__ import annotations

import argparse
import math
import os
from dataclasses import dataclass, field
from typing import Any, Sequence

from ..errors import BadInputError
from ..limits import MAX_OBJECTS, MAX_PICTURE_SIDE_PX, MIN_ANALYSIS_SIDE_PX
from .gating import DEFAULT_MIN_IMPACT_CONFIDENCE
from .geometry import ASSUMED_HFOV_DEG

DEFAULT_ANALYSIS_MAX_SIDE = 320
DEFAULT_MAX_OBJECTS = 4


@dataclass(kw_only=True)
class EstimateOptions:
    """Everything is optional.

    Per-object values apply in the order objects first appear. Names: one per object (see
    naming.py: a single name names the first object only). Sizes, masses, materials: a single value
    applies to every object. Pixel quantities (meters_per_px, focal_px) refer to the
    video's own pixels (`clip.source_size`), whatever size the clip was decoded at.
    """

    object_names: list[str] = field(default_factory=list)  # e.g. ["basketball", "wooden block"]
    object_size_m: float | Sequence[float] | None = None  # characteristic size (diameter / longest side)
    mass_kg: float | Sequence[float] | None = None  # overrides the mass stage: mass_source "user"
    material: str | Sequence[str] | None = None  # overrides the material: material_source "user"
    meters_per_px: float | None = None  # metric scale at the objects' depth (wins over gravity)
    scene_width_m: float | None = None  # alternative scale: width of the picture at the objects' depth
    focal_px: float | None = None  # else an assumed field of view (focal_source "assumed_fov")
    assumed_hfov_deg: float = ASSUMED_HFOV_DEG
    gravity_mps2: float = 9.81
    max_objects: int = DEFAULT_MAX_OBJECTS
    analysis_max_side: int = DEFAULT_ANALYSIS_MAX_SIDE  # frames are analysed at this size (longest side, px)
    # cost of one more trajectory segment (in noise-variance units) in the fit that finds the contacts:
    # low enough that each low hop of a box tumbling on is a flight of its own (README: 612 → 618 of
    # 826 rigid development impacts, and more so under centroid jitter) ...
    segment_penalty: float = 60.0
    # ... and in the picture's fit that measures the scale from a fall, which wants long clean flights
    scale_fit_penalty: float = 120.0
    # impacts whose confidence (gating.py) is below this stay in physics.json with sonified: false
    min_impact_confidence: float = DEFAULT_MIN_IMPACT_CONFIDENCE
    split_shots: bool = True  # estimate per shot (never across a hard cut or a fade)
    # which backend runs each stage (names from pavas_core.physics.stages.registry)
    discover: str = "motion"
    boxes: str = "motion"
    masks: str = "motion"
    geometry: str = "gravity"
    mass: str = "prior"
    # per-backend settings (model files, prompts) of learned backends: {backend name: {key: value}}
    backend_settings: dict[str, dict[str, Any]] = field(default_factory=dict)

    def validate(self) -> "EstimateOptions":
        """BadInputError on values no stage can use."""
        if not (isinstance(self.gravity_mps2, (int, float)) and self.gravity_mps2 > 0 and math.isfinite(self.gravity_mps2)):
            raise BadInputError("estimate: gravity_mps2 must be a positive number")
        for name in ("meters_per_px", "scene_width_m", "focal_px"):
            val = getattr(self, name)
            if val is not None and not (isinstance(val, (int, float)) and val > 0 and math.isfinite(val)):
                raise BadInputError(f"estimate: {name} must be a positive number, got {val!r}")
        for name in ("object_size_m", "mass_kg"):
            for val in _as_list(getattr(self, name)):
                if not (isinstance(val, (int, float)) and val > 0 and math.isfinite(val)):
                    raise BadInputError(f"estimate: {name} must be positive, got {val!r}")
        if isinstance(self.max_objects, bool) or not isinstance(self.max_objects, int) \
                or not 1 <= self.max_objects <= MAX_OBJECTS:
            raise BadInputError(f"estimate: max_objects must be a whole number from 1 to {MAX_OBJECTS}, "
                                f"got {self.max_objects!r}")
        c = self.min_impact_confidence
        if isinstance(c, bool) or not isinstance(c, (int, float)) or not 0.0 <= c <= 1.0:
            raise BadInputError(f"estimate: the minimum impact confidence must be a number from 0 to 1, got {c!r}")
        side = self.analysis_max_side
        if isinstance(side, bool) or not isinstance(side, int) or not MIN_ANALYSIS_SIDE_PX <= side <= MAX_PICTURE_SIDE_PX:
            raise BadInputError(f"estimate: the analysis size must be a whole number of pixels from "
                                f"{MIN_ANALYSIS_SIDE_PX} to {MAX_PICTURE_SIDE_PX}, got {side!r}")
        from .stages.registry import STAGE_FLAGS

        for stage, flag in STAGE_FLAGS.items():
            if not isinstance(getattr(self, flag), str):
                raise BadInputError(f"estimate: the {stage} backend must be a name, got {getattr(self, flag)!r}")
        if not isinstance(self.backend_settings, dict) or \
                not all(isinstance(v, dict) for v in self.backend_settings.values()):
            raise BadInputError("estimate: backend_settings must map backend names to dicts of settings")
        return self

    def input_paths(self) -> list[str]:
        """The files and folders the backends' settings name (model files and folders, answer files):
        the job reads them, so no output of it may replace them."""
        from .stages.registry import declared_settings

        path_keys = {(info.name, setting.key) for users in declared_settings().values() for info, setting in users
                     if setting.metavar in ("FILE", "DIR")}
        return [str(value) for backend, settings in self.backend_settings.items() for key, value in settings.items()
                if (backend, key) in path_keys and isinstance(value, (str, os.PathLike)) and str(value)]

    def per_object(self, name: str, i: int):
        """Option `name` for the i-th object: its own value, the one value given for all, or None."""
        value = getattr(self, name)
        if value is None or isinstance(value, (int, float, str)):
            return value
        seq = list(value)
        if not seq:
            return None
        return seq[i] if i < len(seq) else (seq[0] if len(seq) == 1 else None)


def _as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, (int, float, str)):
        return [value]
    return list(value)


# --- command line --------------------------------------------------------------------------------
def add_estimator_arguments(parser: argparse.ArgumentParser) -> None:
    """The estimator's flags, the same for every verb that estimates physics."""
    from .stages.registry import STAGE_FLAGS, backend_names, declared_settings, default_backend

    g = parser.add_argument_group("physics estimation")
    g.add_argument("--object", dest="objects", action="append", default=[], metavar="NAME",
                   help="name of a moving object (repeatable), e.g. --object basketball --object 'wooden block': "
                        "the names go to the objects in order of first appearance, one name per object (an object "
                        "seen again after it left keeps its name); objects beyond the names stay generic and names "
                        "beyond the objects name nothing (a note says which); sets the mass, size and material prior")
    g.add_argument("--size-m", type=float, action="append", default=None, metavar="X",
                   help="object size in metres (diameter / longest side); repeat per object or give once for all")
    g.add_argument("--mass-kg", type=float, action="append", default=None, metavar="X",
                   help="object mass in kg (overrides the mass stage); repeat per object or give once for all")
    g.add_argument("--material", action="append", default=None, metavar="NAME",
                   help="object material (e.g. steel, wood, rubber); repeat per object or give once for all")
    g.add_argument("--meters-per-px", type=float, default=None, metavar="X",
                   help="metric scale at the objects' depth, metres per pixel of the video (overrides gravity)")
    g.add_argument("--focal-px", type=float, default=None, metavar="X",
                   help="camera focal length in pixels of the video (default: a 60° horizontal field of view)")
    g.add_argument("--max-objects", type=int, default=DEFAULT_MAX_OBJECTS, metavar="N",
                   help=f"keep at most this many moving objects, the ones that moved most (under a moving camera: "
                        f"the most physical impacts first; default {DEFAULT_MAX_OBJECTS}); "
                        "a note says how many were left out (they make no sound)")
    g.add_argument("--analysis-max-side", "--analysis-size", dest="analysis_max_side", type=int,
                   default=DEFAULT_ANALYSIS_MAX_SIDE, metavar="PX",
                   help=f"longest side of the frames physics runs on (default {DEFAULT_ANALYSIS_MAX_SIDE})")
    g.add_argument("--min-impact-confidence", type=float, default=DEFAULT_MIN_IMPACT_CONFIDENCE, metavar="C",
                   help="impacts less certain than this (0..1) are kept in the physics with sonified false and "
                        f"a reason, and make no sound (default {DEFAULT_MIN_IMPACT_CONFIDENCE:g}; 0 keeps every "
                        "impact that passes the hard tests)")
    for stage, flag in STAGE_FLAGS.items():
        g.add_argument(f"--{flag}", dest=f"stage_{stage}", choices=backend_names(stage),
                       default=default_backend(stage),
                       help=f"backend of the {stage} stage (default {default_backend(stage)})")
    # the settings the registered backends declare (model files, sizes): one flag each. A flag the verb
    # already has for the same thing (e.g. run's --device for its generator) is shared, not doubled.
    shared = {opt: action.dest for action in parser._actions for opt in action.option_strings}
    dests = {}
    for flag, users in declared_settings().items():
        if flag in shared:
            dests[flag] = shared[flag]
            continue
        first = users[0][1]
        names = ", ".join(sorted({f"--{STAGE_FLAGS[info.stage]} {info.name}" for info, _ in users}))
        g.add_argument(flag, dest=_setting_dest(flag), type=first.value_type, default=None, metavar=first.metavar,
                       help=f"{first.help} (for {names})")
    parser.set_defaults(_shared_setting_dests=dests)


def _setting_dest(flag: str) -> str:
    return "backend_setting_" + flag.lstrip("-").replace("-", "_")


def options_from_args(args: argparse.Namespace) -> EstimateOptions:
    from .stages.registry import STAGE_FLAGS, declared_settings

    def one_or_list(values):
        if not values:
            return None
        return values[0] if len(values) == 1 else list(values)

    stages = {flag: getattr(args, f"stage_{stage}") for stage, flag in STAGE_FLAGS.items()}
    settings: dict[str, dict[str, Any]] = {}
    shared = getattr(args, "_shared_setting_dests", {})
    for flag, users in declared_settings().items():
        value = getattr(args, shared.get(flag, _setting_dest(flag)), None)
        if value is None or value == "auto":  # "auto": the backend's own choice
            continue
        for info, setting in users:
            settings.setdefault(info.name, {})[setting.key] = value
    return EstimateOptions(
        object_names=list(args.objects),
        object_size_m=one_or_list(args.size_m),
        mass_kg=one_or_list(args.mass_kg),
        material=one_or_list(args.material),
        meters_per_px=args.meters_per_px,
        focal_px=args.focal_px,
        max_objects=args.max_objects,
        analysis_max_side=args.analysis_max_side,
        min_impact_confidence=args.min_impact_confidence,
        backend_settings=settings,
        **stages,
    ).validate()
