"""POST downlinkMessages reads `application/json` only: anything else is 415 in DX Core's
error shape, after the token and before the device (docs/providers/thingpark.md)."""

from __future__ import annotations

import json

import pytest

from tests.providers.thingpark.helpers import assert_dx_error, messages_url

SEND = json.dumps({"payloadHex": "0102", "targetPorts": "1"}).encode()


def request_rules(server) -> list[str]:
    return [v.rule for v in server.contract.log.violations if v.direction == "request"]


def queue(server) -> list:
    return server.network.get("thingpark.1001").queue.snapshot()


def assert_unsupported(response, content_type: str) -> None:
    assert_dx_error(response, 415, 415, f"Content type '{content_type}' not supported")
    assert response.headers["accept"] == "application/json"


@pytest.mark.parametrize(
    ("header", "shown"),
    [
        ("text/plain", "text/plain"),
        ("text/plain; charset=UTF-8", "text/plain;charset=UTF-8"),
        ("application/x-www-form-urlencoded", "application/x-www-form-urlencoded"),
        ("application/octet-stream", "application/octet-stream"),
        ("application/xml", "application/xml"),
        ("application/merge-patch+json", "application/merge-patch+json"),
        ("application/jsonx", "application/jsonx"),
        ("json", "json"),
    ],
)
def test_a_body_of_another_media_type_is_415_and_not_queued(client, server, auth, header, shown):
    response = client.post(messages_url(), content=SEND, headers={**auth, "Content-Type": header})
    assert_unsupported(response, shown)
    assert queue(server) == []
    assert request_rules(server) == ["content-type"]  # the journal says why, too


def test_a_body_without_content_type_is_read_as_octet_stream(client, server, auth):
    response = client.post(messages_url(), content=SEND, headers=auth)
    assert "content-type" not in response.request.headers
    assert_unsupported(response, "application/octet-stream")
    assert queue(server) == []


def test_a_declared_type_is_415_even_without_a_body(client, server, auth):
    url = messages_url() + "?flushDownlinkQueue=true"
    response = client.post(url, headers={**auth, "Content-Type": "text/plain"})
    assert_unsupported(response, "text/plain")


def test_no_content_type_and_no_body_is_an_empty_message(client, server, auth):
    client.post(messages_url(), content=SEND, headers={**auth, "Content-Type": "application/json"})
    response = client.post(messages_url() + "?flushDownlinkQueue=true", headers=auth)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "FLUSHED"
    assert queue(server) == []


@pytest.mark.parametrize(
    "header", ["application/json; charset=UTF-8", "Application/JSON", " application/json ;"]
)
def test_json_with_parameters_or_in_any_case_is_read(client, server, auth, header):
    response = client.post(messages_url(), content=SEND, headers={**auth, "Content-Type": header})
    assert response.status_code == 200, response.text
    assert [d.frm_payload for d in queue(server)] == [b"\1\2"]


def test_the_token_is_checked_first_and_the_device_after(client, auth):
    plain = {"Content-Type": "text/plain"}
    response = client.post(messages_url(), content=SEND, headers=plain)
    assert_dx_error(response, 401, 401, "Missing bearer token")
    response = client.post(messages_url("9999"), content=SEND, headers={**auth, **plain})
    assert_unsupported(response, "text/plain")
