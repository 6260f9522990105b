"""Reading scenario files: YAML checked against the language, errors with line and column.

A scenario is written by hand, so a mistake must be easy to find: every error names the
file, the line and column of the offending value, and what was expected there.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from mockserver.scenario.language import DURATION, DURATION_HELP, SCENARIO, duration
from mockserver.scenario.model import Act, Calls, Latency, Match, Rule, Scenario, TimelineEntry

Position = tuple[int, int]
ScenarioReference = str | Path | Mapping[str, Any]
_EVENT_KINDS = ("uplink", "revoke_key", "session_reset", "device_silent", "gateway_outage")
_SPANNING = ("device_silent", "gateway_outage")
_REQUEST_MATCHES = ("operation", "params", "headers", "query", "body")
_EXCLUSIVE_ACTS = ("respond", "drop", "garbage", "rate_limit", "delivery")


class ScenarioError(ValueError):
    """A scenario cannot be used; the message says where (file:line:column) and why."""


def bundled_scenarios_dir() -> Path:
    """The named scenarios shipped with mockserver: in the wheel, or in a source checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_bundled" / "scenarios", package.parent / "scenarios"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("the bundled scenarios are missing from this installation")


def bundled_scenarios() -> list[Scenario]:
    return [read_scenario(path) for path in sorted(bundled_scenarios_dir().glob("*.yaml"))]


def find_scenario(reference: ScenarioReference) -> Scenario:
    """A bundled scenario by name, a scenario file by path, or a description as a dict."""
    if isinstance(reference, Mapping):
        return read_scenario(reference)
    path = Path(reference)
    if path.suffix in (".yaml", ".yml", ".json") or path.exists():
        return read_scenario(path)
    bundled = bundled_scenarios_dir() / f"{reference}.yaml"
    if bundled.exists():
        return read_scenario(bundled)
    names = ", ".join(sorted(p.stem for p in bundled_scenarios_dir().glob("*.yaml")))
    raise ScenarioError(f"no scenario {str(reference)!r}: not a file, nor one of {names}")


def read_scenario(source: str | Path | Mapping[str, Any]) -> Scenario:
    if isinstance(source, Mapping):
        return _build(dict(source), "inline", {})
    origin = str(source)
    try:
        text = Path(source).read_text(encoding="utf-8")
    except OSError as error:
        raise ScenarioError(f"{origin}: cannot be read: {error.strerror}") from None
    return parse_scenario(text, origin)


def parse_scenario(text: str, origin: str) -> Scenario:
    try:
        document, positions = _load_with_positions(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"{origin}:{mark.line + 1}:{mark.column + 1}" if mark else origin
        raise ScenarioError(f"{where}: not valid YAML: {error.problem}") from None
    return _build(document, origin, positions)


def _build(document: Any, origin: str, positions: dict[tuple[Any, ...], Position]) -> Scenario:
    def fail(path: tuple[Any, ...], message: str) -> ScenarioError:
        return ScenarioError(f"{_where(origin, positions, path)}: {message}")

    validator = jsonschema.Draft202012Validator(SCENARIO)
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        path = tuple(error.absolute_path)
        shown = "/".join(str(part) for part in path) or "(top level)"
        if (
            error.validator == "pattern"
            and error.validator_value == DURATION["oneOf"][1]["pattern"]
        ):
            raise fail(path, f"at {shown}: {error.instance!r} is not a duration ({DURATION_HELP})")
        raise fail(path, f"at {shown}: {error.message}{_expected(error)}")
    if document.get("world") is not None:
        from mockserver.world import WorldError, read_world

        try:
            read_world(document["world"])
        except WorldError as problem:
            raise fail(("world",), str(problem).replace("world: ", "world ", 1)) from None
    timeline = tuple(
        _timeline_entry(entry, ("timeline", i), fail)
        for i, entry in enumerate(document.get("timeline") or [])
    )
    rules = tuple(
        _rule(rule, i, ("rules", i), fail) for i, rule in enumerate(document.get("rules") or [])
    )
    return Scenario(
        name=document["name"],
        description=document["description"].strip(),
        seed=document.get("seed", 0),
        world=document.get("world"),
        timeline=timeline,
        rules=rules,
        source=origin,
        document=document,
    )


def _timeline_entry(entry: dict[str, Any], path: tuple[Any, ...], fail: Any) -> TimelineEntry:
    kinds = [kind for kind in _EVENT_KINDS if kind in entry]
    if len(kinds) != 1:
        raise fail(path, f"a timeline entry has exactly one of {', '.join(_EVENT_KINDS)}")
    kind = kinds[0]
    if kind in _SPANNING:
        if "from" not in entry or "to" not in entry or "at" in entry:
            raise fail(path, f"{kind} spans time: give `from` and `to` (not `at`)")
        start, end = duration(entry["from"]), duration(entry["to"])
        if end <= start:
            raise fail((*path, "to"), "`to` must come after `from`")
        return TimelineEntry(kind, start, end, dict(entry[kind]))
    if "at" not in entry or "from" in entry or "to" in entry:
        raise fail(path, f"{kind} happens at one instant: give `at` (not `from`/`to`)")
    arguments = dict(entry[kind])
    if "every" in arguments:
        arguments["every"] = duration(arguments["every"])
        if arguments["every"] <= 0:
            raise fail((*path, kind, "every"), "`every` must be longer than zero")
    return TimelineEntry(kind, duration(entry["at"]), None, arguments)


def _rule(rule: dict[str, Any], index: int, path: tuple[Any, ...], fail: Any) -> Rule:
    act_spec = rule["act"]
    exclusive = [name for name in _EXCLUSIVE_ACTS if name in act_spec]
    if len(exclusive) > 1:
        raise fail((*path, "act"), f"{' and '.join(exclusive)} exclude each other: choose one")
    if "delivery" in act_spec and len(act_spec) > 1:
        raise fail((*path, "act"), "a delivery fault acts on downlinks: it takes no other act")
    match_spec = rule.get("match") or {}
    request_only = [k for k in _REQUEST_MATCHES if k in match_spec]
    if "delivery" in act_spec and request_only:
        raise fail(
            (*path, "match"),
            f"a delivery rule matches downlinks, not requests: {', '.join(request_only)} "
            "cannot apply (use provider, device, confirmed, calls, probability, window)",
        )
    delivery_only = [k for k in ("device", "confirmed") if k in match_spec]
    if "delivery" not in act_spec and delivery_only:
        raise fail(
            (*path, "match"),
            f"{', '.join(delivery_only)} match downlinks: only a delivery rule uses them",
        )
    if "error" in act_spec.get("respond", {}):
        reference = act_spec["respond"]["error"]
        _check_error_name(reference, (*path, "act", "respond", "error"), fail)
        named = reference.partition(":")[0].strip()
        if match_spec.get("provider", named) != named:
            raise fail(
                (*path, "match", "provider"),
                f"the rule answers with a {named} error but matches {match_spec['provider']} "
                "calls (a vendor's error by name answers only that vendor's calls)",
            )
    if "provider" in match_spec:
        _check_provider(match_spec["provider"], (*path, "match", "provider"), fail)
    return Rule(index, rule.get("name") or f"rule {index + 1}", _match(match_spec), _act(act_spec))


def _check_provider(name: str, path: tuple[Any, ...], fail: Any) -> None:
    from mockserver.providers import PROVIDERS

    if name not in PROVIDERS:
        raise fail(path, f"no provider {name!r} (one of {', '.join(sorted(PROVIDERS))})")


def _check_error_name(reference: str, path: tuple[Any, ...], fail: Any) -> None:
    from mockserver.providers import PROVIDERS

    provider, _, name = (part.strip() for part in reference.partition(":"))
    _check_provider(provider, path, fail)
    known = PROVIDERS[provider].scenario_error_names()
    if name not in known:
        shown = ", ".join(known[:40]) + (" ..." if len(known) > 40 else "")
        raise fail(path, f"{provider} has no error {name!r} (known: {shown})")


def _match(spec: dict[str, Any]) -> Match:
    calls = spec.get("calls")
    window = spec.get("window") or {}
    return Match(
        provider=spec.get("provider"),
        operation=spec.get("operation"),
        params={k: str(v) for k, v in (spec.get("params") or {}).items()},
        headers={k.lower(): str(v) for k, v in (spec.get("headers") or {}).items()},
        query={k: str(v) for k, v in (spec.get("query") or {}).items()},
        body=dict(spec.get("body") or {}),
        device=spec.get("device"),
        confirmed=spec.get("confirmed"),
        calls=Calls(*next(iter(calls.items()))) if calls else None,
        probability=spec.get("probability"),
        window_from=duration(window["from"]) if "from" in window else None,
        window_to=duration(window["to"]) if "to" in window else None,
    )


def _act(spec: dict[str, Any]) -> Act:
    respond = spec.get("respond") or {}
    latency = None
    if "latency" in spec:
        kind, value = next(iter(spec["latency"].items()))
        if kind == "fixed":
            latency = Latency(kind, (float(duration(value)),))
        elif kind == "uniform":
            latency = Latency(kind, tuple(float(duration(v)) for v in value))
        else:
            latency = Latency(kind, (float(duration(value["median"])), float(value["sigma"])))
    slow = spec.get("slow_body")
    rate = spec.get("rate_limit")
    return Act(
        error=respond.get("error"),
        status=respond.get("status"),
        body=respond.get("body"),
        headers=dict(respond.get("headers") or {}),
        latency=latency,
        slow_body=(duration(slow["duration"]), slow.get("chunks", 10)) if slow else None,
        drop=spec.get("drop"),
        garbage=spec.get("garbage"),
        rate_limit=(rate["limit"], duration(rate["per"])) if rate else None,
        delivery=spec.get("delivery"),
    )


# -- positions ---------------------------------------------------------------------------
def _load_with_positions(text: str) -> tuple[Any, dict[tuple[Any, ...], Position]]:
    """The document, and where (line, column) each value of it starts in the text."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        positions: dict[tuple[Any, ...], Position] = {}
        document = _construct(loader, node, (), positions) if node is not None else {}
    finally:
        loader.dispose()
    return document, positions


def _construct(
    loader: yaml.SafeLoader,
    node: yaml.Node,
    path: tuple[Any, ...],
    positions: dict[tuple[Any, ...], Position],
) -> Any:
    positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        result = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            result[key] = _construct(loader, value_node, (*path, key), positions)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _construct(loader, item, (*path, index), positions)
            for index, item in enumerate(node.value)
        ]
    return loader.construct_object(node, deep=True)


def _where(origin: str, positions: dict[tuple[Any, ...], Position], path: tuple[Any, ...]) -> str:
    for length in range(len(path), -1, -1):
        position = positions.get(path[:length])
        if position is not None:
            return f"{origin}:{position[0]}:{position[1]}"
    return origin


def _expected(error: jsonschema.ValidationError) -> str:
    """What the language wanted at that place, in a few words."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties" and "properties" in schema:
        return f" (allowed here: {', '.join(schema['properties'])})"
    if error.validator == "enum":
        return f" (one of: {', '.join(map(str, error.validator_value))})"
    if "description" in schema:
        return f" (expected: {schema['description']})"
    return ""
