"""The MMAudio flow-matching DiT (v1 and v2), compatible with the released checkpoints.

Shapes: B batch, N audio-latent tokens, Lc CLIP frames (8 fps), Ls Synchformer tokens (24 per
second of 25-fps video), Lt = 77 text tokens, D width, C latent channels (20 at 16 kHz, 40 at
44.1 kHz). Sequence lengths follow the inputs, so any duration works; RoPE tables are rebuilt (and
cached) for each length.

Per sample, :meth:`MMAudioNetwork.preprocess_conditions` turns CLIP, Synchformer and text features
into a :class:`Conditions` bundle once; each flow step calls :meth:`MMAudioNetwork.predict_flow`.

How the step works (MMAudio's design): the global condition g = t_embed(t) + MLP(mean CLIP + mean
text) modulates the CLIP/text streams and the final layer; the audio stream and the fused blocks
are modulated per token by g + Synchformer features resampled to the audio rate (nearest-exact).
Because that resampling only repeats rows, the per-token modulations are computed at the
Synchformer rate and then repeated, which is exact and cheaper.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ...errors import BadInputError
from .blocks import FULL_MODULATION_CHUNKS, SHORT_MODULATION_CHUNKS, FinalBlock, JointBlock, StreamBlock
from .config import MMAudioConfig
from .layers import ConvSwiGLU, RopeCache, SwiGLU, TimestepEmbedder, TokenConv1d

SYNC_TOKENS_PER_SEGMENT = 8  # each Synchformer window yields 8 tokens; sync_pos_emb is per position


@dataclass
class Conditions:
    """Per-sample conditions, computed once by `preprocess_conditions` and reused at every step.

    clip_tokens: (B, Lc, D) projected CLIP frame features.
    sync_tokens: (B, Ls, D) projected Synchformer features, still at the Synchformer rate.
    text_tokens: (B, Lt, D) projected text token features.
    global_cond: (B, D) global condition before the time embedding is added.
    """

    clip_tokens: torch.Tensor
    sync_tokens: torch.Tensor
    text_tokens: torch.Tensor
    global_cond: torch.Tensor

    @property
    def batch_size(self) -> int:
        return self.global_cond.shape[0]

    @property
    def clip_len(self) -> int:
        return self.clip_tokens.shape[1]

    @property
    def sync_len(self) -> int:
        return self.sync_tokens.shape[1]

    def expand(self, batch_size: int) -> "Conditions":
        """Broadcast batch-1 conditions to `batch_size` (views, no copy)."""
        if self.batch_size == batch_size:
            return self
        if self.batch_size != 1:
            raise BadInputError(f"cannot expand conditions of batch {self.batch_size} to {batch_size}")
        return Conditions(
            clip_tokens=self.clip_tokens.expand(batch_size, -1, -1),
            sync_tokens=self.sync_tokens.expand(batch_size, -1, -1),
            text_tokens=self.text_tokens.expand(batch_size, -1, -1),
            global_cond=self.global_cond.expand(batch_size, -1),
        )

    @staticmethod
    def concat(parts: Sequence["Conditions"]) -> "Conditions":
        """Stack conditions of equal lengths along the batch (e.g. conditional + unconditional)."""
        lengths = {(p.clip_len, p.sync_len, p.text_tokens.shape[1]) for p in parts}
        if len(lengths) != 1:
            raise BadInputError(f"cannot batch conditions of different lengths (clip, sync, text): {sorted(lengths)}")
        return Conditions(
            clip_tokens=torch.cat([p.clip_tokens for p in parts]),
            sync_tokens=torch.cat([p.sync_tokens for p in parts]),
            text_tokens=torch.cat([p.text_tokens for p in parts]),
            global_cond=torch.cat([p.global_cond for p in parts]),
        )


@dataclass(frozen=True)
class AdaLNDelta:
    """Additive residuals on adaLN modulation outputs (the Phy-Adapter's Δ-modulation hook).

    `residuals` maps a block name to a tensor added to that block's modulation (the Linear output
    before it is chunked into shift/scale/gate), broadcastable to the shapes given by
    :meth:`MMAudioNetwork.adaln_shapes`:

    - ``joint_blocks.{i}.latent_block``, ``fused_blocks.{j}`` and ``final_layer``: per audio token,
      (B, N, kD), or (B, 1, kD) for one residual on every token;
    - ``joint_blocks.{i}.clip_block`` / ``.text_block``: (B, 1, 6D), or (B, 1, 2D) in the last
      (pre-only) joint block (their tokens are CLIP frames and words, not audio).

    `token_index` (N,) lets per-token residuals be given at a lower rate, (B, T, kD) with one row
    per video frame: audio token n takes row ``token_index[n]`` (see
    :func:`~pavas_core.models.mmaudio.sequence.latent_frame_index`). The rows are gathered at each
    step, so a residual costs T·kD memory instead of N·kD.

    `condition` (B, 1, D) is added to the global condition and `token_condition` (B, T|N, D) to the
    per-audio-token condition (rows gathered by `token_index` when given): the "summation"
    injection, where physics enters the condition the adaLN layers read instead of their outputs.

    Chunk order of a 6D modulation: shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp;
    of a 2D one: shift, scale. Blocks without an entry are unchanged, so an empty or all-zero delta
    reproduces the backbone exactly.
    """

    residuals: Mapping[str, torch.Tensor]
    token_index: torch.Tensor | None = None
    condition: torch.Tensor | None = None
    token_condition: torch.Tensor | None = None

    @property
    def is_empty(self) -> bool:
        return not self.residuals and self.condition is None and self.token_condition is None

    @staticmethod
    def concat(
        parts: Sequence[tuple["AdaLNDelta | None", int]], shapes: Mapping[str, tuple[int, ...]]
    ) -> "AdaLNDelta | None":
        """Stack per-branch deltas along the batch; a branch without an entry contributes zeros.

        parts: (delta or None, batch size of that branch); shapes: `adaln_shapes(1, N)` of the network.
        Deltas that carry a `token_index` must carry the same one.
        """
        deltas = [d for d, _ in parts if d is not None and not d.is_empty]
        if not deltas:
            return None
        indices = [d.token_index for d in deltas if d.token_index is not None]
        token_index = indices[0] if indices else None
        if any(not torch.equal(i, token_index) for i in indices[1:]):
            raise BadInputError("AdaLNDelta.concat: the branches map audio tokens to different frame rows")
        rows = int(token_index.max()) + 1 if token_index is not None and token_index.numel() else None

        def stack(get, target_shape) -> torch.Tensor | None:
            present = [get(d) for d, _ in parts if d is not None and get(d) is not None]
            if not present:
                return None
            token_shape = torch.broadcast_shapes(*(r.shape[1:] for r in present), target_shape)
            pieces = []
            for delta, batch in parts:
                tensor = get(delta) if delta is not None else None
                if tensor is None:
                    pieces.append(present[0].new_zeros((batch, *token_shape)))
                else:
                    pieces.append(tensor.expand(batch, *token_shape))
            return torch.cat(pieces)

        stacked = {}
        for name in sorted({name for d in deltas for name in d.residuals}):
            target = tuple(shapes[name][1:])
            if rows is not None and is_per_token(name):
                target = (rows, target[1])
            stacked[name] = stack(lambda d, n=name: d.residuals.get(n), target)
        width = next(iter(shapes.values()))[-1] // FULL_MODULATION_CHUNKS
        token_rows = rows if rows is not None else next(s[1] for n, s in shapes.items() if is_per_token(n))
        return AdaLNDelta(
            stacked,
            token_index=token_index,
            condition=stack(lambda d: d.condition, (1, width)),
            token_condition=stack(lambda d: d.token_condition, (token_rows, width)),
        )


def is_per_token(name: str) -> bool:
    """Whether the modulation `name` is computed per audio token (audio stream, fused blocks, final layer)."""
    return name.endswith("latent_block") or name.startswith("fused_blocks") or name == "final_layer"


class MMAudioNetwork(nn.Module):
    """MMAudio's DiT. Build with a :class:`MMAudioConfig`; load weights with `load_mmaudio_network`.

    Submodule and parameter names are those of the released checkpoints.
    """

    def __init__(self, config: MMAudioConfig) -> None:
        super().__init__()
        self.config = config
        dim = config.hidden_dim
        activation = nn.SiLU if config.v2 else nn.SELU
        self.audio_input_proj = nn.Sequential(
            TokenConv1d(config.latent_dim, dim, 7), activation(), ConvSwiGLU(dim, kernel_size=7)
        )
        self.sync_input_proj = nn.Sequential(
            TokenConv1d(config.sync_dim, dim, 7), activation(), ConvSwiGLU(dim, kernel_size=3)
        )
        # v2 inserts a SiLU after the CLIP/text Linear (moving their MLPs to index 2)
        gap = [nn.SiLU()] if config.v2 else []
        self.clip_input_proj = nn.Sequential(nn.Linear(config.clip_dim, dim), *gap, ConvSwiGLU(dim, kernel_size=3))
        self.text_input_proj = nn.Sequential(nn.Linear(config.text_dim, dim), *gap, SwiGLU(dim))
        self.clip_cond_proj = nn.Linear(dim, dim)
        self.text_cond_proj = nn.Linear(dim, dim)
        self.global_cond_mlp = SwiGLU(dim)
        self.sync_pos_emb = nn.Parameter(torch.zeros(1, 1, SYNC_TOKENS_PER_SEGMENT, config.sync_dim))
        self.final_layer = FinalBlock(dim, config.latent_dim)
        self.t_embed = TimestepEmbedder(
            dim, freq_dim=config.timestep_freq_dim, max_period=config.timestep_max_period
        )
        self.joint_blocks = nn.ModuleList(
            JointBlock(dim, config.num_heads, pre_only=i == config.joint_depth - 1) for i in range(config.joint_depth)
        )
        self.fused_blocks = nn.ModuleList(
            StreamBlock(dim, config.num_heads, kernel_size=3) for _ in range(config.fused_depth)
        )
        # statistics and empty features ship in the checkpoint (NaN until loaded, as in MMAudio)
        self.latent_mean = nn.Parameter(torch.full((1, 1, config.latent_dim), float("nan")), requires_grad=False)
        self.latent_std = nn.Parameter(torch.full((1, 1, config.latent_dim), float("nan")), requires_grad=False)
        self.empty_string_feat = nn.Parameter(torch.zeros(config.text_len, config.text_dim), requires_grad=False)
        self.empty_clip_feat = nn.Parameter(torch.zeros(1, config.clip_dim))
        self.empty_sync_feat = nn.Parameter(torch.zeros(1, config.sync_dim))
        self._rope_tables = RopeCache()
        self._sync_index: dict[tuple, torch.Tensor] = {}

    # ----------------------------------------------------------------- properties and helpers
    @property
    def dtype(self) -> torch.dtype:
        return self.latent_mean.dtype

    @property
    def device(self) -> torch.device:
        return self.latent_mean.device

    @property
    def latent_dim(self) -> int:
        return self.config.latent_dim

    @property
    def sample_rate_hz(self) -> int:
        return self.config.sample_rate_hz

    def normalize(self, latent: torch.Tensor) -> torch.Tensor:
        """VAE latent (B, N, C) → the network's normalised space: (x − mean) / std."""
        return (latent - self.latent_mean) / self.latent_std

    def unnormalize(self, latent: torch.Tensor) -> torch.Tensor:
        """Normalised latent (B, N, C) → VAE latent: x · std + mean."""
        return latent * self.latent_std + self.latent_mean

    @property
    def adaln_names(self) -> list[str]:
        """Names of all adaLN modulations, in execution order (keys of :class:`AdaLNDelta`)."""
        names = []
        for i in range(self.config.joint_depth):
            names += [f"joint_blocks.{i}.{s}" for s in ("latent_block", "clip_block", "text_block")]
        names += [f"fused_blocks.{j}" for j in range(self.config.fused_depth)]
        return names + ["final_layer"]

    def adaln_shapes(self, batch_size: int, latent_len: int) -> dict[str, tuple[int, int, int]]:
        """Shape of every adaLN modulation output, by name: (B, N, 6D) per audio token, else (B, 1, kD)."""
        dim, last = self.config.hidden_dim, self.config.joint_depth - 1
        shapes = {}
        for name in self.adaln_names:
            per_token = name.endswith("latent_block") or name.startswith("fused_blocks")
            short = name == "final_layer" or (name.startswith(f"joint_blocks.{last}.") and not per_token)
            chunks = SHORT_MODULATION_CHUNKS if short else FULL_MODULATION_CHUNKS
            shapes[name] = (batch_size, latent_len if per_token else 1, chunks * dim)
        return shapes

    def _cast(self, x: torch.Tensor) -> torch.Tensor:
        return x.to(device=self.device, dtype=self.dtype)

    def _sync_to_latent_index(self, sync_len: int, latent_len: int) -> torch.Tensor:
        """(N,) indices of the Synchformer token each audio token takes under nearest-exact resampling."""
        key = (sync_len, latent_len, str(self.device))
        index = self._sync_index.get(key)
        if index is None:
            with torch.inference_mode(False):
                positions = torch.arange(sync_len, dtype=torch.float32, device=self.device).view(1, 1, -1)
                index = F.interpolate(positions, size=latent_len, mode="nearest-exact").view(-1).long()
            if len(self._sync_index) > 16:
                self._sync_index.clear()
            self._sync_index[key] = index
        return index

    # ----------------------------------------------------------------- conditions
    def preprocess_conditions(self, clip_f: torch.Tensor, sync_f: torch.Tensor, text_f: torch.Tensor) -> Conditions:
        """Project the features of B samples once per sample (reused at every flow step).

        clip_f (B, Lc, clip_dim) CLIP frames at 8 fps; sync_f (B, Ls, sync_dim) Synchformer tokens,
        Ls a multiple of 8; text_f (B, 77, text_dim) CLIP text token states.
        """
        cfg = self.config
        self._check_features(clip_f, sync_f, text_f)
        clip_f, sync_f, text_f = self._cast(clip_f), self._cast(sync_f), self._cast(text_f)
        batch, sync_len = sync_f.shape[:2]
        segments = sync_f.reshape(batch, sync_len // SYNC_TOKENS_PER_SEGMENT, SYNC_TOKENS_PER_SEGMENT, cfg.sync_dim)
        sync_f = (segments + self.sync_pos_emb).flatten(1, 2)
        clip_tokens = self.clip_input_proj(clip_f)
        sync_tokens = self.sync_input_proj(sync_f).contiguous()
        text_tokens = self.text_input_proj(text_f)
        summary = self.clip_cond_proj(clip_tokens.mean(dim=1)) + self.text_cond_proj(text_tokens.mean(dim=1))
        return Conditions(
            clip_tokens=clip_tokens.contiguous(),
            sync_tokens=sync_tokens,
            text_tokens=text_tokens,
            global_cond=self.global_cond_mlp(summary),
        )

    def _check_features(self, clip_f: torch.Tensor, sync_f: torch.Tensor, text_f: torch.Tensor) -> None:
        cfg = self.config
        expected = {"clip_f": cfg.clip_dim, "sync_f": cfg.sync_dim, "text_f": cfg.text_dim}
        batches = set()
        for name, x in (("clip_f", clip_f), ("sync_f", sync_f), ("text_f", text_f)):
            if x.dim() != 3 or x.shape[-1] != expected[name] or x.shape[1] < 1:
                raise BadInputError(f"{name} must be (B, L, {expected[name]}), got {tuple(x.shape)}")
            batches.add(x.shape[0])
        if len(batches) != 1:
            raise BadInputError(
                f"clip_f, sync_f and text_f have different batch sizes: "
                f"{clip_f.shape[0]}, {sync_f.shape[0]}, {text_f.shape[0]}"
            )
        if sync_f.shape[1] % SYNC_TOKENS_PER_SEGMENT:
            raise BadInputError(f"sync_f length {sync_f.shape[1]} is not a multiple of {SYNC_TOKENS_PER_SEGMENT}")
        if text_f.shape[1] != cfg.text_len:
            raise BadInputError(f"text_f must have {cfg.text_len} tokens, got {text_f.shape[1]}")

    def get_empty_conditions(
        self,
        batch_size: int,
        negative_text_f: torch.Tensor | None = None,
        *,
        clip_len: int | None = None,
        sync_len: int | None = None,
    ) -> Conditions:
        """Unconditional branch for classifier-free guidance: learned empty CLIP/Synchformer features
        repeated over time, and the empty-string text features (or `negative_text_f`, (1|B, 77, text_dim)).

        Lengths default to the trained 8-s clip; pass those of the conditional branch otherwise.
        """
        lengths = self.config.sequence_lengths()
        clip_len = lengths.clip_len if clip_len is None else clip_len
        sync_len = lengths.sync_len if sync_len is None else sync_len
        if negative_text_f is None:
            text_f = self.empty_string_feat.unsqueeze(0)
        else:
            text_f = negative_text_f
            if text_f.dim() != 3 or text_f.shape[0] not in (1, batch_size):
                raise BadInputError(
                    f"negative_text_f must be (1 or {batch_size}, {self.config.text_len}, {self.config.text_dim}), "
                    f"got {tuple(text_f.shape)}"
                )
        text_batch = text_f.shape[0]
        clip_f = self.empty_clip_feat.unsqueeze(0).expand(text_batch, clip_len, -1)
        sync_f = self.empty_sync_feat.unsqueeze(0).expand(text_batch, sync_len, -1)
        return self.preprocess_conditions(clip_f, sync_f, text_f).expand(batch_size)

    # ----------------------------------------------------------------- flow
    def predict_flow(
        self,
        latent: torch.Tensor,
        t: torch.Tensor | float,
        conditions: Conditions,
        adaln_delta: AdaLNDelta | None = None,
    ) -> torch.Tensor:
        """Flow velocity (B, N, C) at normalised latent (b, N, C) and time t ∈ [0, 1] ((b,) or scalar).

        Usually b = B. When the conditions hold k·b samples (e.g. CFG's conditional and unconditional
        branches stacked along the batch) the latent and t are shared by the k groups: the audio
        input projection runs once and is repeated. `adaln_delta` adds residuals to the adaLN
        modulations (see :class:`AdaLNDelta`); None costs nothing.
        """
        cfg = self.config
        if latent.dim() != 3 or latent.shape[-1] != cfg.latent_dim:
            raise BadInputError(f"latent must be (B, N, {cfg.latent_dim}), got {tuple(latent.shape)}")
        latent_batch, latent_len = latent.shape[:2]
        batch = conditions.batch_size
        if batch % latent_batch:
            raise BadInputError(f"conditions batch {batch} is not a multiple of the latent batch {latent_batch}")
        t = torch.as_tensor(t, dtype=torch.float32, device=self.device)
        t = t.expand(latent_batch) if t.dim() == 0 else t
        if t.shape != (latent_batch,):
            raise BadInputError(f"t must be a scalar or ({latent_batch},), got {tuple(t.shape)}")
        residuals, delta = self._check_delta(adaln_delta, batch, latent_len)

        x = self.audio_input_proj(self._cast(latent)).contiguous()  # (b, N, D)
        if batch != latent_batch:
            repeats = batch // latent_batch
            x, t = x.repeat(repeats, 1, 1), t.repeat(repeats)
        global_c = (self.t_embed(t) + conditions.global_cond).unsqueeze(1)  # (B, 1, D)
        if delta is not None and delta.condition is not None:
            global_c = global_c + delta.condition
        act_global = F.silu(global_c)
        to_latent = self._sync_to_latent_index(conditions.sync_len, latent_len)
        token_index = delta.token_index if delta is not None else None
        if delta is not None and delta.token_condition is not None:
            # summation injection: the per-token condition now varies within a Synchformer token,
            # so it is formed (and the modulations computed) at the audio-token rate
            token_condition = delta.token_condition
            if token_index is not None and token_condition.shape[1] > 1:
                token_condition = token_condition.index_select(1, token_index)
            act_extended = F.silu(global_c + conditions.sync_tokens.index_select(1, to_latent) + token_condition)
            gather = None
        else:
            act_extended = F.silu(global_c + conditions.sync_tokens)  # (B, Ls, D), at the Synchformer rate
            gather = to_latent
        head_dim = cfg.head_dim
        latent_rope = self._rope_tables.get(latent_len, head_dim, freq_scaling=1.0, device=self.device)
        # CLIP token p sits at audio position p·N/Lc
        clip_rope = self._rope_tables.get(
            conditions.clip_len, head_dim, freq_scaling=latent_len / conditions.clip_len, device=self.device
        )

        def with_residual(modulation: torch.Tensor, name: str) -> torch.Tensor:
            residual = residuals.get(name)
            if residual is None:
                return modulation
            if token_index is not None and is_per_token(name) and residual.shape[1] > 1:
                residual = residual.index_select(1, token_index)  # frame rows → audio tokens
            return modulation + residual

        def per_token(block: StreamBlock, name: str) -> torch.Tensor:
            modulation = block.modulation(act_extended)
            if gather is not None:
                modulation = modulation.index_select(1, gather)
            return with_residual(modulation, name)

        def shared(block: StreamBlock | FinalBlock, name: str) -> torch.Tensor:
            return with_residual(block.modulation(act_global), name)

        clip, text = conditions.clip_tokens, conditions.text_tokens
        for i, block in enumerate(self.joint_blocks):
            modulations = (
                per_token(block.latent_block, f"joint_blocks.{i}.latent_block"),
                shared(block.clip_block, f"joint_blocks.{i}.clip_block"),
                shared(block.text_block, f"joint_blocks.{i}.text_block"),
            )
            x, clip, text = block(x, clip, text, modulations, latent_rope, clip_rope)
        for j, block in enumerate(self.fused_blocks):
            x = block(x, per_token(block, f"fused_blocks.{j}"), latent_rope)
        # MMAudio conditions the final layer on the global condition only (its issue #55); the
        # released weights were trained that way. A Δ residual may still vary per audio token.
        return self.final_layer(x, shared(self.final_layer, "final_layer"))

    def _check_delta(
        self, adaln_delta: AdaLNDelta | None, batch: int, latent_len: int
    ) -> tuple[Mapping[str, torch.Tensor], AdaLNDelta | None]:
        """(residuals cast to the network, the delta) after checking every shape; ({}, None) for no delta."""
        if adaln_delta is None or adaln_delta.is_empty:
            return {}, None
        dim = self.config.hidden_dim
        shapes = self.adaln_shapes(batch, latent_len)
        index = adaln_delta.token_index
        rows = latent_len
        if index is not None:
            if index.dim() != 1 or index.shape[0] != latent_len or index.dtype != torch.long or \
                    (index.numel() and int(index.min()) < 0):
                raise BadInputError(f"AdaLNDelta.token_index must be ({latent_len},) non-negative int64 row "
                                    f"numbers, got {tuple(index.shape)} {index.dtype}")
            rows = int(index.max()) + 1 if index.numel() else 1

        def check(what: str, tensor: torch.Tensor, width: int, allowed_rows: tuple[int, ...]) -> torch.Tensor:
            """The tensor as (1|B, row count, width), or a BadInputError saying what fits."""
            if tensor.dim() < 3:
                tensor = tensor.reshape((1,) * (3 - tensor.dim()) + tuple(tensor.shape))
            if not (tensor.dim() == 3 and tensor.shape[0] in (1, batch) and tensor.shape[2] == width
                    and tensor.shape[1] in allowed_rows):
                rows_text = "|".join(str(r) for r in sorted(set(allowed_rows), reverse=True))
                raise BadInputError(f"AdaLNDelta{what} has shape {tuple(tensor.shape)}, which does not broadcast "
                                    f"to the modulation ({batch}, {rows_text}, {width})")
            return tensor

        residuals = {}
        for name, residual in adaln_delta.residuals.items():
            if name not in shapes:
                raise BadInputError(f"AdaLNDelta: unknown block {name!r}; valid names: {', '.join(shapes)}")
            allowed = (1, rows) if is_per_token(name) else (1,)
            residuals[name] = check(f"[{name!r}]", residual, shapes[name][2], allowed)
        condition, token_condition = adaln_delta.condition, adaln_delta.token_condition
        if condition is not None:
            condition = check(".condition", condition, dim, (1,))
        if token_condition is not None:
            token_condition = check(".token_condition", token_condition, dim, (1, rows))
        cast = lambda x: None if x is None else self._cast(x)  # noqa: E731
        delta = AdaLNDelta(
            {name: self._cast(r) for name, r in residuals.items()},
            token_index=None if index is None else index.to(self.device),
            condition=cast(condition),
            token_condition=cast(token_condition),
        )
        return delta.residuals, delta

    def velocity(
        self,
        latent: torch.Tensor,
        t: torch.Tensor | float,
        clip_f: torch.Tensor,
        sync_f: torch.Tensor,
        text_f: torch.Tensor,
        adaln_delta: AdaLNDelta | None = None,
    ) -> torch.Tensor:
        """Flow velocity (B, N, C) from raw features: the uncached path (preprocesses the conditions
        on every call). Samplers should call `preprocess_conditions` once and `predict_flow` per step."""
        return self.predict_flow(latent, t, self.preprocess_conditions(clip_f, sync_f, text_f), adaln_delta)

    forward = velocity  # callable like any nn.Module, Δ-modulation included
