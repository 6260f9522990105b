"""The rules of an `ApplicationDownlink` body (research A3, A6, A7; facts §4, §5, §6).

Webhook routes decode with protojson (DiscardUnknown) and wrap validation failures in
`validate_body`; AppAs routes decode with TTS's JSON and return `pkg/errors:validation`.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.conftest import AUTH
from tests.providers.tts.helpers import (
    AS_DOWNLINK,
    DECODE_BODY,
    DECODE_BODY_MESSAGE,
    EMBEDDED,
    NO_F_PORT,
    NO_F_PORT_MESSAGE,
    NS,
    VALIDATE_BODY_MESSAGE,
    app_as_url,
    assert_error,
    assert_plain_status,
    body,
    error,
    item_invalid,
    queue,
    queues_untouched,
    ulid_millis,
    validate_body,
    validation,
    webhook_url,
)

CLOCK_START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z, the default world's clock start
PRIORITIES = ["LOWEST", "LOW", "BELOW_NORMAL", "NORMAL", "ABOVE_NORMAL", "HIGH", "HIGHEST"]
APP_AS_VALIDATION_MESSAGE = (
    "error:pkg/errors:validation (invalid `downlinks[0]`: embedded message failed validation)"
)


def push(client, *items: dict[str, Any], device: str = "dev2", route: str = "webhook"):
    url = webhook_url("push", device) if route == "webhook" else app_as_url("push", device)
    return client.post(url, content=body(*items), headers=AUTH)


def pushed_ok(client, server, *items: dict[str, Any], device: str = "dev2", route="webhook"):
    """Push `items` to an empty queue and return what was queued."""
    before = len(queue(server, f"app1.{device}"))
    response = push(client, *items, device=device, route=route)
    assert response.status_code == 200, response.text
    queued = queue(server, f"app1.{device}")
    assert len(queued) == before + len(items)
    return queued[before:]


def too_long(length: int) -> tuple[str, dict[str, Any]]:
    return (
        "error:pkg/networkserver:application_downlink_too_long (application downlink payload "
        f"length `{length}` exceeds maximum '242')",
        error(
            NS,
            "application_downlink_too_long",
            "application downlink payload length `{length}` exceeds maximum '{max}'",
            3,
            {"length": length, "max": 242},
        ),
    )


def assert_invalid_item(response, index, field, reason, route="webhook"):
    if route == "webhook":
        assert_error(
            response,
            400,
            VALIDATE_BODY_MESSAGE,
            validate_body(item_invalid(index, field, reason)),
        )
    else:
        assert_error(
            response,
            400,
            f"error:pkg/errors:validation (invalid `downlinks[{index}]`: {EMBEDDED})",
            item_invalid(index, field, reason, "DownlinkQueueRequest"),
            gateway=True,
        )


ROUTES = ["webhook", "appas"]


# -- f_port ------------------------------------------------------------------------------------
@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    "item",
    [
        {"frm_payload": "AQ=="},
        {"f_port": 0, "frm_payload": "AQ=="},
        {"f_port": "0", "frm_payload": "AQ=="},
        {"f_port": None, "frm_payload": "AQ=="},
    ],
)
def test_missing_or_zero_f_port_is_no_f_port(seeded, client, item, route):
    with queues_untouched(seeded):
        assert_error(
            push(client, item, route=route),
            400,
            NO_F_PORT_MESSAGE,
            NO_F_PORT,
            gateway=route == "appas",
        )


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    ("f_port", "reason"),
    [
        (224, "value must not be in list [224]"),
        (256, "value must be less than or equal to 255"),
        (300, "value must be less than or equal to 255"),
        (4294967295, "value must be less than or equal to 255"),
    ],
)
def test_f_port_rules(seeded, client, f_port, reason, route):
    with queues_untouched(seeded):
        response = push(client, {"f_port": f_port, "frm_payload": "AQ=="}, route=route)
        assert_invalid_item(response, 0, "f_port", reason, route)


@pytest.mark.parametrize("f_port", [1, 15, 223, 225, 254, 255])
def test_f_port_boundaries_accepted(server, client, f_port):
    (queued,) = pushed_ok(client, server, {"f_port": f_port, "frm_payload": "AQ=="})
    assert queued.f_port == f_port


@pytest.mark.parametrize(
    ("f_port", "expected", "route"),
    [
        ("15", 15, "webhook"),
        ("255", 255, "webhook"),
        ("15", 15, "appas"),
        ("255", 255, "appas"),
        # protojson reads a number token, also inside a string
        (15.0, 15, "webhook"),
        ("1e1", 10, "webhook"),
    ],
)
def test_numeric_f_port_forms_accepted(server, client, f_port, expected, route):
    (queued,) = pushed_ok(client, server, {"f_port": f_port, "frm_payload": "AQ=="}, route=route)
    assert queued.f_port == expected


@pytest.mark.parametrize("f_port", ["abc", "", " 15", -1, 1.5, 4294967296, True, [1], {"value": 1}])
def test_f_port_that_is_not_a_uint32_is_decode_body(seeded, client, f_port):
    with queues_untouched(seeded):
        response = push(client, {"f_port": f_port, "frm_payload": "AQ=="})
        assert_error(response, 400, DECODE_BODY_MESSAGE, DECODE_BODY)


# -- frm_payload -------------------------------------------------------------------------------
@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    ("encoded", "expected"),
    [
        ("vu8=", b"\xbe\xef"),  # standard, padded
        ("vu8", b"\xbe\xef"),  # standard, unpadded
        ("+/8=", b"\xfb\xff"),  # standard alphabet's own characters, padded
        ("+/8", b"\xfb\xff"),  # … unpadded
        ("-_8=", b"\xfb\xff"),  # URL-safe, padded
        ("-_8", b"\xfb\xff"),  # URL-safe, unpadded
        ("AQ==", b"\x01"),
        ("AQ", b"\x01"),
        ("AQID", b"\x01\x02\x03"),
        ("AAECAwQFBgc", bytes(range(8))),
    ],
)
def test_base64_alphabets_and_padding(server, client, encoded, expected, route):
    (queued,) = pushed_ok(client, server, {"f_port": 1, "frm_payload": encoded}, route=route)
    assert queued.frm_payload == expected


@pytest.mark.parametrize("encoded", ["!!!!", "vu8==", "a", "AQ=x", "vu 8", "====", 12, ["AQ=="]])
def test_bad_base64_is_decode_body_without_cause(seeded, client, encoded):
    with queues_untouched(seeded):
        response = push(client, {"f_port": 1, "frm_payload": encoded})
        parsed = assert_error(response, 400, DECODE_BODY_MESSAGE, DECODE_BODY)
    assert "cause" not in parsed["details"][0]
    assert "attributes" not in parsed["details"][0]


def test_bad_base64_on_app_as_is_a_plain_400(seeded, client):
    with queues_untouched(seeded):
        assert_plain_status(
            push(client, {"f_port": 1, "frm_payload": "!!!!"}, route="appas"), 400, 3
        )


def test_mixed_base64_alphabets_are_decode_body(seeded, client):
    with queues_untouched(seeded):
        response = push(client, {"f_port": 1, "frm_payload": "+_8="})
        assert_error(response, 400, DECODE_BODY_MESSAGE, DECODE_BODY)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("length", [0, 1, 51, 222, 242])
def test_payload_up_to_the_band_maximum_is_queued(server, client, length, route):
    payload = bytes(range(256))[:length] if length else b""
    items = {"f_port": 1, "frm_payload": base64.b64encode(payload).decode()}
    if not length:
        items["decoded_payload"] = {}  # an empty frm_payload alone is "no payload"
    (queued,) = pushed_ok(client, server, items, route=route)
    assert queued.frm_payload == payload


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("length", [243, 250, 255])
def test_payload_over_the_band_maximum_is_too_long(seeded, client, length, route):
    with queues_untouched(seeded):
        response = push(
            client,
            {"f_port": 1, "frm_payload": base64.b64encode(bytes(length)).decode()},
            route=route,
        )
        assert_error(response, 400, *too_long(length), gateway=route == "appas")


def test_the_243_byte_message_exactly(seeded, client):
    response = push(client, {"f_port": 1, "frm_payload": base64.b64encode(bytes(243)).decode()})
    assert response.json()["message"] == (
        "error:pkg/networkserver:application_downlink_too_long "
        "(application downlink payload length `243` exceeds maximum '242')"
    )


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("length", [256, 300, 1000])
def test_payload_over_255_bytes_is_a_validation_error(seeded, client, length, route):
    with queues_untouched(seeded):
        response = push(
            client,
            {"f_port": 1, "frm_payload": base64.b64encode(bytes(length)).decode()},
            route=route,
        )
        assert_invalid_item(
            response, 0, "frm_payload", "value length must be at most 255 bytes", route
        )


def test_too_long_in_a_later_item_fails_the_whole_request(seeded, client):
    with queues_untouched(seeded):
        response = push(
            client,
            {"f_port": 1, "frm_payload": "AQ=="},
            {"f_port": 2, "frm_payload": base64.b64encode(bytes(243)).decode()},
        )
        assert_error(response, 400, *too_long(243))


# -- priority ----------------------------------------------------------------------------------
@pytest.mark.parametrize("route", ROUTES)
def test_priority_defaults_to_lowest(server, client, route):
    (queued,) = pushed_ok(client, server, {"f_port": 1, "frm_payload": "AQ=="}, route=route)
    assert queued.priority == 0


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(("name", "number"), [(n, i) for i, n in enumerate(PRIORITIES)])
def test_priority_by_name_and_by_number(server, client, name, number, route):
    by_name, by_number = pushed_ok(
        client,
        server,
        {"f_port": 1, "frm_payload": "AQ==", "priority": name},
        {"f_port": 1, "frm_payload": "AQ==", "priority": number},
        route=route,
    )
    assert by_name.priority == number
    assert by_number.priority == number


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("number", [7, 99, -1])
def test_undefined_priority_number_is_a_validation_error(seeded, client, number, route):
    with queues_untouched(seeded):
        response = push(
            client, {"f_port": 1, "frm_payload": "AQ==", "priority": number}, route=route
        )
        assert_invalid_item(
            response, 0, "priority", "value must be one of the defined enum values", route
        )


@pytest.mark.parametrize("name", ["URGENT", "normal", ""])
def test_unknown_priority_name_is_dropped_on_webhook_routes(server, client, name):
    """protojson with DiscardUnknown drops an unknown enum name like an unknown field."""
    (queued,) = pushed_ok(client, server, {"f_port": 1, "frm_payload": "AQ==", "priority": name})
    assert queued.priority == 0


@pytest.mark.parametrize("name", ["URGENT", "normal"])
def test_unknown_priority_name_is_a_plain_400_on_app_as_routes(seeded, client, name):
    with queues_untouched(seeded):
        response = push(
            client, {"f_port": 1, "frm_payload": "AQ==", "priority": name}, route="appas"
        )
        assert_plain_status(response, 400, 3)


def test_numeric_string_priority_is_dropped_on_webhook_routes(server, client):
    (queued,) = pushed_ok(client, server, {"f_port": 1, "frm_payload": "AQ==", "priority": "3"})
    assert queued.priority == 0


def test_priority_of_the_wrong_type_is_decode_body(seeded, client):
    with queues_untouched(seeded):
        response = push(client, {"f_port": 1, "frm_payload": "AQ==", "priority": True})
        assert_error(response, 400, DECODE_BODY_MESSAGE, DECODE_BODY)


# -- decoded_payload and formatters ------------------------------------------------------------
@pytest.mark.parametrize("route", ROUTES)
def test_decoded_payload_without_formatter_queues_an_empty_payload(server, client, route):
    (queued,) = pushed_ok(
        client, server, {"f_port": 7, "decoded_payload": {"bytes": [1, 2, 3]}}, route=route
    )
    assert queued.f_port == 7
    assert queued.frm_payload == b""


@pytest.mark.parametrize("route", ROUTES)
def test_decoded_payload_without_formatter_or_f_port_is_no_f_port(seeded, client, route):
    with queues_untouched(seeded):
        response = push(client, {"decoded_payload": {"bytes": [1, 2, 3]}}, route=route)
        assert_error(response, 400, NO_F_PORT_MESSAGE, NO_F_PORT, gateway=route == "appas")


def test_without_formatter_frm_payload_wins_over_decoded_payload(server, client):
    (queued,) = pushed_ok(
        client, server, {"f_port": 3, "frm_payload": "Cg==", "decoded_payload": {"bytes": [1]}}
    )
    assert (queued.f_port, queued.frm_payload) == (3, b"\n")


@pytest.mark.parametrize("route", ROUTES)
def test_formatter_encodes_decoded_payload(server, client, route):
    (queued,) = pushed_ok(
        client, server, {"decoded_payload": {"bytes": [1, 2, 3]}}, device="dev1", route=route
    )
    assert (queued.f_port, queued.frm_payload) == (1, b"\x01\x02\x03")


def test_with_a_formatter_frm_payload_still_wins_over_decoded_payload(server, client):
    # payload.go encodeDownlink: an item with bytes is not encoded, whatever its formatter
    (queued,) = pushed_ok(
        client,
        server,
        {"f_port": 2, "frm_payload": "Cg==", "decoded_payload": {"bytes": [4, 5]}},
        device="dev1",
    )
    assert (queued.f_port, queued.frm_payload) == (2, b"\n")


def test_the_formatters_f_port_wins(server, client):
    (queued,) = pushed_ok(
        client, server, {"f_port": 7, "decoded_payload": {"bytes": [1]}}, device="dev1"
    )
    assert (queued.f_port, queued.frm_payload) == (1, b"\x01")


# -- correlation_ids ---------------------------------------------------------------------------
@pytest.mark.parametrize("route", ROUTES)
def test_an_as_downlink_correlation_id_is_appended(server, client, route):
    first, second = pushed_ok(
        client,
        server,
        {"f_port": 1, "frm_payload": "AQ==", "correlation_ids": ["mine:1", "mine:2"]},
        {"f_port": 1, "frm_payload": "AQ=="},
        route=route,
    )
    assert first.correlation_ids[:2] == ("mine:1", "mine:2")
    assert len(first.correlation_ids) == 3
    assert len(second.correlation_ids) == 1
    ulids = []
    for ids in (first.correlation_ids, second.correlation_ids):
        match = AS_DOWNLINK.match(ids[-1])
        assert match, ids
        ulids.append(match.group(1))
    assert ulids[0] != ulids[1]
    assert [ulid_millis(u) for u in ulids] == [CLOCK_START_MS, CLOCK_START_MS]


def test_correlation_ulids_follow_the_virtual_clock(server, client):
    server.clock.advance(90.5)
    (queued,) = pushed_ok(client, server, {"f_port": 1, "frm_payload": "AQ=="})
    assert ulid_millis(AS_DOWNLINK.match(queued.correlation_ids[0]).group(1)) == (
        CLOCK_START_MS + 90_500
    )


def test_correlation_ids_are_limited_to_100_runes(seeded, client, server):
    (queued,) = pushed_ok(
        client, server, {"f_port": 1, "frm_payload": "AQ==", "correlation_ids": ["é" * 100]}
    )
    assert queued.correlation_ids[0] == "é" * 100
    with queues_untouched(seeded):
        response = push(
            client, {"f_port": 1, "frm_payload": "AQ==", "correlation_ids": ["ok", "é" * 101]}
        )
        assert_invalid_item(
            response, 0, "correlation_ids[1]", "value length must be at most 100 runes"
        )


# -- confirmed and confirmed_retry -------------------------------------------------------------
def test_confirmed_is_kept(server, client):
    confirmed, unconfirmed = pushed_ok(
        client,
        server,
        {"f_port": 1, "frm_payload": "AQ==", "confirmed": True},
        {"f_port": 1, "frm_payload": "AQ==", "confirmed": False},
    )
    assert (confirmed.confirmed, unconfirmed.confirmed) == (True, False)


def _retry_chain(route: str) -> dict[str, Any]:
    container = "ApplicationDownlinks" if route == "webhook" else "DownlinkQueueRequest"
    return validation(
        "downlinks[0]",
        f"{container}ValidationError",
        EMBEDDED,
        validation(
            "confirmed_retry",
            "ApplicationDownlinkValidationError",
            EMBEDDED,
            validation(
                "max_attempts",
                "ApplicationDownlink_ConfirmedRetryValidationError",
                "value must be inside range (0, 100]",
            ),
        ),
    )


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("max_attempts", [0, 101])
def test_confirmed_retry_out_of_proto_range(seeded, client, max_attempts, route):
    item = {
        "f_port": 1,
        "frm_payload": "AQ==",
        "confirmed": True,
        "confirmed_retry": {"max_attempts": max_attempts},
    }
    with queues_untouched(seeded):
        response = push(client, item, route=route)
        if route == "webhook":
            assert_error(response, 400, VALIDATE_BODY_MESSAGE, validate_body(_retry_chain(route)))
        else:
            assert_error(
                response, 400, APP_AS_VALIDATION_MESSAGE, _retry_chain(route), gateway=True
            )


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("max_attempts", [33, 100])
def test_confirmed_retry_over_the_configured_maximum(seeded, client, max_attempts, route):
    item = {
        "f_port": 1,
        "frm_payload": "AQ==",
        "confirmed": True,
        "confirmed_retry": {"max_attempts": max_attempts},
    }
    with queues_untouched(seeded):
        assert_error(
            push(client, item, route=route),
            400,
            "error:pkg/applicationserver:downlink_max_retries_invalid "
            "(downlink maximum retries exceed configured maximum of 32)",
            error(
                "pkg/applicationserver",
                "downlink_max_retries_invalid",
                "downlink maximum retries exceed configured maximum of {max}",
                3,
                {"max": 32},
            ),
            gateway=route == "appas",
        )


@pytest.mark.parametrize("max_attempts", [1, 8, 32])
def test_confirmed_retry_within_limits_is_queued(server, client, max_attempts):
    (queued,) = pushed_ok(
        client,
        server,
        {
            "f_port": 1,
            "frm_payload": "AQ==",
            "confirmed": True,
            "confirmedRetry": {"maxAttempts": max_attempts},
        },
    )
    assert queued.confirmed is True
    # the Application Server counts transmissions: the push is the first attempt
    assert queued.extra["confirmed_retry"] == {"attempt": 1, "max_attempts": max_attempts}


# -- field names, unknown fields, content types, wrapper -----------------------------------------
@pytest.mark.parametrize("route", ROUTES)
def test_camel_case_field_names_are_accepted(server, client, route):
    (queued,) = pushed_ok(
        client,
        server,
        {
            "fPort": 42,
            "frmPayload": "vu8=",
            "correlationIds": ["camel"],
            "priority": "HIGH",
            "confirmed": True,
        },
        route=route,
    )
    assert (queued.f_port, queued.frm_payload, queued.priority) == (42, b"\xbe\xef", 5)
    assert queued.correlation_ids[0] == "camel"
    assert queued.confirmed is True


def test_camel_case_decoded_payload_is_accepted(server, client):
    (queued,) = pushed_ok(client, server, {"decodedPayload": {"bytes": [9]}}, device="dev1")
    assert (queued.f_port, queued.frm_payload) == (1, b"\x09")


@pytest.mark.parametrize("route", ROUTES)
def test_unknown_fields_are_ignored(server, client, route):
    content = json.dumps(
        {
            "downlinks": [
                {
                    "f_port": 5,
                    "frm_payload": "AQ==",
                    "not_a_field": {"deep": [1, {"x": None}]},
                    "FPORT": 9,
                    "f_port_": "x",
                }
            ],
            "extra": [1, 2, 3],
            "field_mask": {"paths": ["downlinks"]},
        }
    ).encode()
    url = webhook_url("push", "dev2") if route == "webhook" else app_as_url("push", "dev2")
    response = client.post(url, content=content, headers=AUTH)
    assert response.status_code == 200, response.text
    (queued,) = queue(server, "app1.dev2")
    assert (queued.f_port, queued.frm_payload) == (5, b"\x01")


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",  # what curl sends when not told otherwise
        "application/octet-stream",
        "application/xml",
        None,
    ],
)
def test_the_body_is_json_whatever_the_content_type(server, client, content_type):
    headers = {"Authorization": AUTH["Authorization"]}
    if content_type:
        headers["Content-Type"] = content_type
    response = client.post(
        webhook_url("push", "dev2"),
        content=body({"f_port": 4, "frm_payload": "BA=="}),
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert response.content == b""
    (queued,) = queue(server, "app1.dev2")
    assert (queued.f_port, queued.frm_payload) == (4, b"\x04")


def test_a_bare_downlink_without_the_wrapper_is_a_no_op_push(seeded, client):
    """Without `downlinks` the body decodes to zero downlinks (unknown fields are dropped)."""
    with queues_untouched(seeded):
        response = client.post(
            webhook_url("push", "dev2"),
            content=b'{"f_port":1,"frm_payload":"AQ==","priority":"HIGH"}',
            headers=AUTH,
        )
    assert response.status_code == 200, response.text
    assert response.content == b""


def test_a_bare_downlink_without_the_wrapper_replaces_with_nothing(seeded, client):
    """… so a replace with it is a replace with zero downlinks: the queue is cleared."""
    response = client.post(
        webhook_url("replace", "dev2"),
        content=b'{"f_port":1,"frm_payload":"AQ=="}',
        headers=AUTH,
    )
    assert response.status_code == 200, response.text
    assert queue(seeded, "app1.dev2") == []
    assert [d.correlation_ids[0] for d in queue(seeded, "app1.dev1")] == ["seed"]


@pytest.mark.parametrize(
    "content",
    [
        b'{"downlinks":[{"f_port":1,"f_port":2,"frm_payload":"AQ=="}]}',
        b'{"downlinks":[{"f_port":1,"fPort":2,"frm_payload":"AQ=="}]}',
    ],
)
def test_a_field_given_twice_is_decode_body(seeded, client, content):
    with queues_untouched(seeded):
        response = client.post(webhook_url("push", "dev2"), content=content, headers=AUTH)
        assert_error(response, 400, DECODE_BODY_MESSAGE, DECODE_BODY)


def test_a_null_downlink_is_decode_body(seeded, client):
    with queues_untouched(seeded):
        response = client.post(
            webhook_url("push", "dev2"), content=b'{"downlinks":[null]}', headers=AUTH
        )
        assert_error(response, 400, DECODE_BODY_MESSAGE, DECODE_BODY)


def test_null_fields_mean_unset(server, client):
    (queued,) = pushed_ok(
        client,
        server,
        {
            "f_port": 6,
            "frm_payload": "Bg==",
            "priority": None,
            "correlation_ids": None,
            "confirmed": None,
            "confirmed_retry": None,
            "class_b_c": None,
        },
    )
    assert (queued.f_port, queued.frm_payload, queued.priority, queued.confirmed) == (
        6,
        b"\x06",
        0,
        False,
    )
    assert len(queued.correlation_ids) == 1
