"""Reading scenario files: YAML checked against the language, errors with line and column.

A scenario is written by hand, so a mistake must be easy to find: every error names the
file, the line and column of the offending value, and what was expected there.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import yaml

from mockserver.safe_load import (
    DEFAULT_LIMITS,
    BoundedLoader,
    LimitExceeded,
    YamlLimitExceeded,
    bounded_loader,
    check_value,
    clip,
    current_limits,
    excerpt,
    limits_applied,
    read_file,
    schema_message,
    too_many_bytes,
)
from mockserver.scenario.language import (
    DURATION,
    DURATION_HELP,
    MAX_WIRE_DELAY,
    MAX_WIRE_DELAY_TEXT,
    SCENARIO,
    duration,
    duration_limit_problem,
)
from mockserver.scenario.model import Act, Calls, Latency, Match, Rule, Scenario, TimelineEntry

# jsonschema is imported by the first scenario read: a server that loads none never imports
# it (issue 21, start-up).
if TYPE_CHECKING:
    import jsonschema

Position = tuple[int, int]
ScenarioReference = str | Path | Mapping[str, Any]
_EVENT_KINDS = ("uplink", "revoke_key", "session_reset", "device_silent", "gateway_outage")
_SPANNING = ("device_silent", "gateway_outage")
_REQUEST_MATCHES = ("operation", "params", "headers", "query", "body")
_EXCLUSIVE_ACTS = ("respond", "drop", "garbage", "rate_limit", "delivery")
#: Timeline acts that make one device do something: they name it by its exact id, never by
#: a glob (globs are for what matches devices: a rule's `device`, device_silent).
ONE_DEVICE_ACTS = ("uplink", "session_reset")
_GLOB_CHARACTERS = re.compile(r"[*?\[]")
_SCENARIO_NAME = re.compile(SCENARIO["properties"]["name"]["pattern"])
#: RFC 9110 field names are tokens; values are visible Latin-1 text, spaces and tabs.
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")


class ScenarioError(ValueError):
    """A scenario cannot be used; the message says where (file:line:column) and why. It
    quotes at most a short excerpt of the input (`clip`): never a whole huge value."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(clip(message))


class ScenarioTooLarge(ScenarioError):
    """The scenario passes a document limit (size, values, depth, alias expansion): 413
    over the admin API, exit status 2 for the command."""

    status = 413


def bundled_scenarios_dir() -> Path:
    """The named scenarios shipped with mockserver: in the wheel, or in a source checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_bundled" / "scenarios", package.parent / "scenarios"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("the bundled scenarios are missing from this installation")


def bundled_scenarios() -> list[Scenario]:
    return [_read_bundled(path) for path in sorted(bundled_scenarios_dir().glob("*.yaml"))]


def _read_bundled(path: Path) -> Scenario:
    """A scenario shipped with mockserver: its size is ours, not the user's limits."""
    with limits_applied(DEFAULT_LIMITS):
        return read_scenario(path)


def find_bundled_scenario(name: Any) -> Scenario:
    """A bundled scenario by its name, and nothing else: what the admin API may load by name.

    A name never reaches the file system as a path, so a caller over HTTP cannot make the
    simulator read a file of its choosing (`{"name": "/etc/hostname"}`)."""
    names = sorted(p.stem for p in bundled_scenarios_dir().glob("*.yaml"))
    if not isinstance(name, str) or not _SCENARIO_NAME.fullmatch(name) or name not in names:
        raise ScenarioError(
            f"no bundled scenario {excerpt(name)}: `name` is one of {', '.join(names)} "
            "(or PUT a whole scenario as JSON or YAML)"
        )
    return _read_bundled(bundled_scenarios_dir() / f"{name}.yaml")


def find_scenario(reference: ScenarioReference) -> Scenario:
    """A bundled scenario by name, a scenario file by path, or a description as a dict."""
    if isinstance(reference, Mapping):
        return read_scenario(reference)
    if not isinstance(reference, str | Path):
        raise ScenarioError(
            f"no scenario {excerpt(reference)}: give a bundled name, a file or a description"
        )
    path = Path(reference)
    if path.suffix in (".yaml", ".yml", ".json") or path.exists():
        return read_scenario(path)
    bundled = bundled_scenarios_dir() / f"{reference}.yaml"
    if bundled.exists():
        return _read_bundled(bundled)
    names = ", ".join(sorted(p.stem for p in bundled_scenarios_dir().glob("*.yaml")))
    raise ScenarioError(f"no scenario {excerpt(str(reference))}: not a file, nor one of {names}")


def read_scenario(source: str | Path | Mapping[str, Any], origin: str = "inline") -> Scenario:
    """A scenario from a file (read no further than the document size limit) or a
    description (held to the same value and depth limits as a file)."""
    if isinstance(source, Mapping):
        try:
            check_value(source, origin)
        except LimitExceeded as error:
            raise ScenarioTooLarge(str(error)) from None
        return _build(dict(source), origin, {})
    origin = str(source)
    try:
        text = read_file(source, origin)
    except OSError as error:
        raise ScenarioError(f"{origin}: cannot be read: {error.strerror}") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{origin}: cannot be read: it is not UTF-8 text") from None
    except LimitExceeded as error:
        raise ScenarioTooLarge(str(error)) from None
    return parse_scenario(text, origin)


def parse_scenario(text: str, origin: str) -> Scenario:
    """A scenario from YAML (or JSON) text, within the document limits in force."""
    try:
        document, positions = _load_with_positions(text, origin)
    except YamlLimitExceeded as error:
        raise ScenarioTooLarge(f"{error.where(origin)}: {error}") from None
    except LimitExceeded:
        too_large = too_many_bytes(origin, current_limits(), "the scenario")
        raise ScenarioTooLarge(str(too_large)) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"{origin}:{mark.line + 1}:{mark.column + 1}" if mark else origin
        raise ScenarioError(f"{where}: not valid YAML: {clip(str(error.problem), 200)}") from None
    except yaml.YAMLError as error:  # the reader's: a character YAML does not allow
        raise ScenarioError(f"{origin}: not valid YAML: {clip(str(error), 200)}") from None
    except RecursionError:
        raise ScenarioError(f"{origin}: nested too deeply to be a scenario") from None
    return _build(document, origin, positions)


def _build(document: Any, origin: str, positions: dict[tuple[Any, ...], Position]) -> Scenario:
    try:
        return _build_checked(document, origin, positions)
    except RecursionError:  # hundreds of nested lists: no scenario, and no reason to crash
        raise ScenarioError(f"{origin}: nested too deeply to be a scenario") from None


def _build_checked(
    document: Any, origin: str, positions: dict[tuple[Any, ...], Position]
) -> Scenario:
    def fail(path: tuple[Any, ...], message: str) -> ScenarioError:
        return ScenarioError(f"{_where(origin, positions, path)}: {message}")

    for path, problem in _not_json_data(document, ()):
        raise fail(path, f"at {_shown(path)}: {problem}")
    import jsonschema

    error = jsonschema.exceptions.best_match(_validator()(SCENARIO).iter_errors(document))
    if error is not None:
        path = tuple(error.absolute_path)
        if (
            error.validator == "pattern"
            and error.validator_value == DURATION["oneOf"][1]["pattern"]
        ):
            raise fail(
                path,
                f"at {_shown(path)}: {excerpt(error.instance)} is not a duration ({DURATION_HELP})",
            )
        if error.validator == "durationLimit":
            raise fail(path, f"at {_shown(path)}: {schema_message(error)}")
        raise fail(path, f"at {_shown(path)}: {schema_message(error)}{_expected(error)}")
    if document.get("world") is not None:
        _check_world(document["world"], fail)
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


def _check_world(world: dict[str, Any], fail: Any) -> None:
    """A scenario's world is checked as a world file, then built once on the side: what only
    building finds (a device declared twice) is refused here, not when the world switches."""
    from mockserver.clock import VirtualClock
    from mockserver.core import DeviceExists
    from mockserver.providers.worlds import build_providers, read_world
    from mockserver.world import World, WorldError

    try:
        description = read_world(world)
    except WorldError as problem:
        raise fail(("world",), str(problem).replace("world: ", "world ", 1)) from None
    try:
        build_providers(World.build(description, VirtualClock()))
    except ValueError as problem:  # WorldError, DeviceExists, the providers' own refusals
        twice = problem if isinstance(problem, DeviceExists) else problem.__cause__
        if isinstance(twice, DeviceExists):
            raise fail(("world",), f"world has the device {twice} more than once") from None
        shown = str(problem).removeprefix("world: ")
        raise fail(("world",), f"world cannot be built: {shown}") from None


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
    if kind in ONE_DEVICE_ACTS and _GLOB_CHARACTERS.search(str(arguments["device"])):
        raise fail(
            (*path, kind, "device"),
            f"{kind} acts on one device: name it by its exact id (globs *, ? and [ are for "
            "what matches devices: a rule's `device` and device_silent)",
        )
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
    _check_times(match_spec, act_spec, path, fail)
    _check_wire_delays(act_spec, (*path, "act"), fail)
    if "respond" in act_spec:
        _check_respond(act_spec["respond"], (*path, "act", "respond"), fail)
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


def _check_times(
    match_spec: dict[str, Any], act_spec: dict[str, Any], path: tuple[Any, ...], fail: Any
) -> None:
    """Time spans that could never hold: an empty or backward window, a rate per no time."""
    window = match_spec.get("window") or {}
    if "from" in window and "to" in window and duration(window["to"]) <= duration(window["from"]):
        raise fail((*path, "match", "window", "to"), "`to` must come after `from`")
    rate = act_spec.get("rate_limit")
    if rate is not None and duration(rate["per"]) <= 0:
        raise fail((*path, "act", "rate_limit", "per"), "`per` must be longer than zero")


def _check_wire_delays(act_spec: dict[str, Any], path: tuple[Any, ...], fail: Any) -> None:
    """Latency and a slow body are wall-clock time a client waits: at most MAX_WIRE_DELAY."""
    waits: list[tuple[tuple[Any, ...], Any]] = []
    for kind, value in (act_spec.get("latency") or {}).items():
        if kind == "fixed":
            waits.append(((*path, "latency", kind), value))
        elif kind == "uniform":
            waits += [((*path, "latency", kind, i), v) for i, v in enumerate(value)]
        else:
            waits.append(((*path, "latency", kind, "median"), value["median"]))
    if "slow_body" in act_spec:
        waits.append(((*path, "slow_body", "duration"), act_spec["slow_body"]["duration"]))
    for where, value in waits:
        if duration(value) > MAX_WIRE_DELAY:
            raise fail(
                where,
                f"{excerpt(value)} is longer than {MAX_WIRE_DELAY_TEXT}, the longest "
                "wall-clock wait an act may put on a call (use the timeline for what happens "
                "later)",
            )


def _check_respond(respond: dict[str, Any], path: tuple[Any, ...], fail: Any) -> None:
    """A vendor's error by name is the vendor's whole answer; a literal one must be sendable.

    `body` or `headers` next to `error` are refused rather than ignored or mixed in: the
    named error answers exactly as the vendor does, and a custom answer is a literal one."""
    if "error" in respond:
        extra = [name for name in ("body", "headers") if name in respond]
        if extra:
            raise fail(
                (*path, extra[0]),
                f"{' and '.join(extra)} cannot go with `error`: a vendor's error by name is "
                "answered exactly as the vendor answers it; for your own body or headers "
                "give a literal `status`",
            )
    for name, value in (respond.get("headers") or {}).items():
        where = (*path, "headers", name)
        if not _HEADER_NAME.fullmatch(name):
            allowed = "letters, digits and -_.!#$%&'*+^`|~"
            raise fail(where, f"{excerpt(name)} is not an HTTP header name ({allowed})")
        if not _HEADER_VALUE.fullmatch(value):
            raise fail(
                where,
                f"the value of {name} is not sendable in HTTP: Latin-1 text without line "
                "breaks or other control characters",
            )


def _check_provider(name: str, path: tuple[Any, ...], fail: Any) -> None:
    from mockserver.providers import PROVIDERS

    if name not in PROVIDERS:
        raise fail(path, f"no provider {excerpt(name)} (one of {', '.join(sorted(PROVIDERS))})")


def _check_error_name(reference: str, path: tuple[Any, ...], fail: Any) -> None:
    from mockserver.providers import PROVIDERS

    provider, _, name = (part.strip() for part in reference.partition(":"))
    _check_provider(provider, path, fail)
    known = PROVIDERS[provider].scenario_error_names()
    if name not in known:
        shown = ", ".join(known[:40]) + (" ..." if len(known) > 40 else "")
        raise fail(path, f"{provider} has no error {excerpt(name)} (known: {shown})")


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
def _load_with_positions(text: str, origin: str) -> tuple[Any, dict[tuple[Any, ...], Position]]:
    """The document, and where (line, column) each value of it starts in the text."""
    loader = bounded_loader(text)
    try:
        node = loader.get_single_node()
        positions: dict[tuple[Any, ...], Position] = {}
        document = _construct(loader, node, (), positions, origin) if node is not None else {}
    finally:
        loader.release()
    return document, positions


def _construct(
    loader: BoundedLoader,
    node: yaml.Node,
    path: tuple[Any, ...],
    positions: dict[tuple[Any, ...], Position],
    origin: str,
) -> Any:
    positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        result = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                mark = key_node.start_mark
                where = f"{origin}:{mark.line + 1}:{mark.column + 1}"
                problem = _key_problem(key, yaml_read=True)
                raise ScenarioError(f"{where}: at {_shown(path)}: {problem}")
            if key in result:  # YAML forbids it; PyYAML would quietly keep the last one
                mark = key_node.start_mark
                where = f"{origin}:{mark.line + 1}:{mark.column + 1}"
                raise ScenarioError(f"{where}: at {_shown(path)}: {excerpt(key)} is given twice")
            result[key] = _construct(loader, value_node, (*path, key), positions, origin)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _construct(loader, item, (*path, index), positions, origin)
            for index, item in enumerate(node.value)
        ]
    return loader.construct_object(node, deep=True)


def _key_problem(key: Any, yaml_read: bool = False) -> str:
    if yaml_read and isinstance(key, bool | None):
        return (
            f"a key read as {'null' if key is None else str(key).lower()}: YAML takes "
            "yes, no, on, off, true, false, null and ~ for those; quote a key meant as text"
        )
    quote = " (quote it)" if yaml_read else ""
    return f"a key must be text, not {type(key).__name__} {excerpt(key)}{quote}"


def _not_json_data(value: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    """What in a document JSON could not say: keys other than text, dates, bytes, NaN and
    infinities. A scenario is JSON data whichever way it comes (YAML, JSON, a dict), and
    the matching, the answers and the clock rely on that."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                yield path, _key_problem(key)
                return
            yield from _not_json_data(item, (*path, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _not_json_data(item, (*path, index))
    elif isinstance(value, float) and not math.isfinite(value):
        yield path, f"{value!r} is not a finite number"
    elif not isinstance(value, str | int | float | bool | None):
        kind = type(value).__name__
        hint = " (quote it to mean text)" if kind in ("date", "datetime") else ""
        yield path, f"{kind} {excerpt(value)} is not JSON data{hint}"


def _shown(path: tuple[Any, ...]) -> str:
    """Where in the document: keys are the user's, so a long one is cut."""
    return clip("/".join(str(part) for part in path), 200) or "(top level)"


def _validate_duration_limit(
    validator: Any, limit: str, instance: Any, schema: dict[str, Any]
) -> Iterator[jsonschema.ValidationError]:
    import jsonschema

    problem = duration_limit_problem(instance)
    if problem is not None:
        yield jsonschema.ValidationError(problem)


@functools.cache
def _validator() -> Any:
    """The language's validator class: JSON Schema 2020-12, and durations no clock could
    wait refused."""
    import jsonschema

    return jsonschema.validators.extend(  # type: ignore[no-untyped-call]  # untyped in stubs
        jsonschema.Draft202012Validator, {"durationLimit": _validate_duration_limit}
    )


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
        return f" (one of: {', '.join(map(str, cast(list[Any], error.validator_value)))})"
    if "description" in schema:
        return f" (expected: {schema['description']})"
    return ""
