"""Training PAVAS-tiny from scratch: video encoder, DiT and Phy-Adapter together, with conditional flow
matching on the 20-band log-mel latent of the reference sound.

The machinery is stage-2 training's (`loop.py`): a seeded permutation of the windows per epoch
(`global_batch`), every random number of a sample (flow time t = sigmoid(N(0, 1)), noise, the
dropouts) drawn from a generator seeded by (seed, step, the sample's place in the batch), so a
resumed run gives the same losses; CFG dropout of the video features and physics dropout 0.1 (the
physics always dropped with the video); AdamW (β 0.9/0.95, ε 1e-6, weight decay 1e-6), gradients
clipped to 1. From scratch, the learning rate is higher (5e-4 by default) with a linear warm-up
over the first 5 % of the steps, then (`lr_schedule` "cosine", the default) a cosine decay to 10 %
of it at the last step — a short run ends on small steps instead of the full rate's noise — or
("constant") the full rate to the end. The model's initial weights come from the seed.

Files, for `--out X.safetensors`: X.safetensors (the model, with its config, the run's settings,
losses and timings in the metadata — what `run --generator tiny --tiny X.safetensors` loads),
X.resume.safetensors (weights + optimizer state every --checkpoint-every steps; `--resume`
continues from it), X.loss.jsonl (one line per step: loss and seconds).
"""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from ..errors import BadInputError
from ..models.tiny_generator.config import TinyGeneratorConfig
from ..progress import ConsoleProgress, report
from .loop import ADAMW_BETAS, ADAMW_EPS, EVAL_TIMES, GRAD_CLIP_NORM, WEIGHT_DECAY, _autocast, _truncate_log, \
    check_shared_train_options, global_batch, sample_generator

RESUME_FORMAT = "pavas_tiny_train_state"
RESUME_VERSION = 1
DEFAULT_TINY_LR = 5e-4
WARMUP_SHARE = 0.05
LR_SCHEDULES = ("cosine", "constant")
COSINE_FLOOR = 0.1  # the cosine schedule ends at this share of the peak rate


@dataclass(frozen=True)
class TinyTrainConfig:
    steps: int = 10000
    batch_size: int = 8
    lr: float = DEFAULT_TINY_LR
    duration_s: float = 8.0
    seed: int = 0
    physics_dropout: float = 0.1
    cfg_dropout: float = 0.1
    checkpoint_every: int = 500
    eval_windows: int = 4
    precision: str = "auto"
    lr_schedule: str = "cosine"

    def validate(self) -> "TinyTrainConfig":
        check_shared_train_options(self)
        if self.lr_schedule not in LR_SCHEDULES:
            raise BadInputError(f"--lr-schedule must be one of {', '.join(LR_SCHEDULES)}, got {self.lr_schedule!r}")
        return self

    def learning_rate(self, step: int) -> float:
        """lr at `step` (1-based): linear warm-up over the first 5 % of the steps, then constant or a cosine
        decay that reaches COSINE_FLOOR × lr at the last step."""
        warmup = max(1, int(round(WARMUP_SHARE * self.steps)))
        if step <= warmup or self.lr_schedule == "constant":
            return self.lr * min(1.0, step / warmup)
        progress = min(1.0, (step - warmup) / max(1, self.steps - warmup))
        return self.lr * (COSINE_FLOOR + (1.0 - COSINE_FLOOR) * 0.5 * (1.0 + math.cos(math.pi * progress)))


@dataclass
class TinyTrainResult:
    steps_done: int
    checkpoint_path: Path
    losses: list[float] = field(default_factory=list)
    eval_loss_start: float | None = None
    eval_loss_end: float | None = None
    parameters: dict[str, int] = field(default_factory=dict)
    seconds_per_step: float | None = None
    num_windows: int = 0


def draw(seed: int, step: int, index: int, latent_shape: tuple[int, ...], config: TinyTrainConfig,
         deterministic_t: float | None = None) -> dict[str, torch.Tensor]:
    """Every random number of one sample (evaluation: a fixed t, no dropout)."""
    from ..models.flow_matching import training_times

    generator = sample_generator(seed, step, index)
    t = training_times(1, generator=generator)[0]
    noise = torch.randn(latent_shape, generator=generator)
    u_video, u_physics = torch.rand(2, generator=generator)
    if deterministic_t is not None:
        return {"t": torch.tensor(deterministic_t), "noise": noise, "drop_video": torch.tensor(False),
                "drop_physics": torch.tensor(False)}
    return {"t": t, "noise": noise, "drop_video": u_video < config.cfg_dropout,
            "drop_physics": u_physics < config.physics_dropout}


def batch_loss(model, windows, ids: list[int], draws: list[dict[str, torch.Tensor]], lengths) -> torch.Tensor:
    from ..models.tiny_generator.window_inputs import stack_windows

    batch = stack_windows([windows[i] for i in ids])
    return model.training_loss(batch, lengths, noise=torch.stack([d["noise"] for d in draws]),
                               t=torch.stack([d["t"] for d in draws]),
                               drop_video=torch.stack([d["drop_video"] for d in draws]),
                               drop_physics=torch.stack([d["drop_physics"] for d in draws]))


@torch.no_grad()
def evaluation_loss(model, windows, ids: list[int], config: TinyTrainConfig, lengths, autocast) -> float:
    """The fixed loss compared before and after: these windows at t ∈ EVAL_TIMES, fixed noise, no dropout."""
    was_training = model.training
    model.eval()
    shape = (lengths.latent_len, 20)
    total = []
    for k, t in enumerate(EVAL_TIMES):
        draws = [draw(config.seed, -1 - k, i, shape, config, deterministic_t=t) for i in ids]
        with autocast:
            total.append(float(batch_loss(model, windows, ids, draws, lengths)))
    model.train(was_training)
    return sum(total) / len(total)


# ---------------------------------------------------------------------------------------------
# resumable state: weights + AdamW moments + step


def _save_state(path: Path, model, optimizer: torch.optim.Optimizer, step: int, meta: dict[str, Any]) -> None:
    from safetensors.torch import save_file

    from ..fileio import atomic_output

    tensors = {f"model.{k}": v.detach().float().cpu().contiguous() for k, v in model.state_dict().items()}
    for index, entry in optimizer.state_dict()["state"].items():
        for key, value in entry.items():
            tensor = torch.as_tensor(value).detach().float().cpu()
            tensors[f"optimizer.{index}.{key}"] = (tensor.reshape(1) if tensor.dim() == 0 else tensor).contiguous()
    info = {"format": RESUME_FORMAT, "version": RESUME_VERSION, "step": step, **meta}
    with atomic_output(path, "PAVAS-tiny training state") as tmp:
        save_file(tensors, str(tmp), metadata={"pavas_tiny_train": json.dumps(info)})


def _load_state(path: Path, model, optimizer: torch.optim.Optimizer, meta: dict[str, Any]) -> int:
    from safetensors.torch import load_file

    from ..fileio import parse_json
    from ..models.checkpoint import read_safetensors_metadata

    info = parse_json(read_safetensors_metadata(path).get("pavas_tiny_train", "null"), "PAVAS-tiny training state")
    if not isinstance(info, dict) or info.get("format") != RESUME_FORMAT:
        raise BadInputError(f"{path} is not a PAVAS-tiny training state")
    for key in ("model_config", "train_config"):
        saved, current = dict(info.get(key) or {}), dict(meta[key])
        if key == "train_config":
            saved.setdefault("lr_schedule", "constant")  # states written before the schedule existed
            for free in ("steps", "checkpoint_every"):
                saved.pop(free, None)
                current.pop(free, None)
        if saved != current:
            changed = sorted(k for k in set(saved) | set(current) if saved.get(k) != current.get(k))
            raise BadInputError(f"--resume: the run was started with other settings ({', '.join(changed)}); resume "
                                "with the same options (only --steps and --checkpoint-every may change)")
    tensors = load_file(str(path))
    model.load_state_dict({k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")})
    state_dict = optimizer.state_dict()
    params = [p for group in optimizer.param_groups for p in group["params"]]
    state = {}
    for index, p in enumerate(params):
        entry = {}
        for key in ("step", "exp_avg", "exp_avg_sq"):
            tensor = tensors.get(f"optimizer.{index}.{key}")
            if tensor is not None:
                entry[key] = tensor.reshape(()) if key == "step" else tensor.to(p.device)
        if entry:
            state[index] = entry
    state_dict["state"] = state
    optimizer.load_state_dict(state_dict)
    return int(info["step"])


def companion_paths(out: Path) -> tuple[Path, Path]:
    """(resume state, loss log) beside the checkpoint `out`."""
    stem = out.name[: -len(out.suffix)] if out.suffix else out.name
    return out.with_name(stem + ".resume.safetensors"), out.with_name(stem + ".loss.jsonl")


# ---------------------------------------------------------------------------------------------
# the run


def train_tiny(*, data: Path, out: Path, model_config: TinyGeneratorConfig, config: TinyTrainConfig,
               cache: Path | None = None, resume: bool = False, device: str | None = None, quiet: bool = False,
               stop_after: int | None = None) -> TinyTrainResult:
    """Train (see the module doc); `stop_after`: end after that many steps of this call (tests of resume)."""
    from ..models.tiny_generator.checkpoint import save_tiny_generator
    from ..models.tiny_generator.model import TinyGenerator
    from ..models.tiny_generator.window_inputs import window_lengths
    from .loop import Distributed, pick_device
    from .tiny_data import latent_statistics, load_tiny_windows, tiny_physics_statistics

    config.validate()
    if out.suffix not in (".safetensors", ".sft"):
        raise BadInputError(f"train --config tiny writes a .safetensors checkpoint: --out must end in .safetensors, "
                            f"got {out.name!r}")
    torch_device = pick_device(device, Distributed())
    state_path, log_path = companion_paths(out)
    if resume and not state_path.is_file():
        raise BadInputError(f"--resume: no training state {state_path.name} beside {out.name}")
    if not resume and (state_path.exists() or out.exists()):
        raise BadInputError(f"{out} (or its {state_path.name}) already exists: pass --resume to continue that run, "
                            "or choose another --out")
    out.parent.mkdir(parents=True, exist_ok=True)
    windows, refs, notes = load_tiny_windows(
        data, duration_s=config.duration_s, config=model_config, cache=cache or out.parent / "tiny_cache",
        progress=None if quiet else ConsoleProgress("windows"))
    if not quiet:
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
    lengths = window_lengths(config.duration_s)

    torch.manual_seed(config.seed)  # the initial weights come from the seed
    model = TinyGenerator(model_config).to(torch_device)
    model.set_latent_statistics(*latent_statistics(windows))
    if model.adapter is not None:
        model.adapter.set_statistics(**tiny_physics_statistics(windows))
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.lr, betas=ADAMW_BETAS, eps=ADAMW_EPS, weight_decay=WEIGHT_DECAY)
    meta = {"model_config": model_config.to_json(), "train_config": asdict(config)}
    start_step = _load_state(state_path, model, optimizer, meta) if resume else 0
    _truncate_log(log_path, start_step)
    if start_step == 0 and log_path.exists():
        log_path.unlink()
    autocast = _autocast(config, torch_device)  # type: ignore[arg-type]
    result = TinyTrainResult(steps_done=start_step, checkpoint_path=out, parameters=model.num_parameters(),
                             num_windows=len(windows))
    eval_ids = list(range(min(config.eval_windows, len(windows))))
    if eval_ids and start_step == 0:
        result.eval_loss_start = evaluation_loss(model, windows, eval_ids, config, lengths, autocast)
    elif resume:
        result.eval_loss_start = json.loads(_read_state_meta(state_path)).get("eval_loss_start")
    progress = None if quiet else ConsoleProgress("train")
    shape = (lengths.latent_len, 20)
    seconds = []
    steps_run = 0
    for step in range(start_step + 1, config.steps + 1):
        t0 = time.perf_counter()
        ids = global_batch(step, len(windows), config.batch_size, config.seed)
        draws = [draw(config.seed, step, i, shape, config) for i in range(config.batch_size)]
        for group in optimizer.param_groups:
            group["lr"] = config.learning_rate(step)
        optimizer.zero_grad(set_to_none=True)
        with autocast:
            loss = batch_loss(model, windows, ids, draws, lengths)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, GRAD_CLIP_NORM)
        optimizer.step()
        value = float(loss.detach())
        seconds.append(time.perf_counter() - t0)
        result.losses.append(value)
        result.steps_done = step
        with open(log_path, "a") as log:
            log.write(json.dumps({"step": step, "loss": value, "seconds": round(seconds[-1], 4)}) + "\n")
        report(progress, step, config.steps)
        if step % config.checkpoint_every == 0 or step == config.steps:
            _save_state(state_path, model, optimizer, step, {**meta, "eval_loss_start": result.eval_loss_start})
        steps_run += 1
        if stop_after is not None and steps_run >= stop_after:
            return result
    result.seconds_per_step = sum(seconds) / len(seconds) if seconds else None
    if eval_ids:
        result.eval_loss_end = evaluation_loss(model, windows, eval_ids, config, lengths, autocast)
    extra = {"trained_steps": result.steps_done, "ablation": model_config.ablation_name,
             "train_config": asdict(config), "training_windows": len(windows),
             "training_data": Path(data).name, "eval_loss_start": result.eval_loss_start,
             "eval_loss_end": result.eval_loss_end, "parameters": result.parameters,
             "seconds_per_step_last_session": result.seconds_per_step}
    save_tiny_generator(model, out, extra=extra, inputs=[data])
    return result


def _read_state_meta(path: Path) -> str:
    from ..models.checkpoint import read_safetensors_metadata

    return read_safetensors_metadata(path).get("pavas_tiny_train", "{}")
