"""Main-job speed: wall time of `python -m pavas_core run` divided by the clip's duration.

Renders a synthetic 8 s, 640×360, 30 fps impact clip (a seed of its own), then times the whole
command as a user runs it — a fresh interpreter each time, imports, decode, physics, synthesis,
WAV and MP4 writing — and prints the ratio wall-time / clip duration (below 1 = faster than
real time). As a baseline measured in the same run, it also times the bare interpreter start with
the same imports, so a loaded machine can be told from a slow pipeline.

    python bench/run_speed.py [--seed 11] [--repeats 3] [--duration 8] [--size 640x360] [--fps 30]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--fps", type=float, default=30.0)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))

    from pavas_core.scenes.dataset import write_scene
    from pavas_core.scenes.scene import sample_scene

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        scene = sample_scene(args.seed, scene_id="speed", fps_choices=(args.fps,), resolutions=((width, height),),
                             duration_range_s=(args.duration, args.duration))
        write_scene(tmp / "scene", scene)
        video = tmp / "scene" / "scene.mp4"
        command = [sys.executable, "-m", "pavas_core", "run", str(video), "-o", str(tmp / "out.wav"),
                   "--mux", str(tmp / "out.mp4"), "--quiet"]
        baseline = [sys.executable, "-c", "import numpy, scipy.ndimage, av, pavas_core.pipeline"]
        runs, starts = [], []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            subprocess.run(baseline, cwd=ROOT, check=True)
            starts.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
            runs.append(time.perf_counter() - t0)
            if result.returncode != 0:
                print(result.stderr, file=sys.stderr)
                return 1
        last_line = result.stdout.strip().splitlines()[-1]
    wall = statistics.median(runs)
    start = statistics.median(starts)
    print(f"clip: {args.duration:g} s, {width}x{height}, {args.fps:g} fps (scene seed {args.seed})")
    print(f"run: {last_line}")
    print(f"wall time per run (median of {args.repeats}): {wall:.2f} s; interpreter + imports alone: {start:.2f} s")
    print(f"ratio wall-time / clip duration: {wall / args.duration:.3f} (< 1.0 is faster than real time)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
