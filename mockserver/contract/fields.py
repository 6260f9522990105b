"""Body fields a description does not name: what a vendor that drops unknown fields drops.

JSON Schema lets an object carry properties it does not declare unless
`additionalProperties: false` says otherwise, and the vendors' services do the same: TTS
(protojson's DiscardUnknown), Jackson behind KPN and ThingPark, Go's `encoding/json` behind
TTN v2 all drop a field they do not know. A client that writes `fport` for `f_port`, or
forgets the `downlinks` wrapper, gets a 200 and nothing done. Such a field is not a
violation (the service accepts it) but a warning, found here.

Only objects whose schema declares properties are judged: a free-form object (no
`properties`) or a map (`additionalProperties` a schema, `patternProperties`) takes any
key, and a closed one (`additionalProperties: false`) already fails validation. Where
branches combine (`allOf`, `oneOf`, `anyOf`, a discriminator's `if`/`then`/`else`), a field
any branch declares is declared: a warning must never be wrong.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mockserver.contract.documents import resolve_pointer

#: A sent field's name as the vendor reads it (TTS: `fPort` is `f_port`; TTN v2: any case).
FieldKey = Callable[[str], str]
_MAX_DEPTH = 32
#: Findings per body: a client that repeats one mistake in 100 000 downlinks needs to be told
#: a few times, not to have the journal hold 100 000 warnings.
MAX_FINDINGS = 20
#: Longest field name shown as sent (a longer one is cut, and suggests nothing).
_SHOWN = 64
_SHARED_STEM = 6  # characters two names begin with alike for one to suggest the other
_COMBINED = ("allOf", "anyOf", "oneOf", "then", "else")


@dataclass(frozen=True, slots=True)
class UndeclaredField:
    """One finding: `where` the field (or, for a missing wrapper, the object lacking it)."""

    where: str
    rule: str  # "undeclared-field" or "missing-wrapper"
    field: str
    message: str
    suggestion: str | None = None


def same_name(name: str) -> str:
    return name


#: Where a value sits, built only when a finding needs it: (parent, `.name` or `[index]`).
_Path = tuple[Any, str] | None


@dataclass(slots=True)
class _Node:
    """What the schemas that apply to one value say about its fields and items."""

    properties: dict[str, tuple[Any, ...]]  # declared name -> the schemas declaring it
    closed: bool  # additionalProperties: false somewhere: undeclared fields are violations
    values: tuple[Any, ...]  # map values (additionalProperties schemas, patternProperties)
    items: tuple[Any, ...]  # array items
    children: dict[str, _Node] = field(default_factory=dict)  # by declared name, as met
    by_key: dict[FieldKey, dict[str, str]] = field(default_factory=dict)
    #: The node of the items (of the map values), once met: looked up once, not per value.
    items_node: _Node | None = None
    values_node: _Node | None = None

    def declared(self, key: FieldKey) -> dict[str, str]:
        """Declared names by the name a vendor reads them as."""
        names = self.by_key.get(key)
        if names is None:
            names = self.by_key[key] = {key(name): name for name in self.properties}
        return names


class FieldMap:
    """The fields one request body schema declares, object by object; built once per
    operation and media type, walked for each request (on the request path: it descends
    only into objects and arrays, and words a finding only when there is one)."""

    def __init__(self, root: dict[str, Any]) -> None:
        self._root = root  # lowered components + {"allOf": [body schema]}
        self._nodes: dict[tuple[int, ...], _Node] = {}
        self._top = self._node((root,))

    def undeclared(self, value: Any, key: FieldKey = same_name) -> list[UndeclaredField]:
        found: list[UndeclaredField] = []
        self._walk(self._top, value, None, key, found, 0)
        return found

    # -- walking a value ---------------------------------------------------------------------
    def _walk(
        self,
        node: _Node,
        value: Any,
        path: _Path,
        key: FieldKey,
        found: list[UndeclaredField],
        depth: int,
    ) -> None:
        if depth > _MAX_DEPTH or len(found) >= MAX_FINDINGS:
            return
        if type(value) is list:
            if node.items:
                inner = node.items_node
                if inner is None:
                    inner = node.items_node = self._node(node.items)
                for index, item in enumerate(value):
                    if type(item) is dict or type(item) is list:
                        self._walk(inner, item, (path, f"[{index}]"), key, found, depth + 1)
            return
        if type(value) is not dict:
            return
        properties = node.properties
        if not properties:  # free-form or a map: every key means something
            if node.values:
                inner = node.values_node
                if inner is None:
                    inner = node.values_node = self._node(node.values)
                for name, item in value.items():
                    if type(item) is dict or type(item) is list:
                        self._walk(inner, item, (path, f".{name}"), key, found, depth + 1)
            return
        unknown: list[str] = []
        for name, item in value.items():
            if name not in properties:
                known = node.declared(key).get(key(name))
                if known is None:
                    if node.values:
                        if type(item) is dict or type(item) is list:
                            inner = self._node(node.values)
                            self._walk(inner, item, (path, f".{name}"), key, found, depth + 1)
                    elif not node.closed:
                        unknown.append(name)
                    continue
                name_in_spec = known
            else:
                name_in_spec = name
            if type(item) is dict or type(item) is list:
                child = node.children.get(name_in_spec)
                if child is None:
                    child = node.children[name_in_spec] = self._node(properties[name_in_spec])
                self._walk(child, item, (path, f".{name}"), key, found, depth + 1)
        if unknown:
            room = MAX_FINDINGS - len(found)
            found.extend(self._explain(node, value, _where(path), unknown, key)[:room])

    def _explain(
        self, node: _Node, value: dict[str, Any], where: str, unknown: list[str], key: FieldKey
    ) -> list[UndeclaredField]:
        """One warning for fields that belong inside a wrapper the object lacks; else one per
        field, with the declared name it is closest to."""
        sent = {key(name) for name in value}
        for name, schemas in node.properties.items():
            if key(name) in sent:
                continue
            wrapper = self._node(schemas)
            inner = self._node(wrapper.items) if wrapper.items else wrapper
            declared = inner.declared(key)
            if inner.properties and all(key(field) in declared for field in unknown):
                shape = "[…]" if wrapper.items else "{…}"
                suggestion = json.dumps({name: None}, separators=(",", ":")).replace("null", shape)
                fields = ", ".join(f"`{_shown(field)}`" for field in unknown[:5])
                fields += ", …" if len(unknown) > 5 else ""
                inside = f"{name}[]" if wrapper.items else name
                return [
                    UndeclaredField(
                        where,
                        "missing-wrapper",
                        name,
                        f"no `{name}` key: {fields} belong in `{inside}` and are ignored "
                        f"here; did you mean `{suggestion}`?",
                        suggestion,
                    )
                ]
        findings = []
        for sent_name in unknown[:MAX_FINDINGS]:
            field_name = _shown(sent_name)
            close = (
                None
                if field_name != sent_name
                else _closest(sent_name, list(node.properties)) or self._nested(node, sent_name)
            )
            message = f"unknown field `{field_name}`: the service ignores it"
            if close is not None:
                message += f"; did you mean `{close}`?"
            findings.append(
                UndeclaredField(
                    f"{where}.{field_name}", "undeclared-field", field_name, message, close
                )
            )
        return findings

    def _nested(self, node: _Node, field_name: str) -> str | None:
        """`message.fPort` for a top-level `fport`: a field of an object (or of the items of
        an array) one level down with the same name, but for case, `_` and `-`."""
        wanted = _fold(field_name)
        for name, schemas in node.properties.items():
            wrapper = self._node(schemas)
            inner, inside = (
                (self._node(wrapper.items), f"{name}[]") if wrapper.items else (wrapper, name)
            )
            for candidate in inner.properties:
                if _fold(candidate) == wanted:
                    return f"{inside}.{candidate}"
        return None

    # -- what the schemas say ----------------------------------------------------------------
    def _node(self, schemas: tuple[Any, ...]) -> _Node:
        ids = tuple(id(schema) for schema in schemas)
        node = self._nodes.get(ids)
        if node is None:
            node = self._nodes[ids] = self._build(schemas)
        return node

    def _build(self, schemas: tuple[Any, ...]) -> _Node:
        flat: list[dict[str, Any]] = []
        for schema in schemas:
            self._flatten(schema, flat, 0)
        properties: dict[str, list[Any]] = {}
        closed = False
        values: list[Any] = []
        items: list[Any] = []
        for schema in flat:
            for name, sub in (schema.get("properties") or {}).items():
                properties.setdefault(name, []).append(sub)
            extra = schema.get("additionalProperties")
            if extra is False:
                closed = True
            elif isinstance(extra, dict):
                values.append(extra)
            values.extend((schema.get("patternProperties") or {}).values())
            item = schema.get("items")
            if isinstance(item, dict):
                items.append(item)
            elif isinstance(item, list):
                items.extend(item)
        return _Node(
            {name: tuple(subs) for name, subs in properties.items()},
            closed,
            tuple(values),
            tuple(items),
        )

    def _flatten(self, schema: Any, out: list[dict[str, Any]], depth: int) -> None:
        if not isinstance(schema, dict) or depth > _MAX_DEPTH:
            return
        if "$ref" in schema:
            try:
                target = resolve_pointer(self._root, schema["$ref"])
            except (KeyError, IndexError, ValueError):
                return  # an unresolvable reference declares nothing
            self._flatten(target, out, depth + 1)
        out.append(schema)
        for key in _COMBINED:
            combined = schema.get(key)
            if isinstance(combined, list):
                for sub in combined:
                    self._flatten(sub, out, depth + 1)
            elif isinstance(combined, dict):
                self._flatten(combined, out, depth + 1)


def _shown(name: str) -> str:
    return name if len(name) <= _SHOWN else name[:_SHOWN] + "…"


def _where(path: _Path) -> str:
    tokens = []
    while path is not None:
        path, token = path
        tokens.append(_shown(token))
    return "body" + "".join(reversed(tokens))


def _closest(name: str, declared: list[str]) -> str | None:
    """The declared name `name` was most likely meant as, ignoring case, `_` and `-`: a
    close spelling (`fport`, `payload`), else one that begins the same way (`confirmed`
    for `confirmDownlink`); a loose likeness (`priority`, `port`) is no suggestion."""
    folded = {_fold(candidate): candidate for candidate in declared}
    match = difflib.get_close_matches(_fold(name), list(folded), n=1, cutoff=0.75)
    if match:
        return folded[match[0]]
    stem = _fold(name)[:_SHARED_STEM]
    if len(stem) == _SHARED_STEM:
        return next((c for f, c in folded.items() if f.startswith(stem)), None)
    return None


def _fold(name: str) -> str:
    return name.casefold().replace("_", "").replace("-", "")
