"""PAVAS-tiny generation time for 8 s of audio on this machine, against the modal synthesizer in the same run.

    python bench/tiny_generate_speed.py [--tiny FILE] [--window-s W] [--steps 25] [--repeats 3] [--threads N]
                                        [--train-step] [--batch-size 8] [--duration-s 8]

Renders one 8-s generated scene (320x240, 24 fps), decodes it, and times, after one warm-up:
PAVAS-tiny generation (frames → encoder → 25 Euler steps with guidance → Griffin-Lim; the
ground-truth physics, so the estimator is not counted) and, as the baseline, the modal
synthesizer (`render_foley`, the default generator) on the same physics. Prints the median of
each and their ratio; the issue's target is under 4 s for the tiny model. Without --tiny a
seeded random-weight model of the tiny config is timed (the same work as a trained one). The
generation windows are the checkpoint's training windows, as `run --generator tiny` makes them
(`--window-s` for the random-weight model; default one window over the clip).

--train-step also times one training step (forward, backward, AdamW) of the whole tiny network on
a batch of --batch-size windows of --duration-s seconds, to size a training recipe.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _median_s(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    import torch

    from pavas_core.models.tiny_generator import TinyGenerator, TinyGeneratorConfig
    from pavas_core.models.tiny_generator.checkpoint import load_tiny_generator, training_window_s
    from pavas_core.models.tiny_generator.generate import generate_tiny
    from pavas_core.physics.tracks import PhysicsTracks
    from pavas_core.scenes.dataset import synth_dataset
    from pavas_core.synth import render_foley
    from pavas_core.video import read_video

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tiny", metavar="FILE", help="a trained checkpoint (default: random weights, tiny config)")
    ap.add_argument("--window-s", type=float, default=None,
                    help="generation window of the random-weight model (a checkpoint uses its own)")
    ap.add_argument("--steps", type=int, default=25)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    ap.add_argument("--train-step", action="store_true", help="also time one training step")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--duration-s", type=float, default=8.0)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory() as tmp:
        synth_dataset(Path(tmp) / "d", n=1, seed=101, fps_choices=(24.0,), resolutions=((320, 240),),
                      duration_range_s=(8.0, 8.0), sample_rate_hz=16000)
        folder = Path(tmp) / "d" / "scene_0000"
        clip = read_video(folder / "scene.mp4", max_side=320, with_audio=False)
        tracks = PhysicsTracks.load(folder / "physics.json")
    window_s = args.window_s
    if args.tiny:
        model = load_tiny_generator(args.tiny)
        window_s = training_window_s(args.tiny)
    else:
        torch.manual_seed(0)
        model = TinyGenerator(TinyGeneratorConfig()).eval().requires_grad_(False)
    params = model.num_parameters()

    tiny_s = _median_s(lambda: generate_tiny(model, clip, tracks, num_steps=args.steps, window_s=window_s),
                       args.repeats)
    foley_s = _median_s(lambda: render_foley(tracks, sample_rate_hz=16000, duration_s=clip.duration_s, seed=0),
                        args.repeats)
    print(f"clip {clip.duration_s:.2f} s, {len(tracks.objects)} object(s); PAVAS-tiny "
          f"{params['total']:,} parameters, {args.steps} Euler steps, torch threads {torch.get_num_threads()}, "
          + (f"windows of {window_s:g} s" if window_s else "one window"))
    print(f"PAVAS-tiny generation: {tiny_s:.3f} s ({clip.duration_s / tiny_s:.1f}x real time; target < 4 s: "
          f"{'met' if tiny_s < 4.0 else 'NOT met'})")
    print(f"modal synthesizer (baseline): {foley_s:.3f} s")
    print(f"ratio tiny / modal: {tiny_s / foley_s:.2f}")

    if args.train_step:
        from pavas_core.models.tiny_generator.window_inputs import stack_windows, tiny_window, window_lengths
        from pavas_core.train.tiny_loop import DEFAULT_TINY_LR

        lengths = window_lengths(args.duration_s)
        window = tiny_window(clip, tracks, model.config, duration_s=args.duration_s)
        window.latent = torch.randn(lengths.latent_len, 20) - 8
        batch = stack_windows([window] * args.batch_size)
        torch.manual_seed(0)
        trainee = TinyGenerator(model.config).train()
        optimizer = torch.optim.AdamW(trainee.parameters(), lr=DEFAULT_TINY_LR)
        flags = torch.zeros(args.batch_size, dtype=torch.bool)

        def step():
            optimizer.zero_grad(set_to_none=True)
            loss = trainee.training_loss(batch, lengths, noise=torch.randn_like(batch.latent),
                                         t=torch.rand(args.batch_size), drop_video=flags, drop_physics=flags)
            loss.backward()
            optimizer.step()

        step_s = _median_s(step, args.repeats)
        print(f"training step, batch {args.batch_size} x {args.duration_s:g} s windows: {step_s:.3f} s "
              f"→ {int(7200 / step_s):,} steps ({int(7200 / step_s) * args.batch_size:,} windows) in 2 hours")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
