"""Tiny hostile inputs for the bad-input matrix (bench/hostile_inputs.py) and its quick test.

Every file is a few KB (a sparse file stands in for a large one): odd timestamps written with PyAV,
headers that claim more than the file holds, JSON of the wrong shape, special files in place of
regular ones, names that FFmpeg would read as URLs. Nothing here needs torch; the weight files are
made by :func:`write_hostile_weights`, which imports it.
"""

from __future__ import annotations

import json
import os
import struct
import zipfile
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

W, H = 64, 48


def _picture(index: int, width: int, height: int) -> np.ndarray:
    """A dark frame with a bright square that moves (and falls) with `index`."""
    frame = np.full((height, width, 3), 20, dtype=np.uint8)
    side = max(1, min(width, height) // 5)
    x = (4 + 3 * index) % max(1, width - side)
    y = min(height - side, (index * index) // 6 % max(1, height - side))
    frame[y:y + side, x:x + side] = 230
    return frame


def write_video(path: Path, pts: list[int], *, time_base=Fraction(1, 1000), size=(W, H), rate=30,
                audio_rate: int | None = None, audio_codec: str = "aac", container: str | None = None) -> Path:
    """Pictures at `pts` (in time_base units); optional audio (1 s of a tone, or a PCM block)."""
    with av.open(str(path), "w", format=container) as out:
        video = out.add_stream("libx264", rate=rate, options={"preset": "ultrafast"})
        video.width, video.height, video.pix_fmt = size[0], size[1], "yuv420p"
        video.codec_context.time_base = time_base
        audio = None
        if audio_rate:
            audio = out.add_stream(audio_codec, rate=audio_rate, layout="mono")
        for i, p in enumerate(pts):
            frame = av.VideoFrame.from_ndarray(_picture(i, *size), format="rgb24")
            frame.pts, frame.time_base = p, time_base
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode(None):
            out.mux(packet)
        if audio is not None:
            pcm = audio_codec.startswith("pcm_s16")
            n = 4096 if not pcm else 2048
            if pcm:
                samples = (np.sin(np.arange(n) / 5.0) * 8000).astype(np.int16)[None]
                frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
            else:
                samples = (0.3 * np.sin(np.arange(n) * 2 * np.pi * 440 / audio_rate)).astype(np.float32)[None]
                frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = audio_rate, 0, Fraction(1, audio_rate)
            for packet in audio.encode(frame):
                out.mux(packet)
            for packet in audio.encode(None):
                out.mux(packet)
    return path


def write_wav(path: Path, rate: int, samples: int = 1600, *, tone_hz: float = 440.0) -> Path:
    """16-bit mono PCM WAV with any rate in its header (up to 2^32 − 1)."""
    t = np.arange(samples)
    data = (np.sin(2 * np.pi * tone_hz * t / max(rate, 1)) * 8000).astype("<i2").tobytes()
    header = (b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt "
              + struct.pack("<IHHIIHH", 16, 1, 1, rate, (rate * 2) % 2**32, 2, 16)
              + b"data" + struct.pack("<I", len(data)))
    path.write_bytes(header + data)
    return path


def write_flac_silence(path: Path, seconds: float, rate: int = 48000) -> Path:
    """Silence as FLAC: minutes of sound in a few hundred KB (a decompression bomb for readers)."""
    total = int(seconds * rate)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("flac", rate=rate, layout="mono")
        block = np.zeros((1, 1 << 16), np.int16)
        for start in range(0, total, block.shape[1]):
            frame = av.AudioFrame.from_ndarray(block, format="s16", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def write_gif(path: Path, *, canvas=(65535, 65535), delays_cs=(10, 10, 10)) -> Path:
    """A GIF whose logical screen is `canvas` but whose frames are 1x1 pixel (a decompression bomb
    when the canvas is huge; a long final delay when delays say so)."""
    out = bytearray(b"GIF89a" + struct.pack("<HH", *canvas) + bytes([0x80, 0, 0]) + bytes([0, 0, 0, 255, 255, 255]))
    out += b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    for i, delay in enumerate(delays_cs):
        out += b"\x21\xf9\x04\x00" + struct.pack("<H", delay) + b"\x00\x00"
        out += b"\x2c" + struct.pack("<HHHH", i % 2, 0, 1, 1) + b"\x00"
        out += b"\x02\x02\x44\x01\x00"  # LZW: min code 2, one pixel of colour 1
    out += b"\x3b"
    path.write_bytes(bytes(out))
    return path


def physics_doc(*, num_frames: int = 30, fps: float = 30.0, impacts: list[tuple[float, float, float]] | None = None,
                material: str = "rubber") -> dict:
    """A valid physics.json (schema 1) with one object and the given (time_s, v_before, v_after) impacts."""
    impacts = [(0.3, 3.0, 2.0), (0.6, 2.5, 1.5), (0.8, 2.0, 1.0)] if impacts is None else impacts
    mass = 0.6
    return {
        "schema": 1, "fps": fps, "num_frames": num_frames, "width": W, "height": H,
        "objects": [{
            "id": 0, "name": "ball", "action": "bouncing", "mass_kg": mass, "mass_source": "prior",
            "speed_mps": [1.0] * num_frames, "centroid_m": [[0.0, 0.0, 2.0]] * num_frames,
            "material": material, "size_m": 0.2,
            "impacts": [{"frame": min(num_frames - 1, int(t * fps)), "time_s": t, "v_before": vb, "v_after": va,
                         "delta_ke_j": 0.5 * mass * (vb * vb - va * va)} for t, vb, va in impacts],
        }],
        "geometry": {"backend": "pinhole", "metric_scale_source": "gravity"},
    }


def many_impacts(count: int, duration_s: float) -> list[tuple[float, float, float]]:
    rng = np.random.default_rng(0)
    times = np.sort(rng.uniform(0.01, duration_s - 0.01, count))
    speeds = rng.uniform(1.0, 5.0, count)
    return [(round(float(t), 6), round(float(v), 4), round(float(v) * 0.5, 4)) for t, v in zip(times, speeds)]


def build_inputs(root: Path, port: int, *, quick: bool = False) -> dict[str, Path]:
    """Write every hostile input under `root` (relative names are relative to `root`). port: a local
    TCP port that must never be contacted (names that FFmpeg would read as http URLs point at it).
    quick: the few inputs only the full matrix uses are named but not written."""
    root.mkdir(parents=True, exist_ok=True)
    f: dict[str, Path] = {}

    def name(key: str, rel: str) -> Path:
        f[key] = root / rel
        return f[key]

    ms = [round(1000 * k / 30) for k in range(30)]
    write_video(name("ok", "ok.mp4"), ms, audio_rate=16000)
    write_video(name("long", "long.mp4"), [round(1000 * k / 30) for k in range(300)], size=(320, 240))
    write_video(name("late_stamp", "late_stamp.mp4"), [0, 33, 36_000_000])  # last frame at 10 h
    write_video(name("sparse_vfr", "sparse_vfr.mp4"), [round(37_300 * k) for k in range(40)])
    write_video(name("tiny", "tiny2x2.mp4"), ms, size=(2, 2))
    write_video(name("thin", "thin4000x16.mp4"), ms[:10], size=(4000, 16))
    write_video(name("one_frame", "one_frame.mp4"), [0])
    if not quick:
        write_video(name("hour", "hour.mp4"), [9900 * k for k in range(364)])  # 1 h, frames 9.9 s apart: allowed
    name("hour", "hour.mp4")
    write_video(name("audio_2ghz", "audio_2ghz.mkv"), ms, audio_rate=2_000_000_000, audio_codec="pcm_s16le",
                container="matroska")
    write_gif(name("gif_canvas", "canvas_bomb.gif"))
    write_gif(name("gif_delay", "long_delay.gif"), canvas=(32, 32), delays_cs=(10, 10, 60000))
    name("empty", "empty.mp4").write_bytes(b"")
    name("corrupt", "corrupt.mp4").write_bytes(np.random.default_rng(1).integers(0, 256, 4096, np.uint8).tobytes())
    name("truncated", "truncated.mp4").write_bytes(f["ok"].read_bytes()[:400])
    name("text_video", "text.mp4").write_text('{"not": "a video"}\n')
    name("colon", "take2:final.mp4").write_bytes(f["ok"].read_bytes())
    url_dir = root / f"http:127.0.0.1:{port}"
    url_dir.mkdir(exist_ok=True)
    name("url_like", f"http:127.0.0.1:{port}/clip.mp4").write_bytes(f["ok"].read_bytes())
    name("directory", "folder.mp4").mkdir(exist_ok=True)
    loop = name("link_loop", "loop.mp4")
    if not loop.is_symlink():
        os.symlink("loop.mp4", loop)
    dangling = name("dangling", "dangling.mp4")
    if not dangling.is_symlink():
        os.symlink("missing_target.mp4", dangling)
    fifo = name("fifo", "fifo.mp4")
    if not fifo.exists():
        os.mkfifo(fifo)
    odd = root / os.fsdecode(b"\xff\xfe-odd.mp4")
    odd.write_bytes(f["ok"].read_bytes())
    f["non_utf8_name"] = odd
    hard = name("hardlink", "ok_hardlink.mp4")
    if not hard.exists():
        os.link(f["ok"], hard)

    # sound
    write_wav(name("wav_ok", "ok.wav"), 16000, 16000)
    write_wav(name("wav_2ghz", "rate_2ghz.wav"), 2_000_000_000)
    name("wav_empty", "empty.wav").write_bytes(b"")
    name("wav_text", "text.wav").write_text("hello")
    if not quick:
        write_flac_silence(name("flac_bomb", "silence_50min.flac"), 50 * 60)  # 144M samples in ~400 KB
    name("flac_bomb", "silence_50min.flac")

    # physics documents
    def doc(key: str, value, *, raw: bytes | None = None) -> None:
        path = name(key, f"{key}.json")
        path.write_bytes(raw if raw is not None else json.dumps(value).encode())

    good = physics_doc()
    doc("phys_ok", good)
    bad = json.loads(json.dumps(good))
    bad["objects"][0]["mass_kg"] = "heavy"
    doc("phys_mass_text", bad)
    doc("phys_objects_dict", {**good, "objects": {"a": 1}})
    bad = json.loads(json.dumps(good))
    bad["objects"][0]["speed_mps"] = "fast"
    doc("phys_speed_text", bad)
    bad = json.loads(json.dumps(good))
    bad["objects"][0]["impacts"][0]["time_s"] = [1]
    doc("phys_impact_list", bad)
    bad = json.loads(json.dumps(good))
    bad["objects"][0]["extra"] = 7
    doc("phys_extra_int", bad)
    doc("phys_list", [good])
    doc("phys_nan", None, raw=json.dumps(good).replace('"mass_kg": 0.6', '"mass_kg": NaN').encode())
    doc("phys_non_utf8", None, raw=b'{"schema": 1, "name": "\xff\xfe"}')
    doc("phys_deep", None, raw=b"[" * 100_000 + b"]" * 100_000)
    doc("phys_tiny_fps", {**good, "fps": 1e-300})
    doc("phys_schema2", {**good, "schema": 2})
    doc("phys_many_impacts", physics_doc(num_frames=3000, fps=30.0, impacts=many_impacts(100_000, 100.0)))
    if not quick:
        doc("phys_too_many_impacts", physics_doc(num_frames=300, fps=30.0, impacts=many_impacts(100_001, 10.0)))
    name("phys_too_many_impacts", "phys_too_many_impacts.json")
    big = name("phys_huge_file", "phys_huge_file.json")
    with open(big, "wb") as handle:  # sparse: 80 MB of nothing on disk
        handle.truncate(80 * 1024**2)

    # VLM answers (a file for --vlm-answer)
    name("answer_ok", "answer.json").write_text(json.dumps({"objects": [
        {"name": "ball", "action": "falling", "moving": True, "mass_kg": 0.6, "material": "rubber"}]}))
    name("answer_prose", "answer_prose.txt").write_text("A ball falls and bounces twice.")
    name("answer_masses_nan", "answer_nan.json").write_text(
        '{"objects": [{"name": "ball", "action": "falling", "moving": true, "mass_kg": NaN, "material": "rubber"}]}')

    # datasets (index.json + <scene>/physics.json + scene.wav)
    def dataset(key: str, scenes: list[str], index=True, index_value=None, index_raw: bytes | None = None) -> None:
        folder = name(key, key)
        folder.mkdir(exist_ok=True)
        for scene in scenes:
            (folder / scene).mkdir(parents=True, exist_ok=True)
            (folder / scene / "physics.json").write_text(json.dumps(physics_doc(num_frames=30)))
            write_wav(folder / scene / "scene.wav", 16000, 16000)
        if index_raw is not None:
            (folder / "index.json").write_bytes(index_raw)
        elif index:
            value = index_value if index_value is not None else {"schema": 1, "scenes": [{"scene_id": s} for s in scenes]}
            (folder / "index.json").write_text(json.dumps(value))

    dataset("ds_ok", ["scene_0000", "scene_0001"])
    dataset("ds_no_index", ["scene_0000"], index=False)
    dataset("ds_url_id", [f"http:127.0.0.1:{port}"])
    dataset("ds_traversal", ["scene_0000"], index_value={"schema": 1, "scenes": ["../ds_ok/scene_0000"]})
    dataset("ds_absolute", ["scene_0000"], index_value={"schema": 1, "scenes": [str(root / "ds_ok" / "scene_0000")]})
    dataset("ds_index_types", ["scene_0000"], index_value={"schema": 1, "scenes": 5})
    dataset("ds_index_non_utf8", ["scene_0000"], index_raw=b'{"scenes": ["\xff"]}')
    dataset("ds_missing_scene", ["scene_0000"], index_value={"schema": 1, "scenes": ["scene_0000", "scene_0001"]})
    return f


# --- weight files (torch needed) ------------------------------------------------------------------

def write_hostile_weights(folder: Path) -> dict[str, str]:
    """Hostile weight files beside a tiny valid 16 kHz set in `folder`; returns key → file name."""
    import torch
    from safetensors.torch import save_file

    from pavas_core.models.tiny_models import TINY_CLIP_CONFIG, tiny_state_dicts, write_tiny_model_set

    folder.mkdir(parents=True, exist_ok=True)
    names = {k: str(Path(v).relative_to(folder)) for k, v in write_tiny_model_set(folder, sample_rate_hz=16000).items()}
    sds = tiny_state_dicts(16000)
    out: dict[str, str] = {f"valid_{k}": v for k, v in names.items()}

    def save(key: str, file_name: str, sd: dict, metadata: dict | None = None) -> None:
        save_file({k: v.contiguous() for k, v in sd.items()}, str(folder / file_name), metadata=metadata)
        out[key] = file_name

    hub = json.loads(json.dumps(TINY_CLIP_CONFIG))
    hub["vision_cfg"].update({"timm_model_name": "vit_base_patch16_224", "timm_model_pretrained": True})
    hub["text_cfg"].update({"hf_model_name": "bert-base-uncased", "hf_model_pretrained": True})
    save("clip_hub_options", "clip_hub_options.safetensors", sds["clip"], {"pavas_config": json.dumps({"open_clip": hub})})
    save("clip_meta_not_json", "clip_meta_not_json.safetensors", sds["clip"], {"pavas_config": "{not json"})
    save("clip_meta_deep", "clip_meta_deep.safetensors", sds["clip"], {"pavas_config": "[" * 5000 + "]" * 5000})
    save("synch_heads_zero", "synch_heads_zero.safetensors", sds["synchformer"], {"pavas_config": json.dumps({"num_heads": 0})})
    save("synch_heads_text", "synch_heads_text.safetensors", sds["synchformer"], {"pavas_config": json.dumps({"num_heads": "8"})})
    ranked = dict(sds["synchformer"])
    ranked["vfeat_extractor.patch_embed_3d.proj.weight"] = ranked["vfeat_extractor.patch_embed_3d.proj.weight"].flatten()
    save("synch_wrong_rank", "synch_wrong_rank.safetensors", ranked)
    vae_int = {k: (v * 100).to(torch.int32) for k, v in sds["vae"].items()}
    save("vae_int32", "vae_int32.safetensors", vae_int)
    vae_rank = {k: (v.flatten() if v.ndim > 1 else v) for k, v in sds["vae"].items()}
    save("vae_wrong_rank", "vae_wrong_rank.safetensors", vae_rank)
    model_rank = {k: (v.reshape(-1) if v.ndim > 1 else v[None]) for k, v in sds["model"].items()}
    save("model_wrong_rank", "model_wrong_rank.safetensors", model_rank)
    voc_rank = {k: (v.reshape(-1) if v.ndim > 1 else v) for k, v in sds["vocoder"].items()}
    save("vocoder_wrong_rank", "vocoder_wrong_rank.safetensors", voc_rank)
    (folder / "truncated.safetensors").write_bytes((folder / out["clip_hub_options"]).read_bytes()[:300])
    out["truncated_safetensors"] = "truncated.safetensors"
    (folder / "text.pth").write_text("not a checkpoint")
    out["text_pth"] = "text.pth"

    # a zip bomb: a torch-archive-shaped zip whose one entry inflates to 256 MiB
    with zipfile.ZipFile(folder / "zip_bomb.pth", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("archive/data.pkl", "w", force_zip64=True) as entry:
            block = bytes(1 << 20)
            for _ in range(256):
                entry.write(block)
    out["zip_bomb"] = "zip_bomb.pth"
    torch.save(sds["vae"], str(folder / "legacy_format.pth"), _use_new_zipfile_serialization=False)
    out["legacy_pth"] = "legacy_format.pth"

    class Payload:  # pickles to os.system("touch MARKER"): weights_only must refuse to run it
        def __reduce__(self):
            return (os.system, (f"touch {folder / 'PAYLOAD_RAN'}",))

    torch.save({"w": Payload()}, str(folder / "payload.pth"))
    out["pickle_payload"] = "payload.pth"

    bad_vocoder = folder / "bad_vocoder"
    bad_vocoder.mkdir(exist_ok=True)
    (bad_vocoder / "bigvgan_generator.pt").write_bytes((folder / names["vocoder"]).read_bytes())
    (bad_vocoder / "config.json").write_text(json.dumps({
        "upsample_rates": "fast", "resblock_kernel_sizes": [3], "num_mels": 80, "sampling_rate": 1e12}))
    out["vocoder_bad_config"] = "bad_vocoder/bigvgan_generator.pt"
    deep_vocoder = folder / "deep_vocoder"
    deep_vocoder.mkdir(exist_ok=True)
    (deep_vocoder / "bigvgan_generator.pt").write_bytes((folder / names["vocoder"]).read_bytes())
    (deep_vocoder / "config.json").write_bytes(b"[" * 100_000 + b"]" * 100_000)
    out["vocoder_deep_config"] = "deep_vocoder/bigvgan_generator.pt"
    return out
