"""Rotation metadata: a phone clip stored landscape with a 90° flag is portrait everywhere.

The clips are written with PyAV's display matrix (what phones write); pictures are stored turned
so that the displayed picture has a white marker in its top-left corner and a block that moves
down the (portrait) picture, so a wrong turn (or none) shows in the marker's place.
"""

from __future__ import annotations

import json

import av
import numpy as np
import pytest

from pavas_core.pipeline import RunOptions, run_job
from pavas_core.video import AudioTrack, mux_audio, probe_video, read_video

SHOWN_W, SHOWN_H = 36, 64  # the displayed (portrait) picture; stored 64×36


def displayed_frame(index: int, width: int = SHOWN_W, height: int = SHOWN_H) -> np.ndarray:
    picture = np.zeros((height, width, 3), np.uint8)
    picture[:6, :6] = 255  # the marker: top-left of the displayed picture
    top = height // 4 + 2 * index * height // 64
    picture[top:top + height // 8, width // 3:width // 3 + width // 4] = 180  # a block moving down
    return picture


def write_rotated(path, rotation_deg: float, *, frames: int = 8, fps: float = 10.0, scale: int = 1,
                  with_audio: bool = False) -> None:
    """Store the displayed frames turned by −rotation_deg, flagged to be shown turned by rotation_deg
    (counter-clockwise, FFmpeg's display-matrix convention)."""
    turns = int(round(rotation_deg / 90)) % 4
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=int(fps))
        shown = displayed_frame(0, SHOWN_W * scale, SHOWN_H * scale)
        stored = np.rot90(shown, -turns)
        stream.height, stream.width = stored.shape[:2]
        stream.pix_fmt = "yuv420p"
        stream.set_display_rotation(rotation_deg)
        audio_stream = None
        if with_audio:
            audio_stream = container.add_stream("aac", rate=16000)
            audio_stream.layout = "mono"
        for i in range(frames):
            stored = np.ascontiguousarray(np.rot90(displayed_frame(i, SHOWN_W * scale, SHOWN_H * scale), -turns))
            for packet in stream.encode(av.VideoFrame.from_ndarray(stored, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
        if audio_stream is not None:
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 16000), np.float32), format="fltp", layout="mono")
            frame.sample_rate = 16000
            for packet in audio_stream.encode(frame):
                container.mux(packet)
            for packet in audio_stream.encode(None):
                container.mux(packet)


def marker_corner(picture: np.ndarray) -> tuple[int, int]:
    """(row, col) of the bright marker's centroid, as fractions of the picture rounded to 0/1."""
    rows, cols = np.nonzero(picture.mean(axis=2) > 220)
    return int(round(rows.mean() / picture.shape[0])), int(round(cols.mean() / picture.shape[1]))


@pytest.mark.parametrize("rotation_deg", [-90.0, 90.0, 180.0])
def test_a_rotation_flag_is_honoured_by_decode_and_probe(tmp_path, rotation_deg):
    path = tmp_path / "phone.mp4"
    write_rotated(path, rotation_deg)
    clip = read_video(path)
    assert clip.frames.shape[1:3] == (SHOWN_H, SHOWN_W)  # portrait, as a player shows it
    assert clip.source_size == (SHOWN_W, SHOWN_H)
    assert marker_corner(clip.frames[0]) == (0, 0)
    assert clip.metadata["rotation_deg"] == int(rotation_deg) % 360
    # the block moves down the portrait picture
    rows = [np.nonzero((f.mean(axis=2) > 120) & (f.mean(axis=2) < 220))[0].mean() for f in clip.frames]
    assert all(b > a for a, b in zip(rows, rows[1:]))
    # resized decoding keeps the orientation
    small = read_video(path, max_side=32)
    assert small.frames.shape[1:3] == (32, 18)
    info = probe_video(path)
    assert (info.width, info.height, info.rotation_deg) == (SHOWN_W, SHOWN_H, int(rotation_deg) % 360)


def test_an_unflagged_clip_is_decoded_as_stored(tmp_path):
    path = tmp_path / "plain.mp4"
    write_rotated(path, 0.0)
    clip = read_video(path)
    assert clip.frames.shape[1:3] == (SHOWN_H, SHOWN_W) and "rotation_deg" not in clip.metadata
    assert probe_video(path).rotation_deg == 0


@pytest.mark.parametrize("suffix", [".mp4", ".mkv", ".webm"])
def test_muxing_keeps_the_orientation(tmp_path, suffix):
    """Copied pictures keep the flag (mp4/mkv); re-encoded ones (H.264 cannot go into webm) are
    stored upright. Either way a player shows the portrait picture."""
    path = tmp_path / "phone.mp4"
    write_rotated(path, -90.0)
    out = tmp_path / f"muxed{suffix}"
    mux_audio(path, AudioTrack(np.zeros((1, 16000), np.float32), 16000), out)
    clip = read_video(out)
    assert clip.frames.shape[1:3] == (SHOWN_H, SHOWN_W)
    assert marker_corner(clip.frames[0]) == (0, 0)
    assert (probe_video(out).width, probe_video(out).height) == (SHOWN_W, SHOWN_H)


def test_run_reports_physics_on_the_portrait_grid(tmp_path):
    """physics.json's width/height and boxes are the displayed picture's (360×640 for a phone clip
    stored 640×360 with a 90° flag), and --mux keeps the orientation."""
    path = tmp_path / "phone.mp4"
    write_rotated(path, -90.0, frames=12, scale=10)
    run_job(path, tmp_path / "x.wav", physics_path=tmp_path / "p.json", mux_path=tmp_path / "x.mp4",
            options=RunOptions(sample_rate_hz=16000))
    physics = json.loads((tmp_path / "p.json").read_text())
    assert (physics["width"], physics["height"]) == (360, 640)
    assert physics["objects"], "the moving block was not found"
    boxes = [b for b in physics["objects"][0]["box_xyxy_px"] if b]
    # the block spans columns 120..210 of the portrait picture and moves down it
    assert boxes[0][0] == pytest.approx(120, abs=12) and boxes[0][2] == pytest.approx(210, abs=12)
    assert boxes[-1][1] > boxes[0][1] + 100
    muxed = probe_video(tmp_path / "x.mp4")
    assert (muxed.width, muxed.height) == (360, 640)
