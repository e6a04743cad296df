"""`python -m pavas_core train`: stage-2 training of the Phy-Adapter (and the DiT), or a fresh adapter file;
or, with `--config tiny`, PAVAS-tiny trained from scratch (encoder, DiT and adapter).

    python -m pavas_core train --init-only --models models/mmaudio --out phy_adapter.safetensors
    python -m pavas_core train --data data/impacts --models models/mmaudio --out runs/a [--steps N ...]
    torchrun --nproc_per_node 8 -m pavas_core train --data ... --models ... --out runs/a    # DDP
    python -m pavas_core train --config tiny --data data/impacts --out runs/tiny.safetensors [--steps N ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import BadInputError
from .loop import TrainConfig

CONFIGS = ("mmaudio", "tiny")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..models.tiny_generator.config import PHYSICS_CONDITIONS, PHYSICS_FPS_CHOICES, SPATIAL_POOLINGS
    from .tiny_loop import DEFAULT_TINY_LR, LR_SCHEDULES

    d = TrainConfig()
    parser.add_argument("--config", choices=CONFIGS, default="mmaudio",
                        help="mmaudio: stage 2 of the paper on the MMAudio files in --models (default); tiny: train "
                             "PAVAS-tiny from scratch (video encoder, small DiT, Phy-Adapter; no model files), "
                             "--out is then the .safetensors checkpoint")
    parser.add_argument("--models", metavar="DIR",
                        help="mmaudio: folder with the MMAudio files (network, VAE with its encoder, vocoder, "
                             "Synchformer, CLIP)")
    parser.add_argument("--model", metavar="FILE", help="the network file, when DIR holds more than one set")
    parser.add_argument("--out", required=True, metavar="PATH",
                        help="run folder (checkpoint, loss log, trained files); with --init-only: the adapter file")
    parser.add_argument("--init-only", action="store_true",
                        help="only write a freshly initialised adapter for the network in --models (it reproduces "
                             "the network exactly until trained)")
    parser.add_argument("--data", metavar="DIR", help="training clips: a folder in the synth-dataset layout")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    parser.add_argument("--train", choices=("all", "adapter"), default=d.train,
                        help=f"what is trained: all = DiT + adapter (the paper's stage 2), or the adapter alone ({d.train})")
    parser.add_argument("--spatial-pooling", choices=SPATIAL_POOLINGS, default=None,
                        help="tiny: how the video encoder pools each frame's feature grid (mean; mean_max also "
                             "keeps the strongest cell, for small moving objects)")
    parser.add_argument("--physics-fps", type=int, choices=PHYSICS_FPS_CHOICES, default=None,
                        help="tiny: the rate at which the Phy-Adapter reads the physics (8: the CLIP rate, as in "
                             "the paper; 25: every frame the sync stream sees)")
    parser.add_argument("--speed-change", action="store_true",
                        help="tiny: the speed branch also reads each frame's change of speed (an impact)")
    parser.add_argument("--injection", choices=("delta", "summation"), default=d.injection,
                        help=f"how physics enters the network: Δ-modulation of every adaLN, or summation into the "
                             f"condition (the ablation) ({d.injection})")
    parser.add_argument("--physics-conditions", choices=PHYSICS_CONDITIONS, default="both",
                        help="tiny: which physics codes steer the network (the ablation): none = the backbone alone, "
                             "c_mass, c_vel, or both (default)")
    parser.add_argument("--steps", type=int, default=d.steps, help=f"optimizer steps ({d.steps})")
    parser.add_argument("--batch-size", type=int, default=d.batch_size,
                        help=f"global batch, split over the processes ({d.batch_size})")
    parser.add_argument("--lr", type=float, default=None,
                        help=f"AdamW learning rate ({d.lr:g}; tiny: {DEFAULT_TINY_LR:g} after a warm-up over 5 %% of "
                             "the steps)")
    parser.add_argument("--lr-schedule", choices=LR_SCHEDULES, default=None,
                        help="tiny: after the warm-up, a cosine decay to 10 %% of --lr at the last step (default), "
                             "or constant")
    parser.add_argument("--duration-s", type=float, default=d.duration_s,
                        help=f"length of the training windows in seconds ({d.duration_s:g}, MMAudio's)")
    parser.add_argument("--seed", type=int, default=d.seed, help="seed of the data order and every random draw")
    parser.add_argument("--physics-dropout", type=float, default=d.physics_dropout,
                        help=f"probability of replacing the physics by the null tokens ({d.physics_dropout})")
    parser.add_argument("--cfg-dropout", type=float, default=d.cfg_dropout,
                        help=f"probability of dropping the video conditions, as MMAudio ({d.cfg_dropout})")
    parser.add_argument("--checkpoint-every", type=int, default=d.checkpoint_every, metavar="N",
                        help=f"write the checkpoint every N steps ({d.checkpoint_every})")
    parser.add_argument("--eval-windows", type=int, default=d.eval_windows, metavar="N",
                        help=f"windows of the fixed evaluation loss reported before and after ({d.eval_windows})")
    parser.add_argument("--precision", choices=("auto", "fp32", "bf16"), default=d.precision,
                        help="auto: bf16 autocast on GPUs, fp32 on the CPU")
    parser.add_argument("--adapter-rank", type=int, default=None, metavar="R",
                        help=f"hidden width of the Δ-modulation MLPs ({d.delta_rank}; tiny: 32)")
    parser.add_argument("--cache", metavar="DIR", help="feature cache folder (default: OUT/cache)")
    parser.add_argument("--device", default="auto", help="cpu, cuda, cuda:N (default: a GPU per process if any)")
    parser.add_argument("--stop-after", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--quiet", action="store_true", help="no progress display")


def main(args: argparse.Namespace) -> int:
    if args.config == "tiny":
        return _train_tiny(args)
    if args.physics_conditions != "both":
        raise BadInputError("--physics-conditions belongs to --config tiny (the MMAudio adapter uses both)")
    if args.lr_schedule is not None:
        raise BadInputError("--lr-schedule belongs to --config tiny")
    for flag, used in (("--spatial-pooling", args.spatial_pooling is not None),
                       ("--physics-fps", args.physics_fps is not None), ("--speed-change", args.speed_change)):
        if used:
            raise BadInputError(f"{flag} belongs to --config tiny")
    if not args.models:
        raise BadInputError("train needs --models DIR (the folder with the MMAudio files), or --config tiny")
    if args.lr is None:
        args.lr = TrainConfig().lr
    if args.adapter_rank is None:
        args.adapter_rank = TrainConfig().delta_rank
    if args.init_only:
        return _init_only(args)
    if not args.data:
        raise BadInputError("train needs --data DIR (or --init-only)")
    from .loop import train

    config = TrainConfig(steps=args.steps, batch_size=args.batch_size, lr=args.lr, duration_s=args.duration_s,
                         seed=args.seed, train=args.train, injection=args.injection,
                         physics_dropout=args.physics_dropout, cfg_dropout=args.cfg_dropout,
                         checkpoint_every=args.checkpoint_every, eval_windows=args.eval_windows,
                         precision=args.precision, delta_rank=args.adapter_rank).validate()
    result = train(data=Path(args.data), models=Path(args.models), out=Path(args.out), config=config,
                   model_file=args.model, resume=args.resume, cache=Path(args.cache) if args.cache else None,
                   device=args.device, quiet=args.quiet, stop_after=args.stop_after)
    if result.adapter_path is not None:
        first = f"{result.eval_loss_start:.5f}" if result.eval_loss_start is not None else "n/a (resumed)"
        last = f"{result.eval_loss_end:.5f}" if result.eval_loss_end is not None else "n/a"
        print(f"{result.steps_done} steps; evaluation loss {first} → {last}; adapter "
              f"{result.adapter_parameters:,} parameters; wrote {result.adapter_path}"
              + (f" and {result.network_path}" if result.network_path else ""))
    return 0


def _init_only(args: argparse.Namespace) -> int:
    from ..models.checkpoint import as_state_dict
    from ..models.mmaudio import detect_mmaudio_config
    from ..models.model_set import find_model_set
    from ..models.phy_adapter import fresh_adapter, save_adapter

    out = Path(args.out)
    if out.suffix not in (".safetensors", ".sft"):
        raise BadInputError(f"--init-only writes a .safetensors file, got {out.name!r}")
    paths = find_model_set(args.models, model=args.model)
    config = detect_mmaudio_config(as_state_dict(paths.model))
    adapter = fresh_adapter(config, seed=args.seed, injection=args.injection, delta_rank=args.adapter_rank)
    save_adapter(adapter, out, extra={"trained_steps": 0, "network": config.name},
                 inputs=[args.models, *paths.files()])
    print(f"wrote {out}: a fresh Phy-Adapter ({adapter.num_parameters():,} parameters) for the "
          f"{config.name} network in {paths.model.name}", file=sys.stdout)
    return 0


def _train_tiny(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from ..models.tiny_generator.config import TINY_CONFIGS
    from .tiny_loop import DEFAULT_TINY_LR, TinyTrainConfig, train_tiny

    not_tiny = [flag for flag, used in (("--models", args.models), ("--model", args.model),
                                        ("--init-only", args.init_only), ("--train adapter", args.train == "adapter"))
                if used]
    if not_tiny:
        raise BadInputError(f"{', '.join(not_tiny)} belong to --config mmaudio: PAVAS-tiny trains everything from "
                            "scratch and needs no model files")
    if not args.data:
        raise BadInputError("train --config tiny needs --data DIR (a synth-dataset folder)")
    overrides = {"physics_conditions": args.physics_conditions, "injection": args.injection}
    if args.spatial_pooling is not None:
        overrides["spatial_pooling"] = args.spatial_pooling
    if args.physics_fps is not None:
        overrides["physics_fps"] = args.physics_fps
    if args.speed_change:
        overrides["speed_change"] = True
    if args.adapter_rank is not None:
        overrides["delta_rank"] = args.adapter_rank
    model_config = replace(TINY_CONFIGS["tiny"], **overrides)
    config = TinyTrainConfig(steps=args.steps, batch_size=args.batch_size,
                             lr=args.lr if args.lr is not None else DEFAULT_TINY_LR, duration_s=args.duration_s,
                             seed=args.seed, physics_dropout=args.physics_dropout, cfg_dropout=args.cfg_dropout,
                             checkpoint_every=args.checkpoint_every, eval_windows=args.eval_windows,
                             precision=args.precision, lr_schedule=args.lr_schedule or "cosine").validate()
    result = train_tiny(data=Path(args.data), out=Path(args.out), model_config=model_config, config=config,
                        cache=Path(args.cache) if args.cache else None, resume=args.resume, device=args.device,
                        quiet=args.quiet, stop_after=args.stop_after)
    if result.steps_done < config.steps:
        print(f"stopped after step {result.steps_done} of {config.steps}; continue with --resume", file=sys.stdout)
        return 0
    first = f"{result.eval_loss_start:.5f}" if result.eval_loss_start is not None else "n/a"
    last = f"{result.eval_loss_end:.5f}" if result.eval_loss_end is not None else "n/a"
    timing = f"{result.seconds_per_step:.3f} s per step; " if result.seconds_per_step else ""
    print(f"PAVAS-tiny ({model_config.ablation_name}): {result.steps_done} steps on {result.num_windows} windows; "
          f"evaluation loss {first} → {last}; {timing}{result.parameters['total']:,} parameters; "
          f"wrote {result.checkpoint_path}")
    return 0
