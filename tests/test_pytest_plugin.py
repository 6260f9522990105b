"""The fixtures as a user's test suite sees them (run in a separate pytest via pytester)."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

USER_TESTS = """
import httpx

PUSH = "/api/v3/as/applications/app1/webhooks/wh1/devices/dev1/down/push"
AUTH = {"Authorization": "Bearer NNSXS.XXXXXXXXX"}


def test_push_through_the_real_port(mockserver):
    assert mockserver.url.startswith("http://127.0.0.1:")
    response = httpx.post(mockserver.url + PUSH, headers=AUTH,
                          json={"downlinks": [{"f_port": 1, "frm_payload": "AQ=="}]})
    assert response.status_code == 200
    assert len(mockserver.network.get("app1.dev1").queue) == 1
    mockserver.clock.advance(3600)
    assert mockserver.clock.now().isoformat() == "2026-01-01T01:00:00+00:00"


def test_each_test_starts_from_a_fresh_world(mockserver):
    assert len(mockserver.network.get("app1.dev1").queue) == 0
    assert mockserver.clock.now().isoformat() == "2026-01-01T00:00:00+00:00"
    assert mockserver.journal.entries() == []


def test_in_process_mode_needs_no_socket(mockserver_inprocess):
    with mockserver_inprocess.client() as client:
        response = client.post(PUSH, headers=AUTH, json={"downlinks": []})
    assert response.status_code == 200
    assert mockserver_inprocess.url is None



"""


def test_fixtures_give_a_running_reset_simulator(pytester):
    pytester.makepyfile(USER_TESTS)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_world_option_selects_another_world(pytester):
    pytester.makefile(".yaml", world="tts:\n  applications:\n    - id: other-app\n")
    pytester.makepyfile(
        """
        def test_world(mockserver):
            assert "other-app" in mockserver.providers["tts"].registry.applications
            assert "app1" not in mockserver.providers["tts"].registry.applications
        """
    )
    result = pytester.runpytest_subprocess("-q", "--mockserver-world=world.yaml")
    result.assert_outcomes(passed=1)


CONTRACT_TESTS = """
import httpx
import pytest

PUSH = "/api/v3/as/applications/app1/webhooks/wh1/devices/dev1/down/push"
AUTH = {"Authorization": "Bearer NNSXS.XXXXXXXXX"}


def test_a_port_out_of_range(mockserver):
    httpx.post(mockserver.url + PUSH, headers=AUTH,
               json={"downlinks": [{"f_port": 300, "frm_payload": "AQ=="}]})


@pytest.mark.mockserver_allow_violations
def test_bad_input_on_purpose(mockserver):
    response = httpx.post(mockserver.url + PUSH, json={"downlinks": []})
    assert response.status_code == 401


def test_valid_requests_pass(mockserver_inprocess):
    with mockserver_inprocess.client() as client:
        assert client.post(PUSH, headers=AUTH, json={"downlinks": []}).status_code == 200
"""


def test_a_test_that_broke_the_contract_fails_with_the_rule_it_broke(pytester):
    pytester.makepyfile(CONTRACT_TESTS)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*1 request(s) broke the vendor's API description:*",
            "*POST /api/v3/as/applications/app1/webhooks/wh1/devices/dev1/down/push*",
            "*body.downlinks?0?.f_port: must be smaller than or equal to 255 ?maximum?",
            '*expected: {"type": "integer", "minimum": 1, "maximum": 255, "not": {"enum": ?224?}}',
            "*described at tts/openapi.yaml#/paths/*",
            '*nearest valid body: {"downlinks": ?{"f_port": 255, "frm_payload": "AQ=="}?}',
            "*@pytest.mark.mockserver_allow_violations*",
        ]
    )


def test_the_whole_run_can_be_lenient(pytester):
    pytester.makepyfile(CONTRACT_TESTS)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "--mockserver-lenient")
    result.assert_outcomes(passed=3)


WARNING_TESTS = """
import httpx
import pytest

PUSH = "/api/v3/as/applications/app1/webhooks/wh1/devices/dev1/down/push"
AUTH = {"Authorization": "Bearer NNSXS.XXXXXXXXX"}


def test_a_bare_downlink(mockserver):
    response = httpx.post(mockserver.url + PUSH, headers=AUTH,
                          json={"frm_payload": "AQ==", "f_port": 1})
    assert response.status_code == 200  # TTS's answer: nothing queued, no error


def test_a_misspelt_field(mockserver_inprocess):
    with mockserver_inprocess.client() as client:
        client.post(PUSH, headers=AUTH,
                    json={"downlinks": [{"f_port": 1, "frm_payload": "AQ==", "confirmd": True}]})


@pytest.mark.mockserver_allow_violations
def test_on_purpose(mockserver_inprocess):
    with mockserver_inprocess.client() as client:
        client.post(PUSH, headers=AUTH, json={"downlinks": [], "extra": 1})
"""


def test_a_request_the_vendor_silently_drops_ends_its_test_with_a_warning(pytester):
    """Each worker's test says its warning at its end, naming the field and what was meant;
    the test passes, as the client's did against TTS."""
    pytester.makepyfile(WARNING_TESTS)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(passed=3, warnings=2)
    result.stdout.fnmatch_lines_random(
        [
            "*::test_a_bare_downlink",
            "*.py:8: MockServerContractWarning: POST */down/push: body: no `downlinks` key: "
            'nothing was queued; did you mean `{"downlinks":?…?}`?',
            "*::test_a_misspelt_field",
            "*.py:14: MockServerContractWarning: POST */down/push: body.downlinks?0?.confirmd: "
            "unknown field `confirmd`: the service ignores it; did you mean `confirmed`?",
        ]
    )


@pytest.mark.parametrize(
    "asked", ["--mockserver-warnings-as-errors", "mockserver_warnings_as_errors = true"]
)
def test_warnings_fail_their_tests_and_the_junit_report_when_asked(pytester, asked):
    pytester.makepyfile(WARNING_TESTS)
    options = [asked] if asked.startswith("--") else []
    if not options:
        pytester.makeini(f"[pytest]\n{asked}\n")
    result = pytester.runpytest_subprocess(
        "-q", "-p", "no:cacheprovider", "--mockserver-report=out", *options
    )
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*1 contract warning(s): the vendor accepts the request but drops it:",
            "*body.downlinks?0?.confirmd: unknown field `confirmd`*did you mean `confirmed`?",
        ]
    )
    junit = ElementTree.parse(pytester.path / "out" / "report.xml").getroot()
    failures = [f.get("message") for f in junit.iter("failure")]
    assert "3 contract warning(s)" in failures  # the bare push, the typo, `extra`
