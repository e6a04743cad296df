"""Weight-free mass backend: typical masses of everyday objects by name (priors.py).

A named table object gets its table mass; a generic shape, a material-only name or an unnamed
object gets a mass from the size the geometry measured (density × fill × volume, or a generic
object scaled by size). Confidence says how far to trust it (our heuristic, see `_CONFIDENCE`).
"""

from __future__ import annotations

from typing import Any

from ...progress import ProgressCallback
from ..priors import mass_prior
from .base import Discovery, MassEstimate, SceneGeometry, StageContext, done
from .registry import register_backend

# How much a prior mass can be trusted, by how it was found (ours): a standard object of the table
# is good to about ×1.5 (products vary), a scaled shape or a material-and-size guess to ×2–3, a
# generic object is a guess. Multiplied by the name's match score.
_CONFIDENCE = {"name": 0.9, "table": 0.7, "table_scaled": 0.5, "material_size": 0.4, "generic": 0.1}
_SHAPES = ("sphere", "cube", "cylinder", "disc")


class PriorMass:
    def mass(self, ctx: StageContext, discovery: Discovery, geometry: SceneGeometry, options: Any,
             progress: ProgressCallback | None = None) -> list[MassEstimate]:
        out = []
        for i, (obj, geo) in enumerate(zip(discovery.objects, geometry.objects)):
            named = obj.name_source != "generic"
            prior = mass_prior(obj.name) if named else None
            # a generic or size-based prior is redone with the size measured in the video
            if prior is None or prior.source in ("generic", "material_size") or prior.matched in _SHAPES:
                prior = mass_prior(obj.name, size_m=geo.size_m)
            score = prior.score if prior.source != "generic" else 1.0
            confidence = round(_CONFIDENCE.get(prior.source, 0.1) * score, 3)
            measured = geo.size_m if geo.size_source not in (None, "prior") else None
            out.append(MassEstimate(
                mass_kg=float(prior.mass_kg), source="prior",
                confidence=confidence,
                material=prior.material, material_source="prior", backend="prior",
                extra={"prior": {"matched": prior.matched, "source": prior.source, "score": round(prior.score, 3)}},
                warnings=_unnamed_note(i, prior, measured, confidence, options) if not named
                else [f"object {i}: {w}" for w in prior.warnings],
            ))
        done(progress)
        return out


def _unnamed_note(i: int, prior, size_m: float | None, confidence: float, options: Any) -> list[str]:
    """The note for an object nobody named: its mass is a generic guess, and how to do better."""
    why = "no object names given" if not getattr(options, "object_names", None) else "no name left for it"
    scaled = f", scaled to its measured {size_m:.2g} m size" if size_m else ""
    return [f"object {i}: {why}: generic {prior.mass_kg:.3g} kg prior{scaled} (mass_confidence {confidence:g}); "
            "name it with --object NAME (in order of appearance) or give --mass-kg"]


register_backend("mass", "prior", PriorMass, default=True,
                 description="typical mass of the named object (prior table), else from its measured size",
                 sources={"mass_source": "prior", "material_source": "prior"})
