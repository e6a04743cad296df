"""Stages of physics estimation: typed results, backend registry, built-in backends (see base.py)."""

from .base import (
    BoxFinder,
    Boxes,
    DiscoveredObject,
    Discoverer,
    Discovery,
    GeometryEstimator,
    MassEstimate,
    MassEstimator,
    ObjectBoxes,
    ObjectGeometry,
    ObjectObservation,
    Observation,
    Observer,
    SceneGeometry,
    StageContext,
    make_context,
)
from .registry import (
    STAGE_FLAGS,
    STAGE_WIDGET_ORDER,
    STAGES,
    BackendSetting,
    backend_info,
    backend_names,
    create_backend,
    declared_settings,
    default_backend,
    register_backend,
    unregister_backend,
)

__all__ = [
    "BoxFinder", "Boxes", "ObjectBoxes", "STAGE_WIDGET_ORDER", "BackendSetting", "declared_settings",
    "DiscoveredObject", "Discoverer", "Discovery", "GeometryEstimator", "MassEstimate", "MassEstimator",
    "ObjectGeometry", "ObjectObservation", "Observation", "Observer", "SceneGeometry", "StageContext",
    "make_context", "STAGE_FLAGS", "STAGES", "backend_info", "backend_names", "create_backend",
    "default_backend", "register_backend", "unregister_backend",
]
