"""The model folders the pack reads weights from, registered with ComfyUI's folder_paths.

`folder_paths.add_model_folder_path` creates a new folder name with an EMPTY extension set, and an
empty set lists every file (configs, READMEs, half-downloaded files). So after adding each folder
we make sure its extension set holds the weight suffixes. A folder that another pack or
extra_model_paths.yaml already registered keeps its paths; ours is added beside them.
"""

from __future__ import annotations

import os

from ._comfy import folder_paths, log, optional_module

WEIGHT_EXTENSIONS = frozenset({".safetensors", ".sft", ".pth", ".pt", ".ckpt", ".bin"})

# folder name under ComfyUI/models → what goes there (shown in errors and docs)
MODEL_FOLDERS: dict[str, str] = {
    "mmaudio": "MMAudio networks, VAEs, vocoders, Synchformer and CLIP weights",
    "pavas": "PAVAS Phy-Adapter weights and PAVAS-tiny checkpoints",
    "sam2": "SAM-2 video segmentation weights",
    "cut3r": "CUT3R 3D reconstruction weights",
    "LLM": "vision-language and Florence-2 models",
    "depth": "metric depth models (transformers folders: Depth Anything V2 metric, Depth Pro)",
}


def register_model_folders() -> None:
    """Add models/<name> for each folder (no-op outside ComfyUI). Safe to call more than once."""
    fp = optional_module("folder_paths")
    if fp is None:
        return
    for name in MODEL_FOLDERS:
        path = os.path.join(fp.models_dir, name)
        fp.add_model_folder_path(name, path)
        paths, extensions = fp.folder_names_and_paths[name]
        if not extensions:
            # keep the tuple's list object (other code may hold it) but give it a real filter
            fp.folder_names_and_paths[name] = (paths, set(WEIGHT_EXTENSIONS))
        try:
            os.makedirs(path, exist_ok=True)  # shows users where the files go
        except OSError as exc:
            log.warning("PAVAS: could not create model folder %s (%s)", path, exc)


def list_models(folder: str) -> list[str]:
    """File names (relative, with sub-folders) in a registered model folder; [] outside ComfyUI."""
    fp = optional_module("folder_paths")
    if fp is None or folder not in getattr(fp, "folder_names_and_paths", {}):
        return []
    return sorted(fp.get_filename_list(folder))


def model_path(folder: str, name: str) -> str:
    """Absolute path of `name` in models/<folder>, or MissingWeightsError naming file and folders."""
    from ..pavas_core.errors import MissingWeightsError

    fp = folder_paths()
    path = fp.get_full_path(folder, name) if name else None
    if path is None or not os.path.isfile(path):
        where = ", ".join(fp.get_folder_paths(folder)) if folder in fp.folder_names_and_paths else f"models/{folder}"
        raise MissingWeightsError(
            f"weight file {name!r} not found in models/{folder} (searched: {where}); "
            f"put the file there, or pick another one in the loader's list"
        )
    return path


def list_model_dirs(folder: str, *, model_types: tuple[str, ...] | None = None,
                    exclude_types: tuple[str, ...] = ()) -> list[str]:
    """Model folders (a config.json inside) directly in a registered model folder, or one level
    down (e.g. LLM/Qwen/Qwen2.5-VL-3B-Instruct), filtered by config.json's model_type; [] outside ComfyUI."""
    from ..pavas_core.perception.hf_folder import model_type

    fp = optional_module("folder_paths")
    if fp is None or folder not in getattr(fp, "folder_names_and_paths", {}):
        return []
    found = set()
    for base in fp.get_folder_paths(folder):
        if not os.path.isdir(base):
            continue
        candidates = []
        for entry in sorted(os.listdir(base)):
            path = os.path.join(base, entry)
            if not os.path.isdir(path):
                continue
            if os.path.isfile(os.path.join(path, "config.json")):
                candidates.append(entry)
            else:  # one level down: an organisation folder (LLM/Qwen/...)
                candidates += [f"{entry}/{sub}" for sub in sorted(os.listdir(path))
                               if os.path.isfile(os.path.join(path, sub, "config.json"))]
        for rel in candidates:
            try:
                kind = model_type(os.path.join(base, rel))
            except Exception:  # an unreadable config: not a model folder we can list
                continue
            if (model_types is None or kind in model_types) and kind not in exclude_types:
                found.add(rel)
    return sorted(found)


def model_dir_path(folder: str, name: str) -> str:
    """Absolute path of model folder `name` in models/<folder>, or MissingWeightsError."""
    from ..pavas_core.errors import MissingWeightsError

    fp = folder_paths()
    if name and ".." not in name.replace("\\", "/").split("/"):
        for base in fp.get_folder_paths(folder):
            path = os.path.join(base, name)
            if os.path.isfile(os.path.join(path, "config.json")):
                return path
    where = ", ".join(fp.get_folder_paths(folder)) if folder in fp.folder_names_and_paths else f"models/{folder}"
    raise MissingWeightsError(f"model folder {name!r} not found in models/{folder} (searched: {where}); put the "
                              "whole model folder (config.json, weights, processor files) there")
