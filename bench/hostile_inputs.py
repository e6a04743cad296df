"""Bad-input matrix: every class of hostile or careless input against every CLI verb and node.

    .venv/bin/python bench/hostile_inputs.py            # the whole matrix (a few minutes on 2 cores)
    .venv/bin/python bench/hostile_inputs.py --quick    # one or two cases per class and target (tests)

Classes (ARCHITECTURE.md §7, issue "hostile input"): 1 no network from files or paths; 2 memory
bounded by the input's real content; 3 outputs never destroy inputs or special files; 4 all outputs
or none, whatever happens (errors, SIGTERM/SIGHUP/SIGINT); 5 user errors are one-line user errors
(exit status 2; a PavasError in a node); 6 safe weight loading (no pickle code, torch floor).

A case is a violation when: the CLI exits with anything but the expected status (0, or 2 for a
refused input; 128 + signal when interrupted), prints a traceback or "internal error", or more than
one error line; a node raises anything but the pack's PavasError; a temporary file survives; an
input file changes; a special file (device, FIFO) is replaced; an output appears after a failure;
anything connects to the network (a local listener stands in for the URLs hostile names point at,
and Python's socket.connect is guarded); a case runs past its time limit; or it runs out of memory.
CLI cases run in processes forked from this one under a 4 GB address-space limit (RLIMIT_AS) and
report their peak memory (ru_maxrss); those that load torch (train, the learned generator and
estimator backends) under a 4 GB data limit instead, like the node workers; node cases run inside ComfyUI-like workers (the test fakes)
under a 4 GB data limit (RLIMIT_DATA; torch's CUDA libraries alone reserve more address space
than 4 GB). Prints cases / violations per class and target, the violations, and the peak memory
of the worst case.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

MEMORY_LIMIT_BYTES = 4_000_000 * 1024  # `ulimit -v 4000000`
CASE_TIMEOUT_S = 90.0
CLASSES = {
    1: "no network from files or paths",
    2: "memory bounded by real content",
    3: "outputs never destroy inputs or special files",
    4: "all outputs or none",
    5: "user errors are user errors",
    6: "safe weight loading",
}


# --- a listener standing in for every URL a hostile name points at ---------------------------------

class Listener:
    """A TCP server on 127.0.0.1 that counts connections (nothing may ever connect)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.count = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.count += 1
            conn.close()


def guard_python_sockets(marker: Path) -> None:
    """Make every Python-level connection attempt leave `marker` behind and fail."""
    original = socket.socket.connect

    def refuse(self, address, *args):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            marker.write_text(f"connect {address!r}\n")
            raise OSError(f"network access blocked by the hostile-input matrix: {address!r}")
        return original(self, address, *args)

    socket.socket.connect = refuse
    socket.socket.connect_ex = lambda self, address: refuse(self, address)


# --- results -----------------------------------------------------------------------------------

@dataclass
class Result:
    klass: int
    target: str
    label: str
    outcome: str  # ok | error (a refused input) | signal N
    violations: list[str] = field(default_factory=list)
    peak_kb: int = 0
    seconds: float = 0.0
    detail: str = ""
    limit: str = "data"  # the 4 GB limit it ran under: "address space" (RLIMIT_AS) or "data" (RLIMIT_DATA)


# --- CLI cases ---------------------------------------------------------------------------------

@dataclass
class CliCase:
    klass: int
    verb: str
    label: str
    argv: list[str]  # "{out}" is the case's own (fresh) output folder; other paths are relative to the inputs
    expect: str = "any"  # ok | error | any
    check: Callable[[Path], list[str]] | None = None
    send_signal: int | None = None
    delay_s: float = 0.8
    quick: bool = False
    fifo_reader: str | None = None  # a FIFO (relative to {out}) to read while the case runs
    scratch: tuple[str, ...] = ()  # files the case writes among the inputs (checked, then removed)


def _fifo_check(name: str) -> Callable[[Path], list[str]]:
    def check(out: Path) -> list[str]:
        path = out / name
        problems = []
        if not stat.S_ISFIFO(os.lstat(path).st_mode):
            problems.append(f"{name} (a FIFO) was replaced by a regular file")
        if getattr(check, "received", 0) == 0:
            problems.append(f"nothing was written into the FIFO {name}")
        return problems
    return check


def _symlink_check(name: str, target: str) -> Callable[[Path], list[str]]:
    def check(out: Path) -> list[str]:
        path = out / name
        if not path.is_symlink() or os.readlink(path) != target:
            return [f"{name} (a symbolic link to {target}) was replaced"]
        return []
    return check


def _files_check(*names: str) -> Callable[[Path], list[str]]:
    def check(out: Path) -> list[str]:
        return [f"expected output {n} is missing" for n in names if not (out / n).exists()]
    return check


def cli_cases(inp: dict[str, Path], port: int) -> list[CliCase]:
    """The CLI part of the matrix (paths relative to the inputs folder, outputs in {out})."""
    rel = {k: os.path.relpath(v, inp["ok"].parent) for k, v in inp.items()}
    cases: list[CliCase] = []

    def add(*args, **kwargs):
        cases.append(CliCase(*args, **kwargs))

    # 1. no network: names FFmpeg would read as URLs, and a dataset index pointing at one
    for verb, argv in (("run", ["run", rel["url_like"], "-o", "{out}/a.wav"]),
                       ("estimate", ["estimate", rel["url_like"], "-o", "{out}/p.json"]),
                       ("run", ["run", rel["colon"], "-o", "{out}/a.wav", "--mux", "{out}/take3:x.mp4"]),
                       ("estimate", ["estimate", rel["colon"], "-o", "{out}/p.json"])):
        add(1, verb, f"local file with a URL-like name: {argv[1]}", argv, "ok", quick=verb == "run")
    url_out = f"http:127.0.0.1:{port}/out.wav"
    add(1, "run", "an output with a URL-like name", ["run", rel["ok"], "-o", url_out], "ok",
        check=lambda out, url_out=url_out, root=inp["ok"].parent: (
            [] if (root / url_out).is_file() else [f"{url_out} was not written as a local file"]),
        scratch=(url_out,))
    add(1, "apcc", "audio with a URL-like name",
        ["apcc", "--physics", rel["phys_ok"], "--audio", rel["url_like"]], "ok")
    add(1, "apcc", "dataset whose scene id is a URL", ["apcc", "--dataset", rel["ds_url_id"]], "ok", quick=True)

    # 2. memory bounded by content: timestamps, rates, sizes and counts that claim too much
    for key in ("late_stamp", "sparse_vfr", "gif_canvas", "gif_delay", "audio_2ghz"):
        for verb, argv in (("run", ["run", rel[key], "-o", "{out}/a.wav", "--mux", "{out}/a.mp4"]),
                           ("estimate", ["estimate", rel[key], "-o", "{out}/p.json"])):
            add(2, verb, f"{key} video", argv, "any" if key == "audio_2ghz" else "error",
                quick=key == "late_stamp")
    add(2, "apcc", "audio claiming 2 GHz", ["apcc", "--physics", rel["phys_ok"], "--audio", rel["wav_2ghz"]], "error")
    add(2, "apcc", "100000 impacts (linear, not quadratic)",
        ["apcc", "--physics", rel["phys_many_impacts"], "--audio", rel["wav_ok"], "--json", "{out}/r.json"], "ok",
        quick=True)
    add(2, "apcc", "more impacts than the limit",
        ["apcc", "--physics", rel["phys_too_many_impacts"], "--audio", rel["wav_ok"]], "error")
    add(2, "apcc", "physics of 1e-300 fps", ["apcc", "--physics", rel["phys_tiny_fps"], "--audio", rel["wav_ok"]], "error")
    add(2, "apcc", "an 80 MB physics file", ["apcc", "--physics", rel["phys_huge_file"], "--audio", rel["wav_ok"]], "error")
    for flag, value in (("--n-fft", "1000000000"), ("--hop", "1000000000"), ("--n-mels", "100000000"),
                        ("--analysis-rate", "2000000000"), ("--null-baseline", "1000000000")):
        add(2, "apcc", f"{flag} {value}", ["apcc", "--physics", rel["phys_ok"], "--audio", rel["wav_ok"], flag, value],
            "error")
    for argv_tail, label in ((["--resolutions", "100000x100000"], "huge resolution"),
                             (["--duration", "1e9", "1e9"], "a billion seconds"),
                             (["--fps-choices", "1e7"], "ten million fps"),
                             (["--sample-rate", "2000000000"], "2 GHz sound")):
        add(2, "synth-dataset", label, ["synth-dataset", "{out}/ds", "--n", "1", *argv_tail], "error")
    add(2, "run", "the longest allowed clip: 1 h in 364 frames, 48 kHz sound",
        ["run", rel["hour"], "-o", "{out}/a.wav", "--sample-rate", "48000"], "ok", check=_files_check("a.wav"))
    add(2, "apcc", "50 min of FLAC silence in 400 KB (decoded-samples limit)",
        ["apcc", "--physics", rel["phys_ok"], "--audio", rel["flac_bomb"]], "error")
    add(2, "run", "analysis size 1e6", ["run", rel["ok"], "-o", "{out}/a.wav", "--analysis-max-side", "1000000"], "error")

    # 3. outputs never destroy inputs or special files
    same_input = [
        ("run", ["run", rel["ok"], "-o", rel["ok"]]),
        ("run", ["run", rel["ok"], "-o", "{out}/a.wav", "--mux", rel["ok"]]),
        ("run", ["run", rel["ok"], "-o", "{out}/a.wav", "--physics", rel["ok"]]),
        ("run", ["run", rel["ok"], "-o", "{out}/a.wav", "--mux", rel["hardlink"]]),
        ("estimate", ["estimate", rel["ok"], "-o", rel["ok"]]),
        ("estimate", ["estimate", rel["ok"], "-o", "./" + rel["ok"]]),
        ("estimate", ["estimate", rel["ok"], "-o", rel["hardlink"]]),
        ("apcc", ["apcc", "--physics", rel["phys_ok"], "--audio", rel["wav_ok"], "--json", rel["phys_ok"]]),
        ("apcc", ["apcc", "--physics", rel["phys_ok"], "--audio", rel["wav_ok"], "--json", rel["wav_ok"]]),
        ("apcc", ["apcc", "--dataset", rel["ds_ok"], "--json", rel["ds_ok"] + "/scene_0000/physics.json"]),
        ("apcc", ["apcc", "--dataset", rel["ds_ok"], "--json", rel["ds_ok"] + "/index.json"]),
    ]
    for verb, argv in same_input:
        add(3, verb, "an output names an input: " + " ".join(argv[1:]), argv, "error", quick=verb != "run")
    add(3, "run", "two outputs on one path", ["run", rel["ok"], "-o", "{out}/a.wav", "--physics", "{out}/a.wav"], "error",
        quick=True)
    add(3, "run", "two outputs on one path (spelled differently)",
        ["run", rel["ok"], "-o", "{out}/a.wav", "--physics", "{out}/./a.wav"], "error")
    for verb, base, option in (("run", ["run", rel["ok"], "-o"], "x.wav"),
                               ("run", ["run", rel["ok"], "-o", "{out}/a.wav", "--physics"], "x.json"),
                               ("estimate", ["estimate", rel["ok"], "-o"], "x.json"),
                               ("apcc", ["apcc", "--physics", rel["phys_ok"], "--audio", rel["wav_ok"], "--json"], "x.json")):
        add(3, verb, f"output is a FIFO ({' '.join(base[1:])})", base + ["{out}/fifo_" + option], "ok",
            check=_fifo_check("fifo_" + option), fifo_reader="fifo_" + option, quick=verb == "estimate")
        add(3, verb, f"output is a link to /dev/null ({' '.join(base[1:])})", base + ["{out}/null_" + option], "ok",
            check=_symlink_check("null_" + option, "/dev/null"))
        add(3, verb, f"output is a link to a missing file ({' '.join(base[1:])})", base + ["{out}/dangling_" + option],
            "ok", check=_symlink_check("dangling_" + option, "target_" + option))

    # 4. all outputs or none
    add(4, "run", "WAV output is a directory (others must not be written)",
        ["run", rel["ok"], "-o", "{out}/dir.wav", "--mux", "{out}/a.mp4", "--physics", "{out}/p.json"], "error",
        quick=True)
    add(4, "run", "--mux output in a read-only place",
        ["run", rel["ok"], "-o", "{out}/a.wav", "--physics", "{out}/p.json", "--mux", "/sys/pavas_hostile.mp4"], "error")
    add(4, "run", "an output on a full disk (/dev/full)",
        ["run", rel["ok"], "-o", "{out}/a.wav", "--physics", "{out}/full.json"], "error")
    add(4, "run", "a failing input after the outputs are reserved",
        ["run", rel["corrupt"], "-o", "{out}/a.wav", "--mux", "{out}/a.mp4", "--physics", "{out}/p.json"], "error")
    add(4, "run", "all three outputs", ["run", rel["ok"], "-o", "{out}/a.wav", "--mux", "{out}/a.mp4", "--physics",
                                         "{out}/p.json"], "ok", check=_files_check("a.wav", "a.mp4", "p.json"))
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        add(4, "run", f"{signal.Signals(sig).name} while running",
            ["run", rel["long"], "-o", "{out}/a.wav", "--mux", "{out}/a.mp4", "--physics", "{out}/p.json"],
            send_signal=sig, quick=sig == signal.SIGTERM)
        add(4, "estimate", f"{signal.Signals(sig).name} while running", ["estimate", rel["long"], "-o", "{out}/p.json"],
            send_signal=sig)
        add(4, "synth-dataset", f"{signal.Signals(sig).name} while running",
            ["synth-dataset", "{out}/ds", "--n", "40", "--resolutions", "160x120", "--duration", "1", "1"],
            send_signal=sig, delay_s=1.0, quick=sig == signal.SIGTERM)
    add(4, "apcc", "dataset without index.json (an interrupted synth-dataset)", ["apcc", "--dataset", rel["ds_no_index"]],
        "error", quick=True)
    add(4, "apcc", "dataset whose index lists a missing scene", ["apcc", "--dataset", rel["ds_missing_scene"]], "error")
    add(4, "synth-dataset", "a refused option leaves no folder",
        ["synth-dataset", "{out}/ds", "--n", "1", "--resolutions", "10x10"], "error")
    add(4, "synth-dataset", "output folder exists and is not empty", ["synth-dataset", "{out}/full_dir", "--n", "1"], "error")
    add(4, "synth-dataset", "output is a file", ["synth-dataset", "{out}/a_file", "--n", "1"], "error")

    # 5. user errors: paths, JSON, numbers, sizes
    path_inputs = ["empty", "corrupt", "truncated", "text_video", "directory", "link_loop", "dangling", "fifo",
                   "one_frame", "tiny", "thin", "non_utf8_name"]
    for key in path_inputs:
        expect = "ok" if key == "non_utf8_name" else "error"
        add(5, "run", f"video: {key}", ["run", rel[key], "-o", "{out}/a.wav"], expect, quick=key in ("fifo", "tiny"))
        add(5, "estimate", f"video: {key}", ["estimate", rel[key], "-o", "{out}/p.json"], expect)
    add(5, "run", "missing video", ["run", "no_such_file.mp4", "-o", "{out}/a.wav"], "error")
    for flag, value in (("--analysis-max-side", "1"), ("--analysis-max-side", "0"), ("--analysis-max-side", "-5"),
                        ("--mass-kg", "nan"), ("--mass-kg", "-1"), ("--size-m", "inf"), ("--focal-px", "nan"),
                        ("--meters-per-px", "-inf"), ("--material", "unobtainium"), ("--seed", "-1"),
                        ("--seed", str(2**70)), ("--sample-rate", "7")):
        add(5, "run", f"{flag} {value}", ["run", rel["ok"], "-o", "{out}/a.wav", flag, value],
            "any" if flag == "--seed" else "error", quick=value in ("1", "nan"))
    for flag, value in (("--analysis-size", "1"), ("--max-objects", "0"), ("--max-objects", "-3"),
                        ("--size-m", "nan"), ("--mass-kg", "inf"), ("--focal-px", "-1")):
        add(5, "estimate", f"{flag} {value}", ["estimate", rel["ok"], "-o", "{out}/p.json", flag, value], "error")
    add(5, "run", "output without .wav", ["run", rel["ok"], "-o", "{out}/a.txt"], "error")
    add(5, "run", "output in a missing folder (created)", ["run", rel["ok"], "-o", "{out}/new/sub/a.wav"], "ok")
    for key in ("phys_mass_text", "phys_objects_dict", "phys_speed_text", "phys_impact_list", "phys_extra_int",
                "phys_list", "phys_nan", "phys_non_utf8", "phys_deep", "phys_schema2"):
        add(5, "apcc", f"physics: {key}", ["apcc", "--physics", rel[key], "--audio", rel["wav_ok"]], "error",
            quick=key in ("phys_deep", "phys_mass_text"))
    for key in ("directory", "fifo", "link_loop", "wav_empty", "wav_text", "one_frame"):
        add(5, "apcc", f"audio: {key}", ["apcc", "--physics", rel["phys_ok"], "--audio", rel[key]], "error")
    add(5, "apcc", "physics is a directory", ["apcc", "--physics", rel["directory"], "--audio", rel["wav_ok"]], "error")
    add(5, "apcc", "physics is a FIFO", ["apcc", "--physics", rel["fifo"], "--audio", rel["wav_ok"]], "error")
    for key in ("ds_traversal", "ds_absolute", "ds_index_types", "ds_index_non_utf8"):
        add(5, "apcc", f"dataset: {key}", ["apcc", "--dataset", rel[key]], "error")
    for flag, value in (("--window-start-ms", "nan"), ("--min-gap-ms", "inf"), ("--n-fft", "0"), ("--hop", "-1"),
                        ("--min-events", "-1"), ("--dke-floor-j", "nan")):
        add(5, "apcc", f"{flag} {value}", ["apcc", "--physics", rel["phys_ok"], "--audio", rel["wav_ok"], flag, value],
            "error")
    for argv_tail, label in ((["--n", "0"], "--n 0"), (["--n", "-4"], "--n -4"), (["--resolutions", "0x0"], "0x0"),
                             (["--resolutions", "axb"], "axb"), (["--duration", "nan", "1"], "nan duration"),
                             (["--duration", "3", "1"], "min > max"), (["--fps-choices", "0"], "0 fps"),
                             (["--sample-rate", "0"], "0 Hz"), (["--seed", "-1"], "--seed -1")):
        add(5, "synth-dataset", label, ["synth-dataset", "{out}/ds", "--n", "1", "--resolutions", "160x120",
                                        "--duration", "1", "1", *argv_tail],
            "any" if label == "--seed -1" else "error")
    add(5, "bench", "unknown benchmark", ["bench", "../../etc/passwd"], "error")
    return cases


def learned_cli_cases(inp: dict[str, Path], models: dict[str, Path]) -> list[CliCase]:
    """The estimator's per-stage backends and their model settings, run's --physics-in and
    --generator mmaudio, train and evaluate (paths relative to the inputs folder)."""
    root = inp["ok"].parent
    rel = {k: os.path.relpath(v, root) for k, v in inp.items()}
    m = {k: os.path.relpath(v, root) for k, v in models.items()}
    cases: list[CliCase] = []

    def add(*args, **kwargs):
        cases.append(CliCase(*args, **kwargs))

    est = ["estimate", rel["ok"], "-o", "{out}/p.json"]
    # model folders and files given to each learned backend: each is refused in one line
    folder_keys = ("missing", "file", "no_config", "config_not_json", "config_list", "config_deep", "config_non_utf8",
                   "config_huge", "config_loop", "config_fifo", "unknown_type", "type_not_text", "dir_loop")
    for key in folder_keys:
        path = m.get(f"llm_{key}")
        if path is None:
            continue
        add(5, "estimate", f"--vlm {key}", est + ["--discover", "vlm", "--vlm", path], "error",
            quick=key == "config_deep")
        add(5, "estimate", f"--florence2 {key}", est + ["--boxes", "florence2", "--florence2", path], "error")
    for key in ("missing", "config_not_json", "config_list", "config_deep", "config_non_utf8", "config_huge",
                "config_loop", "config_fifo", "unknown_type", "type_not_text"):
        add(5, "estimate", f"--depth {key}", est + ["--geometry", "depth", "--depth", m[f"depth_{key}"]], "error",
            quick=False)
    for key in ("wrong_rank", "int32", "no_weights", "pickle"):
        if f"llm_vlm_{key}" in m:
            add(6 if key == "pickle" else 5, "estimate", f"--vlm with {key} weights",
                est + ["--discover", "vlm", "--vlm", m[f"llm_vlm_{key}"]], "error")
            add(6 if key == "pickle" else 5, "estimate", f"--florence2 with {key} weights",
                est + ["--boxes", "florence2", "--florence2", m[f"llm_florence2_{key}"]], "error")
            add(6 if key == "pickle" else 5, "estimate", f"--depth with {key} weights",
                est + ["--geometry", "depth", "--depth", m[f"depth_{key}"]], "error")
    for key in ("pre_list", "pre_deep", "pre_mean_short", "pre_size_huge"):
        if f"depth_{key}" in m:
            add(5, "estimate", f"--depth with a hostile preprocessor_config.json ({key})",
                est + ["--geometry", "depth", "--depth", m[f"depth_{key}"]], "error")
    if "llm_florence2_ok" in m:
        add(5, "estimate", "--vlm given a Florence-2 folder", est + ["--discover", "vlm", "--vlm", m["llm_florence2_ok"]],
            "error")
        add(5, "estimate", "--florence2 given a VLM folder",
            est + ["--boxes", "florence2", "--florence2", m["llm_vlm_ok"]], "error")
        add(5, "estimate", "--florence2-task not a task",
            est + ["--boxes", "florence2", "--florence2", m["llm_florence2_ok"], "--florence2-task", "<RM -RF>"], "error")
        add(5, "estimate", "a tiny random VLM (its prose answer falls back visibly)",
            est + ["--discover", "vlm", "--vlm", m["llm_vlm_ok"], "--vlm-max-tokens", "16", "--vlm-frames", "2",
                   "--device", "cpu"], "ok", check=_files_check("p.json"))
        add(3, "estimate", "-o names the VLM folder's config.json",
            ["estimate", rel["ok"], "-o", m["llm_vlm_ok"] + "/config.json", "--discover", "vlm", "--vlm",
             m["llm_vlm_ok"]], "error", quick=False)
        add(3, "estimate", "-o names the depth folder's weights",
            ["estimate", rel["ok"], "-o", m["depth_ok"] + "/model.safetensors", "--geometry", "depth", "--depth",
             m["depth_ok"]], "error")
    for key in ("missing", "empty", "text", "directory", "link_loop", "pickle", "legacy", "zip_bomb", "wrong_rank",
                "int32", "other_model"):
        klass = 6 if key in ("pickle", "legacy") else 2 if key == "zip_bomb" else 5
        add(klass, "estimate", f"--sam2 {key}", est + ["--masks", "sam2", "--sam2", m[f"sam2_{key}"]], "error",
            quick=key == "pickle")
    add(3, "estimate", "-o names the --sam2 weight file",
        ["estimate", rel["ok"], "-o", m["sam2_int32"], "--masks", "sam2", "--sam2", m["sam2_int32"]], "error", quick=True)
    for flag, value in (("--sam2-image-size", "1"), ("--sam2-image-size", "1000000000"), ("--vlm-frames", "0"),
                        ("--vlm-frames", "1000000000"), ("--vlm-max-tokens", "0"), ("--vlm-max-tokens", "1000000000"),
                        ("--device", "nonsense"), ("--device", "cuda:99"), ("--precision", "fp8"),
                        ("--precision", "\x00")):
        stage = ["--masks", "sam2", "--sam2", m["sam2_wrong_rank"]] if flag.startswith("--sam2") else \
            ["--discover", "vlm", "--vlm", m.get("llm_vlm_ok", m["llm_missing"])]
        add(5, "estimate", f"{flag} {value}", est + stage + [flag, value], "error", quick=False)
    # a learned backend without its model falls back to the weight-free one, said in a note
    add(5, "estimate", "--discover vlm without --vlm", est + ["--discover", "vlm"], "any", quick=False)
    add(5, "estimate", "--boxes florence2 without --florence2", est + ["--boxes", "florence2"], "any")
    add(5, "estimate", "--masks sam2 without --sam2", est + ["--masks", "sam2"], "any")
    add(5, "estimate", "--geometry depth without --depth", est + ["--geometry", "depth"], "error")
    add(5, "estimate", "--masks mask_input (no masks on the command line)", est + ["--masks", "mask_input"], "error")
    add(5, "estimate", "--geometry da3 (no DA3 output on the command line)", est + ["--geometry", "da3"], "error")
    add(5, "estimate", "--geometry moge (no MoGe output on the command line)", est + ["--geometry", "moge"], "error")
    add(5, "estimate", "--mass vlm without a VLM answer", est + ["--mass", "vlm"], "any")
    add(5, "estimate", "--with-masks", est + ["--with-masks"], "ok", check=_files_check("p.json"))
    # --vlm-answer files
    add(5, "estimate", "--vlm-answer valid", est + ["--discover", "vlm_text", "--vlm-answer", rel["answer_ok"]], "ok",
        check=_files_check("p.json"), quick=True)
    for key in ("answer_prose", "answer_masses_nan"):
        add(5, "estimate", f"--vlm-answer {key} (falls back visibly)",
            est + ["--discover", "vlm_text", "--vlm-answer", rel[key]], "ok")
    for key in ("phys_deep", "phys_huge_file", "directory", "fifo", "link_loop", "dangling"):
        add(5, "estimate", f"--vlm-answer {key}", est + ["--discover", "vlm_text", "--vlm-answer", rel[key]], "error",
            quick=False)
    for key in ("phys_non_utf8", "empty"):  # text that is no answer: the motion objects, said in a note
        add(5, "estimate", f"--vlm-answer {key} (falls back visibly)",
            est + ["--discover", "vlm_text", "--vlm-answer", rel[key]], "ok")
    add(5, "estimate", "--discover vlm_text without --vlm-answer", est + ["--discover", "vlm_text"], "any")
    add(3, "estimate", "-o names the --vlm-answer file",
        ["estimate", rel["ok"], "-o", rel["answer_ok"], "--discover", "vlm_text", "--vlm-answer", rel["answer_ok"]],
        "error", quick=True)

    # run: --physics-in, --with-masks, --generator mmaudio and its files
    run = ["run", rel["ok"], "-o", "{out}/a.wav"]
    add(5, "run", "--physics-in valid", run + ["--physics-in", rel["phys_ok"]], "ok", check=_files_check("a.wav"),
        quick=False)
    for key in ("phys_mass_text", "phys_objects_dict", "phys_nan", "phys_non_utf8", "phys_deep", "phys_list",
                "phys_schema2", "phys_tiny_fps", "phys_huge_file", "directory", "fifo", "link_loop", "dangling"):
        add(2 if key in ("phys_tiny_fps", "phys_huge_file") else 5, "run", f"--physics-in {key}",
            run + ["--physics-in", rel[key]], "error", quick=key == "phys_deep")
    add(2, "run", "--physics-in with more impacts than the limit", run + ["--physics-in", rel["phys_too_many_impacts"]],
        "error")
    add(5, "run", "--physics-in missing", run + ["--physics-in", "no_such.json"], "error")
    add(3, "run", "--physics names the --physics-in file",
        run + ["--physics-in", rel["phys_ok"], "--physics", rel["phys_ok"]], "error", quick=True)
    add(3, "run", "-o names the --physics-in file", ["run", rel["ok"], "-o", rel["phys_ok"], "--physics-in",
                                                     rel["phys_ok"]], "error")
    add(3, "run", "--physics names an estimator model file",
        run + ["--physics", m["sam2_int32"], "--masks", "sam2", "--sam2", m["sam2_int32"]], "error")
    add(5, "run", "--with-masks with --physics", run + ["--with-masks", "--physics", "{out}/p.json"], "ok",
        check=_files_check("a.wav", "p.json"))
    add(5, "run", "--with-masks without --physics", run + ["--with-masks"], "any")
    mm = run + ["--generator", "mmaudio", "--models", m["mmaudio"], "--device", "cpu", "--steps", "1"]
    add(5, "run", "--generator mmaudio without --models", run + ["--generator", "mmaudio"], "error")
    add(5, "run", "--models missing", run + ["--generator", "mmaudio", "--models", "no_such_dir"], "error")
    add(5, "run", "--models is a file", run + ["--generator", "mmaudio", "--models", rel["phys_ok"]], "error")
    add(6, "run", "--models holding adapters and a pickle payload, no network",
        run + ["--generator", "mmaudio", "--models", os.path.dirname(m["adapter_pickle"])], "error")
    for key in ("no_meta", "meta_not_json", "meta_deep", "wrong_rank", "int32", "config_huge", "config_list", "pickle",
                "missing"):
        add(6 if key == "pickle" else 5, "run", f"--adapter {key}", mm + ["--adapter", m[f"adapter_{key}"]], "error",
            quick=key == "pickle")
    add(3, "run", "--mux names the --adapter file", mm + ["--adapter", m["adapter_valid"], "--mux", m["adapter_valid"]],
        "error")
    add(3, "run", "-o names the network file", ["run", rel["ok"], "-o", m["mmaudio_network"], "--generator", "mmaudio",
                                                "--models", m["mmaudio"]], "error")
    add(3, "run", "--physics names the network file", mm + ["--physics", m["mmaudio_network"]], "error", quick=False)
    for flag, value in (("--steps", "0"), ("--steps", "1000000000"), ("--cfg", "nan"), ("--cfg", "1e300"),
                        ("--mass-scale", "-1"), ("--speed-scale", "1e300"), ("--device", "nonsense"),
                        ("--model", "../../etc/passwd")):
        add(5, "run", f"mmaudio {flag} {value}", mm + [flag, value], "error")
    add(5, "run", "--generator mmaudio on tiny random weights", mm, "ok", check=_files_check("a.wav"))
    # run --generator tiny: PAVAS-tiny checkpoints (an adapter file is no PAVAS-tiny checkpoint)
    ty = run + ["--generator", "tiny", "--device", "cpu", "--steps", "1"]
    add(5, "run", "--generator tiny without --tiny (the shipped checkpoint)", ty, "ok", check=_files_check("a.wav"),
        quick=True)
    for key in ("tiny_heads0", "tiny_huge", "tiny_config_list", "tiny_wrong_rank", "adapter_valid", "adapter_no_meta",
                "adapter_meta_deep", "adapter_missing"):
        add(5, "run", f"--tiny {key}", ty + ["--tiny", m[key]], "error", quick=key == "tiny_heads0")
    add(6, "run", "--tiny pickle", ty + ["--tiny", m["adapter_pickle"]], "error")
    add(5, "run", "--tiny is a directory", ty + ["--tiny", os.path.dirname(m["tiny_valid"])], "error")
    add(3, "run", "--mux names the --tiny file", ty + ["--tiny", m["tiny_valid"], "--mux", m["tiny_valid"]], "error")
    add(3, "run", "-o names the --tiny file", ["run", rel["ok"], "-o", m["tiny_valid"], "--generator", "tiny",
                                               "--tiny", m["tiny_valid"]], "error")
    for flag, value in (("--steps", "0"), ("--cfg", "nan"), ("--mass-scale", "-1")):
        add(5, "run", f"tiny {flag} {value}", ty + ["--tiny", m["tiny_valid"], flag, value], "error")
    add(5, "run", "--generator tiny on a fresh random checkpoint", ty + ["--tiny", m["tiny_valid"]], "ok",
        check=_files_check("a.wav"))

    # train
    tr = ["train", "--models", m["mmaudio"]]
    add(5, "train", "--init-only", tr + ["--init-only", "--out", "{out}/a.safetensors"], "ok",
        check=_files_check("a.safetensors"), quick=True)
    add(3, "train", "--init-only --out names the set's CLIP file", tr + ["--init-only", "--out", m["mmaudio_clip"]],
        "error", quick=True)
    add(3, "train", "--init-only --out is a FIFO", tr + ["--init-only", "--out", "{out}/fifo_x.safetensors"], "ok",
        check=_fifo_check("fifo_x.safetensors"), fifo_reader="fifo_x.safetensors")
    add(3, "train", "--init-only --out is a link to /dev/null", tr + ["--init-only", "--out", "{out}/null_x.safetensors"],
        "ok", check=_symlink_check("null_x.safetensors", "/dev/null"))
    add(5, "train", "--init-only --out .pth", tr + ["--init-only", "--out", "{out}/a.pth"], "error")
    add(5, "train", "--init-only --out is a directory", tr + ["--init-only", "--out", "{out}/dir.wav"], "error")
    add(5, "train", "--models missing", ["train", "--models", "no_such_dir", "--init-only", "--out", "{out}/a.safetensors"],
        "error")
    add(5, "train", "--models without a network", ["train", "--models", os.path.dirname(m["adapter_valid"]), "--init-only", "--out",
                                                    "{out}/a.safetensors"], "error")
    add(5, "train", "--model is a wrong-rank file", tr + ["--model", m["adapter_wrong_rank"], "--init-only", "--out",
                                                          "{out}/a.safetensors"], "error")
    add(6, "train", "--model is a pickle payload", tr + ["--model", m["adapter_pickle"], "--init-only", "--out",
                                                         "{out}/a.safetensors"], "error")
    add(5, "train", "no --data", tr + ["--out", "{out}/run"], "error")
    for key in ("ds_no_index", "ds_url_id", "ds_traversal", "ds_index_types", "ds_missing_scene", "ds_ok"):
        add(5, "train", f"--data {key}", tr + ["--out", "{out}/run", "--data", rel[key], "--steps", "1",
                                              "--device", "cpu", "--quiet"], "error", quick=key == "ds_no_index")
    add(5, "train", "--data missing", tr + ["--out", "{out}/run", "--data", "no_such_dir"], "error")
    add(5, "train", "--resume without a checkpoint", tr + ["--out", "{out}/run", "--data", rel["ds_ok"], "--resume"],
        "error")
    for flag, value in (("--steps", "0"), ("--steps", "-1"), ("--steps", "1000000000000"), ("--batch-size", "0"),
                        ("--batch-size", "1000000000"), ("--lr", "nan"), ("--lr", "-1"), ("--duration-s", "1e9"),
                        ("--duration-s", "0"), ("--physics-dropout", "2"), ("--cfg-dropout", "-1"),
                        ("--checkpoint-every", "0"), ("--eval-windows", "-1"), ("--adapter-rank", "0"),
                        ("--adapter-rank", "1000000000"), ("--device", "nonsense"), ("--seed", "-1")):
        add(5, "train", f"{flag} {value}", tr + ["--out", "{out}/run", "--data", rel["ds_ok"], flag, value], "error",
            quick=False)
    add(5, "train", "--init-only --adapter-rank 1e9", tr + ["--init-only", "--out", "{out}/a.safetensors",
                                                            "--adapter-rank", "1000000000"], "error")
    add(4, "train", "--out is a file", tr + ["--out", "{out}/a_file", "--data", rel["ds_ok"]], "error")
    # train --config tiny (no --models: the whole network is trained here)
    tt = ["train", "--config", "tiny", "--out", "{out}/t.safetensors"]
    add(5, "train", "--config tiny without --data", tt, "error", quick=True)
    for key in ("ds_no_index", "ds_url_id", "ds_traversal", "ds_missing_scene"):
        add(5, "train", f"--config tiny --data {key}", tt + ["--data", rel[key], "--steps", "1", "--device", "cpu",
                                                             "--quiet"], "error")
    for flag, value in (("--steps", "0"), ("--lr", "nan"), ("--duration-s", "1e9"), ("--batch-size", "0"),
                        ("--physics-conditions", "gravity"), ("--injection", "sideways"), ("--config", "huge")):
        add(5, "train", f"--config tiny {flag} {value}", tt + ["--data", rel["ds_ok"], flag, value], "error")
    add(5, "train", "--config tiny --out .pth", ["train", "--config", "tiny", "--out", "{out}/t.pth", "--data",
                                                  rel["ds_ok"]], "error")
    add(3, "train", "--config tiny --out names a model file", ["train", "--config", "tiny", "--out", m["tiny_valid"],
                                                               "--data", rel["ds_ok"], "--steps", "1"], "error")

    # evaluate
    ev = ["evaluate", "--workers", "1", "--quiet"]
    one = ["--physics", rel["phys_ok"], "--reference-audio", rel["wav_ok"], "--audio", rel["wav_ok"]]
    add(5, "evaluate", "one clip", ev + one + ["--json", "{out}/e.json"], "ok", check=_files_check("e.json"), quick=True)
    add(5, "evaluate", "nothing to evaluate", ev, "error")
    add(5, "evaluate", "counts differ", ev + one + ["--physics", rel["phys_ok"]], "error")
    add(5, "evaluate", "--generated-dir without --dataset", ev + ["--generated-dir", rel["ds_ok"]], "error")
    add(5, "evaluate", "--dataset without --generated-dir", ev + ["--dataset", rel["ds_ok"]], "any")
    for key in ("ds_no_index", "ds_url_id", "ds_traversal", "ds_absolute", "ds_index_types", "ds_index_non_utf8",
                "ds_missing_scene"):
        add(1 if key == "ds_url_id" else 5, "evaluate", f"--dataset {key}",
            ev + ["--dataset", rel[key], "--generated-dir", rel[key]], "error", quick=key == "ds_no_index")
    add(5, "evaluate", "--generated-dir missing a scene", ev + ["--dataset", rel["ds_ok"], "--generated-dir",
                                                                rel["directory"]], "error")
    for key in ("phys_mass_text", "phys_objects_dict", "phys_nan", "phys_non_utf8", "phys_deep", "phys_schema2",
                "phys_tiny_fps", "phys_huge_file", "phys_too_many_impacts", "directory", "fifo"):
        add(2 if key in ("phys_tiny_fps", "phys_huge_file", "phys_too_many_impacts") else 5, "evaluate",
            f"physics: {key}", ev + ["--physics", rel[key], "--reference-audio", rel["wav_ok"], "--audio",
                                     rel["wav_ok"]], "error", quick=key == "phys_deep")
    for key in ("wav_2ghz", "flac_bomb", "wav_empty", "wav_text", "directory", "fifo", "link_loop", "url_like"):
        expect = "ok" if key == "url_like" else "error"
        add(2 if key in ("wav_2ghz", "flac_bomb") else 1 if key == "url_like" else 5, "evaluate", f"audio: {key}",
            ev + ["--physics", rel["phys_ok"], "--reference-audio", rel["wav_ok"], "--audio", rel[key]], expect,
            quick=False)
    add(2, "evaluate", "100000 impacts", ev + ["--physics", rel["phys_many_impacts"], "--reference-audio", rel["wav_ok"],
                                              "--audio", rel["wav_ok"]], "any")
    for flag, value in (("--workers", "0"), ("--workers", "-3"), ("--workers", "1000000")):
        add(2 if value == "1000000" else 5, "evaluate", f"{flag} {value}",
            ["evaluate", "--quiet", *one, flag, value], "any" if value == "1000000" else "error")
    add(3, "evaluate", "--json names the physics input", ev + one + ["--json", rel["phys_ok"]], "error", quick=True)
    add(3, "evaluate", "--json names the audio input", ev + one + ["--json", rel["wav_ok"]], "error")
    add(3, "evaluate", "--json names a dataset file",
        ev + ["--dataset", rel["ds_ok"], "--generated-dir", rel["ds_ok"] + "/scene_0000", "--json",
              rel["ds_ok"] + "/index.json"], "error")
    add(3, "evaluate", "--json is a FIFO", ev + one + ["--json", "{out}/fifo_x.json"], "ok",
        check=_fifo_check("fifo_x.json"), fifo_reader="fifo_x.json")
    add(3, "evaluate", "--json is a link to /dev/null", ev + one + ["--json", "{out}/null_x.json"], "ok",
        check=_symlink_check("null_x.json", "/dev/null"))
    add(4, "evaluate", "--json on a full disk", ev + one + ["--json", "{out}/full.json"], "error")
    return cases


TORCH_FLAGS = ("--generator", "--vlm", "--florence2", "--sam2", "--depth", "--adapter", "--models")


def uses_torch(case: CliCase) -> bool:
    """Whether a case loads torch (its CUDA libraries alone reserve more than 4 GB of address space,
    so such a case is limited in data size, not address space)."""
    return case.verb == "train" or any(flag in case.argv for flag in TORCH_FLAGS)


def _prepare_case_dir(case: CliCase, out: Path) -> None:
    """Special files and folders some cases write into."""
    out.mkdir(parents=True, exist_ok=True)
    joined = " ".join(case.argv)
    for suffix in ("x.wav", "x.json", "x.safetensors"):
        if f"fifo_{suffix}" in joined:
            os.mkfifo(out / f"fifo_{suffix}")
        if f"null_{suffix}" in joined:
            os.symlink("/dev/null", out / f"null_{suffix}")
        if f"dangling_{suffix}" in joined:
            os.symlink(f"target_{suffix}", out / f"dangling_{suffix}")
    if "{out}/dir.wav" in joined:
        (out / "dir.wav").mkdir()
    if "{out}/full.json" in joined:
        os.symlink("/dev/full", out / "full.json")
    if "{out}/full_dir" in joined:
        (out / "full_dir").mkdir()
        (out / "full_dir" / "keep.txt").write_text("mine")
    if "{out}/a_file" in joined:
        (out / "a_file").write_text("mine")


class _FifoReader:
    def __init__(self, path: Path) -> None:
        self.path, self.received, self.stop = path, 0, False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        import select

        fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        try:
            while True:
                ready, _, _ = select.select([fd], [], [], 0.05)
                if ready:
                    chunk = os.read(fd, 1 << 16)
                    self.received += len(chunk)
                    if chunk:
                        continue
                if self.stop:
                    return
                if not ready:
                    continue
                time.sleep(0.02)  # EOF with no writer yet: keep waiting until the case ends
        finally:
            os.close(fd)


def _snapshot(folder: Path) -> dict[str, tuple]:
    state = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            info = os.lstat(path)
            state[path] = (stat.S_IFMT(info.st_mode), info.st_size if stat.S_ISREG(info.st_mode) else 0,
                           info.st_mtime_ns if stat.S_ISREG(info.st_mode) else 0)
    return state


def _leftovers(folder: Path, newer_than: float | None = None) -> list[str]:
    """Temporary names the pack uses (".name.XXXX.part.ext", ".name.XXXX.previous") under `folder`;
    with `newer_than`, only the top level and only those modified since then (a shared /tmp)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            if ".part" in name or name.endswith(".previous"):
                path = os.path.join(dirpath, name)
                try:
                    if newer_than is None or os.lstat(path).st_mtime >= newer_than:
                        found.append(path)
                except OSError:
                    pass
        if newer_than is not None:
            break
    return found


def _system_specials() -> list[str]:
    return [p for p in ("/dev/null", "/dev/full") if not stat.S_ISCHR(os.lstat(p).st_mode)]


def run_cli_case(case: CliCase, inputs_root: Path, out_root: Path, index: int, listener: Listener) -> Result:
    out = out_root / f"{index:04d}"
    _prepare_case_dir(case, out)
    argv = [a.replace("{out}", str(out)) for a in case.argv]
    before = _snapshot(inputs_root)
    out_before = set(os.listdir(out))
    connections = listener.count
    marker = out_root / f"network_{index:04d}"
    stdout_path, stderr_path = out_root / f"{index:04d}.stdout", out_root / f"{index:04d}.stderr"
    private_tmp = out_root / f"{index:04d}.tmp"
    private_tmp.mkdir()
    reader = _FifoReader(out / case.fifo_reader) if case.fifo_reader else None
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: the CLI, in-process, under the memory limit
        rc = 120
        try:
            os.chdir(inputs_root)
            for fd, path in ((1, stdout_path), (2, stderr_path)):
                handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                os.dup2(handle, fd)
                os.close(handle)
            os.environ["TMPDIR"] = str(private_tmp)  # its own temporary folder: leftovers are its own
            tempfile.tempdir = None
            limit = resource.RLIMIT_DATA if uses_torch(case) else resource.RLIMIT_AS
            resource.setrlimit(limit, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
            guard_python_sockets(marker)
            import atexit

            atexit._clear()  # the parent's exit handlers are not the case's
            from pavas_core.cli import main

            rc = main(argv)
            atexit._run_exitfuncs()  # what a normal exit runs (torch removes a temporary folder there)
        except SystemExit as exc:  # argparse
            rc = exc.code if isinstance(exc.code, int) else 2
        except BaseException:
            import traceback

            traceback.print_exc()
            rc = 121
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(rc)
    if case.send_signal is not None:
        time.sleep(case.delay_s)
        try:
            os.kill(pid, case.send_signal)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + CASE_TIMEOUT_S
    timed_out = False
    while True:
        waited, status, usage = os.wait4(pid, os.WNOHANG)
        if waited:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            waited, status, usage = os.wait4(pid, 0)
            timed_out = True
            break
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    if reader is not None:
        time.sleep(0.1)
        reader.stop = True
        reader.thread.join(2)
    rc = os.waitstatus_to_exitcode(status)
    stdout = stdout_path.read_text(errors="replace")
    stderr = stderr_path.read_text(errors="replace")
    violations: list[str] = []
    if timed_out:
        violations.append(f"still running after {CASE_TIMEOUT_S:.0f} s (killed)")
    if case.send_signal is not None:
        expected_rc = 130 if case.send_signal == signal.SIGINT else 128 + case.send_signal
        outcome = f"signal {signal.Signals(case.send_signal).name}"
        if rc != expected_rc:
            violations.append(f"exit status {rc} after {signal.Signals(case.send_signal).name}, expected {expected_rc}")
    else:
        outcome = "ok" if rc == 0 else ("error" if rc == 2 else f"exit {rc}")
        allowed = {"ok": {0}, "error": {2}, "any": {0, 2}}[case.expect]
        if rc not in allowed:
            violations.append(f"exit status {rc}, expected {' or '.join(map(str, sorted(allowed)))}")
    if rc < 0:
        violations.append(f"killed by signal {-rc}")
    if "Traceback" in stderr or "internal error" in stderr:
        last = [line for line in stderr.splitlines() if line.strip()][-1:] or [""]
        violations.append(f"stderr shows a crash: {last[0][:160]}")
    elif rc == 2 and case.send_signal is None:
        errors = [line for line in stderr.splitlines() if line.startswith("error:")]
        if len(errors) != 1:
            violations.append(f"{len(errors)} 'error:' lines on stderr (expected exactly one)")
    if case.send_signal is not None or rc != 0:
        new = sorted(set(os.listdir(out)) - out_before) if out.exists() else []
        if new:
            violations.append(f"outputs left after a failure: {', '.join(new)}")
    for path in _leftovers(out_root.parent / "in") + _leftovers(out):
        violations.append(f"temporary file left: {os.path.relpath(path, out_root.parent)}")
        shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else os.unlink(path)
    for path in sorted(os.listdir(private_tmp)):
        violations.append(f"temporary file left in its temporary folder: {path}")
    shutil.rmtree(private_tmp, ignore_errors=True)
    if case.check is not None:
        if reader is not None:
            case.check.received = reader.received  # type: ignore[attr-defined]
        if rc == 0:
            violations += case.check(out)
    after = _snapshot(inputs_root)
    for scratch in case.scratch:  # outputs a case writes beside the inputs on purpose
        path = inputs_root / scratch
        if os.path.lexists(path):
            os.unlink(path)
        after.pop(str(path), None)
    if after != before:
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        violations.append(f"inputs changed: {', '.join(os.path.relpath(c, inputs_root) for c in changed[:4])}")
    violations += [f"{p} is no longer a character device" for p in _system_specials()]
    payload = inputs_root / "models" / "PAYLOAD_RAN"
    if payload.exists():
        violations.append("a pickle payload ran")
        payload.unlink()
    if listener.count != connections or marker.exists():
        violations.append("a network connection was attempted")
    shutil.rmtree(out, ignore_errors=True)  # checked: free the space (some outputs are hundreds of MB)
    detail = (stderr.strip().splitlines() or stdout.strip().splitlines() or [""])[-1][:200]
    limit = "data" if uses_torch(case) else "address space"
    return Result(case.klass, case.verb, case.label, outcome, violations, usage.ru_maxrss, seconds, detail, limit)


# --- node cases (run inside a worker with the ComfyUI fakes) ---------------------------------------

def _with_fps(tracks, fps: float):
    tracks.fps = fps
    return tracks


def node_worker(workdir: Path, quick: bool, port: int, only: set[str] | None = None) -> None:
    """Run every node case in this process and print one JSON line per result."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.path.insert(0, str(REPO / "tests" / "nodes"))
    import pavas_comfy_fakes

    import importlib.util

    import numpy as np
    import torch

    torch.set_num_threads(1)
    fake = pavas_comfy_fakes.install(workdir / "comfyui")
    for sub in ("input", "output", "temp", "models"):
        (workdir / "comfyui" / sub).mkdir(parents=True, exist_ok=True)
    spec = importlib.util.spec_from_file_location("pavas_pack", REPO / "__init__.py",
                                                  submodule_search_locations=[str(REPO)])
    pack = importlib.util.module_from_spec(spec)
    sys.modules["pavas_pack"] = pack
    spec.loader.exec_module(pack)
    core_errors = sys.modules["pavas_pack.pavas_core.errors"]
    core = sys.modules["pavas_pack.pavas_core"]
    import importlib

    tracks_mod = importlib.import_module("pavas_pack.pavas_core.physics.tracks")
    marker = workdir / "node_network_marker"
    guard_python_sockets(marker)
    listener = Listener()

    from _hostile_media import build_inputs, physics_doc, many_impacts, write_hostile_weights

    inputs = build_inputs(fake.input_dir, listener.port, quick=quick)
    weights = write_hostile_weights(fake.models_dir / "mmaudio")
    nodes = pack.NODE_CLASS_MAPPINGS

    def node(node_id):
        return nodes[node_id]()

    def tracks(doc=None):
        return tracks_mod.PhysicsTracks.from_dict(doc or physics_doc())

    def audio(rate=16000, seconds=1.0, channels=1):
        n = int(rate * seconds)
        return {"waveform": torch.zeros(1, channels, max(1, min(n, 10 * 16000))), "sample_rate": rate}

    def clip(frames=12, size=(64, 48), fps=12.0):
        images = torch.rand(frames, size[1], size[0], 3)
        return node("PAVAS_ClipFromFrames").make_clip(fps=fps, images=images)[3]

    load_defaults = dict(max_side=512, force_fps=0.0, start_s=0.0, max_duration_s=0.0)
    cases: list[tuple[int, str, str, str, Callable, bool]] = []

    def add(klass, target, label, expect, fn, quick_case=False):
        cases.append((klass, target, label, expect, fn, quick_case))

    rel = {k: os.path.relpath(v, fake.input_dir) for k, v in inputs.items()}
    # Load Video over every hostile file; Estimate / Foley / Mux over what it gives
    for key in ("ok", "late_stamp", "sparse_vfr", "gif_canvas", "gif_delay", "audio_2ghz", "tiny", "thin", "one_frame",
                "empty", "corrupt", "truncated", "text_video", "directory", "link_loop", "dangling", "fifo",
                "colon", "url_like", "non_utf8_name"):
        klass = 2 if key in ("late_stamp", "sparse_vfr", "gif_canvas", "gif_delay", "audio_2ghz") else \
            1 if key in ("colon", "url_like") else 5
        expect = "ok" if key in ("ok", "colon", "url_like", "non_utf8_name", "tiny", "thin", "one_frame") else "error"
        add(klass, "PAVAS_LoadVideo", f"video: {key}", expect,
            lambda key=key: node("PAVAS_LoadVideo").load(video=rel[key], **load_defaults),
            quick_case=key in ("late_stamp", "fifo", "url_like"))
        add(klass, "PAVAS_LoadVideo", f"video: {key}, resampled to 25 fps", expect,
            lambda key=key: node("PAVAS_LoadVideo").load(video=rel[key], **dict(load_defaults, force_fps=25.0)))

        def chain(key=key):
            loaded = node("PAVAS_LoadVideo").load(video=rel[key], **load_defaults)
            physics, _ = node("PAVAS_EstimatePhysics").estimate(loaded[3], "", 0.0, 0.0, 0.0, 4)["result"]
            node("PAVAS_PhysicsFoley").synthesize(physics, 44100, 0.0, 0)
            node("PAVAS_MuxVideo").mux(audio=loaded[2], clip=loaded[3])

        add(klass, "PAVAS_EstimatePhysics+Foley+Mux", f"chain from video: {key}", "ok" if key == "ok" else "any", chain)
    add(2, "PAVAS_LoadVideo", "the longest allowed clip: 1 h in 364 frames", "ok",
        lambda: node("PAVAS_LoadVideo").load(video=rel["hour"], **load_defaults))
    for label, kwargs, expect in (
        ("max_side NaN", dict(load_defaults, max_side=float("nan")), "error"),
        ("max_side 1e9", dict(load_defaults, max_side=10**9), "error"),
        ("force_fps inf", dict(load_defaults, force_fps=float("inf")), "error"),
        ("force_fps 1e-9", dict(load_defaults, force_fps=1e-9), "error"),
        ("start_s NaN", dict(load_defaults, start_s=float("nan")), "error"),
        ("start_s past the end", dict(load_defaults, start_s=50.0), "error"),
        ("max_duration_s 1e-12", dict(load_defaults, max_duration_s=1e-12), "any"),
        ("max_duration_s -1", dict(load_defaults, max_duration_s=-1.0), "error"),
    ):
        add(5, "PAVAS_LoadVideo", label, expect, lambda kwargs=kwargs: node("PAVAS_LoadVideo").load(video=rel["ok"], **kwargs),
            quick_case=label == "max_side NaN")
    for label, name in (("NUL byte in the name", "ok\x00.mp4"), ("path traversal", "../../etc/passwd"),
                        ("absolute path", "/etc/passwd"), ("empty name", ""), ("not text", 5)):
        add(5, "PAVAS_LoadVideo", label, "error", lambda name=name: node("PAVAS_LoadVideo").load(video=name, **load_defaults),
            quick_case=label.startswith("NUL"))
    add(5, "PAVAS_LoadVideo", "max_duration_s 1e-12 then estimate", "error",
        lambda: node("PAVAS_EstimatePhysics").estimate(
            node("PAVAS_LoadVideo").load(video=rel["ok"], **dict(load_defaults, max_duration_s=1e-12))[3],
            "", 0.0, 0.0, 0.0, 4))

    # Clip From Frames
    for label, kwargs, expect in (
        ("fps NaN", dict(fps=float("nan"), images=torch.rand(4, 32, 32, 3)), "error"),
        ("fps 1e-9 through a link", dict(fps=1e-9, images=torch.rand(4, 32, 32, 3)), "error"),
        ("fps 1e12", dict(fps=1e12, images=torch.rand(4, 32, 32, 3)), "error"),
        ("NaN pixels", dict(fps=24.0, images=torch.full((2, 8, 8, 3), float("nan"))), "error"),
        ("int32 pixels", dict(fps=24.0, images=torch.ones(2, 8, 8, 3, dtype=torch.int32)), "error"),
        ("wrong rank", dict(fps=24.0, images=torch.rand(8, 8)), "error"),
        ("empty", dict(fps=24.0, images=torch.rand(0, 8, 8, 3)), "error"),
        ("audio at 1e9 Hz", dict(fps=24.0, images=torch.rand(2, 8, 8, 3), audio=audio(rate=10**9)), "error"),
        ("audio rate NaN", dict(fps=24.0, images=torch.rand(2, 8, 8, 3),
                                audio={"waveform": torch.zeros(1, 1, 10), "sample_rate": float("nan")}), "error"),
        ("audio waveform NaN", dict(fps=24.0, images=torch.rand(2, 8, 8, 3),
                                    audio={"waveform": torch.full((1, 1, 10), float("nan")), "sample_rate": 16000}), "error"),
        ("audio not a mapping", dict(fps=24.0, images=torch.rand(2, 8, 8, 3), audio=[1, 2]), "error"),
        ("video not a VIDEO", dict(fps=24.0, video="video.mp4"), "error"),
        ("nothing connected", dict(fps=24.0), "error"),
    ):
        add(5 if "1e" not in label else 2, "PAVAS_ClipFromFrames", label, expect,
            lambda kwargs=kwargs: node("PAVAS_ClipFromFrames").make_clip(**kwargs), quick_case=label == "fps NaN")

    # Estimate Physics
    small = clip(frames=12, size=(2, 2))
    for label, args, expect in (
        ("2x2 frames", (small, "", 0.0, 0.0, 0.0, 4), "error"),
        ("4000x16 frames", (clip(frames=4, size=(4000, 16)), "", 0.0, 0.0, 0.0, 4), "error"),
        ("object_size_m NaN", (clip(), "", float("nan"), 0.0, 0.0, 4), "error"),
        ("focal_px inf", (clip(), "", 0.0, 0.0, float("inf"), 4), "error"),
        ("max_objects 1e9", (clip(), "", 0.0, 0.0, 0.0, 10**9), "error"),
        ("NUL in object names", (clip(), "ball\x00", 0.0, 0.0, 0.0, 4), "error"),
        ("clip is a string", ("clip", "", 0.0, 0.0, 0.0, 4), "error"),
    ):
        add(5, "PAVAS_EstimatePhysics", label, expect,
            lambda args=args: node("PAVAS_EstimatePhysics").estimate(*args), quick_case=label == "2x2 frames")

    # Edit Physics, Preview, Foley, Mix, APCC
    for label, kwargs in (("mass_scale NaN", dict(mass_scale=float("nan"))), ("mass_kg inf", dict(mass_kg=float("inf"))),
                          ("speed_scale 1e300", dict(speed_scale=1e300)), ("object_id 1e12", dict(object_id=10**12)),
                          ("material unknown", dict(material="unobtainium"))):
        full = dict(physics=tracks(), object_id=-1, mass_scale=1.0, mass_kg=0.0, speed_scale=1.0, material="keep")
        full.update(kwargs)
        add(5, "PAVAS_EditPhysics", label, "error", lambda full=full: node("PAVAS_EditPhysics").edit(**full))
    for label, (width, height), klass in ((("20000x20000 through a link"), (20000, 20000), 2),
                                         ("NaN width", (float("nan"), 320), 5), ("negative", (-5, -5), 5)):
        add(klass, "PAVAS_PhysicsPreview", label, "error",
            lambda width=width, height=height: node("PAVAS_PhysicsPreview").preview(tracks(), width, height),
            quick_case=klass == 2)
    add(5, "PAVAS_PhysicsPreview", "physics is a dict", "error", lambda: node("PAVAS_PhysicsPreview").preview({}, 768, 320))
    for label, args, klass, expect in (
        ("sample rate 1e9 through a link", (tracks(), 10**9, 0.0, 0), 2, "error"),
        ("duration 1e9", (tracks(), 44100, 1e9, 0), 2, "error"),
        ("duration NaN", (tracks(), 44100, float("nan"), 0), 5, "error"),
        ("seed 2^64-1", (tracks(), 44100, 0.0, 2**64 - 1), 5, "ok"),
        ("seed -1", (tracks(), 44100, 0.0, -1), 5, "error"),
        ("physics lasting 1e300 s", (_with_fps(tracks(), 1e-300), 44100, 0.0, 0), 2, "error"),
    ):
        add(klass, "PAVAS_PhysicsFoley", label, expect, lambda args=args: node("PAVAS_PhysicsFoley").synthesize(*args),
            quick_case=label.startswith("sample rate"))
    mix_defaults = dict(gain_a_db=0.0, gain_b_db=-6.0, sample_rate="highest input", length="longest", prevent_clipping=True)
    for label, a, b, kwargs, klass in (
        ("an input at 1e9 Hz", audio(rate=10**9), audio(), {}, 2),
        ("sample rate 1e9 through a link", audio(), audio(), {"sample_rate": "1000000000"}, 2),
        ("gain NaN", audio(), audio(), {"gain_a_db": float("nan")}, 5),
        ("gain 1e300", audio(), audio(), {"gain_b_db": 1e300}, 5),
        ("an input is a string", "audio", audio(), {}, 5),
        ("3-D waveform with 0 channels", {"waveform": torch.zeros(1, 0, 10), "sample_rate": 16000}, audio(), {}, 5),
    ):
        add(klass, "PAVAS_AudioMix", label, "error",
            lambda a=a, b=b, kwargs=kwargs: node("PAVAS_AudioMix").mix(a, b, **dict(mix_defaults, **kwargs)),
            quick_case=klass == 2)
    crowded = physics_doc(num_frames=3000, impacts=many_impacts(100_000, 100.0))
    add(2, "PAVAS_APCCScore", "100000 impacts (linear, not quadratic)", "ok",
        lambda: node("PAVAS_APCCScore").score(tracks(crowded), audio(seconds=100.0)), quick_case=True)
    add(2, "PAVAS_APCCScore", "audio at 1e9 Hz", "error", lambda: node("PAVAS_APCCScore").score(tracks(), audio(rate=10**9)))
    add(5, "PAVAS_APCCScore", "audio NaN", "error", lambda: node("PAVAS_APCCScore").score(
        tracks(), {"waveform": torch.full((1, 1, 100), float("nan")), "sample_rate": 16000}))
    add(5, "PAVAS_MuxVideo", "audio is None-like", "error", lambda: node("PAVAS_MuxVideo").mux(audio={}, clip=clip()))
    add(5, "PAVAS_MuxVideo", "nothing to mux into", "error", lambda: node("PAVAS_MuxVideo").mux(audio=audio()))

    # weight files (classes 1 and 6, and 5 for malformed ones)
    valid = {k[len("valid_"):]: v for k, v in weights.items() if k.startswith("valid_")}

    def features(**override):
        names = dict(vae=valid["vae"], vocoder=valid["vocoder"], synchformer=valid["synchformer"], clip=valid["clip"])
        names.update(override)
        return node("PAVAS_MMAudioFeatureLoader").load(precision="fp32", **names)

    def marker_ran():
        return (fake.models_dir / "mmaudio" / "PAYLOAD_RAN").exists()

    add(1, "PAVAS_MMAudioFeatureLoader", "CLIP metadata with hub options", "error",
        lambda: features(clip=weights["clip_hub_options"]), quick_case=True)
    for key, role, klass in (("clip_meta_not_json", "clip", 5), ("clip_meta_deep", "clip", 5),
                             ("synch_heads_zero", "synchformer", 5), ("synch_heads_text", "synchformer", 5),
                             ("synch_wrong_rank", "synchformer", 5), ("vae_int32", "vae", 5),
                             ("vae_wrong_rank", "vae", 5), ("vocoder_wrong_rank", "vocoder", 5),
                             ("vocoder_bad_config", "vocoder", 5), ("vocoder_deep_config", "vocoder", 5),
                             ("truncated_safetensors", "clip", 5), ("text_pth", "vae", 5),
                             ("zip_bomb", "vae", 2), ("legacy_pth", "vae", 6), ("pickle_payload", "vae", 6)):
        add(klass, "PAVAS_MMAudioFeatureLoader", f"{role}: {key}", "error",
            lambda key=key, role=role: features(**{role: weights[key]}), quick_case=key in ("synch_heads_zero", "zip_bomb"))
    add(5, "PAVAS_MMAudioModelLoader", "network: wrong rank", "error",
        lambda: node("PAVAS_MMAudioModelLoader").load(weights["model_wrong_rank"], "fp32"))
    add(6, "PAVAS_MMAudioModelLoader", "network: pickle payload", "error",
        lambda: node("PAVAS_MMAudioModelLoader").load(weights["pickle_payload"], "fp32"), quick_case=True)
    add(5, "PAVAS_MMAudioModelLoader", "network: NUL in the name", "error",
        lambda: node("PAVAS_MMAudioModelLoader").load("model\x00.pth", "fp32"))
    add(5, "PAVAS_MMAudioModelLoader", "network: missing file", "error",
        lambda: node("PAVAS_MMAudioModelLoader").load("nope.pth", "fp32"))

    def old_torch():
        saved = torch.__version__
        torch.__version__ = "2.5.1"
        try:
            node("PAVAS_MMAudioModelLoader").load(valid["model"], "fp32")
        finally:
            torch.__version__ = saved

    add(6, "PAVAS_MMAudioModelLoader", ".pth on torch 2.5 (CVE-2025-32434)", "error", old_torch, quick_case=True)

    def sample(**kwargs):
        (model,) = node("PAVAS_MMAudioModelLoader").load(valid["model"], "fp32")
        (feats,) = features()
        args = dict(mmaudio_model=model, feature_encoders=feats, prompt="", negative_prompt="", duration_s=0.0,
                    steps=1, cfg=4.5, seed=0)
        args.update(kwargs)
        return node("PAVAS_MMAudioSampler").sample(**args)

    add(5, "PAVAS_MMAudioSampler", "seed 2^64-1 on a 12 s clip (two windows)", "ok",
        lambda: sample(seed=2**64 - 1, clip=clip(frames=96, size=(64, 48), fps=8.0)), quick_case=True)
    add(5, "PAVAS_MMAudioSampler", "cfg NaN through a link", "error", lambda: sample(cfg=float("nan")))
    add(5, "PAVAS_MMAudioSampler", "steps 1e9 through a link", "error", lambda: sample(steps=10**9))
    add(5, "PAVAS_MMAudioSampler", "duration 1e9", "error", lambda: sample(duration_s=1e9))
    add(5, "PAVAS_MMAudioSampler", "seed 2^64", "error", lambda: sample(seed=2**64))

    # the staged physics, geometry, perception and Phy-Adapter nodes, and every node's schema sweep
    from _hostile_models import PAYLOAD_MARKER, write_hostile_models
    from _hostile_node_cases import learned_node_cases, node_coverage, sweep_cases

    learned = not quick
    hostile_models = write_hostile_models(fake.models_dir, learned=learned)
    handles: dict[str, object] = {}

    def handle(key, make):
        if key not in handles:
            handles[key] = make()
        return handles[key]

    env = SimpleNamespace(
        node=node, nodes=nodes, clip=clip, tracks=tracks, rel=rel, models=hostile_models, learned=learned,
        physics_doc=physics_doc, many_impacts=many_impacts,
        adapter_handle=lambda: handle("adapter", lambda: node("PAVAS_LoadPhyAdapter").load("valid.safetensors", "fp32")[0]),
        network_handle=lambda: handle("network", lambda: node("PAVAS_MMAudioModelLoader").load(valid["model"], "fp32")[0]),
        features_handle=lambda: handle("features", lambda: features()[0]))
    learned_node_cases(add, env)
    sweep_cases(add, nodes)
    for node_id in node_coverage(cases, nodes):
        if not only or node_id in only:
            print(json.dumps(Result(5, node_id, "coverage", "missing",
                                    [f"the node {node_id} has no case in the matrix"]).__dict__), flush=True)
    payload_marker = fake.models_dir / PAYLOAD_MARKER

    for klass, target, label, expect, fn, quick_case in cases:
        if quick and not quick_case:
            continue
        if only and target not in only:
            continue
        connections = listener.count
        started = time.perf_counter()
        violations, outcome, detail = [], "ok", ""
        try:
            fn()
        except core_errors.PavasError as exc:
            outcome, detail = "error", str(exc).splitlines()[0][:200] if str(exc) else ""
            if not str(exc).strip():
                violations.append("an error with no message")
        except MemoryError as exc:
            outcome, detail = "crash", f"MemoryError: {exc}"
            violations.append(f"out of memory: {exc}"[:200])
        except BaseException as exc:  # noqa: BLE001 — anything else is what the matrix looks for
            outcome, detail = "crash", f"{type(exc).__name__}: {exc}"[:200]
            violations.append(f"raw exception {type(exc).__name__}: {str(exc)[:160]}")
        if expect == "ok" and outcome == "error":
            violations.append(f"refused a valid input: {detail}")
        if expect == "error" and outcome == "ok":
            violations.append("accepted an input that must be refused")
        if listener.count != connections or marker.exists():
            violations.append("a network connection was attempted")
            marker.unlink(missing_ok=True)
        if marker_ran() or payload_marker.exists():
            violations.append("a pickle payload ran")
            payload_marker.unlink(missing_ok=True)
        result = Result(klass, target, label, outcome, violations,
                        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, time.perf_counter() - started, detail)
        print(json.dumps(result.__dict__), flush=True)


def run_node_cases(workdir: Path, quick: bool, only: set[str] | None = None) -> list[Result]:
    """Node cases in a fresh worker process under a 4 GB data limit; its results."""

    def limit():
        resource.setrlimit(resource.RLIMIT_DATA, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))

    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", PYTHONPATH=str(REPO))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--node-worker", str(workdir)] + (["--quick"] if quick else [])
    if only:
        cmd += ["--only", ",".join(sorted(only))]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, preexec_fn=limit, timeout=1800)
    results = []
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            results.append(Result(**json.loads(line)))
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1][:200]
        results.append(Result(5, "node worker", "worker process", "crash",
                              [f"worker exited with status {proc.returncode}: {tail}"]))
    return results


def _write_models_in_a_subprocess(root: Path, *, learned: bool) -> dict[str, Path]:
    """The hostile model files, written by another process: this one must not import torch and
    transformers before forking the CLI cases (their address space would count against each case's
    4 GB limit)."""
    code = ("import json, sys; from pathlib import Path; from _hostile_models import write_hostile_models; "
            "print(json.dumps({k: str(v) for k, v in write_hostile_models(Path(sys.argv[1]), "
            "learned=sys.argv[2] == '1').items()}))")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(HERE)]))
    proc = subprocess.run([sys.executable, "-c", code, str(root), "1" if learned else "0"], capture_output=True,
                          text=True, env=env, timeout=1200, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"writing the hostile model files failed: {proc.stderr.strip()[-2000:]}")
    return {k: Path(v) for k, v in json.loads(proc.stdout.strip().splitlines()[-1]).items()}


def verb_coverage(cases: list[CliCase], only: set[str] | None = None) -> list[Result]:
    """A violation for each CLI verb without a case (a verb added later must get its cases)."""
    from pavas_core.cli import VERBS

    covered = {c.verb for c in cases}
    return [Result(5, verb, "coverage", "missing", [f"the verb {verb!r} has no case in the matrix"])
            for verb in VERBS if verb not in covered and (not only or verb in only)]


def run_matrix(*, quick: bool = False, nodes: bool = True, cli: bool = True, workdir: Path | None = None,
               only: set[str] | None = None, learned_only: bool = False,
               match: list[str] | None = None) -> list[Result]:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    own = workdir is None
    root = Path(tempfile.mkdtemp(prefix="pavas_hostile_")) if own else workdir
    results: list[Result] = []
    try:
        if cli:
            listener = Listener()
            from _hostile_media import build_inputs

            inputs_root = root / "in"
            inputs = build_inputs(inputs_root, listener.port, quick=quick)
            # import what the verbs use before forking: each case then starts in milliseconds
            import pavas_core.cli  # noqa: F401
            import pavas_core.metrics.cli  # noqa: F401
            import pavas_core.physics.cli  # noqa: F401
            import pavas_core.physics.estimate  # noqa: F401
            import pavas_core.pipeline  # noqa: F401
            import pavas_core.scenes.cli  # noqa: F401
            import pavas_core.scenes.dataset  # noqa: F401
            import pavas_core.synth  # noqa: F401
            import pavas_core.video  # noqa: F401
            import scipy.signal  # noqa: F401

            models = _write_models_in_a_subprocess(inputs_root / "models", learned=not quick)
            out_root = root / "out"
            out_root.mkdir()
            every = ([] if learned_only else cli_cases(inputs, listener.port)) + learned_cli_cases(inputs, models)
            cases = [c for c in every if (c.quick or not quick) and (not only or c.verb in only)
                     and (not match or any(m in c.label for m in match))]
            if not learned_only:
                results += verb_coverage(every, only)
            for index, case in enumerate(cases):
                results.append(run_cli_case(case, inputs_root, out_root, index, listener))
        if nodes:
            results += run_node_cases(root / "nodes", quick, only)
    finally:
        if own:
            shutil.rmtree(root, ignore_errors=True)
    return results


def summarize(results: list[Result]) -> str:
    lines = []
    by_class: dict[int, list[Result]] = defaultdict(list)
    for r in results:
        by_class[r.klass].append(r)
    lines.append(f"{'class':<52} {'cases':>6} {'violations':>10}")
    for klass in sorted(by_class):
        rs = by_class[klass]
        bad = sum(1 for r in rs if r.violations)
        lines.append(f"{klass} {CLASSES[klass]:<50} {len(rs):>6} {bad:>10}")
    targets: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        targets[r.target].append(r)
    lines.append("")
    lines.append(f"{'verb / node':<52} {'cases':>6} {'violations':>10}")
    for target in sorted(targets):
        rs = targets[target]
        lines.append(f"{target:<52} {len(rs):>6} {sum(1 for r in rs if r.violations):>10}")
    total_bad = sum(1 for r in results if r.violations)
    lines.append("")
    lines.append(f"total: {len(results)} cases, {total_bad} violations")
    cli_results = [r for r in results if not r.target.startswith("PAVAS_") and r.target != "node worker"]
    for limit in ("address space", "data"):
        limited = [r for r in cli_results if r.limit == limit]
        if limited:
            worst = max(limited, key=lambda r: r.peak_kb)
            lines.append(f"worst CLI case under a {MEMORY_LIMIT_BYTES // 1024} KB {limit} limit: "
                         f"{worst.peak_kb / 1024:.0f} MB peak ({worst.target}: {worst.label}; {len(limited)} cases)")
    node_results = [r for r in results if r.target.startswith("PAVAS_")]
    if node_results:
        worst = max(node_results, key=lambda r: r.peak_kb)
        lines.append(f"node worker peak under a {MEMORY_LIMIT_BYTES // 1024} KB data limit: {worst.peak_kb / 1024:.0f} MB "
                     f"(reached by or before: {worst.target}: {worst.label})")
    if total_bad:
        lines.append("")
        lines.append("violations:")
        for r in results:
            for v in r.violations:
                lines.append(f"  [{r.klass}] {r.target}: {r.label}: {v}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    global CASE_TIMEOUT_S
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one or two cases per class and target")
    parser.add_argument("--no-nodes", action="store_true", help="CLI verbs only")
    parser.add_argument("--no-cli", action="store_true", help="nodes only")
    parser.add_argument("--json", metavar="OUT", help="also write every result as JSON")
    parser.add_argument("--case-timeout", type=float, default=90.0, metavar="S",
                        help="seconds before a CLI case counts as hung (default 90)")
    parser.add_argument("--only", metavar="TARGETS", help="comma-separated verbs and node ids: run only their cases")
    parser.add_argument("--match", metavar="TEXTS", help="CLI: only cases whose label holds one of these "
                                                         "comma-separated texts")
    parser.add_argument("--learned-only", action="store_true",
                        help="CLI: only the cases of the learned parts and the newer verbs and flags")
    parser.add_argument("--node-worker", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    only = set(args.only.split(",")) if args.only else None
    if args.node_worker:
        node_worker(Path(args.node_worker), args.quick, 0, only)
        return 0
    CASE_TIMEOUT_S = args.case_timeout
    started = time.perf_counter()
    results = run_matrix(quick=args.quick, nodes=not args.no_nodes, cli=not args.no_cli, only=only,
                         learned_only=args.learned_only, match=args.match.split(",") if args.match else None)
    print(summarize(results))
    print(f"({time.perf_counter() - started:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps([r.__dict__ for r in results], indent=1))
    return 1 if any(r.violations for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
