"""`class_b_c.absolute_time`: the Network Server refuses a time less than 2.5 s ahead.

TTS's matchApplicationDownlinks (grpc_asns.go) refuses, at push and at replace, an item whose
absolute time is earlier than now + half the 5 s absoluteTimeSchedulingDelay:
`pkg/networkserver:downlink_expired` (FailedPrecondition → 400), queue untouched. "Now" is the
simulator's clock. Each item is checked in full (length, then time) before the next one.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.conftest import AUTH
from tests.providers.tts.helpers import (
    DECODE_BODY,
    DECODE_BODY_MESSAGE,
    NO_F_PORT,
    NO_F_PORT_MESSAGE,
    NO_SESSION,
    NO_SESSION_MESSAGE,
    NS,
    app_as_url,
    assert_error,
    assert_plain_status,
    body,
    error,
    list_url,
    queue,
    queues_untouched,
    webhook_url,
)

EXPIRED = error(NS, "downlink_expired", "queued downlink is expired", 9)
EXPIRED_MESSAGE = "error:pkg/networkserver:downlink_expired (queued downlink is expired)"
TOO_LONG_MESSAGE = (
    "error:pkg/networkserver:application_downlink_too_long (application downlink payload "
    "length `243` exceeds maximum '242')"
)
TOO_LONG = error(
    NS,
    "application_downlink_too_long",
    "application downlink payload length `{length}` exceeds maximum '{max}'",
    3,
    {"length": 243, "max": 242},
)
URLS = {"webhook": webhook_url, "appas": app_as_url}
ROUTES_AND_OPS = [(route, op) for route in URLS for op in ("push", "replace")]


def at(when: str, tag: str = "timed", **more: Any) -> dict[str, Any]:
    """A downlink for `when` (the world's clock starts at 2026-01-01T00:00:00Z)."""
    return {
        "f_port": 1,
        "frm_payload": "AQ==",
        "class_b_c": {"absolute_time": when},
        "correlation_ids": [tag],
        **more,
    }


def send(client, route: str, op: str, *items: dict[str, Any], device: str = "dev2"):
    return client.post(URLS[route](op, device), content=body(*items), headers=AUTH)


@pytest.mark.parametrize(("route", "op"), ROUTES_AND_OPS)
@pytest.mark.parametrize(
    "when",
    [
        "2026-01-01T00:00:02.499999Z",
        "2026-01-01T00:00:02.499999999Z",  # a nanosecond short of the margin is short
        "2026-01-01T00:00:00Z",
        "2025-12-31T23:59:59Z",
        "2026-01-01T01:00:02.4+01:00",
    ],
)
def test_less_than_2_5_s_ahead_is_expired(seeded, client, route, op, when):
    with queues_untouched(seeded):
        response = send(client, route, op, at(when))
        assert_error(response, 400, EXPIRED_MESSAGE, EXPIRED, gateway=route == "appas")


@pytest.mark.parametrize(("route", "op"), ROUTES_AND_OPS)
@pytest.mark.parametrize(
    "when",
    ["2026-01-01T00:00:02.5Z", "2026-01-01T01:00:02.500000001+01:00", "2027-06-01T00:00:00Z"],
)
def test_2_5_s_ahead_or_more_is_queued(server, client, route, op, when):
    response = send(client, route, op, at(when))
    assert response.status_code == 200, response.text
    (queued,) = queue(server, "app1.dev2")
    assert queued.extra["class_b_c"] == {"absolute_time": when}


def test_now_is_the_simulators_clock(server, client):
    server.clock.advance(3600)  # 01:00:00 on the simulator's clock
    with queues_untouched(server):
        response = send(client, "webhook", "push", at("2026-01-01T00:00:10Z"))  # was fine at 0
        assert_error(response, 400, EXPIRED_MESSAGE, EXPIRED)
        response = send(client, "appas", "push", at("2026-01-01T01:00:02.499Z"))
        assert_error(response, 400, EXPIRED_MESSAGE, EXPIRED, gateway=True)
    assert send(client, "webhook", "push", at("2026-01-01T01:00:02.5Z")).status_code == 200


def test_camel_case_absolute_time_is_read_and_listed_by_its_proto_name(server, client):
    late = {"fPort": 1, "frmPayload": "AQ==", "classBC": {"absoluteTime": "2026-01-01T00:00:01Z"}}
    with queues_untouched(server):
        assert_error(send(client, "webhook", "push", late), 400, EXPIRED_MESSAGE, EXPIRED)
    timely = {**late, "classBC": {"absoluteTime": "2026-01-01T00:00:05Z"}}
    assert send(client, "appas", "push", timely).status_code == 200
    listed = client.get(list_url("dev2"), headers=AUTH).json()
    assert listed["downlinks"][0]["class_b_c"] == {"absolute_time": "2026-01-01T00:00:05Z"}


# -- order of checks ---------------------------------------------------------------------------
TOO_LONG_PAYLOAD = base64.b64encode(bytes(243)).decode()
PAST = "2026-01-01T00:00:01Z"


@pytest.mark.parametrize("route", URLS)
def test_an_items_length_is_checked_before_its_time(seeded, client, route):
    with queues_untouched(seeded):
        response = send(client, route, "push", at(PAST, frm_payload=TOO_LONG_PAYLOAD))
        assert_error(response, 400, TOO_LONG_MESSAGE, TOO_LONG, gateway=route == "appas")


@pytest.mark.parametrize("route", URLS)
def test_an_expired_item_is_reported_before_a_later_too_long_one(seeded, client, route):
    too_long = {"f_port": 1, "frm_payload": TOO_LONG_PAYLOAD}
    with queues_untouched(seeded):
        response = send(client, route, "replace", at(PAST), too_long)
        assert_error(response, 400, EXPIRED_MESSAGE, EXPIRED, gateway=route == "appas")
        response = send(client, route, "replace", too_long, at(PAST))
        assert_error(response, 400, TOO_LONG_MESSAGE, TOO_LONG, gateway=route == "appas")


def test_a_later_expired_item_fails_the_whole_request(seeded, client):
    with queues_untouched(seeded):
        response = send(client, "webhook", "push", at("2026-01-01T00:01:00Z"), at(PAST))
        assert_error(response, 400, EXPIRED_MESSAGE, EXPIRED)


def test_the_application_servers_checks_come_first(seeded, client):
    with queues_untouched(seeded):
        response = send(client, "webhook", "push", at(PAST, f_port=0))
        assert_error(response, 400, NO_F_PORT_MESSAGE, NO_F_PORT)
        response = send(client, "appas", "push", at(PAST), device="dev3")  # never activated
        assert_error(response, 400, NO_SESSION_MESSAGE, NO_SESSION, gateway=True)


def test_a_refused_item_is_reported_as_a_failed_downlink(server, client):
    send(client, "webhook", "push", at(PAST, tag="late"))
    (failed,) = [e for e in server.network.timeline("app1.dev2") if e.kind == "failed"]
    assert failed.details == {"reason": "downlink_expired"}
    assert failed.downlinks[0].correlation_ids[0] == "late"


# -- decoding ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "when",
    [
        "soon",
        "2026-01-01 00:00:10Z",
        "2026-01-01T00:00:10",  # no zone
        "2026-02-30T00:00:00Z",
        "2026-01-01T00:00:10.1234567890Z",  # ten fraction digits: protojson takes nine
        "0000-01-01T00:00:00Z",
        1767225610,
    ],
)
def test_an_absolute_time_that_is_no_timestamp_does_not_decode(seeded, client, when):
    content = body(at(when))
    with queues_untouched(seeded):
        response = client.post(webhook_url("push", "dev2"), content=content, headers=AUTH)
        assert_error(response, 400, DECODE_BODY_MESSAGE, DECODE_BODY)
        response = client.post(app_as_url("push", "dev2"), content=content, headers=AUTH)
        expected = f"invalid google.protobuf.Timestamp value {json.dumps(when)}"
        assert_plain_status(response, 400, 3, expected)


# -- confirmed retries ---------------------------------------------------------------------------
def test_a_nacked_retry_past_its_time_is_refused_as_expired(server, client):
    """The Application Server re-pushes a NACKed confirmed downlink: that push meets the same
    check, so a retry too late for its absolute time fails instead of being queued."""
    item = at("2026-01-01T00:00:30Z", tag="timed", confirmed=True)
    server.uplink("app1.dev2")  # class C starts with the device's first uplink
    assert send(client, "webhook", "push", item, device="dev2").status_code == 200
    server.clock.run_until_idle()  # sent at its absolute time, 00:00:30
    server.clock.advance(35)
    server.uplink("app1.dev2", ack=False)  # NACK at 00:01:05, past 00:00:30
    server.clock.run_until_idle()
    outcomes = [
        (e.kind, e.details.get("reason"))
        for e in server.network.timeline("app1.dev2")
        if e.kind in ("sent", "nacked", "queued", "failed")
    ]
    assert outcomes == [
        ("queued", None),
        ("sent", None),
        ("nacked", None),
        ("failed", "downlink_expired"),
    ]
    assert queue(server, "app1.dev2") == []
