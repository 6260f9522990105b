"""The nearest valid shape: a client's rejected body, changed as little as possible to pass.

A failing test says what rule a request broke; a reader fixes it faster when shown the
request as it should have been. Starting from the client's own JSON, this keeps every value
the description accepts, drops properties it forbids, fills in required ones (from the
description's example, default, enum or type) and replaces wrong values the same way. The
result is shown only when the contract layer's own validator accepts it, and the rules the
simulator applies beyond the description (`BodyRules`: KPN's LoRa FPort 1..223, say) accept
it too: a suggestion the simulator would refuse is worse than none.

It runs only when a test has already failed, never on the request path.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import fastjsonschema

from mockserver import json_strict
from mockserver.contract.documents import resolve_pointer
from mockserver.contract.formats import FORMATS
from mockserver.contract.lowering import SchemaLowering, lower_components
from mockserver.contract.operations import Operation

if TYPE_CHECKING:  # imported when a suggestion is made: providers import `BodyRules` (issue 21)
    import jsonschema

_MAX_DEPTH = 12
_SAMPLED_FROM = {"const", "default", "example", "examples", "enum"}
_FORMAT_SAMPLES = {
    "date-time": "2026-01-01T00:00:00Z",
    "date": "2026-01-01",
    "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "byte": "AA==",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "duration": "PT1H",
}


@dataclass(frozen=True)
class BodyRules:
    """What a provider checks in a request body beyond the operation's description.

    `problem` is the handler's own check (the first rule the body breaks, in the vendor's
    words, or None), so a suggestion is judged by the code that would judge the request.
    `schema` states what of those rules JSON Schema can, for the repair to aim at: without
    it a suggestion would be refused rather than fixed.
    """

    problem: Callable[[Any], str | None]
    schema: dict[str, Any] | None = None


def nearest_valid_body(
    operation: Operation, body: bytes, rules: BodyRules | None = None
) -> Any | None:
    """The JSON body closest to `body` that the operation's description, and the simulator's
    `rules` beyond it, accept, if found."""
    media = (operation.body or {}).get("application/json")
    if media is None:
        media = next(
            (m for kind, m in (operation.body or {}).items() if kind.endswith("json")), None
        )
    if media is None:
        return None
    try:
        value = json_strict.loads(body) if body else None  # depth-limited: no RecursionError
    except ValueError:
        value = None
    lowering = SchemaLowering(operation.spec.document, operation.spec.dialect, "request")
    components = lower_components(operation.spec.document, lowering)
    repair = _Repair(components)
    schema = lowering.lower(media.schema)
    target = schema if rules is None or rules.schema is None else {"allOf": [schema, rules.schema]}
    candidate = repair.fix(target, copy.deepcopy(value), 0)
    check = fastjsonschema.compile(
        {**components, "allOf": [schema]}, formats=FORMATS, use_default=False
    )
    try:
        check(candidate)
    except fastjsonschema.JsonSchemaException:
        return None
    if rules is not None and rules.problem(candidate) is not None:
        return None
    return candidate


def _format_checker() -> jsonschema.FormatChecker:
    """draft-07's formats plus the OpenAPI ones the contract layer checks, alike."""
    import jsonschema

    checker = jsonschema.FormatChecker()
    for name, check in FORMATS.items():
        if isinstance(check, str):
            pattern = re.compile(check)
            checker.checks(name)(
                lambda value, p=pattern: not isinstance(value, str) or bool(p.match(value))
            )
        else:
            checker.checks(name)(lambda value, c=check: not isinstance(value, str) or c(value))
    return checker


class _Repair:
    def __init__(self, components: dict[str, Any]) -> None:
        self.root = components
        self.formats = _format_checker()

    def valid(self, schema: Any, value: Any) -> bool:
        import jsonschema

        validator = jsonschema.Draft7Validator(
            {**self.root, "allOf": [schema]}, format_checker=self.formats
        )
        return validator.is_valid(value)

    def resolve(self, schema: Any) -> Any:
        seen = 0
        while isinstance(schema, dict) and "$ref" in schema and seen < _MAX_DEPTH:
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            target = resolve_pointer(self.root, schema["$ref"])
            schema = {"allOf": [target, rest]} if rest else target
            seen += 1
        return schema

    def fix(self, schema: Any, value: Any, depth: int) -> Any:
        schema = self.resolve(schema)
        if not isinstance(schema, dict) or depth > _MAX_DEPTH or self.valid(schema, value):
            return value
        for branch in schema.get("allOf", []):
            value = self.fix(branch, value, depth + 1)
        choices = schema.get("oneOf") or schema.get("anyOf")
        if choices:
            value = self._closest_branch(schema, choices, value, depth)
        kind = _type_of(schema)
        if kind == "object":
            return self._fix_object(schema, value, depth)
        if kind == "array":
            return self._fix_array(schema, value, depth)
        if kind in ("integer", "number") and isinstance(value, int | float):
            value = _clamp(schema, value, kind)  # 300 for 1..255 is nearest to 255, not 1
        if self.valid(schema, value) or (kind is None and not _SAMPLED_FROM.intersection(schema)):
            return value  # nothing more to go on here: the final check decides
        return self.sample(schema, depth)

    def _closest_branch(self, schema: Any, choices: list[Any], value: Any, depth: int) -> Any:
        ranked = []
        for order, branch in enumerate(choices):
            candidate = self.fix(branch, copy.deepcopy(value), depth + 1)
            described = (
                self.resolve(branch).get("properties", {}) if isinstance(value, dict) else {}
            )
            # Fewest changes first; on a tie, the branch that describes more of the client's
            # fields is the one the client meant.
            rank = (
                not self.valid(schema, candidate),
                _distance(value, candidate),
                -len(set(described) & set(value or {})),
                order,
            )
            ranked.append((rank, candidate))
        return min(ranked, key=lambda pair: pair[0])[1]

    def _fix_object(self, schema: dict[str, Any], value: Any, depth: int) -> Any:
        properties: dict[str, Any] = schema.get("properties", {})
        fixed = dict(value) if isinstance(value, dict) else {}
        if schema.get("additionalProperties") is False and not schema.get("patternProperties"):
            fixed = {key: item for key, item in fixed.items() if key in properties}
        for key, item in list(fixed.items()):
            if key in properties:
                fixed[key] = self.fix(properties[key], item, depth + 1)
        for key in schema.get("required", []):
            if key not in fixed:
                fixed[key] = self.sample(properties.get(key, {}), depth + 1)
        return fixed

    def _fix_array(self, schema: dict[str, Any], value: Any, depth: int) -> Any:
        items = schema.get("items", {})
        fixed = list(value) if isinstance(value, list) else []
        if isinstance(items, dict):
            fixed = [self.fix(items, item, depth + 1) for item in fixed]
            while len(fixed) < schema.get("minItems", 0):
                fixed.append(self.sample(items, depth + 1))
        if "maxItems" in schema:
            fixed = fixed[: schema["maxItems"]]
        return fixed

    def sample(self, schema: Any, depth: int) -> Any:
        """A value the schema accepts, from its own words where it has any."""
        schema = self.resolve(schema)
        if not isinstance(schema, dict):
            return None
        for key in ("const", "default", "example"):
            if key in schema:
                return copy.deepcopy(schema[key])
        if schema.get("examples"):
            return copy.deepcopy(schema["examples"][0])
        if schema.get("enum"):
            return copy.deepcopy(schema["enum"][0])
        for key in ("allOf", "oneOf", "anyOf"):
            if schema.get(key):
                return self.fix(schema, self.sample(schema[key][0], depth + 1), depth + 1)
        kind = _type_of(schema)
        if kind in ("object", "array"):
            return self.fix(schema, {} if kind == "object" else [], depth + 1)
        if kind == "integer" or kind == "number":
            if "minimum" in schema:
                low = schema["minimum"]
            elif "exclusiveMinimum" in schema:
                low = schema["exclusiveMinimum"] + 1
            else:
                low = min(0, schema.get("maximum", 0))
            return int(low) if kind == "integer" else float(low)
        if kind == "boolean":
            return False
        if kind == "null":
            return None
        if kind == "string":
            return self._sample_string(schema)
        return None

    def _sample_string(self, schema: dict[str, Any]) -> str:
        """Common shapes first (a pattern cannot be inverted in general): the first that fits."""
        length: int = max(schema.get("minLength", 1), 1)  # minLength is an integer
        candidates = [
            _FORMAT_SAMPLES.get(schema.get("format", ""), "x" * length),
            "AA==",
            "0" * length,
            "00",  # one byte in hex
            "0" * 16,
            "a" * length,
            _FORMAT_SAMPLES["uuid"],
            _FORMAT_SAMPLES["date-time"],
            "",
        ]
        return next((c for c in candidates if self.valid(schema, c)), candidates[0])


def _clamp(schema: dict[str, Any], value: float, kind: str) -> float:
    if "maximum" in schema:
        value = min(value, schema["maximum"])
    if "minimum" in schema:
        value = max(value, schema["minimum"])
    return int(value) if kind == "integer" and not isinstance(value, bool) else value


def _type_of(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind is None and "properties" in schema:
        return "object"
    if kind is None and "items" in schema:
        return "array"
    return kind


_ABSENT = object()


def _distance(before: Any, after: Any) -> int:
    """How many leaves differ: the measure by which the nearest branch is chosen."""
    if isinstance(before, dict) and isinstance(after, dict):
        keys = set(before) | set(after)
        return sum(
            _distance(before.get(k, _ABSENT), after.get(k, _ABSENT)) for k in keys
        )  # a field added as null is a change too
    if isinstance(before, list) and isinstance(after, list):
        longest = max(len(before), len(after))
        return sum(
            _distance(before[i] if i < len(before) else None, after[i] if i < len(after) else None)
            for i in range(longest)
        )
    return 0 if before == after else 1
