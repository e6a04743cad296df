"""Video and audio I/O (PyAV)."""

from .clip import AudioTrack, Clip

__all__ = ["AudioTrack", "Clip"]
