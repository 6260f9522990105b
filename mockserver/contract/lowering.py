"""Turning OpenAPI and Swagger schema dialects into plain JSON Schema draft-07.

The hot path validates with fastjsonschema, which compiles draft-07 to Python (about 20x
faster than interpreting the schema per request). Every dialect is lowered to draft-07 once:

- OpenAPI 3.0 / Swagger 2.0: `nullable` / `x-nullable`, boolean `exclusiveMinimum`, `$ref`
  siblings (ignored there), `type: file`;
- OpenAPI 3.1 (JSON Schema 2020-12): `$ref` siblings (applied there), `prefixItems`,
  `dependentRequired` / `dependentSchemas`, `$defs`;
- all: `discriminator` picks one `oneOf` branch by a property's value instead of requiring
  exactly one branch to match (a message valid for two branches is still valid); `readOnly`
  properties are ignored in requests and `writeOnly` ones in responses, as servers do;
  inline regex flags such as `(?i)` are moved to the front where Python's `re` wants them
  (the pattern as the description wrote it stays beside it, under `SPEC_PATTERN`, for
  messages); OpenAPI number formats become bounds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Literal, cast

from mockserver.contract.documents import Dialect, resolve_pointer

Direction = Literal["request", "response"]

_SCHEMA_MAPS = ("properties", "patternProperties", "definitions", "$defs", "dependentSchemas")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_SCHEMA_VALUES = (
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "additionalItems",
    "unevaluatedProperties",
    "unevaluatedItems",
)
_ANNOTATIONS = ("discriminator", "xml", "externalDocs", "example", "deprecated", "$comment")
_INTEGER_BOUNDS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
_INLINE_FLAGS = re.compile(r"\(\?([aiLmsux]+)\)")
#: Where a lowered schema keeps its `pattern` as the description wrote it: validators ignore
#: the keyword, and a message shows the reader the spec's words, not `(?a)` and moved flags.
SPEC_PATTERN = "x-mockserver-spec-pattern"


class SchemaLowering:
    """Lowers the schemas of one document for one direction (request or response)."""

    def __init__(self, document: dict[str, Any], dialect: Dialect, direction: Direction) -> None:
        self.document = document
        self.dialect = dialect
        self.direction = direction
        self._hidden_flag = "readOnly" if direction == "request" else "writeOnly"

    def lower(self, schema: Any) -> Any:
        if not isinstance(schema, dict):
            return schema  # booleans are valid schemas in draft-07 and 3.1
        schema = dict(schema)
        if "$ref" in schema:
            return self._lower_ref(schema)
        self._lower_nullable(schema)
        self._lower_exclusive_bounds(schema)
        self._lower_format(schema)
        if schema.get("type") == "file":
            schema.pop("type")
        if isinstance(schema.get("pattern"), str):
            schema[SPEC_PATTERN] = schema["pattern"]
            schema["pattern"] = _front_inline_flags(schema["pattern"])
        for key in _SCHEMA_MAPS:
            if isinstance(schema.get(key), dict):
                schema[key] = {name: self.lower(sub) for name, sub in schema[key].items()}
        for key in _SCHEMA_LISTS:
            if isinstance(schema.get(key), list):
                schema[key] = [self.lower(sub) for sub in schema[key]]
        for key in _SCHEMA_VALUES:
            if key in schema:
                schema[key] = self.lower(schema[key])
        self._lower_items(schema)
        self._lower_dependencies(schema)
        self._hide_properties(schema)
        discriminated = self._lower_discriminator(schema)
        for key in _ANNOTATIONS:
            schema.pop(key, None)
        return discriminated

    # -- keywords ----------------------------------------------------------------------------
    def _lower_ref(self, schema: dict[str, Any]) -> dict[str, Any]:
        ref = {"$ref": schema.pop("$ref")}
        for key in (*_ANNOTATIONS, "description", "summary", "title"):
            schema.pop(key, None)
        if self.dialect is not Dialect.OPENAPI_31 or not schema:
            return ref  # before 3.1, siblings of $ref are ignored by definition
        return cast(dict[str, Any], self.lower({"allOf": [ref], **schema}))  # a dict stays one

    def _lower_nullable(self, schema: dict[str, Any]) -> None:
        nullable = schema.pop("nullable", None) or schema.pop("x-nullable", None)
        if not nullable or self.dialect is Dialect.OPENAPI_31:
            return
        kind = schema.get("type")
        if isinstance(kind, str):
            schema["type"] = [kind, "null"]
        elif isinstance(kind, list) and "null" not in kind:
            schema["type"] = [*kind, "null"]
        if isinstance(schema.get("enum"), list) and None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]
        if "type" not in schema and "enum" not in schema:
            combined = {key: schema.pop(key) for key in _SCHEMA_LISTS if key in schema}
            if combined:
                schema["anyOf"] = [{"type": "null"}, combined]

    def _lower_exclusive_bounds(self, schema: dict[str, Any]) -> None:
        for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
            flag = schema.get(exclusive)
            if isinstance(flag, bool):
                if flag and bound in schema:
                    schema[exclusive] = schema.pop(bound)
                else:
                    schema.pop(exclusive)

    def _lower_format(self, schema: dict[str, Any]) -> None:
        bounds = _INTEGER_BOUNDS.get(schema.get("format", ""))
        if bounds:
            schema.setdefault("minimum", bounds[0])
            schema.setdefault("maximum", bounds[1])

    def _lower_items(self, schema: dict[str, Any]) -> None:
        if "prefixItems" in schema:
            schema["additionalItems"] = self.lower(schema.pop("items", True))
            schema["items"] = [self.lower(sub) for sub in schema.pop("prefixItems")]
        elif isinstance(schema.get("items"), dict | bool):
            schema["items"] = self.lower(schema["items"])
        elif isinstance(schema.get("items"), list):
            schema["items"] = [self.lower(sub) for sub in schema["items"]]

    def _lower_dependencies(self, schema: dict[str, Any]) -> None:
        required = schema.pop("dependentRequired", None) or {}
        dependent = schema.pop("dependentSchemas", None) or {}
        if required or dependent:
            schema["dependencies"] = {**schema.get("dependencies", {}), **required, **dependent}

    def _hide_properties(self, schema: dict[str, Any]) -> None:
        """A server ignores readOnly fields a client sends, and a client writeOnly ones."""
        properties = schema.get("properties")
        if not isinstance(properties, dict):
            return
        hidden = [name for name, sub in properties.items() if self._flagged(sub, self._hidden_flag)]
        for name in hidden:
            properties[name] = {}
        if hidden and isinstance(schema.get("required"), list):
            schema["required"] = [name for name in schema["required"] if name not in hidden]
            if not schema["required"]:
                schema.pop("required")

    def _flagged(self, schema: Any, flag: str) -> bool:
        seen = 0
        while isinstance(schema, dict) and seen < 16:
            if schema.get(flag) is True:
                return True
            if "$ref" in schema:
                schema = resolve_pointer(self.document, schema["$ref"])
            elif isinstance(schema.get("allOf"), list) and len(schema["allOf"]) == 1:
                schema = schema["allOf"][0]
            else:
                return False
            seen += 1
        return False

    def _lower_discriminator(self, schema: dict[str, Any]) -> dict[str, Any]:
        """`oneOf` + `discriminator`: the named property picks the branch to validate against."""
        discriminator = schema.get("discriminator")
        branches = schema.get("oneOf") or schema.get("anyOf")
        if not isinstance(discriminator, dict) or not branches:
            return schema
        prop = discriminator["propertyName"]
        choices = self._discriminator_choices(discriminator, branches)
        if not choices:
            return schema
        schema.pop("oneOf" if "oneOf" in schema else "anyOf")
        chain: dict[str, Any] = {
            "properties": {prop: {"enum": [value for value, _ in choices]}},
            "required": [prop],
        }
        for value, branch in reversed(choices):
            chain = {
                "if": {"properties": {prop: {"const": value}}, "required": [prop]},
                "then": branch,
                "else": chain,
            }
        return {**schema, "allOf": [*schema.get("allOf", []), chain]}

    def _discriminator_choices(
        self, discriminator: dict[str, Any], branches: list[Any]
    ) -> list[tuple[str, Any]]:
        by_ref = {
            branch["$ref"]: branch
            for branch in branches
            if isinstance(branch, dict) and "$ref" in branch
        }
        mapping = discriminator.get("mapping") or {}
        if mapping:
            return [
                (value, by_ref.get(target) or {"$ref": target}) for value, target in mapping.items()
            ]
        return [(ref.rsplit("/", 1)[-1], branch) for ref, branch in by_ref.items()]


def _front_inline_flags(pattern: str) -> str:
    """`^(?i)[a-z]+$` → `(?ai)^[a-z]+$`: Python rejects global flags anywhere but the start,
    and `a` (ASCII) gives `\\d` and `\\w` their JSON Schema (ECMA-262) meaning: `[0-9]`, not
    every script's digits."""
    found = set("".join(_INLINE_FLAGS.findall(pattern))) - {"u", "L"}  # both exclude `a`
    flags = "".join(sorted(found | {"a"}))
    return f"(?{flags})" + _INLINE_FLAGS.sub("", pattern)


def lower_components(document: dict[str, Any], lowering: SchemaLowering) -> dict[str, Any]:
    """The reference targets a compiled schema may need, lowered, at their original pointers."""
    lowered: dict[str, Any] = {}
    if isinstance(document.get("definitions"), dict):  # Swagger 2.0
        lowered["definitions"] = _lower_map(document["definitions"], lowering.lower)
    components = document.get("components")
    if isinstance(components, dict) and isinstance(components.get("schemas"), dict):
        lowered["components"] = {"schemas": _lower_map(components["schemas"], lowering.lower)}
    if isinstance(document.get("$defs"), dict):
        lowered["$defs"] = _lower_map(document["$defs"], lowering.lower)
    return lowered


def _lower_map(schemas: dict[str, Any], lower: Callable[[Any], Any]) -> dict[str, Any]:
    return {name: lower(schema) for name, schema in schemas.items()}
