"""The pack inside a real ComfyUI server (runs only when COMFYUI_PATH points at a ComfyUI checkout).

    COMFYUI_PATH=/path/to/ComfyUI [COMFYUI_PYTHON=/path/to/its/python] pytest tests/integration

Starts `main.py --cpu` on a free port with temporary input/output/temp folders, loads this
repository as a custom-node pack (through an extra_model_paths file, unless ComfyUI's own
custom_nodes folder already links to it) and tiny random-weight MMAudio files, checks that every
PAVAS_ node is in /object_info, POSTs every workflow converted to API format and checks the
sound of the video it saves, and presses Cancel (POST /interrupt) while the MMAudio sampler runs.
COMFYUI_PYTHON is the interpreter with ComfyUI's requirements and this pack's (default: this one).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
COMFYUI_PATH = os.environ.get("COMFYUI_PATH")
pytestmark = pytest.mark.skipif(not COMFYUI_PATH, reason="set COMFYUI_PATH to a ComfyUI checkout to run")

sys.path.insert(0, str(REPO / "tests" / "nodes"))
import pavas_workflow_runner as runner  # noqa: E402

EXPECTED_NODES = {
    "PAVAS_LoadVideo", "PAVAS_ClipFromFrames", "PAVAS_MuxVideo", "PAVAS_EstimatePhysics", "PAVAS_EditPhysics",
    "PAVAS_PhysicsPreview", "PAVAS_MovingObjects", "PAVAS_ObjectMasks", "PAVAS_MetricGeometry", "PAVAS_ObjectMass",
    "PAVAS_AssemblePhysics", "PAVAS_PhysicsFoley", "PAVAS_AudioMix", "PAVAS_APCCScore",
    "PAVAS_MMAudioModelLoader", "PAVAS_MMAudioFeatureLoader", "PAVAS_MMAudioSampler",
    "PAVAS_LoadDepthModel", "PAVAS_MetricGeometryDepth", "PAVAS_MetricGeometryDA3", "PAVAS_MetricGeometryMoGe",
    "PAVAS_LoadCut3r", "PAVAS_MetricGeometryCut3r", "PAVAS_LoadPhyAdapter", "PAVAS_PhyAdapterConditioning",
    "PAVAS_LoadVLM", "PAVAS_ObjectsAndMassVLM", "PAVAS_ObjectsFromText", "PAVAS_VLMQuestion",
    "PAVAS_LoadFlorence2", "PAVAS_DetectObjectsFlorence2", "PAVAS_LoadSAM2", "PAVAS_SegmentObjectsSAM2",
    "PAVAS_ObjectMasksFromSAM3",
}
# values that keep the perception workflow quick on a CPU with random-weight models (as tests/nodes does)
PERCEPTION_QUICK = {"PAVAS_LoadVideo": {"max_duration_s": 1.5, "force_fps": 10.0}, "PAVAS_LoadSAM2": {"image_size": 128},
                    "PAVAS_ObjectsAndMassVLM": {"frames": 2, "max_answer_tokens": 16},
                    "PAVAS_DetectObjectsFlorence2": {"scan_frames": 2}}
START_TIMEOUT_S = 240
RUN_TIMEOUT_S = 600


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(url: str, body: dict | None = None, timeout: float = 30):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:  # show ComfyUI's validation errors, not just "400"
        raise AssertionError(f"{url}: HTTP {exc.code}: {exc.read()[:3000]!r}") from None


def pack_already_installed(comfy: Path) -> bool:
    folder = comfy / "custom_nodes"
    return folder.is_dir() and any(p.resolve() == REPO for p in folder.iterdir())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    comfy = Path(COMFYUI_PATH).resolve()
    base = tmp_path_factory.mktemp("comfyui_run")
    for sub in ("input", "output", "temp", "custom"):
        (base / sub).mkdir()
    args = [os.environ.get("COMFYUI_PYTHON", sys.executable), str(comfy / "main.py"), "--cpu",
            "--listen", "127.0.0.1", "--port", str(port := free_port()), "--disable-auto-launch",
            "--disable-api-nodes", "--dont-print-server", "--preview-method", "none",
            "--input-directory", str(base / "input"), "--output-directory", str(base / "output"),
            "--temp-directory", str(base / "temp"), "--database-url", "sqlite:///:memory:"]
    # tiny random-weight MMAudio files under the released names, so MMAudio graphs run too
    from pavas_core.models.tiny_models import write_tiny_model_set

    write_tiny_model_set(base / "models" / "mmaudio")
    # an untrained Phy-Adapter for that network under the name pavas_phy_adapter.json uses (what `train --init-only` writes)
    from pavas_core.models.phy_adapter import fresh_adapter, save_adapter
    from pavas_core.models.tiny_models import tiny_network_config

    (base / "models" / "pavas").mkdir(parents=True)
    save_adapter(fresh_adapter(tiny_network_config(16000)), base / "models" / "pavas" /
                 "pavas_phy_adapter_small_16k.safetensors")
    paths = f"pavas_test:\n  base_path: {base}\n  mmaudio: models/mmaudio\n  pavas: models/pavas\n"
    try:  # tiny random-weight VLM, Florence-2, SAM-2 and depth model under their released names (transformers 5)
        from pavas_core.perception.tiny_models import write_tiny_perception_set

        write_tiny_perception_set(base / "models")
        paths += "  LLM: models/LLM\n  sam2: models/sam2\n  depth: models/depth\n"
    except ImportError:
        pass
    if not pack_already_installed(comfy):
        (base / "custom" / "comfyui-pavas").symlink_to(REPO, target_is_directory=True)
        paths += "  custom_nodes: custom\n"
    (base / "extra_model_paths.yaml").write_text(paths)
    args += ["--extra-model-paths-config", str(base / "extra_model_paths.yaml")]
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", DO_NOT_TRACK="1", TQDM_DISABLE="1",
               CUDA_VISIBLE_DEVICES="")
    log = open(base / "comfyui.log", "w")
    process = subprocess.Popen(args, cwd=comfy, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(f"ComfyUI exited ({process.returncode}):\n{(base / 'comfyui.log').read_text()[-3000:]}")
            try:
                http(url + "/system_stats", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    pytest.fail("ComfyUI did not start in time:\n" + (base / "comfyui.log").read_text()[-3000:])
                time.sleep(1)
        yield {"url": url, "base": base, "log": base / "comfyui.log"}
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def run_prompt(server, api: dict) -> dict:
    """POST /prompt, wait for its history entry, return it."""
    answer = http(server["url"] + "/prompt", {"prompt": api, "client_id": str(uuid.uuid4())})
    prompt_id = answer["prompt_id"]
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        history = http(f"{server['url']}/history/{prompt_id}", timeout=120)  # a busy server answers late
        if prompt_id in history and history[prompt_id].get("status", {}).get("completed") is not None:
            return history[prompt_id]
        if prompt_id in history and history[prompt_id].get("status", {}).get("status_str") == "error":
            return history[prompt_id]
        time.sleep(0.5)
    http(server["url"] + "/interrupt", {"prompt_id": prompt_id})
    pytest.fail(f"prompt {prompt_id} did not finish in {RUN_TIMEOUT_S} s")


def test_every_pavas_node_is_registered(server):
    info = http(server["url"] + "/object_info", timeout=120)
    found = {k for k in info if k.startswith("PAVAS_")}
    assert found == EXPECTED_NODES, (found ^ EXPECTED_NODES, server["log"].read_text()[-2000:])
    assert all(info[k]["category"].startswith("PAVAS/") for k in found)
    assert "IMPORT FAILED" not in server["log"].read_text()


WORKFLOWS = sorted(p.name for p in (REPO / "workflows").glob("*.json"))  # MMAudio runs on the tiny files


def decode_audio(path: Path) -> tuple[int, np.ndarray]:
    """(sample rate, samples) of the first audio stream of a media file."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        return stream.sample_rate, np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(stream)])


@pytest.mark.parametrize("name", WORKFLOWS)
def test_workflow_saves_a_video_with_audible_sound(server, name):
    demo = server["base"] / "input" / "pavas_bounce_demo.mp4"  # the pack copies it there at start-up
    if not demo.is_file():  # no assets/pavas_bounce_demo.mp4 in this checkout: a rendered scene stands in
        import pavas_core
        import pavas_core.video
        from conftest import write_scene_video

        write_scene_video(pavas_core, demo, size=(320, 240), seconds=2.0)
    info = http(server["url"] + "/object_info", timeout=120)
    workflow = json.loads((REPO / "workflows" / name).read_text())
    api = runner.ui_to_api(workflow, {k: v["input"] for k, v in info.items()})
    if name == "pavas_perception.json":
        python = os.environ.get("COMFYUI_PYTHON", sys.executable)
        if subprocess.run([python, "-c", "import sam2, transformers"], capture_output=True).returncode != 0:
            pytest.skip("sam2 or transformers is not installed in ComfyUI's Python (see the README's install steps)")
        if not (server["base"] / "models" / "sam2").is_dir():
            pytest.skip("the tiny perception models need transformers 5 in the test's Python")
        for node in api.values():
            node["inputs"].update(PERCEPTION_QUICK.get(node["class_type"], {}))
    entry = run_prompt(server, api)
    assert entry["status"]["status_str"] == "success", json.dumps(entry["status"])[:3000]
    files = [f for out in entry["outputs"].values() for items in out.values() if isinstance(items, list)
             for f in items if isinstance(f, dict) and "filename" in f]
    saved = [f for f in files if f["type"] == "output"]
    assert [f for f in saved if f["filename"].endswith(".mp4")], entry["outputs"]  # core SaveVideo
    # random-weight depth gives random metres: the perception workflow may find no impact that falls like
    # gravity; then its sound is silent and the physics (the preview's timeline) must say so
    silence_explained = any("the sound will be silent" in w for out in entry["outputs"].values()
                            for t in out.get("pavas_timeline", []) for w in t["warnings"])
    for f in saved:
        rate, samples = decode_audio(server["base"] / "output" / f["subfolder"] / f["filename"])
        assert rate == api_rate(api)
        assert np.isfinite(samples).all()
        if not (name == "pavas_perception.json" and silence_explained):
            assert np.abs(samples).max() > 1e-3, f"{f['filename']}: the sound is silent"


def api_rate(api: dict) -> int:
    """The sample rate the saved file must have: what the workflow's Foley node asks for (MMAudio's 16 kHz is
    mixed up to it), else, with MMAudio alone (pavas_phy_adapter), the 16 kHz network's own rate."""
    foley = [int(n["inputs"]["sample_rate_hz"]) for n in api.values() if n["class_type"] == "PAVAS_PhysicsFoley"]
    if foley:
        return foley[0]
    assert any(n["class_type"] == "PAVAS_MMAudioSampler" for n in api.values()), "no sound source in the workflow"
    assert [n["inputs"]["model"] for n in api.values() if n["class_type"] == "PAVAS_MMAudioModelLoader"] == \
        ["mmaudio_small_16k.pth"]
    return 16000


def test_a_bad_input_is_reported_and_the_server_keeps_serving(server):
    (server["base"] / "input" / "broken.mp4").write_bytes(b"not a video at all" * 20)
    api = {"1": {"class_type": "PAVAS_LoadVideo", "inputs": {"video": "broken.mp4", "max_side": 256, "force_fps": 0.0,
                                                             "start_s": 0.0, "max_duration_s": 0.0}},
           "2": {"class_type": "PAVAS_PhysicsFoley", "inputs": {"physics": ["3", 0], "sample_rate_hz": 44100,
                                                                "duration_s": 0.0, "seed": 0}},
           "3": {"class_type": "PAVAS_EstimatePhysics", "inputs": {"clip": ["1", 3], "object_names": "",
                                                                   "object_size_m": 0.0, "meters_per_px": 0.0,
                                                                   "focal_px": 0.0, "max_objects": 4}},
           "4": {"class_type": "PreviewAudio", "inputs": {"audio": ["2", 0]}}}
    entry = run_prompt(server, api)
    assert entry["status"]["status_str"] == "error"
    messages = [m for m in entry["status"]["messages"] if m[0] == "execution_error"]
    assert messages and "BadInputError" in messages[0][1]["exception_type"]
    assert "broken.mp4" in messages[0][1]["exception_message"]
    assert http(server["url"] + "/system_stats")["system"]  # still serving


def mmaudio_prompt(*, duration_s: float, steps: int, seed: int) -> dict:
    """Loaders → MMAudio sampler (text-free, no clip) → Preview Audio, on the tiny files in models/mmaudio."""
    names = {"vae": "v1-16.pth", "vocoder": "best_netG.pt", "synchformer": "synchformer_state_dict.pth",
             "clip": "apple_DFN5B-CLIP-ViT-H-14-384_fp16.safetensors"}
    return {"1": {"class_type": "PAVAS_MMAudioModelLoader", "inputs": {"model": "mmaudio_small_16k.pth",
                                                                       "precision": "auto"}},
            "2": {"class_type": "PAVAS_MMAudioFeatureLoader", "inputs": {**names, "precision": "auto"}},
            "3": {"class_type": "PAVAS_MMAudioSampler", "inputs": {
                "mmaudio_model": ["1", 0], "feature_encoders": ["2", 0], "prompt": "", "negative_prompt": "",
                "duration_s": duration_s, "steps": steps, "cfg": 4.5, "seed": seed}},
            "4": {"class_type": "PreviewAudio", "inputs": {"audio": ["3", 0]}}}


def test_cancel_stops_the_mmaudio_sampler_and_the_server_runs_it_again(server):
    url = server["url"]
    warm = run_prompt(server, mmaudio_prompt(duration_s=1.0, steps=2, seed=0))  # loads (and caches) the loaders
    assert warm["status"]["status_str"] == "success", json.dumps(warm["status"])[:3000]
    # 600 s in 8 s windows at 200 steps: about 15,000 steps, many minutes for the tiny network on a CPU
    answer = http(url + "/prompt", {"prompt": mmaudio_prompt(duration_s=600.0, steps=200, seed=1),
                                    "client_id": str(uuid.uuid4())})
    prompt_id = answer["prompt_id"]
    deadline = time.monotonic() + 60
    while not any(item[1] == prompt_id for item in http(url + "/queue")["queue_running"]):
        assert time.monotonic() < deadline, "the long MMAudio prompt never started"
        time.sleep(0.2)
    time.sleep(2.0)  # the loaders are cached: by now the sampler is stepping
    http(url + "/interrupt", {"prompt_id": prompt_id})  # what the Cancel button sends
    deadline = time.monotonic() + 60  # a run that ignores Cancel would go on for minutes
    while True:
        history = http(f"{url}/history/{prompt_id}")
        if prompt_id in history:
            break
        assert time.monotonic() < deadline, "Cancel did not stop the MMAudio sampler"
        time.sleep(0.2)
    status = history[prompt_id]["status"]
    interrupted = [m[1] for m in status["messages"] if m[0] == "execution_interrupted"]
    assert status["status_str"] == "error" and interrupted, json.dumps(status)[:3000]
    assert interrupted[0]["node_type"] == "PAVAS_MMAudioSampler"  # stopped inside the sampler, not before it
    assert not [m for m in status["messages"] if m[0] == "execution_error"]  # an interrupt, not a crash
    again = run_prompt(server, mmaudio_prompt(duration_s=1.0, steps=2, seed=2))  # the Cancel was consumed
    assert again["status"]["status_str"] == "success", json.dumps(again["status"])[:3000]
    assert [a for out in again["outputs"].values() for a in out.get("audio", [])]
