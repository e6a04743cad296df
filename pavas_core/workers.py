"""Worker processes for the jobs that run scenes or clips side by side (synth-dataset, evaluate).

The workers are started with "spawn", not Linux's default "fork": a forked copy of a process that
already runs threads (torch's and BLAS's thread pools, PyAV's decoder threads, ComfyUI's server)
inherits their locks held and can wait on them forever. A test run hung that way in `evaluate
--workers 2`, both workers asleep on a lock at 0 % CPU. A spawned worker starts a fresh
interpreter and imports what its job needs (a second or two once per worker).
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor


def worker_pool(max_workers: int) -> ProcessPoolExecutor:
    """A pool of `max_workers` fresh ("spawn") worker processes."""
    return ProcessPoolExecutor(max_workers=max_workers, mp_context=multiprocessing.get_context("spawn"))
