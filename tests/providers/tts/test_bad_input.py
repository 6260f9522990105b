"""Bad input: every answer is TTS's own shape, never a 500 or a traceback, queues untouched."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import AUTH
from tests.providers.tts.helpers import (
    DECODE_BODY,
    DECODE_BODY_MESSAGE,
    ID_REGEX_REASON,
    IDENTIFIERS_MESSAGE,
    MAX_BODY,
    WEB,
    WEBHOOK_NOT_FOUND,
    WEBHOOK_NOT_FOUND_MESSAGE,
    app1,
    app_as_url,
    assert_error,
    assert_plain_status,
    body,
    default_world,
    error,
    identifiers,
    list_url,
    queue,
    queues_untouched,
    seed_queues,
    validation,
    webhook_url,
)

READ_BODY_MESSAGE = "error:pkg/applicationserver/io/web:read_body (read body)"
READ_BODY = error(
    WEB,
    "read_body",
    "read body",
    1,
    cause=error(
        "pkg/webmiddleware",
        "request_body_too_large",
        "request body too large",
        3,
        {"maximum": MAX_BODY},
    ),
)
TOO_LARGE_MESSAGE = "error:pkg/webmiddleware:request_body_too_large (request body too large)"
NOT_FOUND = {"code": 5, "message": "Not Found"}
METHOD_NOT_ALLOWED = {"code": 12, "message": "Method Not Allowed"}

MALFORMED = [
    b"{",
    b"}",
    b"not json",
    b'{"downlinks":[}',
    b'{"downlinks":[{"f_port":1,}]}',
    b"{'downlinks':[]}",
    b'{"downlinks":[{"f_port":1 "frm_payload":"AQ=="}]}',
    b'{"downlinks"',
    b'{"downlinks":[{"f_port":01,"frm_payload":"AQ=="}]}',
    b"\x00",
]
NOT_AN_OBJECT = [b"[]", b'[{"f_port":1,"frm_payload":"AQ=="}]', b'"downlinks"', b"42", b"true"]
WRONG_TYPES = [
    b'{"downlinks":{"f_port":1}}',
    b'{"downlinks":"AQ=="}',
    b'{"downlinks":1}',
    b'{"downlinks":["AQ=="]}',
    b'{"downlinks":[[]]}',
    b'{"downlinks":[{"f_port":"one","frm_payload":"AQ=="}]}',
    b'{"downlinks":[{"f_port":1,"frm_payload":1}]}',
    b'{"downlinks":[{"f_port":1,"frm_payload":"AQ==","confirmed":"yes"}]}',
    b'{"downlinks":[{"f_port":1,"frm_payload":"AQ==","confirmed":1}]}',
    b'{"downlinks":[{"f_port":1,"decoded_payload":[1,2]}]}',
    b'{"downlinks":[{"f_port":1,"decoded_payload":"x"}]}',
    b'{"downlinks":[{"f_port":1,"frm_payload":"AQ==","correlation_ids":"x"}]}',
    b'{"downlinks":[{"f_port":1,"frm_payload":"AQ==","correlation_ids":[1]}]}',
    b'{"downlinks":[{"f_port":1,"frm_payload":"AQ==","priority":[]}]}',
    b'{"downlinks":[{"f_port":1,"frm_payload":"AQ==","confirmed_retry":5}]}',
    b'{"downlinks":[{"f_port":1,"frm_payload":"AQ==","confirmed_retry":{"max_attempts":"x"}}]}',
    b'{"downlinks":[{"f_port":1,"frm_payload":"AQ==","class_b_c":[]}]}',
]
NOT_UTF8 = [
    b"\xff\xfe\xfd",
    b'{"downlinks":[{"f_port":1,"frm_payload":"AQ==","correlation_ids":["\xff"]}]}',
    b'{"downlinks":[{"f_port":1,"frm_payload":"AQ==","correlation_ids":["\xc3\x28"]}]}',
]
LENIENT = [
    pytest.param(b'\xef\xbb\xbf{"downlinks":[]}', id="utf8-bom"),
    pytest.param('{"downlinks":[]}'.encode("utf-16"), id="utf16"),
    pytest.param('{"downlinks":[]}'.encode("utf-32-le"), id="utf32"),
    pytest.param(
        b'{"downlinks":[{"f_port":1,"frm_payload":"AQ==","correlation_ids":["\xed\xa0\x80"]}]}',
        id="utf8-encoded-surrogate",
    ),
    pytest.param(b'{"downlinks":[],"x":NaN}', id="nan"),
    pytest.param(b'{"downlinks":[],"x":-Infinity}', id="infinity"),
]


def _ids(values):
    return [f"{index}:{value[:32]!r}" for index, value in enumerate(values)]


@pytest.mark.parametrize("op", ["push", "replace"])
@pytest.mark.parametrize(
    "content",
    [*MALFORMED, *NOT_AN_OBJECT, *WRONG_TYPES, *NOT_UTF8, b"null", b"", b"   \n\t "],
    ids=_ids([*MALFORMED, *NOT_AN_OBJECT, *WRONG_TYPES, *NOT_UTF8, b"null", b"", b"   \n\t "]),
)
def test_undecodable_webhook_body_is_decode_body(seeded, client, content, op):
    with queues_untouched(seeded):
        response = client.post(webhook_url(op), content=content, headers=AUTH)
        parsed = assert_error(response, 400, DECODE_BODY_MESSAGE, DECODE_BODY)
    assert set(parsed["details"][0]) == {
        "@type",
        "namespace",
        "name",
        "message_format",
        "correlation_id",
        "code",
    }


@pytest.mark.parametrize("content", LENIENT)
def test_json_that_go_would_not_read_is_decode_body(seeded, client, content):
    with queues_untouched(seeded):
        response = client.post(webhook_url("replace"), content=content, headers=AUTH)
        assert_error(response, 400, DECODE_BODY_MESSAGE, DECODE_BODY)


def test_trailing_data_after_the_first_json_value_is_ignored(seeded, client):
    """json.Decoder reads one value; what follows it is never looked at (facts §4)."""
    response = client.post(
        webhook_url("push", "dev2"),
        content=body({"f_port": 8, "frm_payload": "CA=="}) + b" trailing {garbage",
        headers=AUTH,
    )
    assert response.status_code == 200, response.text
    assert [(d.f_port, d.frm_payload) for d in queue(seeded, "app1.dev2")][-1] == (8, b"\x08")


@pytest.mark.parametrize("op", ["push", "replace"])
@pytest.mark.parametrize(
    "content",
    [*MALFORMED, *NOT_AN_OBJECT, *WRONG_TYPES, *NOT_UTF8],
    ids=_ids([*MALFORMED, *NOT_AN_OBJECT, *WRONG_TYPES, *NOT_UTF8]),
)
def test_undecodable_app_as_body_is_a_plain_400(seeded, client, content, op):
    with queues_untouched(seeded):
        assert_plain_status(client.post(app_as_url(op), content=content, headers=AUTH), 400, 3)


@pytest.mark.parametrize("content", [b"", b"null", b"{}"])
def test_an_empty_app_as_push_is_a_no_op(seeded, client, content):
    with queues_untouched(seeded):
        response = client.post(app_as_url("push"), content=content, headers=AUTH)
        assert response.status_code == 200, response.text
        assert response.content == b"{}"


def test_formatter_rejecting_its_input_is_not_a_500(seeded, client):
    for decoded in ({"bytes": [256]}, {"bytes": "AQ=="}, {"nothing": True}, {"bytes": [True]}):
        with queues_untouched(seeded):
            response = client.post(
                webhook_url("push"), content=body({"decoded_payload": decoded}), headers=AUTH
            )
            assert response.status_code == 409, response.text
            parsed = response.json()
            assert parsed["code"] == 10
            detail = parsed["details"][0]
            assert (detail["namespace"], detail["name"]) == (
                "pkg/messageprocessors/javascript",
                "output_errors",
            )
            assert detail["message_format"] == "{errors}"
            assert parsed["message"] == (
                "error:pkg/messageprocessors/javascript:output_errors "
                f"({detail['attributes']['errors']})"
            )


# -- bodies over TTS's 16 MiB limit ------------------------------------------------------------
@pytest.mark.parametrize("op", ["push", "replace"])
def test_a_body_over_16_mib_on_a_webhook_route_is_499_read_body(seeded, client, huge_body, op):
    assert len(huge_body) == MAX_BODY + 1
    with queues_untouched(seeded):
        response = client.post(webhook_url(op), content=huge_body, headers=AUTH)
        assert_error(response, 499, READ_BODY_MESSAGE, READ_BODY)


@pytest.mark.parametrize("op", ["push", "replace"])
def test_a_body_over_16_mib_on_an_app_as_route_is_a_plain_400(seeded, client, huge_body, op):
    with queues_untouched(seeded):
        response = client.post(app_as_url(op), content=huge_body, headers=AUTH)
        assert_plain_status(response, 400, 3, TOO_LARGE_MESSAGE)


def test_a_body_of_exactly_16_mib_is_read(seeded, client, huge_body):
    response = client.post(webhook_url("push", "dev2"), content=huge_body[:-1], headers=AUTH)
    assert response.status_code == 200, response.text[:500]
    assert queue(seeded, "app1.dev2")[-1].frm_payload == b"\x01"


def _world_with_paused_webhook():
    world = default_world()
    app1(world)["webhooks"].append({"id": "paused-hook", "paused": True})
    return world


@pytest.mark.parametrize("case", ["bad-id", "no-auth", "unknown-webhook", "paused"])
def test_checks_before_reading_the_body_come_before_the_size_limit(server, client, huge_body, case):
    server.reset(_world_with_paused_webhook())
    seed_queues(client)
    with queues_untouched(server):
        if case == "bad-id":
            response = client.post(webhook_url("push", "BAD_ID"), content=huge_body, headers=AUTH)
            assert_error(
                response,
                400,
                IDENTIFIERS_MESSAGE,
                identifiers(
                    validation("device_id", "EndDeviceIdentifiersValidationError", ID_REGEX_REASON)
                ),
            )
        elif case == "no-auth":
            response = client.post(webhook_url("push"), content=huge_body)
            assert_error(
                response,
                401,
                "error:pkg/rpcmetadata:unauthenticated (the context is not authenticated)",
                error("pkg/rpcmetadata", "unauthenticated", "the context is not authenticated", 16),
            )
        elif case == "unknown-webhook":
            response = client.post(
                webhook_url("push", webhook="nohook"), content=huge_body, headers=AUTH
            )
            assert_error(response, 404, WEBHOOK_NOT_FOUND_MESSAGE, WEBHOOK_NOT_FOUND)
        else:
            response = client.post(
                webhook_url("push", webhook="paused-hook"), content=huge_body, headers=AUTH
            )
            assert response.status_code == 406
            assert response.content == b""


def test_app_as_reads_the_body_before_anything_else(seeded, client, huge_body):
    """grpc-gateway decodes the body before the call reaches the validator or the rights."""
    with queues_untouched(seeded):
        response = client.post(app_as_url("push", "BAD_ID"), content=huge_body)
        assert_plain_status(response, 400, 3, TOO_LARGE_MESSAGE)


def test_a_chunked_body_over_16_mib_on_a_real_port(seeded, huge_body):
    """No Content-Length: the limit is enforced while reading, as http.MaxBytesReader does."""

    def chunks():
        for start in range(0, len(huge_body), 1024 * 1024):
            yield huge_body[start : start + 1024 * 1024]

    url = seeded.start()
    try:
        with queues_untouched(seeded), httpx.Client(base_url=url, timeout=60) as real:
            response = real.post(webhook_url("push"), content=chunks(), headers=AUTH)
            assert_error(response, 499, READ_BODY_MESSAGE, READ_BODY)
            response = real.post(app_as_url("push"), content=chunks(), headers=AUTH)
            assert_plain_status(response, 400, 3, TOO_LARGE_MESSAGE)
    finally:
        seeded.stop()


# -- routing -----------------------------------------------------------------------------------
UNKNOWN_ROUTES = [
    ("GET", "/api/v3"),
    ("GET", "/api/v3/"),
    ("GET", "/api/v3/nothing"),
    ("POST", "/api/v3/as/applications/app1/webhooks/wh1/devices/dev1/down/delete"),
    ("POST", "/api/v3/as/applications/app1/webhooks/wh1/devices/dev1/down/push/extra"),
    ("POST", "/api/v3/as/applications/app1/webhooks/wh1/devices/dev1/down"),
    ("GET", "/api/v3/as/applications/app1/webhooks/wh1/devices/dev1/down"),
    ("POST", "/api/v3/as/applications/app1/devices/dev1/down/clear"),
    ("POST", "/api/v3/as/applications/app1/devices/dev1/up/push"),
    ("GET", "/api/v3/as/applications/app1/devices"),
    ("DELETE", "/api/v3/as/applications/app1"),
]


def _assert_gateway_body(response, expected):
    assert response.headers["content-type"] == "application/json"
    assert response.json() == expected
    assert "Traceback" not in response.text


@pytest.mark.parametrize(("method", "path"), UNKNOWN_ROUTES)
def test_unknown_routes_under_api_v3(seeded, client, method, path):
    with queues_untouched(seeded):
        response = client.request(method, path, content=body(), headers=AUTH)
    assert response.status_code == 404
    _assert_gateway_body(response, NOT_FOUND)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"])
@pytest.mark.parametrize("op", ["push", "replace"])
def test_wrong_method_on_a_webhook_route_is_404(seeded, client, method, op):
    with queues_untouched(seeded):
        response = client.request(method, webhook_url(op), content=body(), headers=AUTH)
    assert response.status_code == 404
    _assert_gateway_body(response, NOT_FOUND)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", app_as_url("push")),
        ("PUT", app_as_url("push")),
        ("DELETE", app_as_url("push")),
        ("PATCH", app_as_url("replace")),
        ("GET", app_as_url("replace")),
        ("POST", list_url()),
        ("PUT", list_url()),
        ("DELETE", list_url()),
    ],
)
def test_wrong_method_on_an_app_as_path_is_501(seeded, client, method, url):
    with queues_untouched(seeded):
        response = client.request(method, url, content=body(), headers=AUTH)
    assert response.status_code == 501
    _assert_gateway_body(response, METHOD_NOT_ALLOWED)


def test_routing_comes_before_auth(seeded, client):
    response = client.get("/api/v3/nothing")
    assert response.status_code == 404
    _assert_gateway_body(response, NOT_FOUND)
    response = client.get(app_as_url("push"))
    assert response.status_code == 501
    _assert_gateway_body(response, METHOD_NOT_ALLOWED)


REPEATED_KEYS = [
    b'{"downlinks":[],"downlinks":[{"f_port":1,"frm_payload":"AQ=="}]}',
    b'{"downlinks":[{"f_port":1,"f_port":2,"frm_payload":"AQ=="}]}',
    b'{"downlinks":[{"f_port":1,"frm_payload":"AQ==","decoded_payload":{"a":1,"a":2}}]}',
]


@pytest.mark.parametrize("op", ["push", "replace"])
@pytest.mark.parametrize("content", REPEATED_KEYS, ids=_ids(REPEATED_KEYS))
def test_a_repeated_key_is_decode_body_on_webhook_routes(seeded, client, content, op):
    """protojson rejects a duplicate field anywhere in the body, though the body is valid JSON
    (the contract layer parses it once and tells the provider a key repeated)."""
    with queues_untouched(seeded):
        response = client.post(webhook_url(op), content=content, headers=AUTH)
        assert_error(response, 400, DECODE_BODY_MESSAGE, DECODE_BODY)


def test_a_repeated_key_on_app_as_routes_keeps_the_last(seeded, client):
    """TTS's own JSON decoding (grpc-gateway routes) keeps the last of repeated keys."""
    content = b'{"downlinks":[{"f_port":1,"f_port":9,"frm_payload":"AQ=="}]}'
    response = client.post(app_as_url("push", "dev2"), content=content, headers=AUTH)
    assert response.status_code == 200, response.text
    assert [d.f_port for d in queue(seeded, "app1.dev2")][-1] == 9


def test_with_two_bad_fields_the_app_as_error_names_the_first_in_proto_order(seeded, client):
    """Fields are decoded in proto order (f_port before frm_payload), whatever the body's."""
    content = b'{"downlinks":[{"frm_payload":1,"f_port":"one"}]}'
    with queues_untouched(seeded):
        response = client.post(app_as_url("push"), content=content, headers=AUTH)
        assert_plain_status(response, 400, 3, 'invalid uint32 "one"')


LONG_INT = "9" * 5000  # beyond Python's int-conversion limit (4300 digits)


@pytest.mark.parametrize(
    ("f_port", "quoted"),
    [
        ("1e400", "1e400"),
        ("-1e400", "-1e400"),
        (LONG_INT, LONG_INT),
        (f"-{LONG_INT}", f"-{LONG_INT}"),
        ('"1e400"', '"1e400"'),
    ],
    ids=["overflow", "negative overflow", "long int", "negative long int", "string"],
)
def test_an_out_of_range_f_port_is_quoted_as_sent(seeded, client, f_port, quoted):
    """Python reads `1e400` (and a 5000-digit integer) as inf: the error must not say
    `Infinity`, nor leak Python's int-conversion limit."""
    content = b'{"downlinks":[{"f_port":%s,"frm_payload":"AQ=="}]}' % f_port.encode()
    with queues_untouched(seeded):
        response = client.post(app_as_url("push"), content=content, headers=AUTH)
        assert_plain_status(response, 400, 3, f"invalid uint32 {quoted}")
        response = client.post(webhook_url("push"), content=content, headers=AUTH)
        assert_error(response, 400, DECODE_BODY_MESSAGE, DECODE_BODY)


@pytest.mark.parametrize("route", ["webhook", "appas"])
def test_a_long_integer_in_an_unknown_field_is_skipped(seeded, client, route):
    """Go's decoders skip an unknown field's number without converting it."""
    content = b'{"downlinks":[{"f_port":8,"frm_payload":"CA=="}],"x":%s}' % LONG_INT.encode()
    url = webhook_url("push", "dev2") if route == "webhook" else app_as_url("push", "dev2")
    response = client.post(url, content=content, headers=AUTH)
    assert response.status_code == 200, response.text
    assert [d.f_port for d in queue(seeded, "app1.dev2")][-1] == 8
