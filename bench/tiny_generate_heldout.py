"""PAVAS-tiny sound for every clip of a synth-dataset folder, for `evaluate` (the ablation's held-out step).

    python bench/tiny_generate_heldout.py --dataset DIR --tiny FILE --out GEN [--physics-dir PHYS]
                                          [--physics estimated|truth] [--mass-scale X] [--speed-scale X]
                                          [--steps 25] [--cfg 2] [--seed 0]
    python bench/tiny_generate_heldout.py --dataset DIR --physics-only --physics-dir PHYS
    python bench/tiny_generate_heldout.py --dataset DIR --foley --out GEN [--physics-dir PHYS]
    python bench/tiny_generate_heldout.py --dataset DIR --roundtrip --out GEN
    python -m pavas_core evaluate --dataset DIR --generated-dir GEN

Writes GEN/<scene_id>.wav (16 kHz) for each scene. The physics is the estimator's by default (the
issue's APCC-Δ is measured with estimated, not true, physics), computed once per clip with the
default estimator options and kept in PHYS/<scene_id>.json (default GEN/../physics_estimated), so
every ablation row reads the same physics; `--physics truth` uses the scenes' physics.json.
--mass-scale / --speed-scale edit every object first (the "×10 mass is louder" check). Prints
the seconds per clip. `--physics-only` makes the estimated physics and nothing else (no model
needed), so ablation rows run side by side can share it from the start. `--foley` sounds the same
physics with the pack's default generator, the modal synthesizer (what `run` makes), at 16 kHz:
the row PAVAS-tiny must beat to become the default. `--roundtrip` writes each clip's reference sound
through PAVAS-tiny's log-mel latent and Griffin-Lim (no model, no physics): the best a perfect
tiny model could sound, the ceiling of the representation.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    import numpy as np

    from pavas_core.metrics.cli import dataset_scene_ids
    from pavas_core.models.tiny_generator.checkpoint import describe_checkpoint, load_tiny_generator, training_window_s
    from pavas_core.models.tiny_generator.generate import generate_tiny
    from pavas_core.physics.edit import edit_physics
    from pavas_core.physics.estimate import estimate_physics
    from pavas_core.physics.options import EstimateOptions
    from pavas_core.physics.tracks import PhysicsTracks
    from pavas_core.synth import render_foley
    from pavas_core.video import AudioTrack, read_video, write_wav

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--tiny", metavar="FILE")
    ap.add_argument("--out", metavar="GEN")
    ap.add_argument("--foley", action="store_true", help="the modal synthesizer instead of a PAVAS-tiny checkpoint")
    ap.add_argument("--roundtrip", action="store_true",
                    help="the reference sound through the log-mel latent and Griffin-Lim (no model)")
    ap.add_argument("--physics-only", action="store_true",
                    help="only estimate the physics of every clip into --physics-dir")
    ap.add_argument("--physics", choices=("estimated", "truth"), default="estimated")
    ap.add_argument("--physics-dir", metavar="PHYS")
    ap.add_argument("--mass-scale", type=float, default=1.0)
    ap.add_argument("--speed-scale", type=float, default=1.0)
    ap.add_argument("--steps", type=int, default=25)
    ap.add_argument("--cfg", type=float, default=2.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.physics_only and not args.physics_dir:
        ap.error("--physics-only needs --physics-dir")
    if not args.physics_only and not ((args.tiny or args.foley or args.roundtrip) and args.out):
        ap.error("--tiny (or --foley or --roundtrip) and --out are needed (unless --physics-only)")
    if args.roundtrip:
        return _roundtrip(Path(args.dataset), Path(args.out))

    root = Path(args.dataset)
    out = Path(args.out) if args.out else None
    physics_dir = Path(args.physics_dir) if args.physics_dir else out.parent / "physics_estimated"
    model = None
    if args.foley and not args.physics_only:
        out.mkdir(parents=True, exist_ok=True)
        print(f"modal synthesizer (16 kHz); physics: {args.physics}")
    elif not args.physics_only:
        out.mkdir(parents=True, exist_ok=True)
        model = load_tiny_generator(args.tiny)
        window_s = training_window_s(args.tiny)
        print(f"{describe_checkpoint(args.tiny)}; physics: {args.physics}")
    seconds = []
    for sid in dataset_scene_ids(root):
        t0 = time.perf_counter()
        if args.physics_only and (physics_dir / f"{sid}.json").is_file():
            continue
        clip = read_video(root / sid / "scene.mp4", max_side=320, with_audio=False)
        if args.physics == "truth":
            tracks = PhysicsTracks.load(root / sid / "physics.json")
        else:
            cached = physics_dir / f"{sid}.json"
            if cached.is_file():
                tracks = PhysicsTracks.load(cached)
            else:
                tracks = estimate_physics(clip, options=EstimateOptions())
                physics_dir.mkdir(parents=True, exist_ok=True)
                tracks.save(cached, masks=True)
        if args.physics_only:
            seconds.append(time.perf_counter() - t0)
            continue
        if args.mass_scale != 1.0 or args.speed_scale != 1.0:
            tracks = edit_physics(tracks, mass_scale=args.mass_scale, speed_scale=args.speed_scale)
        if args.foley:
            foley = render_foley(tracks, sample_rate_hz=16000, seed=args.seed)
            wave, rate = np.asarray(foley.waveform, np.float32).reshape(-1), foley.sample_rate_hz
        else:
            result = generate_tiny(model, clip, tracks, seed=args.seed, num_steps=args.steps, cfg_strength=args.cfg,
                                   window_s=window_s)
            wave, rate = result.waveform.astype(np.float32), result.sample_rate_hz
        write_wav(out / f"{sid}.wav", AudioTrack(wave[None], rate),
                  bit_depth=32)  # float, as the reference sounds: no clipping in the level measures
        seconds.append(time.perf_counter() - t0)
    if seconds:
        print(f"wrote {len(seconds)} clips to {out or physics_dir}: {np.median(seconds):.2f} s per clip (median)")
    return 0


def _roundtrip(root: Path, out: Path) -> int:
    import numpy as np
    import torch

    from pavas_core.metrics.cli import dataset_scene_ids
    from pavas_core.metrics.spectral import resample, to_mono
    from pavas_core.models.tiny_generator.mel_latent import GriffinLimVocoder, LogMelLatent
    from pavas_core.video import AudioTrack, read_audio, write_wav

    encode, vocode = LogMelLatent(), GriffinLimVocoder()
    rate = vocode.sample_rate_hz
    out.mkdir(parents=True, exist_ok=True)
    ids = dataset_scene_ids(root)
    for sid in ids:
        audio = read_audio(root / sid / "scene.wav")
        mono = resample(to_mono(np.atleast_2d(audio.waveform)), int(audio.sample_rate_hz), rate).astype(np.float32)
        with torch.no_grad():
            wave = vocode(encode(torch.from_numpy(mono)[None]))[0].numpy()
        write_wav(out / f"{sid}.wav", AudioTrack(wave[None], rate), bit_depth=32)
    print(f"wrote {len(ids)} reference sounds through the log-mel latent and Griffin-Lim to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
