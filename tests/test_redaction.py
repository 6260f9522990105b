"""Credentials masked: the scheme and the last 4 characters stay, the rest goes."""

from __future__ import annotations

import json

import pytest

from mockserver.contract import HttpRequest, HttpResponse
from mockserver.journal import Journal
from mockserver.outbound import OutboundAttempt, OutboundMessage
from mockserver.redaction import mask, redact_body, redact_headers, redact_query, redact_url


@pytest.mark.parametrize(
    ("secret", "shown"),
    [
        ("Bearer NNSXS.ABCDEFGH.IJKLabcd", "Bearer …abcd"),
        ("bearer eyJhbGciOi.eyJzdWIi.sig-wxyz", "bearer …wxyz"),
        ("Basic dHBlLWFwaTpkZW1vLXNlY3JldA==", "Basic …dA=="),
        ("NNSXS.XXXXXXXXX", "…XXXX"),
        ("ttn-account-v2.secret", "…cret"),
        ("short", "…"),  # under 8 characters: none shown
        ("Bearer abc", "Bearer …"),
        ("Bearer …abcd", "Bearer …abcd"),  # masked once, left as it is
        ("…cret", "…cret"),
    ],
)
def test_a_secret_keeps_its_scheme_and_last_four(secret, shown):
    assert mask(secret) == shown


def test_credential_headers_are_masked_and_the_others_kept():
    headers = {
        "authorization": "Bearer NNSXS.XXXXXXXXX",
        "X-Downlink-Apikey": "NNSXS.XXXXXXXXX",
        "content-type": "application/json",
    }
    assert redact_headers(headers) == {
        "authorization": "Bearer …XXXX",
        "X-Downlink-Apikey": "…XXXX",
        "content-type": "application/json",
    }
    plain = {"content-type": "application/json"}
    assert redact_headers(plain) is plain  # nothing to mask: nothing copied


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("key=ttn-account-v2.secret", "key=…cret"),
        ("dev=1&key=ttn-account-v2.secret&x=2", "dev=1&key=…cret&x=2"),
        ("monkey=bananas-for-all", "monkey=bananas-for-all"),
        ("key=", "key="),
        ("", ""),
        ("confirmDownlink=false", "confirmDownlink=false"),
    ],
)
def test_credential_query_parameters_are_masked(query, shown):
    assert redact_query(query) == shown


def test_json_bodies_mask_client_secrets_tokens_and_keys():
    body = json.dumps(
        {
            "client_id": "demo-client",
            "client_secret": "demo-secret",
            "nested": {
                "access_token": "eyJhbGciOi.eyJ.sig-wxyz",
                "refresh_token": 'a\\"b-long-1234',
            },
            "securityParams": {"asId": "AS", "asKey": "00112233445566778899aabbccddeeff"},
            "downlink_api_key": "NNSXS.XXXXXXXXX",
        },
        separators=(", ", ": "),
    ).encode()
    shown = json.loads(redact_body(body))
    assert shown["client_id"] == "demo-client"
    assert shown["client_secret"] == "…cret"
    assert shown["nested"]["access_token"] == "…wxyz"
    assert shown["nested"]["refresh_token"] == "…1234"
    assert shown["securityParams"] == {"asId": "AS", "asKey": "…eeff"}
    assert shown["downlink_api_key"] == "…XXXX"


def test_form_bodies_and_urls_inside_bodies_are_masked():
    form = b"grant_type=client_credentials&client_id=tpe-api%2Fdemo&client_secret=demo-secret"
    assert redact_body(form) == (
        b"grant_type=client_credentials&client_id=tpe-api%2Fdemo&client_secret=\xe2\x80\xa6cret"
    )
    uplink = b'{"downlink_url":"https://example.com/down/app/p?key=ttn-account-v2.secret"}'
    assert json.loads(redact_body(uplink))["downlink_url"].endswith("?key=…cret")
    plain = b'{"downlinks":[]}'
    assert redact_body(plain) is plain


def test_urls_keep_their_path_and_mask_their_query_credentials():
    assert redact_url("http://h/p?key=ttn-account-v2.secret&a=1") == "http://h/p?key=…cret&a=1"
    assert redact_url("http://h/p") == "http://h/p"


def test_the_journal_keeps_a_masked_copy_and_the_live_request_as_sent():
    journal = Journal()
    headers = {"authorization": "Bearer NNSXS.XXXXXXXXX"}
    request = HttpRequest(
        "POST", "/t", "key=ttn-account-v2.secret", headers, b"client_secret=s3cr3t-value"
    )
    response = HttpResponse(200, {}, b'{"access_token":"eyJhbGciOi.eyJ.sig-wxyz"}')
    journal.add(0, "x", None, request, response, [])
    (entry,) = journal.entries()
    assert entry.request.headers == {"authorization": "Bearer …XXXX"}
    assert entry.request.query == "key=…cret"
    assert entry.request.body == "client_secret=…alue".encode()
    assert entry.response.body == '{"access_token":"…wxyz"}'.encode()
    assert request.headers["authorization"] == "Bearer NNSXS.XXXXXXXXX"
    assert request.query == "key=ttn-account-v2.secret"


def test_the_outbound_log_shows_messages_masked():
    message = OutboundMessage(
        "tts",
        "uplink_message",
        "http://127.0.0.1:9000/up?key=some-long-secret",
        {"X-Downlink-Apikey": "NNSXS.XXXXXXXXX", "Authorization": "Bearer abcdefgh-1234"},
        b'{"downlink_url":"http://x/down?key=ttn-account-v2.secret"}',
        0,
    )
    shown = OutboundAttempt(message).to_json()
    assert shown["headers"] == {"X-Downlink-Apikey": "…XXXX", "Authorization": "Bearer …1234"}
    assert shown["url"].endswith("?key=…cret")
    assert shown["body"]["downlink_url"].endswith("?key=…cret")
    assert message.headers["X-Downlink-Apikey"] == "NNSXS.XXXXXXXXX"  # sent as it is
