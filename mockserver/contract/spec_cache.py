"""The bundled descriptions as last loaded, kept where Python keeps this package's bytecode.

Loading the bundled descriptions (TTS's 1 MB JSON file and a dozen YAML files, overlays
merged, operations selected) cost about 30 ms of CPU in every process that built a
simulator: each fixture session, each pytest-xdist worker, each `serve` (issue 21). What it
makes is plain data, so it is kept as marshal's bytes beside this package's bytecode (in
`__pycache__`, or under `sys.pycache_prefix`, named as `kept_specs.py`'s bytecode would be, so
that uninstalling the package removes it) and used again while the files it was made
from, and the code that made it, are unchanged: their sizes and modification times, as
Python checks a module's source against its bytecode.

It is not written when Python writes no bytecode (`-B`, PYTHONDONTWRITEBYTECODE), and any
problem reading or writing it (a read-only install, a file cut short by a crash, another
Python's file) means loading from the files, as before.
"""

from __future__ import annotations

import importlib.util
import logging
import marshal
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

log = logging.getLogger("mockserver")

#: marshal's format: a Python of another version reads another file (`cache_tag`).
_FORMAT = 4


#: The module whose bytecode file's name the cache takes (kept_specs.py says why).
PLACEHOLDER = Path(__file__).with_name("kept_specs.py")


def cache_file() -> Path | None:
    """Where the bundled descriptions are kept (None: this Python keeps no bytecode): where
    the never-imported `kept_specs` module's bytecode would be, which pip's uninstall
    removes with the package."""
    try:
        return Path(importlib.util.cache_from_source(str(PLACEHOLDER)))
    except NotImplementedError:  # no sys.implementation.cache_tag
        return None


def stamp(files: Iterable[Path]) -> tuple[tuple[str, int, int], ...]:
    """What the kept data is valid for: each file's path, size and modification time."""
    found = []
    for path in files:
        status = path.stat()
        found.append((str(path), status.st_size, status.st_mtime_ns))
    return tuple(found)


def cached(files: Iterable[Path], make: Callable[[], Any], where: Path | None) -> Any:
    """`make()`'s result (plain data: what marshal writes), read from `where` when it was
    kept there for the same `files` unchanged, else made and kept there."""
    if where is None:
        return make()
    try:
        valid_for = stamp(files)
    except OSError:  # a file went away while we looked: load as usual
        return make()
    kept = _read(where)
    if kept is not None and kept[0] == valid_for:
        return kept[1]
    data = make()
    if not sys.dont_write_bytecode:
        _write(where, (valid_for, data))
    return data


def _read(where: Path) -> tuple[Any, Any] | None:
    try:
        kept = marshal.loads(where.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):  # none yet, cut short, not ours
        return None
    if not isinstance(kept, tuple) or len(kept) != 2:
        return None
    return kept[0], kept[1]


def _write(where: Path, kept: tuple[Any, Any]) -> None:
    """Atomically (a temporary file renamed): concurrent processes (xdist's workers) each
    write a whole file, and a reader never sees half of one."""
    try:
        content = marshal.dumps(kept, _FORMAT)
        where.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=where.parent, prefix=where.name + ".")
        try:
            with os.fdopen(descriptor, "wb") as output:
                output.write(content)
            os.replace(temporary, where)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except (OSError, ValueError) as error:  # read-only, full, or data marshal cannot write
        # Loading goes on from the files, as before; said at debug level, since an installed
        # package's folder is often read-only, and a warning per process would be noise.
        log.debug("the bundled descriptions were not kept at %s: %s", where, error)
