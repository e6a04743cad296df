"""The main job: video → physics → sound → WAV (and optionally the video with that sound).

Three generators: `foley` (the default, the embedded path that works on a fresh machine with no model
files: motion-based physics estimation and the modal impact synthesizer), `mmaudio` (the
learned path: MMAudio-compatible generation from a folder of model files, steered by the physics
through a Phy-Adapter when one is given) and `tiny` (PAVAS-tiny: the same architecture at a small
size, trained here from scratch; one checkpoint file, `--tiny FILE`). Physics comes from the estimator or from a physics.json
(`--physics-in`). All outputs of one run are committed together at the end, so a failed or
interrupted run leaves no partial file behind.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import BadInputError
from .fileio import OutputSet
from .physics.options import EstimateOptions, add_estimator_arguments, options_from_args
from .progress import ConsoleProgress
from .synth.foley import FOLEY_SAMPLE_RATES_HZ

MUX_SUFFIXES = (".mp4", ".mov", ".mkv", ".webm")


GENERATORS = ("foley", "mmaudio", "tiny")
MMAUDIO_DECODE_MAX_SIDE = 512  # frames for CLIP (384 px squash) and Synchformer (224 px short side)


@dataclass(frozen=True)
class MMAudioOptions:
    """The learned generator: model folder (released file names), optional Phy-Adapter, sampling."""

    models: str | Path
    model: str | None = None  # the network file when the folder holds both sets
    adapter: str | Path | None = None
    prompt: str = ""
    negative_prompt: str = ""
    steps: int = 25
    cfg_strength: float = 4.5
    precision: str = "auto"  # auto: bf16 on GPUs that support it, fp32 on the CPU
    device: str | None = None
    mass_scale: float = 1.0  # edits of every object's physics before sampling
    speed_scale: float = 1.0


@dataclass(frozen=True)
class TinyOptions:
    """PAVAS-tiny: its checkpoint (None: the shipped one, if any) and sampling."""

    checkpoint: str | Path | None = None
    steps: int = 25
    cfg_strength: float = 2.0
    device: str | None = None


@dataclass(frozen=True)
class RunOptions:
    sample_rate_hz: int = 44100
    seed: int = 0
    estimate: EstimateOptions = field(default_factory=EstimateOptions)  # the same options as `estimate`
    physics_masks: bool = False  # also write each object's masks into physics.json
    generator: str = "foley"
    mmaudio: MMAudioOptions | None = None
    tiny: TinyOptions | None = None
    physics_in: str | Path | None = None  # read the physics from this physics.json instead of estimating it
    mass_scale: float = 1.0  # edits of every object's physics before synthesis (either generator)
    speed_scale: float = 1.0
    # with a mux output: keep the video's own sound at this gain (dB) and add the sound to it (None: replace it)
    keep_audio_gain_db: float | None = None


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
    if options.generator not in GENERATORS:
        raise BadInputError(f"generator must be one of {', '.join(GENERATORS)}, got {options.generator!r}")
    if options.generator == "mmaudio" and options.mmaudio is None:
        raise BadInputError("the mmaudio generator needs its model folder (--models DIR)")
    if options.generator == "tiny":
        from .models.tiny_generator.checkpoint import read_tiny_metadata, resolve_tiny_checkpoint

        options = replace(options, tiny=replace(options.tiny or TinyOptions(),
                                                checkpoint=resolve_tiny_checkpoint((options.tiny or TinyOptions()).checkpoint)))
        read_tiny_metadata(options.tiny.checkpoint)  # a file that is no PAVAS-tiny checkpoint: refused before any work
    # checked before any work, whatever the generator and whether or not physics is used
    from .physics.edit import MASS_SCALE_RANGE, SPEED_SCALE_RANGE, check_scale

    scales = [(options.mass_scale, options.speed_scale)]
    if options.mmaudio is not None:
        scales.append((options.mmaudio.mass_scale, options.mmaudio.speed_scale))
    for mass_scale, speed_scale in scales:
        check_scale("--mass-scale", mass_scale, MASS_SCALE_RANGE)
        check_scale("--speed-scale", speed_scale, SPEED_SCALE_RANGE)
    video_path, wav_path = Path(video_path), Path(wav_path)
    mux_path = Path(mux_path) if mux_path is not None else None
    physics_path = Path(physics_path) if physics_path is not None else None
    if options.sample_rate_hz not in FOLEY_SAMPLE_RATES_HZ:
        raise BadInputError(f"sample rate must be one of {FOLEY_SAMPLE_RATES_HZ}, got {options.sample_rate_hz}")
    options.estimate.validate()
    _check_outputs(wav_path, mux_path)
    if options.keep_audio_gain_db is not None and mux_path is None:
        raise BadInputError("--keep-audio keeps the video's own sound in the --mux output; give --mux OUT_VIDEO "
                            "(the WAV is always the new sound alone)")
    # Every output is reserved now (refused if it names the input or another output) and committed
    # only when all are written: a failed or interrupted run leaves nothing behind.
    inputs = [video_path] + ([Path(options.physics_in)] if options.physics_in is not None else [])
    inputs += [Path(p) for p in options.estimate.input_paths()]
    if options.mmaudio is not None:
        inputs.append(Path(options.mmaudio.models))
        if options.mmaudio.model is not None:
            inputs.append(Path(options.mmaudio.model))
        if options.mmaudio.adapter is not None:
            inputs.append(Path(options.mmaudio.adapter))
    if options.tiny is not None and options.tiny.checkpoint is not None:
        inputs.append(Path(options.tiny.checkpoint))
    with OutputSet(inputs=inputs) as outputs:
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
    from .synth.silence import silence_note
    from .video import AudioTrack, mux_audio, read_video, write_wav

    progress = progress_factory or (lambda label: None)
    timings: dict[str, float] = {}

    learned = options.generator == "mmaudio"
    t0 = time.perf_counter()
    max_side = max(options.estimate.analysis_max_side, MMAUDIO_DECODE_MAX_SIDE) if learned \
        else options.estimate.analysis_max_side
    clip = read_video(video_path, max_side=max_side, with_audio=False, progress=progress("decode"))
    timings["decode_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    notes: list[str] = []
    tiny = options.generator == "tiny"
    if tiny:
        from .models.tiny_generator.checkpoint import read_tiny_metadata

        tiny_physics = read_tiny_metadata(options.tiny.checkpoint)["config"].uses_physics
        needs_physics = tiny_physics or tmp_json is not None
    else:
        needs_physics = not learned or options.mmaudio.adapter is not None or tmp_json is not None
    if options.physics_in is not None:
        from .physics.fit_to_video import fit_physics_to_video
        from .physics.tracks import PhysicsTracks

        physics_in = Path(options.physics_in)
        tracks, fit_notes = fit_physics_to_video(
            PhysicsTracks.load(physics_in), fps=clip.fps, duration_s=clip.duration_s,
            size=tuple(clip.source_size) if clip.source_size else (clip.width, clip.height),
            physics_name=physics_in.name, video_name=video_path.name)
        notes.extend(fit_notes)
        if learned and options.mmaudio.adapter is None:
            notes.append(f"--physics-in {physics_in.name}: MMAudio without --adapter does not use physics; "
                         "give --adapter FILE for the physics to steer the sound")
    elif needs_physics:
        tracks = estimate_physics(clip, options=options.estimate, progress=progress("physics"))
    else:
        tracks = None
        notes.append("this PAVAS-tiny checkpoint is the backbone alone: no physics was estimated" if tiny else
                     "no --adapter: MMAudio generates without physics, so none was estimated")
    mass_scale, speed_scale = options.mass_scale, options.speed_scale
    if learned:
        mass_scale, speed_scale = mass_scale * options.mmaudio.mass_scale, speed_scale * options.mmaudio.speed_scale
    if tracks is not None and (mass_scale != 1.0 or speed_scale != 1.0):
        from .physics.edit import edit_physics

        tracks = edit_physics(tracks, mass_scale=mass_scale, speed_scale=speed_scale)
    timings["estimate_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    if learned:
        audio, generator_notes = _generate_mmaudio(clip, tracks, options, progress("generate"))
        notes.extend(generator_notes)
    elif tiny:
        audio, generator_notes = _generate_tiny(clip, tracks, options, progress("generate"))
        notes.extend(generator_notes)
    else:
        foley = render_foley(tracks, sample_rate_hz=options.sample_rate_hz, duration_s=clip.duration_s,
                             seed=options.seed)
        audio = AudioTrack(foley.waveform, foley.sample_rate_hz)
        notes.extend(foley.notes)
    note = silence_note(tracks, audio.waveform, duration_s=clip.duration_s,
                        physics_file=Path(options.physics_in).name if options.physics_in is not None else None)
    if note:
        notes.append(note)  # never an all-zero WAV without saying why
    timings["synthesize_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    write_wav(tmp_wav, audio)
    if tmp_json is not None:
        tracks.save(tmp_json, masks=options.physics_masks)
    if tmp_mux is not None:
        notes.extend(mux_audio(video_path, audio, tmp_mux, keep_original_gain_db=options.keep_audio_gain_db) or [])
    timings["write_s"] = time.perf_counter() - t0

    return RunResult(
        wav_path=tmp_wav,
        mux_path=tmp_mux,
        physics_path=tmp_json,
        num_objects=len(tracks.objects) if tracks is not None else 0,
        num_impacts=sum(len(o.impacts) for o in tracks.objects) if tracks is not None else 0,
        duration_s=clip.duration_s,
        timings_s=timings,
        warnings=(list(tracks.warnings) if tracks is not None else []) + notes,
    )


def _generate_mmaudio(clip, tracks, options: RunOptions, progress):
    """(AudioTrack, notes) from the MMAudio set in the options' folder, with the Phy-Adapter if given."""
    import torch

    from .models.generator import generate
    from .models.model_set import find_model_set, load_model_set
    from .runtime import resolve_device
    from .video import AudioTrack

    mm = options.mmaudio
    device = resolve_device(mm.device)
    precision = mm.precision
    if precision == "auto":
        precision = "bf16" if device.type == "cuda" and torch.cuda.is_bf16_supported() else "fp32"
    net, encoders = load_model_set(find_model_set(mm.models, model=mm.model), dtype=precision, device=device)
    physics = None
    notes: list[str] = []
    if mm.adapter is not None:
        from .models.phy_adapter import load_adapter
        from .models.phy_conditioning import PhysicsConditioning
        from .models.physics_inputs import physics_inputs

        adapter = load_adapter(mm.adapter, device=device, network_config=net.config)
        inputs = physics_inputs(tracks, clip, encoders.clip)
        notes.extend(inputs.warnings)
        physics = PhysicsConditioning(adapter, inputs, tracks)
    result = generate(net, encoders, clip=clip, prompt=mm.prompt, negative_prompt=mm.negative_prompt,
                      seed=options.seed, num_steps=mm.steps, cfg_strength=mm.cfg_strength, physics=physics,
                      progress=progress)
    notes.extend(result.warnings)
    return AudioTrack(result.waveform[0].numpy(), result.sample_rate_hz), notes


def _generate_tiny(clip, tracks, options: RunOptions, progress):
    """(AudioTrack, notes) from the PAVAS-tiny checkpoint in the options."""
    from .models.tiny_generator.checkpoint import load_tiny_checkpoint
    from .models.tiny_generator.generate import generate_tiny
    from .runtime import resolve_device
    from .video import AudioTrack

    tiny = options.tiny
    loaded = load_tiny_checkpoint(tiny.checkpoint, device=resolve_device(tiny.device))
    result = generate_tiny(loaded.model, clip, tracks, seed=options.seed, num_steps=tiny.steps,
                           cfg_strength=tiny.cfg_strength, window_s=loaded.window_s, progress=progress)
    notes = [f"sound by {loaded.description} ({loaded.path.name}), 16 kHz"]
    return AudioTrack(result.waveform[None], result.sample_rate_hz), notes + result.warnings


# --- CLI verb `run` ------------------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("video", help="input video (mp4, webm, mov, mkv, gif, webp)")
    parser.add_argument("-o", "--output", required=True, help="output WAV file")
    parser.add_argument("--mux", metavar="OUT_VIDEO", help="also write the video with the new sound (.mp4/.mov/.mkv/.webm)")
    parser.add_argument("--keep-audio", action="store_true",
                        help="with --mux: keep the video's own sound (its sample rate and channel layout, e.g. 5.1) "
                             "and add the new sound to it: into the centre channel where the layout has one, else "
                             "front left and right at -3 dB each; the WAV stays the new sound alone")
    parser.add_argument("--keep-audio-gain-db", type=float, default=0.0, metavar="DB",
                        help="with --keep-audio: gain of the video's own sound in the mix (default 0: as it was; "
                             "e.g. -6 to put it under the new sound)")
    parser.add_argument("--physics", metavar="JSON", help="also write the estimated physics (physics.json, schema 1)")
    parser.add_argument("--with-masks", action="store_true",
                        help="with --physics: also write each object's masks (COCO RLE, in the video's own pixels)")
    parser.add_argument("--physics-in", metavar="JSON",
                        help="make the sound from this physics.json (e.g. hand-edited: masses, materials, impacts "
                             "are used as written) instead of estimating the physics; its fps and duration must be "
                             "the video's, a picture size of the same aspect ratio is rescaled to the video's "
                             "pixels; --physics must name another file")
    parser.add_argument("--sample-rate", type=int, default=None, choices=FOLEY_SAMPLE_RATES_HZ,
                        help="foley generator's sample rate (default 44100); MMAudio uses its network's own rate")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generator's random parts")
    parser.add_argument("--quiet", action="store_true", help="no progress display")
    g = parser.add_argument_group("generator")
    g.add_argument("--generator", choices=GENERATORS, default="foley",
                   help="foley: the weight-free modal synthesizer (default); mmaudio: MMAudio-compatible generation; "
                        "tiny: PAVAS-tiny, trained here (--tiny FILE)")
    g.add_argument("--tiny", metavar="FILE", help="tiny: the PAVAS-tiny checkpoint (from `train --config tiny`)")
    g.add_argument("--models", metavar="DIR", help="mmaudio: folder with the MMAudio files (released names)")
    g.add_argument("--model", metavar="FILE", help="mmaudio: the network file, if DIR holds more than one set "
                                                   "(e.g. a fine-tuned mmaudio_network.safetensors)")
    g.add_argument("--adapter", metavar="FILE", help="mmaudio: a Phy-Adapter file; the physics then steers the sound")
    g.add_argument("--prompt", default="", help="mmaudio: what the sound should be")
    g.add_argument("--negative-prompt", default="", help="mmaudio: what the sound should not be")
    g.add_argument("--steps", type=int, default=25, help="mmaudio, tiny: flow-matching (Euler) steps (25)")
    g.add_argument("--cfg", type=float, default=None,
                   help="mmaudio, tiny: classifier-free guidance strength (4.5; tiny: 2)")
    g.add_argument("--precision", choices=("auto", "fp32", "fp16", "bf16"), default="auto",
                   help="weight precision of the learned models (MMAudio, and the perception backends; auto: bf16 on GPUs "
                        "that support it, fp32 on the CPU)")
    g.add_argument("--device", default=None, help="device of the learned models (MMAudio, and the perception "
                                                   "backends): cpu, cuda, cuda:N (default: the best available)")
    g.add_argument("--mass-scale", type=float, default=1.0,
                   help="multiply every object's mass before making the sound (either generator)")
    g.add_argument("--speed-scale", type=float, default=1.0,
                   help="multiply every object's speed (and impact speeds) before making the sound (either generator)")
    add_estimator_arguments(parser)


def main(args: argparse.Namespace) -> int:
    mmaudio = None
    if args.generator == "mmaudio":
        if not args.models:
            raise BadInputError("--generator mmaudio needs --models DIR (the folder with the MMAudio files)")
        if args.sample_rate is not None:
            raise BadInputError("--sample-rate is the foley generator's; MMAudio makes sound at its network's rate")
        mmaudio = MMAudioOptions(models=args.models, model=args.model, adapter=args.adapter, prompt=args.prompt,
                                 negative_prompt=args.negative_prompt, steps=args.steps,
                                 cfg_strength=4.5 if args.cfg is None else args.cfg,
                                 precision=args.precision, device=args.device)
    else:
        used = [flag for flag, value in (("--models", args.models), ("--model", args.model), ("--adapter", args.adapter),
                                         ("--prompt", args.prompt), ("--negative-prompt", args.negative_prompt))
                if value]
        if used:
            raise BadInputError(f"{', '.join(used)} belong to --generator mmaudio")
    tiny = None
    if args.generator == "tiny":
        if args.sample_rate is not None:
            raise BadInputError("--sample-rate is the foley generator's; PAVAS-tiny makes sound at 16 kHz")
        tiny = TinyOptions(checkpoint=args.tiny, steps=args.steps, cfg_strength=2.0 if args.cfg is None else args.cfg,
                           device=args.device)
    elif args.tiny:
        raise BadInputError("--tiny belongs to --generator tiny")
    options = RunOptions(sample_rate_hz=args.sample_rate or 44100, seed=args.seed, estimate=options_from_args(args),
                         physics_masks=args.with_masks, generator=args.generator, mmaudio=mmaudio, tiny=tiny,
                         physics_in=args.physics_in, mass_scale=args.mass_scale, speed_scale=args.speed_scale,
                         keep_audio_gain_db=args.keep_audio_gain_db if args.keep_audio else None)
    if args.keep_audio_gain_db != 0.0 and not args.keep_audio:
        raise BadInputError("--keep-audio-gain-db is the gain of the kept sound: give --keep-audio too")
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
