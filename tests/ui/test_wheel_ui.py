"""The dashboard's files travel in the wheel: `pip install mockserver` serves the page."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from mockserver.ui.routes import STATIC

pytestmark = pytest.mark.slow


def test_every_page_file_is_in_the_wheel(built_wheel: Path):
    shipped = set(zipfile.ZipFile(built_wheel).namelist())
    files = {f"mockserver/ui/static/{path.name}" for path in STATIC.iterdir()}
    assert {"mockserver/ui/static/index.html", "mockserver/ui/static/dashboard.js"} <= files
    assert files <= shipped
