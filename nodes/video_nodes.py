"""Video in and out: load a clip (file, IMAGE + fps, or VIDEO) and put sound into a VIDEO."""

from __future__ import annotations

import os
import shutil
import uuid
from fractions import Fraction
from pathlib import Path

from ..pavas_core.errors import BadInputError
from ..pavas_core.fileio import atomic_output, check_input_file
from ._comfy import folder_paths, log, optional_module
from ._common import CATEGORY_VIDEO, PAVAS_CLIP, expect_clip

# Files the load node lists from the input folder (what PyAV decodes and browsers preview).
VIDEO_SUFFIXES = (".mp4", ".webm", ".mov", ".mkv", ".avi", ".m4v", ".mpg", ".mpeg")
# Example videos that ship with the pack (assets/), offered in the load node's list.
PACK_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_VIDEOS = ("pavas_bounce_demo.mp4",)

_CLIP_OUTPUTS = ("IMAGE", "FLOAT", "AUDIO", PAVAS_CLIP)
_CLIP_OUTPUT_NAMES = ("frames", "fps", "audio", "clip")
_CLIP_OUTPUT_TOOLTIPS = (
    "The decoded frames as IMAGE [frames, height, width, 3] (0..1).",
    "The frame rate of `frames` in frames per second (pass it on with the frames: IMAGE has none).",
    "The clip's own sound at its true sample rate (silence of the clip's length if it has none).",
    "The clip (frames + real timestamps + sound) for the PAVAS nodes.",
)


def install_example_videos() -> list[str]:
    """Copy the pack's example videos into ComfyUI's input folder when they are not there yet.

    The frontend previews a selected file with /view?type=input, and core nodes (LoadVideo) list
    only the input folder, so an example must really be a file there: a name that merely appears
    in the list would 404 in the preview. A user's file of the same name is never overwritten.
    Returns the names now available.
    """
    fp = optional_module("folder_paths")
    if fp is None:
        return []
    input_dir = Path(fp.get_input_directory())
    available = []
    for name in EXAMPLE_VIDEOS:
        source = PACK_ROOT / "assets" / name
        target = input_dir / name
        if target.is_file():
            available.append(name)
            continue
        if os.path.lexists(target):  # a folder, FIFO, device or broken link of that name: leave it alone
            log.warning("PAVAS: %s exists in %s and is not a regular file; the example is not copied", name, input_dir)
            continue
        if not source.is_file():
            continue
        try:
            with atomic_output(target) as partial:  # whole file or nothing
                shutil.copyfile(source, partial)
            available.append(name)
        except OSError as exc:
            log.warning("PAVAS: could not copy the example %s into %s (%s)", name, input_dir, exc)
    return available


def list_input_videos() -> list[str]:
    """Video files at the top of ComfyUI's input folder (with the pack's examples), sorted."""
    fp = optional_module("folder_paths")
    if fp is None:
        return list(EXAMPLE_VIDEOS)
    install_example_videos()
    input_dir = fp.get_input_directory()
    try:
        names = [n for n in os.listdir(input_dir) if os.path.isfile(os.path.join(input_dir, n))]
    except OSError:
        names = []
    return sorted(n for n in names if n.lower().endswith(VIDEO_SUFFIXES))


def resolve_input_file(name: str) -> str:
    """Path of `name` inside ComfyUI's input (or [output]/[temp]-annotated) folder; no traversal."""
    fp = folder_paths()
    if not isinstance(name, str) or not name.strip():
        raise BadInputError("no video selected: pick a file in the list or upload one")
    if "\x00" in name:
        raise BadInputError(f"video name {name!r} contains a NUL byte; pick a file in the list")
    path = fp.get_annotated_filepath(name)
    _, base_dir = fp.annotated_filepath(name)
    base = os.path.realpath(base_dir or fp.get_input_directory())
    real = os.path.realpath(path)
    if os.path.commonpath([base, real]) != base:
        raise BadInputError(f"{name!r} is outside ComfyUI's input folder; upload the file instead")
    if not os.path.lexists(real):
        raise BadInputError(f"video {name!r} not found in ComfyUI's input folder ({base}); upload it again")
    return str(check_input_file(real, "video"))  # a directory, FIFO or device is refused here


def clip_outputs(clip) -> tuple:
    """(frames IMAGE, fps, AUDIO, clip) for a Clip: the four outputs of the clip nodes."""
    from ..pavas_core.comfy_types import clip_to_image, silent_audio, track_to_audio

    if clip.audio is not None:
        audio = track_to_audio(clip.audio)
    else:
        log.warning("PAVAS: %s has no sound; its audio output is %.2f s of silence",
                    clip.source_path or "the clip", clip.duration_s)
        audio = silent_audio(clip.duration_s)
    return (clip_to_image(clip), float(clip.fps), audio, clip)


class PavasLoadVideo:
    """Decode a video from ComfyUI's input folder into frames, frame rate, sound and a PAVAS clip."""

    DESCRIPTION = ("Loads a video from ComfyUI's input folder (upload or pick one; the pack's example "
                   "pavas_bounce_demo.mp4 is always listed) with its real frame timing and its sound.")
    CATEGORY = CATEGORY_VIDEO
    FUNCTION = "load"
    FILE_INPUTS = ("video",)  # resolved (and checked) by resolve_input_file
    RETURN_TYPES = _CLIP_OUTPUTS
    RETURN_NAMES = _CLIP_OUTPUT_NAMES
    OUTPUT_TOOLTIPS = _CLIP_OUTPUT_TOOLTIPS

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "video": (list_input_videos(), {
                    "video_upload": True,
                    "tooltip": "A video file in ComfyUI's input folder (mp4, webm, mov, mkv, ...). "
                               "Use 'choose file to upload' to add one.",
                }),
                "max_side": ("INT", {
                    "default": 512, "min": 0, "max": 8192, "step": 16,
                    "tooltip": "Longest side of the decoded frames in pixels (0 keeps the file's size). "
                               "Physics runs well at 320-512; smaller is faster and uses less memory.",
                }),
                "force_fps": ("FLOAT", {
                    "default": 0.0, "min": 0.0, "max": 240.0, "step": 0.01,
                    "tooltip": "Resample the frames to this frame rate (0 keeps the file's own timing).",
                }),
                "start_s": ("FLOAT", {
                    "default": 0.0, "min": 0.0, "max": 86400.0, "step": 0.01,
                    "tooltip": "Skip this many seconds from the start of the file.",
                }),
                "max_duration_s": ("FLOAT", {
                    "default": 0.0, "min": 0.0, "max": 86400.0, "step": 0.1,
                    "tooltip": "Load at most this many seconds (0 loads to the end).",
                }),
            },
        }

    @classmethod
    def IS_CHANGED(cls, video, **_):
        try:
            return os.path.getmtime(resolve_input_file(video))
        except Exception:  # validation reports the problem; here any value re-runs the node
            return float("nan")

    def load(self, video, max_side, force_fps, start_s, max_duration_s):
        from ..pavas_core.video import read_video
        from ._comfy import progress_callback

        clip = read_video(
            resolve_input_file(video),
            max_side=int(max_side) or None,
            target_fps=float(force_fps) or None,
            start_s=float(start_s),
            max_duration_s=float(max_duration_s) or None,
            with_audio=True,
            progress=progress_callback(),
        )
        # The whole file, at its own timing: Mux Audio Into Video can copy its pictures untouched.
        clip.metadata["whole_file"] = not (float(start_s) or float(max_duration_s) or float(force_fps))
        return clip_outputs(clip)


class PavasClipFromFrames:
    """Make a PAVAS clip from IMAGE frames + fps (+ AUDIO), or from a core VIDEO."""

    DESCRIPTION = ("Turns frames from any node (a video model, VideoHelperSuite, Get Video Components) "
                   "into a PAVAS clip. Connect either `images` (and set fps), or a VIDEO.")
    CATEGORY = CATEGORY_VIDEO
    FUNCTION = "make_clip"
    RETURN_TYPES = _CLIP_OUTPUTS
    RETURN_NAMES = _CLIP_OUTPUT_NAMES
    OUTPUT_TOOLTIPS = _CLIP_OUTPUT_TOOLTIPS

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "fps": ("FLOAT", {
                    "default": 24.0, "min": 0.01, "max": 1000.0, "step": 0.01,
                    "tooltip": "Frame rate of `images` in frames per second (IMAGE carries none, so set the "
                               "rate the frames were made at). Ignored when a VIDEO is connected.",
                }),
            },
            "optional": {
                "images": ("IMAGE", {"tooltip": "The frames [frames, height, width, 3]."}),
                "audio": ("AUDIO", {"tooltip": "Sound that belongs to the frames (optional; any AUDIO, "
                                               "VideoHelperSuite's too)."}),
                "video": ("VIDEO", {"tooltip": "A core VIDEO (Load Video, Create Video); its frames, rate and "
                                               "sound are used instead of `images`/`fps`/`audio`."}),
            },
        }

    def make_clip(self, fps, images=None, audio=None, video=None):
        from ..pavas_core.comfy_types import clip_from_comfy

        if video is not None:
            if not hasattr(video, "get_components"):
                raise BadInputError(f"video: expected a VIDEO, got {type(video).__name__}")
            components = video.get_components()
            clip = clip_from_comfy(components.images, components.frame_rate, components.audio)
        elif images is not None:
            clip = clip_from_comfy(images, fps, audio)
        else:
            raise BadInputError("connect `images` (with its fps) or a `video` to make a clip")
        return clip_outputs(clip)


class PavasMuxVideo:
    """Put a sound into a video: outputs a core VIDEO (save it with Save Video)."""

    DESCRIPTION = ("Replaces the sound of a video with `audio` (cut or padded with silence to the video's "
                   "length), or with keep_original_audio adds it to the video's own sound (kept in its sample rate "
                   "and channel layout; the new sound goes into the centre channel, or front left/right at -3 dB). "
                   "Accepts a core VIDEO or a PAVAS clip; outputs a core VIDEO.")
    CATEGORY = CATEGORY_VIDEO
    FUNCTION = "mux"
    RETURN_TYPES = ("VIDEO",)
    RETURN_NAMES = ("video",)
    OUTPUT_TOOLTIPS = ("The video with the new sound (connect Save Video, or Get Video Components).",)

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "audio": ("AUDIO", {"tooltip": "The sound to put into the video (any sample rate)."}),
            },
            "optional": {
                "video": ("VIDEO", {"tooltip": "A core VIDEO; its frames and frame rate are kept."}),
                "clip": (PAVAS_CLIP, {"tooltip": "A PAVAS clip (used when no VIDEO is connected)."}),
                "keep_original_audio": ("BOOLEAN", {
                    "default": False,
                    "tooltip": "Keep the video's own sound (its sample rate and channels, e.g. 5.1) and add `audio` "
                               "to it: into the centre channel where there is one, else front left and right at "
                               "-3 dB each. Off: `audio` replaces it."}),
                "original_gain_db": ("FLOAT", {
                    "default": 0.0, "min": -60.0, "max": 12.0, "step": 0.5,
                    "tooltip": "With keep_original_audio: gain of the video's own sound in the mix (0 = as it was; "
                               "e.g. -6 to put it under the new sound)."}),
            },
        }

    def mux(self, audio, video=None, clip=None, keep_original_audio=False, original_gain_db=0.0):
        from ..pavas_core.comfy_types import audio_to_track, frames_to_image, track_to_audio
        from ..pavas_core.video.audio_io import fit_audio_to_duration
        from ..pavas_core.video.encode import fraction_rate

        track = audio_to_track(audio, what="audio")  # validates (any Mapping, finite samples)
        if clip is not None and video is None:
            clip = expect_clip(clip)
        keep_gain_db = float(original_gain_db) if keep_original_audio else None
        source = _copyable_source_file(video, clip)
        if source is not None:
            return (self._mux_into_copy(source, track, keep_gain_db),)
        original = None
        if video is not None:
            if not hasattr(video, "get_components"):
                raise BadInputError(f"video: expected a VIDEO, got {type(video).__name__}")
            components = video.get_components()
            images, frame_rate = components.images, Fraction(components.frame_rate)
            if keep_gain_db is not None and getattr(components, "audio", None) is not None:
                original = audio_to_track(components.audio, what="the video's own sound")
        elif clip is not None:
            images, frame_rate = frames_to_image(clip.frames), fraction_rate(clip.fps)
            original = clip.audio if keep_gain_db is not None else None
        else:
            raise BadInputError("connect a `video` or a `clip` to put the sound into")
        duration_s = int(images.shape[0]) / float(frame_rate)
        if keep_gain_db is not None:
            track = self._keep_original(original, track, keep_gain_db, duration_s)
        comfy_audio = track_to_audio(fit_audio_to_duration(track, duration_s))
        api = optional_module("comfy_api.latest")
        if api is None:
            raise RuntimeError("Mux Audio Into Video needs ComfyUI's comfy_api (ComfyUI 0.3.40 or newer)")
        components = api.Types.VideoComponents(images=images, audio=comfy_audio, frame_rate=frame_rate)
        return (api.InputImpl.VideoFromComponents(components),)


    @staticmethod
    def _keep_original(original, track, gain_db: float, duration_s: float):
        """`track` mixed into the in-memory video's own sound (or alone, with a note, when it has none)."""
        from ..pavas_core.video.keep_audio import mix_under_original

        if original is None:
            log.info("PAVAS Mux Audio Into Video: the video has no sound of its own to keep; the new sound alone is used")
            return track
        mixed, notes = mix_under_original(original, track, original_gain_db=gain_db, duration_s=duration_s)
        for note in notes:
            log.info("PAVAS Mux Audio Into Video: %s", note)
        return mixed

    @staticmethod
    def _mux_into_copy(source: str, track, keep_gain_db: float | None = None):
        """The source file's picture stream copied as is (full size, no re-encoding) with the new sound
        (mixed into the file's own sound with keep_gain_db)."""
        from ..pavas_core.video import mux_audio

        api = optional_module("comfy_api.latest")
        if api is None:
            raise RuntimeError("Mux Audio Into Video needs ComfyUI's comfy_api (ComfyUI 0.3.40 or newer)")
        out = Path(folder_paths().get_temp_directory()) / f"PAVAS_mux_{uuid.uuid4().hex[:12]}.mp4"
        for note in mux_audio(source, track, out, keep_original_gain_db=keep_gain_db):
            log.info("PAVAS Mux Audio Into Video: %s", note)
        return api.InputImpl.VideoFromFile(str(out))


def _copyable_source_file(video, clip) -> str | None:
    """The file whose pictures the output takes: a core VIDEO loaded from a file, or a clip that
    holds a whole file at its own timing (mux_audio copies the picture stream where .mp4 can hold
    it, else re-encodes it at full size). None when the pictures exist only in memory or were cut
    or resampled: those are encoded from the frames."""
    if video is not None:
        if type(video).__name__ != "VideoFromFile" or not hasattr(video, "get_stream_source"):
            return None
        try:
            source = video.get_stream_source()
        except Exception:  # a VIDEO implementation we do not know: encode from its frames instead
            return None
    elif clip is not None and clip.metadata.get("whole_file"):
        source = clip.source_path
    else:
        return None
    if isinstance(source, str) and os.path.isfile(source):
        return source
    return None


NODE_CLASS_MAPPINGS = {
    "PAVAS_LoadVideo": PavasLoadVideo,
    "PAVAS_ClipFromFrames": PavasClipFromFrames,
    "PAVAS_MuxVideo": PavasMuxVideo,
}
NODE_DISPLAY_NAME_MAPPINGS = {
    "PAVAS_LoadVideo": "Load Video (PAVAS)",
    "PAVAS_ClipFromFrames": "Clip From Frames or Video",
    "PAVAS_MuxVideo": "Mux Audio Into Video",
}
