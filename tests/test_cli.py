import subprocess
import sys
from pathlib import Path

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
