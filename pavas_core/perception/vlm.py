"""A vision-language model (any image-text-to-text model transformers supports natively: Qwen2.5-VL,
Qwen3-VL, SmolVLM2, InternVL, ...) asked which objects move in a clip and how heavy they are.

    vlm = load_vlm("models/LLM/Qwen2.5-VL-3B-Instruct", dtype=torch.bfloat16, device="cuda")
    result = ask_objects(vlm, frames, duration_s=3.0, num_frames=8)

A few frames sampled evenly over the clip (not the whole clip) go to the model as images, with the
question of vlm_answer.py. An answer that cannot be read is asked again, with the reason, at most
`retries` times; then the caller falls back (and says so).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import PavasError
from ..progress import ProgressCallback, report
from . import MODEL_FAILURES
from .hf_folder import check_transformers, check_weight_dtypes, load_failed, model_type, offline_kwargs
from .vlm_answer import VlmAnswer, VlmAnswerError, build_prompt, parse_answer, retry_prompt

DEFAULT_NUM_FRAMES = 8
DEFAULT_IMAGE_MAX_SIDE = 448  # the frames' longest side as given to the processor (it resizes further)
DEFAULT_MAX_NEW_TOKENS = 384
DEFAULT_RETRIES = 2


@dataclass(eq=False)
class VisionLanguageModel:
    """A loaded model and its processor. `generate_text(messages)` → the model's answer.

    messages: chat messages in transformers' format; images appear as {"type": "image", "image": PIL}.
    """

    model: Any
    processor: Any
    name: str

    def generate_text(self, messages: list[dict], max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
                      progress: ProgressCallback | None = None) -> str:
        """The answer to `messages`; `progress` hears (tokens so far, max_new_tokens) after every
        token, so a Cancel (the callback raising, or returning False) stops within one token."""
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList

        class _EveryToken(StoppingCriteria):
            def __init__(self) -> None:
                self.count = 0

            def __call__(self, input_ids, scores, **kwargs):
                self.count += 1
                report(progress, min(self.count, int(max_new_tokens)), int(max_new_tokens))
                return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)

        param = next(self.model.parameters())
        inputs = self.processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=True,
                                                    return_dict=True, return_tensors="pt")
        inputs = {k: (v.to(device=param.device, dtype=param.dtype) if v.is_floating_point() else v.to(param.device))
                  if isinstance(v, torch.Tensor) else v for k, v in inputs.items()}
        with torch.inference_mode():
            out = self.model.generate(**inputs, max_new_tokens=int(max_new_tokens), do_sample=False,
                                      stopping_criteria=StoppingCriteriaList([_EveryToken()]))
        new_tokens = out[:, inputs["input_ids"].shape[1]:]
        return self.processor.batch_decode(new_tokens, skip_special_tokens=True)[0]


def load_vlm(folder: str | os.PathLike, *, dtype: Any = None, device: Any = "cpu",
             trust_remote_code: bool = False) -> VisionLanguageModel:
    """Load a native transformers image-text-to-text model and its processor from a local folder."""
    transformers = check_transformers("the VLM")
    kind = model_type(folder)
    if kind == "florence2":
        raise load_failed(folder, "a VLM", ValueError("this is a Florence-2 folder; load it with the Florence-2 loader"))
    check_weight_dtypes(folder, "an image-text-to-text model")
    try:
        processor = transformers.AutoProcessor.from_pretrained(str(folder), **offline_kwargs(trust_remote_code))
        model = transformers.AutoModelForImageTextToText.from_pretrained(
            str(folder), dtype=dtype, **offline_kwargs(trust_remote_code))
    except PavasError:
        raise
    except Exception as exc:  # unsupported model type, missing weights, broken files
        raise load_failed(folder, "an image-text-to-text model", exc) from None
    model = model.to(device).eval()
    return VisionLanguageModel(model=model, processor=processor, name=Path(folder).name)


def sample_frames(frames: np.ndarray, num_frames: int, max_side: int = DEFAULT_IMAGE_MAX_SIDE) -> list[Any]:
    """`num_frames` frames evenly spaced over (T, H, W, 3) uint8 frames, as PIL images ≤ max_side."""
    from PIL import Image

    t = int(frames.shape[0])
    idx = np.unique(np.round(np.linspace(0, t - 1, max(1, min(num_frames, t)))).astype(int))
    out = []
    for k in idx:
        img = Image.fromarray(np.ascontiguousarray(frames[k]))
        scale = max_side / max(img.size)
        if scale < 1.0:
            img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))), Image.BILINEAR)
        out.append(img)
    return out


@dataclass
class AskResult:
    answer: VlmAnswer | None  # None when no answer could be read
    answers: list[str] = field(default_factory=list)  # every raw answer, in order
    warnings: list[str] = field(default_factory=list)


def ask_objects(generate_text: Callable[[list[dict]], str], frames: np.ndarray, *, duration_s: float,
                num_frames: int = DEFAULT_NUM_FRAMES, object_names: Sequence[str] = (), max_objects: int = 4,
                retries: int = DEFAULT_RETRIES, image_max_side: int = DEFAULT_IMAGE_MAX_SIDE,
                progress: ProgressCallback | None = None) -> AskResult:
    """Ask which objects move (and their masses); read the answer strictly, ask again on failure.

    generate_text: messages → answer text (VisionLanguageModel.generate_text, or a test's fake).
    A model error while answering (out of memory, a broken processor) ends the asking with a warning,
    not a crash: the caller falls back visibly. Cancellation and a model that cannot load (the
    pack's own errors: missing package, unsupported folder) pass through.
    """
    images = sample_frames(frames, num_frames, image_max_side)
    prompt = build_prompt(num_frames=len(images), duration_s=duration_s, object_names=object_names,
                          max_objects=max_objects)
    messages: list[dict] = [{"role": "user", "content": [*({"type": "image", "image": im} for im in images),
                                                         {"type": "text", "text": prompt}]}]
    result = AskResult(answer=None)
    attempts = 1 + max(0, int(retries))
    for attempt in range(attempts):
        report(progress, attempt, attempts)
        try:
            text = generate_text(messages)
        except (PavasError, KeyboardInterrupt):  # cancelled, or a model that cannot load: the user must know
            raise
        except MODEL_FAILURES as exc:  # the model failed while answering (memory, a broken processor)
            detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
            result.warnings.append(f"the VLM failed to answer ({type(exc).__name__}: {detail})")
            return result
        result.answers.append(text)
        try:
            result.answer = parse_answer(text, max_objects=1024)
            break
        except VlmAnswerError as exc:
            reason = str(exc)
            result.warnings.append(f"VLM answer {attempt + 1} of at most {attempts} unusable: {reason}")
            messages = messages + [{"role": "assistant", "content": [{"type": "text", "text": text[:4000]}]},
                                   {"role": "user", "content": [{"type": "text", "text": retry_prompt(reason)}]}]
    report(progress, attempts, attempts)
    if result.answer is not None:
        result.warnings = []  # an answer was read in the end: the failed tries are in `answers`
    return result
