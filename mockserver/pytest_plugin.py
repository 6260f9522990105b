"""pytest fixtures: a running simulator per session, reset cheaply before each test.

- `mockserver`: served on a free port of 127.0.0.1; hand `mockserver.url` to the code under
  test. Its clock is virtual: move it with `mockserver.clock.advance(seconds)`. The port is
  bound when the session starts, and the server behind it starts at the first connection.
- `mockserver_inprocess`: the same without a socket; `mockserver_inprocess.client()` returns
  an httpx client that calls the app directly.

Both are `MockServer` objects: `.network` holds the devices and queues, `.providers["tts"]`
the TTS applications and keys, `.journal` the exchanges, `.contract.log` the findings.
Choose another world with `--mockserver-world=FILE` or the `mockserver_world` ini option.

A test whose requests broke a vendor's API description fails, naming each request and the
rule it broke. `@pytest.mark.mockserver_allow_violations` relaxes that (and the warnings
below) for one test (one that sends bad input on purpose), `--mockserver-lenient` for the
whole run.

A request the vendor accepts but almost certainly by mistake (a field it drops, like
`fport`; a TTS push without its `downlinks` wrapper) is a contract warning: the test that
sent it ends with a `MockServerContractWarning` naming the field and what was likely meant.
`--mockserver-warnings-as-errors` (or the `mockserver_warnings_as_errors` ini setting) fails
such tests instead, and marks the warnings as failures in the JUnit report.

`--mockserver-report=DIR` writes report.json, report.xml (JUnit) and report.md for the
whole session (coverage and violations summed over every test) when it ends, and
`--mockserver-cov-fail-under=N` fails the session under N % operation coverage;
`--mockserver-report-providers=tts,kpn` limits both to the vendors a suite uses.

`@pytest.mark.mockserver_scenario("flaky-network")` runs a failure scenario (a bundled name
or a file) for one test.

`--mockserver-admin-token=TOKEN` (ini `mockserver_admin_token`) guards the `mockserver`
fixture's admin API with a token, as `serve --admin-token` does: for a machine whose other
users could reach its port. `mockserver.client()` sends it; other clients send it as
`X-Mockserver-Admin-Token` (`mockserver.access.token`), or as `AdminClient(url, token=...)`.

Under pytest-xdist (`-n N`) every worker gets its own simulator on its own port, and the
report is written once, by the controller, from all workers' findings.

Installed, the plugin is loaded by every pytest run on the machine, so it imports nothing of
the simulator until a fixture, a report or a gate needs it: its always-run hooks check a
name or an option first (issue 21: a session that never takes a fixture pays nothing).
"""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pluggy
import pytest

from mockserver.cli_options import percent

if TYPE_CHECKING:
    from mockserver.contract import ContractLog, ContractViolation, ContractWarning
    from mockserver.journal import JournalEntry
    from mockserver.server import MockServer

SESSION_LOG = pytest.StashKey["ContractLog"]()
COVERAGE_SHORTFALL = pytest.StashKey[str]()
#: The word the closing "N passed" line gets for a failed gate, so it is not all green.
GATE_STAT = "coverage gate failed"

FIXTURES = ("mockserver", "mockserver_inprocess")
ALLOW_MARKER = "mockserver_allow_violations"
SCENARIO_MARKER = "mockserver_scenario"
WORKER_OUTPUT_KEY = "mockserver_contract_log"


class MockServerContractWarning(UserWarning):
    """A test's request that the vendor accepts but that is almost certainly a mistake."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockserver")
    group.addoption("--mockserver-world", default=None, help="world file for the fixtures")
    group.addoption(
        "--mockserver-report",
        metavar="DIR",
        default=None,
        help="write the session's contract reports (JSON, JUnit XML, Markdown) into DIR",
    )
    group.addoption(
        "--mockserver-cov-fail-under",
        metavar="N",
        type=percent,
        default=None,
        help="fail the session when under N %% of the bundled operations were exercised",
    )
    group.addoption(
        "--mockserver-report-providers",
        metavar="NAMES",
        default=None,
        help="limit the reports and the coverage gate to these providers (comma-separated)",
    )
    group.addoption(
        "--mockserver-lenient",
        action="store_true",
        help="do not fail tests whose requests broke a vendor's API description",
    )
    group.addoption(
        "--mockserver-warnings-as-errors",
        action="store_true",
        default=None,
        help="fail tests whose requests drew contract warnings (a field the vendor drops)",
    )
    group.addoption(
        "--mockserver-admin-token",
        metavar="TOKEN",
        default=None,
        help="the admin token the fixtures' admin API requires (X-Mockserver-Admin-Token)",
    )
    parser.addini("mockserver_world", "world file for the mockserver fixtures", default="")
    parser.addini(
        "mockserver_admin_token", "the admin token the fixtures' admin API requires", default=""
    )
    parser.addini(
        "mockserver_warnings_as_errors",
        "fail tests whose requests drew contract warnings",
        type="bool",
        default=False,
    )


def pytest_configure(config: pytest.Config) -> None:
    only = _report_providers(config)
    if only is not None:
        from mockserver.contract import Contract

        known = {operation.spec.provider for operation in Contract.load().operations()}
        if unknown := sorted(set(only) - known):
            raise pytest.UsageError(
                f"--mockserver-report-providers: no bundled API for {', '.join(unknown)} "
                f"(known: {', '.join(sorted(known))})"
            )
    config.addinivalue_line(
        "markers",
        f"{ALLOW_MARKER}: the test may send requests that break the vendor's API description",
    )
    config.addinivalue_line(
        "markers",
        f"{SCENARIO_MARKER}(name_or_path): the simulator runs this failure scenario for the test",
    )


def _warnings_as_errors(config: pytest.Config) -> bool:
    option = config.getoption("mockserver_warnings_as_errors")
    return bool(config.getini("mockserver_warnings_as_errors") if option is None else option)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, pluggy.Result[None], None]:
    """After the test body: its requests to the simulator must have kept the contract, and
    its contract warnings are said (or fail it, when asked)."""
    outcome = yield
    funcargs = getattr(item, "funcargs", {})
    if "mockserver.server" not in sys.modules or not any(name in funcargs for name in FIXTURES):
        return  # no simulator in this test (none in this process yet): nothing to import
    if item.get_closest_marker(ALLOW_MARKER) is not None:
        return
    from mockserver.server import MockServer

    servers = [server for name in FIXTURES if isinstance(server := funcargs.get(name), MockServer)]
    passed = outcome.excinfo is None
    if (
        passed
        and not item.config.getoption("mockserver_lenient")
        and any(v.direction == "request" for s in servers for v in s.contract.log.violations)
    ):
        outcome.force_exception(pytest.fail.Exception(_report(servers), pytrace=False))
        passed = False
    found = [warning for server in servers for warning in server.contract.log.warnings]
    if not found:
        return
    if passed and _warnings_as_errors(item.config):
        outcome.force_exception(pytest.fail.Exception(_warned(found), pytrace=False))
        return
    path, line, _ = item.location  # shown at the test, not here
    try:  # said even when the test failed: a dropped field often explains why
        for warning in found[:20]:
            warnings.warn_explicit(
                MockServerContractWarning(_warning_line(warning)),
                MockServerContractWarning,
                str(item.config.rootpath / path),
                (line or 0) + 1,
            )
    except MockServerContractWarning as raised:  # `-W error`: the user's filter made it one
        if passed:
            outcome.force_exception(pytest.fail.Exception(str(raised), pytrace=False))


def _warning_line(warning: ContractWarning) -> str:
    return f"{warning.method} {warning.path}: {warning.where}: {warning.message}"


def _warned(found: list[ContractWarning]) -> str:
    lines = [f"{len(found)} contract warning(s): the vendor accepts the request but drops it:"]
    lines += [f"  {_warning_line(warning)}" for warning in found[:20]]
    if len(found) > 20:
        lines.append(f"  ... and {len(found) - 20} more")
    lines.append(
        "(--mockserver-warnings-as-errors or the mockserver_warnings_as_errors ini setting "
        f"made these failures; @pytest.mark.{ALLOW_MARKER} relaxes one test)"
    )
    return "\n".join(lines)


def _report(servers: list[MockServer]) -> str:
    """Each offending request, the rules it broke, and the nearest valid body."""
    failing = [
        (server, entry)
        for server in servers
        for entry in server.journal.entries()
        if any(v.direction == "request" for v in entry.violations)
    ]
    total = sum(
        1 for server in servers for v in server.contract.log.violations if v.direction == "request"
    )
    lines = [f"{len(failing) or total} request(s) broke the vendor's API description:"]
    for server, entry in failing[:10]:
        lines.append(f"  {entry.request.method} {entry.request.path}")
        for violation in entry.violations:
            if violation.direction != "request":
                continue
            lines.append(f"    {violation.where}: {violation.message} [{violation.rule}]")
            if violation.expected is not None:
                lines.append(f"      expected: {json.dumps(violation.expected)}")
            lines.append(f"      described at {violation.spec_location}")
        suggestion = _nearest_valid(server, entry)
        if suggestion is not None:
            lines.append(f"    nearest valid body: {suggestion}")
    if len(failing) > 10:
        lines.append(f"  ... and {len(failing) - 10} more")
    if not failing:  # the journal no longer holds them: show the findings alone
        lines += [f"  {v.method} {v.path}: {v.where}: {v.message}" for v in _requests(servers)]
    lines.append(
        f"(a test that sends bad input on purpose can be marked "
        f"@pytest.mark.{ALLOW_MARKER}; --mockserver-lenient relaxes the whole run)"
    )
    return "\n".join(lines)


def _requests(servers: list[MockServer]) -> list[ContractViolation]:
    found = [v for s in servers for v in s.contract.log.violations if v.direction == "request"]
    return found[:20]


def _nearest_valid(server: MockServer, entry: JournalEntry) -> str | None:
    from mockserver.contract.suggestions import nearest_valid_body

    if not any(v.where.startswith("body") for v in entry.violations):
        return None
    operation = next((op for op in server.contract.operations() if op.key == entry.operation), None)
    if operation is None:
        return None
    provider = server.providers.get(entry.provider or "")
    rules = provider.body_rules(operation) if provider is not None else None
    suggestion = nearest_valid_body(operation, entry.request.body, rules)
    return None if suggestion is None else json.dumps(suggestion)


def _world(config: pytest.Config) -> str | None:
    return config.getoption("mockserver_world") or config.getini("mockserver_world") or None


def _admin_token(config: pytest.Config) -> str | None:
    token = config.getoption("mockserver_admin_token") or config.getini("mockserver_admin_token")
    return str(token) if token else None


@pytest.fixture(scope="session")
def mockserver_session(request: pytest.FixtureRequest) -> Iterator[MockServer]:
    from mockserver.server import MockServer

    server = MockServer(_world(request.config), admin_token=_admin_token(request.config))
    server.start(on_first_connection=True)  # uvicorn waits for a test that connects
    yield server
    server.stop()


def _session_log(config: pytest.Config) -> ContractLog:
    """The session's findings, every test's summed: made when the first test that takes a
    fixture ends (or a report asks), so that a session without one imports no contract."""
    found = config.stash.get(SESSION_LOG, None)
    if found is None:
        from mockserver.contract import ContractLog

        found = config.stash[SESSION_LOG] = ContractLog(max_violations=100_000)
    return found


def _report_providers(config: pytest.Config) -> list[str] | None:
    names = config.getoption("mockserver_report_providers")
    return [name.strip() for name in names.split(",") if name.strip()] if names else None


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """pytest-xdist, on the controller: a worker's findings join the session's."""
    output = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT_KEY)
    if output is not None:
        from mockserver.contract import ContractLog

        config: pytest.Config = node.config  # type: ignore[attr-defined]
        _session_log(config).absorb(ContractLog.from_json(json.loads(output)))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write the reports and judge coverage once, where every test's findings are.

    Under pytest-xdist each worker runs its own simulator; it hands its findings to the
    controller (`pytest_testnodedown`), which alone writes the merged report.
    """
    config = session.config
    if _is_xdist_worker(config):
        found = config.stash.get(SESSION_LOG, None)  # None: no test here took a fixture
        if found is not None:
            config.workeroutput[WORKER_OUTPUT_KEY] = json.dumps(  # type: ignore[attr-defined]
                found.to_json()
            )
        return
    folder = config.getoption("mockserver_report")
    minimum = config.getoption("mockserver_cov_fail_under")
    if not folder and minimum is None:
        return
    from mockserver.contract import Contract
    from mockserver.reports import build_report, coverage_shortfall, render

    report = build_report(Contract.load(), _session_log(config), _report_providers(config))
    if folder:
        target = Path(folder)
        target.mkdir(parents=True, exist_ok=True)
        for kind, name in (
            ("json", "report.json"),
            ("junit", "report.xml"),
            ("markdown", "report.md"),
        ):
            text = render(report, kind, warnings_as_errors=_warnings_as_errors(config))
            (target / name).write_text(text, encoding="utf-8")
    summary = report["summary"]
    if minimum is not None and summary["operation_coverage_percent"] < minimum:
        session.config.stash[COVERAGE_SHORTFALL] = coverage_shortfall(
            summary, f"--mockserver-cov-fail-under={minimum:g}"
        )
        if session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> Generator[None]:
    """A failed coverage gate is said last, just above the closing line (after pytest's own
    sections, so that `-rA` does not file it under PASSES), and that line counts it: all
    tests passing and exit status 1 must not read as an all-green run."""
    yield
    shortfall = terminalreporter.config.stash.get(COVERAGE_SHORTFALL, None)
    if shortfall is not None:
        terminalreporter.write_sep("=", "mockserver coverage gate", red=True)
        terminalreporter.write_line(shortfall, red=True, bold=True)
        terminalreporter.stats.setdefault(GATE_STAT, []).append(shortfall)


def _for_one_test(request: pytest.FixtureRequest, server: MockServer) -> Iterator[MockServer]:
    """A fresh world for the test; its findings join the session's when it ends.

    The server's own findings are cleared here, having joined the session's at the end of
    the test before: what the server holds during a test is that test's alone, so a test
    fails only for what its own requests did. A reset the test makes itself (its code
    calling `POST /_mock/reset`) keeps them, so they still count for it and for the run.
    """
    from mockserver.scenario.loading import ScenarioError

    server.reset(clear_findings=True)
    marker = request.node.get_closest_marker(SCENARIO_MARKER)
    if marker is not None:
        if len(marker.args) != 1:
            raise pytest.UsageError(f"@pytest.mark.{SCENARIO_MARKER} takes one name or path")
        try:
            server.load_scenario(marker.args[0])
        except ScenarioError as error:
            raise pytest.UsageError(str(error)) from None
    yield server
    _session_log(request.config).absorb(server.contract.log)


@pytest.fixture
def mockserver(
    request: pytest.FixtureRequest, mockserver_session: MockServer
) -> Iterator[MockServer]:
    yield from _for_one_test(request, mockserver_session)


@pytest.fixture(scope="session")
def mockserver_inprocess_session(request: pytest.FixtureRequest) -> MockServer:
    from mockserver.server import MockServer

    return MockServer(_world(request.config), admin_token=_admin_token(request.config))


@pytest.fixture
def mockserver_inprocess(
    request: pytest.FixtureRequest, mockserver_inprocess_session: MockServer
) -> Iterator[MockServer]:
    yield from _for_one_test(request, mockserver_inprocess_session)
