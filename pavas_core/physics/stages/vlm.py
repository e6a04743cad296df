"""Objects and mass from a vision-language model: discover backends "vlm" (the pack's own VLM) and
"vlm_text" (any VLM's answer given as text, e.g. ComfyUI's TextGenerate), and the mass backend "vlm".

One answer gives both stages their values: the discoverer keeps each moving object's name, action,
material and mass (`DiscoveredObject.mass_kg`); the mass backend reads that mass, clamps it to what
an object of the measured size can weigh, and falls back to the prior table (mass_source "prior",
with a warning) for an object the answer gave no usable mass. When the objects came from another
discoverer (no masses), the mass backend asks the VLM itself about the named objects.

Every fallback is visible: an unreadable answer, a model that is missing or fails, or an answer with
no moving object → the motion discoverer's objects, with a warning saying why.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ...errors import BadInputError, MissingWeightsError
from ...progress import ProgressCallback
from ..naming import clean_names
from .base import DiscoveredObject, Discovery, MassEstimate, SceneGeometry, StageContext, done
from .registry import BackendSetting, register_backend

# Nothing on screen is denser than osmium (22 590 kg/m³): an object of characteristic size L (its
# bounding cube L³) cannot weigh more than that cube of osmium. L comes from the geometry, measured
# to within tens of percent, so the bound allows L × 1.5.
DENSEST_SOLID_KG_M3 = 22600.0
SIZE_MARGIN = 1.5
# Confidence of a VLM's mass (ours): a model's guess from the picture, about as good as a table prior
# of a scaled shape; lower when it had to be clamped.
VLM_MASS_CONFIDENCE = 0.6
CLAMPED_MASS_CONFIDENCE = 0.3
MAX_ANSWER_FILE_BYTES = 1 << 16

VLM_SETTINGS = (
    BackendSetting("model_dir", "--vlm", "folder of a vision-language model (transformers format, e.g. "
                   "Qwen2.5-VL-3B-Instruct)", metavar="DIR"),
    BackendSetting("num_frames", "--vlm-frames", "frames of the clip shown to the VLM (default 8)", int, "N"),
    BackendSetting("max_new_tokens", "--vlm-max-tokens", "longest answer of the VLM, in tokens (default 384)", int,
                   "N"),
    BackendSetting("device", "--device", "device of the learned models (cuda, cpu, mps; default: the best there is)",
                   metavar="DEV"),
    BackendSetting("precision", "--precision", "weight precision of the learned models: fp32, fp16 or bf16 "
                   "(default: bf16/fp16 on GPUs, fp32 on the CPU)", metavar="P"),
)


class VlmClient:
    """How a backend reaches a VLM: a loaded model, a `generate_text` function, or a folder to load
    (once, through the model registry, when first needed)."""

    def __init__(self, model_dir: str | os.PathLike | None = None, model: Any = None,
                 generate_text: Callable[[list[dict]], str] | None = None, num_frames: int = 8, retries: int = 2,
                 max_new_tokens: int = 384, device: Any = None, precision: str | None = None,
                 trust_remote_code: bool = False) -> None:
        if isinstance(num_frames, bool) or not isinstance(num_frames, int) or not 1 <= num_frames <= 64:
            raise BadInputError(f"vlm: frames shown to the VLM must be 1 to 64, got {num_frames!r}")
        if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int) or not 1 <= max_new_tokens <= 8192:
            raise BadInputError(f"vlm: the longest answer must be 1 to 8192 tokens, got {max_new_tokens!r}")
        if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= 5:
            raise BadInputError(f"vlm: retries must be 0 to 5, got {retries!r}")
        if model_dir is not None and not Path(model_dir).is_dir():
            raise MissingWeightsError(f"vlm: model folder not found: {model_dir}")
        self.model_dir, self.model, self._generate = model_dir, model, generate_text
        self.num_frames, self.retries, self.max_new_tokens = num_frames, retries, max_new_tokens
        self.device, self.precision, self.trust_remote_code = device, precision, trust_remote_code

    @property
    def configured(self) -> bool:
        return self._generate is not None or self.model is not None or self.model_dir is not None

    def generate_text(self, messages: list[dict], progress: ProgressCallback | None = None) -> str:
        if self._generate is not None:
            return self._generate(messages)
        if self.model is None:
            from ...perception import cached_vlm

            self.model = cached_vlm(self.model_dir, device=self.device, precision=self.precision,
                                    trust_remote_code=self.trust_remote_code)
        return self.model.generate_text(messages, max_new_tokens=self.max_new_tokens, progress=progress)

    def ask(self, ctx: StageContext, options: Any, names: list[str], progress: ProgressCallback | None):
        from ...perception.vlm import ask_objects

        frames = np.asarray(ctx.clip.frames)
        if frames.dtype != np.uint8:
            frames = ctx.frames  # the analysis frames are always uint8
        duration_s = float(ctx.times_s[-1] - ctx.times_s[0]) + 1.0 / ctx.fps
        # every generated token reports progress: a Cancel stops the answer within one token
        return ask_objects(lambda messages: self.generate_text(messages, progress), frames, duration_s=duration_s,
                           num_frames=self.num_frames, object_names=names, max_objects=options.max_objects,
                           retries=self.retries, progress=progress)


def _fallback(ctx: StageContext, options: Any, reason: str, progress: ProgressCallback | None,
              extra: dict[str, Any] | None = None, backend: str = "vlm") -> Discovery:
    """The motion discoverer's objects (name_source user/generic), reported as the `backend` stage's
    result with the reason first among the warnings."""
    from .motion import MotionDiscoverer

    found = MotionDiscoverer().discover(ctx, options, progress)
    found.warnings.insert(0, f"discover: {reason}; the moving objects were found by motion instead")
    found.extra.update(extra or {})
    found.backend = backend
    return found


def objects_from_answer(answer: Any, options: Any) -> tuple[list[DiscoveredObject], list[str], list[str]]:
    """The moving objects of a VLM answer (at most options.max_objects), the warnings, the static names."""
    warnings: list[str] = []
    moving = answer.moving
    static = [o.name for o in answer.objects if not o.moving]
    if len(moving) > options.max_objects:
        warnings.append(f"the VLM listed {len(moving)} moving objects; kept the first {options.max_objects}")
        moving = moving[: options.max_objects]
    objects = []
    user_names = clean_names(options.object_names)  # one per object, in the answer's order (naming.py)
    if len(user_names) > len(moving):
        warnings.append(f"{len(user_names)} object name(s) given but the VLM listed {len(moving)} moving object(s): "
                        f"{', '.join(repr(n) for n in user_names[len(moving):])} named nothing")
    for i, o in enumerate(moving):
        user_name = user_names[i] if i < len(user_names) else None
        objects.append(DiscoveredObject(
            name=user_name or o.name, name_source="user" if user_name else "vlm", action=o.action, moving=True,
            material=o.material, material_source="vlm" if o.material else None, mass_kg=o.mass_kg,
            extra={"vlm_name": o.name}))
        warnings.extend(f"object {i}: {note}" for note in o.notes)
    return objects, warnings, static


def discovery_from_answer(ctx: StageContext, options: Any, answer: Any, warnings: list[str], answers: list[str],
                          backend: str, progress: ProgressCallback | None) -> Discovery:
    extra = {"vlm_answers": answers}
    if answer is None:
        reason = warnings[-1] if warnings else "the VLM gave no answer"
        return _fallback(ctx, options, f"no usable VLM answer ({reason})", progress, extra, backend)
    objects, notes, static = objects_from_answer(answer, options)
    extra["vlm_static_objects"] = static
    if not objects:
        return _fallback(ctx, options, "the VLM saw no moving object", progress, extra, backend)
    done(progress)
    return Discovery(objects, backend=backend, warnings=notes, context=ctx, extra=extra)


class VlmDiscoverer:
    """Which objects move, what they are made of and weigh: a VLM asked about sampled frames."""

    def __init__(self, **client: Any) -> None:
        self.client = VlmClient(**client)

    def discover(self, ctx: StageContext, options: Any, progress: ProgressCallback | None = None) -> Discovery:
        if not self.client.configured:
            return _fallback(ctx, options, "no VLM was given (--vlm DIR, or connect 'Load VLM')", progress)
        result = self.client.ask(ctx, options, list(options.object_names), progress)
        return discovery_from_answer(ctx, options, result.answer, result.warnings, result.answers, "vlm", progress)


class TextAnswerDiscoverer:
    """Objects from a VLM's answer given as text (ComfyUI's TextGenerate output, or a file)."""

    def __init__(self, answer: str | None = None, answer_file: str | os.PathLike | None = None) -> None:
        if answer is None and answer_file is not None:
            path = Path(answer_file)
            if not path.is_file():
                raise BadInputError(f"vlm_text: answer file not found: {path}")
            if path.stat().st_size > MAX_ANSWER_FILE_BYTES:
                raise BadInputError(f"vlm_text: {path.name} is larger than {MAX_ANSWER_FILE_BYTES} bytes; "
                                    "it is not a VLM's answer")
            answer = path.read_text(encoding="utf-8", errors="replace")
        self.answer = answer

    def discover(self, ctx: StageContext, options: Any, progress: ProgressCallback | None = None) -> Discovery:
        from ...perception.vlm_answer import VlmAnswerError, parse_answer

        if self.answer is None:
            return _fallback(ctx, options, "no VLM answer was given (--vlm-answer FILE, or connect a text)", progress,
                             backend="vlm_text")
        try:
            answer, warnings = parse_answer(self.answer), []
        except VlmAnswerError as exc:
            answer, warnings = None, [f"the given VLM answer is unusable: {exc}"]
        return discovery_from_answer(ctx, options, answer, warnings, [self.answer], "vlm_text", progress)


class VlmMass:
    """The VLM's mass of each object, clamped to what its measured size allows; the prior table where
    there is none (mass_source "prior", with a warning)."""

    def __init__(self, **client: Any) -> None:
        self.client = VlmClient(**client)

    def mass(self, ctx: StageContext, discovery: Discovery, geometry: SceneGeometry, options: Any,
             progress: ProgressCallback | None = None) -> list[MassEstimate]:
        from .prior_mass import PriorMass

        vlm_kg: list[float | None] = [o.mass_kg for o in discovery.objects]
        warnings: list[str] = []
        if any(m is None for m in vlm_kg) and discovery.objects:
            asked, why = self._ask(ctx, discovery, options, progress)
            vlm_kg = [m if m is not None else a for m, a in zip(vlm_kg, asked)]
            warnings += why
        priors = PriorMass().mass(ctx, discovery, geometry, options)
        out = []
        for i, (obj, geo, prior, kg) in enumerate(zip(discovery.objects, geometry.objects, priors, vlm_kg)):
            if kg is None:
                prior.warnings.insert(0, f"object {i}: no mass from the VLM; the prior table's mass is used")
                prior.backend = "vlm"  # the stage that ran; mass_source "prior" says where the value came from
                out.append(prior)
                continue
            est = MassEstimate(mass_kg=float(kg), source="vlm", confidence=VLM_MASS_CONFIDENCE,
                               material=obj.material or prior.material,
                               material_source=obj.material_source if obj.material else prior.material_source,
                               backend="vlm", extra={"vlm_mass_kg": float(kg)})
            limit = _max_mass_kg(geo.size_m)
            if limit is not None and kg > limit:
                est.mass_kg, est.confidence = limit, CLAMPED_MASS_CONFIDENCE
                est.warnings.append(f"object {i}: the VLM's {kg:g} kg is more than a {geo.size_m:.3g} m object can "
                                    f"weigh (even of the densest solid); clamped to {limit:.3g} kg")
            out.append(est)
        if out:
            out[0].warnings[:0] = warnings
        done(progress)
        return out

    def _ask(self, ctx: StageContext, discovery: Discovery, options: Any,
             progress: ProgressCallback | None) -> tuple[list[float | None], list[str]]:
        """Masses of the discovered objects from the VLM (matched by name, else in order)."""
        n = len(discovery.objects)
        if not self.client.configured or "vlm_answers" in discovery.extra:
            return [None] * n, []  # no VLM, or it was already asked about this clip (by the discoverer)
        names = [o.name for o in discovery.objects]
        result = self.client.ask(ctx, options, names, progress)
        if result.answer is None:
            return [None] * n, [f"mass: no usable VLM answer ({'; '.join(result.warnings) or 'none'})"]
        listed = [o for o in result.answer.objects if o.mass_kg is not None]
        by_name = {o.name.lower(): o.mass_kg for o in listed}
        masses = [by_name.get(name.lower()) for name in names]
        if any(m is None for m in masses) and len(listed) == n:
            masses = [m if m is not None else listed[i].mass_kg for i, m in enumerate(masses)]
        return masses, []


def _max_mass_kg(size_m: float | None) -> float | None:
    if size_m is None or not math.isfinite(size_m) or size_m <= 0:
        return None
    return DENSEST_SOLID_KG_M3 * (SIZE_MARGIN * size_m) ** 3


def _fake_answer_settings(ctx: StageContext, discovery: Discovery | None) -> dict[str, Any]:
    """For the contract test: a model whose answer is the clip's one object (the real tiny VLM's
    answers are random text, which only exercises the fallback; tests/perception run it)."""
    text = '{"objects": [{"name": "basketball", "action": "bouncing", "moving": true, "mass_kg": 0.6, ' \
           '"material": "rubber"}]}'
    return {"generate_text": lambda messages: text}


register_backend("discover", "vlm", VlmDiscoverer,
                 description="a vision-language model names the moving objects (not camera motion), their "
                             "action, material and mass; motion discovery when it gives no usable answer",
                 sources={"name_source": ("vlm", "user"), "material_source": "vlm"},
                 example_settings=_fake_answer_settings, settings=VLM_SETTINGS)
register_backend("discover", "vlm_text", TextAnswerDiscoverer,
                 description="objects and masses from a VLM's answer given as text (e.g. ComfyUI's Generate Text)",
                 sources={"name_source": ("vlm", "user"), "material_source": "vlm"},
                 example_settings=lambda ctx, d: {"answer": _fake_answer_settings(ctx, d)["generate_text"]([])},
                 settings=(BackendSetting("answer_file", "--vlm-answer", "a file with a VLM's answer (JSON objects "
                                          "list, see README)", metavar="FILE"),))
register_backend("mass", "vlm", VlmMass,
                 description="the VLM's mass of each object (from the 'vlm' discoverer's answer, or asked), "
                             "clamped to what its size allows; the prior table where it gives none",
                 sources={"mass_source": ("vlm", "prior"), "material_source": ("vlm", "prior")},
                 example_settings=_fake_answer_settings, settings=VLM_SETTINGS)
