"""`python -m pavas_core evaluate`: how well generated sound follows the physics of a set of clips.

    python -m pavas_core evaluate --dataset DIR --generated-dir GEN [--workers N] [--json OUT]
    python -m pavas_core evaluate --physics P.json --reference-audio R.wav --audio G.wav [...]

Every clip has a physics.json (its impacts: times and ΔKE), reference audio and generated audio
(<scene_id>.wav in GEN for a synth-dataset folder). Reported for the reference and the generated
sound side by side:

- APCC (reconstructed) and APCC-Δ (pavas_core.metrics.apcc, its default definition);
- onset accuracy and AP, MMAudio's definition (pavas_core.metrics.onsets), averaged over clips;
- the log-mel spectral distance (dB) of the generated sound to the reference
  (pavas_core.metrics.spectral.log_mel_distance_db: 64 bands at 16 kHz, RMS over bands per frame,
  mean over frames and then over clips; 0 for the reference itself);
- the level-vs-ΔKE slope: least squares of each impact's onset level (the APCC intensity, dB)
  against 10·log10 ΔKE over all usable impacts (the masking and ΔKE rules of APCC), one slope
  with an intercept per category (material), and its within-category r. An impact sound whose
  energy follows the impact's has slope 1 (dB per dB).

Clips are measured in parallel, one worker process per CPU core by default (the measures are
numpy, so the CPU cores are this verb's devices), with a progress bar; the correlations are then
taken over all clips.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from concurrent.futures import as_completed
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import BadInputError
from .fileio import OutputSet
from .progress import ConsoleProgress, report
from .workers import worker_pool

JSON_SCHEMA = 1
SIDES = ("reference", "generated")


@dataclass(frozen=True)
class ClipJob:
    clip_id: str
    physics: Path
    reference: Path
    generated: Path
    category: str = "material"


def measure_clip(job: ClipJob) -> dict:
    """Everything per clip: the impact events and, for each audio, their intensities and the onset score."""
    from .metrics.apcc import ApccConfig, clip_measures
    from .metrics.cli import events_of
    from .metrics.onsets import onset_score
    from .metrics.spectral import log_mel_distance_db, to_mono
    from .physics.tracks import PhysicsTracks
    from .video import read_audio

    tracks = PhysicsTracks.load(job.physics)
    events, notes = events_of(tracks, job.clip_id, job.category)
    times = [e.time_s for e in events]
    out = {"clip_id": job.clip_id, "events": [(e.category, e.time_s, e.delta_ke_j) for e in events], "notes": notes}
    mono = {}
    for side, path in (("reference", job.reference), ("generated", job.generated)):
        audio = read_audio(path)
        mono[side] = (to_mono(audio.waveform), int(audio.sample_rate_hz))
        intensity, masked = clip_measures(audio, times, ApccConfig())
        score = onset_score(audio.waveform, audio.sample_rate_hz, times)
        out[side] = {"intensity": intensity.tolist(), "masked": masked.tolist(), "onset_accuracy": score.accuracy,
                     "onset_ap": score.ap, "onset_hits": score.hits, "onset_truth": score.ground_truth,
                     "onsets_detected": score.detected}
    # the reference against itself is 0 by definition; only the generated side is measured
    out["reference"]["log_mel_distance_db"] = 0.0
    out["generated"]["log_mel_distance_db"] = log_mel_distance_db(*mono["reference"], *mono["generated"])
    return out


def level_slope(intensity_db: np.ndarray, delta_ke_j: np.ndarray, categories: np.ndarray) -> dict:
    """Slope of level (dB) against 10·log10 ΔKE within categories: one common slope, each category its
    own intercept (materials ring at different levels; pooling them would mix those levels into the
    slope). Also the within-category r and the number of impacts."""
    x = 10.0 * np.log10(delta_ke_j)
    y = np.asarray(intensity_db, dtype=np.float64)
    xc, yc = np.zeros_like(x), np.zeros_like(y)
    for category in np.unique(categories):
        members = categories == category
        xc[members] = x[members] - x[members].mean()
        yc[members] = y[members] - y[members].mean()
    n = int(x.size)
    sxx, syy = float(xc @ xc), float(yc @ yc)
    if n < 2 or sxx == 0:
        return {"slope": None, "r": None, "n": n}
    slope = float(xc @ yc) / sxx
    return {"slope": slope, "r": float(xc @ yc) / np.sqrt(sxx * syy) if syy > 0 else None, "n": n}


def summarise(measured: list[dict]) -> dict:
    """APCC / APCC-Δ, mean onset accuracy and AP, level slope, from the per-clip measures."""
    from .metrics.apcc import ApccConfig, ApccEvent, apcc_delta_of, apcc_from_measures

    measured = sorted(measured, key=lambda m: m["clip_id"])
    events = [ApccEvent(m["clip_id"], c, t, e) for m in measured for c, t, e in m["events"]]
    energy = np.array([e.delta_ke_j for e in events], dtype=np.float64)
    categories = np.array([e.category for e in events], dtype=object)
    summary: dict = {"num_clips": len(measured), "num_impacts": len(events)}
    results = {}
    for side in SIDES:
        intensity = np.array([v for m in measured for v in m[side]["intensity"]], dtype=np.float64)
        masked = np.array([v for m in measured for v in m[side]["masked"]], dtype=bool)
        results[side] = apcc_from_measures(events, intensity, masked, ApccConfig())
        usable = (energy > 0) & np.isfinite(intensity) & ~masked
        accuracy = [m[side]["onset_accuracy"] for m in measured]
        ap = [m[side]["onset_ap"] for m in measured if m[side]["onset_ap"] is not None
              and math.isfinite(m[side]["onset_ap"])]
        summary[side] = {
            "apcc": _finite(results[side].mean),
            "onset_accuracy": float(np.mean(accuracy)) if accuracy else None,
            "onset_ap": float(np.mean(ap)) if ap else None,
            "onset_ap_clips": len(ap),
            # pooled counts: onset accuracy is a recall, so a sound that sprays onsets scores well on it;
            # the precision (hits over detected onsets) shows that side
            "onsets_true": int(sum(m[side]["onset_truth"] for m in measured)),
            "onsets_detected": int(sum(m[side]["onsets_detected"] for m in measured)),
            "onset_hits": int(sum(m[side]["onset_hits"] for m in measured)),
            "onset_precision": _ratio(sum(m[side]["onset_hits"] for m in measured),
                                      sum(m[side]["onsets_detected"] for m in measured)),
            "log_mel_distance_db": float(np.mean([m[side]["log_mel_distance_db"] for m in measured]))
            if measured else None,
            "level_slope": level_slope(intensity[usable], energy[usable], categories[usable]),
        }
    delta = apcc_delta_of(results["reference"], results["generated"])
    summary["apcc_delta"] = _finite(delta.mean)
    summary["apcc_delta_per_category"] = {k: _finite(v) for k, v in delta.per_category.items()}
    return summary


def _ratio(num: float, den: float) -> float | None:
    return float(num) / float(den) if den else None


def _finite(x) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def evaluate(jobs: list[ClipJob], *, workers: int | None = None, progress=None) -> dict:
    """Measure every clip (in `workers` processes; 1 = in this process) and summarise."""
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    measured = []
    if workers == 1:
        for done, job in enumerate(jobs, start=1):
            measured.append(measure_clip(job))
            report(progress, done, len(jobs))
    else:
        with worker_pool(workers) as pool:
            futures = [pool.submit(measure_clip, job) for job in jobs]
            for done, future in enumerate(as_completed(futures), start=1):
                measured.append(future.result())
                report(progress, done, len(jobs))
    summary = summarise(measured)
    summary["notes"] = [n for m in measured for n in m["notes"]]
    summary["clips"] = {m["clip_id"]: {side: {k: m[side][k] for k in ("onset_accuracy", "onset_ap", "onset_hits",
                                                                        "onset_truth", "onsets_detected",
                                                                        "log_mel_distance_db")}
                                       for side in SIDES} for m in measured}
    return summary


def format_table(summary: dict) -> str:
    """The summary as a table: one row per measure, reference and generated side by side."""

    def cell(value, fmt="{:+.3f}"):
        return "n/a" if value is None else fmt.format(value)

    rows = [("APCC (reconstructed)", *(cell(summary[s]["apcc"]) for s in SIDES)),
            ("onset accuracy", *(cell(summary[s]["onset_accuracy"], "{:.3f}") for s in SIDES)),
            ("onset AP", *(cell(summary[s]["onset_ap"], "{:.3f}") for s in SIDES)),
            ("onset precision (hits / detected)", *(cell(summary[s]["onset_precision"], "{:.3f}") for s in SIDES)),
            ("onsets detected / true", *(f"{summary[s]['onsets_detected']}/{summary[s]['onsets_true']}"
                                         for s in SIDES)),
            ("log-mel distance to reference (dB)", *(cell(summary[s]["log_mel_distance_db"], "{:.2f}") for s in SIDES)),
            ("level vs ΔKE slope (dB/dB)", *(cell(summary[s]["level_slope"]["slope"]) for s in SIDES)),
            ("level vs ΔKE r", *(cell(summary[s]["level_slope"]["r"]) for s in SIDES))]
    width = max(len(r[0]) for r in rows)
    lines = [f"{'':{width}}  {'reference':>10}  {'generated':>10}"]
    lines += [f"{name:{width}}  {a:>10}  {b:>10}" for name, a, b in rows]
    lines.append(f"APCC-Δ (reconstructed, lower is better): {cell(summary['apcc_delta'], '{:.4f}')}   "
                 f"({summary['num_clips']} clips, {summary['num_impacts']} impacts)")
    return "\n".join(lines)


# --- CLI ------------------------------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", metavar="DIR", help="a synth-dataset folder (physics.json and scene.wav per scene)")
    parser.add_argument("--generated-dir", metavar="DIR", help="with --dataset: <scene_id>.wav for each scene")
    parser.add_argument("--physics", action="append", default=[], metavar="JSON", help="physics.json of a clip (repeat)")
    parser.add_argument("--reference-audio", action="append", default=[], metavar="AUDIO",
                        help="reference audio of that clip (one per --physics)")
    parser.add_argument("--audio", action="append", default=[], metavar="AUDIO",
                        help="generated audio of that clip (one per --physics)")
    parser.add_argument("--category", choices=("material", "name"), default="material",
                        help="what groups the impacts for APCC (default: the object's material)")
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="worker processes (default: one per CPU core; 1 = no worker processes)")
    parser.add_argument("--json", metavar="OUT", help="write the full result as JSON (schema 1)")
    parser.add_argument("--quiet", action="store_true", help="no progress display")


def gather_jobs(args: argparse.Namespace) -> list[ClipJob]:
    from .metrics.cli import dataset_scene_ids

    if not (len(args.physics) == len(args.reference_audio) == len(args.audio)):
        raise BadInputError("give one --reference-audio and one --audio per --physics")
    jobs = [ClipJob(f"{i}:{Path(p).stem}", Path(p), Path(r), Path(a), args.category)
            for i, (p, r, a) in enumerate(zip(args.physics, args.reference_audio, args.audio))]
    if args.dataset:
        if not args.generated_dir:
            raise BadInputError("--dataset needs --generated-dir (the generated <scene_id>.wav files)")
        root, generated = Path(args.dataset), Path(args.generated_dir)
        for sid in dataset_scene_ids(root):
            gen = generated / f"{sid}.wav"
            if not gen.is_file():
                raise BadInputError(f"no generated audio for scene {sid}: expected {gen}")
            jobs.append(ClipJob(sid, root / sid / "physics.json", root / sid / "scene.wav", gen, args.category))
    elif args.generated_dir:
        raise BadInputError("--generated-dir needs --dataset")
    if not jobs:
        raise BadInputError("nothing to evaluate: give --dataset with --generated-dir, or --physics with "
                            "--reference-audio and --audio")
    return jobs


def main(args: argparse.Namespace) -> int:
    if args.workers is not None and args.workers < 1:
        raise BadInputError(f"--workers must be at least 1, got {args.workers}")
    jobs = gather_jobs(args)
    inputs = [p for j in jobs for p in (j.physics, j.reference, j.generated)]
    with OutputSet(inputs=inputs) as outputs:
        tmp_json = outputs.add(args.json, "--json output") if args.json else None
        summary = evaluate(jobs, workers=args.workers, progress=None if args.quiet else ConsoleProgress("evaluate"))
        if tmp_json is not None:
            tmp_json.write_text(json.dumps({"schema": JSON_SCHEMA, **summary}, indent=1, allow_nan=False))
    for note in summary["notes"]:
        print(f"note: {note}")
    print(format_table(summary))
    return 0
