"""Which backends can run each stage. Adding a backend is one `register_backend` call.

    register_backend("observe", "sam2", Sam2Observer, description="SAM-2 video masks", sources=...,
                     settings=[BackendSetting("checkpoint", "--sam2", "SAM-2 weight file", metavar="FILE")])

The estimator (`estimate_physics`), the command line (`--discover/--masks/--geometry/--mass`)
and the ComfyUI stage nodes (their backend widgets) all read this registry, so none of them
changes when a backend is added. Built-in backends register when this module is imported;
a backend module elsewhere registers when it is imported (import it before building a parser).

A backend's settings (model files, sizes) are declared with its registration (`BackendSetting`):
the command line adds one flag per declared setting and hands the values to the factory through
`EstimateOptions.backend_settings[backend name]`. Backends of different stages that share a name
(the "vlm" discoverer and the "vlm" mass backend) share their settings, so one `--vlm DIR` serves
both.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

from ...errors import BadInputError
from ..tracks import extend_vocabulary

STAGES = ("discover", "boxes", "observe", "geometry", "mass")
# stage → command-line flag and EstimateOptions field (the names: --masks for observe)
STAGE_FLAGS = {"discover": "discover", "boxes": "boxes", "observe": "masks", "geometry": "geometry", "mass": "mass"}
# the order of the per-stage backend widgets on 'Estimate Physics': a stage added later goes last, so
# the widget values of workflows saved before keep their positions
STAGE_WIDGET_ORDER = ("discover", "observe", "geometry", "mass", "boxes")


@dataclass(frozen=True)
class BackendSetting:
    """One setting a backend's factory takes, and its command-line form.

    key: the factory's keyword argument; flag: e.g. "--sam2" (one flag may serve several backends,
    each with its own key); value_type: parses the flag's text (str, int, float).
    """

    key: str
    flag: str
    help: str
    value_type: Callable[[str], Any] = str
    metavar: str = "X"


@dataclass(frozen=True)
class BackendInfo:
    stage: str
    name: str
    factory: Callable[..., Any]  # (**settings) -> backend object implementing the stage's Protocol
    description: str
    default: bool = False
    sources: dict[str, tuple[str, ...]] = field(default_factory=dict)  # vocabulary values it may emit
    # settings that make a working instance for the contract test on a small clip (tiny random
    # models for learned backends): (StageContext, Discovery | None) -> settings for `factory`
    example_settings: Callable[..., dict[str, Any]] | None = None
    settings: tuple[BackendSetting, ...] = ()  # command-line flags the backend takes
    # the example instance measures true values (tiny random-weight models do not: the contract
    # test then checks shapes, units and vocabularies but not the value of gravity)
    example_calibrated: bool = True


_BACKENDS: dict[str, dict[str, BackendInfo]] = {s: {} for s in STAGES}


def register_backend(stage: str, name: str, factory: Callable[..., Any], *, description: str,
                     default: bool = False, sources: dict[str, tuple[str, ...] | str] | None = None,
                     example_settings: Callable[..., dict[str, Any]] | None = None,
                     settings: tuple[BackendSetting, ...] | list[BackendSetting] = (),
                     example_calibrated: bool = True) -> None:
    """Make `factory` available as backend `name` of `stage`.

    sources: the values of `*_source` fields (tracks.VOCABULARIES) the backend may write; new
    values are added to the vocabulary so that its output validates.
    example_settings: how the contract test builds a working instance (see BackendInfo).
    settings: what the factory takes besides defaults, with their command-line flags.
    """
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; stages are {', '.join(STAGES)}")
    if not name or not name.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"backend name must be a short identifier, got {name!r}")
    norm = {k: (v,) if isinstance(v, str) else tuple(v) for k, v in (sources or {}).items()}
    for field_name, values in norm.items():
        for value in values:
            extend_vocabulary(field_name, value)
    for s in settings:
        if not (s.flag.startswith("--") and s.key.isidentifier()):
            raise ValueError(f"backend setting needs a --flag and an identifier key, got {s!r}")
    _BACKENDS[stage][name] = BackendInfo(stage, name, factory, description, default, norm, example_settings,
                                         tuple(settings), example_calibrated)


def unregister_backend(stage: str, name: str) -> None:
    """Remove a backend (tests that register a temporary one clean up with this)."""
    _BACKENDS[stage].pop(name, None)


def backend_names(stage: str) -> list[str]:
    """Registered backends of `stage`, the default first."""
    infos = _BACKENDS[stage].values()
    return [b.name for b in sorted(infos, key=lambda b: (not b.default, list(_BACKENDS[stage]).index(b.name)))]


def backend_info(stage: str, name: str) -> BackendInfo:
    if stage not in STAGES:
        raise BadInputError(f"unknown stage {stage!r}; stages are {', '.join(STAGES)}")
    info = _BACKENDS[stage].get(name)
    if info is None:
        raise BadInputError(f"unknown {stage} backend {name!r}; available: {', '.join(backend_names(stage))}")
    return info


def default_backend(stage: str) -> str:
    for b in _BACKENDS[stage].values():
        if b.default:
            return b.name
    raise LookupError(f"stage {stage!r} has no default backend")


def declared_settings() -> dict[str, list[tuple[BackendInfo, BackendSetting]]]:
    """Command-line flag → the (backend, setting) pairs it fills, over every registered backend."""
    out: dict[str, list[tuple[BackendInfo, BackendSetting]]] = {}
    for stage in STAGES:
        for info in _BACKENDS[stage].values():
            for s in info.settings:
                out.setdefault(s.flag, []).append((info, s))
    return out


def create_backend(stage: str, name: str, **settings: Any) -> Any:
    """A new backend object for `stage` (settings: model files and such, for learned backends)."""
    return backend_info(stage, name).factory(**settings)


# The built-in (weight-free) backends: each module registers itself on import.
# The learned ones import their model libraries (torch, transformers, sam2) only when they run.
for _module in ("motion", "gravity", "prior_mass", "mask_input", "vlm", "florence2", "sam2", "depth_geometry",
                "cut3r_geometry",
                "comfy_geometry"):
    importlib.import_module(f"{__package__}.{_module}")
