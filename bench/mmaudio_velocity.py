"""Speed of one MMAudio `velocity` call: our network against MMAudio's reference code, same run.

Both networks get identical random weights (`random_state_dict`: every tensor random, so no path
is zero) and the same inputs; calls are interleaved A B A B and the medians compared, so load from
other processes affects both sides alike. Wall time and the process's CPU time are both reported:
on a shared machine the CPU time is the steadier figure (with one thread it excludes time spent
waiting for a core). A call is the full uncached path: condition preprocessing + one flow
prediction (MMAudio's `net(latent, clip_f, sync_f, text_f, t)`).

The reference is imported from a checkout of hkchengrex/MMAudio that you point to (nothing is
downloaded):

    python bench/mmaudio_velocity.py --mmaudio-src PATH/TO/MMAudio [--variant small_16k]
        [--duration 8] [--batch 2] [--repeats 9] [--threads N] [--sample-steps K]

Without a reference path (or MMAUDIO_SRC) only our timing is printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pavas_core.models.flow_matching import sample  # noqa: E402
from pavas_core.models.mmaudio import VARIANTS, load_mmaudio_network, random_state_dict  # noqa: E402


def load_reference(src: str, variant: str, lengths, state_dict):
    """MMAudio's own network from the checkout at `src`, with `state_dict` loaded."""
    sys.path.insert(0, str(Path(src).resolve()))
    from mmaudio.model.networks import get_my_mmaudio  # type: ignore[import-not-found]

    reference = get_my_mmaudio(variant).eval()
    reference.update_seq_lengths(lengths.latent_len, lengths.clip_len, lengths.sync_len)
    reference.load_weights(dict(state_dict))
    return reference


def timed(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def compare(label: str, run_ours, run_reference, repeats: int) -> None:
    """Interleaved A/B timing after two warm-up calls each; prints max |diff|, medians and ratios."""
    max_diff = (run_ours() - run_reference()).abs().max().item()
    run_ours(), run_reference()
    ours_s, reference_s = [], []
    for _ in range(repeats):
        ours_s.append(timed(run_ours))
        reference_s.append(timed(run_reference))
    print(f"{label}: max |ours - MMAudio| = {max_diff:.3g}, {repeats} calls per side")
    for kind, index in (("wall", 0), ("CPU", 1)):
        ours_t = [sample[index] for sample in ours_s]
        reference_t = [sample[index] for sample in reference_s]
        ours_ms, reference_ms = 1e3 * statistics.median(ours_t), 1e3 * statistics.median(reference_t)
        print(
            f"  {kind:4s} MMAudio median {reference_ms:.1f} ms (min {1e3 * min(reference_t):.1f}), "
            f"ours median {ours_ms:.1f} ms (min {1e3 * min(ours_t):.1f}); ratio ours/MMAudio "
            f"{ours_ms / reference_ms:.3f} (medians), {min(ours_t) / min(reference_t):.3f} (minima)"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mmaudio-src", default=os.environ.get("MMAUDIO_SRC"), help="MMAudio checkout")
    parser.add_argument("--variant", default="small_16k", choices=sorted(VARIANTS))
    parser.add_argument("--duration", type=float, default=8.0, help="clip length in seconds")
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=9, help="timed calls per side")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    parser.add_argument(
        "--sample-steps", type=int, default=0, help="also time guided Euler sampling with this many steps (0: skip)"
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    config = VARIANTS[args.variant]
    lengths = config.sequence_lengths(args.duration)
    state_dict = random_state_dict(config, seed=0)
    ours = load_mmaudio_network(state_dict)
    generator = torch.Generator().manual_seed(1)
    batch = args.batch
    latent = torch.randn(batch, lengths.latent_len, config.latent_dim, generator=generator)
    clip_f = torch.randn(batch, lengths.clip_len, config.clip_dim, generator=generator)
    sync_f = torch.randn(batch, lengths.sync_len, config.sync_dim, generator=generator)
    text_f = torch.randn(batch, config.text_len, config.text_dim, generator=generator)
    t = torch.rand(batch, generator=generator)
    print(
        f"{args.variant}, {args.duration:g} s (N={lengths.latent_len}, Lc={lengths.clip_len}, "
        f"Ls={lengths.sync_len}), batch {batch}, fp32, {torch.get_num_threads()} threads, torch {torch.__version__}"
    )

    def run_ours():
        return ours.velocity(latent, t, clip_f, sync_f, text_f)

    if not args.mmaudio_src:
        print("no --mmaudio-src / MMAUDIO_SRC given: timing our network only")
        with torch.inference_mode():
            run_ours()
            times = [timed(run_ours) for _ in range(args.repeats)]
        wall_ms = 1e3 * statistics.median(w for w, _ in times)
        cpu_ms = 1e3 * statistics.median(c for _, c in times)
        print(f"ours: median wall {wall_ms:.1f} ms, CPU {cpu_ms:.1f} ms over {len(times)} calls")
        return 0

    reference = load_reference(args.mmaudio_src, args.variant, lengths, state_dict)

    def run_reference():
        return reference(latent, clip_f, sync_f, text_f, t)

    with torch.inference_mode():
        compare("velocity (preprocess + one flow prediction)", run_ours, run_reference, args.repeats)
        if args.sample_steps:
            compare_sampling(ours, reference, (clip_f, sync_f, text_f), latent, lengths, args)
    return 0


def compare_sampling(ours, reference, features, noise, lengths, args) -> None:
    """Guided (4.5) Euler sampling from the same noise, conditions precomputed on both sides.

    MMAudio's side is its `FlowMatching` Euler loop (x += Δt · ode_wrapper(t, x) on
    linspace(0, 1, steps + 1)), written out here so that torchdiffeq is not needed.
    """
    steps, strength = args.sample_steps, 4.5
    batch = noise.shape[0]
    ours_cond = ours.preprocess_conditions(*features)
    ours_empty = ours.get_empty_conditions(batch, clip_len=lengths.clip_len, sync_len=lengths.sync_len)
    reference_cond = reference.preprocess_conditions(*features)
    reference_empty = reference.get_empty_conditions(batch)

    def run_ours():
        return sample(ours, ours_cond, ours_empty, noise=noise, num_steps=steps, cfg_strength=strength)

    def run_reference():
        x = noise
        times = torch.linspace(0, 1, steps + 1)
        for i in range(steps):
            flow = reference.ode_wrapper(times[i], x, reference_cond, reference_empty, strength)
            x = x + (times[i + 1] - times[i]) * flow
        return x

    compare(f"sampling ({steps} guided Euler steps)", run_ours, run_reference, max(1, args.repeats // 3))


if __name__ == "__main__":
    raise SystemExit(main())
