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


def test_the_bundled_descriptions_read_alike_by_both_loaders() -> None:
    """The bundled YAML is read by libyaml's whole loader, the bundled JSON by `json` alone
    (start-up, issue 21): every file gives what the bounded readers give, and keeps the
    default limits and the depth they would apply."""
    from mockserver.contract.documents import _single_yaml_document, bundled_specs_dir
    from mockserver.safe_load import DEFAULT_LIMITS

    files = sorted(bundled_specs_dir().glob("*/*.y*ml"))
    assert len(files) >= 10
    for path in files:
        text = path.read_text(encoding="utf-8")
        with limits_applied(DEFAULT_LIMITS):
            bounded = _single_yaml_document(text)
        assert _single_yaml_document(text, trusted=True) == bounded, path
    import json

    from mockserver.safe_load import load_json

    files = sorted(bundled_specs_dir().glob("*/*.json"))
    assert files
    for path in files:
        raw = path.read_bytes()
        with limits_applied(DEFAULT_LIMITS):
            assert json.loads(raw.decode("utf-8")) == load_json(raw), path
