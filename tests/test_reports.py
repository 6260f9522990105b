"""Contract reports: JSON, JUnit XML and Markdown, from the admin API and from pytest."""

from __future__ import annotations

import json
from xml.etree import ElementTree

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
    suite = next(suite for suite in suites.findall("testsuite") if suite.get("name") == "tts")
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
    assert int(suite.get("failures")) == 2  # the request violation marks both covered statuses


def test_markdown_report_summarises(client, server):
    exercise(client)
    text = client.get("/_mock/report?format=markdown").text
    total = len(server.contract.operations())
    assert (
        f"Operations exercised: **1 of {total}** ({round(100 / total, 1)} %). Violations: **1**."
        in text
    )
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
    failing.stdout.fnmatch_lines(["*operation coverage * % is under the required 50 %*"])
    assert pytester.runpytest_subprocess("-q", "--mockserver-cov-fail-under=5").ret == 0


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
