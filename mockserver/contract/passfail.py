"""The pass/fail check of a lowered schema in Rust (`jsonschema-rs`), with fastjsonschema's
meaning.

fastjsonschema compiles a schema to Python and stays the reference: it explains every
failure in the words the violation tests expect. It raises an exception in every `oneOf`
branch that does not match (seven per KPN `DeviceId`), so a page of 1 000 KPN records cost
tens of milliseconds; jsonschema-rs answers the same question in C speed. It is only asked
"valid?", and only its "yes" is final: a "no" (or any error, such as a string with a lone
surrogate that Rust cannot hold) goes to fastjsonschema, which either explains the failure
or passes the value. So the result can differ only where jsonschema-rs accepts a value
fastjsonschema would refuse, and the keywords where the two could disagree are kept out of
its hands:

- `pattern`, `format` and `contentEncoding` (all three check strings only, as a format
  does) become one custom format each, checked by Python exactly as fastjsonschema checks
  them: its own format expressions, our `FORMATS`, and a pattern with `$` read as `\\Z` and
  `re.search`. Rust's regex engine never sees a pattern (it reads `(?a)`, `\\d` and `$`
  differently).
- A schema with a keyword whose semantics differ in corners (`uniqueItems` with Python's
  `1 == True`, `multipleOf` on floats, `patternProperties` regexes, `contentMediaType`,
  `$id`) is not given to jsonschema-rs at all (`RustChecks.check` returns None):
  fastjsonschema alone checks it, as before.

tests/contract/test_passfail.py runs both over the bundled descriptions' examples, every
violation test's bodies and random mutations of them.
"""

from __future__ import annotations

import base64
import itertools
import re
from collections.abc import Callable
from typing import Any

import jsonschema_rs
from fastjsonschema.draft04 import DOLLAR_FINDER
from fastjsonschema.draft07 import CodeGeneratorDraft07

from mockserver.contract.formats import FORMATS

Check = Callable[[Any], bool]

#: Keywords whose corner cases the two validators read differently: a schema using one is
#: checked by fastjsonschema alone.
UNSHARED = frozenset(
    {"uniqueItems", "multipleOf", "patternProperties", "contentMediaType", "$id", "id"}
)
#: Keywords whose value is one schema, a list of schemas, or a map of name to schema.
_ONE = (
    "additionalProperties",
    "additionalItems",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
)
_LIST = ("allOf", "anyOf", "oneOf")
_MAP = ("properties", "definitions", "dependencies")
_STRING_CHECKS = ("pattern", "format", "contentEncoding")
_PREFIX = "x-mockserver-check-"


class _Unshared(Exception):
    """The schema uses a keyword left to fastjsonschema alone."""


#: The containers of a lowered document's components (lowering.lower_components).
_CONTAINERS = ("#/components/schemas/", "#/definitions/", "#/$defs/")


class RustChecks:
    """jsonschema-rs validators for the schemas of one lowered document and direction.

    Each component is translated once, when a schema first reaches it through `$ref`, and
    each validator gets only the components it reaches: a document's hundreds of schemas
    are not walked for every operation, and a component left to fastjsonschema disables
    only the schemas that reach it.
    """

    def __init__(self, components: dict[str, Any]) -> None:
        self._components = components
        self._translated: dict[str, Any] = {}  # pointer -> translated schema, or _Unshared
        self._formats: dict[str, Callable[[str], bool]] = {}
        #: Format names: `next` on a count is atomic, so two simulators' threads compiling
        #: at once (the catalog is shared per process) never give two checks one name.
        self._names = itertools.count()

    def check(self, schema: Any) -> Check | None:
        """jsonschema-rs's `is_valid` for `schema` (lowered), with the string checks in
        Python as fastjsonschema makes them; None when it is fastjsonschema's alone."""
        try:
            translated = self._translate(schema)
            root = self._with_components(translated)
            validator = jsonschema_rs.Draft7Validator(
                {**root, "allOf": [translated]}, formats=self._formats, validate_formats=True
            )
        except (_Unshared, KeyError, ValueError, jsonschema_rs.ValidationError):
            return None
        return validator.is_valid

    def _with_components(self, translated: Any) -> dict[str, Any]:
        """The components `translated` reaches, at their pointers, translated."""
        root: dict[str, Any] = {}
        pending = _refs(translated)
        done: set[str] = set()
        while pending:
            pointer = _component(pending.pop())
            if pointer in done:
                continue
            done.add(pointer)
            container, name = pointer.rsplit("/", 1)
            schema = self._component_translated(pointer, container, name)
            place = root
            for part in container[2:].split("/"):
                place = place.setdefault(part, {})
            place[name] = schema
            pending |= _refs(schema)
        return root

    def _component_translated(self, pointer: str, container: str, name: str) -> Any:
        known = self._translated.get(pointer)
        if known is None:
            place: Any = self._components
            for part in container[2:].split("/"):
                place = place[part]
            try:
                known = self._translate(place[name])
            except _Unshared:
                known = _Unshared
            self._translated[pointer] = known
        if known is _Unshared:
            raise _Unshared
        return known

    def _translate(self, schema: Any) -> Any:
        if not isinstance(schema, dict):
            return schema
        if UNSHARED & schema.keys():
            raise _Unshared
        translate = self._translate
        out: dict[str, Any] = {}
        for key, value in schema.items():
            if key in _STRING_CHECKS:
                continue
            if key in _ONE:
                out[key] = translate(value)
            elif key in _LIST and isinstance(value, list):
                out[key] = [translate(sub) for sub in value]
            elif key in _MAP and isinstance(value, dict):
                out[key] = {
                    name: sub if isinstance(sub, list) else translate(sub)
                    for name, sub in value.items()
                }
            elif key == "items":
                out[key] = (
                    [translate(sub) for sub in value]
                    if isinstance(value, list)
                    else translate(value)
                )
            else:
                out[key] = value
        check = _string_check(schema)
        if check is not None:
            name = f"{_PREFIX}{next(self._names)}"
            self._formats[name] = check
            out["format"] = name
        return out


def _refs(schema: Any) -> set[str]:
    """Every `$ref` in a translated schema."""
    found: set[str] = set()
    pending = [schema]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                found.add(ref)
            pending.extend(value for key, value in node.items() if key not in _DATA)
        elif isinstance(node, list):
            pending.extend(node)
    return found


#: Keywords whose value is data, never a schema (an `enum` may hold a `$ref` key).
_DATA = frozenset({"enum", "const", "default", "examples", "required"})


def _component(ref: str) -> str:
    """The pointer of the component a reference lands in (KeyError: not in one)."""
    for container in _CONTAINERS:
        if ref.startswith(container):
            name = ref[len(container) :].split("/", 1)[0]
            if name and "~" not in name and "%" not in name:
                return container + name
    raise KeyError(ref)


def _string_check(schema: dict[str, Any]) -> Callable[[str], bool] | None:
    """A string's `format`, `pattern` and `contentEncoding` as fastjsonschema checks them."""
    checks: list[Callable[[str], bool]] = []
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        compiled = re.compile(DOLLAR_FINDER.sub(r"\\Z", pattern))
        checks.append(lambda value: compiled.search(value) is not None)
    kind = schema.get("format")
    if isinstance(kind, str):
        format_check = _format_check(kind)
        if format_check is not None:
            checks.append(format_check)
    if schema.get("contentEncoding") == "base64":
        checks.append(_decodes_as_base64)
    if not checks:
        return None
    if len(checks) == 1:
        return checks[0]
    return lambda value: all(check(value) for check in checks)


def _format_check(kind: str) -> Callable[[str], bool] | None:
    custom = FORMATS.get(kind)
    if callable(custom):
        return custom
    regex = custom if custom is not None else CodeGeneratorDraft07.FORMAT_REGEXS.get(kind)
    if regex is not None:
        compiled = re.compile(regex)
        return lambda value: compiled.match(value) is not None
    if kind == "regex":
        return _compiles
    return None  # a format fastjsonschema does not know: not checked


def _compiles(value: str) -> bool:
    try:
        re.compile(value)
    except Exception:  # as broad as fastjsonschema's own generated check: the same verdict
        return False
    return True


def _decodes_as_base64(value: str) -> bool:
    try:
        base64.b64decode(value)
    except Exception:  # as broad as fastjsonschema's own generated check: the same verdict
        return False
    return True
