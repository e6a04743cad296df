"""Euler flow-matching sampler with classifier-free guidance, for MMAudio-style networks.

Time runs from t = 0 (Gaussian noise) to t = 1 (data) on the grid linspace(0, 1, steps + 1); each
step adds (t_{i+1} − t_i) · v(t_i, x) (explicit Euler, velocity at the left end), as MMAudio does.
Guidance: v = s · v_cond + (1 − s) · v_uncond with the network's learned empty features as the
unconditional branch; MMAudio skips the unconditional branch when s < 1, and so do we. Both branches
run in ONE network call per step (stacked along the batch, sharing the latent input projection).

The state x is kept in float32 whatever the network dtype (MMAudio keeps it in the network dtype);
noise is drawn in float32 on the generator's device (CPU by default), so a seed gives the same
noise on every device.
"""

from __future__ import annotations

import math
from typing import Protocol

import torch

from ..errors import BadInputError
from ..progress import ProgressCallback, report
from .mmaudio.network import AdaLNDelta, Conditions

DEFAULT_NUM_STEPS = 25
DEFAULT_CFG_STRENGTH = 4.5


class FlowNetwork(Protocol):
    """What the sampler needs from a network (MMAudioNetwork provides it)."""

    latent_dim: int
    dtype: torch.dtype
    device: torch.device

    def predict_flow(
        self, latent: torch.Tensor, t: torch.Tensor, conditions: Conditions, adaln_delta: AdaLNDelta | None = None
    ) -> torch.Tensor: ...

    def adaln_shapes(self, batch_size: int, latent_len: int) -> dict[str, tuple[int, int, int]]: ...


def check_cfg_strength(cfg_strength: float) -> float:
    """A finite guidance strength >= 0 (NaN would silently mean "no guidance")."""
    if isinstance(cfg_strength, bool) or not isinstance(cfg_strength, (int, float)) \
            or not math.isfinite(cfg_strength) or cfg_strength < 0:
        raise BadInputError(f"cfg_strength must be a finite number >= 0 (MMAudio uses 4.5), got {cfg_strength!r}")
    return float(cfg_strength)


def time_grid(num_steps: int) -> torch.Tensor:
    """(num_steps + 1,) float32 times from 0 to 1."""
    return torch.linspace(0, 1, num_steps + 1)


def initial_noise(
    batch_size: int,
    latent_len: int,
    latent_dim: int,
    *,
    seed: int | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Standard normal (B, N, C) float32 noise from exactly one of `seed` or `generator`."""
    if (seed is None) == (generator is None):
        raise BadInputError("pass exactly one of seed= or generator= for the initial noise")
    if generator is None:
        generator = torch.Generator().manual_seed(int(seed))
    return torch.randn(batch_size, latent_len, latent_dim, generator=generator, device=generator.device)


def sample(
    net: FlowNetwork,
    conditions: Conditions,
    empty_conditions: Conditions | None = None,
    *,
    latent_len: int | None = None,
    num_steps: int = DEFAULT_NUM_STEPS,
    cfg_strength: float = DEFAULT_CFG_STRENGTH,
    seed: int | None = None,
    generator: torch.Generator | None = None,
    noise: torch.Tensor | None = None,
    progress: ProgressCallback | None = None,
    adaln_delta: AdaLNDelta | None = None,
    empty_adaln_delta: AdaLNDelta | None = None,
) -> torch.Tensor:
    """Integrate the flow from noise to a normalised latent (B, N, C), float32, on the network's device.

    conditions: from `net.preprocess_conditions` (batch B). empty_conditions: the unconditional
    branch (`net.get_empty_conditions(B, clip_len=..., sync_len=...)`), needed when cfg_strength ≥ 1.
    The start is `noise` (B, N, C) if given, else N(0, 1) of length `latent_len` from `seed` or
    `generator`. `progress(step, num_steps)` is called after every step; returning False cancels
    (raises Cancelled) and exceptions it raises propagate. `adaln_delta` / `empty_adaln_delta` are
    Δ-modulation residuals for the conditional / unconditional branch (None: backbone only).
    """
    if num_steps < 1:
        raise BadInputError(f"num_steps must be at least 1, got {num_steps}")
    check_cfg_strength(cfg_strength)
    batch = conditions.batch_size
    if noise is None:
        if latent_len is None:
            raise BadInputError("pass latent_len= (or the initial noise=) to sample")
        noise = initial_noise(batch, latent_len, net.latent_dim, seed=seed, generator=generator)
    elif seed is not None or generator is not None:
        raise BadInputError("pass either noise= or seed=/generator=, not both")
    if noise.dim() != 3 or noise.shape[0] != batch or noise.shape[-1] != net.latent_dim:
        raise BadInputError(f"noise must be ({batch}, N, {net.latent_dim}), got {tuple(noise.shape)}")
    if latent_len is not None and noise.shape[1] != latent_len:
        raise BadInputError(f"noise has {noise.shape[1]} tokens but latent_len={latent_len}")

    guided = cfg_strength >= 1.0
    if guided:
        if empty_conditions is None:
            raise BadInputError(f"cfg_strength {cfg_strength} ≥ 1 needs empty_conditions (net.get_empty_conditions)")
        if empty_conditions.batch_size != batch:
            empty_conditions = empty_conditions.expand(batch)
        step_conditions = Conditions.concat([conditions, empty_conditions])
        step_delta = AdaLNDelta.concat(
            [(adaln_delta, batch), (empty_adaln_delta, batch)], net.adaln_shapes(1, noise.shape[1])
        )
    else:
        step_conditions, step_delta = conditions, adaln_delta

    x = noise.to(device=net.device, dtype=torch.float32)
    times = time_grid(num_steps)
    with torch.no_grad():
        for step in range(num_steps):
            t, t_next = times[step], times[step + 1]
            flow = net.predict_flow(x.to(net.dtype), t, step_conditions, step_delta).float()
            if guided:
                v_cond, v_uncond = flow[:batch], flow[batch:]
                flow = cfg_strength * v_cond + (1 - cfg_strength) * v_uncond
            x = x + (t_next - t) * flow
            report(progress, step + 1, num_steps)
    return x


# --- training -------------------------------------------------------------------------------------
def training_times(batch_size: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """(B,) flow times for training, t = sigmoid(N(0, 1)) (MMAudio's logit-normal sampling), float32."""
    return torch.sigmoid(torch.randn(batch_size, generator=generator))


def interpolate(noise: torch.Tensor, data: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The conditional path with σ_min = 0: x_t = (1 − t)·x0 + t·x1, and its velocity x1 − x0.

    noise x0 and data x1 (B, N, C); t (B,). Returns (x_t, target velocity), both (B, N, C).
    """
    t = t.to(dtype=data.dtype, device=data.device).view(-1, 1, 1)
    return (1 - t) * noise + t * data, data - noise


def flow_matching_loss(
    net: FlowNetwork,
    conditions: Conditions,
    data: torch.Tensor,
    noise: torch.Tensor,
    t: torch.Tensor,
    adaln_delta: AdaLNDelta | None = None,
) -> torch.Tensor:
    """Conditional flow-matching loss per sample, (B,): mean over tokens and channels of
    ‖v_θ(x_t, t | c) − (x1 − x0)‖², x_t on the straight path from noise x0 to data x1 (the loss
    MMAudio trains with, and that `sample` integrates). data: normalised latents (B, N, C)."""
    if data.shape != noise.shape or data.dim() != 3:
        raise BadInputError(f"data and noise must be (B, N, C) of one shape, got {tuple(data.shape)} "
                            f"and {tuple(noise.shape)}")
    x_t, target = interpolate(noise, data, t)
    flow = net.predict_flow(x_t.to(net.dtype), t.to(device=net.device), conditions, adaln_delta)
    return (flow.float() - target.float()).square().mean(dim=(1, 2))
