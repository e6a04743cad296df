"""`python -m pavas_core bench [NAME] [-- ARGS...]`: list or run the scripts in bench/.

Benchmarks print their figures (ratios against a baseline measured in the same run); they are
never part of the test suite.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from .errors import BadInputError

BENCH_DIR = Path(__file__).resolve().parent.parent / "bench"


def _scripts() -> dict[str, Path]:
    return {p.stem: p for p in sorted(BENCH_DIR.glob("*.py")) if not p.name.startswith("_")}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", help="benchmark to run (without .py); omit to list them")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the benchmark")


def main(args: argparse.Namespace) -> int:
    scripts = _scripts()
    if not args.name:
        for name, path in scripts.items():
            doc = path.read_text(encoding="utf-8").split('"""')
            first = doc[1].strip().splitlines()[0] if len(doc) > 2 else ""
            print(f"{name:28s} {first}")
        return 0
    if args.name not in scripts:
        raise BadInputError(f"no benchmark named {args.name!r}; available: {', '.join(scripts) or 'none'}")
    extra = [a for a in args.args if a != "--"]
    return subprocess.call([sys.executable, str(scripts[args.name]), *extra], cwd=BENCH_DIR.parent)
