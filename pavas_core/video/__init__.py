"""Video and audio I/O (PyAV): probe, decode at reduced size, resample by timestamp, encode, mux."""

from .audio_io import read_audio, write_wav
from .clip import AudioTrack, Clip
from .decode import clip_from_frames, read_video
from .encode import write_video
from .mux import mux_audio
from .probe import VideoInfo, probe_video
from .resample import frame_indices_for_times, resample_clip

__all__ = [
    "AudioTrack",
    "Clip",
    "VideoInfo",
    "clip_from_frames",
    "frame_indices_for_times",
    "mux_audio",
    "probe_video",
    "read_audio",
    "read_video",
    "resample_clip",
    "write_video",
    "write_wav",
]
