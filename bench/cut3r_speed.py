"""CUT3R per-frame time and peak memory at real size (seeded random weights), streaming a clip.

    python bench/cut3r_speed.py [--config full|tiny] [--frames 240] [--size 640x360] [--long-side 512]
                                [--precision fp32|bf16|fp16] [--device cuda]

Builds our CUT3R (pavas_core/perception/cut3r) with the released 512-DPT sizes (793 M parameters) and
random weights, and runs it frame by frame on a generated clip (default 8 s at 30 fps, 640x360,
resized to 512x288 as the geometry stage does). Prints the median time per frame after two warm-up
frames, and the peak memory (GPU: torch.cuda.max_memory_allocated; CPU: peak RSS) after the first
10 % of the frames and at the end: streaming is bounded when the two agree. A CPU run of the full
model takes about a minute per frame; give --frames 3 there.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _peak_mb(device) -> float:
    import torch

    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> int:
    import torch

    from pavas_core.perception.cut3r import FULL_512_DPT, TINY, random_cut3r
    from pavas_core.physics.stages.cut3r_geometry import input_size, to_network_input
    from pavas_core.runtime import resolve_device, resolve_dtype

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", choices=("full", "tiny"), default="full")
    ap.add_argument("--frames", type=int, default=240)
    ap.add_argument("--size", default="640x360")
    ap.add_argument("--long-side", type=int, default=512)
    ap.add_argument("--precision", default="fp32", choices=("fp32", "bf16", "fp16"))
    ap.add_argument("--device", default=None)
    args = ap.parse_args()
    w, h = (int(x) for x in args.size.split("x"))
    device = resolve_device(args.device)
    dtype = resolve_dtype(args.precision)
    cfg = FULL_512_DPT if args.config == "full" else TINY
    t0 = time.perf_counter()
    model = random_cut3r(cfg, seed=0).to(device=device, dtype=dtype)
    model.downstream_head.float()
    build_s = time.perf_counter() - t0
    params = sum(p.numel() for p in model.parameters())
    net_w, net_h = input_size(w, h, args.long_side, cfg.patch)
    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
    times, state, early = [], None, None
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    with torch.inference_mode():
        for k in range(args.frames):
            frame = np.roll(base, 3 * k, axis=1)  # a panning picture
            x = to_network_input(frame, (net_w, net_h)).to(device=device, dtype=dtype)
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            t = time.perf_counter()
            out, state = model.step(x, state)
            _ = out.points_self.float().cpu()
            times.append(time.perf_counter() - t)
            if k + 1 == max(1, args.frames // 10):
                early = _peak_mb(device)
    steady = times[2:] or times
    print(f"CUT3R {args.config}: {params / 1e6:.1f} M parameters ({args.precision}, {device}), built in "
          f"{build_s:.1f} s; input {net_w}x{net_h} from {w}x{h}; {args.frames} frames")
    print(f"time per frame: median {statistics.median(steady):.3f} s (min {min(steady):.3f}, max "
          f"{max(steady):.3f}); first frame {times[0]:.3f} s")
    print(f"peak memory: {early:.0f} MB after {max(1, args.frames // 10)} frame(s), {_peak_mb(device):.0f} MB "
          f"after {args.frames}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
