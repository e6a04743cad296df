"""The quick subset of the bad-input matrix (bench/hostile_inputs.py): every class of hostile input
against every CLI verb and node, with 0 violations (the full matrix is `bench/hostile_inputs.py`)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quick_bad_input_matrix_has_no_violations():
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "hostile_inputs.py"), "--quick"], cwd=ROOT,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and ", 0 violations" in r.stdout, r.stdout[-4000:] + r.stderr[-2000:]
