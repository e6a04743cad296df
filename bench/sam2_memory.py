"""SAM-2 on long clips: peak memory of tracking a 10 s and a 60 s clip (sam2.1 hiera tiny, random weights).

Each clip is a generated scene (pavas_core.scenes) with exact per-frame masks; every object is
prompted with its ground-truth box on the first frame it is visible, and tracked through the clip
with perception/sam2_video.track_boxes (frames from memory, state pruned to SAM-2's memory window).
Each clip runs in a fresh interpreter, which reports its peak RSS twice: after the clip is rendered
and the model built (the baseline, measured in the same process), and after tracking. Bounded
memory means the growth over the baseline does not grow with the clip's length. Also printed: the
tracking outputs the state still holds at the end, their bytes, and what an unpruned state would
hold (one output per frame and object).

    python bench/sam2_memory.py [--durations 10 60] [--fps 10] [--size 320x180] [--image-size 128] [--seed 5]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def _state_bytes(state: dict) -> int:
    import torch

    total = 0
    for obj in state["output_dict_per_obj"].values():
        for part in ("cond_frame_outputs", "non_cond_frame_outputs"):
            for out in obj[part].values():
                for value in (out or {}).values():
                    if isinstance(value, torch.Tensor):
                        total += value.numel() * value.element_size()
    return total


def child(duration_s: float, fps: float, size: tuple[int, int], image_size: int, seed: int) -> dict:
    import time

    import numpy as np
    import torch

    from pavas_core.perception.sam2_video import build_sam2, held_frame_outputs, track_boxes
    from pavas_core.scenes.scene import render_frames_and_masks, sample_scene, simulate_scene

    scene = sample_scene(seed, fps_choices=(fps,), resolutions=(size,), duration_range_s=(duration_s, duration_s),
                         max_objects=1)
    frames, masks = render_frames_and_masks(scene, simulate_scene(scene))
    prompts = []
    for m in masks:
        seen = np.flatnonzero(m.visible())
        prompts.append((int(seen[0]), tuple(float(v) for v in m.box_xyxy(int(seen[0])))) if seen.size else None)
    torch.manual_seed(0)
    predictor = build_sam2("tiny", image_size=image_size)
    baseline = _rss_mb()
    states: list = []
    t0 = time.perf_counter()
    tracked = track_boxes(predictor, frames, prompts, state_out=states)
    seconds = time.perf_counter() - t0
    peak = _rss_mb()
    held = held_frame_outputs(states[0])
    per_output = _state_bytes(states[0]) / max(1, held)
    return {"duration_s": duration_s, "frames": int(frames.shape[0]), "objects": len(prompts),
            "frames_mb": frames.nbytes / 2**20, "baseline_rss_mb": baseline, "peak_rss_mb": peak,
            "growth_mb": peak - baseline, "held_outputs": held, "state_mb": _state_bytes(states[0]) / 2**20,
            "unpruned_state_mb": per_output * frames.shape[0] * len(prompts) / 2**20,
            "masks_visible": int(sum(m.visible().sum() for m in tracked)), "track_s": seconds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--durations", type=float, nargs="+", default=[10.0, 60.0])
    parser.add_argument("--fps", type=float, default=10.0)
    parser.add_argument("--size", default="320x180")
    parser.add_argument("--image-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--child", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.lower().split("x"))
    if args.child is not None:
        print(json.dumps(child(args.child, args.fps, size, args.image_size, args.seed)))
        return 0
    print(f"SAM-2 (sam2.1 hiera tiny, random weights) at {args.image_size} px, clips {args.size} at {args.fps:g} fps")
    print(f"{'clip':>6} {'frames':>6} {'frames MB':>9} {'baseline RSS':>12} {'peak RSS':>9} {'growth':>7} "
          f"{'held':>5} {'state MB':>8} {'unpruned':>9} {'s/frame':>8}")
    for duration in args.durations:
        out = subprocess.run([sys.executable, __file__, "--child", str(duration), "--fps", str(args.fps),
                              "--size", args.size, "--image-size", str(args.image_size), "--seed", str(args.seed)],
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{r['duration_s']:>5.0f}s {r['frames']:>6} {r['frames_mb']:>9.1f} {r['baseline_rss_mb']:>10.0f}MB "
              f"{r['peak_rss_mb']:>7.0f}MB {r['growth_mb']:>5.0f}MB {r['held_outputs']:>5} {r['state_mb']:>8.2f} "
              f"{r['unpruned_state_mb']:>8.2f}M {r['track_s'] / r['frames']:>8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
