"""Stage-2 training of PAVAS: frozen encoders, the MMAudio DiT and the Phy-Adapter (or the adapter alone).

One process, or many through torchrun (DDP; NCCL on GPUs, gloo on CPUs; several nodes with
torchrun's --nnodes / --rdzv-endpoint). Each step draws a global batch of windows from a seeded
permutation of the training set (one per epoch); rank r takes its contiguous share. Every random
number of a sample (flow time, noise, the posterior draw of its latent, the dropouts) comes from a
generator seeded by (seed, step, the sample's place in the global batch), so the run is the same
for any number of processes and after a resume.

Per sample, as MMAudio trains: x1 = the normalised latent drawn from the VAE posterior of the
reference sound, x0 ~ N(0, I), t = sigmoid(N(0, 1)); CFG dropout replaces the CLIP and
Synchformer features together by the learned empty ones with probability 0.1; the text is the
empty-string feature (the synthetic clips carry no captions); the physics is replaced by the
adapter's null tokens with probability 0.1, and always when the video is dropped (so the
unconditional branch of guidance has learned "no conditions, no physics"). Loss: the conditional
flow-matching loss (flow_matching.flow_matching_loss), averaged over the batch. AdamW
(β = 0.9, 0.95, ε = 1e-6, weight decay 1e-6 as MMAudio), lr 1e-5 by default (the paper's
stage 2), gradients clipped to norm 1. On a GPU the forward runs under bf16 autocast (weights and
optimizer state stay fp32).

Outputs in the run folder: checkpoint.safetensors (the latest; --resume continues from it),
loss.jsonl (one line per step), phy_adapter.safetensors (for `run --adapter`), and
mmaudio_network.safetensors when the DiT was trained (for `run --model`), summary.json.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..errors import BadInputError
from ..progress import ConsoleProgress, report

CHECKPOINT_FORMAT = "pavas_train_checkpoint"
CHECKPOINT_VERSION = 1
FROZEN_NETWORK_TENSORS = ("latent_mean", "latent_std", "empty_string_feat")
ADAMW_BETAS = (0.9, 0.95)
ADAMW_EPS = 1e-6
WEIGHT_DECAY = 1e-6
GRAD_CLIP_NORM = 1.0
EVAL_TIMES = (0.1, 0.3, 0.5, 0.7, 0.9)


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 10000
    batch_size: int = 8  # global: split across processes
    lr: float = 1e-5
    duration_s: float = 8.0
    seed: int = 0
    train: str = "all"  # all (DiT + adapter) | adapter
    injection: str = "delta"
    physics_dropout: float = 0.1
    cfg_dropout: float = 0.1
    checkpoint_every: int = 500
    eval_windows: int = 4
    precision: str = "auto"  # auto (bf16 autocast on CUDA, fp32 elsewhere) | fp32 | bf16
    delta_rank: int = 128

    def validate(self) -> "TrainConfig":
        check_shared_train_options(self)
        if self.train not in ("all", "adapter"):
            raise BadInputError(f"train: --train must be 'all' (DiT + adapter) or 'adapter', got {self.train!r}")
        return self


def check_shared_train_options(cfg: Any) -> None:
    """The options every `train --config` shares (steps, batch, lr, window length, dropouts, precision)."""
    if cfg.steps < 1 or cfg.batch_size < 1 or cfg.checkpoint_every < 1 or cfg.eval_windows < 0:
        raise BadInputError("train: --steps, --batch-size and --checkpoint-every must be at least 1")
    if not (cfg.lr > 0 and math.isfinite(cfg.lr)):
        raise BadInputError(f"train: --lr must be a positive number, got {cfg.lr}")
    if not 0.64 <= cfg.duration_s <= 60:
        raise BadInputError(f"train: --duration-s must be from 0.64 to 60 s, got {cfg.duration_s}")
    for name in ("physics_dropout", "cfg_dropout"):
        if not 0 <= getattr(cfg, name) <= 1:
            raise BadInputError(f"train: --{name.replace('_', '-')} must be from 0 to 1")
    if cfg.precision not in ("auto", "fp32", "bf16"):
        raise BadInputError(f"train: --precision must be auto, fp32 or bf16, got {cfg.precision!r}")


@dataclass
class Distributed:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_environment(cls) -> "Distributed":
        """Rank and world size as torchrun sets them (RANK, WORLD_SIZE, LOCAL_RANK); one process otherwise."""
        world = int(os.environ.get("WORLD_SIZE", "1"))
        return cls(rank=int(os.environ.get("RANK", "0")), world_size=world,
                   local_rank=int(os.environ.get("LOCAL_RANK", "0")))

    def init(self, device: torch.device) -> None:
        if self.world_size > 1:
            import torch.distributed as dist

            if not dist.is_initialized():
                dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")

    def barrier(self) -> None:
        if self.world_size > 1:
            import torch.distributed as dist

            dist.barrier()

    def mean(self, value: torch.Tensor) -> torch.Tensor:
        if self.world_size == 1:
            return value
        import torch.distributed as dist

        value = value.clone()
        dist.all_reduce(value)
        return value / self.world_size

    def close(self) -> None:
        if self.world_size > 1:
            import torch.distributed as dist

            if dist.is_initialized():
                dist.destroy_process_group()


def sample_generator(seed: int, step: int, index: int) -> torch.Generator:
    """The random stream of the `index`-th sample of the global batch at `step`."""
    digest = hashlib.sha256(f"pavas-train:{seed}:{step}:{index}".encode()).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "little") & ((1 << 63) - 1))


def epoch_order(num_windows: int, seed: int, epoch: int) -> list[int]:
    generator = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    return torch.randperm(num_windows, generator=generator).tolist()


def global_batch(step: int, num_windows: int, batch_size: int, seed: int) -> list[int]:
    """Window indices of the global batch at `step` (1-based): consecutive slices of per-epoch permutations."""
    first = (step - 1) * batch_size
    out = []
    for position in range(first, first + batch_size):
        epoch, offset = divmod(position, num_windows)
        out.append(epoch_order(num_windows, seed, epoch)[offset])
    return out


class TrainModule(nn.Module):
    """The trained pair (network, adapter) with the training loss as its forward (what DDP wraps)."""

    def __init__(self, net, adapter) -> None:
        super().__init__()
        self.net = net
        self.adapter = adapter

    def forward(self, samples: list[dict[str, torch.Tensor]], draws: list[dict[str, torch.Tensor]]) -> torch.Tensor:
        from ..models.flow_matching import flow_matching_loss
        from ..models.physics_inputs import PhysicsInputs, collate

        net, device = self.net, self.net.device
        clip_f = torch.stack([s["clip_f"] for s in samples]).to(device)
        sync_f = torch.stack([s["sync_f"] for s in samples]).to(device)
        drop_video = torch.stack([d["drop_video"] for d in draws]).to(device)
        drop_physics = torch.stack([d["drop_physics"] for d in draws]).to(device) | drop_video
        empty_clip = net.empty_clip_feat.to(clip_f.dtype).expand_as(clip_f)
        empty_sync = net.empty_sync_feat.to(sync_f.dtype).expand_as(sync_f)
        clip_f = torch.where(drop_video.view(-1, 1, 1), empty_clip, clip_f)
        sync_f = torch.where(drop_video.view(-1, 1, 1), empty_sync, sync_f)
        text_f = net.empty_string_feat.unsqueeze(0).expand(len(samples), -1, -1)
        conditions = net.preprocess_conditions(clip_f, sync_f, text_f)
        mean = torch.stack([s["latent_mean"] for s in samples]).to(device)
        std = torch.stack([s["latent_std"] for s in samples]).to(device)
        eps = torch.stack([d["eps"] for d in draws]).to(device)
        data = net.normalize(mean + std * eps).float()
        noise = torch.stack([d["noise"] for d in draws]).to(device)
        t = torch.stack([d["t"] for d in draws]).to(device)
        physics = collate([PhysicsInputs(s["object_features"], s["visible"], s["mass_kg"], s["speed_mps"])
                           for s in samples])
        delta = self.adapter(physics, latent_len=data.shape[1], sample_rate_hz=net.sample_rate_hz, drop=drop_physics)
        return flow_matching_loss(net, conditions, data, noise, t, delta).mean()


def draw_sample(seed: int, step: int, index: int, latent_shape: tuple[int, int], config: TrainConfig,
                *, deterministic_t: float | None = None) -> dict[str, torch.Tensor]:
    """Every random number of one sample: t, noise, posterior draw, dropouts (no dropout for evaluation)."""
    from ..models.flow_matching import training_times

    generator = sample_generator(seed, step, index)
    t = training_times(1, generator=generator)[0]
    noise = torch.randn(latent_shape, generator=generator)
    eps = torch.randn(latent_shape, generator=generator)
    u_video, u_physics = torch.rand(2, generator=generator)
    if deterministic_t is not None:
        return {"t": torch.tensor(deterministic_t), "noise": noise, "eps": torch.zeros(latent_shape),
                "drop_video": torch.tensor(False), "drop_physics": torch.tensor(False)}
    return {"t": t, "noise": noise, "eps": eps, "drop_video": u_video < config.cfg_dropout,
            "drop_physics": u_physics < config.physics_dropout}


# ---------------------------------------------------------------------------------------------
# checkpoints


def _trainable(module: TrainModule) -> list[tuple[str, nn.Parameter]]:
    return [(name, p) for name, p in module.named_parameters() if p.requires_grad]


def save_checkpoint(path: Path, module: TrainModule, optimizer: torch.optim.Optimizer, step: int,
                    config: TrainConfig, extra: dict[str, Any]) -> None:
    from safetensors.torch import save_file

    from ..fileio import atomic_output
    from ..models.phy_adapter import adapter_metadata

    tensors = {f"adapter.{k}": v.detach().float().cpu().contiguous() for k, v in module.adapter.state_dict().items()}
    names = [name for name, _ in _trainable(module)]
    if config.train == "all":
        for name, p in module.net.named_parameters():
            if p.requires_grad:
                tensors[f"network.{name}"] = p.detach().float().cpu().contiguous()
    state = optimizer.state_dict()["state"]
    for index, name in enumerate(names):
        for key, value in state.get(index, {}).items():
            tensor = torch.as_tensor(value).detach().float().cpu()
            tensors[f"optimizer.{index}.{key}"] = (tensor.reshape(1) if tensor.dim() == 0 else tensor).contiguous()
    meta = {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, "step": step, "config": asdict(config),
            "trainable": names, **extra}
    meta.update(adapter_metadata(module.adapter))
    with atomic_output(path, "training checkpoint") as tmp:
        save_file(tensors, str(tmp), metadata={"pavas_train": json.dumps(meta)})


def load_checkpoint(path: Path, module: TrainModule, optimizer: torch.optim.Optimizer,
                    config: TrainConfig) -> tuple[int, dict[str, Any]]:
    """Restore weights and optimizer state; returns (step, metadata)."""
    from safetensors.torch import load_file

    from ..fileio import parse_json
    from ..models.checkpoint import read_safetensors_metadata

    meta = parse_json(read_safetensors_metadata(path).get("pavas_train", "null"), "training checkpoint")
    if not isinstance(meta, dict) or meta.get("format") != CHECKPOINT_FORMAT:
        raise BadInputError(f"{path} is not a PAVAS training checkpoint")
    saved = {k: v for k, v in meta["config"].items() if k not in ("steps", "checkpoint_every")}
    current = {k: v for k, v in asdict(config).items() if k not in ("steps", "checkpoint_every")}
    if saved != current:
        changed = sorted(k for k in current if saved.get(k) != current[k])
        raise BadInputError(f"--resume: the checkpoint was made with other settings ({', '.join(changed)}); "
                            "resume with the same options (only --steps and --checkpoint-every may change)")
    tensors = load_file(str(path))
    module.adapter.load_state_dict({k[len("adapter."):]: v for k, v in tensors.items() if k.startswith("adapter.")})
    with torch.no_grad():
        for name, p in module.net.named_parameters():
            if f"network.{name}" in tensors:
                p.copy_(tensors[f"network.{name}"])
    names = [name for name, _ in _trainable(module)]
    if names != meta["trainable"]:
        raise BadInputError("--resume: the checkpoint trained other parameters than this run would")
    state_dict = optimizer.state_dict()
    state = {}
    for index, (name, p) in enumerate(_trainable(module)):
        entry = {}
        for key in ("step", "exp_avg", "exp_avg_sq"):
            tensor = tensors.get(f"optimizer.{index}.{key}")
            if tensor is not None:
                entry[key] = tensor.reshape(()) if key == "step" else tensor.to(device=p.device)
        if entry:
            state[index] = entry
    state_dict["state"] = state
    optimizer.load_state_dict(state_dict)
    return int(meta["step"]), meta


# ---------------------------------------------------------------------------------------------
# the run


@dataclass
class TrainResult:
    steps_done: int
    losses: list[float] = field(default_factory=list)
    eval_loss_start: float | None = None
    eval_loss_end: float | None = None
    adapter_path: Path | None = None
    network_path: Path | None = None
    adapter_parameters: int = 0
    trained_parameters: int = 0


def pick_device(name: str | None, dist: Distributed) -> torch.device:
    if name not in (None, "auto"):
        from ..runtime import check_device

        return check_device(name)
    if torch.cuda.is_available():
        return torch.device("cuda", dist.local_rank % torch.cuda.device_count())
    return torch.device("cpu")


def train(*, data: Path, models: Path, out: Path, config: TrainConfig, model_file: str | None = None,
          resume: bool = False, cache: Path | None = None, device: str | None = None,
          quiet: bool = False, stop_after: int | None = None) -> TrainResult:
    """Train (see the module doc). `stop_after`: end after that many steps of this process's run
    (simulates an interruption in tests; the checkpoint schedule is unchanged)."""
    from ..models.model_set import find_model_set, load_model_set
    from ..models.phy_adapter import fresh_adapter
    from .data import build_cache, cache_folder, list_windows, load_window, physics_statistics

    config.validate()
    dist = Distributed.from_environment()
    torch_device = pick_device(device, dist)
    dist.init(torch_device)
    created_out = not out.exists()
    try:
        paths = find_model_set(models, model=model_file)
        windows, notes = list_windows(data, config.duration_s)  # the data checked before anything is written
        out.mkdir(parents=True, exist_ok=True)
        net, encoders = load_model_set(paths, device=torch_device, with_vae_encoder=True)
        if dist.is_main and not quiet:
            for note in notes:
                print(f"note: {note}", file=sys.stderr)
        folder = cache_folder(cache or out / "cache", paths.files(), config.duration_s)
        if dist.local_rank == 0:
            build_cache(windows, folder, net, encoders, duration_s=config.duration_s,
                        progress=None if quiet or not dist.is_main else ConsoleProgress("features"))
        dist.barrier()
        del encoders  # the encoders are frozen and their outputs cached: free them
        samples = [load_window(folder, w) for w in windows]

        adapter = fresh_adapter(net.config, seed=config.seed, injection=config.injection,
                                delta_rank=config.delta_rank).to(torch_device)
        adapter.set_statistics(**physics_statistics(samples))
        net.train()
        for name, p in net.named_parameters():
            p.requires_grad_(config.train == "all" and name not in FROZEN_NETWORK_TENSORS)
        adapter.train().requires_grad_(True)
        module = TrainModule(net, adapter)
        params = [p for _, p in _trainable(module)]
        optimizer = torch.optim.AdamW(params, lr=config.lr, betas=ADAMW_BETAS, eps=ADAMW_EPS,
                                      weight_decay=WEIGHT_DECAY)
        checkpoint_path = out / "checkpoint.safetensors"
        log_path = out / "loss.jsonl"
        start_step = 0
        if resume:
            if not checkpoint_path.is_file():
                raise BadInputError(f"--resume: no checkpoint in {out}")
            start_step, _ = load_checkpoint(checkpoint_path, module, optimizer, config)
        elif checkpoint_path.exists():
            raise BadInputError(f"{out} already holds a training run: pass --resume to continue it, "
                                "or choose another --out")
        dist.barrier()
        if dist.is_main:
            _truncate_log(log_path, start_step)
        wrapped: nn.Module = module
        if dist.world_size > 1:
            from torch.nn.parallel import DistributedDataParallel

            wrapped = DistributedDataParallel(module, device_ids=[torch_device.index] if torch_device.type == "cuda"
                                              else None, find_unused_parameters=True)
        autocast = _autocast(config, torch_device)
        latent_shape = tuple(samples[0]["latent_mean"].shape)
        result = TrainResult(steps_done=start_step, adapter_parameters=adapter.num_parameters(),
                             trained_parameters=sum(p.numel() for p in params))
        eval_ids = list(range(min(config.eval_windows, len(samples))))
        if dist.is_main and eval_ids and start_step == 0:
            result.eval_loss_start = evaluation_loss(module, samples, eval_ids, config, latent_shape, autocast)
            _write_json(out / "eval_start.json", {"eval_loss": result.eval_loss_start})
        share = config.batch_size // dist.world_size
        if share * dist.world_size != config.batch_size:
            raise BadInputError(f"--batch-size {config.batch_size} does not split evenly over {dist.world_size} "
                                "processes")
        progress = None if quiet or not dist.is_main else ConsoleProgress("train")
        steps_run = 0
        for step in range(start_step + 1, config.steps + 1):
            batch_ids = global_batch(step, len(samples), config.batch_size, config.seed)
            mine = range(dist.rank * share, (dist.rank + 1) * share)
            batch = [samples[batch_ids[i]] for i in mine]
            draws = [draw_sample(config.seed, step, i, latent_shape, config) for i in mine]
            optimizer.zero_grad(set_to_none=True)
            with autocast:
                loss = wrapped(batch, draws)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, GRAD_CLIP_NORM)
            optimizer.step()
            loss_value = float(dist.mean(loss.detach().float()))
            result.losses.append(loss_value)
            result.steps_done = step
            if dist.is_main:
                with open(log_path, "a") as log:
                    log.write(json.dumps({"step": step, "loss": loss_value}) + "\n")
                report(progress, step, config.steps)
            if step % config.checkpoint_every == 0 or step == config.steps:
                if dist.is_main:
                    save_checkpoint(checkpoint_path, module, optimizer, step, config,
                                    {"statistics": adapter.statistics()})
                dist.barrier()
            steps_run += 1
            if stop_after is not None and steps_run >= stop_after:
                return result
        if dist.is_main:
            if eval_ids:
                result.eval_loss_end = evaluation_loss(module, samples, eval_ids, config, latent_shape, autocast)
            result.adapter_path, result.network_path = _write_outputs(out, module, config, result)
        dist.barrier()
        return result
    except BaseException:
        if created_out and dist.is_main:
            _remove_empty_folders(out)  # a run that wrote nothing leaves no empty run folder behind
        raise
    finally:
        dist.close()


def _remove_empty_folders(folder: Path) -> None:
    """Remove `folder` and its sub-folders if they hold no file (a cache or checkpoint is kept)."""
    import contextlib

    for sub in sorted((p for p in folder.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):
            sub.rmdir()
    with contextlib.suppress(OSError):
        folder.rmdir()


def _autocast(config: TrainConfig, device: torch.device):
    use_bf16 = config.precision == "bf16" or (config.precision == "auto" and device.type == "cuda")
    if use_bf16:
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return torch.autocast(device_type=device.type, enabled=False)


@torch.no_grad()
def evaluation_loss(module: TrainModule, samples, ids: list[int], config: TrainConfig, latent_shape,
                    autocast) -> float:
    """A fixed loss to compare before and after training: the chosen windows at t ∈ EVAL_TIMES, the
    posterior means, fixed noise, no dropout."""
    total = []
    for k, t in enumerate(EVAL_TIMES):
        draws = [draw_sample(config.seed, -1 - k, i, latent_shape, config, deterministic_t=t) for i in ids]
        with autocast:
            total.append(float(module([samples[i] for i in ids], draws)))
    return sum(total) / len(total)


def _truncate_log(path: Path, step: int) -> None:
    """Keep the log lines of steps ≤ step (those after it belong to an interrupted run)."""
    if not path.exists():
        return
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    kept = [line for line in lines if json.loads(line)["step"] <= step]
    path.write_text("".join(line + "\n" for line in kept))


def _write_json(path: Path, data: dict) -> None:
    from ..fileio import atomic_output

    with atomic_output(path, "training summary") as tmp:
        tmp.write_text(json.dumps(data, indent=1))


def _write_outputs(out: Path, module: TrainModule, config: TrainConfig, result: TrainResult):
    from safetensors.torch import save_file

    from ..fileio import atomic_output
    from ..models.phy_adapter import save_adapter

    adapter_path = out / "phy_adapter.safetensors"
    save_adapter(module.adapter, adapter_path, extra={"trained_steps": result.steps_done})
    network_path = None
    if config.train == "all":
        network_path = out / "mmaudio_network.safetensors"
        with atomic_output(network_path, "fine-tuned network") as tmp:
            save_file({k: v.detach().float().cpu().contiguous() for k, v in module.net.state_dict().items()}, str(tmp))
    start = out / "eval_start.json"
    eval_start = json.loads(start.read_text())["eval_loss"] if start.exists() else None
    _write_json(out / "summary.json", {
        "steps": result.steps_done, "eval_loss_start": eval_start, "eval_loss_end": result.eval_loss_end,
        "adapter_parameters": result.adapter_parameters, "trained_parameters": result.trained_parameters,
        "config": asdict(config),
    })
    return adapter_path, network_path
