"""pytest: the repository root is a ComfyUI pack, not a test package.

The root holds the pack's `__init__.py` (relative imports, read by ComfyUI). pytest would collect
the root as a Package and import that file before the first test, under a module name taken from
the checkout's folder: a clone named e.g. `ComfyUI-PAVAS` (not a Python identifier) then fails
every test with "attempted relative import with no known parent package", and any other name runs
the pack's start-up code inside the test session. Tests that need the pack import it explicitly
(tests/nodes/conftest.py, tests/nodes/test_pack.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent


class _RootIsAPlainDirectory:
    @pytest.hookimpl(tryfirst=True)
    def pytest_collect_directory(self, path: Path, parent: pytest.Collector):
        if path.resolve() == ROOT:
            return pytest.Dir.from_parent(parent, path=path)
        return None


def pytest_configure(config: pytest.Config) -> None:
    # A conftest's own hooks only see paths below it; the root itself is collected through the hooks
    # of its parent folder, so the hook goes in as a plugin of the whole session.
    config.pluginmanager.register(_RootIsAPlainDirectory(), "pavas-root-is-a-plain-directory")
