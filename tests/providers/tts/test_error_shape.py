"""TTS's error JSON and response headers (research A5, facts §1, §9)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import AUTH
from tests.providers.tts.helpers import (
    ERROR_DETAILS_TYPE,
    HEX32,
    JSON,
    SECURITY_HEADERS,
    ULID,
    app1,
    app_as_url,
    body,
    default_world,
    list_url,
    webhook_url,
)

F_PORT_300 = body({"f_port": 300, "frm_payload": "AQ=="})
DETAILS_ORDER = ["@type", "namespace", "name", "message_format", "attributes", "correlation_id"]


def _validate_body_response(client):
    return client.post(webhook_url("push"), content=F_PORT_300, headers=AUTH)


def test_webhook_errors_are_tab_indented_with_a_trailing_newline(server, client):
    response = _validate_body_response(client)
    assert response.status_code == 400
    text = response.text
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert text.startswith('{\n\t"code": 3,\n\t"message": ')
    assert '\n\t\t{\n\t\t\t"@type": ' in text
    assert "  " not in text  # tabs, never spaces, for indentation
    assert text == json.dumps(json.loads(text), indent="\t", ensure_ascii=False) + "\n"


def test_app_as_errors_are_compact(server, client):
    response = client.post(app_as_url("push"), content=F_PORT_300, headers=AUTH)
    assert response.status_code == 400
    text = response.text
    assert "\n" not in text and "\t" not in text
    assert text.startswith('{"code":3,"message":"error:pkg/errors:validation (')
    assert text == json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)


def test_error_fields_come_in_proto_order(server, client):
    parsed = _validate_body_response(client).json()
    assert list(parsed) == ["code", "message", "details"]
    top = parsed["details"][0]
    assert list(top) == [*DETAILS_ORDER[:4], "correlation_id", "cause", "code"]
    cause = top["cause"]
    assert list(cause) == [*DETAILS_ORDER[1:], "cause", "code"]
    assert list(cause["cause"]) == [*DETAILS_ORDER[1:], "code"]
    # struct keys are sorted
    assert list(cause["attributes"]) == ["field", "name", "reason"]


def test_type_url_on_the_top_detail_only(server, client):
    top = _validate_body_response(client).json()["details"][0]
    assert top["@type"] == ERROR_DETAILS_TYPE
    cause = top["cause"]
    while cause:
        assert "@type" not in cause
        cause = cause.get("cause")


def test_correlation_ids_are_32_lowercase_hex_and_unique(server, client):
    seen = []
    for _ in range(3):
        detail = _validate_body_response(client).json()["details"][0]
        while detail:
            assert HEX32.match(detail["correlation_id"]), detail["correlation_id"]
            seen.append(detail["correlation_id"])
            detail = detail.get("cause")
    assert len(seen) == 9
    assert len(set(seen)) == 9


def test_every_error_code_matches_its_http_status(server, client):
    cases = [
        (client.post(webhook_url("push"), content=b"{}", headers=JSON), 401, 16),
        (client.post(webhook_url("push", webhook="nope"), content=b"{}", headers=AUTH), 404, 5),
        (client.post(webhook_url("push", "dev3"), content=body(), headers=AUTH), 400, 9),
        (client.post(webhook_url("push", "devx"), content=body(), headers=AUTH), 404, 5),
        (_validate_body_response(client), 400, 3),
    ]
    for response, status, code in cases:
        assert response.status_code == status
        parsed = response.json()
        assert parsed["code"] == code
        assert parsed["details"][0]["code"] == code


# -- headers -----------------------------------------------------------------------------------
def _responses(server, client, huge_body):
    """One response of every kind the provider gives, by label."""
    world = default_world()
    app1(world)["webhooks"].append({"id": "paused-hook", "paused": True})
    server.reset(world)
    ok = body({"f_port": 1, "frm_payload": "AQ=="})
    return {
        "webhook-200": client.post(webhook_url("push"), content=ok, headers=AUTH),
        "webhook-400": client.post(webhook_url("push"), content=F_PORT_300, headers=AUTH),
        "webhook-401": client.post(webhook_url("push"), content=ok, headers=JSON),
        "webhook-406": client.post(
            webhook_url("push", webhook="paused-hook"), content=ok, headers=AUTH
        ),
        "appas-200": client.post(app_as_url("push"), content=ok, headers=AUTH),
        "appas-400": client.post(app_as_url("push"), content=F_PORT_300, headers=AUTH),
        "appas-plain-400": client.post(app_as_url("push"), content=b"{", headers=AUTH),
        "list-200": client.get(list_url(), headers=AUTH),
        "route-404": client.get("/api/v3/nothing/here", headers=AUTH),
        "method-501": client.get(app_as_url("push"), headers=AUTH),
        "webhook-499": client.post(webhook_url("push"), content=huge_body, headers=AUTH),
    }


def test_security_and_cache_headers_on_every_response(server, client, huge_body):
    for label, response in _responses(server, client, huge_body).items():
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, (label, name)


def test_a_request_id_on_every_response(server, client, huge_body):
    seen = set()
    for label, response in _responses(server, client, huge_body).items():
        request_id = response.headers.get("x-request-id", "")
        assert ULID.match(request_id), (label, request_id)
        seen.add(request_id)
    assert len(seen) == 11


@pytest.mark.parametrize("request_id", ["my-trace-0001", "01HZZZZZZZZZZZZZZZZZZZZZZZ"])
def test_an_incoming_request_id_is_echoed(server, client, request_id):
    ok = body({"f_port": 1, "frm_payload": "AQ=="})
    responses = [
        client.post(webhook_url("push"), content=ok, headers={**AUTH, "X-Request-ID": request_id}),
        client.post(
            webhook_url("push"), content=b"{", headers={**AUTH, "x-request-id": request_id}
        ),
        client.post(app_as_url("push"), content=ok, headers={**AUTH, "X-Request-Id": request_id}),
        client.get("/api/v3/unknown", headers={"X-Request-ID": request_id}),
    ]
    for response in responses:
        assert response.headers["x-request-id"] == request_id


def test_webhook_success_is_200_with_an_empty_body_and_no_content_type(server, client):
    for op in ("push", "replace"):
        response = client.post(
            webhook_url(op), content=body({"f_port": 1, "frm_payload": "AQ=="}), headers=AUTH
        )
        assert response.status_code == 200
        assert response.content == b""
        assert "content-type" not in response.headers
        assert response.headers.get("content-length") == "0"


def test_app_as_success_is_an_empty_json_object(server, client):
    for op in ("push", "replace"):
        response = client.post(
            app_as_url(op), content=body({"f_port": 1, "frm_payload": "AQ=="}), headers=AUTH
        )
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.content == b"{}"


def test_error_content_type_has_no_charset(server, client, huge_body):
    for label, response in _responses(server, client, huge_body).items():
        if response.status_code >= 400 and response.status_code != 406:
            assert response.headers["content-type"] == "application/json", label
