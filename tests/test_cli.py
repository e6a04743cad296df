import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "pavas_core", *args], cwd=ROOT, capture_output=True, text=True)


def test_unknown_verb_fails_without_traceback():
    r = run_cli("frobnicate")
    assert r.returncode != 0 and "Traceback" not in r.stderr


def test_bad_input_is_one_line_and_nonzero(tmp_path):
    r = run_cli("run", str(tmp_path / "missing.mp4"), "-o", str(tmp_path / "out.wav"))
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    assert r.stderr.strip().count("\n") == 0 and r.stderr.startswith("error:")
    assert not (tmp_path / "out.wav").exists()


def test_weight_free_cli_does_not_import_torch():
    code = "import sys, pavas_core.cli, pavas_core.pipeline; print('torch' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert r.stdout.strip() == "False", r.stderr


def _long_video(path):
    import numpy as np

    from pavas_core.video import write_video

    frames = np.full((180, 120, 160, 3), 30, np.uint8)
    for i in range(180):
        frames[i, 40:56, (i * 3) % 140:(i * 3) % 140 + 16] = 220
    write_video(path, frames, 30.0)
    return path


def test_sigterm_and_sighup_stop_a_run_without_leaving_files(tmp_path):
    """Class 4 of the hostile-input issue: a terminated run leaves neither outputs nor .part files
    (SIGINT always did; SIGTERM and SIGHUP used to kill the process with its temporary files)."""
    import signal
    import time

    video = _long_video(tmp_path / "long.mp4")
    for signum in (signal.SIGTERM, signal.SIGHUP):
        out = tmp_path / f"out_{signum}"
        out.mkdir()
        proc = subprocess.Popen([sys.executable, "-m", "pavas_core", "run", str(video), "-o", str(out / "a.wav"),
                                 "--mux", str(out / "a.mp4"), "--physics", str(out / "p.json")],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while not any(out.iterdir()) and time.monotonic() < deadline:  # the outputs are reserved: it is working
            time.sleep(0.02)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 128 + signum, err
        assert "Traceback" not in err
        assert list(out.iterdir()) == []


@pytest.mark.parametrize("case", ["directory", "link_loop", "not_utf8", "deep", "nan_option", "tiny_analysis",
                                  "two_by_two", "bad_choice"])
def test_user_errors_are_one_line_and_exit_status_2(case, tmp_path, capsys):
    """Class 5 of the hostile-input issue: what a user got wrong is said in one line, status 2."""
    import numpy as np

    from pavas_core.cli import main
    from pavas_core.video import AudioTrack, write_video, write_wav

    video = tmp_path / "v.mp4"
    write_video(video, np.random.default_rng(0).integers(0, 255, (6, 32, 48, 3), dtype=np.uint8), 30.0)
    write_wav(tmp_path / "a.wav", AudioTrack(np.zeros((1, 1600), np.float32), 16000))
    (tmp_path / "dir.mp4").mkdir()
    os.symlink("loop.mp4", tmp_path / "loop.mp4")
    (tmp_path / "bytes.json").write_bytes(b'{"schema": 1, "objects": "\xff\xfe"}')
    (tmp_path / "deep.json").write_text("[" * 50_000 + "]" * 50_000)
    write_video(tmp_path / "tiny.mp4", np.zeros((6, 2, 2, 3), np.uint8), 30.0)
    argv = {
        "directory": ["run", str(tmp_path / "dir.mp4"), "-o", str(tmp_path / "x.wav")],
        "link_loop": ["estimate", str(tmp_path / "loop.mp4"), "-o", str(tmp_path / "x.json")],
        "not_utf8": ["apcc", "--physics", str(tmp_path / "bytes.json"), "--audio", str(tmp_path / "a.wav")],
        "deep": ["apcc", "--physics", str(tmp_path / "deep.json"), "--audio", str(tmp_path / "a.wav")],
        "nan_option": ["run", str(video), "-o", str(tmp_path / "x.wav"), "--mass-kg", "nan"],
        "tiny_analysis": ["run", str(video), "-o", str(tmp_path / "x.wav"), "--analysis-max-side", "1"],
        "two_by_two": ["estimate", str(tmp_path / "tiny.mp4"), "-o", str(tmp_path / "x.json")],
        "bad_choice": ["run", str(video), "-o", str(tmp_path / "x.wav"), "--sample-rate", "7"],
    }[case]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err and "internal error" not in err, err
    assert not (tmp_path / "x.wav").exists() and not (tmp_path / "x.json").exists()
