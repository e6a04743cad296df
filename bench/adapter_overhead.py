"""Phy-Adapter overhead per flow step: predict_flow with the adapter's Δ-modulation / without, same run.

The network (default large_44k_v2, random weights: the speed does not depend on the values) gets
the inputs of one 8-s clip with classifier-free guidance (batch 2: conditional + unconditional,
as the sampler runs it). The adapter's residuals depend on the clip, not on the flow time, so they
are made once per window (`PhyAdapter.delta`, timed separately and amortised over the steps × 2
evaluations of a 25-step run); a flow step then only gathers them per audio token and adds them.
Calls are interleaved A B A B and medians compared, so load from other processes affects both
sides alike; the process's CPU time is reported beside the wall time (steadier on a shared machine).

    python bench/adapter_overhead.py [--variant large_44k_v2] [--repeats 5] [--threads N] [--objects 2]

Prints the adapter's parameter count, the backbone's, the per-step times and the overhead ratio.
bf16 on a GPU is the intended production setting; this script runs where it is started (CPU
unless --device cuda) in fp32 unless --dtype says otherwise.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pavas_core.models.mmaudio import VARIANTS, load_mmaudio_network, random_state_dict  # noqa: E402
from pavas_core.models.mmaudio.network import AdaLNDelta  # noqa: E402
from pavas_core.models.phy_adapter import PhysicsBatch, fresh_adapter  # noqa: E402
from pavas_core.runtime import resolve_dtype  # noqa: E402


def timed(fn) -> tuple[float, float]:
    """(wall s, process CPU s) of one call (synchronised on CUDA)."""
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", default="large_44k_v2", choices=sorted(VARIANTS))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--objects", type=int, default=2)
    parser.add_argument("--steps", type=int, default=25, help="sampling steps the per-window cost is spread over")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="fp32", choices=("fp32", "bf16", "fp16"))
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    config = VARIANTS[args.variant]
    device, dtype = torch.device(args.device), resolve_dtype(args.dtype)
    net = load_mmaudio_network(random_state_dict(config, seed=0), dtype=dtype, device=device)
    adapter = fresh_adapter(config, seed=0).to(device=device, dtype=dtype)
    with torch.no_grad():  # a trained adapter: no zero layers (the cost does not depend on it, the check does)
        for p in adapter.parameters():
            p.add_(0.02 * torch.randn_like(p))
    lengths = config.sequence_lengths(8.0)
    g = torch.Generator().manual_seed(0)
    clip_f = torch.randn(1, lengths.clip_len, config.clip_dim, generator=g)
    sync_f = torch.randn(1, lengths.sync_len, config.sync_dim, generator=g)
    text_f = torch.randn(1, config.text_len, config.text_dim, generator=g)
    batch = PhysicsBatch(object_features=torch.randn(1, args.objects, lengths.clip_len, config.clip_dim, generator=g),
                         visible=torch.ones(1, args.objects, lengths.clip_len, dtype=torch.bool),
                         mass_kg=torch.rand(1, args.objects, generator=g) * 5,
                         speed_mps=torch.rand(1, args.objects, lengths.clip_len, generator=g) * 5,
                         present=torch.ones(1, args.objects, dtype=torch.bool))
    with torch.inference_mode():
        conditions = net.preprocess_conditions(clip_f, sync_f, text_f)
        empty = net.get_empty_conditions(1, clip_len=lengths.clip_len, sync_len=lengths.sync_len)
        from pavas_core.models.mmaudio.network import Conditions

        both = Conditions.concat([conditions, empty])
        latent = torch.randn(1, lengths.latent_len, config.latent_dim, generator=g).to(device=device, dtype=dtype)

        def make_delta():
            cond = adapter(batch, latent_len=lengths.latent_len, sample_rate_hz=config.sample_rate_hz)
            null = adapter.delta(adapter.null_codes(1, lengths.clip_len), latent_len=lengths.latent_len,
                                 sample_rate_hz=config.sample_rate_hz)
            return AdaLNDelta.concat([(cond, 1), (null, 1)], net.adaln_shapes(1, lengths.latent_len))

        delta = make_delta()
        plain = lambda: net.predict_flow(latent, 0.5, both)  # noqa: E731
        steered = lambda: net.predict_flow(latent, 0.5, both, delta)  # noqa: E731
        plain(), steered()  # warm-up (RoPE tables, allocator)
        a_wall, a_cpu, b_wall, b_cpu, d_wall = [], [], [], [], []
        for _ in range(args.repeats):
            w, c = timed(plain)
            a_wall.append(w), a_cpu.append(c)
            w, c = timed(steered)
            b_wall.append(w), b_cpu.append(c)
            d_wall.append(timed(make_delta)[0])
    backbone_params = sum(p.numel() for p in net.parameters())
    adapter_params = adapter.num_parameters()
    base, with_adapter = statistics.median(a_wall), statistics.median(b_wall)
    base_cpu, with_cpu = statistics.median(a_cpu), statistics.median(b_cpu)
    per_window = statistics.median(d_wall)
    evaluations = 2 * args.steps  # the sampler stacks both branches into one call per step
    amortised = per_window / args.steps
    print(f"variant {args.variant}, {args.device} {args.dtype}, {torch.get_num_threads()} thread(s), "
          f"8 s clip (N = {lengths.latent_len} audio tokens), CFG batch 2, {args.objects} objects")
    print(f"parameters: backbone {backbone_params:,}; Phy-Adapter {adapter_params:,} "
          f"({100 * adapter_params / backbone_params:.2f} % of the backbone)")
    print(f"flow step, median of {args.repeats}: backbone {base * 1e3:.1f} ms (CPU {base_cpu * 1e3:.1f} ms), "
          f"with the adapter's delta {with_adapter * 1e3:.1f} ms (CPU {with_cpu * 1e3:.1f} ms)")
    print(f"adapter residuals, once per window: {per_window * 1e3:.1f} ms = {amortised * 1e3:.2f} ms per step "
          f"over {args.steps} steps ({evaluations} network evaluations)")
    print(f"overhead per flow step: {100 * (with_adapter - base) / base:+.2f} % wall, "
          f"{100 * (with_cpu - base_cpu) / base_cpu:+.2f} % CPU; with the per-window cost spread over the steps: "
          f"{100 * (with_adapter + amortised - base) / base:+.2f} % wall")
    return 0


if __name__ == "__main__":
    sys.exit(main())
