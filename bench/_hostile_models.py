"""Hostile model files and folders for the learned parts (bad-input matrix, bench/hostile_inputs.py).

Written under one models root in ComfyUI's layout, so the CLI flags (--vlm DIR, --florence2 DIR,
--sam2 FILE, --depth DIR, --adapter FILE, --models DIR) and the loader nodes (models/LLM, models/sam2,
models/depth, models/pavas, models/mmaudio) read the same files:

    LLM/<name>     transformers folders: malformed config.json (not JSON, a list, deep, not UTF-8,
                   too large, a symlink loop, a FIFO), unknown model types, a real tiny model's
                   config with wrong-rank / int32 / no weights, a pickle payload as pytorch_model.bin
    depth/<name>   the same for a metric depth model
    sam2/<file>    missing, empty, text, a directory, a symlink loop, a pickle payload, the legacy
                   format, a zip bomb, wrong-rank and int32 tensors, another model's tensors
    pavas/<file>   Phy-Adapter files: pickle, no metadata, metadata not JSON / deep, wrong-rank and
                   int32 tensors, a config of absurd width
    mmaudio/       a tiny valid 16 kHz MMAudio set (and a network with wrong-rank tensors)

The tiny valid models come from pavas_core's tiny-model builders (random weights, seconds on a CPU).
Every pickle payload would leave PAYLOAD_RAN in the models root if it ever ran.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

PAYLOAD_MARKER = "PAYLOAD_RAN"


def _payload_pickle(path: Path, marker: Path) -> None:
    import torch

    class Payload:  # pickles to os.system("touch MARKER"): weights_only must refuse to run it
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    torch.save({"w": Payload()}, str(path))


def _zip_bomb(path: Path) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("archive/data.pkl", "w", force_zip64=True) as entry:
            block = bytes(1 << 20)
            for _ in range(64):
                entry.write(block)


def _bad_configs(base: Path, prefix: str, marker: Path) -> dict[str, Path]:
    """Folders whose config.json (or weights) are hostile, whatever the model kind."""
    out: dict[str, Path] = {}

    def folder(key: str) -> Path:
        path = base / f"{prefix}_{key}"
        path.mkdir(parents=True, exist_ok=True)
        out[key] = path
        return path

    (folder("config_not_json") / "config.json").write_text("{not json")
    (folder("config_list") / "config.json").write_text("[1, 2, 3]")
    (folder("config_deep") / "config.json").write_bytes(b"[" * 100_000 + b"]" * 100_000)
    (folder("config_non_utf8") / "config.json").write_bytes(b'{"model_type": "\xff\xfe"}')
    with open(folder("config_huge") / "config.json", "wb") as handle:  # sparse: 64 MB of nothing on disk
        handle.truncate(64 * 1024**2)
    loop = folder("config_loop") / "config.json"
    if not loop.is_symlink():
        os.symlink("config.json", loop)
    fifo = folder("config_fifo") / "config.json"
    if not fifo.exists():
        os.mkfifo(fifo)
    (folder("unknown_type") / "config.json").write_text(json.dumps({"model_type": "no_such_model_type"}))
    (folder("type_not_text") / "config.json").write_text(json.dumps({"model_type": {"a": 1}}))
    return out


def _corrupt_weights(src: Path, dst: Path, mode: str, marker: Path) -> Path:
    """A copy of the transformers folder `src` with its weights made hostile (`mode`)."""
    import shutil

    import torch
    from safetensors.torch import load_file, save_file

    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst)
    weights = dst / "model.safetensors"
    state = load_file(str(weights))
    if mode == "wrong_rank":
        state = {k: (v.reshape(-1) if v.ndim > 1 else v[None]) for k, v in state.items()}
    elif mode == "int32":
        state = {k: (v * 100).to(torch.int32) for k, v in state.items()}
    if mode == "no_weights":
        weights.unlink()
    elif mode == "pickle":
        weights.unlink()
        _payload_pickle(dst / "pytorch_model.bin", marker)
    else:
        save_file({k: v.contiguous() for k, v in state.items()}, str(weights), metadata={"format": "pt"})
    return dst


def _write_hostile_tiny(folder: Path, out: dict[str, Path]) -> None:
    """PAVAS-tiny checkpoints: a valid fresh one, and one each with a config the loader must refuse
    (zero heads, huge widths, a list) and one with tensors of the wrong rank."""
    import torch
    from safetensors.torch import save_file

    from pavas_core.models.tiny_generator.checkpoint import METADATA_KEY, save_tiny_generator, tiny_metadata
    from pavas_core.models.tiny_generator.config import TinyGeneratorConfig
    from pavas_core.models.tiny_generator.model import TinyGenerator

    torch.manual_seed(0)
    model = TinyGenerator(TinyGeneratorConfig())
    out["tiny_valid"] = folder / "tiny_valid.safetensors"
    save_tiny_generator(model, out["tiny_valid"])
    state = {k: v.detach().float().contiguous() for k, v in model.state_dict().items()}
    meta = json.loads(tiny_metadata(model)[METADATA_KEY])
    for key, change in (("heads0", {"num_heads": 0}), ("huge", {"hidden_dim": 10**9, "depth": 10**6}),
                        ("config_list", None)):
        bad = dict(meta)
        bad["config"] = [1, 2] if change is None else {**meta["config"], **change}
        out[f"tiny_{key}"] = folder / f"tiny_{key}.safetensors"
        save_file(state, str(out[f"tiny_{key}"]), metadata={METADATA_KEY: json.dumps(bad)})
    out["tiny_wrong_rank"] = folder / "tiny_wrong_rank.safetensors"
    save_file({k: v.reshape(-1).contiguous() for k, v in state.items()}, str(out["tiny_wrong_rank"]),
              metadata={METADATA_KEY: json.dumps(meta)})


def write_hostile_models(root: Path, *, learned: bool = True) -> dict[str, Path]:
    """Write every hostile model input under `root`; returns key → path.

    learned=False leaves out what needs transformers' tiny models (a few seconds to build): the
    malformed configs and weight files are still written."""
    import torch
    from safetensors.torch import save_file

    root.mkdir(parents=True, exist_ok=True)
    marker = root / PAYLOAD_MARKER
    out: dict[str, Path] = {}
    llm, depth, sam2, pavas, mmaudio = (root / d for d in ("LLM", "depth", "sam2", "pavas", "mmaudio"))
    for d in (llm, depth, sam2, pavas, mmaudio):
        d.mkdir(parents=True, exist_ok=True)
    out["models_root"] = root
    for key, path in _bad_configs(llm, "vlm", marker).items():
        out[f"llm_{key}"] = path
    for key, path in _bad_configs(depth, "depth", marker).items():
        out[f"depth_{key}"] = path
    out["llm_missing"] = llm / "no_such_model"
    out["depth_missing"] = depth / "no_such_model"
    (llm / "a_file").write_text("not a folder")
    out["llm_file"] = llm / "a_file"
    no_config = llm / "no_config"
    no_config.mkdir(exist_ok=True)
    (no_config / "model.safetensors").write_bytes(b"")
    out["llm_no_config"] = no_config
    loop_dir = llm / "dir_loop"
    loop_dir.mkdir(exist_ok=True)
    if not (loop_dir / "sub").is_symlink():
        os.symlink("..", loop_dir / "sub")  # a directory loop: LLM/dir_loop/sub/dir_loop/sub/...
    out["llm_dir_loop"] = loop_dir

    # SAM-2 weight files
    def sam2_file(key: str, name: str) -> Path:
        out[f"sam2_{key}"] = sam2 / name
        return sam2 / name

    sam2_file("missing", "no_such_file.pt")
    sam2_file("empty", "empty.pt").write_bytes(b"")
    sam2_file("text", "text.pt").write_text("not a checkpoint")
    sam2_file("directory", "folder.pt").mkdir(exist_ok=True)
    if not sam2_file("link_loop", "loop.pt").is_symlink():
        os.symlink("loop.pt", sam2 / "loop.pt")
    _payload_pickle(sam2_file("pickle", "payload.pt"), marker)
    torch.save({"model": {"w": torch.zeros(3)}}, str(sam2_file("legacy", "legacy.pt")),
               _use_new_zipfile_serialization=False)
    _zip_bomb(sam2_file("zip_bomb", "zip_bomb.pt"))
    # the tiny variant's block count (12) with wrong-rank tensors, and with int32 tensors
    blocks = {f"image_encoder.trunk.blocks.{i}.norm1.weight": torch.zeros(2, 2, 2) for i in range(12)}
    save_file(blocks, str(sam2_file("wrong_rank", "wrong_rank.safetensors")))
    save_file({k: torch.zeros(96, dtype=torch.int32) for k in blocks},
              str(sam2_file("int32", "int32.safetensors")))
    save_file({"encoder.weight": torch.zeros(4, 4)}, str(sam2_file("other_model", "other_model.safetensors")))

    # an MMAudio tiny set (for run --generator mmaudio, train, and the adapter's network)
    from pavas_core.models.tiny_models import tiny_network_config, write_tiny_model_set

    write_tiny_model_set(mmaudio, sample_rate_hz=16000)
    out["mmaudio"] = mmaudio
    out["mmaudio_network"] = next(p for p in mmaudio.iterdir() if p.name.startswith("mmaudio_"))
    out["mmaudio_clip"] = next(p for p in mmaudio.iterdir() if p.suffix == ".safetensors" and "CLIP" in p.name)

    # Phy-Adapter files
    from pavas_core.models.phy_adapter import adapter_metadata, fresh_adapter

    adapter = fresh_adapter(tiny_network_config(16000))
    state = {k: v.detach().float().contiguous() for k, v in adapter.state_dict().items()}
    meta = adapter_metadata(adapter)

    def adapter_file(key: str, name: str, tensors: dict, metadata: dict | None) -> None:
        save_file(tensors, str(pavas / name), metadata=metadata)
        out[f"adapter_{key}"] = pavas / name

    adapter_file("valid", "valid.safetensors", state, meta)
    adapter_file("no_meta", "no_meta.safetensors", state, None)
    adapter_file("meta_not_json", "meta_not_json.safetensors", state, {"pavas_phy_adapter": "{nope"})
    adapter_file("meta_deep", "meta_deep.safetensors", state, {"pavas_phy_adapter": "[" * 50_000 + "]" * 50_000})
    adapter_file("wrong_rank", "wrong_rank.safetensors",
                 {k: (v.reshape(-1) if v.ndim > 1 else v[None]).contiguous() for k, v in state.items()}, meta)
    adapter_file("int32", "int32.safetensors", {k: (v * 100).to(torch.int32) for k, v in state.items()}, meta)
    wide = json.loads(meta["pavas_phy_adapter"])
    config = json.loads(wide["config"]) if isinstance(wide["config"], str) else wide["config"]
    for key in list(config):
        if key.endswith(("rank", "dim", "width", "hidden")) and isinstance(config[key], int):
            config[key] = 10**9
    wide["config"] = json.dumps(config) if isinstance(wide["config"], str) else config
    adapter_file("config_huge", "config_huge.safetensors", state, {"pavas_phy_adapter": json.dumps(wide)})
    bad = json.loads(meta["pavas_phy_adapter"])
    bad["config"] = "[1, 2]" if isinstance(bad["config"], str) else [1, 2]
    adapter_file("config_list", "config_list.safetensors", state, {"pavas_phy_adapter": json.dumps(bad)})
    _payload_pickle(pavas / "payload.pth", marker)
    out["adapter_pickle"] = pavas / "payload.pth"
    out["adapter_missing"] = pavas / "no_such_adapter.safetensors"
    _write_hostile_tiny(pavas, out)

    if learned:
        from pavas_core.models.tiny_depth import write_tiny_depth_model
        from pavas_core.perception.tiny_models import write_tiny_florence2, write_tiny_vlm

        vlm = write_tiny_vlm(llm / "tiny_vlm")
        florence = write_tiny_florence2(llm / "tiny_florence2")
        depth_ok = Path(write_tiny_depth_model(str(depth / "tiny_depth")))
        out.update(llm_vlm_ok=vlm, llm_florence2_ok=florence, depth_ok=depth_ok)
        for mode in ("wrong_rank", "int32", "no_weights", "pickle"):
            out[f"llm_vlm_{mode}"] = _corrupt_weights(vlm, llm / f"vlm_{mode}", mode, marker)
            out[f"llm_florence2_{mode}"] = _corrupt_weights(florence, llm / f"florence2_{mode}", mode, marker)
            out[f"depth_{mode}"] = _corrupt_weights(depth_ok, depth / f"depth_{mode}", mode, marker)
        # a depth folder whose preprocessor config is hostile
        import shutil

        for key, raw in (("pre_list", b"[1, 2]"), ("pre_deep", b"[" * 100_000 + b"]" * 100_000),
                         ("pre_mean_short", json.dumps({"image_mean": [0.5], "image_std": [0.2]}).encode()),
                         ("pre_size_huge", json.dumps({"size": {"height": 10**9}}).encode())):
            dst = depth / f"depth_{key}"
            if dst.exists():
                shutil.rmtree(dst)
            shutil.copytree(depth_ok, dst)
            (dst / "preprocessor_config.json").write_bytes(raw)
            out[f"depth_{key}"] = dst
    return out
