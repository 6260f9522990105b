"""The verified-token cache: a token's Ed25519 signature is checked once, and revocation,
expiry and scope still on every call."""

from __future__ import annotations

from mockserver.providers.kpn.auth import VERIFIED_TOKENS
from tests.providers.kpn.helpers import (
    READ_ONLY_KEY,
    assert_problem,
    bearer,
    body,
    server_with,
    token,
)


class CountingKey:
    """The service's public key, counting signature checks."""

    def __init__(self, key) -> None:
        self.key = key
        self.checks = 0

    def verify(self, signature: bytes, data: bytes) -> None:
        self.checks += 1
        self.key.verify(signature, data)


def counting(server) -> CountingKey:
    tokens = server.providers["kpn"].tokens
    key = tokens._public = CountingKey(tokens._public)
    return key


def test_the_signature_of_a_token_is_checked_once(server, client):
    key = counting(server)
    headers = bearer(token(client))
    for _ in range(5):
        assert client.get("/lora/downlinks", headers=headers).status_code == 200
    assert key.checks == 1
    other = bearer(token(client))
    server.clock.advance(1)
    third = bearer(token(client))  # issued a second later: another token, checked once
    for headers in (other, third, other, third):
        assert client.get("/lora/downlinks", headers=headers).status_code == 200
    assert key.checks == 2  # `other` is the first token again (same second, same claims)


def test_a_revoked_key_fails_at_once_although_its_token_was_verified(server, client):
    headers = bearer(token(client))
    assert client.get("/lora/downlinks", headers=headers).status_code == 200
    assert server.providers["kpn"].revoke_credential("demo-client")
    assert_problem(client.get("/lora/downlinks", headers=headers), 401, "signature")


def test_scope_is_checked_on_every_call_of_a_verified_token():
    server = server_with(
        {"api_keys": [*server_with({}).description["kpn"]["api_keys"], READ_ONLY_KEY]}
    )
    with server.client() as client:
        reader = bearer(token(client, "reader", "reader-secret"))
        assert client.get("/sms/downlinks", headers=reader).status_code == 200
        assert_problem(
            client.post("/sms/downlinks", json=body("sms"), headers=reader), 403, "downlink.write"
        )
        assert client.get("/sms/downlinks", headers=reader).status_code == 200


def test_the_cache_is_bounded_and_a_reset_empties_it(server, client):
    tokens = server.providers["kpn"].tokens
    for _ in range(VERIFIED_TOKENS + 10):
        server.clock.advance(1)  # a new second: a new token
        headers = bearer(token(client))
        assert client.get("/lora/downlinks", headers=headers).status_code == 200
    assert tokens._signed.cache_info().currsize == VERIFIED_TOKENS
    server.reset()
    assert server.providers["kpn"].tokens._signed.cache_info().currsize == 0


def test_a_forged_token_is_refused_every_time(server, client):
    key = counting(server)
    real = token(client)
    forged = real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")
    for _ in range(3):
        assert_problem(client.get("/lora/downlinks", headers=bearer(forged)), 401, "signature")
    assert key.checks == 3  # a failure is not cached: nothing is remembered of it
