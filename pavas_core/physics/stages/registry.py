"""Which backends can run each stage. Adding a backend is one `register_backend` call.

    register_backend("observe", "sam2", Sam2Observer, description="SAM-2 video masks", sources=...)

The estimator (`estimate_physics`), the command line (`--discover/--masks/--geometry/--mass`)
and the ComfyUI stage nodes (their backend widgets) all read this registry, so none of them
changes when a backend is added. Built-in backends register when this module is imported;
a backend module elsewhere registers when it is imported (import it before building a parser).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

from ...errors import BadInputError
from ..tracks import extend_vocabulary

STAGES = ("discover", "observe", "geometry", "mass")
# stage → command-line flag and EstimateOptions field (the names: --masks for observe)
STAGE_FLAGS = {"discover": "discover", "observe": "masks", "geometry": "geometry", "mass": "mass"}


@dataclass(frozen=True)
class BackendSetting:
    """A setting a backend takes from the command line: `flag` VALUE → factory keyword `key`.

    e.g. BackendSetting("--cut3r", "checkpoint", "CUT3R weight file", "FILE"): `--geometry cut3r
    --cut3r model.pth` reaches the factory as checkpoint="model.pth" (EstimateOptions.backend_settings)."""

    flag: str
    key: str
    help: str
    metavar: str = "PATH"


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
                     settings: tuple[BackendSetting, ...] = (), example_calibrated: bool = True) -> None:
    """Make `factory` available as backend `name` of `stage`.

    sources: the values of `*_source` fields (tracks.VOCABULARIES) the backend may write; new
    values are added to the vocabulary so that its output validates.
    example_settings: how the contract test builds a working instance (see BackendInfo).
    settings: flags on `estimate`/`run` that fill EstimateOptions.backend_settings[name].
    """
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; stages are {', '.join(STAGES)}")
    if not name or not name.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"backend name must be a short identifier, got {name!r}")
    norm = {k: (v,) if isinstance(v, str) else tuple(v) for k, v in (sources or {}).items()}
    for field_name, values in norm.items():
        for value in values:
            extend_vocabulary(field_name, value)
    for setting in settings:
        if not setting.flag.startswith("--"):
            raise ValueError(f"a backend setting's flag starts with '--', got {setting.flag!r}")
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


def backend_settings() -> list[tuple[BackendInfo, BackendSetting]]:
    """Every registered backend's command-line settings (stage order, then registration order)."""
    return [(info, s) for stage in STAGES for info in _BACKENDS[stage].values() for s in info.settings]


def default_backend(stage: str) -> str:
    for b in _BACKENDS[stage].values():
        if b.default:
            return b.name
    raise LookupError(f"stage {stage!r} has no default backend")


def create_backend(stage: str, name: str, **settings: Any) -> Any:
    """A new backend object for `stage` (settings: model files and such, for learned backends)."""
    return backend_info(stage, name).factory(**settings)


# The built-in (weight-free) backends: each module registers itself on import.
for _module in ("motion", "gravity", "prior_mass", "mask_input", "depth_geometry", "comfy_geometry"):
    importlib.import_module(f"{__package__}.{_module}")
