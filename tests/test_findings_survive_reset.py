"""Issue 20, item 3: a reset puts the world back but keeps the contract findings, so that a
suite that resets before each test gets a report of the whole run; `?since=reset` gives the
current test's alone, and `POST /_mock/contract/clear` (or a reset asked to) forgets them."""

from __future__ import annotations

import json

import httpx
import pytest

from mockserver.admin_client import AdminClient, AdminError
from mockserver.server import MockServer
from tests.conftest import AUTH, WEBHOOK_DOWN

PUSH = WEBHOOK_DOWN.format(device="dev1", op="push")
REPLACE = WEBHOOK_DOWN.format(device="dev1", op="replace")
BAD = {"downlinks": [{"f_port": 300, "frm_payload": "AQ=="}]}
TYPO = {"downlinks": [{"f_port": 1, "frm_payload": "AQ==", "confirmd": True}]}
GOOD = {"downlinks": [{"f_port": 1, "frm_payload": "AQ=="}]}
pytestmark = pytest.mark.mockserver_allow_violations


def findings(client: httpx.Client, since_reset: bool = False) -> tuple[int, int]:
    params = {"since": "reset"} if since_reset else {}
    violations = client.get("/_mock/contract/violations", params=params).json()["violations"]
    warnings = client.get("/_mock/contract/warnings", params=params).json()["warnings"]
    return len(violations), len(warnings)


def test_a_reset_keeps_violations_warnings_and_coverage(client: httpx.Client) -> None:
    client.post(PUSH, headers=AUTH, json=BAD)
    client.post(PUSH, headers=AUTH, json=TYPO)
    assert client.post("/_mock/reset").json() == {"status": "reset"}
    assert findings(client) == (1, 1)
    assert findings(client, since_reset=True) == (0, 0)
    client.post(REPLACE, headers=AUTH, json=GOOD)  # the next "test"
    summary = client.get("/_mock/report").json()["summary"]
    assert (summary["operations_exercised"], summary["violations"], summary["warnings"]) == (
        2,
        1,
        1,
    )
    assert client.get("/_mock/journal").json()[0]["request"]["path"] == REPLACE  # emptied


def test_since_reset_is_the_current_tests_alone(client: httpx.Client) -> None:
    client.post(PUSH, headers=AUTH, json=BAD)
    client.post("/_mock/reset")
    client.post(PUSH, headers=AUTH, json=BAD)
    client.post(PUSH, headers=AUTH, json=TYPO)
    assert findings(client) == (2, 1)
    assert findings(client, since_reset=True) == (1, 1)


def test_clear_forgets_them_on_purpose(server: MockServer, client: httpx.Client) -> None:
    client.post(PUSH, headers=AUTH, json=BAD)
    client.post(PUSH, headers=AUTH, json=TYPO)
    response = client.post("/_mock/contract/clear")
    assert response.status_code == 204
    assert findings(client) == (0, 0)
    assert client.get("/_mock/report").json()["summary"]["operations_exercised"] == 0
    assert len(server.network.get("app1.dev1").queue) == 1  # the world is untouched


def test_a_reset_may_clear_them_too(client: httpx.Client) -> None:
    client.post(PUSH, headers=AUTH, json=BAD)
    assert client.post("/_mock/reset", json={"clear_findings": False}).status_code == 200
    assert findings(client) == (1, 0)
    assert client.post("/_mock/reset", json={"clear_findings": True}).status_code == 200
    assert findings(client) == (0, 0)
    assert client.get("/_mock/report").json()["summary"]["operations_exercised"] == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"clear": True}, "unknown field 'clear' (a reset takes clear_findings)"),
        ({"clear_findings": "yes"}, "clear_findings must be true or false"),
    ],
)
def test_a_reset_option_it_does_not_know_is_refused(client, body, message) -> None:
    client.post(PUSH, headers=AUTH, json=BAD)
    response = client.post("/_mock/reset", json=body)
    assert response.status_code == 400
    assert message in response.text
    assert findings(client) == (1, 0)  # nothing was reset


def test_an_unknown_since_is_refused(client: httpx.Client) -> None:
    response = client.get("/_mock/contract/violations", params={"since": "start"})
    assert response.status_code == 400
    assert "since must be `reset`" in response.text


def test_each_tenant_keeps_its_own(client: httpx.Client) -> None:
    tenant = {"X-Mockserver-Tenant": "t1"}
    client.post(PUSH, headers={**AUTH, **tenant}, json=BAD)
    client.post("/_mock/reset", headers=tenant)
    client.post("/_mock/contract/clear")  # the home's: the tenant's stay
    summary = client.get("/_mock/report", headers=tenant).json()["summary"]
    assert summary["violations"] == 1


def test_the_python_api_keeps_them_too(server: MockServer, client: httpx.Client) -> None:
    client.post(PUSH, headers=AUTH, json=BAD)
    server.reset()
    assert len(server.contract.log.violations) == 1
    assert server.contract.log.violations_since_mark() == ([], 0)
    server.reset(clear_findings=True)
    assert server.contract.log.violations == []


def test_a_server_mode_suite_that_resets_before_each_test_reports_every_test() -> None:
    """The issue's case: a suite against `serve`, resetting before each test through the
    admin client, one test sending bad input on purpose; each test asserts its own
    findings, and the report at the end counts all three tests."""
    with MockServer() as server, AdminClient(server.url) as admin:
        assert server.url is not None
        admin.reset()  # test 1: bad input on purpose
        httpx.post(server.url + PUSH, headers=AUTH, json=BAD)
        assert len(admin.violations(since_reset=True)) == 1
        admin.reset()  # test 2: its own findings are clean, whatever test 1 did
        httpx.post(server.url + REPLACE, headers=AUTH, json=GOOD)
        assert admin.violations(since_reset=True) == []
        admin.reset()  # test 3: a typo
        httpx.post(server.url + PUSH, headers=AUTH, json=TYPO)
        assert len(admin.warnings(since_reset=True)) == 1
        report = admin.report()
        assert report["summary"]["operations_exercised"] == 2  # push and replace
        assert (report["summary"]["violations"], report["summary"]["warnings"]) == (1, 1)
        admin.clear_findings()
        assert admin.violations() == admin.warnings() == []
        admin.reset(clear_findings=True)
        with pytest.raises(AdminError):
            admin._call("GET", "/contract/violations", params={"since": "x"})


FIXTURE_SUITE = """
import httpx
import pytest

PUSH = "/api/v3/as/applications/app1/webhooks/wh1/devices/dev1/down/push"
REPLACE = "/api/v3/as/applications/app1/webhooks/wh1/devices/dev1/down/replace"
AUTH = {"Authorization": "Bearer NNSXS.XXXXXXXXX"}
BAD = {"downlinks": [{"f_port": 300, "frm_payload": "AQ=="}]}
GOOD = {"downlinks": [{"f_port": 1, "frm_payload": "AQ=="}]}


def test_1_breaks_the_contract(mockserver):
    httpx.post(mockserver.url + PUSH, headers=AUTH, json=BAD)


def test_2_valid_after_a_broken_one(mockserver):
    assert httpx.post(mockserver.url + REPLACE, headers=AUTH, json=GOOD).status_code == 200


def test_3_resets_after_breaking_it(mockserver):
    httpx.post(mockserver.url + PUSH, headers=AUTH, json=BAD)
    httpx.post(mockserver.url + "/_mock/reset")  # its code resets the server it was given


def test_4_valid_in_process(mockserver_inprocess):
    with mockserver_inprocess.client() as client:
        assert client.post(PUSH, headers=AUTH, json=GOOD).status_code == 200
"""


def test_the_fixture_fails_each_test_for_its_own_findings_and_reports_the_run(pytester) -> None:
    pytester.makepyfile(FIXTURE_SUITE)
    result = pytester.runpytest_subprocess(
        "-q", "-p", "no:cacheprovider", "--mockserver-report=out"
    )
    result.assert_outcomes(passed=2, failed=2)
    failed = {
        line.split("::")[1].split(" ")[0] for line in result.outlines if line.startswith("FAILED ")
    }
    assert failed == {"test_1_breaks_the_contract", "test_3_resets_after_breaking_it"}
    report = json.loads((pytester.path / "out" / "report.json").read_text())
    assert report["summary"]["violations"] == 2  # tests 1 and 3, the reset notwithstanding
    assert report["summary"]["operations_exercised"] == 2  # push and replace
