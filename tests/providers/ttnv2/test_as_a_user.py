"""A user's test suite driving the TTN v2 downlink URL through the pytest plugin's fixture:
a field V2 drops ends the test that sent it with a warning, or fails it when asked."""

from __future__ import annotations

USER_TESTS = """
URL = "/ttn-eu/api/v2/down/my-app-id/my-process-id?key=ttn-account-v2.secret"


def test_a_valid_downlink_is_queued_and_sent_after_the_next_uplink(mockserver_inprocess):
    with mockserver_inprocess.client() as client:
        response = client.put(URL, json={"dev_id": "my-dev-id", "port": 2, "payload_raw": "qg=="})
    assert response.status_code == 202
    mockserver_inprocess.uplink("my-app-id.my-dev-id", f_port=1, frm_payload=b"\\x01")
    mockserver_inprocess.clock.run_until_idle()
    kinds = [e.kind for e in mockserver_inprocess.network.timeline("my-app-id.my-dev-id")]
    assert kinds == ["queued", "uplink", "scheduled", "sent"]


def test_a_misspelt_field_is_a_warning(mockserver_inprocess):
    with mockserver_inprocess.client() as client:
        response = client.post(URL, json={"dev_id": "my-dev-id", "fport": 2, "payload_raw": "qg=="})
    assert response.status_code == 202  # TTN ignores the field and sends on FPort 1
"""


def test_the_plugin_judges_ttnv2_requests(pytester):
    pytester.makepyfile(USER_TESTS)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*MockServerContractWarning: POST /ttn-eu/api/v2/down/my-app-id/my-process-id: "
            "body.fport: unknown field `fport`: the service ignores it; did you mean `port`?",
        ]
    )
    strict = pytester.runpytest_subprocess(
        "-q", "-p", "no:cacheprovider", "--mockserver-warnings-as-errors"
    )
    strict.assert_outcomes(passed=1, failed=1)
    strict.stdout.fnmatch_lines(["*body.fport: unknown field `fport`*"])
