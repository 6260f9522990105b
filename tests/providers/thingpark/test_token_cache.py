"""The verified-token cache: a token's signature is checked and its claims read once, and
revocation and expiry still on every call."""

from __future__ import annotations

from mockserver.providers.thingpark.tokens import VERIFIED_TOKENS
from tests.providers.thingpark.helpers import (
    CLIENT_ID,
    assert_dx_error,
    bearer,
    messages_url,
    token,
)


def test_the_signature_of_a_token_is_checked_once(server, client, monkeypatch):
    issuer = server.providers["thingpark"].tokens
    signed = []
    sign = issuer._sign
    monkeypatch.setattr(issuer, "_sign", lambda text: signed.append(text) or sign(text))
    headers = bearer(token(client))
    signed.clear()  # issuing signs too
    for _ in range(5):
        assert client.get(messages_url(), headers=headers).status_code == 200
    assert len(signed) == 1


def test_a_removed_client_fails_at_once_although_its_token_was_verified(server, client):
    headers = bearer(token(client))
    assert client.get(messages_url(), headers=headers).status_code == 200
    assert server.providers["thingpark"].revoke_credential(CLIENT_ID)
    response = client.get(messages_url(), headers=headers)
    assert_dx_error(
        response, 401, 401, "Invalid access token: the client of this token was removed"
    )


def test_expiry_is_checked_on_every_call_of_a_verified_token(server, client):
    headers = bearer(token(client, validityPeriod="60seconds"))
    assert client.get(messages_url(), headers=headers).status_code == 200
    server.clock.advance(60)
    response = client.get(messages_url(), headers=headers)
    assert_dx_error(response, 401, 401, "Invalid access token: token expired")


def test_the_cache_is_bounded_and_a_reset_empties_it(server, client):
    issuer = server.providers["thingpark"].tokens
    for _ in range(VERIFIED_TOKENS + 10):
        headers = bearer(token(client))  # each token has its own random jti
        assert client.get(messages_url(), headers=headers).status_code == 200
    assert issuer._signed.cache_info().currsize == VERIFIED_TOKENS
    server.reset()
    assert server.providers["thingpark"].tokens._signed.cache_info().currsize == 0
