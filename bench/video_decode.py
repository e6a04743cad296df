"""Decode speed of pavas_core.video.read_video on the main job's reference clip.

Generates an 8 s 640x360 30 fps H.264 clip (textured moving squares, so the encoder has real work),
then times, in the same run:

* baseline: what a plain PyAV loop does (ComfyUI's VideoFromFile): every frame to a full-size RGB
  array, no decoder threads, then one stacked array;
* read_video at full size, at max_side=320, and at max_side=320 with target_fps=8.

Prints wall times (best of N), the ratio to the baseline and the real-time factor
(clip duration / wall time; > 1 is faster than real time).

    python bench/video_decode.py [--repeats 5] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pavas_core.video import probe_video, read_video  # noqa: E402

WIDTH, HEIGHT, FPS, SECONDS = 640, 360, 30, 8


def make_clip(path: Path) -> None:
    """Moving squares over a fixed noise texture, H.264 yuv420p, x264 preset 'fast', crf 20."""
    rng = np.random.default_rng(0)
    texture = rng.integers(0, 256, size=(HEIGHT, WIDTH, 3), dtype=np.uint8)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS, options={"crf": "20", "preset": "fast"})
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        for index in range(FPS * SECONDS):
            picture = (texture // 2).copy()
            for k in range(4):
                x = int((index * (3 + k) + 100 * k) % (WIDTH - 60))
                y = int(60 + 50 * k + 30 * np.sin(index / (10 + k)))
                picture[y : y + 60, x : x + 60] = texture[y : y + 60, x : x + 60] | 128
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def baseline_decode(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    return np.stack(frames)


def best_time(function, repeats: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None, help="limit CPU affinity to this many cores")
    args = parser.parse_args()
    if args.threads and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[: args.threads]))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"PyAV {av.__version__}, {cores} cores, clip {WIDTH}x{HEIGHT} {FPS} fps {SECONDS} s")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "reference.mp4"
        make_clip(path)
        print(f"probe: {probe_video(path)}")
        cases = [
            ("baseline PyAV full size", lambda: baseline_decode(path)),
            ("read_video full size", lambda: read_video(path, with_audio=False).frames),
            ("read_video max_side=320", lambda: read_video(path, max_side=320, with_audio=False).frames),
            (
                "read_video max_side=320 fps=8",
                lambda: read_video(path, max_side=320, target_fps=8, with_audio=False).frames,
            ),
        ]
        baseline_s = None
        for name, function in cases:
            wall_s, frames = best_time(function, args.repeats)
            baseline_s = baseline_s or wall_s
            print(
                f"{name:32s} {wall_s * 1000:8.1f} ms  x{baseline_s / wall_s:5.2f} vs baseline  "
                f"real-time factor {SECONDS / wall_s:6.1f}  frames {frames.shape}"
            )


if __name__ == "__main__":
    main()
