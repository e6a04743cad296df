"""BigVGAN mel → waveform vocoder, inference only, for both checkpoints MMAudio uses.

- 16 kHz: the BigVGAN of Make-An-Audio 2 that MMAudio ships as `best_netG.pt` (80 mels, hop 256,
  upsample 4·4·2·2·2·2, 1536 initial channels, SnakeBeta, final tanh with bias).
- 44.1 kHz: NVIDIA BigVGAN-v2 `bigvgan_v2_44khz_128band_512x` (`bigvgan_generator.pt` +
  `config.json`; 128 mels, hop 512, upsample 8·4·2·2·2·2, no final bias, final clamp instead of tanh).

The configuration is read from tensor shapes; `config.json` (BigVGAN's hyper-parameter file), when
given, supplies what shapes cannot tell (upsample rates, dilations, log-scale Snake parameters, the
final activation, the sample rate) and is checked against the shapes. Weight norm (`weight_g` /
`weight_v`, or torch parametrizations `original0` / `original1`) is folded into plain weights at
load, and Snake parameters are converted to linear scale once, so a forward pass does neither.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import torch
from torch import nn

from ..errors import UnsupportedCheckpointError
from .alias_free import FILTER_TAPS, SNAKE_EPS, AntiAliasedSnake, bigvgan_resample_filter
from .checkpoint import check_state_dict

WHAT = "BigVGAN vocoder"

# Shapes cannot tell these; both published checkpoints use the same values (their config files).
DEFAULT_DILATIONS = (1, 3, 5)
DEFAULT_SNAKE_LOGSCALE = True
# Sample rate of MMAudio's two vocoders, keyed by (mel bins, hop length, final conv has a bias):
# the 16 kHz model keeps BigVGAN-v1's final bias, the 44.1 kHz BigVGAN-v2 drops it. Any other
# generator needs its config.json to tell its rate.
KNOWN_SAMPLE_RATES_HZ = {(80, 256, True): 16000, (128, 512, False): 44100}


@dataclass(frozen=True)
class BigVganConfig:
    """Hyper-parameters of a BigVGAN generator (names follow BigVGAN's config.json)."""

    num_mels: int
    upsample_initial_channel: int
    upsample_rates: tuple[int, ...]
    upsample_kernel_sizes: tuple[int, ...]
    resblock_kernel_sizes: tuple[int, ...]
    resblock_dilation_sizes: tuple[tuple[int, ...], ...]
    activation: str  # "snake" | "snakebeta"
    snake_logscale: bool
    use_bias_at_final: bool
    use_tanh_at_final: bool
    sample_rate_hz: int | None  # None when neither config.json nor the (mels, hop) pair tells

    @property
    def hop_length(self) -> int:
        """Waveform samples per mel frame."""
        return math.prod(self.upsample_rates)

    def channels(self, level: int) -> int:
        """Channels after upsampling stage `level` (level −1: after conv_pre)."""
        return self.upsample_initial_channel // (2 ** (level + 1))


class AmpBlock(nn.Module):
    """Residual block of (anti-aliased snake → dilated conv → anti-aliased snake → conv) pairs."""

    def __init__(self, channels: int, kernel_size: int, dilations: tuple[int, ...]):
        super().__init__()
        self.convs1 = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel_size, dilation=d, padding=d * (kernel_size - 1) // 2)
            for d in dilations
        )
        self.convs2 = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel_size, padding=(kernel_size - 1) // 2) for _ in dilations
        )
        self.activations1 = nn.ModuleList(AntiAliasedSnake(channels) for _ in dilations)
        self.activations2 = nn.ModuleList(AntiAliasedSnake(channels) for _ in dilations)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv1, conv2, act1, act2 in zip(self.convs1, self.convs2, self.activations1, self.activations2):
            x = conv2(act2(conv1(act1(x)))).add_(x)  # in place on a fresh conv output
        return x


class BigVgan(nn.Module):
    """Generator with folded weights: mel (B, num_mels, T) → waveform (B, 1, T · hop_length) in [−1, 1]."""

    def __init__(self, config: BigVganConfig):
        super().__init__()
        self.config = config
        c = config
        self.conv_pre = nn.Conv1d(c.num_mels, c.upsample_initial_channel, 7, padding=3)
        # ups.{i}.0: a one-element list per stage, so parameter names equal the checkpoint's
        self.ups = nn.ModuleList(
            nn.ModuleList([nn.ConvTranspose1d(c.channels(i - 1), c.channels(i), k, u, padding=(k - u) // 2)])
            for i, (u, k) in enumerate(zip(c.upsample_rates, c.upsample_kernel_sizes))
        )
        self.resblocks = nn.ModuleList(
            AmpBlock(c.channels(i), k, d)
            for i in range(len(c.upsample_rates))
            for k, d in zip(c.resblock_kernel_sizes, c.resblock_dilation_sizes)
        )
        last = c.channels(len(c.upsample_rates) - 1)
        self.activation_post = AntiAliasedSnake(last)
        self.conv_post = nn.Conv1d(last, 1, 7, padding=3, bias=c.use_bias_at_final)
        self.requires_grad_(False)

    @property
    def sample_rate_hz(self) -> int | None:
        return self.config.sample_rate_hz

    @property
    def hop_length(self) -> int:
        return self.config.hop_length

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """mel (B, num_mels, T) log-mel → waveform (B, 1, T · hop_length)."""
        kernels = len(self.config.resblock_kernel_sizes)
        x = self.conv_pre(mel)
        for i, (up,) in enumerate(self.ups):
            x = up(x)
            blocks = self.resblocks[i * kernels : (i + 1) * kernels]
            acc = blocks[0](x)
            for block in blocks[1:]:
                acc.add_(block(x))
            x = acc.div_(kernels)
        x = self.conv_post(self.activation_post(x))
        return torch.tanh(x) if self.config.use_tanh_at_final else x.clamp(-1.0, 1.0)


# ---------------------------------------------------------------------------------------------
# Checkpoint → model


@dataclass(frozen=True)
class _Scheme:
    """How a checkpoint stores conv weights: weight norm (two spellings) or plain."""

    names: tuple[str, ...]  # suffixes after the conv prefix: (g, v) or (weight,)

    @property
    def folded(self) -> bool:
        return len(self.names) == 1


LEGACY_WEIGHT_NORM = _Scheme(("weight_g", "weight_v"))
PARAMETRIZED_WEIGHT_NORM = _Scheme(("parametrizations.weight.original0", "parametrizations.weight.original1"))
PLAIN_WEIGHTS = _Scheme(("weight",))


def _detect_scheme(state_dict: Mapping[str, torch.Tensor]) -> _Scheme:
    for scheme in (LEGACY_WEIGHT_NORM, PARAMETRIZED_WEIGHT_NORM, PLAIN_WEIGHTS):
        if f"conv_pre.{scheme.names[-1]}" in state_dict:
            return scheme
    raise UnsupportedCheckpointError(
        f"{WHAT}: this file is not a BigVGAN generator (no 'conv_pre' weight; first keys: "
        f"{', '.join(list(state_dict)[:5])}). Expected MMAudio's best_netG.pt or NVIDIA's bigvgan_generator.pt."
    )


def _weight_shape(state_dict: Mapping[str, torch.Tensor], prefix: str, scheme: _Scheme) -> tuple[int, ...] | None:
    tensor = state_dict.get(f"{prefix}.{scheme.names[-1]}")  # v, or the plain weight
    return None if tensor is None else tuple(tensor.shape)


def _count(state_dict: Mapping[str, torch.Tensor], pattern: str, scheme: _Scheme) -> int:
    n = 0
    while _weight_shape(state_dict, pattern.format(n), scheme) is not None:
        n += 1
    return n


def detect_bigvgan_config(
    state_dict: Mapping[str, torch.Tensor],
    hparams: Mapping[str, Any] | None = None,
    *,
    hparams_source: str = "config.json",
) -> BigVganConfig:
    """Configuration from tensor shapes, completed and cross-checked by BigVGAN hyper-parameters.

    Without `hparams` (config.json), values shapes cannot tell take the published checkpoints'
    values: upsample rate = kernel size / 2, dilations (1, 3, 5), log-scale Snake parameters,
    final tanh iff the final conv has a bias (NVIDIA's v2 releases drop both together), and the
    sample rate of MMAudio's two vocoders: 80 bins, hop 256, final bias → 16 kHz; 128 bins,
    hop 512, no final bias → 44.1 kHz (otherwise None). Shapes cannot tell NVIDIA's BigVGAN-v1
    22 kHz 80-band model from the 16 kHz one: such files need their config.json.
    """
    scheme = _detect_scheme(state_dict)
    pre = _weight_shape(state_dict, "conv_pre", scheme)
    if pre is None or len(pre) != 3:
        raise UnsupportedCheckpointError(f"{WHAT}: conv_pre weight has shape {pre}, expected (channels, mels, 7)")
    initial, num_mels = pre[0], pre[1]
    num_ups = _count(state_dict, "ups.{}.0", scheme)
    num_blocks = _count(state_dict, "resblocks.{}.convs1.0", scheme)
    if num_ups == 0 or num_blocks == 0 or num_blocks % num_ups:
        if _weight_shape(state_dict, "resblocks.0.convs.0", scheme) is not None:
            raise UnsupportedCheckpointError(
                f"{WHAT}: this checkpoint uses BigVGAN's 'resblock 2' (AMPBlock2), which MMAudio's vocoders "
                "do not use and this loader does not support."
            )
        raise UnsupportedCheckpointError(
            f"{WHAT}: found {num_ups} upsampling stages and {num_blocks} residual blocks; expected "
            "'ups.{i}.0' and 'resblocks.{j}.convs1/convs2' weights with blocks a multiple of stages."
        )
    kernels_per_stage = num_blocks // num_ups
    up_kernels = tuple(_weight_shape(state_dict, f"ups.{i}.0", scheme)[-1] for i in range(num_ups))
    block_kernels = tuple(
        _weight_shape(state_dict, f"resblocks.{j}.convs1.0", scheme)[-1] for j in range(kernels_per_stage)
    )
    num_dilations = _count(state_dict, "resblocks.0.convs1.{}", scheme)
    if "activation_post.act.beta" in state_dict:
        activation = "snakebeta"
    elif "activation_post.act.alpha" in state_dict:
        activation = "snake"
    else:
        raise UnsupportedCheckpointError(
            f"{WHAT}: missing tensor activation_post.act.alpha (and .beta): not a BigVGAN (Snake) generator"
        )
    use_bias_at_final = "conv_post.bias" in state_dict

    h = dict(hparams or {})
    source = hparams_source
    _agree(h, "num_mels", num_mels, source)
    _agree(h, "upsample_initial_channel", initial, source)
    _agree(h, "upsample_kernel_sizes", list(up_kernels), source)
    _agree(h, "resblock_kernel_sizes", list(block_kernels), source)
    _agree(h, "activation", activation, source)
    _agree(h, "use_bias_at_final", use_bias_at_final, source)
    if str(h.get("resblock", "1")) != "1":
        raise UnsupportedCheckpointError(f"{WHAT}: {source} asks for resblock {h['resblock']!r}; only '1' is supported")

    if "upsample_rates" in h:
        rates = tuple(int(u) for u in h["upsample_rates"])
    else:
        rates = tuple(k // 2 for k in up_kernels)
    if len(rates) != num_ups or any((k - u) % 2 or u < 1 for u, k in zip(rates, up_kernels)):
        raise UnsupportedCheckpointError(
            f"{WHAT}: upsample rates {list(rates)} do not fit the kernel sizes {list(up_kernels)} of the weights"
        )
    if "resblock_dilation_sizes" in h:
        dilations = tuple(tuple(int(d) for d in ds) for ds in h["resblock_dilation_sizes"])
    elif num_dilations == len(DEFAULT_DILATIONS):
        dilations = (DEFAULT_DILATIONS,) * kernels_per_stage
    else:
        raise UnsupportedCheckpointError(
            f"{WHAT}: blocks have {num_dilations} dilated convs; their dilations cannot be read from shapes. "
            "Put the model's config.json beside the weights or pass config_path."
        )
    if len(dilations) != kernels_per_stage or any(len(ds) != num_dilations for ds in dilations):
        raise UnsupportedCheckpointError(
            f"{WHAT}: resblock_dilation_sizes {dilations} do not fit {kernels_per_stage} blocks of "
            f"{num_dilations} dilated convs in the weights"
        )
    hop = math.prod(rates)
    if "hop_size" in h and int(h["hop_size"]) != hop:
        raise UnsupportedCheckpointError(f"{WHAT}: {source} hop_size {h['hop_size']} ≠ product of upsample rates {hop}")
    sample_rate = h.get("sampling_rate", KNOWN_SAMPLE_RATES_HZ.get((num_mels, hop, use_bias_at_final)))
    return BigVganConfig(
        num_mels=num_mels,
        upsample_initial_channel=initial,
        upsample_rates=rates,
        upsample_kernel_sizes=up_kernels,
        resblock_kernel_sizes=block_kernels,
        resblock_dilation_sizes=dilations,
        activation=activation,
        snake_logscale=bool(h.get("snake_logscale", DEFAULT_SNAKE_LOGSCALE)),
        use_bias_at_final=use_bias_at_final,
        use_tanh_at_final=bool(h.get("use_tanh_at_final", use_bias_at_final)),
        sample_rate_hz=None if sample_rate is None else int(sample_rate),
    )


def _agree(hparams: Mapping[str, Any], key: str, from_weights: Any, source: str) -> None:
    if key in hparams and hparams[key] != from_weights:
        raise UnsupportedCheckpointError(
            f"{WHAT}: {source} says {key} = {hparams[key]!r} but the weights have {from_weights!r}; "
            "the config file belongs to another model"
        )


def _conv_prefixes(config: BigVganConfig) -> dict[str, tuple[tuple[int, ...], int | None]]:
    """Conv prefix → (weight shape, bias length or None)."""
    c = config
    convs: dict[str, tuple[tuple[int, ...], int | None]] = {
        "conv_pre": ((c.upsample_initial_channel, c.num_mels, 7), c.upsample_initial_channel)
    }
    for i, k in enumerate(c.upsample_kernel_sizes):
        convs[f"ups.{i}.0"] = ((c.channels(i - 1), c.channels(i), k), c.channels(i))  # ConvTranspose: (in, out, k)
    for b, (ch, k, dilations) in enumerate(_blocks(c)):
        for m in range(len(dilations)):
            for name in ("convs1", "convs2"):
                convs[f"resblocks.{b}.{name}.{m}"] = ((ch, ch, k), ch)
    last = c.channels(len(c.upsample_rates) - 1)
    convs["conv_post"] = ((1, last, 7), 1 if c.use_bias_at_final else None)
    return convs


def _blocks(config: BigVganConfig) -> list[tuple[int, int, tuple[int, ...]]]:
    """(channels, kernel, dilations) of every residual block in checkpoint order."""
    return [
        (config.channels(i), k, d)
        for i in range(len(config.upsample_rates))
        for k, d in zip(config.resblock_kernel_sizes, config.resblock_dilation_sizes)
    ]


def _activation_prefixes(config: BigVganConfig) -> dict[str, tuple[str, int]]:
    """Checkpoint activation prefix → (our module path, channels)."""
    acts: dict[str, tuple[str, int]] = {}
    for b, (ch, _, dilations) in enumerate(_blocks(config)):
        for m in range(2 * len(dilations)):  # checkpoint interleaves: even → before convs1, odd → before convs2
            ours = f"resblocks.{b}.activations{1 + m % 2}.{m // 2}"
            acts[f"resblocks.{b}.activations.{m}"] = (ours, ch)
    acts["activation_post"] = ("activation_post", config.channels(len(config.upsample_rates) - 1))
    return acts


def expected_bigvgan_tensors(config: BigVganConfig, scheme: _Scheme = LEGACY_WEIGHT_NORM) -> dict[str, tuple[int, ...]]:
    """Every tensor name → shape a checkpoint of `config` holds (resampling filters excepted)."""
    expected: dict[str, tuple[int, ...]] = {}
    for prefix, (shape, bias) in _conv_prefixes(config).items():
        if scheme.folded:
            expected[f"{prefix}.weight"] = shape
        else:
            expected[f"{prefix}.{scheme.names[0]}"] = (shape[0], 1, 1)
            expected[f"{prefix}.{scheme.names[1]}"] = shape
        if bias is not None:
            expected[f"{prefix}.bias"] = (bias,)
    for prefix, (_, ch) in _activation_prefixes(config).items():
        expected[f"{prefix}.act.alpha"] = (ch,)
        if config.activation == "snakebeta":
            expected[f"{prefix}.act.beta"] = (ch,)
    return expected


def _filter_keys(config: BigVganConfig) -> list[str]:
    """Persistent resampling-filter buffers BigVGAN checkpoints carry; we recompute them."""
    keys = []
    for prefix in _activation_prefixes(config):
        keys += [f"{prefix}.upsample.filter", f"{prefix}.downsample.lowpass.filter"]
    return keys


def _check_filters(state_dict: Mapping[str, torch.Tensor], keys: list[str]) -> None:
    reference = torch.tensor(bigvgan_resample_filter(), dtype=torch.float32)
    for key in keys:
        if key not in state_dict:
            continue
        tensor = state_dict[key]
        if tuple(tensor.shape) != (1, 1, FILTER_TAPS):
            raise UnsupportedCheckpointError(
                f"{WHAT}: {key} has shape {tuple(tensor.shape)}, expected (1, 1, {FILTER_TAPS})"
            )
        # the filter is a fixed function of the architecture; a different one means different code
        if (tensor.float().flatten() - reference).abs().max() > 1e-3:
            raise UnsupportedCheckpointError(f"{WHAT}: {key} is not BigVGAN's Kaiser-sinc resampling filter")


def fold_weight_norm(g: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """w = g · v / ‖v‖ with the norm over every dim but the first (torch weight_norm, dim=0), in fp32."""
    v = v.float()
    norm = torch.linalg.vector_norm(v, dim=tuple(range(1, v.ndim)), keepdim=True)
    return g.float() * v / norm


def bigvgan_from_state_dict(
    state_dict: Mapping[str, torch.Tensor],
    *,
    hparams: Mapping[str, Any] | None = None,
    hparams_source: str = "config.json",
    dtype: torch.dtype = torch.float32,
    device: torch.device | str = "cpu",
) -> BigVgan:
    """Build a BigVgan from a generator state dict (any weight-norm spelling, or plain weights).

    Missing, unexpected or mis-shaped tensors raise UnsupportedCheckpointError naming them with the
    expected shape. Folding is done in fp32 before casting to `dtype`.
    """
    config = detect_bigvgan_config(state_dict, hparams, hparams_source=hparams_source)
    scheme = _detect_scheme(state_dict)
    filter_keys = _filter_keys(config)
    check_state_dict(expected_bigvgan_tensors(config, scheme), state_dict, WHAT, ignore=filter_keys)
    _check_filters(state_dict, filter_keys)

    ours: dict[str, torch.Tensor] = {}
    for prefix, (_, bias) in _conv_prefixes(config).items():
        if scheme.folded:
            ours[f"{prefix}.weight"] = state_dict[f"{prefix}.weight"].float()
        else:
            g, v = (state_dict[f"{prefix}.{name}"] for name in scheme.names)
            ours[f"{prefix}.weight"] = fold_weight_norm(g, v)
        if bias is not None:
            ours[f"{prefix}.bias"] = state_dict[f"{prefix}.bias"].float()
    for prefix, (path, _) in _activation_prefixes(config).items():
        alpha = state_dict[f"{prefix}.act.alpha"].double()
        beta = state_dict[f"{prefix}.act.beta"].double() if config.activation == "snakebeta" else alpha
        if config.snake_logscale:
            alpha, beta = alpha.exp(), beta.exp()
        ours[f"{path}.alpha"] = alpha.float()
        ours[f"{path}.inv_beta"] = (1.0 / (beta + SNAKE_EPS)).float()

    with torch.device("meta"):  # no random init of ~10^8 parameters that are overwritten anyway
        model = BigVgan(config)
    model.load_state_dict(ours, strict=True, assign=True)
    for module in model.modules():
        if isinstance(module, AntiAliasedSnake):
            module.reset_stencils()
    return model.to(device=device, dtype=dtype).eval()
