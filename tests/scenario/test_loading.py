"""The scenario language: what it accepts, and errors that say file:line:column and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockserver.cli import main
from mockserver.scenario.language import duration
from mockserver.scenario.loading import (
    ScenarioError,
    bundled_scenarios,
    bundled_scenarios_dir,
    find_scenario,
    parse_scenario,
)
from mockserver.types import SECOND


def problem(text: str) -> str:
    with pytest.raises(ScenarioError) as raised:
        parse_scenario(text, "s.yaml")
    return str(raised.value)


def test_every_bundled_scenario_is_valid_and_there_are_at_least_ten():
    scenarios = bundled_scenarios()
    assert len(scenarios) >= 10
    assert len({s.name for s in scenarios}) == len(scenarios)
    for scenario in scenarios:
        path = bundled_scenarios_dir() / f"{scenario.name}.yaml"
        assert path.exists(), f"{scenario.name} must live in {scenario.name}.yaml"


def test_durations_read_as_people_write_them():
    assert duration(1.5) == 1_500_000
    assert duration("250ms") == 250_000
    assert duration("10m") == 600 * SECOND
    assert duration("2h") == 7200 * SECOND
    assert duration("2h30m") == 9000 * SECOND
    with pytest.raises(ValueError):
        duration("10 minutes")


def test_an_unknown_act_names_its_line_column_and_what_is_allowed():
    text = "name: x\ndescription: y\nrules:\n  - act:\n      explode: true\n"
    message = problem(text)
    assert message.startswith("s.yaml:5:7: at rules/0/act:")
    assert "allowed here: respond, latency, slow_body, drop, garbage, rate_limit, delivery" in (
        message
    )


def test_a_bad_value_points_at_the_value():
    message = problem("name: x\ndescription: y\nrules:\n  - act: {drop: gently}\n")
    assert message.startswith("s.yaml:4:17:")
    assert "one of: reset, after_headers" in message


def test_yaml_syntax_errors_have_a_position_too():
    assert problem("name: x\ndescription: [unclosed\n").startswith("s.yaml:3:1: not valid YAML")


def test_acts_that_exclude_each_other_are_refused():
    text = "name: x\ndescription: y\nrules:\n  - act: {drop: reset, garbage: 10}\n"
    assert "drop and garbage exclude each other" in problem(text)


def test_a_delivery_rule_cannot_match_on_request_fields():
    text = "name: x\ndescription: y\nrules:\n  - match: {operation: X}\n    act: {delivery: nack}\n"
    message = problem(text)
    assert message.startswith("s.yaml:4:12:")
    assert "a delivery rule matches downlinks, not requests: operation" in message


def test_timeline_entries_need_the_right_kind_of_time():
    spans = "name: x\ndescription: y\ntimeline:\n  - at: 1m\n    gateway_outage: {}\n"
    assert "gateway_outage spans time: give `from` and `to`" in problem(spans)
    backwards = (
        "name: x\ndescription: y\ntimeline:\n  - {from: 10m, to: 5m, device_silent: {device: a}}\n"
    )
    assert "`to` must come after `from`" in problem(backwards)


def test_unknown_providers_and_errors_are_named_with_what_exists():
    unknown = "name: x\ndescription: y\nrules:\n  - act: {respond: {error: 'acme: 500'}}\n"
    assert "no provider 'acme'" in problem(unknown)
    bad = "name: x\ndescription: y\nrules:\n  - act: {respond: {error: 'kpn: 418'}}\n"
    assert "kpn has no error '418' (known: 400, 401" in problem(bad)


def test_a_scenario_world_is_checked_as_a_world_file():
    text = "name: x\ndescription: y\nworld:\n  tts: {applications: 3}\n"
    assert problem(text).startswith("s.yaml:4:3: world")


def test_find_by_name_by_path_or_inline(tmp_path: Path):
    assert find_scenario("flaky-network").name == "flaky-network"
    own = tmp_path / "mine.yaml"
    own.write_text("name: mine\ndescription: mine\n")
    assert find_scenario(own).source == str(own)
    assert find_scenario({"name": "inline", "description": "d"}).source == "inline"
    with pytest.raises(ScenarioError, match="no scenario 'nope': not a file, nor one of"):
        find_scenario("nope")


def test_the_validate_and_list_commands(tmp_path: Path, capsys):
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: Broken Name\ndescription: d\n")
    files = [str(p) for p in sorted(bundled_scenarios_dir().glob("*.yaml"))]
    assert main(["scenario", "validate", *files]) == 0
    assert main(["scenario", "validate", str(broken)]) == 1
    assert f"{broken}:1:7: at name:" in capsys.readouterr().err
    assert main(["scenario", "list"]) == 0
    listed = capsys.readouterr().out
    assert "flaky-network" in listed and "gateway-outage" in listed
