"""GRIP credentials: API keys exchanged for JWTs, and the scope check on every call.

Tokens are JWTs signed with Ed25519 (`alg: EdDSA`, via `cryptography`) under a key derived
from the world's seed, so a world hands out the same tokens on every run. KPN's real
signing algorithm and claim names are not published (research B1); the simulator puts the
scopes in a space-separated `scope` claim (RFC 8693 §4.2) and the owning client in
`client`. Expiry is checked against the simulator's clock, so a token expires in virtual
time exactly one hour after it was issued.

A token's signature is checked once: the claims of a token that verified are kept in a small
LRU keyed by the token's exact text (`VERIFIED_TOKENS` of them), so the Ed25519 check
(about 100 µs) is not repeated on every call with the same token. Revocation, expiry and
scope are still checked on every call. The cache belongs to this service, which a reset
builds anew.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from mockserver.clock import Clock
from mockserver.contract import HttpRequest
from mockserver.providers.kpn.problems import Problem
from mockserver.types import SECOND

# cryptography is imported by the first token issued or checked: a server whose tests never
# call KPN does not import it (issue 21, start-up).
if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

READ, WRITE, DELETE = "downlink.read", "downlink.write", "downlink.delete"
ALL_SCOPES = (READ, WRITE, DELETE)
TOKEN_LIFETIME = 3600  # seconds: "Tokens are valid for 1 hour" (KPN docs, research B1)
READY_TOKEN_LIFETIME = 10 * 365 * 86_400  # the banner's token, for curl and manual use
ISSUER = "https://auth.grip-on-it.com"
_CHALLENGE = {"www-authenticate": 'Bearer realm="api.kpnthings.com"'}
#: How many verified tokens' claims are kept (least recently used go first). A client holds
#: one token for an hour; a few hundred covers every client a test or a team runs at once.
VERIFIED_TOKENS = 256


@dataclass(frozen=True)
class ApiKey:
    client_id: str
    client_secret: str
    client: str
    scopes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Signed:
    """What a token whose signature verified says, as every call checks it."""

    subject: Any  # the `sub` claim as sent (revocation compares it as is)
    client_id: str  # the same, as the caller's id
    client: str
    scopes: frozenset[str]
    expires: int  # `exp`, seconds


@dataclass(frozen=True)
class Caller:
    """Who a valid token speaks for."""

    client_id: str
    client: str
    scopes: frozenset[str]


@lru_cache(maxsize=16)  # a few worlds' seeds: a process that loads many stays small
def _signing_key(seed: int) -> tuple[Ed25519PrivateKey, Ed25519PublicKey]:
    """The world's signing key: derived from the seed alone, so each reset (which builds a
    `TokenService` anew) reuses it instead of deriving it again (issue 21)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    secret = hashlib.sha256(f"mockserver-kpn-token-key:{seed}".encode()).digest()
    private = Ed25519PrivateKey.from_private_bytes(secret)
    return private, private.public_key()


class TokenService:
    def __init__(self, config: Mapping[str, Any], clock: Clock, seed: int) -> None:
        self.clock = clock
        self.keys = {
            raw["client_id"]: ApiKey(
                raw["client_id"],
                raw["client_secret"],
                raw["client"],
                tuple(raw.get("scopes") or ALL_SCOPES),
            )
            for raw in config.get("api_keys") or []
        }
        #: Client ids whose keys were revoked: their tokens stop working at once.
        self.revoked: set[str] = set()
        self._seed = seed  # the signing key's, derived when first used (`_private`)
        #: Tokens whose signature verified, by their exact text (see the module's docstring).
        self._signed = lru_cache(maxsize=VERIFIED_TOKENS)(self._check_signature)

    @cached_property
    def _private(self) -> Ed25519PrivateKey:
        return _signing_key(self._seed)[0]

    @cached_property
    def _public(self) -> Ed25519PublicKey:
        return _signing_key(self._seed)[1]

    # -- issuing ---------------------------------------------------------------------------
    def revoke(self, client_id: str) -> bool:
        """The key is deleted in the portal: no new tokens, and the ones issued fail."""
        if self.keys.pop(client_id, None) is None:
            return False
        self.revoked.add(client_id)
        return True

    def authenticate_key(self, client_id: str, client_secret: str) -> ApiKey | None:
        key = self.keys.get(client_id)
        return key if key is not None and key.client_secret == client_secret else None

    def issue(self, key: ApiKey, issued_at: int, lifetime: int, audience: str = "") -> str:
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "sub": key.client_id,
            "client": key.client,
            "scope": " ".join(key.scopes),
            "iat": issued_at,
            "exp": issued_at + lifetime,
            "jti": hashlib.sha256(f"{key.client_id}:{issued_at}:{lifetime}".encode()).hexdigest()[
                :32
            ],
        }
        if audience:
            claims["aud"] = audience
        header = {"alg": "EdDSA", "typ": "JWT"}
        signing_input = f"{_b64(_json(header))}.{_b64(_json(claims))}"
        signature = self._private.sign(signing_input.encode())
        return f"{signing_input}.{_b64(signature)}"

    def ready_token(self, key: ApiKey, start_seconds: int) -> str:
        return self.issue(key, start_seconds, READY_TOKEN_LIFETIME)

    # -- checking --------------------------------------------------------------------------
    def caller(self, request: HttpRequest, scope: str) -> Caller:
        """The token's caller, if it holds `scope`; 401 or 403 problem+json otherwise."""
        header = request.headers.get("authorization", "")
        kind, _, token = header.partition(" ")
        if kind.lower() != "bearer" or not token.strip():
            raise Problem(
                401, "Full authentication is required to access this resource", _CHALLENGE
            )
        signed = self._verify(token.strip())
        if scope not in signed.scopes:
            raise Problem(403, f"The token lacks the scope {scope!r} this operation requires")
        return Caller(signed.client_id, signed.client, signed.scopes)

    def _verify(self, token: str) -> _Signed:
        """The token's claims if it is ours, not revoked and not expired; 401 otherwise."""
        signed = self._signed(token)
        if signed.subject in self.revoked:
            raise _invalid()
        if signed.expires * SECOND <= self.clock.now_us():
            raise Problem(
                401,
                "The bearer token has expired",
                {"www-authenticate": 'Bearer error="invalid_token", error_description="expired"'},
            )
        return signed

    def _check_signature(self, token: str) -> _Signed:
        """What never changes about a token: its signature and shape (cached: one call per
        token; a token that fails raises, and is checked again the next time)."""
        from cryptography.exceptions import InvalidSignature

        parts = token.split(".")
        if len(parts) != 3:
            raise _invalid()
        try:
            # The signature first: only then is the header and payload JSON our own, so no
            # crafted JSON (nested 100 000 deep, say) is ever parsed.
            self._public.verify(_unb64(parts[2]), f"{parts[0]}.{parts[1]}".encode())
            header = json.loads(_unb64(parts[0]))
            claims = json.loads(_unb64(parts[1]))
        except (ValueError, binascii.Error, InvalidSignature, RecursionError):
            raise _invalid() from None
        if not isinstance(header, dict) or header.get("alg") != "EdDSA":
            raise _invalid()
        if not isinstance(claims, dict) or not isinstance(claims.get("exp"), int):
            raise _invalid()
        return _Signed(
            claims.get("sub"),
            str(claims.get("sub", "")),
            str(claims.get("client", "")),
            frozenset(str(claims.get("scope", "")).split()),
            claims["exp"],
        )


def _invalid() -> Problem:
    return Problem(
        401,
        "The bearer token is malformed or its signature is invalid",
        {"www-authenticate": 'Bearer error="invalid_token"'},
    )


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
