"""Issue 20, item 19: each formatter module imports first in a fresh interpreter (it used
to raise a circular ImportError for `tts_javascript`, `tts`, `api` and `ttnv2`; `api` is
now `mockserver.simulator.formatters`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import mockserver

PACKAGE = Path(mockserver.__file__).parent
MODULES = [
    *sorted(
        f"mockserver.formatters.{path.stem}"
        for path in (PACKAGE / "formatters").glob("*.py")
        if path.stem != "__init__"
    ),
    "mockserver.simulator.formatters",
]


@pytest.mark.parametrize("module", MODULES)
def test_a_formatter_module_imports_first_in_a_fresh_interpreter(module):
    environment = {**os.environ, "PYTHONPATH": str(PACKAGE.parent)}
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
