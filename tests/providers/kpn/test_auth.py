"""GRIP tokens: the client-credentials exchange, JWT checks, scopes, expiry in virtual time."""

from __future__ import annotations

import base64
import json

import pytest

from tests.providers.kpn.helpers import (
    AUDIENCE,
    READ_ONLY_KEY,
    TOKEN_PATH,
    assert_problem,
    bearer,
    body,
    server_with,
    token,
)


def _claims(jwt: str) -> dict:
    part = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_token_exchange_answers_like_an_oauth_server(client):
    response = client.post(
        TOKEN_PATH,
        json={
            "grant_type": "client_credentials",
            "audience": AUDIENCE,
            "client_id": "demo-client",
            "client_secret": "demo-secret",
        },
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["token_type"] == "Bearer"
    assert answer["expires_in"] == 3600
    assert answer["scope"] == "downlink.read downlink.write downlink.delete"
    claims = _claims(answer["access_token"])
    assert claims["sub"] == "demo-client"
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["aud"] == AUDIENCE


@pytest.mark.parametrize(
    ("changes", "status", "error"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"client_id": "nobody"}, 401, "invalid_client"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
    ],
)
def test_token_exchange_refusals(client, changes, status, error):
    request = {
        "grant_type": "client_credentials",
        "client_id": "demo-client",
        "client_secret": "demo-secret",
        **changes,
    }
    response = client.post(TOKEN_PATH, json=request)
    assert response.status_code == status
    assert response.json()["error"] == error


@pytest.mark.mockserver_allow_violations
def test_token_exchange_without_a_secret_is_an_invalid_request(client):
    response = client.post(
        TOKEN_PATH, json={"grant_type": "client_credentials", "client_id": "demo-client"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "client_secret" in response.json()["error_description"]


@pytest.mark.mockserver_allow_violations
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Basic ZGVtbzpkZW1v"}, {"Authorization": "Bearer "}],
    ids=["none", "basic", "empty-bearer"],
)
def test_missing_credentials_are_401(client, headers):
    response = client.get("/lora/downlinks", headers=headers)
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda jwt: "not-a-jwt",
        lambda jwt: jwt[:-4] + ("AAAA" if not jwt.endswith("AAAA") else "BBBB"),
        lambda jwt: (
            jwt.split(".")[0]
            + "."
            + base64.urlsafe_b64encode(
                json.dumps({**_claims(jwt), "scope": "downlink.read downlink.write"}).encode()
            )
            .rstrip(b"=")
            .decode()
            + "."
            + jwt.split(".")[2]
        ),
    ],
    ids=["garbage", "bad-signature", "edited-claims"],
)
def test_forged_tokens_are_401(client, mangle):
    response = client.get("/lora/downlinks", headers=bearer(mangle(token(client))))
    assert_problem(response, 401, "signature")


def test_a_token_expires_after_one_hour_of_virtual_time(server, client):
    headers = bearer(token(client))
    server.clock.advance(3599)
    assert client.get("/mqtt/downlinks", headers=headers).status_code == 200
    server.clock.advance(1)
    assert_problem(client.get("/mqtt/downlinks", headers=headers), 401, "expired")


def test_the_ready_token_of_the_banner_is_valid_and_long_lived(server, client):
    ready = server.providers["kpn"].ready_token("demo-client")
    assert any(ready in line for line in server.providers["kpn"].banner())
    server.clock.advance(5 * 365 * 86_400)
    assert client.get("/downlinks", headers=bearer(ready)).status_code == 200


def test_scopes_are_enforced_per_operation():
    server = server_with(
        {"api_keys": [*server_with({}).description["kpn"]["api_keys"], READ_ONLY_KEY]}
    )
    with server.client() as client:
        writer = bearer(token(client))
        reader = bearer(token(client, "reader", "reader-secret"))
        created = client.post("/sms/downlinks", json=body("sms"), headers=writer).json()
        assert client.get("/sms/downlinks", headers=reader).status_code == 200
        assert client.get(f"/sms/downlinks/{created['id']}", headers=reader).status_code == 200
        assert_problem(
            client.post("/sms/downlinks", json=body("sms"), headers=reader), 403, "downlink.write"
        )
        assert_problem(
            client.delete(f"/sms/downlinks/{created['id']}", headers=reader),
            403,
            "downlink.delete",
        )


@pytest.mark.mockserver_allow_violations
def test_authentication_is_checked_before_the_body(client):
    response = client.post("/lora/downlinks", json={"nonsense": True})
    assert_problem(response, 401)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


DEEP = _b64(b"[" * 100_000)


@pytest.mark.parametrize(
    "forge",
    [
        lambda jwt: f"{DEEP}.{jwt.split('.')[1]}.{jwt.split('.')[2]}",
        lambda jwt: f"{jwt.split('.')[0]}.{DEEP}.{jwt.split('.')[2]}",
        lambda jwt: f"{DEEP}.{DEEP}.AAAA",
    ],
    ids=["header", "claims", "both"],
)
def test_tokens_with_deeply_nested_json_are_401_not_500(client, forge):
    response = client.get("/lora/downlinks", headers=bearer(forge(token(client))))
    problem = assert_problem(response, 401, "signature")
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert problem["title"] == "Unauthorized"


@pytest.mark.parametrize(
    ("header", "claims"),
    [(b"[" * 100_000, b"{}"), (b'{"alg":"EdDSA"}', b'{"exp":' * 100_000), (b"{}", b"{}")],
    ids=["deep header", "deep claims", "no alg"],
)
def test_even_a_correctly_signed_token_with_bad_json_is_401(server, client, header, claims):
    """Signed with the world's own key (no client can): the parse after the signature check
    is guarded too."""
    signing_input = f"{_b64(header)}.{_b64(claims)}"
    signature = server.providers["kpn"].tokens._private.sign(signing_input.encode())
    forged = f"{signing_input}.{_b64(signature)}"
    assert_problem(client.get("/lora/downlinks", headers=bearer(forged)), 401, "signature")


@pytest.mark.mockserver_allow_violations
def test_token_exchange_with_a_deeply_nested_body_is_an_invalid_request(client):
    response = client.post(
        TOKEN_PATH, content=b"[" * 100_000, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
