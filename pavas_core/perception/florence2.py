"""Florence-2 boxes for named objects, through transformers' native Florence2ForConditionalGeneration.

    det = load_florence2("models/LLM/Florence-2-base", dtype=torch.float16, device="cuda")
    boxes = det.detect(frame, "basketball")          # [(x0, y0, x1, y1), ...] in the frame's pixels

The folders are the native-format checkpoints (florence-community/Florence-2-base, -large, -ft);
the original microsoft/Florence-2-* folders hold remote code, which is only run when the user
switches trust_remote_code on. Florence-2 writes boxes as text: a label followed by four location
tokens <loc_0>…<loc_999> per box, each the box edge quantised to 1000 bins over the image's width or
height; `parse_locations` reads them back (bin b → (b + 0.5) / 1000 of the side).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import PavasError
from .hf_folder import check_transformers, check_weight_dtypes, load_failed, model_type, offline_kwargs

TASKS = ("<OPEN_VOCABULARY_DETECTION>", "<CAPTION_TO_PHRASE_GROUNDING>")
DEFAULT_TASK = TASKS[0]
LOCATION_BINS = 1000
MAX_NEW_TOKENS = 128  # a few boxes of one name: label + 4 tokens each
NUM_BEAMS = 3  # Florence-2's documented decoding for grounding tasks

_BOX = re.compile(r"([^<]*(?:<(?!loc_)[^>]*>[^<]*)*?)((?:<loc_\d{1,4}>){4})")
_LOC = re.compile(r"<loc_(\d{1,4})>")
_SPECIAL = re.compile(r"</?s>|<pad>|<unk>")


def parse_locations(text: str, width: int, height: int) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Every `label<loc_x0><loc_y0><loc_x1><loc_y1>` in Florence-2's text → (label, box in pixels).

    Boxes with x1 ≤ x0 or y1 ≤ y0 (a malformed answer) are dropped.
    """
    out = []
    clean = _SPECIAL.sub("", text)
    for match in _BOX.finditer(clean):
        label = " ".join(match.group(1).split())
        bins = [min(int(b), LOCATION_BINS - 1) for b in _LOC.findall(match.group(2))]
        x0, x1 = ((b + 0.5) / LOCATION_BINS * width for b in (bins[0], bins[2]))
        y0, y1 = ((b + 0.5) / LOCATION_BINS * height for b in (bins[1], bins[3]))
        if x1 > x0 and y1 > y0:
            out.append((label, (x0, y0, x1, y1)))
    return out


@dataclass(eq=False)
class Florence2Detector:
    model: Any
    processor: Any
    name: str
    task: str = DEFAULT_TASK
    max_new_tokens: int = MAX_NEW_TOKENS
    num_beams: int = NUM_BEAMS

    def generate_text(self, image: np.ndarray, prompt: str) -> str:
        import torch
        from PIL import Image

        param = next(self.model.parameters())
        inputs = self.processor(text=prompt, images=Image.fromarray(np.ascontiguousarray(image)), return_tensors="pt")
        inputs = {k: (v.to(device=param.device, dtype=param.dtype) if v.is_floating_point() else v.to(param.device))
                  for k, v in inputs.items() if isinstance(v, torch.Tensor)}
        with torch.inference_mode():
            ids = self.model.generate(**inputs, max_new_tokens=self.max_new_tokens, num_beams=self.num_beams,
                                      do_sample=False)
        return self.processor.batch_decode(ids, skip_special_tokens=False)[0]

    def detect(self, image: np.ndarray, name: str) -> list[tuple[float, float, float, float]]:
        """Boxes of `name` in one (H, W, 3) uint8 frame, in its pixels, in Florence-2's order."""
        text = self.generate_text(image, f"{self.task}{name}")
        h, w = image.shape[:2]
        return [box for _, box in parse_locations(text, w, h)]


def load_florence2(folder: str | os.PathLike, *, dtype: Any = None, device: Any = "cpu", task: str = DEFAULT_TASK,
                   trust_remote_code: bool = False) -> Florence2Detector:
    """Load a native-format Florence-2 folder (config.json model_type "florence2")."""
    transformers = check_transformers("Florence-2")
    if task not in TASKS:
        raise load_failed(folder, "Florence-2", ValueError(f"task must be one of {', '.join(TASKS)}"))
    kind = model_type(folder)
    cls = getattr(transformers, "Florence2ForConditionalGeneration", None)
    if cls is None:
        raise load_failed(folder, "Florence-2", ImportError(
            f"transformers {transformers.__version__} has no native Florence-2; upgrade it (pip install -r requirements.txt)"))
    if kind != "florence2" and not trust_remote_code:
        raise load_failed(folder, "Florence-2", ValueError(
            f"its config says model_type {kind!r}, not 'florence2' (use a native-format folder such as "
            "florence-community/Florence-2-base)"))
    check_weight_dtypes(folder, "Florence-2")
    try:
        processor = transformers.AutoProcessor.from_pretrained(str(folder), **offline_kwargs(trust_remote_code))
        model = cls.from_pretrained(str(folder), dtype=dtype, **offline_kwargs(trust_remote_code))
    except PavasError:
        raise
    except Exception as exc:
        raise load_failed(folder, "Florence-2", exc) from None
    return Florence2Detector(model=model.to(device).eval(), processor=processor, name=Path(folder).name, task=task)
