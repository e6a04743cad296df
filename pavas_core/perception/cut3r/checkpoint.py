"""Loading CUT3R weights safely, and writing seeded random ones.

Accepted files:
- the released `.pth` (e.g. cut3r_512_dpt_4_64.pth): a pickle holding {"model": state dict,
  "args": the training configuration (OmegaConf objects), "epoch"}. It is read with
  `torch.load(weights_only=True)`; the configuration's classes are allowed by name and rebuilt
  as inert placeholders (no OmegaConf needed, no code from the file runs). The architecture
  string inside "args" is never evaluated: head counts are read from it as numbers, sizes from
  the tensors' shapes.
- a `.safetensors` file with the configuration as JSON in its metadata (key "cut3r_config") or in a
  JSON file beside it (same name with .json, or config.json in the same folder).

Loading is strict: every tensor of the network must be in the file and nothing else.

Licence: CUT3R's weights (and code) are CC BY-NC-SA 4.0 (non-commercial). Users supply the file.
"""

from __future__ import annotations

import collections
import json
import os
import re
import typing
from typing import Any

import torch

from ...errors import BadInputError, MissingWeightsError
from .config import FULL_512_DPT, Cut3rConfig, config_from_state_dict
from .model import Cut3r

CONFIG_METADATA_KEY = "cut3r_config"
WEIGHTS_LICENCE = "CUT3R weights: CC BY-NC-SA 4.0 (non-commercial use only)"

# Classes the released checkpoint's "args" pickle names (OmegaConf containers and nodes).
_CONFIG_CLASSES = (
    "omegaconf.dictconfig.DictConfig", "omegaconf.listconfig.ListConfig", "omegaconf.base.ContainerMetadata",
    "omegaconf.base.Metadata", "omegaconf.nodes.AnyNode", "omegaconf.nodes.StringNode",
    "omegaconf.nodes.IntegerNode", "omegaconf.nodes.FloatNode", "omegaconf.nodes.BooleanNode",
    "omegaconf.nodes.BytesNode", "omegaconf.nodes.PathNode", "omegaconf.nodes.EnumNode",
    "omegaconf.nodes.InterpolationResultNode",
)


class _Inert:
    """Stands in for a configuration object of the checkpoint: keeps its pickled state, does nothing."""

    def __setstate__(self, state: Any) -> None:
        self.__dict__["state"] = state


def _placeholders() -> list:
    out = [(type(name.rsplit(".", 1)[1], (_Inert,), {}), name) for name in _CONFIG_CLASSES]
    return out + [typing.Any, dict, list, tuple, set, int, float, str, bool, collections.defaultdict,
                  collections.OrderedDict]


def _strings(obj: Any, depth: int = 0):
    """Every string inside a placeholder tree (the configuration's values)."""
    if depth > 20:
        return
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _strings(v, depth + 1)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _strings(v, depth + 1)
    elif isinstance(obj, _Inert):
        yield from _strings(obj.__dict__.get("state"), depth + 1)


def _heads_from_args(args: Any) -> dict[str, int]:
    """Head counts from the stored architecture string (read as numbers, never evaluated)."""
    for s in _strings(args):
        if "ARCroco3DStereo" in s:
            found = {}
            for field, key in (("enc_num_heads", "enc_heads"), ("dec_num_heads", "dec_heads"),
                               ("state_dec_num_heads", "state_heads")):
                m = re.search(rf"(?<![a-z_]){field}\s*=\s*(\d+)", s)
                if m:
                    found[key] = int(m.group(1))
            return found
    return {}


def _read_pth(path: str) -> tuple[dict, dict]:
    try:
        with torch.serialization.safe_globals(_placeholders()):
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a pickle naming classes outside the allow-list, or not a torch file
        try:
            extra = torch.serialization.get_unsafe_globals_in_checkpoint(path)
        except Exception:
            extra = []
        detail = f" (it names classes outside the allow-list: {', '.join(extra[:5])})" if extra else ""
        raise BadInputError(f"{os.path.basename(path)}: not a loadable CUT3R checkpoint{detail}: "
                            f"{str(exc).splitlines()[0][:200]}") from None
    if isinstance(ckpt, dict) and "model" in ckpt and isinstance(ckpt["model"], dict):
        state, heads = ckpt["model"], _heads_from_args(ckpt.get("args"))
    elif isinstance(ckpt, dict) and all(isinstance(v, torch.Tensor) for v in ckpt.values()):
        state, heads = ckpt, {}
    else:
        raise BadInputError(f"{os.path.basename(path)}: expected a dict with the weights under 'model'")
    return state, heads


def _sidecar_config(path: str) -> dict | None:
    stem = os.path.splitext(path)[0]
    for cand in (stem + ".json", os.path.join(os.path.dirname(path), "config.json")):
        if os.path.isfile(cand):
            with open(cand, encoding="utf-8") as f:
                return json.load(f)
    return None


def _read_safetensors(path: str) -> tuple[dict, Cut3rConfig | None]:
    from safetensors import safe_open
    from safetensors.torch import load_file

    with safe_open(path, framework="pt") as f:
        meta = f.metadata() or {}
    data = json.loads(meta[CONFIG_METADATA_KEY]) if CONFIG_METADATA_KEY in meta else _sidecar_config(path)
    return load_file(path), (Cut3rConfig.from_dict(data) if data is not None else None)


def _complete_aliases(state: dict) -> dict:
    """The DPT heads' four first convolutions have two names each; a file may hold only one."""
    out = dict(state)
    for k in list(state):
        m = re.match(r"(.*\.scratch\.)layer([1-4])_rn\.weight$", k)
        if m:
            out.setdefault(f"{m.group(1)}layer_rn.{int(m.group(2)) - 1}.weight", state[k])
        m = re.match(r"(.*\.scratch\.)layer_rn\.([0-3])\.weight$", k)
        if m:
            out.setdefault(f"{m.group(1)}layer{int(m.group(2)) + 1}_rn.weight", state[k])
    return out


def load_state(path: str) -> tuple[dict, Cut3rConfig]:
    """(state dict with canonical names, configuration) from a .pth or .safetensors file."""
    if not path or not os.path.isfile(path):
        raise MissingWeightsError(f"CUT3R weights not found: {path!r} (cut3r_512_dpt_4_64.pth from the CUT3R "
                                  "project, or a .safetensors copy with its configuration)")
    if path.endswith(".safetensors"):
        state, cfg = _read_safetensors(path)
        heads = {}
    else:
        state, heads = _read_pth(path)
        cfg = None
    if state and all(k.startswith("module.") for k in state):
        state = {k[len("module."):]: v for k, v in state.items()}
    state = _complete_aliases(state)
    if cfg is None:
        cfg = config_from_state_dict(state, **heads)
        if not heads and cfg != FULL_512_DPT:
            # head counts are not in the shapes: only the released sizes may go without them
            raise BadInputError(f"{os.path.basename(path)}: CUT3R weights of other sizes than the released model "
                                "need their configuration (head counts): a .pth with its 'args', or a JSON "
                                "beside the .safetensors")
    return state, cfg


def load_cut3r(path: str, *, device: Any = None, dtype: torch.dtype | None = None) -> Cut3r:
    """The network with the file's weights (strict), in eval mode."""
    state, cfg = load_state(path)
    model = Cut3r(cfg)
    ours = model.state_dict()
    missing = sorted(set(ours) - set(state))
    unexpected = sorted(set(state) - set(ours))
    wrong = sorted(k for k in ours if k in state and tuple(state[k].shape) != tuple(ours[k].shape))
    if missing or unexpected or wrong:
        parts = []
        for what, keys in (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong)):
            if keys:
                parts.append(f"{len(keys)} {what} (e.g. {keys[0]})")
        raise BadInputError(f"{os.path.basename(path)}: not a CUT3R 512-DPT-layout checkpoint: {'; '.join(parts)}")
    model.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
    model.eval()
    if dtype is not None or device is not None:
        model.to(device=device, dtype=dtype)
        model.downstream_head.float()  # heads stay float32 (see Cut3r.step)
    model.source_path = path
    return model


# --- seeded random weights (tests, benches) --------------------------------------------------------

def random_state_dict(cfg: Cut3rConfig, seed: int = 0) -> dict[str, torch.Tensor]:
    """Deterministic random weights for every tensor of the layout, in sorted-name order.

    Matrices and kernels get N(0, 1/fan_in) (activations keep their size through the depth),
    norm gains 1 + N(0, 0.1²), biases and learnt tokens N(0, 0.02²). Aliased names share a tensor."""
    names = Cut3r(cfg).state_dict()
    gen = torch.Generator().manual_seed(int(seed))
    out: dict[str, torch.Tensor] = {}
    for name in sorted(names):
        alias = re.match(r"(.*\.scratch\.)layer_rn\.([0-3])\.weight$", name)
        if alias:
            continue
        shape = tuple(names[name].shape)
        leaf = name.rsplit(".", 1)[-1]
        if len(shape) >= 2 and leaf == "weight":
            fan_in = int(torch.tensor(shape[1:]).prod())
            t = torch.randn(shape, generator=gen) / fan_in ** 0.5
        elif leaf == "weight":
            t = 1.0 + 0.1 * torch.randn(shape, generator=gen)
        else:
            t = 0.02 * torch.randn(shape, generator=gen)
        out[name] = t
    return _complete_aliases(out)


def random_cut3r(cfg: Cut3rConfig, seed: int = 0) -> Cut3r:
    model = Cut3r(cfg)
    model.load_state_dict(random_state_dict(cfg, seed), strict=True)
    return model.eval()


def save_safetensors(state: dict, cfg: Cut3rConfig, path: str) -> None:
    """Weights + configuration in one .safetensors (alias names written once)."""
    from safetensors.torch import save_file

    keep = {k: v.contiguous() for k, v in state.items() if not re.search(r"\.scratch\.layer_rn\.[0-3]\.weight$", k)}
    save_file(keep, path, metadata={CONFIG_METADATA_KEY: json.dumps(cfg.to_dict())})
