"""`python -m pavas_core apcc`: APCC (reconstructed) of audio against impact physics, and APCC-Δ.

Inputs are clips, each a physics.json (schema 1: impacts with time_s and delta_ke_j) with its audio:
  --physics P1.json --audio A1.wav [--physics P2.json --audio A2.wav ...]   (paired in order)
  --dataset DIR        every scene DIR/<scene_id>/{physics.json, scene.wav} of a synth-dataset
With --reference-audio (one per --audio) or --generated-dir (one <scene_id>.wav per dataset scene)
the verb reports APCC-Δ between the reference and the generated audio; otherwise APCC of the audio
given (for a dataset: of its reference sound). The category of an impact is its object's material
(--category name: the object's name).
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import BadInputError
from ..fileio import atomic_output
from ..physics.tracks import PhysicsTracks
from ..progress import ConsoleProgress
from .apcc import (
    AGGREGATES,
    CORRELATIONS,
    ENERGY_TRANSFORMS,
    INTENSITIES,
    LABEL,
    NONPOSITIVE_RULES,
    SCALES,
    ApccConfig,
    ApccEvent,
    ApccResult,
    apcc,
    apcc_delta,
)

JSON_SCHEMA = 1


@dataclass
class ClipInput:
    clip_id: str
    physics_path: Path
    audio_path: Path  # the audio scored (generated, or the only audio)
    reference_path: Path | None = None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--physics", action="append", default=[], metavar="JSON",
                        help="physics.json of a clip (repeat; paired in order with --audio)")
    parser.add_argument("--audio", action="append", default=[], metavar="AUDIO",
                        help="audio of that clip to score (wav, flac, or a video with sound)")
    parser.add_argument("--reference-audio", action="append", default=[], metavar="AUDIO",
                        help="ground-truth audio of that clip; with it the verb reports APCC-Δ")
    parser.add_argument("--dataset", metavar="DIR", help="a dataset written by `synth-dataset` (index.json + scenes)")
    parser.add_argument("--generated-dir", metavar="DIR",
                        help="with --dataset: generated audio <scene_id>.wav for each scene (reports APCC-Δ)")
    parser.add_argument("--category", choices=("material", "name"), default="material",
                        help="what groups the impacts (default: the object's material; falls back to its name)")
    parser.add_argument("--null-baseline", type=int, default=0, metavar="N",
                        help="also score the audio with its segments shuffled across clips, mean over N seeds")
    parser.add_argument("--json", metavar="OUT", help="write the full result as JSON (schema 1)")
    d = ApccConfig()
    g = parser.add_argument_group("APCC definition (reconstructed; defaults in parentheses)")
    g.add_argument("--intensity", choices=INTENSITIES, default=d.intensity, help=f"({d.intensity})")
    g.add_argument("--scale", choices=SCALES, default=d.scale, help=f"({d.scale})")
    g.add_argument("--window-start-ms", type=float, default=d.window_start_s * 1000,
                   help=f"({d.window_start_s * 1000:g})")
    g.add_argument("--window-end-ms", type=float, default=d.window_end_s * 1000,
                   help=f"({d.window_end_s * 1000:g})")
    g.add_argument("--min-gap-ms", type=float, default=d.min_gap_s * 1000,
                   help=f"events closer than this to another impact of their clip are masked and dropped "
                        f"({d.min_gap_s * 1000:g}; 0 keeps them)")
    g.add_argument("--energy-transform", choices=ENERGY_TRANSFORMS, default=d.energy_transform,
                   help=f"transform of ΔKE ({d.energy_transform})")
    g.add_argument("--correlation", choices=CORRELATIONS, default=d.correlation, help=f"({d.correlation})")
    g.add_argument("--aggregate", choices=AGGREGATES, default=d.aggregate, help=f"({d.aggregate})")
    g.add_argument("--min-events", type=int, default=d.min_events, help=f"per category ({d.min_events})")
    g.add_argument("--nonpositive-dke", choices=NONPOSITIVE_RULES, default=d.nonpositive_dke,
                   help=f"impacts with ΔKE <= 0 ({d.nonpositive_dke})")
    g.add_argument("--dke-floor-j", type=float, default=d.dke_floor_j, help=f"({d.dke_floor_j})")
    g.add_argument("--analysis-rate", type=int, default=d.analysis_rate_hz, help=f"Hz ({d.analysis_rate_hz})")
    g.add_argument("--n-fft", type=int, default=d.n_fft, help=f"({d.n_fft})")
    g.add_argument("--hop", type=int, default=d.hop, help=f"({d.hop})")
    g.add_argument("--n-mels", type=int, default=d.n_mels, help=f"({d.n_mels})")


def config_from_args(args: argparse.Namespace) -> ApccConfig:
    return ApccConfig(
        intensity=args.intensity, scale=args.scale,
        window_start_s=args.window_start_ms / 1000.0, window_end_s=args.window_end_ms / 1000.0,
        min_gap_s=args.min_gap_ms / 1000.0,
        energy_transform=args.energy_transform, correlation=args.correlation, aggregate=args.aggregate,
        min_events=args.min_events, nonpositive_dke=args.nonpositive_dke, dke_floor_j=args.dke_floor_j,
        analysis_rate_hz=args.analysis_rate, n_fft=args.n_fft, hop=args.hop, n_mels=args.n_mels,
    ).validate()


def dataset_scene_ids(root: Path) -> list[str]:
    """Scene ids of a synth-dataset folder: from index.json when it lists them, else its sub-folders."""
    if not root.is_dir():
        raise BadInputError(f"dataset folder not found: {root}")
    index_path = root / "index.json"
    ids: list[str] = []
    if index_path.is_file():
        try:
            index = json.loads(index_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise BadInputError(f"{index_path} is not valid JSON ({exc})") from None
        entries = index.get("scenes", []) if isinstance(index, dict) else index
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, str):
                ids.append(entry)
            elif isinstance(entry, dict):
                sid = next((entry[k] for k in ("scene_id", "id", "dir", "name") if entry.get(k)), None)
                if sid is not None:
                    ids.append(str(sid))
    if not ids:
        ids = sorted(p.name for p in root.iterdir() if (p / "physics.json").is_file())
    if not ids:
        raise BadInputError(f"{root} holds no scenes (expected index.json and <scene_id>/physics.json)")
    return ids


def gather_inputs(args: argparse.Namespace) -> list[ClipInput]:
    if len(args.physics) != len(args.audio):
        raise BadInputError(f"give one --audio per --physics (got {len(args.physics)} and {len(args.audio)})")
    if args.reference_audio and len(args.reference_audio) != len(args.audio):
        raise BadInputError(f"give one --reference-audio per --audio "
                            f"(got {len(args.reference_audio)} and {len(args.audio)})")
    if args.generated_dir and not args.dataset:
        raise BadInputError("--generated-dir needs --dataset")
    clips: list[ClipInput] = []
    for i, (phys, audio) in enumerate(zip(args.physics, args.audio)):
        ref = Path(args.reference_audio[i]) if args.reference_audio else None
        clips.append(ClipInput(f"{i}:{Path(phys).stem}", Path(phys), Path(audio), ref))
    if args.dataset:
        root = Path(args.dataset)
        for sid in dataset_scene_ids(root):
            scene = root / sid
            if args.generated_dir:
                gen = Path(args.generated_dir) / f"{sid}.wav"
                clips.append(ClipInput(sid, scene / "physics.json", gen, scene / "scene.wav"))
            else:
                clips.append(ClipInput(sid, scene / "physics.json", scene / "scene.wav"))
    if not clips:
        raise BadInputError("nothing to score: give --physics with --audio, or --dataset")
    with_ref = {c.reference_path is not None for c in clips}
    if len(with_ref) > 1:
        raise BadInputError("give reference audio for every clip or for none (mixing APCC and APCC-Δ inputs)")
    return clips


def events_of(tracks: PhysicsTracks, clip_id: str, category: str) -> tuple[list[ApccEvent], list[str]]:
    events, notes = [], []
    for obj in tracks.objects:
        cat = obj.material if category == "material" and obj.material else obj.name
        if category == "material" and not obj.material and obj.impacts:
            notes.append(f"{clip_id}: object {obj.id} ({obj.name!r}) has no material; grouped by its name")
        events.extend(ApccEvent(clip_id, cat, imp.time_s, imp.delta_ke_j) for imp in obj.impacts)
    return events, notes


def _read_audio(path: Path):
    from ..video import read_audio

    if not path.is_file():
        raise BadInputError(f"audio file not found: {path}")
    return read_audio(path)


def _print_result(title: str, result: ApccResult) -> None:
    print(f"{title}: {_fmt(result.mean)}")
    for cat, c in sorted(result.per_category.items()):
        print(f"  {cat:16s} r = {c.r:+.3f}  (n = {c.n})")
    for cat, why in sorted(result.skipped.items()):
        print(f"  {cat:16s} skipped: {why}")
    drops = {k: v for k, v in result.dropped.items() if v}
    if drops:
        print("  events not used: " + ", ".join(f"{k} {v}" for k, v in drops.items()))


def _fmt(x: float) -> str:
    return "n/a (no category scored)" if not math.isfinite(x) else f"{x:+.4f}"


def main(args: argparse.Namespace) -> int:
    from .baselines import segment_shuffle

    config = config_from_args(args)
    clips = gather_inputs(args)
    events: list[ApccEvent] = []
    notes: list[str] = []
    audio: dict = {}
    reference: dict = {}
    for clip in clips:
        tracks = PhysicsTracks.load(clip.physics_path)
        ev, n = events_of(tracks, clip.clip_id, args.category)
        events.extend(ev)
        notes.extend(n)
        audio[clip.clip_id] = _read_audio(clip.audio_path)
        if clip.reference_path is not None:
            reference[clip.clip_id] = _read_audio(clip.reference_path)
    for note in notes:
        print(f"note: {note}")

    out: dict = {"schema": JSON_SCHEMA, "label": LABEL, "num_clips": len(clips), "num_events": len(events),
                 "clips": {c.clip_id: {"physics": str(c.physics_path), "audio": str(c.audio_path),
                                       "reference_audio": None if c.reference_path is None else str(c.reference_path)}
                           for c in clips},
                 "notes": notes}
    progress = ConsoleProgress("APCC")
    if reference:
        delta = apcc_delta(events, reference, audio, config, progress=progress)
        _print_result(f"{LABEL}, reference audio", delta.reference)
        _print_result(f"{LABEL}, generated audio", delta.generated)
        print(f"APCC-Δ (reconstructed): {_fmt(delta.mean)}  "
              "(mean over categories of |r_ref − r_gen|; lower is better)")
        for cat, why in sorted(delta.skipped.items()):
            print(f"  {cat:16s} not in APCC-Δ: {why}")
        out["apcc_delta"] = delta.to_dict()
    else:
        result = apcc(events, audio, config, progress=progress)
        _print_result(LABEL, result)
        out["apcc"] = result.to_dict()
    if args.null_baseline > 0:
        values = [apcc(events, segment_shuffle(audio, seed=s), config).mean for s in range(args.null_baseline)]
        finite = [v for v in values if math.isfinite(v)]
        null_mean = float(np.mean(finite)) if finite else float("nan")
        print(f"{LABEL} of the same audio, segments shuffled across clips (null baseline, "
              f"{args.null_baseline} seed(s)): {_fmt(null_mean)}")
        out["null_baseline"] = {"method": "segment_shuffle", "segment_s": 0.5, "seeds": args.null_baseline,
                                "mean": null_mean if math.isfinite(null_mean) else None,
                                "values": [v if math.isfinite(v) else None for v in values]}
    if args.json:
        with atomic_output(args.json) as tmp:
            tmp.write_text(json.dumps(out, indent=1, allow_nan=False))
        print(f"wrote {args.json}")
    return 0


