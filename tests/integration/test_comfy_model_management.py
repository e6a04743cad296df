"""The MMAudio nodes with ComfyUI's real ModelPatcher, load_models_gpu and interrupt (COMFYUI_PATH).

Runs in a separate interpreter (COMFYUI_PYTHON, default this one) with the ComfyUI checkout on
sys.path and `--cpu` semantics, so ComfyUI's own modules are used instead of the unit tests'
stand-ins: a tiny random-weight network goes through the loader node into a real ModelPatcher,
the sampler loads it with load_models_gpu, and ComfyUI's interrupt flag, set as POST /interrupt
sets it, stops the sampler within one step through ComfyUI's own throw_exception_if_processing_interrupted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
COMFYUI_PATH = os.environ.get("COMFYUI_PATH")
pytestmark = pytest.mark.skipif(not COMFYUI_PATH, reason="set COMFYUI_PATH to a ComfyUI checkout to run")

SCRIPT = textwrap.dedent('''
    import atexit, gc, importlib.util, json, shutil, sys, tempfile
    from pathlib import Path
    comfy_dir, repo, tests_nodes = sys.argv[1:4]
    sys.path[:0] = [comfy_dir, tests_nodes]
    import comfy.cli_args
    comfy.cli_args.args.cpu = True
    import folder_paths, comfy.utils, comfy.model_management as mm, comfy.model_patcher

    models = Path(tempfile.mkdtemp())
    atexit.register(shutil.rmtree, models, True)
    folder_paths.models_dir = str(models)
    spec = importlib.util.spec_from_file_location("pack", Path(repo) / "__init__.py", submodule_search_locations=[repo])
    pack = importlib.util.module_from_spec(spec); sys.modules["pack"] = pack; spec.loader.exec_module(pack)
    from pack.pavas_core.models.tiny_models import write_tiny_model_set
    paths = write_tiny_model_set(models / "mmaudio", names={"model": "net.safetensors"})
    out = {}
    (net,) = pack.NODE_CLASS_MAPPINGS["PAVAS_MMAudioModelLoader"]().load("net.safetensors", "auto")
    out["patcher_type"] = type(net.patcher).__module__ + "." + type(net.patcher).__name__
    from pack.nodes._models import load_handle
    from pack.pavas_core.models.generator import load_feature_encoders
    import torch

    def build(dtype, device):  # decoder only: unconditional generation needs no CLIP/Synchformer
        enc = load_feature_encoders(vae_path=paths["vae"], vocoder_path=paths["vocoder"], dtype=dtype, device=device)
        return enc, torch.nn.ModuleDict({"audio_decoder": enc.audio_decoder})

    features = load_handle("mmaudio_features", (str(paths["vae"]), str(paths["vocoder"])), "tiny", "auto", build)
    sampler = pack.NODE_CLASS_MAPPINGS["PAVAS_MMAudioSampler"]()
    args = dict(prompt="", negative_prompt="", duration_s=1.0, steps=8, cfg=4.5, seed=1)

    calls = []
    def hook(value, total, preview, node_id=None):  # main.py's hook, minus the websocket
        calls.append(value)
        mm.throw_exception_if_processing_interrupted()
    comfy.utils.set_progress_bar_global_hook(hook)

    # The user presses Cancel while the 4th sampling step runs: POST /interrupt sets ComfyUI's flag
    # (nodes.interrupt_processing), exactly what this does. Steps are counted at the network, not
    # through the hook: ComfyUI >= 0.9.2 throttles ProgressBar hook calls to one per 100 ms.
    steps, cancel_at = [], []
    net_class = type(net.model)
    predict_flow = net_class.predict_flow
    def counting_predict_flow(self, *a, **k):
        steps.append(1)
        if len(steps) in cancel_at:
            mm.interrupt_current_processing(True)
        return predict_flow(self, *a, **k)
    net_class.predict_flow = counting_predict_flow

    def live_tensors():
        gc.collect()
        return sum(1 for o in gc.get_objects() if issubclass(type(o), torch.Tensor))

    audio = sampler.sample(net, features, **args)["result"][0]
    out["rate"] = audio["sample_rate"]; out["samples"] = audio["waveform"].shape[-1]
    out["peak"] = float(audio["waveform"].abs().max())
    out["loaded"] = sorted(type(m.model.model["model"]).__name__ for m in mm.current_loaded_models)
    out["steps"] = len(steps)
    out["hook_calls"] = len(calls)
    steps.clear()
    cancel_at.append(4)
    baseline = live_tensors()
    try:
        sampler.sample(net, features, **args)
        out["interrupted"] = False
    except mm.InterruptProcessingException:
        out["interrupted"] = True
    out["steps_when_interrupted"] = len(steps)
    out["tensors_left"] = live_tensors() - baseline
    out["flag_after"] = mm.processing_interrupted()
    steps.clear()
    cancel_at.clear()
    again = sampler.sample(net, features, **args)["result"][0]
    out["same_after_interrupt"] = bool(torch.equal(again["waveform"], audio["waveform"]))
    mm.unload_all_models()
    out["loaded_after_unload"] = len(mm.current_loaded_models)
    print("RESULT" + json.dumps(out))
''')


def test_loader_and_sampler_with_comfyuis_model_manager_and_interrupt(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    python = os.environ.get("COMFYUI_PYTHON", sys.executable)
    proc = subprocess.run([python, str(script), str(Path(COMFYUI_PATH).resolve()), str(REPO),
                           str(REPO / "tests" / "nodes")], capture_output=True, text=True, timeout=600,
                          cwd=COMFYUI_PATH, env=dict(os.environ, CUDA_VISIBLE_DEVICES=""))
    line = next((l for l in proc.stdout.splitlines() if l.startswith("RESULT")), None)
    assert line, proc.stdout[-2000:] + proc.stderr[-4000:]
    out = json.loads(line[len("RESULT"):])
    assert out["patcher_type"] == "comfy.model_patcher.ModelPatcher"
    assert out["rate"] == 16000 and out["samples"] == 16000 and out["peak"] > 1e-4
    assert out["loaded"] == ["MMAudioNetwork", "ModuleDict"]  # both loaded through load_models_gpu
    assert out["steps"] == 8 and out["hook_calls"] >= 1  # progress reaches ComfyUI's hook
    assert out["interrupted"] and out["steps_when_interrupted"] == 4  # no step after the one Cancel came in
    assert out["tensors_left"] <= 0  # the interrupted run's latents and features are freed
    assert not out["flag_after"]  # the interrupt was consumed, the next run is not cancelled
    assert out["same_after_interrupt"]  # the models are intact
    assert out["loaded_after_unload"] == 0  # ComfyUI can evict them
