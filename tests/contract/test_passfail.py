"""jsonschema-rs (passfail.py) never passes what fastjsonschema, the reference, refuses.

Differential: every schema the bundled descriptions compile (request bodies, parameters,
responses) is run on values built from the schema itself (its examples, a sample of each
property) and on random mutations of them (fields dropped, types changed, strings bent at
the places where regex engines and format checks differ); wherever jsonschema-rs says
"valid", fastjsonschema must say so too. Their "invalid" may differ (fastjsonschema then
decides), but over this corpus they agree everywhere but a handful of cases, counted.
"""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest
from fastjsonschema import JsonSchemaValueException

from mockserver.contract import Contract
from mockserver.contract.documents import bundled_specs_dir, resolve_pointer
from mockserver.contract.passfail import RustChecks
from mockserver.contract.validation import CompiledSchema, SchemaCompiler

STRINGS = [
    "",
    "a",
    "0102",
    "vu8=",
    "vu8",
    "imei:356938035643809",
    "imei:356938035643809\n",  # Python's `$` before a final newline; fastjsonschema's `\Z`
    "imei:３５６９３８０３５６４３８０９",  # full-width digits: `\d` in Unicode, not ECMA
    "urn:dev:deveui:0004a30b001a2b3c",
    "0004A30B001A2B3C",
    "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "2026-12-07T13:00:00Z",
    "2026-02-30T13:00:00Z",
    "2026-12-07T13:00:00.123+01:00",
    "PT10M",
    "PT0.5S",
    "P",
    "http://example.com/x",
    "not a uri",
    "NORMAL",
    "é",
    "\ud800",  # Rust cannot hold it: fastjsonschema decides
    "x" * 300,
]
NUMBERS: list[Any] = [0, 1, -1, 1.0, 1.5, 255, 256, 2**31, 2**63, 2**64, 10**30, 1e300, True]


def _compiled_schemas() -> list[tuple[str, CompiledSchema]]:
    contract = Contract.load(bundled_specs_dir())
    validator = contract._validator
    found = []
    for operation in contract.operations():
        plan = validator._plan(operation)
        named: list[tuple[str, Any]] = [("path", plan.path)]
        named += [(f"param {c.parameter.name}", c.validate) for c in plan.parameters]
        named += [(f"body {kind}", v) for kind, v in plan.bodies.items()]
        named += [
            (f"response {status} {kind}", v)
            for status, media in plan.responses.items()
            for kind, v in media.items()
        ]
        for name, compiled in named:
            if isinstance(compiled, CompiledSchema) and compiled.rust is not None:
                found.append((f"{operation.key} {name}", compiled))
    return found


def _fast(compiled: CompiledSchema) -> Any:
    return compiled.fast


def _rust(compiled: CompiledSchema) -> Any:
    assert compiled.rust is not None
    return compiled.rust


def _sample(schema: Any, root: dict[str, Any], rng: random.Random, depth: int = 0) -> Any:
    """A value shaped by the schema (valid or nearly): the first choice of each branch."""
    if depth > 12 or not isinstance(schema, dict):
        return None
    if "$ref" in schema:
        return _sample(resolve_pointer(root, schema["$ref"]), root, rng, depth + 1)
    for key in ("const",):
        if key in schema:
            return copy.deepcopy(schema[key])
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return copy.deepcopy(rng.choice(schema["enum"]))
    for key in ("allOf", "oneOf", "anyOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            merged: Any = None
            for branch in schema[key] if key == "allOf" else [rng.choice(schema[key])]:
                part = _sample(branch, root, rng, depth + 1)
                if isinstance(merged, dict) and isinstance(part, dict):
                    merged.update(part)
                elif part is not None:
                    merged = part
            if merged is not None:
                return merged
    if "if" in schema and "then" in schema and rng.random() < 0.5:
        return _sample({"allOf": [schema["if"], schema["then"]]}, root, rng, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = rng.choice(kind)
    properties = schema.get("properties")
    if kind == "object" or isinstance(properties, dict):
        return {
            name: _sample(sub, root, rng, depth + 1)
            for name, sub in (properties or {}).items()
            if rng.random() < 0.8 or name in schema.get("required", [])
        }
    if kind == "array":
        return [
            _sample(schema.get("items"), root, rng, depth + 1) for _ in range(rng.randint(0, 3))
        ]
    if kind in ("integer", "number"):
        low = schema.get("minimum", 0)
        return low if isinstance(low, int | float) else 0
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "string":
        return rng.choice(STRINGS)
    return rng.choice([None, "x", 1, {}])


def _mutate(value: Any, rng: random.Random) -> Any:
    """The value with one random change somewhere inside."""
    if isinstance(value, dict) and value and rng.random() < 0.7:
        key = rng.choice(list(value))
        out = dict(value)
        roll = rng.random()
        if roll < 0.2:
            del out[key]
        elif roll < 0.3:
            out["unexpected"] = rng.choice(STRINGS)
        else:
            out[key] = _mutate(out[key], rng)
        return out
    if isinstance(value, list) and value and rng.random() < 0.7:
        out_list = list(value)
        index = rng.randrange(len(out_list))
        out_list[index] = _mutate(out_list[index], rng)
        return out_list
    return rng.choice([*STRINGS, *NUMBERS, None, [], {}, [1], {"a": 1}])


def _passes(check: Any, value: Any) -> bool:
    try:
        check(value)
    except JsonSchemaValueException:
        return False
    return True


SCHEMAS = _compiled_schemas()


def test_the_bundled_descriptions_are_checked_in_rust():
    """Every schema of the bundled descriptions goes to jsonschema-rs (none uses a keyword
    left to fastjsonschema alone), or the speed-up silently disappears."""
    assert len(SCHEMAS) > 100


@pytest.mark.parametrize("seed", range(4))
def test_rust_passes_nothing_fastjsonschema_refuses(seed):
    rng = random.Random(seed)
    disagreements = []
    runs = agreed = 0
    for name, compiled in SCHEMAS:
        rust, fast = _rust(compiled), _fast(compiled)
        base = _sample(compiled._root, compiled._root, rng)
        values = [base] + [_mutate(base, rng) for _ in range(25)]
        values += [_mutate(_mutate(base, rng), rng) for _ in range(10)]
        for value in values:
            try:
                rust_says = bool(rust(value))
            except Exception:
                continue  # fastjsonschema decides alone (a lone surrogate)
            fast_says = _passes(fast, value)
            runs += 1
            agreed += rust_says == fast_says
            if rust_says and not fast_says:
                disagreements.append((name, value))
    assert disagreements == []
    assert runs > 1000
    assert agreed / runs > 0.99, f"{runs - agreed} of {runs} differ"


def test_patterns_keep_fastjsonschema_meaning():
    """`$` is the very end (no newline before it) and `\\d` is ASCII, in both."""
    compiler = SchemaCompiler(Contract.load(bundled_specs_dir()).specs[0])
    schema = {"type": "string", "pattern": "^imei:\\d{15,16}$"}
    compiled = compiler.compile(schema, "request")
    assert compiled.rust is not None
    for value, valid in [
        ("imei:356938035643809", True),
        ("imei:356938035643809\n", False),
        ("imei:３５６９３８０３５６４３８０９", False),
        ("xx imei:356938035643809", False),
    ]:
        assert _passes(compiled.check, value) is valid, value
        assert _passes(_fast(compiled), value) is valid, value


def test_unshared_keywords_stay_with_fastjsonschema():
    checks = RustChecks({})
    assert checks.check({"type": "array", "uniqueItems": True}) is None
    assert checks.check({"type": "number", "multipleOf": 0.1}) is None
    assert checks.check({"type": "object", "properties": {"a": {"type": "string"}}}) is not None
