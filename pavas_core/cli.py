"""`python -m pavas_core <verb>`: one dispatcher, each verb implemented in its own module.

Verb modules are imported only when used (fast start, and a broken optional part cannot take the
other verbs down). Each exposes ``add_arguments(parser)`` and ``main(args) -> int``.
Expected failures (:class:`PavasError`) print one line and exit 2; nothing prints a traceback
unless ``--debug`` is given.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from . import __version__
from .errors import PavasError

# verb -> (module, one-line help)
VERBS: dict[str, tuple[str, str]] = {
    "run": ("pavas_core.pipeline", "estimate physics from a video and synthesize its sound (the main job)"),
    "estimate": ("pavas_core.physics.cli", "estimate per-object mass, speed and impacts → physics.json"),
    "apcc": ("pavas_core.metrics.cli", "APCC (reconstructed): audio–physics correlation of impact sounds"),
    "synth-dataset": ("pavas_core.scenes.cli", "render synthetic impact scenes with exact physics"),
    "bench": ("pavas_core.bench_cli", "run the benchmarks in bench/ and print their figures"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pavas_core", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"pavas_core {__version__}")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    for verb, (_, help_text) in VERBS.items():
        sub.add_parser(verb, help=help_text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    if debug:
        argv.remove("--debug")
    top = build_parser()
    if not argv or argv[0] not in VERBS:
        top.parse_args(argv)  # handles --help/--version, or errors on an unknown verb
        top.print_help()
        return 2
    verb = argv[0]
    module_name, help_text = VERBS[verb]
    try:
        module = importlib.import_module(module_name)
        parser = argparse.ArgumentParser(prog=f"python -m pavas_core {verb}", description=help_text)
        module.add_arguments(parser)
        args = parser.parse_args(argv[1:])
        return int(module.main(args) or 0)
    except PavasError as exc:
        if debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not a user error: still one line, with a way to see more
        if debug:
            raise
        print(f"internal error: {type(exc).__name__}: {exc} (re-run with --debug for the traceback)", file=sys.stderr)
        return 1
