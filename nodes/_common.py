"""What every node module shares: categories, socket type names, input checks, UI previews."""

from __future__ import annotations

import random
import string
from typing import Any

from ..pavas_core.errors import BadInputError
from ..pavas_core.limits import MAX_SEED as LIMIT_MAX_SEED

# One top category with sub-paths (ComfyUI's "Add Node" menu).
CATEGORY_VIDEO = "PAVAS/video"
CATEGORY_PHYSICS = "PAVAS/physics"
CATEGORY_AUDIO = "PAVAS/audio"
CATEGORY_MMAUDIO = "PAVAS/mmaudio"

# Pack-specific socket types (persisted in saved workflows: never rename).
PAVAS_CLIP = "PAVAS_CLIP"
PAVAS_PHYSICS = "PAVAS_PHYSICS"
# the physics stages' results (Moving Objects → Object Masks → Metric Geometry → Object Mass)
PAVAS_OBJECTS = "PAVAS_OBJECTS"
PAVAS_MASKS = "PAVAS_MASKS"
PAVAS_GEOMETRY = "PAVAS_GEOMETRY"
PAVAS_MASS = "PAVAS_MASS"
PAVAS_BOXES = "PAVAS_BOXES"  # the boxes stage's result (prompts for a box-prompted segmenter)
# loaded perception models
PAVAS_VLM = "PAVAS_VLM"
PAVAS_FLORENCE2 = "PAVAS_FLORENCE2"
PAVAS_SAM2 = "PAVAS_SAM2"
PAVAS_MMAUDIO_MODEL = "PAVAS_MMAUDIO_MODEL"
PAVAS_MMAUDIO_FEATURES = "PAVAS_MMAUDIO_FEATURES"
PAVAS_PHY_ADAPTER = "PAVAS_PHY_ADAPTER"
PAVAS_PHY_CONDITIONING = "PAVAS_PHY_CONDITIONING"
PAVAS_TINY_MODEL = "PAVAS_TINY_MODEL"

# Upper bound of seed widgets (ComfyUI's own samplers use 2**64 - 1): the library's limit.
MAX_SEED = LIMIT_MAX_SEED


def expect(value: Any, cls: type, what: str, hint: str) -> Any:
    """Return `value` if it is a `cls`, else a BadInputError that says what to connect."""
    if not isinstance(value, cls):
        raise BadInputError(f"{what}: expected {hint}, got {type(value).__name__}")
    return value


def expect_physics(value: Any, what: str = "physics"):
    """A PhysicsTracks that passes validation (NaN masses, wrong lengths... are refused)."""
    from ..pavas_core.physics.tracks import PhysicsTracks

    tracks = expect(value, PhysicsTracks, what, "PAVAS_PHYSICS from 'Estimate Physics' or 'Edit Physics'")
    return tracks.validate()


def expect_clip(value: Any, what: str = "clip"):
    from ..pavas_core.video.clip import Clip

    return expect(value, Clip, what, "PAVAS_CLIP from 'Load Video (PAVAS)' or 'Clip From Frames'")


def backend_widget(stage: str, what: str) -> tuple:
    """A combo of the registered backends of a physics stage, the default first, each described."""
    from ..pavas_core.physics.stages import backend_info, backend_names, default_backend

    names = backend_names(stage)
    lines = "; ".join(f"{n}: {backend_info(stage, n).description}" for n in names)
    return (names, {"default": default_backend(stage), "tooltip": f"How {what}. {lines}."})


def split_names(text: str) -> list[str]:
    """'basketball, wooden block' (or one per line) → ['basketball', 'wooden block']."""
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


def physics_ui(tracks) -> dict:
    """The `ui` payload the web timeline widget draws (web/js/pavas_timeline.js)."""
    from ..pavas_core.physics.timeline import timeline_data

    return {"pavas_timeline": [timeline_data(tracks)]}


def _random_suffix(n: int = 5) -> str:
    return "".join(random.choice(string.ascii_lowercase) for _ in range(n))


def save_audio_preview(audio: dict, prefix: str = "PAVAS_preview") -> list[dict]:
    """Write each batch item of AUDIO as a WAV in ComfyUI's temp folder (like core PreviewAudio).

    Returns the `{"filename", "subfolder", "type"}` entries for the node's `{"ui": {"audio": ...}}`.
    """
    import os

    from ..pavas_core.comfy_types import audio_to_track
    from ..pavas_core.video import write_wav
    from ._comfy import folder_paths

    fp = folder_paths()
    temp_dir = fp.get_temp_directory()
    folder, filename, counter, subfolder, _ = fp.get_save_image_path(f"{prefix}_{_random_suffix()}", temp_dir)
    results = []
    batch = int(audio["waveform"].shape[0])
    for b in range(batch):
        name = f"{filename}_{counter + b:05}_.wav"
        write_wav(os.path.join(folder, name), audio_to_track(audio, batch_index=b))
        results.append({"filename": name, "subfolder": subfolder, "type": "temp"})
    return results


def save_image_preview(image_rgb_uint8, prefix: str = "PAVAS_plot") -> list[dict]:
    """Write one (H, W, 3) uint8 picture as PNG in the temp folder → `{"ui": {"images": ...}}` entries."""
    import os

    from PIL import Image

    from ._comfy import folder_paths

    fp = folder_paths()
    temp_dir = fp.get_temp_directory()
    folder, filename, counter, subfolder, _ = fp.get_save_image_path(f"{prefix}_{_random_suffix()}", temp_dir)
    name = f"{filename}_{counter:05}_.png"
    Image.fromarray(image_rgb_uint8).save(os.path.join(folder, name), compress_level=1)
    return [{"filename": name, "subfolder": subfolder, "type": "temp"}]
