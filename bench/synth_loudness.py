"""Modal synthesizer: onset level vs ΔKE per material (slope, intercept) and render speed.

For each material, eight impacts with speeds 0.2–6.3 m/s (ΔKE over three decades, mass 0.5 kg,
size 0.15 m, restitution 0.5) are rendered and the onset level (mean square of the first 20 ms, the
calibrated quantity; and the peak of the first 20 ms, not calibrated) is fitted against
10·log10(ΔKE). Then an 8 s clip with 20 impacts of random objects is rendered at 44.1 kHz; the
median time is printed with the real-time factor and the ratio to the 0.2 s budget, once with the
BLAS threading this process has and once in a child process with OPENBLAS_NUM_THREADS=1 (on an
oversubscribed machine multi-threaded BLAS can be much slower).

    python bench/synth_loudness.py [--reps 7] [--seed 0]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from pavas_core.synth import MATERIAL_NAMES, ImpactEvent, get_material, render_impacts, size_from_mass_m  # noqa: E402

FS = 44100
CLIP_S = 8.0
BUDGET_S = 0.2


def level_fit(material: str) -> tuple[float, float, float]:
    speeds = np.geomspace(0.2, 6.3, 8)
    events = [ImpactEvent(0.5 + i, 0.5, float(v), float(0.5 * v), material, 0.15) for i, v in enumerate(speeds)]
    wave = render_impacts(events, duration_s=len(events) + 0.5, sample_rate_hz=FS)[0].astype(np.float64)
    dke_db = [10 * math.log10(e.delta_ke_j) for e in events]
    n = int(0.02 * FS)
    onsets = [wave[int(round(e.time_s * FS)) : int(round(e.time_s * FS)) + n] for e in events]
    rms_db = [10 * math.log10(np.mean(x * x)) for x in onsets]
    peak_db = [20 * math.log10(np.max(np.abs(x))) for x in onsets]
    slope, intercept = np.polyfit(dke_db, rms_db, 1)
    return float(slope), float(intercept), float(np.polyfit(dke_db, peak_db, 1)[0])


def clip_events(seed: int) -> list[ImpactEvent]:
    rng = np.random.default_rng(seed)
    events = []
    for t in np.sort(rng.uniform(0.0, CLIP_S - 0.1, 20)):
        material = str(rng.choice(MATERIAL_NAMES))
        mass = float(np.exp(rng.uniform(math.log(0.05), math.log(3.0))))
        speed = float(rng.uniform(0.5, 6.0))
        events.append(ImpactEvent(float(t), mass, speed, 0.5 * speed, material,
                                  size_from_mass_m(mass, get_material(material))))
    return events


def time_render(seed: int, reps: int) -> float:
    events = clip_events(seed)
    render_impacts(events, duration_s=CLIP_S, sample_rate_hz=FS, seed=seed)  # warm-up
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        render_impacts(events, duration_s=CLIP_S, sample_rate_hz=FS, seed=seed)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.time_only:
        print(f"{time_render(args.seed, args.reps):.6f}")
        return 0

    print("onset level vs 10·log10(ΔKE), speed sweep 0.2–6.3 m/s (three decades of ΔKE)")
    print(f"{'material':10s} {'slope(rms20ms)':>15s} {'intercept dBFS':>15s} {'slope(peak)':>12s}")
    for material in MATERIAL_NAMES:
        slope, intercept, peak_slope = level_fit(material)
        print(f"{material:10s} {slope:15.3f} {intercept:15.2f} {peak_slope:12.3f}")

    here = time_render(args.seed, args.reps)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    cmd = [sys.executable, __file__, "--time-only", "--reps", str(args.reps), "--seed", str(args.seed)]
    child = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    single = float(child.stdout.strip())
    print(f"\nrender of an {CLIP_S:g} s clip with 20 impacts of random objects at {FS} Hz (median of {args.reps}):")
    for label, t in (("default BLAS threads", here), ("OPENBLAS_NUM_THREADS=1", single)):
        print(f"  {label:24s} {t * 1000:8.1f} ms   real-time factor {t / CLIP_S:.4f}   "
              f"{t / BUDGET_S:.2f} × the {BUDGET_S:g} s budget")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
