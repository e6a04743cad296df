"""TEST-ONLY stand-ins for the parts of ComfyUI the pack touches. Not a product feature.

ComfyUI is not a pip package, so the node tests install these minimal modules into sys.modules:
`folder_paths`, `comfy.utils` (ProgressBar + the global hook that ComfyUI uses to interrupt),
`comfy.model_management`, `comfy.model_patcher`, `comfy_api.latest` (VIDEO types), and fake core
nodes (LoadVideo, GetVideoComponents, CreateVideo, SaveVideo) with the same widget
layout as ComfyUI 0.8's, so workflow files can be executed through the node classes.
The real thing is exercised by tests/integration (COMFYUI_PATH) and the acceptance harness.
"""

from __future__ import annotations

import os
import sys
import types
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

FAKE_MODULE_NAMES = (
    "folder_paths", "comfy", "comfy.utils", "comfy.model_management", "comfy.model_patcher",
    "comfy_api", "comfy_api.latest",
)
SUPPORTED_PT_EXTENSIONS = {".ckpt", ".pt", ".pt2", ".bin", ".pth", ".safetensors", ".pkl", ".sft"}


class InterruptProcessingException(Exception):
    """Same role as comfy.model_management.InterruptProcessingException."""


@dataclass
class FakeComfy:
    """Handles on the installed fakes (directories, recorded calls, the progress hook)."""

    base_dir: Path
    modules: dict[str, types.ModuleType]
    calls: dict[str, list]

    @property
    def input_dir(self) -> Path:
        return self.base_dir / "input"

    @property
    def output_dir(self) -> Path:
        return self.base_dir / "output"

    @property
    def temp_dir(self) -> Path:
        return self.base_dir / "temp"

    @property
    def models_dir(self) -> Path:
        return self.base_dir / "models"

    def set_progress_hook(self, hook, *, throttled: bool = False) -> None:
        """Install ComfyUI's global progress hook. `throttled`: the ProgressBar calls it only for the
        first and the last update, as ComfyUI ≥ 0.9.2 does when steps take less than 100 ms."""
        self.modules["comfy.utils"].PROGRESS_BAR_HOOK = hook
        self.modules["comfy.utils"].THROTTLED = throttled

    def press_cancel(self) -> None:
        """What the server's POST /interrupt does: set the flag that ComfyUI's checks raise on."""
        self.modules["comfy.model_management"].interrupted = True


def _make_folder_paths(base: Path) -> types.ModuleType:
    fp = types.ModuleType("folder_paths")
    fp.supported_pt_extensions = set(SUPPORTED_PT_EXTENSIONS)
    fp.models_dir = str(base / "models")
    fp.folder_names_and_paths = {"checkpoints": ([str(base / "models" / "checkpoints")], fp.supported_pt_extensions)}
    dirs = {"input": str(base / "input"), "output": str(base / "output"), "temp": str(base / "temp")}

    fp.get_input_directory = lambda: dirs["input"]
    fp.get_output_directory = lambda: dirs["output"]
    fp.get_temp_directory = lambda: dirs["temp"]

    def add_model_folder_path(name, path, is_default=False):
        if name in fp.folder_names_and_paths:
            paths = fp.folder_names_and_paths[name][0]
            if path not in paths:
                paths.insert(0, path) if is_default else paths.append(path)
        else:
            fp.folder_names_and_paths[name] = ([path], set())  # like ComfyUI: an empty filter lists everything

    def get_folder_paths(name):
        return list(fp.folder_names_and_paths[name][0])

    def get_filename_list(name):
        paths, exts = fp.folder_names_and_paths[name]
        out = set()
        for root in paths:
            if not os.path.isdir(root):
                continue
            for dirpath, _, files in os.walk(root, followlinks=True):
                for f in files:
                    rel = os.path.relpath(os.path.join(dirpath, f), root).replace(os.sep, "/")
                    if not exts or os.path.splitext(f)[1].lower() in exts:
                        out.add(rel)
        return sorted(out)

    def get_full_path(name, filename):
        if name not in fp.folder_names_and_paths:
            return None
        filename = os.path.relpath(os.path.join("/", filename), "/")
        for root in fp.folder_names_and_paths[name][0]:
            full = os.path.join(root, filename)
            if os.path.isfile(full):
                return full
        return None

    def annotated_filepath(name):
        for tag in ("output", "input", "temp"):
            suffix = f" [{tag}]"
            if name.endswith(suffix):
                return name[: -len(suffix)], dirs[tag]
        return name, None

    def get_annotated_filepath(name, default_dir=None):
        name, base_dir = annotated_filepath(name)
        return os.path.join(base_dir or default_dir or dirs["input"], name)

    def exists_annotated_filepath(name):
        return os.path.exists(get_annotated_filepath(name))

    def get_save_image_path(prefix, output_dir, width=0, height=0):
        subfolder = os.path.dirname(os.path.normpath(prefix))
        filename = os.path.basename(os.path.normpath(prefix))
        folder = os.path.join(output_dir, subfolder)
        os.makedirs(folder, exist_ok=True)
        counter = 1 + sum(1 for f in os.listdir(folder) if f.startswith(filename + "_"))
        return folder, filename, counter, subfolder, prefix

    for fn in (add_model_folder_path, get_folder_paths, get_filename_list, get_full_path, annotated_filepath,
               get_annotated_filepath, exists_annotated_filepath, get_save_image_path):
        setattr(fp, fn.__name__, fn)
    return fp


def _make_comfy(calls: dict[str, list]) -> dict[str, types.ModuleType]:
    comfy = types.ModuleType("comfy")
    comfy.__path__ = []  # a package
    utils = types.ModuleType("comfy.utils")
    utils.PROGRESS_BAR_HOOK = None
    utils.THROTTLED = False

    class ProgressBar:
        def __init__(self, total, node_id=None):
            self.total, self.current, self.node_id = total, 0, node_id
            self.hook = utils.PROGRESS_BAR_HOOK
            self.sent = False  # an update has been seen

        def update_absolute(self, value, total=None, preview=None):
            if total is not None:
                self.total = total
            self.current = min(value, self.total)
            calls["progress"].append((self.current, self.total))
            first, self.sent = not self.sent, True
            if utils.THROTTLED and not (first or preview is not None or self.current >= self.total):
                return
            if self.hook is not None:
                self.hook(self.current, self.total, preview, node_id=self.node_id)

        def update(self, value):
            self.update_absolute(self.current + value)

    utils.ProgressBar = ProgressBar

    mm = types.ModuleType("comfy.model_management")
    mm.InterruptProcessingException = InterruptProcessingException
    mm.interrupted = False

    def throw_exception_if_processing_interrupted():
        if mm.interrupted:
            mm.interrupted = False
            raise InterruptProcessingException()

    def load_models_gpu(models, memory_required=0, **_):
        calls["load_models_gpu"].append(list(models))
        for patcher in models:  # like ComfyUI: move, then record the device on the patched module
            patcher.model.to(patcher.load_device)
            patcher.model.device = patcher.load_device

    def soft_empty_cache(force=False):
        calls["soft_empty_cache"].append(force)

    import torch

    mm.throw_exception_if_processing_interrupted = throw_exception_if_processing_interrupted
    mm.load_models_gpu = load_models_gpu
    mm.soft_empty_cache = soft_empty_cache
    mm.get_torch_device = lambda: torch.device("cpu")
    mm.unet_offload_device = lambda: torch.device("cpu")
    mm.intermediate_device = lambda: torch.device("cpu")

    patcher_mod = types.ModuleType("comfy.model_patcher")

    class ModelPatcher:
        def __init__(self, model, load_device, offload_device, size=0, weight_inplace_update=False):
            self.model, self.load_device, self.offload_device, self.size = model, load_device, offload_device, size

    patcher_mod.ModelPatcher = ModelPatcher
    comfy.utils, comfy.model_management, comfy.model_patcher = utils, mm, patcher_mod
    return {"comfy": comfy, "comfy.utils": utils, "comfy.model_management": mm, "comfy.model_patcher": patcher_mod}


# --- comfy_api.latest: VIDEO ---------------------------------------------------------------------
@dataclass
class VideoComponents:
    images: Any
    frame_rate: Fraction
    audio: Any = None
    metadata: Any = None


class VideoFromFile:
    def __init__(self, path):
        self.path = str(path)

    def get_stream_source(self):
        return self.path

    def get_components(self) -> VideoComponents:
        import torch

        from pavas_core.video import read_video

        clip = read_video(self.path, with_audio=True)
        images = torch.from_numpy(clip.frames).float() / 255.0
        audio = None
        if clip.audio is not None:
            audio = {"waveform": torch.from_numpy(clip.audio.waveform)[None], "sample_rate": clip.audio.sample_rate_hz}
        return VideoComponents(images=images, frame_rate=Fraction(clip.fps).limit_denominator(1001), audio=audio)

    def get_dimensions(self):
        from pavas_core.video import probe_video

        info = probe_video(self.path)
        return info.width, info.height

    def save_to(self, path, format="auto", codec="auto", metadata=None):
        import shutil

        shutil.copyfile(self.path, path)


class VideoFromComponents:
    def __init__(self, components: VideoComponents):
        self.components = components

    def get_components(self) -> VideoComponents:
        return self.components

    def get_dimensions(self):
        return int(self.components.images.shape[2]), int(self.components.images.shape[1])

    def save_to(self, path, format="auto", codec="auto", metadata=None):
        from pavas_core.video import AudioTrack, write_video

        c = self.components
        frames = (c.images.clamp(0, 1) * 255).round().to(dtype=__import__("torch").uint8).numpy()
        track = None
        if c.audio is not None:
            track = AudioTrack(c.audio["waveform"][0].numpy().astype(np.float32), int(c.audio["sample_rate"]))
        write_video(path, frames, float(c.frame_rate), audio=track)


def _make_comfy_api() -> dict[str, types.ModuleType]:
    api = types.ModuleType("comfy_api")
    api.__path__ = []
    latest = types.ModuleType("comfy_api.latest")
    latest.InputImpl = types.SimpleNamespace(VideoFromFile=VideoFromFile, VideoFromComponents=VideoFromComponents)
    latest.Types = types.SimpleNamespace(VideoComponents=VideoComponents)
    latest.Input = types.SimpleNamespace(Video=object)
    api.latest = latest
    return {"comfy_api": api, "comfy_api.latest": latest}


def install(base_dir: Path) -> FakeComfy:
    """Put the fakes into sys.modules (call `uninstall` afterwards)."""
    for sub in ("input", "output", "temp", "models"):
        (base_dir / sub).mkdir(parents=True, exist_ok=True)
    calls: dict[str, list] = {"progress": [], "load_models_gpu": [], "soft_empty_cache": []}
    modules = {"folder_paths": _make_folder_paths(base_dir), **_make_comfy(calls), **_make_comfy_api()}
    for name in FAKE_MODULE_NAMES:
        if name in sys.modules:
            raise RuntimeError(f"{name} is already imported; the fakes would shadow a real module")
    sys.modules.update(modules)
    return FakeComfy(base_dir, modules, calls)


def uninstall() -> None:
    for name in FAKE_MODULE_NAMES:
        sys.modules.pop(name, None)


# --- fake core nodes (same inputs as ComfyUI 0.8.0's comfy_extras/nodes_video.py) ---
def _fp():
    return sys.modules["folder_paths"]


class LoadVideo:
    RETURN_TYPES = ("VIDEO",)
    FUNCTION = "load"

    @classmethod
    def INPUT_TYPES(cls):
        fp = _fp()
        files = sorted(f for f in os.listdir(fp.get_input_directory()) if f.endswith((".mp4", ".webm", ".mov")))
        return {"required": {"file": (files, {"video_upload": True})}}

    def load(self, file):
        return (VideoFromFile(_fp().get_annotated_filepath(file)),)


class GetVideoComponents:
    RETURN_TYPES = ("IMAGE", "AUDIO", "FLOAT")
    RETURN_NAMES = ("images", "audio", "fps")
    FUNCTION = "get"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"video": ("VIDEO",)}}

    def get(self, video):
        c = video.get_components()
        return (c.images, c.audio, float(c.frame_rate))


class CreateVideo:
    RETURN_TYPES = ("VIDEO",)
    FUNCTION = "create"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"images": ("IMAGE",), "fps": ("FLOAT", {"default": 30.0, "min": 1.0, "max": 120.0, "step": 1.0})},
                "optional": {"audio": ("AUDIO",)}}

    def create(self, images, fps, audio=None):
        return (VideoFromComponents(VideoComponents(images=images, audio=audio, frame_rate=Fraction(fps))),)


class SaveVideo:
    OUTPUT_NODE = True
    RETURN_TYPES = ()
    FUNCTION = "save"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"video": ("VIDEO",), "filename_prefix": ("STRING", {"default": "video/ComfyUI"}),
                             "format": (["auto", "mp4"], {"default": "auto"}),
                             "codec": (["auto", "h264"], {"default": "auto"})}}

    def save(self, video, filename_prefix, format, codec):
        fp = _fp()
        folder, name, counter, subfolder, _ = fp.get_save_image_path(filename_prefix, fp.get_output_directory())
        file = f"{name}_{counter:05}_.mp4"
        video.save_to(os.path.join(folder, file), format=format, codec=codec)
        return {"ui": {"images": [{"filename": file, "subfolder": subfolder, "type": "output"}], "animated": (True,)}}


class MaskToImage:
    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "convert"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"mask": ("MASK",)}}

    def convert(self, mask):
        return (mask.reshape((-1, 1, mask.shape[-2], mask.shape[-1])).movedim(1, -1).expand(-1, -1, -1, 3),)


class ImageFromBatch:
    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "frombatch"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"image": ("IMAGE",), "batch_index": ("INT", {"default": 0, "min": 0, "max": 4095}),
                             "length": ("INT", {"default": 1, "min": 1, "max": 4096})}}

    def frombatch(self, image, batch_index, length):
        batch_index = min(image.shape[0] - 1, batch_index)
        return (image[batch_index : batch_index + min(image.shape[0] - batch_index, length)].clone(),)


class PreviewImage:
    OUTPUT_NODE = True
    RETURN_TYPES = ()
    FUNCTION = "save_images"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"images": ("IMAGE",)}}

    def save_images(self, images):
        from PIL import Image

        fp = _fp()
        folder, name, counter, subfolder, _ = fp.get_save_image_path("ComfyUI_temp", fp.get_temp_directory())
        results = []
        for b, image in enumerate(images):
            file = f"{name}_{counter + b:05}_.png"
            Image.fromarray((image.numpy() * 255).clip(0, 255).astype(np.uint8)).save(os.path.join(folder, file))
            results.append({"filename": file, "subfolder": subfolder, "type": "temp"})
        return {"ui": {"images": results}}


CORE_NODES = {
    "MaskToImage": MaskToImage,
    "ImageFromBatch": ImageFromBatch,
    "PreviewImage": PreviewImage,
    "LoadVideo": LoadVideo,
    "GetVideoComponents": GetVideoComponents,
    "CreateVideo": CreateVideo,
    "SaveVideo": SaveVideo,
}
