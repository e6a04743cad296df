"""Progress reporting and cancellation, shared by every long-running function.

A progress callback is called as ``callback(done, total)`` after each unit of work. To cancel,
it either returns ``False`` or raises (ComfyUI's ProgressBar raises its own interrupt exception,
which then propagates unchanged). Functions call :func:`report` so both styles behave the same.
"""

from __future__ import annotations

import sys
import time
from typing import Callable, Optional

from .errors import Cancelled

ProgressCallback = Callable[[int, int], Optional[bool]]


def report(callback: ProgressCallback | None, done: int, total: int) -> None:
    """Call `callback` (if any); raise :class:`Cancelled` when it returns False."""
    if callback is not None and callback(done, total) is False:
        raise Cancelled(f"cancelled after {done} of {total} steps")


class ConsoleProgress:
    """A one-line progress display on stderr for the CLI (silent when stderr is not a terminal)."""

    def __init__(self, label: str, stream=None, min_interval_s: float = 0.1) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.min_interval_s = min_interval_s
        self._start = time.monotonic()
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if done < total and now - self._last < self.min_interval_s:
            return
        self._last = now
        frac = done / total if total else 1.0
        bar = "#" * int(24 * frac)
        self.stream.write(f"\r{self.label}: [{bar:<24}] {done}/{total} {now - self._start:5.1f}s")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()
