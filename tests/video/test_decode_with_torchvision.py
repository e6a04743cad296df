"""Stopping a decode early must not hang once torchvision is imported (FFmpeg frame threads + torch can
deadlock when a decoder is freed mid-stream; inside ComfyUI that would freeze the server)."""

import subprocess
import sys
from pathlib import Path

import numpy as np

from pavas_core.video import write_video

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
import torchvision  # noqa: F401  (the hang needs torchvision in the process, as in ComfyUI)
from pavas_core.video import read_video
for start in (0.0, 0.5, 1.0):
    clip = read_video(sys.argv[1], max_side=64, start_s=start, max_duration_s=0.3)
    assert clip.num_frames >= 7, clip.num_frames
print("done")
"""


def test_a_windowed_decode_returns_with_torchvision_imported(tmp_path):
    frames = (np.random.default_rng(0).random((60, 96, 128, 3)) * 255).astype(np.uint8)
    video = tmp_path / "noise.mp4"
    write_video(video, frames, 30.0)
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(video)], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "done", result.stderr
