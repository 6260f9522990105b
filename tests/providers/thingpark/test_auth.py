"""Tokens: DX Admin and service-account endpoints, JWTs, expiry on the simulator's clock."""

from __future__ import annotations

import base64
import json

import pytest

from tests.providers.thingpark.helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    CUSTOMER_ID,
    OIDC_URL,
    TOKEN_URL,
    assert_dx_error,
    bearer,
    messages_url,
    token,
)

GRANT = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
SEND = {"payloadHex": "0102", "targetPorts": "1"}


def claims(jwt: str) -> dict:
    header, payload, signature = jwt.split(".")
    assert json.loads(base64.urlsafe_b64decode(header + "==")) == {"alg": "HS256", "typ": "JWT"}
    assert signature
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


@pytest.mark.parametrize("admin", ["/admin/latest/api", "/thingpark/dx/admin/latest/api"])
def test_dx_admin_token_from_the_form(client, server, admin):
    response = client.post(admin + "/oauth/token", data=GRANT)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope", "client_id"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == [f"SUBSCRIBER:{CUSTOMER_ID}"]
    assert body["client_id"] == CLIENT_ID
    jwt = claims(body["access_token"])
    now = server.clock.now_us() // 1_000_000
    assert jwt["exp"] - jwt["iat"] == 3600 and jwt["iat"] == now
    assert jwt["client_id"] == CLIENT_ID


def test_dx_admin_token_from_the_query_with_an_empty_body(client):
    """ThingsBoard sends every parameter in the query string and no body."""
    query = "&".join(f"{k}={v}" for k, v in {**GRANT, "validityPeriod": "12hours"}.items())
    response = client.post(f"{TOKEN_URL}?{query}")
    assert response.status_code == 200, response.text
    assert response.json()["expires_in"] == 12 * 3600


@pytest.mark.parametrize(
    ("period", "seconds"),
    [("90days", 90 * 86400), ("12hours", 43200), ("30minutes", 1800), ("infinite", 315360000)],
)
def test_validity_period(client, period, seconds):
    response = client.post(
        TOKEN_URL, data={**GRANT, "validityPeriod": period, "renewToken": "true"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["expires_in"] == seconds


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({**GRANT, "client_secret": "wrong"}, 401, "invalid_client"),
        ({**GRANT, "client_id": "tpe-api/nobody@example.com"}, 401, "invalid_client"),
        ({**GRANT, "grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}, 400, "invalid_request"),
        ({"grant_type": "client_credentials", "client_id": CLIENT_ID}, 400, "invalid_request"),
        ({**GRANT, "validityPeriod": "forever"}, 400, "invalid_request"),
        ({**GRANT, "validityPeriod": "0days"}, 400, "invalid_request"),
        # Whole value, ASCII digits: no trailing newline, no Arabic-Indic or fullwidth digits.
        ({**GRANT, "validityPeriod": "1days\n"}, 400, "invalid_request"),
        ({**GRANT, "validityPeriod": "\u0661days"}, 400, "invalid_request"),
        ({**GRANT, "validityPeriod": "\uff11hours"}, 400, "invalid_request"),
    ],
)
def test_bad_token_requests(client, form, status, error):
    response = client.post(TOKEN_URL, data=form)
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert response.json()["error_description"]


def test_service_account_token(client):
    response = client.post(OIDC_URL, data=GRANT)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == f"SUBSCRIBER:{CUSTOMER_ID}"
    sent = client.post(messages_url(), json=SEND, headers=bearer(body["access_token"]))
    assert sent.status_code == 200, sent.text


def test_service_account_token_with_basic_client_authentication(client):
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    response = client.post(
        OIDC_URL,
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200, response.text
    wrong = base64.b64encode(f"{CLIENT_ID}:nope".encode()).decode()
    response = client.post(
        OIDC_URL,
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {wrong}"},
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_token_expires_on_the_virtual_clock(client, server):
    headers = bearer(token(client, validityPeriod="60seconds"))
    assert client.get(messages_url(), headers=headers).status_code == 200
    server.clock.advance(59.9)
    assert client.get(messages_url(), headers=headers).status_code == 200
    server.clock.advance(0.1)
    response = client.get(messages_url(), headers=headers)
    assert_dx_error(response, 401, 401, "Invalid access token: token expired")


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "Missing bearer token"),
        ({"Authorization": "Basic abc"}, "Missing bearer token"),
        ({"Authorization": "Bearer "}, "Missing bearer token"),
        ({"Authorization": "Bearer not-a-jwt"}, "Invalid access token: malformed token"),
        ({"Authorization": "Bearer a.b.c"}, "Invalid access token: malformed token"),
    ],
)
def test_missing_or_malformed_token(client, headers, message):
    for method in ("GET", "POST"):
        response = client.request(method, messages_url(), json=SEND, headers=headers)
        assert_dx_error(response, 401, 401, message)


def test_forged_token_is_refused(client):
    header, payload, _ = token(client).split(".")
    other = claims(token(client))
    other["exp"] += 10**6
    forged_payload = base64.urlsafe_b64encode(json.dumps(other).encode()).rstrip(b"=").decode()
    forged = f"{header}.{forged_payload}.{token(client).split('.')[2]}"
    response = client.get(messages_url(), headers=bearer(forged))
    assert_dx_error(response, 401, 401, "Invalid access token: invalid token signature")
    assert payload


def test_ready_token_of_the_banner_works_and_is_infinite(client, server):
    ready = server.providers["thingpark"].ready_token
    assert ready and claims(ready)["exp"] - claims(ready)["iat"] == 315360000
    from mockserver.cli import banner

    assert ready in banner(server, "127.0.0.1", 8080)
    server.clock.advance(400 * 86400)
    assert client.get(messages_url(), headers=bearer(ready)).status_code == 200


def test_tokens_are_the_same_for_the_same_world(server):
    from mockserver.server import MockServer

    assert (
        MockServer().providers["thingpark"].ready_token == server.providers["thingpark"].ready_token
    )


def test_a_forged_token_with_a_deeply_nested_payload_is_refused_not_parsed(client):
    header, _, signature = token(client).split(".")
    nested = base64.urlsafe_b64encode(b"[" * 100_000).rstrip(b"=").decode()
    response = client.get(messages_url(), headers=bearer(f"{header}.{nested}.{signature}"))
    assert_dx_error(response, 401, 401, "Invalid access token: invalid token signature")


@pytest.mark.parametrize("junk", ["!", "*", "+", " "])
def test_a_signature_with_characters_outside_base64url_is_malformed(client, junk):
    header, payload, signature = token(client).split(".")
    tampered = f"{header}.{payload}.{signature[:5]}{junk}{signature[5:]}"
    response = client.get(messages_url(), headers=bearer(tampered))
    assert_dx_error(response, 401, 401, "Invalid access token: malformed token")


@pytest.mark.parametrize("space", ["\xa0", "\x85"])
def test_a_token_wrapped_in_non_http_whitespace_is_refused(client, space):
    """Only HTTP's own whitespace (space, tab) around the token is ignored."""
    wrapped = f"Bearer {space}{token(client)}".encode("latin-1")
    response = client.get(messages_url(), headers={"Authorization": wrapped})
    assert response.status_code == 401
    assert response.json()["message"].startswith("Invalid access token: ")
