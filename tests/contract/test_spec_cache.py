"""The bundled descriptions are read back from what a process made of them before, while
their files and the code that reads them are unchanged (contract/spec_cache.py, issue 21)."""

from __future__ import annotations

import importlib.util
import os
import py_compile
import sys
from pathlib import Path
from typing import Any

import pytest

from mockserver.contract import documents, spec_cache


@pytest.fixture
def writing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bytecode (and so the kept descriptions) written, as in a user's process."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)


class Maker:
    def __init__(self, data: Any) -> None:
        self.data = data
        self.calls = 0

    def __call__(self) -> Any:
        self.calls += 1
        return self.data


def _files(tmp_path: Path) -> list[Path]:
    files = [tmp_path / "a.yaml", tmp_path / "b.json"]
    for path in files:
        path.write_text("x: 1\n")
    return files


def test_made_once_then_read_back(tmp_path: Path, writing: None) -> None:
    files, where = _files(tmp_path), tmp_path / "cache" / "specs.marshal"
    make = Maker({"paths": [1, 2.5, True, None, "x"]})
    assert spec_cache.cached(files, make, where) == make.data
    assert spec_cache.cached(files, make, where) == make.data
    assert make.calls == 1


@pytest.mark.parametrize("change", ["content", "time", "gone", "added"])
def test_a_changed_file_is_loaded_again(tmp_path: Path, writing: None, change: str) -> None:
    files, where = _files(tmp_path), tmp_path / "specs.marshal"
    make = Maker(["old"])
    spec_cache.cached(files, make, where)
    if change == "content":
        files[0].write_text("x: 22\n")
    elif change == "time":
        status = files[1].stat()
        os.utime(files[1], ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000))
    elif change == "gone":
        files = files[:1]
    else:
        (tmp_path / "c.yaml").write_text("y: 2\n")
        files = [*files, tmp_path / "c.yaml"]
    make.data = ["new"]
    assert spec_cache.cached(files, make, where) == ["new"]
    assert make.calls == 2


@pytest.mark.parametrize("content", [b"", b"\x00garbage", b"\xe9\x02\x00\x00\x00i\x01"])
def test_a_damaged_file_means_loading_as_before(
    tmp_path: Path, writing: None, content: bytes
) -> None:
    files, where = _files(tmp_path), tmp_path / "specs.marshal"
    where.write_bytes(content)
    make = Maker({"ok": 1})
    assert spec_cache.cached(files, make, where) == {"ok": 1}
    assert spec_cache.cached(files, make, where) == {"ok": 1}
    assert make.calls == 1  # and it was written whole again


def test_the_placeholders_real_bytecode_means_loading_as_before(
    tmp_path: Path, writing: None
) -> None:
    """pip compiles every module it installs, `kept_specs.py` too: the cache's first reader
    finds real bytecode where the cache goes, takes it for no cache, and replaces it."""
    files, where = _files(tmp_path), tmp_path / "kept_specs.pyc"
    py_compile.compile(str(spec_cache.PLACEHOLDER), cfile=str(where), doraise=True)
    make = Maker({"ok": 1})
    assert spec_cache.cached(files, make, where) == {"ok": 1}
    assert spec_cache.cached(files, make, where) == {"ok": 1}
    assert make.calls == 1


def test_nothing_is_written_when_python_writes_no_bytecode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    files, where = _files(tmp_path), tmp_path / "specs.marshal"
    make = Maker([1])
    spec_cache.cached(files, make, where)
    spec_cache.cached(files, make, where)
    assert make.calls == 2
    assert not where.exists()


def test_a_place_it_cannot_write_means_loading_as_before(tmp_path: Path, writing: None) -> None:
    files = _files(tmp_path)
    where = files[0] / "under-a-file" / "specs.marshal"  # its folder cannot be made
    make = Maker([1])
    assert spec_cache.cached(files, make, where) == [1]
    assert spec_cache.cached(files, make, where) == [1]
    assert make.calls == 2


def test_it_lives_where_python_keeps_the_packages_bytecode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path))
    where = spec_cache.cache_file()
    assert where is not None and where.is_relative_to(tmp_path)
    assert where.name.endswith(f".{sys.implementation.cache_tag}.pyc")


def test_it_is_a_shipped_modules_bytecode_file_which_uninstalling_removes() -> None:
    """pip's uninstall removes, of what it did not install, only each installed `.py` file's
    `cache_from_source`: the cache takes that name for a module shipped for the purpose,
    which nothing imports (an import would replace the cache with real bytecode)."""
    placeholder = spec_cache.PLACEHOLDER
    assert placeholder.is_file() and placeholder.parent == Path(spec_cache.__file__).parent
    assert spec_cache.cache_file() == Path(importlib.util.cache_from_source(str(placeholder)))
    assert "mockserver.contract.kept_specs" not in sys.modules


def test_the_bundled_descriptions_read_back_are_those_loaded(
    tmp_path: Path, writing: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = documents.bundled_specs_dir()
    loaded = documents._load_specs(root)
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path))
    assert documents.load_specs(root) == loaded  # made, and kept

    def unread(path: Path) -> None:
        raise AssertionError(f"{path} read again")

    monkeypatch.setattr(documents, "_read", unread)
    assert documents.load_specs(root) == loaded  # read back
