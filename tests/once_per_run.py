"""Making something once per test run, also under pytest-xdist."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from pathlib import Path

import pytest


def once_per_run(factory: pytest.TempPathFactory, name: str, make: Callable[[Path], Path]) -> Path:
    """What `make` makes in a folder of its own, once per run, also under pytest-xdist, whose
    workers share the run's temporary folder: the first to need it makes it under a lock; the
    others wait and take it."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return make(factory.mktemp(name))
    shared = factory.getbasetemp().parent  # this run's, shared by its workers
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        work, made = shared / name, shared / f"{name}.made"
        if made.is_file():
            return Path(made.read_text())
        work.mkdir(exist_ok=True)
        result = make(work)
        made.write_text(str(result))
        return result
