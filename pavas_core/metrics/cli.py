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
from ..fileio import OutputSet, read_json
from ..limits import MAX_IMPACTS
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
    """Scene ids listed by a synth-dataset folder's index.json (written last: a folder without it is an
    interrupted or foreign dataset, and is refused rather than scored from whatever is there).

    An id must name a sub-folder of `root` (a plain folder name: no separators, no "..").
    """
    if not root.is_dir():
        raise BadInputError(f"dataset folder not found: {root}")
    index_path = root / "index.json"
    if not index_path.exists():
        raise BadInputError(f"{root} has no index.json: not a complete synth-dataset (interrupted?); "
                            "write it again with synth-dataset")
    index = read_json(index_path, "dataset index")
    entries = index.get("scenes") if isinstance(index, dict) else index
    if not isinstance(entries, list):
        raise BadInputError(f"{index_path}: expected a list of scenes under \"scenes\"")
    ids: list[str] = []
    for position, entry in enumerate(entries):
        if isinstance(entry, dict):
            entry = next((entry[k] for k in ("dir", "scene_id", "id", "name") if entry.get(k)), None)
        if not isinstance(entry, str) or not _is_plain_name(entry):
            raise BadInputError(f"{index_path}: scene {position} has no usable folder name ({entry!r}); "
                                "a scene is a plain sub-folder name")
        if not (root / entry).is_dir():
            raise BadInputError(f"{index_path} lists scene {entry!r} but {root / entry} is not a folder "
                                "(incomplete dataset?)")
        ids.append(entry)
    if not ids:
        raise BadInputError(f"{index_path} lists no scenes")
    if len(set(ids)) != len(ids):
        raise BadInputError(f"{index_path} lists a scene more than once")
    return ids


def _is_plain_name(name: str) -> bool:
    return bool(name) and name not in (".", "..") and "/" not in name and "\\" not in name and "\x00" not in name


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
        events.extend(ApccEvent(clip_id, cat, imp.time_s, imp.delta_ke_j) for imp in obj.impacts
                      if imp.sonified)  # a silent impact made no sound to correlate with
    return events, notes


def _read_audio(path: Path):
    from ..video import read_audio

    return read_audio(path)


def _input_files(clips: list[ClipInput], args: argparse.Namespace) -> list[Path]:
    files = [p for c in clips for p in (c.physics_path, c.audio_path, c.reference_path) if p is not None]
    if args.dataset:
        files.append(Path(args.dataset) / "index.json")
    return files


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


MAX_NULL_BASELINE_SEEDS = 1000


def main(args: argparse.Namespace) -> int:
    if not 0 <= args.null_baseline <= MAX_NULL_BASELINE_SEEDS:
        raise BadInputError(f"--null-baseline must be from 0 to {MAX_NULL_BASELINE_SEEDS} seeds, got {args.null_baseline}")
    from .baselines import segment_shuffle

    config = config_from_args(args)
    clips = gather_inputs(args)
    with OutputSet(inputs=_input_files(clips, args)) as outputs:  # --json never replaces an input
        tmp_json = outputs.add(args.json, "--json output") if args.json else None
        out = _score(args, config, clips)
        if tmp_json is not None:
            tmp_json.write_text(json.dumps(out, indent=1, allow_nan=False))
    if args.json:
        print(f"wrote {args.json}")
    return 0


def _score(args: argparse.Namespace, config: ApccConfig, clips: list[ClipInput]) -> dict:
    from .baselines import segment_shuffle

    events: list[ApccEvent] = []
    notes: list[str] = []
    audio: dict = {}
    reference: dict = {}
    for clip in clips:
        tracks = PhysicsTracks.load(clip.physics_path)
        ev, n = events_of(tracks, clip.clip_id, args.category)
        events.extend(ev)
        if len(events) > MAX_IMPACTS:
            raise BadInputError(f"more than {MAX_IMPACTS} impacts in all (at {clip.physics_path}); "
                                "score fewer clips at a time")
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
    return out


