"""Contract reports: JSON, JUnit XML and Markdown, from the admin API and from pytest."""

from __future__ import annotations

import json
from xml.etree import ElementTree

import httpx
import pytest

from mockserver.reports import build_report, render
from mockserver.server import MockServer
from tests.conftest import AUTH, WEBHOOK_DOWN

PUSH = WEBHOOK_DOWN.format(device="dev1", op="push")


def exercise(client) -> None:
    client.post(PUSH, headers=AUTH, json={"downlinks": [{"f_port": 1, "frm_payload": "AQ=="}]})
    client.post(PUSH, headers=AUTH, json={"downlinks": [{"f_port": 300, "frm_payload": "AQ=="}]})


def test_json_report_counts_coverage_and_violations(client, server):
    exercise(client)
    report = client.get("/_mock/report").json()
    assert report["version"] == 1
    total = len(server.contract.operations())
    assert report["summary"] == {
        "operations_total": total,
        "operations_exercised": 1,
        "operation_coverage_percent": round(100 / total, 1),
        "violations": 1,
        "violations_dropped": 0,
        "warnings": 0,
        "warnings_dropped": 0,
    }
    push = next(
        op
        for op in report["providers"]["tts"]["operations"]
        if op["operation"] == "tts.WebhookDownlinkQueuePush"
    )
    assert push["covered_statuses"] == ["200", "400"]
    assert push["seen_statuses"] == {"200": 1, "400": 1}
    assert push["violations"] == 1
    assert report["violations"][0]["where"] == "body.downlinks[0].f_port"


def test_junit_report_has_a_case_per_operation_and_status(client, server):
    exercise(client)
    response = client.get("/_mock/report?format=junit")
    assert response.headers["content-type"].startswith("application/xml")
    suites = ElementTree.fromstring(response.text)
    (suite,) = [s for s in suites.findall("testsuite") if s.get("name") == "tts"]
    cases = {case.get("name"): case for case in suite.findall("testcase")}
    documented = sum(
        len(op.responses) for op in server.contract.operations() if op.spec.provider == "tts"
    )
    assert int(suite.get("tests")) == len(cases) == documented
    path = "/api/v3/as/applications/{application_id}/webhooks/{webhook_id}/devices/{device_id}"
    failed = cases[f"POST {path}/down/push -> 400"]
    assert failed.find("failure") is not None
    assert "f_port" in failed.find("failure").text
    assert cases[f"POST {path}/down/push -> 404"].find("skipped") is not None
    passed = cases[f"POST {path}/down/push -> 200"]
    assert (passed.find("failure"), passed.find("skipped")) == (None, None)
    assert int(suite.get("failures")) == 1  # the violation counts on its 400 alone


def test_junit_puts_a_violation_on_the_status_that_answered_it_or_on_a_case_of_its_own(
    client, server
):
    """A status the operation does not document (a scenario's 418) and an exchange with no
    HTTP answer (a reset connection) each get a failed case, named after what happened."""
    server.load_scenario({"name": "tea", "description": "d", "rules": [{"act": TEAPOT}]})
    assert client.post(PUSH, json={"downlinks": []}).status_code == 418  # no credentials
    server.load_scenario({"name": "cut", "description": "d", "rules": [{"act": RESET}]})
    with pytest.raises(httpx.TransportError):
        client.post(PUSH, json={"downlinks": []})
    server.clear_scenario()
    assert [v["status"] for v in client.get("/_mock/report").json()["violations"]] == [418, None]
    suites = ElementTree.fromstring(client.get("/_mock/report?format=junit").text)
    (suite,) = [s for s in suites.findall("testsuite") if s.get("name") == "tts"]
    push = {
        case.get("name").rsplit(" -> ", 1)[1]: case
        for case in suite.findall("testcase")
        if case.get("classname") == "tts.WebhookDownlinkQueuePush"
    }
    failed = {status for status, case in push.items() if case.find("failure") is not None}
    assert failed == {"418", "no HTTP answer"}
    assert "security" in push["no HTTP answer"].find("failure").text
    assert push["401"].find("skipped") is not None  # never answered 401
    assert int(suite.get("failures")) == 2
    assert int(suite.get("tests")) == len(suite.findall("testcase"))


TEAPOT = {"respond": {"status": 418}}
RESET = {"drop": "reset"}


def test_warnings_are_counted_apart_and_fail_junit_only_when_asked(client, server):
    exercise(client)
    client.post(PUSH, headers=AUTH, json={"frm_payload": "AQ==", "f_port": 1})  # no wrapper
    report = build_report(server.contract)
    assert (report["summary"]["violations"], report["summary"]["warnings"]) == (1, 1)
    push = next(
        op
        for op in report["providers"]["tts"]["operations"]
        if op["operation"] == "tts.WebhookDownlinkQueuePush"
    )
    assert (push["violations"], push["warnings"]) == (1, 1)
    assert report["warnings"][0]["field"] == "downlinks"
    path = "/api/v3/as/applications/{application_id}/webhooks/{webhook_id}/devices/{device_id}"
    ok = f"POST {path}/down/push -> 200"

    def case(text: str) -> ElementTree.Element:
        suites = ElementTree.fromstring(text)
        return next(c for c in suites.iter("testcase") if c.get("name") == ok)

    told = case(render(report, "junit"))
    assert "no `downlinks` key" in told.find("system-out").text
    assert told.find("failure") is None  # the violation is on the status it was answered
    strict = case(render(report, "junit", warnings_as_errors=True))
    assert strict.find("failure").get("message") == "1 contract warning(s)"
    assert "no `downlinks` key" in strict.find("failure").text
    markdown = render(report, "markdown")
    assert "Violations: **1**. Warnings: **1**." in markdown
    assert "## Warnings" in markdown and "nothing was queued" in markdown


def test_a_run_with_only_warnings_passes_its_junit_cases_unless_asked(client, server):
    client.post(PUSH, headers=AUTH, json={"downlinks": [{"f_port": 1, "frmpayload": "AQ=="}]})
    suites = ElementTree.fromstring(client.get("/_mock/report?format=junit").text)
    assert [s.get("failures") for s in suites.iter("testsuite")] == ["0"] * len(
        list(suites.iter("testsuite"))
    )
    assert "did you mean `frm_payload`?" in "".join(o.text for o in suites.iter("system-out"))
    strict = ElementTree.fromstring(
        render(build_report(server.contract), "junit", warnings_as_errors=True)
    )
    assert [f.get("message") for f in strict.iter("failure")] == ["1 contract warning(s)"]


def test_markdown_report_summarises(client, server):
    exercise(client)
    text = client.get("/_mock/report?format=markdown").text
    total = len(server.contract.operations())
    summary = (
        f"Operations exercised: **1 of {total}** ({round(100 / total, 1)} %). Violations: **1**."
    )
    assert summary in text
    assert "| `POST /api/v3/as/applications/{application_id}/webhooks/" in text
    assert "## Violations" in text
    assert client.get("/_mock/report?format=pdf").status_code == 400


def test_pytest_writes_the_session_reports_summed_over_tests(pytester):
    pytester.makepyfile(
        """
        import pytest

        PUSH = "/api/v3/as/applications/app1/webhooks/wh1/devices/dev1/down/push"
        AUTH = {"Authorization": "Bearer NNSXS.XXXXXXXXX"}

        def test_push(mockserver_inprocess):
            with mockserver_inprocess.client() as client:
                client.post(PUSH, headers=AUTH, json={"downlinks": []})

        @pytest.mark.mockserver_allow_violations
        def test_unauthenticated(mockserver_inprocess):
            with mockserver_inprocess.client() as client:
                client.post(PUSH, json={"downlinks": []})
        """
    )
    result = pytester.runpytest_subprocess(
        "-q", "-p", "no:cacheprovider", "--mockserver-report=reports"
    )
    result.assert_outcomes(passed=2)
    report = json.loads((pytester.path / "reports" / "report.json").read_text())
    push = next(
        op
        for op in report["providers"]["tts"]["operations"]
        if op["operation"] == "tts.WebhookDownlinkQueuePush"
    )
    assert push["seen_statuses"] == {"200": 1, "401": 1}  # both tests, across the reset
    assert report["summary"]["violations"] == 1
    assert (pytester.path / "reports" / "report.xml").read_text().startswith("<?xml")
    assert "mockserver contract report" in (pytester.path / "reports" / "report.md").read_text()


def test_coverage_under_the_minimum_fails_the_session(pytester):
    pytester.makepyfile(
        """
        def test_push(mockserver_inprocess):
            with mockserver_inprocess.client() as client:
                client.post("/api/v3/as/applications/app1/webhooks/wh1/devices/dev1/down/push",
                            headers={"Authorization": "Bearer NNSXS.XXXXXXXXX"},
                            json={"downlinks": []})
        """
    )
    failing = pytester.runpytest_subprocess("-q", "--mockserver-cov-fail-under=50")
    failing.assert_outcomes(passed=1)
    assert failing.ret == 1
    percent = round(100 / len(MockServer().contract.operations()), 1)
    failing.stdout.fnmatch_lines(
        [
            "*= mockserver coverage gate =*",
            f"mockserver: API coverage {percent} % is under --mockserver-cov-fail-under=50 "
            f"(1 of {len(MockServer().contract.operations())} operations exercised)",
            "1 passed, 1 coverage gate failed in *",  # the last line, so not all green
        ]
    )
    assert pytester.runpytest_subprocess("-q", f"--mockserver-cov-fail-under={percent}").ret == 0


def test_the_report_command_fetches_from_a_running_server(server, tmp_path, capsys):
    from mockserver.cli import main

    url = server.start()
    try:
        with server.client() as client:
            exercise(client)
        assert (
            main(["report", "--url", url, "--format", "markdown", "--out", str(tmp_path / "r.md")])
            == 0
        )
        assert "Violations: **1**" in (tmp_path / "r.md").read_text()
        assert main(["report", "--url", url]) == 0
        assert json.loads(capsys.readouterr().out)["summary"]["violations"] == 1
    finally:
        server.stop()
    assert main(["report", "--url", "http://127.0.0.1:9"]) == 1


def test_the_report_command_gates_ci_on_coverage_and_violations(server, tmp_path, capsys):
    from mockserver.cli import main

    url = server.start()
    try:
        with server.client() as client:
            exercise(client)
        percent = client_summary(url)["operation_coverage_percent"]
        out = str(tmp_path / "r.xml")
        base = ["report", "--url", url, "--format", "junit", "--out", out]
        assert main([*base, "--cov-fail-under", str(percent)]) == 0
        assert main([*base, "--cov-fail-under", str(percent + 1)]) == 1
        assert capsys.readouterr().err.startswith(
            f"mockserver: API coverage {percent} % is under --cov-fail-under={percent + 1:g} ("
        )
        assert main([*base, "--fail-on-violations"]) == 1
        assert "1 contract violation(s)" in capsys.readouterr().err
        assert (tmp_path / "r.xml").read_text().startswith("<?xml")  # written all the same
        server.reset()  # the findings are the run's: a reset keeps them
        assert main([*base, "--fail-on-violations"]) == 1
        capsys.readouterr()
        server.reset(clear_findings=True)
        assert main([*base, "--fail-on-violations"]) == 0
    finally:
        server.stop()


def client_summary(url: str) -> dict:
    import httpx

    return httpx.get(f"{url}/_mock/report").json()["summary"]


def test_the_wait_command_returns_once_the_server_answers(server, capsys):
    from mockserver.cli import main

    url = server.start()
    try:
        assert main(["wait", "--url", url, "--timeout", "5"]) == 0
    finally:
        server.stop()
    assert main(["wait", "--url", url, "--timeout", "0.3"]) == 1
    assert "did not answer within 0.3 s" in capsys.readouterr().err


XDIST_TESTS = """
import pytest

PUSH = "/api/v3/as/applications/app1/webhooks/wh1/devices/dev1/down/push"
AUTH = {"Authorization": "Bearer NNSXS.XXXXXXXXX"}

def test_push_on_a_port(mockserver):
    import httpx
    response = httpx.post(mockserver.url + PUSH, headers=AUTH, json={"downlinks": []})
    assert response.status_code == 200
    assert mockserver.journal.entries()[0].request.path == PUSH  # this worker's server only

def test_push_in_process(mockserver_inprocess):
    with mockserver_inprocess.client() as client:
        assert client.post(PUSH, headers=AUTH, json={"downlinks": []}).status_code == 200

@pytest.mark.mockserver_allow_violations
def test_unauthenticated(mockserver_inprocess):
    with mockserver_inprocess.client() as client:
        assert client.post(PUSH, json={"downlinks": []}).status_code == 401
"""


def test_under_xdist_each_worker_has_a_simulator_and_the_report_is_merged(pytester):
    pytester.makepyfile(XDIST_TESTS)
    # `--dist each` runs every test on both workers: the merged report must count both.
    result = pytester.runpytest_subprocess(
        "-q", "-p", "no:cacheprovider", "-n", "2", "--dist", "each", "--mockserver-report=out"
    )
    result.assert_outcomes(passed=6)
    report = json.loads((pytester.path / "out" / "report.json").read_text())
    push = next(
        op
        for op in report["providers"]["tts"]["operations"]
        if op["operation"] == "tts.WebhookDownlinkQueuePush"
    )
    assert push["seen_statuses"] == {"200": 4, "401": 2}
    assert report["summary"]["violations"] == 2
    assert {v["where"] for v in report["violations"]} == {"security"}
    assert sorted(path.name for path in (pytester.path / "out").iterdir()) == [
        "report.json",
        "report.md",
        "report.xml",
    ]


def test_under_xdist_coverage_is_judged_on_the_merged_findings(pytester):
    """The gate passes at exactly the merged report's coverage and fails one point above it
    (a run at the merged figure, then one over it: the run without a gate adds nothing)."""
    pytester.makepyfile(XDIST_TESTS)
    run = ("-q", "-p", "no:cacheprovider", "-n", "2", "--mockserver-report=out")
    percent = round(100 / len(MockServer().contract.operations()), 1)  # one operation of all
    at = pytester.runpytest_subprocess(*run, f"--mockserver-cov-fail-under={percent}")
    at.assert_outcomes(passed=3)
    assert at.ret == 0
    merged = json.loads((pytester.path / "out" / "report.json").read_text())["summary"]
    assert merged["operations_exercised"] == 1  # the push, whichever worker ran it
    assert merged["operation_coverage_percent"] == percent
    short = pytester.runpytest_subprocess(*run, f"--mockserver-cov-fail-under={percent + 1}")
    assert short.ret == 1
    short.stdout.fnmatch_lines([f"mockserver: API coverage {percent} % is under *"])


def test_the_report_can_be_narrowed_to_the_providers_a_suite_uses(client):
    exercise(client)
    narrowed = client.get("/_mock/report?provider=tts").json()
    assert list(narrowed["providers"]) == ["tts"]
    assert narrowed["summary"]["operations_total"] == len(
        narrowed["providers"]["tts"]["operations"]
    )
    unknown = client.get("/_mock/report?provider=nope")
    assert unknown.status_code == 400
    assert unknown.json() == {"error": "no bundled API for provider(s) nope"}
    assert client.get("/_mock/report?provider=").json() == client.get("/_mock/report").json()


def test_an_unknown_provider_for_the_pytest_report_is_a_usage_error(pytester):
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest_subprocess("-q", "--mockserver-report-providers=tts,nope")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*no bundled API for nope*"])


def test_the_coverage_gate_is_said_after_every_section_and_refuses_a_non_percentage(pytester):
    """With `-rA` pytest's own sections come first: the gate must not sit under PASSES."""
    pytester.makepyfile("def test_nothing(mockserver_inprocess):\n    pass\n")
    failing = pytester.runpytest_subprocess("-rA", "--mockserver-cov-fail-under=50")
    assert failing.ret == 1
    lines = failing.stdout.lines
    gate = next(i for i, line in enumerate(lines) if "is under --mockserver-cov" in line)
    assert "PASSED test_" in "\n".join(lines[:gate])  # the short summary came before it
    assert lines[gate - 1].strip("= ") == "mockserver coverage gate"
    assert "1 passed, 1 coverage gate failed" in lines[gate + 1]
    for bad in ("nan", "inf", "-1", "101", "x"):
        refused = pytester.runpytest_subprocess(f"--mockserver-cov-fail-under={bad}")
        assert refused.ret == pytest.ExitCode.USAGE_ERROR
        refused.stderr.fnmatch_lines([f"*'{bad}' is not a percentage (0 to 100)*"])
