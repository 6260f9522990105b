"""The downlink URL: regions, methods, the access key, the integration, the body's rules and
the schedule, each valid and invalid, through HTTP (docs/providers/ttnv2.md)."""

from __future__ import annotations

import json

import pytest

from mockserver.json_strict import MAX_DEPTH
from mockserver.providers.ttnv2 import errors
from mockserver.providers.ttnv2.routes import MAX_BODY
from mockserver.server import MockServer
from tests.providers.ttnv2.helpers import (
    DEVICE,
    JSON,
    REGIONS,
    assert_accepted,
    assert_text_error,
    default_world,
    down_url,
    my_app,
    queue,
    request_violations,
)

RAW = {"dev_id": "my-dev-id", "port": 1, "payload_raw": "AQIDBA=="}


def post(client, body, url: str | None = None, method: str = "POST"):
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.request(method, url or down_url(), content=content, headers=JSON)


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_every_region_and_method_queues(client, server: MockServer, region, method):
    assert_accepted(post(client, RAW, down_url(region), method))
    assert [d.frm_payload for d in queue(server)] == [b"\1\2\3\4"]
    assert request_violations(server) == []


@pytest.mark.parametrize(
    "url",
    [
        down_url("ttn-mars"),
        down_url("ttn-au", key="x"),
        down_url("TTN-EU"),
        down_url("TTN"),
        "/ttn-mars/api/v2",
        "/ttn-mars/api/v2/down",
        "/ttn-mars/api/v2/other/path",
    ],
)
@pytest.mark.parametrize("method", ["POST", "PUT", "GET", "DELETE"])
def test_an_unknown_region_gets_gos_404_for_every_method(client, server, url, method):
    """Go's mux has no route there, whatever the method: its 404, never a 405."""
    assert_text_error(post(client, RAW, url, method), 404, "404 page not found")
    assert queue(server) == []
    (entry,) = server.journal.entries()
    assert (entry.provider, entry.operation) == ("ttnv2", None)
    assert [v.rule for v in entry.violations] == ["unknown-route"]


def test_an_unknown_region_is_404_before_the_body_is_read(client, server):
    response = post(client, b"x" * (MAX_BODY + 1), down_url("ttn-mars"))
    assert_text_error(response, 404, "404 page not found")


@pytest.mark.parametrize(
    "path",
    ["/ttn-mars", "/ttn-mars/other", "/ttn-mars/api/v3/down/a/b", "/ttnx/api/v2/down/a/b"],
)
def test_paths_that_are_not_v2_api_paths_stay_outside_every_provider(client, server, path):
    response = client.post(path, json=RAW)
    assert response.status_code == 404
    assert response.json() == {"error": "no simulated API is served at this path", "path": path}


# -- the access key ----------------------------------------------------------------------------
@pytest.mark.mockserver_allow_violations
def test_a_missing_key_is_401(client, server):
    assert_text_error(post(client, RAW, down_url(key=None)), 401, "permission denied: missing key")
    assert_text_error(post(client, RAW, down_url(key="")), 401, "permission denied: missing key")
    assert request_violations(server) == ["security"]  # the empty key is present, just empty
    assert queue(server) == []


@pytest.mark.parametrize(
    "url",
    [
        down_url(key="ttn-account-v2.wrong"),
        down_url(key="TTN-ACCOUNT-V2.SECRET"),
        down_url(app="other-app"),
    ],
    ids=["wrong key", "keys are case-sensitive", "unknown application"],
)
def test_a_key_not_of_the_application_is_401(client, server, url):
    assert_text_error(post(client, RAW, url), 401, "permission denied: invalid key")
    assert queue(server) == []


def test_a_key_without_the_downlink_right_is_403(client, server):
    world = default_world()
    my_app(world)["access_keys"].append(
        {"key": "ttn-account-v2.read-only", "rights": ["messages:up:r"]}
    )
    server.reset(world)
    assert_text_error(
        post(client, RAW, down_url(key="ttn-account-v2.read-only")),
        403,
        "permission denied: key does not have the messages:down:w right",
    )
    assert queue(server) == []


def test_the_key_is_checked_before_the_body(client, server):
    assert_text_error(
        post(client, b"not json", down_url(key="nope")), 401, "permission denied: invalid key"
    )


def test_an_unknown_process_id_is_404(client, server):
    assert_text_error(
        post(client, RAW, down_url(process="other-process")),
        404,
        "integration my-app-id/other-process not found",
    )


# -- the Handler's checks ----------------------------------------------------------------------
def test_an_unknown_device_is_404_with_the_handlers_store_key(client, server):
    assert_text_error(
        post(client, {**RAW, "dev_id": "nope"}), 404, "handler:device:my-app-id:nope not found"
    )


@pytest.mark.mockserver_allow_violations
def test_a_missing_dev_id_is_an_unknown_device(client, server):
    body = {"port": 1, "payload_raw": "AQ=="}
    assert_text_error(post(client, body), 404, "handler:device:my-app-id: not found")
    assert request_violations(server) == ["body"]


@pytest.mark.mockserver_allow_violations
@pytest.mark.parametrize(
    "body",
    [
        {"dev_id": "my-dev-id", "port": 1},
        {"dev_id": "my-dev-id", "payload_raw": ""},
        {"dev_id": "my-dev-id", "payload_raw": None},
        {"dev_id": "my-dev-id", "payload_fields": {}},
        {"dev_id": "my-dev-id", "payload_raw": "", "payload_fields": {}},
    ],
    ids=["none", "empty raw", "null raw", "empty fields", "both empty"],
)
def test_an_empty_payload_is_rejected(client, server, body):
    assert_text_error(post(client, body), 400, "Downlink Payload not valid: empty")
    assert queue(server) == []
    assert request_violations(server)  # the description says so too


def test_the_device_is_checked_before_the_payload(client, server):
    assert_text_error(
        post(client, {"dev_id": "nope"}), 404, "handler:device:my-app-id:nope not found"
    )


@pytest.mark.mockserver_allow_violations
@pytest.mark.parametrize("schedule", ["REPLACE", "now", ""])
def test_an_unknown_schedule_is_rejected(client, server, schedule):
    response = post(client, {**RAW, "schedule": schedule})
    if schedule == "":
        assert_accepted(response)  # Go's empty string is the default, replace
        return
    assert_text_error(response, 400, "ScheduleType not valid: unknown")
    assert queue(server) == []


@pytest.mark.mockserver_allow_violations
def test_the_payload_is_checked_before_the_schedule(client, server):
    response = post(client, {"dev_id": "my-dev-id", "schedule": "now"})
    assert_text_error(response, 400, "Downlink Payload not valid: empty")


# -- the schedule ------------------------------------------------------------------------------
def _queue_three(client, *schedules: str) -> None:
    for port, schedule in zip((1, 2, 3), schedules, strict=True):
        body = {"dev_id": "my-dev-id", "port": port, "payload_raw": "AQ=="}
        if schedule:
            body["schedule"] = schedule
        assert_accepted(post(client, body))


def test_replace_is_the_default_and_clears_the_queue(client, server):
    _queue_three(client, "last", "last", None)
    assert [d.f_port for d in queue(server)] == [3]
    _queue_three(client, "last", "last", "replace")
    assert [d.f_port for d in queue(server)] == [3]


def test_last_appends_and_first_goes_ahead(client, server):
    _queue_three(client, "replace", "last", "first")
    assert [d.f_port for d in queue(server)] == [3, 1, 2]
    kinds = [e.details.get("operation") for e in server.network.timeline("my-app-id.my-dev-id")]
    assert kinds == ["replace", "push", "push_first"]


# -- the body, as Go's encoding/json reads it --------------------------------------------------
@pytest.mark.parametrize("port", [0, None])
def test_port_zero_or_absent_is_sent_on_port_1(client, server, port):
    body = {"dev_id": "my-dev-id", "payload_raw": "AQ=="}
    if port is not None:
        body["port"] = port
    assert_accepted(post(client, body))
    assert [d.f_port for d in queue(server)] == [1]


def test_port_and_confirmed_are_kept(client, server):
    assert_accepted(post(client, {**RAW, "port": 255, "confirmed": True}))
    (downlink,) = queue(server)
    assert (downlink.f_port, downlink.confirmed) == (255, True)


def test_keys_match_case_insensitively_and_unknown_ones_are_ignored(client, server):
    body = {"DEV_ID": "my-dev-id", "Port": 7, "payload_RAW": "AQ==", "priority": "HIGH"}
    assert_accepted(post(client, body))
    assert [(d.f_port, d.frm_payload) for d in queue(server)] == [(7, b"\1")]
    assert request_violations(server) == ["body"]  # the description names the fields exactly


@pytest.mark.parametrize(
    ("body", "port"),
    [
        (b'{"dev_id":"my-dev-id","payload_raw":"AQ==","PORT":9,"port":4}', 4),
        (b'{"dev_id":"my-dev-id","payload_raw":"AQ==","port":4,"PORT":9}', 9),
    ],
)
def test_keys_are_assigned_in_order_so_the_last_spelling_wins(client, server, body, port):
    assert_accepted(post(client, body))
    assert [d.f_port for d in queue(server)] == [port]


def test_app_id_in_the_body_is_ignored(client, server):
    assert_accepted(post(client, {**RAW, "app_id": "other-app"}))
    assert len(queue(server)) == 1
    assert request_violations(server) == []


def test_only_the_first_json_value_is_read(client, server):
    assert_accepted(post(client, json.dumps(RAW).encode() + b" trailing {"))
    assert len(queue(server)) == 1


@pytest.mark.mockserver_allow_violations
def test_base64_may_be_split_by_newlines_as_go_allows(client, server):
    assert_accepted(post(client, {**RAW, "payload_raw": "AQID\r\nBA=="}))
    assert [d.frm_payload for d in queue(server)] == [b"\1\2\3\4"]


@pytest.mark.mockserver_allow_violations
def test_invalid_utf8_is_replaced_as_go_does(client, server):
    response = post(client, b'{"dev_id": "my-\xffdev", "payload_raw": "AQ=="}')
    assert_text_error(response, 404, "handler:device:my-app-id:my-\ufffddev not found")


def test_null_fields_keep_their_zero_value(client, server):
    assert_accepted(post(client, {**RAW, "port": None, "confirmed": None, "schedule": None}))
    (downlink,) = queue(server)
    assert (downlink.f_port, downlink.confirmed) == (1, False)


GO_ERRORS = [
    (b"", "EOF"),
    (b"   ", "EOF"),
    (b"{", "unexpected EOF"),
    (b'{"dev_id": "my-dev-id"', "unexpected EOF"),
    (b"x", "invalid character 'x' looking for beginning of value"),
    (b"nope", "invalid character 'o' in literal null (expecting 'u')"),
    (b'{"confirmed": tru}', "invalid character '}' in literal true (expecting 'e')"),
    (b'{"port": NaN}', "invalid character 'N' looking for beginning of value"),
    (b'{"port": -Infinity}', "invalid character 'I' in numeric literal"),
    (
        b'\xef\xbb\xbf{"dev_id": "my-dev-id"}',
        "invalid character '\u00ef' looking for beginning of value",
    ),
    (b'{"dev_id" "x"}', "invalid character '\"' after object key"),
    (b'{"dev_id": "x" "port": 1}', "invalid character '\"' after object key:value pair"),
    (b'{"payload_fields": {"a": [1 2]}}', "invalid character '2' after array element"),
    (b'{"dev_id": "[\\"{", "port": 1 2}', "invalid character '2' after object key:value pair"),
    (b'{"port": 1,}', "invalid character '}' looking for beginning of object key string"),
    (b'{"payload_fields": {"a": [1,]}}', "invalid character ']' looking for beginning of value"),
    (b"{'dev_id': 1}", "invalid character '\\'' looking for beginning of object key string"),
    (b"[]", "json: cannot unmarshal array into Go value of type types.DownlinkMessage"),
    (b'"x"', "json: cannot unmarshal string into Go value of type types.DownlinkMessage"),
    (
        b'{"port": "1"}',
        "json: cannot unmarshal string into Go struct field DownlinkMessage.port of type uint8",
    ),
    (
        b'{"port": 256}',
        "json: cannot unmarshal number 256 into Go struct field DownlinkMessage.port of type uint8",
    ),
    (
        b'{"port": -1}',
        "json: cannot unmarshal number -1 into Go struct field DownlinkMessage.port of type uint8",
    ),
    (
        b'{"port": 1.5}',
        "json: cannot unmarshal number 1.5 into Go struct field DownlinkMessage.port of type uint8",
    ),
    (
        b'{"port": true}',
        "json: cannot unmarshal bool into Go struct field DownlinkMessage.port of type uint8",
    ),
    (
        b'{"dev_id": 1}',
        "json: cannot unmarshal number into Go struct field DownlinkMessage.dev_id of type string",
    ),
    (
        b'{"confirmed": "yes"}',
        "json: cannot unmarshal string into Go struct field DownlinkMessage.confirmed of type bool",
    ),
    (
        b'{"payload_raw": [1, 2]}',
        "json: cannot unmarshal array into Go struct field "
        "DownlinkMessage.payload_raw of type []uint8",
    ),
    (
        b'{"payload_fields": "on"}',
        "json: cannot unmarshal string into Go struct field "
        "DownlinkMessage.payload_fields of type map[string]interface {}",
    ),
    (
        b'{"schedule": 1}',
        "json: cannot unmarshal number into Go struct field "
        "DownlinkMessage.schedule of type types.ScheduleType",
    ),
    (b'{"payload_raw": "AQ!="}', "illegal base64 data at input byte 2"),
    (b'{"payload_raw": "AQ"}', "illegal base64 data at input byte 0"),
    (b'{"payload_raw": "vu8-"}', "illegal base64 data at input byte 3"),
    (b'{"payload_raw": "AQ="}', "illegal base64 data at input byte 3"),
    (b'{"payload_raw": "AQIDB"}', "illegal base64 data at input byte 4"),
    (b'{"payload_raw": "A==="}', "illegal base64 data at input byte 1"),
    (b'{"payload_raw": "AQ==AQ=="}', "illegal base64 data at input byte 4"),
]


@pytest.mark.mockserver_allow_violations
@pytest.mark.parametrize(
    ("body", "message"),
    GO_ERRORS,
    ids=[b.decode("utf-8", "replace") or "empty" for b, _ in GO_ERRORS],
)
def test_bodies_go_cannot_decode_are_400_with_gos_message(client, server, body, message):
    assert_text_error(post(client, body), 400, message)
    assert queue(server) == []
    assert request_violations(server), "the contract layer flags the same body"


# -- what V2 only found out when sending -------------------------------------------------------
def _uplink_and_windows(server: MockServer) -> None:
    server.uplink("my-app-id.my-dev-id", f_port=1, frm_payload=b"\x00")
    server.clock.advance(5)


@pytest.mark.mockserver_allow_violations
def test_both_payloads_are_accepted_then_fail_at_the_next_uplink(client, server):
    body = {**RAW, "payload_fields": {"on": True, "color": "red"}}
    assert_accepted(post(client, body))
    assert request_violations(server) == ["body"]
    assert len(queue(server)) == 1
    _uplink_and_windows(server)
    timeline = server.network.timeline("my-app-id.my-dev-id")
    failed = [e for e in timeline if e.kind == "failed"]
    assert [e.details["reason"] for e in failed] == [
        "Downlink not valid: Both Fields and Payload provided"
    ]
    assert not [e for e in timeline if e.kind == "sent"]
    assert queue(server) == []


def test_a_failed_conversion_uses_up_the_uplink_the_next_downlink_waits(client, server):
    assert_accepted(post(client, {"dev_id": "my-dev-id", "payload_fields": {"on": "yes"}}))
    assert_accepted(post(client, {**RAW, "schedule": "last"}))
    _uplink_and_windows(server)
    timeline = server.network.timeline("my-app-id.my-dev-id")
    assert [e.kind for e in timeline] == ["queued", "queued", "uplink", "failed"]
    assert timeline[-1].at == timeline[-2].at + 200_000  # when V2 handled the uplink
    second = server.uplink("my-app-id.my-dev-id", f_port=1)
    server.clock.run_until_idle()
    (sent,) = [e for e in server.network.timeline("my-app-id.my-dev-id") if e.kind == "sent"]
    assert sent.at == second.received_at + 1_000_000
    assert sent.downlinks[0].frm_payload == b"\1\2\3\4"


def test_a_push_after_the_uplink_was_handled_waits_for_the_next_uplink(client, server):
    uplink = server.uplink("my-app-id.my-dev-id", f_port=1)
    server.clock.advance(0.5)  # RX1 is 0.5 s away, but V2 chose the downlink at the uplink
    assert_accepted(post(client, RAW))
    server.clock.run_until_idle()
    assert not [e for e in server.network.timeline("my-app-id.my-dev-id") if e.kind == "sent"]
    server.clock.advance(60)
    second = server.uplink("my-app-id.my-dev-id", f_port=1)
    server.clock.run_until_idle()
    (sent,) = [e for e in server.network.timeline("my-app-id.my-dev-id") if e.kind == "sent"]
    assert sent.at == second.received_at + 1_000_000 != uplink.received_at + 1_000_000


def test_a_push_within_the_uplinks_first_200_ms_still_goes_in_its_rx1(client, server):
    uplink = server.uplink("my-app-id.my-dev-id", f_port=1)
    server.clock.advance(0.1)
    assert_accepted(post(client, RAW))
    server.clock.run_until_idle()
    (sent,) = [e for e in server.network.timeline("my-app-id.my-dev-id") if e.kind == "sent"]
    assert sent.at == uplink.received_at + 1_000_000


def test_fields_the_encoder_rejects_fail_at_the_next_uplink(client, server):
    body = {"dev_id": "my-dev-id", "payload_fields": {"on": True, "color": "purple"}}
    assert_accepted(post(client, body))
    _uplink_and_windows(server)
    (failed,) = [e for e in server.network.timeline("my-app-id.my-dev-id") if e.kind == "failed"]
    assert failed.details["reason"] == "Encoder not valid: color must be one of red, green, blue"


def test_fields_without_an_encoder_fail_at_the_next_uplink(client, server):
    world = default_world()
    del my_app(world)["encoder"]
    server.reset(world)
    assert_accepted(post(client, {"dev_id": "my-dev-id", "payload_fields": {"on": True}}))
    _uplink_and_windows(server)
    (failed,) = [e for e in server.network.timeline("my-app-id.my-dev-id") if e.kind == "failed"]
    assert failed.details["reason"] == (
        "Downlink Payload not valid: fields supplied, but no Encoder function set"
    )


def test_a_valid_downlink_goes_in_rx1_one_second_after_the_uplink(client, server):
    assert_accepted(post(client, RAW))
    uplink = server.uplink("my-app-id.my-dev-id", f_port=1, frm_payload=b"\x00")
    server.clock.run_until_idle()
    (sent,) = [e for e in server.network.timeline("my-app-id.my-dev-id") if e.kind == "sent"]
    assert sent.details["window"] == "RX1"
    assert sent.at == uplink.received_at + 1_000_000
    assert sent.downlinks[0].frm_payload == b"\1\2\3\4"


def test_rx2_is_sf9_on_eu868(client, server):
    sixty_bytes = "A" * 80
    assert_accepted(post(client, {**RAW, "payload_raw": sixty_bytes}))
    server.uplink("my-app-id.my-dev-id", f_port=1, data_rate=0)  # SF12: RX1 holds 51 bytes
    server.clock.run_until_idle()
    (sent,) = [e for e in server.network.timeline("my-app-id.my-dev-id") if e.kind == "sent"]
    assert (sent.details["window"], sent.details["data_rate"]) == ("RX2", 3)


# -- routes and limits -------------------------------------------------------------------------
@pytest.mark.mockserver_allow_violations
def test_unknown_paths_get_gos_404(client, server):
    assert_text_error(client.get("/ttn-eu/api/v2/up"), 404, "404 page not found")
    assert_text_error(
        post(client, RAW, "/ttn/api/v2/down/my-app-id?key=ttn-account-v2.secret"),
        404,
        "404 page not found",
    )


@pytest.mark.mockserver_allow_violations
@pytest.mark.parametrize("method", ["GET", "DELETE", "PATCH"])
def test_other_methods_are_405(client, server, method):
    response = client.request(method, down_url())
    assert_text_error(response, 405, "Method Not Allowed")
    assert response.headers["allow"] == "POST, PUT"


def test_a_body_over_1_mib_is_413_after_the_key_checks(client, server):
    big = json.dumps({**RAW, "pad": "x" * (1024 * 1024)}).encode()
    assert_text_error(post(client, big), 413, "http: request body too large")
    assert_text_error(post(client, big, down_url(key="no")), 401, "permission denied: invalid key")
    assert queue(server) == []


# -- hostile bodies ----------------------------------------------------------------------------
@pytest.mark.mockserver_allow_violations
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[" * 100_000, "invalid character '[' exceeded max depth"),
        (b'{"payload_fields": {"a": ' + b"[" * 100_000, "invalid character '[' exceeded max depth"),
        (b'{"dev_id": ' + b'{"a": ' * 100_000, "invalid character '{' exceeded max depth"),
    ],
    ids=["array", "in payload_fields", "objects"],
)
def test_a_body_nested_too_deeply_is_400_with_gos_max_depth_message(client, server, body, message):
    """Go's scanner stops at 10 000 levels; the simulator at json_strict.MAX_DEPTH."""
    assert_text_error(post(client, body), 400, message)
    assert queue(server) == []


def test_a_body_nested_to_the_limit_is_decoded_and_survives_the_uplink(client, server):
    deep: dict = {}
    for _ in range(MAX_DEPTH - 2):  # the body and payload_fields are two levels
        deep = {"a": deep}
    assert_accepted(post(client, {"dev_id": "my-dev-id", "payload_fields": deep}))
    assert client.get("/_mock/journal").status_code == 200
    assert client.get("/_mock/devices/my-app-id.my-dev-id/queue").status_code == 200
    _uplink_and_windows(server)  # the encoder refuses the fields: a `failed` event, no crash
    assert [e.kind for e in server.network.timeline(DEVICE)][-1] == "failed"


@pytest.mark.mockserver_allow_violations
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            b'{"port": 1e400}',
            "number 1e400 into Go struct field DownlinkMessage.port of type uint8",
        ),
        (b'{"port": 1e2}', "number 1e2 into Go struct field DownlinkMessage.port of type uint8"),
        (b'{"port": 1.0}', "number 1.0 into Go struct field DownlinkMessage.port of type uint8"),
        (b'{"port": -0}', "number -0 into Go struct field DownlinkMessage.port of type uint8"),
        (
            b'{"port": 100000000000000000000}',
            "number 100000000000000000000 into Go struct field DownlinkMessage.port of type uint8",
        ),
        (
            b'{"dev_id": "my-dev-id", "payload_fields": {"t": [1, {"u": -1e400}]}}',
            "number -1e400 into Go struct field DownlinkMessage.payload_fields of type float64",
        ),
        (
            b'{"dev_id": "my-dev-id", "payload_fields": {"t": 1' + b"0" * 400 + b"}}",
            f"number 1{'0' * 400} into Go struct field DownlinkMessage.payload_fields "
            "of type float64",
        ),
        # Beyond Python's int-conversion limit (4300 digits): still Go's range error.
        (
            b'{"port": ' + b"9" * 5000 + b"}",
            f"number {'9' * 5000} into Go struct field DownlinkMessage.port of type uint8",
        ),
        (
            b'{"port": -' + b"9" * 5000 + b"}",
            f"number -{'9' * 5000} into Go struct field DownlinkMessage.port of type uint8",
        ),
        (
            b'{"dev_id": "my-dev-id", "payload_fields": {"t": ' + b"9" * 5000 + b"}}",
            f"number {'9' * 5000} into Go struct field DownlinkMessage.payload_fields "
            "of type float64",
        ),
    ],
    ids=[
        "overflow",
        "exponent",
        "fraction",
        "minus zero",
        "big",
        "fields overflow",
        "long int",
        "port of 5000 digits",
        "negative port of 5000 digits",
        "field of 5000 digits",
    ],
)
def test_numbers_are_quoted_as_written_as_gos_errors_do(client, server, body, message):
    assert_text_error(post(client, body), 400, f"json: cannot unmarshal {message}")
    assert queue(server) == []


@pytest.mark.mockserver_allow_violations
def test_an_unpaired_surrogate_is_decoded_as_u_fffd_as_go_does(client, server):
    response = post(client, b'{"dev_id": "my-\\ud800dev", "payload_raw": "AQ=="}')
    assert_text_error(response, 404, "handler:device:my-app-id:my-\ufffddev not found")
    fields = b'{"dev_id": "my-dev-id", "payload_fields": {"on": true, "color": "re\\udc00d"}}'
    assert_accepted(post(client, fields))
    assert queue(server)[0].extra["payload_fields"] == {"on": True, "color": "re\ufffdd"}


def test_error_text_that_quotes_a_surrogate_is_written_as_u_fffd():
    response = errors.not_found("handler:device:my-app-id:\ud800")
    assert response.response().body == "handler:device:my-app-id:\ufffd not found\n".encode()
