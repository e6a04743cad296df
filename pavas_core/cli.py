"""`python -m pavas_core <verb>`: one dispatcher, each verb implemented in its own module.

Verb modules are imported only when used (fast start, and a broken optional part cannot take the
other verbs down). Each exposes ``add_arguments(parser)`` and ``main(args) -> int``.
Expected failures print one line and exit 2: :class:`PavasError`, an operating-system error about a
file (a full disk, a read-only folder: the user's environment, not a bug), and a number option
that is not finite (argparse's float() accepts "nan" and "inf"). Nothing prints a traceback unless
``--debug`` is given. SIGTERM and SIGHUP stop a verb like Ctrl-C does: temporary files are removed
and no partial output is left (exit status 128 + the signal number).
"""

from __future__ import annotations

import argparse
import importlib
import math
import signal
import sys

from . import __version__
from .errors import BadInputError, PavasError

# verb -> (module, one-line help)
VERBS: dict[str, tuple[str, str]] = {
    "run": ("pavas_core.pipeline", "estimate physics from a video and synthesize its sound (the main job)"),
    "estimate": ("pavas_core.physics.cli", "estimate per-object mass, speed and impacts → physics.json"),
    "apcc": ("pavas_core.metrics.cli", "APCC (reconstructed): audio–physics correlation of impact sounds"),
    "synth-dataset": ("pavas_core.scenes.cli", "render synthetic impact scenes with exact physics"),
    "train": ("pavas_core.train.cli", "train the Phy-Adapter (and the DiT) on clips with physics, or make a fresh adapter; --config tiny: PAVAS-tiny from scratch"),
    "evaluate": ("pavas_core.evaluate", "APCC-Δ, onset accuracy/AP and level-vs-ΔKE slope of generated audio"),
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


class Terminated(BaseException):
    """A termination signal arrived; raised in the main thread so that clean-up code runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_received_signal: list[int] = []  # set by the handler: an exception it causes may be wrapped (an import)


def _raise_terminated(signum, _frame) -> None:
    _received_signal.append(signum)
    raise Terminated(signum)


def install_signal_handlers() -> dict:
    """SIGTERM and SIGHUP raise :class:`Terminated` (like SIGINT raises KeyboardInterrupt).

    Returns the previous handlers (for :func:`restore_signal_handlers`). Only in the main thread."""
    previous = {}
    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is not None:
            try:
                previous[signum] = signal.signal(signum, _raise_terminated)
            except ValueError:  # not the main thread: leave signals to whoever owns them
                pass
    return previous


def restore_signal_handlers(previous: dict) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)


class VerbParser(argparse.ArgumentParser):
    """argparse, with its usage errors raised as one-line BadInputErrors (exit status 2 like any
    other refused input) instead of a usage block and a separate "prog: error:" line."""

    def error(self, message: str):  # type: ignore[override]
        raise BadInputError(f"{message} (see python -m pavas_core {self.prog.split()[-1]} --help)")


def check_finite_numbers(args: argparse.Namespace) -> None:
    """Refuse NaN and infinite values in any float option of any verb (one rule for all)."""
    for name, value in vars(args).items():
        values = value if isinstance(value, (list, tuple)) else [value]
        for item in values:
            if isinstance(item, float) and not math.isfinite(item):
                option = "--" + name.replace("_", "-")
                raise BadInputError(f"{option} must be a finite number, got {item}")


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
    previous_handlers = install_signal_handlers()
    _received_signal.clear()
    try:
        module = importlib.import_module(module_name)
        parser = VerbParser(prog=f"python -m pavas_core {verb}", description=help_text)
        module.add_arguments(parser)
        args = parser.parse_args(argv[1:])
        check_finite_numbers(args)
        return int(module.main(args) or 0)
    except Terminated as exc:
        return _terminated(exc.signum)
    except BaseException as exc:
        if _received_signal and not isinstance(exc, KeyboardInterrupt):
            # the signal's exception surfaced as another one (e.g. inside an import): still a signal
            return _terminated(_received_signal[0])
        return _failed(exc, debug)
    finally:
        restore_signal_handlers(previous_handlers)


def _terminated(signum: int) -> int:
    print(f"terminated by signal {signum}; no output was written", file=sys.stderr)
    return 128 + signum


def _failed(exc: BaseException, debug: bool) -> int:
    """Exit status and one line on stderr for an exception that ended a verb (SystemExit and the
    like pass through; with --debug everything but Ctrl-C shows its traceback)."""
    if isinstance(exc, KeyboardInterrupt):
        print("interrupted", file=sys.stderr)
        return 130
    if debug or not isinstance(exc, Exception):
        raise exc
    if isinstance(exc, PavasError):
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 2
    if isinstance(exc, OSError):  # the environment (disk full, permissions, a vanished file), not a bug
        from .fileio import describe_os_error

        where = f" {exc.filename}" if exc.filename else ""
        print(f"error: cannot use{where}: {describe_os_error(exc)}", file=sys.stderr)
        return 2
    # a bug, not a user error: still one line, with a way to see more
    print(f"internal error: {type(exc).__name__}: {exc} (re-run with --debug for the traceback)", file=sys.stderr)
    return 1


def _one_line(exc: BaseException) -> str:
    """The message on one line (file names and JSON excerpts may hold line breaks)."""
    return " ".join(str(exc).split("\n"))
