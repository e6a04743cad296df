"""The main job: video → physics → impact sound → WAV (and optionally the video with that sound).

This is the embedded default that works on a fresh machine with no model files: motion-based
physics estimation (pavas_core.physics) and the modal impact synthesizer (pavas_core.synth).
All outputs of one run are committed together at the end, so a failed or interrupted run leaves
no partial file behind.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BadInputError
from .fileio import OutputSet
from .physics.options import EstimateOptions, add_estimator_arguments, options_from_args
from .progress import ConsoleProgress
from .synth.foley import FOLEY_SAMPLE_RATES_HZ

MUX_SUFFIXES = (".mp4", ".mov", ".mkv", ".webm")


@dataclass(frozen=True)
class RunOptions:
    sample_rate_hz: int = 44100
    seed: int = 0
    estimate: EstimateOptions = field(default_factory=EstimateOptions)  # the same options as `estimate`
    physics_masks: bool = False  # also write each object's masks into physics.json


@dataclass
class RunResult:
    wav_path: Path
    mux_path: Path | None
    physics_path: Path | None
    num_objects: int
    num_impacts: int
    duration_s: float
    timings_s: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _check_outputs(wav: Path, mux: Path | None) -> None:
    if wav.suffix.lower() != ".wav":
        raise BadInputError(f"output must be a .wav file, got {wav.name!r}")
    if mux is not None and mux.suffix.lower() not in MUX_SUFFIXES:
        raise BadInputError(f"--mux output must end in one of {', '.join(MUX_SUFFIXES)}, got {mux.name!r}")


def run_job(
    video_path: str | Path,
    wav_path: str | Path,
    *,
    mux_path: str | Path | None = None,
    physics_path: str | Path | None = None,
    options: RunOptions | None = None,
    progress_factory=None,
) -> RunResult:
    """Run the weight-free main job. `progress_factory(label) -> ProgressCallback | None`."""
    from . import physics, synth, video  # noqa: F401  (imported before any output is reserved)

    options = options or RunOptions()
    video_path, wav_path = Path(video_path), Path(wav_path)
    mux_path = Path(mux_path) if mux_path is not None else None
    physics_path = Path(physics_path) if physics_path is not None else None
    if options.sample_rate_hz not in FOLEY_SAMPLE_RATES_HZ:
        raise BadInputError(f"sample rate must be one of {FOLEY_SAMPLE_RATES_HZ}, got {options.sample_rate_hz}")
    options.estimate.validate()
    _check_outputs(wav_path, mux_path)
    # Every output is reserved now (refused if it names the input or another output) and committed
    # only when all are written: a failed or interrupted run leaves nothing behind.
    with OutputSet(inputs=[video_path]) as outputs:
        tmp_wav = outputs.add(wav_path, "WAV output")
        tmp_json = outputs.add(physics_path, "physics output") if physics_path is not None else None
        tmp_mux = outputs.add(mux_path, "--mux output") if mux_path is not None else None
        result = _run(video_path, tmp_wav, tmp_json, tmp_mux, options, progress_factory)
    result.wav_path, result.mux_path, result.physics_path = wav_path, mux_path, physics_path
    return result


def _run(video_path: Path, tmp_wav: Path, tmp_json: Path | None, tmp_mux: Path | None, options: RunOptions,
         progress_factory) -> RunResult:
    from .physics.estimate import estimate_physics
    from .synth import render_foley
    from .video import AudioTrack, mux_audio, read_video, write_wav

    progress = progress_factory or (lambda label: None)
    timings: dict[str, float] = {}

    t0 = time.perf_counter()
    clip = read_video(video_path, max_side=options.estimate.analysis_max_side, with_audio=False,
                      progress=progress("decode"))
    timings["decode_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    tracks = estimate_physics(clip, options=options.estimate, progress=progress("physics"))
    timings["estimate_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    foley = render_foley(tracks, sample_rate_hz=options.sample_rate_hz, duration_s=clip.duration_s, seed=options.seed)
    audio = AudioTrack(foley.waveform, foley.sample_rate_hz)
    timings["synthesize_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    write_wav(tmp_wav, audio)
    if tmp_json is not None:
        tracks.save(tmp_json, masks=options.physics_masks)
    if tmp_mux is not None:
        mux_audio(video_path, audio, tmp_mux)
    timings["write_s"] = time.perf_counter() - t0

    return RunResult(
        wav_path=tmp_wav,
        mux_path=tmp_mux,
        physics_path=tmp_json,
        num_objects=len(tracks.objects),
        num_impacts=sum(len(o.impacts) for o in tracks.objects),
        duration_s=clip.duration_s,
        timings_s=timings,
        warnings=list(tracks.warnings) + list(foley.notes),
    )


# --- CLI verb `run` ------------------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("video", help="input video (mp4, webm, mov, mkv, gif, webp)")
    parser.add_argument("-o", "--output", required=True, help="output WAV file")
    parser.add_argument("--mux", metavar="OUT_VIDEO", help="also write the video with the new sound (.mp4/.mov/.mkv/.webm)")
    parser.add_argument("--physics", metavar="JSON", help="also write the estimated physics (physics.json, schema 1)")
    parser.add_argument("--with-masks", action="store_true",
                        help="with --physics: also write each object's masks (COCO RLE, in the video's own pixels)")
    parser.add_argument("--sample-rate", type=int, default=44100, choices=FOLEY_SAMPLE_RATES_HZ)
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthesizer's random parts")
    parser.add_argument("--quiet", action="store_true", help="no progress display")
    add_estimator_arguments(parser)


def main(args: argparse.Namespace) -> int:
    options = RunOptions(sample_rate_hz=args.sample_rate, seed=args.seed, estimate=options_from_args(args),
                         physics_masks=args.with_masks)
    factory = None if args.quiet else (lambda label: ConsoleProgress(label))
    t0 = time.perf_counter()
    result = run_job(args.video, args.output, mux_path=args.mux, physics_path=args.physics,
                     options=options, progress_factory=factory)
    wall = time.perf_counter() - t0
    for w in result.warnings:
        print(f"note: {w}", file=sys.stderr)
    outputs = ", ".join(str(p) for p in (result.wav_path, result.mux_path, result.physics_path) if p is not None)
    print(f"{result.num_objects} object(s), {result.num_impacts} impact(s) in {result.duration_s:.2f} s of video; "
          f"wrote {outputs} in {wall:.2f} s")
    return 0
