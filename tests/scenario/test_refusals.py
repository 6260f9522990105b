"""What the language refuses when a scenario is read, so that nothing fails once it runs.

Each refusal is a ScenarioError naming file:line:column, as every other mistake is: never an
exception escaping the loader, and never a 500 or a crash when a call meets the rule.
"""

from __future__ import annotations

import math

import pytest

from mockserver.contract import HttpRequest
from mockserver.scenario.engine import ActiveScenario
from mockserver.scenario.language import MAX_DURATION
from mockserver.scenario.loading import ScenarioError, parse_scenario, read_scenario
from mockserver.scenario.model import Act, Latency, Match, Rule, Scenario
from mockserver.server import MockServer
from mockserver.types import SECOND

HEAD = "name: x\ndescription: d\n"


def problem(text: str) -> str:
    with pytest.raises(ScenarioError) as raised:
        parse_scenario(HEAD + text, "s.yaml")
    return str(raised.value)


def rule(act: str, match: str = "") -> str:
    return f"rules:\n  - match: {{{match}}}\n    act: {act}\n"


def at(when: str) -> str:
    return f"timeline:\n  - at: {when}\n    revoke_key: {{provider: tts, key: k}}\n"


# -- latency ---------------------------------------------------------------------------------
def test_a_lognormal_sigma_beyond_four_is_refused():
    message = problem(rule("{latency: {lognormal: {median: 1s, sigma: 1000}}}"))
    assert message.startswith("s.yaml:5:52: at rules/0/act/latency/lognormal/sigma:")
    assert "greater than the maximum of 4" in message
    parse_scenario(HEAD + rule("{latency: {lognormal: {median: 1s, sigma: 4}}}"), "s.yaml")


def test_a_lognormal_draw_cannot_overflow_even_when_the_loader_is_bypassed():
    """A Scenario built in Python skips the loader: the draw itself must stay finite."""
    wide = Latency("lognormal", (float(SECOND), 1000.0))
    scenario = Scenario("x", "d", 1, None, (), (Rule(0, "wide", Match(), Act(latency=wide)),), "")
    active = ActiveScenario(scenario, MockServer().clock)
    request = HttpRequest("GET", "/x", "", {}, b"")
    provider = MockServer().providers["tts"]
    for _ in range(50):  # half the normal draws are positive: exp(1000 * z) overflows
        acts = active.on_request(provider, "x", None, {}, request)
        assert acts is not None
        assert math.isfinite(acts.latency) and acts.latency <= MAX_DURATION / SECOND


# -- durations -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (".inf", "inf is not a finite number"),
        (".nan", "nan is not a finite number"),
        ("1.0e+300", "1e+300 is longer than 365d"),
        ("400d", "'400d' is longer than 365d"),
        ("9" * 400 + "s", "is longer than 365d"),
    ],
)
def test_durations_no_clock_can_wait_are_refused_where_they_are(when: str, expected: str):
    message = problem(at(when))
    assert message.startswith("s.yaml:4:9: at timeline/0/at:")
    assert expected in message


def test_a_year_is_the_longest_duration():
    assert parse_scenario(HEAD + at("365d"), "s.yaml").timeline[0].at == MAX_DURATION


@pytest.mark.parametrize(
    "text",
    [
        rule("{latency: {fixed: .inf}}"),
        rule("{drop: reset}", "window: {from: .nan}"),
        rule("{slow_body: {duration: 1000d}}"),
        rule("{rate_limit: {limit: 1, per: .inf}}"),
        "timeline:\n  - at: 1\n    uplink: {device: app1.dev1, every: .inf}\n",
    ],
)
def test_every_duration_of_the_language_is_checked(text: str):
    assert problem(text).startswith("s.yaml:")


def test_a_window_that_ends_before_it_begins_is_refused():
    message = problem(rule("{drop: reset}", "window: {from: 10m, to: 5m}"))
    assert message.startswith("s.yaml:4:37:")
    assert "`to` must come after `from`" in message
    assert "`to` must come after `from`" in problem(
        rule("{drop: reset}", "window: {from: 5m, to: 5m}")
    )


@pytest.mark.parametrize("per", ["0", "0s", "0ms"])
def test_a_rate_limit_per_no_time_is_refused(per: str):
    message = problem(rule(f"{{rate_limit: {{limit: 1, per: {per}}}}}"))
    assert message.startswith("s.yaml:5:39:")
    assert "`per` must be longer than zero" in message


# -- literal answers -------------------------------------------------------------------------
@pytest.mark.parametrize("status", [100, 101, 199])
def test_a_literal_status_is_a_final_answer(status: int):
    message = problem(rule(f"{{respond: {{status: {status}}}}}"))
    assert "at rules/0/act/respond/status:" in message
    assert "less than the minimum of 200" in message


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ('{X-A: "a\\r\\nSet-Cookie: b"}', "the value of X-A is not sendable in HTTP"),
        ('{X-A: "a\\nb"}', "the value of X-A is not sendable in HTTP"),
        ('{X-A: "caf\\u00e9 \\u20ac"}', "the value of X-A is not sendable in HTTP"),
        ('{"X A": a}', "'X A' is not an HTTP header name"),
        ('{"X-\\u00e9": a}', "is not an HTTP header name"),
        ('{"": a}', "'' is not an HTTP header name"),
    ],
)
def test_literal_headers_must_be_sendable(headers: str, expected: str):
    message = problem(rule(f"{{respond: {{status: 503, headers: {headers}}}}}"))
    assert message.startswith("s.yaml:5:")
    assert expected in message


def test_latin1_header_values_are_sendable():
    text = rule('{respond: {status: 503, headers: {X-A: "caf\\u00e9\\tok"}}}')
    assert parse_scenario(HEAD + text, "s.yaml").rules[0].act.headers == {"X-A": "café\tok"}


@pytest.mark.parametrize("extra", ["headers: {Retry-After: '5'}", "body: nope"])
def test_a_vendors_error_by_name_takes_no_body_or_headers(extra: str):
    message = problem(rule(f"{{respond: {{error: 'tts: peer_unavailable', {extra}}}}}"))
    assert message.startswith("s.yaml:5:")
    assert "cannot go with `error`" in message
    assert "give a literal `status`" in message


# -- the document is JSON data ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("match", "expected"),
    [
        ("body: {1: 7}", "at rules/0/match/body: a key must be text, not int 1 (quote it)"),
        ("query: {yes: 1}", "at rules/0/match/query: a key read as true: YAML takes yes, no"),
        ("params: {~: a}", "at rules/0/match/params: a key read as null"),
        ("headers: {on: a}", "a key read as true"),
        ("headers: {? [a, b] : c}", "a key must be text, not list ['a', 'b']"),
        ("headers: {? {a: 1} : c}", "a key must be text, not dict"),
    ],
)
def test_keys_must_be_text(match: str, expected: str):
    message = problem(rule("{drop: reset}", match))
    assert message.startswith("s.yaml:4:")
    assert expected in message


def test_keys_must_be_text_in_a_description_given_as_a_dict_too():
    for match in ({"body": {1: 7}}, {"headers": {True: "a"}}, {"query": {None: "a"}}):
        document = {
            "name": "x",
            "description": "d",
            "rules": [{"match": match, "act": {"drop": "reset"}}],
        }
        with pytest.raises(ScenarioError, match=r"^inline: at rules/0/match/\w+: a key must"):
            read_scenario(document)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("{d: 2026-01-01}", "date datetime.date(2026, 1, 1) is not JSON data (quote it"),
        ("!!binary aGk=", "bytes b'hi' is not JSON data"),
        ("{n: .nan}", "nan is not a finite number"),
    ],
)
def test_values_json_cannot_say_are_refused(value: str, expected: str):
    message = problem(rule(f"{{respond: {{status: 503, body: {value}}}}}"))
    assert message.startswith("s.yaml:5:")
    assert expected in message


def test_a_probability_must_be_a_number():
    assert "nan is not a finite number" in problem(rule("{drop: reset}", "probability: .nan"))


# -- devices ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["uplink", "session_reset"])
def test_acts_on_one_device_name_it_exactly(kind: str):
    message = problem(f"timeline:\n  - at: 1m\n    {kind}: {{device: 'app1.*'}}\n")
    assert message.startswith("s.yaml:5:")
    assert f"{kind} acts on one device: name it by its exact id" in message


def test_what_matches_devices_takes_globs():
    text = "timeline:\n  - {from: 1m, to: 2m, device_silent: {device: 'app1.*'}}\n"
    assert parse_scenario(HEAD + text, "s.yaml").timeline[0].arguments["device"] == "app1.*"
    scenario = parse_scenario(HEAD + rule("{delivery: nack}", "device: 'thingpark.*'"), "s.yaml")
    MockServer().load_scenario(scenario)  # the default world has ThingPark devices


def test_a_world_with_a_device_twice_is_refused_at_read():
    twice = (
        "world:\n  tts:\n    applications:\n      - id: app1\n        devices:\n"
        "          - {id: dev1, dev_eui: 70B3D57ED0000001}\n"
        "          - {id: dev1, dev_eui: 70B3D57ED0000002}\n"
    )
    message = problem(twice)
    assert message.startswith("s.yaml:4:3: world has the device app1.dev1 more than once")


# -- wall-clock waits and repeated keys --------------------------------------------------------
@pytest.mark.parametrize(
    ("act", "where"),
    [
        ("{latency: {fixed: 10m}}", "s.yaml:5:"),
        ("{latency: {uniform: [1s, 301s]}}", "s.yaml:5:"),
        ("{latency: {lognormal: {median: 1h, sigma: 1}}}", "s.yaml:5:"),
        ("{slow_body: {duration: 6m}}", "s.yaml:5:"),
    ],
)
def test_a_wall_clock_wait_over_five_minutes_is_refused(act, where):
    message = problem(rule(act))
    assert message.startswith(where) and "longer than 300s" in message


def test_a_wait_of_exactly_five_minutes_is_taken():
    parse_scenario(HEAD + rule("{latency: {fixed: 300s}, slow_body: {duration: 5m}}"), "s.yaml")


def test_a_key_given_twice_is_refused_where_it_is_repeated():
    text = rule("{drop: before_response}") + "    act: {garbage: 10}\n"
    assert problem(text) == "s.yaml:6:5: at rules/0: 'act' is given twice"
