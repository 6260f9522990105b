"""Finding and loading the bundled API descriptions, with their overlays merged in.

A vendor's published text is bundled as published; what the real service does that the text
omits lives in a sibling `*.overlay.yaml`, merged at load (RFC 7386 merge-patch), so the
vendor's file is never edited and the overlay stays reviewable on its own. An overlay may
also name the operations served out of a larger description (selection.py).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from mockserver.contract import selection, spec_cache
from mockserver.contract.selection import select_operations
from mockserver.safe_load import (
    DEFAULT_LIMITS,
    LimitExceeded,
    YamlLimitExceeded,
    limits_applied,
    load_json,
    load_yaml_documents,
    read_file,
)
from mockserver.types import JSON

OVERLAY_SUFFIX = ".overlay"
SPEC_SUFFIXES = (".yaml", ".yml", ".json")


class Dialect(StrEnum):
    SWAGGER_2 = "swagger-2.0"
    OPENAPI_30 = "openapi-3.0"
    OPENAPI_31 = "openapi-3.1"


class SpecError(ValueError):
    """A bundled or user-supplied description cannot be used; says which file and why."""


@dataclass(frozen=True)
class SpecDocument:
    """One API description: which provider it describes, its dialect and its merged content."""

    name: str  # e.g. "tts/openapi", unique among loaded specs
    provider: str
    path: Path
    dialect: Dialect
    document: dict[str, Any]
    overlays: tuple[Path, ...] = ()


def bundled_specs_dir() -> Path:
    """Where the specs are: inside the installed wheel, or at the top of a source checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_bundled" / "specs", package.parent / "specs"):
        if candidate.is_dir():
            return candidate
    raise SpecError(f"no bundled specs found near {package}")


def load_specs(root: Path) -> list[SpecDocument]:
    """Every description under `root/<provider>/`, sorted by name so loading is reproducible.

    The bundled ones are read back from what the last process made of them
    (`spec_cache`), while their files and the code that reads them are unchanged."""
    if root.resolve() != bundled_specs_dir():
        return _load_specs(root)
    files = sorted(path for path in root.glob("*/*") if path.suffix in SPEC_SUFFIXES)
    code = [Path(module.__file__ or "") for module in (sys.modules[__name__], selection, yaml)]
    kept = spec_cache.cached(
        [*files, *code],
        lambda: [_plain(spec) for spec in _load_specs(root)],
        spec_cache.cache_file(),
    )
    return [_from_plain(item) for item in kept]


def _plain(spec: SpecDocument) -> tuple[Any, ...]:
    overlays = [str(path) for path in spec.overlays]
    return spec.name, spec.provider, str(spec.path), spec.dialect.value, spec.document, overlays


def _from_plain(item: tuple[Any, ...]) -> SpecDocument:
    name, provider, path, dialect, document, overlays = item
    return SpecDocument(
        name=name,
        provider=provider,
        path=Path(path),
        dialect=Dialect(dialect),
        document=document,
        overlays=tuple(Path(overlay) for overlay in overlays),
    )


def _load_specs(root: Path) -> list[SpecDocument]:
    documents = []
    for path in sorted(root.glob("*/*")):
        if path.suffix not in SPEC_SUFFIXES or path.stem.endswith(OVERLAY_SUFFIX):
            continue
        documents.append(load_spec(path, provider=path.parent.name))
    return documents


def load_spec(path: Path, provider: str) -> SpecDocument:
    document = _read(path)
    overlays = tuple(
        candidate
        for suffix in SPEC_SUFFIXES
        if (candidate := path.with_name(path.stem + OVERLAY_SUFFIX + suffix)).exists()
    )
    for overlay in overlays:
        document = merge_patch(document, _read(overlay))
    try:
        document = select_operations(document)
    except ValueError as error:
        raise SpecError(f"{path}: {error}") from error
    return SpecDocument(
        name=f"{provider}/{path.stem}",
        provider=provider,
        path=path,
        dialect=detect_dialect(document, path),
        document=document,
        overlays=overlays,
    )


def detect_dialect(document: dict[str, Any], path: Path) -> Dialect:
    if str(document.get("swagger", "")).startswith("2."):
        return Dialect.SWAGGER_2
    version = str(document.get("openapi", ""))
    if version.startswith("3.0"):
        return Dialect.OPENAPI_30
    if version.startswith("3.1"):
        return Dialect.OPENAPI_31
    raise SpecError(f"{path}: neither 'swagger: 2.0' nor 'openapi: 3.0/3.1' (found {version!r})")


def merge_patch(target: JSON, patch: JSON) -> JSON:
    """RFC 7386: objects merge key by key, null deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def _read(path: Path) -> dict[str, Any]:
    """A description, within the document limits in force when it is the user's
    (`specs_dir`). The bundled descriptions are the package's own: a user's small limit on
    the documents *they* hand in must not make the server unable to load its own."""
    bundled = path.resolve().is_relative_to(bundled_specs_dir())
    try:
        with limits_applied(DEFAULT_LIMITS if bundled else None):
            text = read_file(path, str(path))
            if path.suffix != ".json":
                content = _single_yaml_document(text, trusted=bundled)
            elif bundled:  # ours: no depth to guard against (tests/contract check it)
                content = json.loads(text)
            else:
                content = load_json(text.encode("utf-8"))
    except YamlLimitExceeded as error:
        raise SpecError(f"{error.where(str(path))}: {error}") from None
    except LimitExceeded as error:  # it names the file
        raise SpecError(str(error)) from None
    except (OSError, ValueError, yaml.YAMLError) as error:
        raise SpecError(f"{path}: cannot be read: {error}") from error
    if not isinstance(content, dict):
        raise SpecError(f"{path}: the top level is not a mapping")
    return content


def _single_yaml_document(text: str, trusted: bool = False) -> object:
    """The one document of a YAML stream. Scraped listings publish a description wrapped in
    `---` front-matter markers, which YAML reads as a second, empty document: empty
    documents are skipped so the vendor's file can be bundled byte for byte.

    A `trusted` (bundled) file is read by libyaml's whole loader, the same safe tags and
    resolver as the bounded one without its Python composer, in a third of the time
    (issue 21, start-up); tests/contract check both read every bundled file alike."""
    loaded: Iterable[Any]
    if trusted and hasattr(yaml, "CSafeLoader"):
        loaded = yaml.load_all(text, Loader=yaml.CSafeLoader)  # safe tags only
    else:
        loaded = load_yaml_documents(text)
    documents = [document for document in loaded if document is not None]
    if len(documents) > 1:
        raise ValueError(f"{len(documents)} YAML documents where one was expected")
    return documents[0] if documents else None


def resolve_pointer(document: JSON, ref: str) -> JSON:
    """Follow a local `#/a/b` reference inside `document`."""
    if not ref.startswith("#"):
        raise SpecError(f"only local references are supported, not {ref!r}")
    node = document
    for token in ref[1:].lstrip("/").split("/") if ref != "#" else []:
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node
