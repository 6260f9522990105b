"""A user's own descriptions (`MockServer(specs_dir=...)`) are read within the document
limits: an alias bomb or an oversized file is a SpecError naming the place, not a hang."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from mockserver.contract.documents import SpecError, load_specs
from mockserver.safe_load import DocumentLimits, limits_applied
from tests.test_safe_load import BILLION_LAUGHS, QUICKLY


def test_an_alias_bomb_among_the_descriptions_is_refused_with_its_place(tmp_path: Path):
    (tmp_path / "tts").mkdir()
    bomb = tmp_path / "tts" / "openapi.yaml"
    bomb.write_text("openapi: 3.1.0\n" + BILLION_LAUGHS)
    started = time.perf_counter()
    with pytest.raises(SpecError) as refused:
        load_specs(tmp_path)
    assert time.perf_counter() - started < QUICKLY
    assert str(refused.value).startswith(f"{bomb}:7:11: the document expands to more than")


def test_a_description_past_the_size_limit_is_refused(tmp_path: Path):
    (tmp_path / "tts").mkdir()
    spec = tmp_path / "tts" / "openapi.json"
    spec.write_text('{"openapi": "3.1.0", "info": {"title": "' + "x" * 5000 + '"}}')
    with limits_applied(DocumentLimits(max_bytes=4096)), pytest.raises(SpecError) as refused:
        load_specs(tmp_path)
    assert str(refused.value).startswith(f"{spec}: the file is larger than 4 KiB")
