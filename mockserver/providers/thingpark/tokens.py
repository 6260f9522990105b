"""Access tokens: JWTs (HS256) issued by the DX Admin and service-account endpoints.

Real DX tokens are JWTs (clients decode their `exp`, research A6). These are signed with a
key drawn from the world's seed, so the same world issues the same tokens; `exp` is checked
against the simulator's clock, so tests expire a token by advancing virtual time.
HS256 over stdlib `hmac` is a dozen lines; no JWT library is needed for one algorithm.

A token's signature is checked and its claims read once: the claims of a token that verified
are kept in a small LRU keyed by the token's exact text (`VERIFIED_TOKENS` of them).
Revocation and expiry are still checked on every call. The cache belongs to this issuer,
which a reset builds anew.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from mockserver.types import SECOND, Micros

#: `validityPeriod=infinite`: ten years, so `exp` stays a number clients can read.
INFINITE_SECONDS = 10 * 365 * 86_400
_HEADER = {"alg": "HS256", "typ": "JWT"}
#: How many verified tokens' claims are kept (least recently used go first).
VERIFIED_TOKENS = 256


class InvalidToken(Exception):
    """The bearer token is malformed, forged or expired; the message says which."""


@dataclass(frozen=True)
class TokenClaims:
    client_id: str
    scope: tuple[str, ...]
    issued_at: int  # seconds since the epoch
    expires_at: int

    def expires_in(self, now: Micros) -> int:
        return max(0, self.expires_at - now // SECOND)


@dataclass(frozen=True, slots=True)
class _Signed:
    client_id: Any  # the claim as sent (revocation compares it as is)
    claims: TokenClaims


class TokenIssuer:
    def __init__(self, rng: random.Random, issuer: str) -> None:
        self._key = rng.getrandbits(256).to_bytes(32, "big")
        self._rng = rng
        self.issuer = issuer
        #: Clients removed since their tokens were issued.
        self._revoked: set[str] = set()
        #: Tokens whose signature verified, by their exact text (see the module's docstring).
        self._signed = lru_cache(maxsize=VERIFIED_TOKENS)(self._check_signature)

    def revoke_subject(self, client_id: str) -> None:
        self._revoked.add(client_id)

    def issue(self, client_id: str, scope: tuple[str, ...], now: Micros, lifetime: int) -> str:
        issued_at = now // SECOND
        claims = {
            "iss": self.issuer,
            "sub": client_id.split("/", 1)[-1],
            "client_id": client_id,
            "scope": list(scope),
            "iat": issued_at,
            "exp": issued_at + lifetime,
            "jti": f"{self._rng.getrandbits(128):032x}",
        }
        signing_input = (
            _b64(json.dumps(_HEADER, separators=(",", ":")).encode())
            + "."
            + _b64(json.dumps(claims, separators=(",", ":")).encode())
        )
        return signing_input + "." + _b64(self._sign(signing_input))

    def verify(self, token: str, now: Micros) -> TokenClaims:
        signed = self._signed(token)
        claims = signed.claims
        if signed.client_id in self._revoked:
            raise InvalidToken("the client of this token was removed")
        if now // SECOND >= claims.expires_at:
            raise InvalidToken("token expired")
        return claims

    def _check_signature(self, token: str) -> _Signed:
        """What never changes about a token: its signature and claims (cached: one call per
        token; a token that fails raises, and is checked again the next time)."""
        parts = token.split(".")
        if len(parts) != 3:
            raise InvalidToken("malformed token")
        signing_input = parts[0] + "." + parts[1]
        try:
            signature = _unb64(parts[2])
        except ValueError as error:
            raise InvalidToken("malformed token") from error
        # The signature first: only a token we issued is ever parsed (a forged payload may
        # be anything, JSON nested past any parser's depth included).
        if not hmac.compare_digest(signature, self._sign(signing_input)):
            raise InvalidToken("invalid token signature")
        claims: dict[str, Any] = json.loads(_unb64(parts[1]))
        return _Signed(
            claims.get("client_id"),
            TokenClaims(
                client_id=str(claims.get("client_id", "")),
                scope=tuple(claims.get("scope") or ()),
                issued_at=int(claims.get("iat", 0)),
                expires_at=int(claims.get("exp", 0)),
            ),
        )

    def _sign(self, signing_input: str) -> bytes:
        return hmac.new(self._key, signing_input.encode(), hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    """Strict base64url: a character outside the alphabet is an error, not skipped."""
    if "+" in text or "/" in text:
        raise ValueError("not base64url")
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
