"""Loading part of a vendor's description: the operations the simulator serves, and no more.

A vendor may publish one description of its whole API (TTS: 265 paths, 527 definitions, 1 MB)
of which the simulator serves a few operations. The file is bundled byte for byte; its
overlay names the operationIds to keep (`x-mockserver-operations`), and at load the other
operations, and the definitions none of the kept ones reaches, are left out. Every kept
node stays at its original JSON pointer, so findings point into the vendor's own file; an
operation not served is then an unknown route, as for any undocumented path, and coverage
counts only what is served.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
#: The operationIds of a description that the simulator serves (in the description or its
#: overlay). Without it, every operation is loaded.
OPERATIONS_EXTENSION = "x-mockserver-operations"
#: Where reusable parts live, each entry one level below: only those a kept operation
#: reaches through `$ref` are kept. Security schemes are named, not referenced: kept whole.
_SWAGGER_SECTIONS = (("definitions",), ("parameters",), ("responses",))
_UNREFERENCED_COMPONENTS = ("securitySchemes",)


def select_operations(document: dict[str, Any]) -> dict[str, Any]:
    """`document` reduced to the operations its `x-mockserver-operations` lists (unchanged
    when it lists none). A listed operationId the document lacks is a ValueError naming it:
    a newer vendor file that renamed an operation must not silently stop serving it."""
    wanted = document.get(OPERATIONS_EXTENSION)
    if wanted is None:
        return document
    if not isinstance(wanted, list) or not all(isinstance(name, str) for name in wanted):
        raise ValueError(f"{OPERATIONS_EXTENSION} must be a list of operationIds")
    paths, found = _kept_paths(document.get("paths") or {}, set(wanted))
    missing = [name for name in wanted if name not in found]
    if missing:
        raise ValueError(f"{OPERATIONS_EXTENSION}: the description has no operation {missing}")
    return _with_reachable_parts({**document, "paths": paths})


def _kept_paths(paths: dict[str, Any], wanted: set[str]) -> tuple[dict[str, Any], set[str]]:
    kept: dict[str, Any] = {}
    found: set[str] = set()
    for template, item in paths.items():
        if not isinstance(item, dict):
            continue
        operations = {
            method: op
            for method, op in item.items()
            if method in METHODS and isinstance(op, dict) and op.get("operationId") in wanted
        }
        if operations:
            shared = {key: value for key, value in item.items() if key not in METHODS}
            kept[template] = {**shared, **operations}
            found.update(op["operationId"] for op in operations.values())
    return kept, found


def _with_reachable_parts(document: dict[str, Any]) -> dict[str, Any]:
    """The reusable parts (definitions, parameters, responses, components) that the rest of
    the document reaches, directly or through one another; nothing else of them."""
    sections = _sections(document)
    top_level = {section[0] for section in sections}
    result = {key: value for key, value in document.items() if key not in top_level}
    if "components" in document:
        kept = {
            name: document["components"][name]
            for name in _UNREFERENCED_COMPONENTS
            if name in document["components"]
        }
        result["components"] = kept
    pending = list(_refs(result))
    seen: set[tuple[str, ...]] = set()
    while pending:
        entry = _entry(pending.pop(), sections)
        if entry is None or entry in seen:
            continue
        seen.add(entry)
        node = _lookup(document, entry)
        if node is None:
            continue  # a dangling reference: reported when a schema that uses it compiles
        _place(result, entry, node)
        pending.extend(_refs(node))
    return result


def _sections(document: dict[str, Any]) -> list[tuple[str, ...]]:
    sections: list[tuple[str, ...]] = [
        section for section in _SWAGGER_SECTIONS if section[0] in document
    ]
    components = document.get("components")
    if isinstance(components, dict):
        sections += [
            ("components", name) for name in components if name not in _UNREFERENCED_COMPONENTS
        ]
    return sections


def _entry(ref: str, sections: list[tuple[str, ...]]) -> tuple[str, ...] | None:
    """`#/definitions/v3ApplicationDownlink/properties/f_port` → the entry it lies in,
    `("definitions", "v3ApplicationDownlink")`; None outside the reusable sections."""
    if not ref.startswith("#/"):
        return None
    tokens = tuple(token.replace("~1", "/").replace("~0", "~") for token in ref[2:].split("/"))
    for section in sections:
        if tokens[: len(section)] == section and len(tokens) > len(section):
            return tokens[: len(section) + 1]
    return None


def _lookup(document: dict[str, Any], entry: tuple[str, ...]) -> Any:
    node: Any = document
    for token in entry:
        if not isinstance(node, dict) or token not in node:
            return None
        node = node[token]
    return node


def _place(document: dict[str, Any], entry: tuple[str, ...], node: Any) -> None:
    parent = document
    for token in entry[:-1]:
        parent = parent.setdefault(token, {})
    parent[entry[-1]] = node


def _refs(node: Any) -> Iterator[str]:
    """Every `$ref` string below `node`."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str):
                yield ref
            stack.extend(value for value in current.values() if isinstance(value, dict | list))
        elif isinstance(current, list):
            stack.extend(value for value in current if isinstance(value, dict | list))
