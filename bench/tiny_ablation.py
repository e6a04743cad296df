"""The PAVAS-tiny ablation: six rows, the same data, seeds and steps, scored on held-out clips.

    python bench/tiny_ablation.py --train DIR --heldout DIR --out RUNS --steps N
                                  [--batch-size 8] [--duration-s 8] [--lr X] [--lr-schedule cosine|constant]
                                  [--seed 0] [--jobs 1] [--cfg 2] [--physics-fps 8|25] [--speed-change]
                                  [--rows backbone,backbone_longer,c_mass,c_vel,both_delta,both_summation]
                                  [--checkpoints RUNS0]

Rows (README "PAVAS-tiny"): the backbone (`--physics-conditions none`); the backbone trained twice
as long (2N steps); + c_mass; + c_vel; + both with Δ-modulation (PAVAS-tiny); + both with
summation. Each row runs, as separate processes, exactly the commands a user would:

    python -m pavas_core train --config tiny --data TRAIN --out RUNS/<row>.safetensors --steps N
        --batch-size B --duration-s D --seed S --cache RUNS/cache [--lr X] <row flags>
    python bench/tiny_generate_heldout.py --dataset HELDOUT --tiny RUNS/<row>.safetensors
        --out RUNS/gen/<row> --physics-dir RUNS/physics_estimated
    python -m pavas_core evaluate --dataset HELDOUT --generated-dir RUNS/gen/<row> --json RUNS/eval/<row>.json

The training windows are cached once (RUNS/cache) and the estimated physics of the held-out clips
is made once (RUNS/physics_estimated): every row reads the same. A row whose files exist is not
redone (delete them to redo it). `--jobs N` runs N rows side by side (each row's process as set by
OMP_NUM_THREADS; on 2 cores, `OMP_NUM_THREADS=1 ... --jobs 2`): the training cache and the
estimated physics are then made first, in two processes, so the rows share them. Prints the
table: APCC-Δ (estimated physics; lower is better) and its change against the backbone row,
onset accuracy, AP and precision (hits over detected onsets: accuracy is a recall, so a sound that
sprays onsets scores well on it) against the true impact times, the log-mel distance to the
reference sound (dB), the level-vs-ΔKE slope, and each row's training time and final evaluation
loss.

`--physics-fps` and `--speed-change` are passed to every row's `train` (the physics rate of the
Phy-Adapter; the backbone rows read no physics, so they train to the same weights either way).

`--cfg X` generates and scores the trained rows with guidance X instead of the default 2 (into
RUNS/gen/<row>_cfgX and RUNS/eval/<row>_cfgX.json; the training is the same): the guidance sweep.

`--checkpoints RUNS0` scores the rows trained by an earlier run (RUNS0/<row>.safetensors) on this
run's held-out clips instead of training them (the same table on another held-out set, e.g. one
seen from a travelling camera); --train and the training options are then not used.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROWS = {
    "backbone": ("backbone", ["--physics-conditions", "none"], 1),
    "backbone_longer": ("backbone trained longer (2×steps)", ["--physics-conditions", "none"], 2),
    "c_mass": ("+ c_mass", ["--physics-conditions", "c_mass"], 1),
    "c_vel": ("+ c_vel", ["--physics-conditions", "c_vel"], 1),
    "both_delta": ("+ both, Δ-modulation (PAVAS-tiny)", ["--physics-conditions", "both", "--injection", "delta"], 1),
    "both_summation": ("+ both, summation", ["--physics-conditions", "both", "--injection", "summation"], 1),
}


def _run(cmd: list[str]) -> float:
    print("$ " + " ".join(cmd), flush=True)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT)
    return time.perf_counter() - t0


def _prepare_shared(args, runs: Path) -> None:
    """The training cache and the held-out clips' estimated physics, made once, in two processes
    (the physics alone when the rows are already trained)."""
    py = sys.executable
    cache = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); from pathlib import Path; "
             "from dataclasses import replace; "
             "from pavas_core.models.tiny_generator.config import TINY_CONFIGS; "
             "from pavas_core.train.tiny_data import load_tiny_windows; "
             f"load_tiny_windows(Path({args.train!r}), duration_s={args.duration_s!r}, "
             f"config=replace(TINY_CONFIGS['tiny'], physics_fps={args.physics_fps or 8}), "
             f"cache=Path({str(runs / 'cache')!r}))")
    cmds = [[py, "-c", cache]] if not args.checkpoints else []
    cmds.append([py, str(ROOT / "bench" / "tiny_generate_heldout.py"), "--dataset", args.heldout, "--physics-only",
                 "--physics-dir", str(runs / "physics_estimated")])
    print("preparing the shared training cache and estimated physics", flush=True)
    procs = [subprocess.Popen(cmd, cwd=ROOT) for cmd in cmds]
    codes = [p.wait() for p in procs]
    if any(codes):
        raise SystemExit(f"preparation failed (exit codes {codes})")


def _fmt(x, f="{:.3f}") -> str:
    return "n/a" if x is None else f.format(x)


def _precision(side: dict) -> str:
    """'0.70 (833)': hits over detected onsets, and how many were detected (n/a for an older JSON)."""
    if side.get("onset_precision") is None:
        return "n/a"
    return f"{side['onset_precision']:.2f} ({side['onsets_detected']})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", metavar="DIR", help="the training clips (not needed with --checkpoints)")
    ap.add_argument("--heldout", required=True, metavar="DIR")
    ap.add_argument("--out", required=True, metavar="RUNS")
    ap.add_argument("--steps", type=int, required=True)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--duration-s", type=float, default=8.0)
    ap.add_argument("--lr", type=float, default=None)
    ap.add_argument("--lr-schedule", choices=("cosine", "constant"), default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1, help="rows run side by side (1)")
    ap.add_argument("--cfg", type=float, default=2.0, help="guidance strength of the generation (2, as run)")
    ap.add_argument("--physics-fps", type=int, choices=(8, 25), default=None,
                    help="train --physics-fps for every row (8, the paper's CLIP rate, by default)")
    ap.add_argument("--speed-change", action="store_true", help="train --speed-change for every row")
    ap.add_argument("--rows", default=",".join(ROWS), help="comma-separated subset of " + ",".join(ROWS))
    ap.add_argument("--checkpoints", metavar="RUNS0", default=None,
                    help="score the rows trained by an earlier run (RUNS0/<row>.safetensors) instead of training")
    args = ap.parse_args()
    rows = [r.strip() for r in args.rows.split(",") if r.strip()]
    unknown = [r for r in rows if r not in ROWS]
    if unknown:
        ap.error(f"unknown rows {unknown}; choose from {list(ROWS)}")
    runs = Path(args.out).resolve()
    trained = Path(args.checkpoints).resolve() if args.checkpoints else runs
    if not args.checkpoints and not args.train:
        ap.error("--train is needed (unless --checkpoints names trained rows)")
    if args.checkpoints:
        missing = [r for r in rows if not (trained / f"{r}.safetensors").is_file()]
        if missing:
            ap.error(f"--checkpoints {args.checkpoints}: no checkpoint for rows {missing}")
    (runs / "eval").mkdir(parents=True, exist_ok=True)
    py = sys.executable
    timings: dict[str, float] = {}
    suffix = "" if args.cfg == 2.0 else f"_cfg{args.cfg:g}"

    def run_row(row: str) -> None:
        _, flags, factor = ROWS[row]
        ckpt = trained / f"{row}.safetensors"
        if not ckpt.is_file():
            cmd = [py, "-m", "pavas_core", "train", "--config", "tiny", "--data", args.train, "--out", str(ckpt),
                   "--steps", str(factor * args.steps), "--batch-size", str(args.batch_size),
                   "--duration-s", f"{args.duration_s:g}", "--seed", str(args.seed), "--cache", str(runs / "cache"),
                   "--quiet", *flags]
            if args.lr is not None:
                cmd += ["--lr", f"{args.lr:g}"]
            if args.lr_schedule is not None:
                cmd += ["--lr-schedule", args.lr_schedule]
            if args.physics_fps is not None:
                cmd += ["--physics-fps", str(args.physics_fps)]
            if args.speed_change:
                cmd += ["--speed-change"]
            timings[row] = _run(cmd)
        gen = runs / "gen" / f"{row}{suffix}"
        result = runs / "eval" / f"{row}{suffix}.json"
        if not result.is_file():
            _run([py, str(ROOT / "bench" / "tiny_generate_heldout.py"), "--dataset", args.heldout, "--tiny", str(ckpt),
                  "--out", str(gen), "--physics-dir", str(runs / "physics_estimated"), "--cfg", f"{args.cfg:g}"])
            _run([py, "-m", "pavas_core", "evaluate", "--dataset", args.heldout, "--generated-dir", str(gen),
                  "--json", str(result), "--quiet", *(["--workers", "1"] if args.jobs > 1 else [])])

    if args.jobs > 1:
        _prepare_shared(args, runs)
        # the longest row first, so the side-by-side rows end together; then PAVAS-tiny itself, the one
        # worth having early
        order = sorted(rows, key=lambda r: (-ROWS[r][2], r != "both_delta"))
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            for future in [pool.submit(run_row, row) for row in order]:
                future.result()
    else:
        for row in rows:
            run_row(row)

    sys.path.insert(0, str(ROOT))
    from pavas_core.models.tiny_generator.checkpoint import read_tiny_metadata

    scored = {row: json.loads((runs / "eval" / f"{row}{suffix}.json").read_text()) for row in rows}
    base = scored.get("backbone", {}).get("apcc_delta")
    if args.checkpoints:  # the training options were not used: say where the rows come from
        print(f"\n{len(rows)} rows trained in {trained}; guidance {args.cfg:g}; held-out: {args.heldout}")
    else:
        print(f"\n{len(rows)} rows, {args.steps} steps (backbone trained longer: {2 * args.steps}), batch "
              f"{args.batch_size} × {args.duration_s:g} s, seed {args.seed}; guidance {args.cfg:g}; "
              f"held-out: {args.heldout}")
    print("| row | APCC-Δ ↓ | vs backbone | onset acc. | onset AP | onset prec. (detected) | log-mel dist. (dB) ↓ "
          "| level slope | eval loss |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    ref = next(iter(scored.values()))["reference"]
    print(f"| reference sound | 0 | | {_fmt(ref['onset_accuracy'])} | {_fmt(ref['onset_ap'])} | {_precision(ref)} "
          "| 0 | "
          f"{_fmt(ref['level_slope']['slope'], '{:.2f}')} | |")
    for row in rows:
        s, gen = scored[row], scored[row]["generated"]
        delta = s.get("apcc_delta")
        scored_change = delta is not None and base and row != "backbone"
        change = f"{100 * (delta - base) / base:+.0f} %" if scored_change else ""
        loss = read_tiny_metadata(trained / f"{row}.safetensors").get("extra", {}).get("eval_loss_end")
        loss = loss if isinstance(loss, (int, float)) else None
        print(f"| {ROWS[row][0]} | {_fmt(delta)} | {change} | {_fmt(gen['onset_accuracy'])} | {_fmt(gen['onset_ap'])} | "
              f"{_precision(gen)} | "
              f"{_fmt(gen.get('log_mel_distance_db'), '{:.2f}')} | {_fmt(gen['level_slope']['slope'], '{:.2f}')} | "
              f"{_fmt(loss)} |")
    if timings:
        print("training wall time: " + ", ".join(f"{r} {t / 60:.1f} min" for r, t in timings.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
