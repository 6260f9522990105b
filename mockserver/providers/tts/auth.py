"""API keys and application rights, checked the way TTS's Identity Server answers the AS."""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from mockserver.providers.tts import errors
from mockserver.types import Micros

API_KEY_PREFIX = "NNSXS"
#: Token types `auth.SplitToken` recognises; anything else is "invalid token".
TOKEN_TYPES = frozenset({"NNSXS", "MFRWG", "MFRWT", "MFRWA", "MFRWS"})

TRAFFIC_DOWN_WRITE = "RIGHT_APPLICATION_TRAFFIC_DOWN_WRITE"
TRAFFIC_READ = "RIGHT_APPLICATION_TRAFFIC_READ"
APPLICATION_RIGHTS = (
    "RIGHT_APPLICATION_INFO",
    "RIGHT_APPLICATION_SETTINGS_BASIC",
    "RIGHT_APPLICATION_SETTINGS_API_KEYS",
    "RIGHT_APPLICATION_SETTINGS_COLLABORATORS",
    "RIGHT_APPLICATION_SETTINGS_PACKAGES",
    "RIGHT_APPLICATION_DELETE",
    "RIGHT_APPLICATION_DEVICES_READ",
    "RIGHT_APPLICATION_DEVICES_READ_KEYS",
    "RIGHT_APPLICATION_DEVICES_WRITE",
    "RIGHT_APPLICATION_DEVICES_WRITE_KEYS",
    TRAFFIC_READ,
    "RIGHT_APPLICATION_TRAFFIC_UP_WRITE",
    TRAFFIC_DOWN_WRITE,
    "RIGHT_APPLICATION_LINK",
)
#: Rights that stand for others (ttnpb rights implications).
IMPLIED = {
    "RIGHT_APPLICATION_ALL": frozenset(APPLICATION_RIGHTS),
    "RIGHT_ALL": frozenset(APPLICATION_RIGHTS),
    "RIGHT_APPLICATION_LINK": frozenset({TRAFFIC_READ, TRAFFIC_DOWN_WRITE}),
}
KNOWN_RIGHTS = frozenset(APPLICATION_RIGHTS) | frozenset(IMPLIED)


def expand(rights: Iterable[str]) -> frozenset[str]:
    expanded = set(rights)
    for right in list(expanded):
        expanded |= IMPLIED.get(right, frozenset())
    return frozenset(expanded)


@dataclass(frozen=True)
class ApiKey:
    """An application API key. `placeholder` keys (the docs' `NNSXS.XXXXXXXXX`) match whole."""

    key: str
    application_id: str
    rights: frozenset[str]
    name: str = ""
    expires_at: Micros | None = None
    placeholder: bool = False
    id: str = field(init=False)
    secret: str = field(init=False)
    granted: frozenset[str] = field(init=False)  # rights with their implications expanded

    def __post_init__(self) -> None:
        object.__setattr__(self, "granted", expand(self.rights))
        parts = self.key.split(".")
        object.__setattr__(self, "id", parts[1] if len(parts) == 3 else self.key)
        object.__setattr__(self, "secret", parts[2] if len(parts) == 3 else "")


class KeyRing:
    """The world's API keys; answers 'which rights does this Authorization header give?'"""

    def __init__(self, keys: Iterable[ApiKey]) -> None:
        self._by_id: dict[str, ApiKey] = {}
        self._placeholders: dict[str, ApiKey] = {}
        self._revoked_placeholders: set[str] = set()
        for key in keys:
            self.add(key)

    def add(self, key: ApiKey) -> None:
        (self._placeholders if key.placeholder else self._by_id)[key.id] = key

    def revoke(self, key: str) -> None:
        parts = key.split(".")
        if self._placeholders.pop(key, None) is not None:
            self._revoked_placeholders.add(key)  # still "a key", just no longer found
        self._by_id.pop(parts[1] if len(parts) == 3 else key, None)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter([*self._placeholders.values(), *self._by_id.values()])

    def authenticate(self, headers: Mapping[str, str], now: Micros) -> ApiKey:
        """The key an `Authorization` header names, or the error TTS gives instead."""
        header = headers.get("authorization")
        if not header or " " not in header:
            raise errors.UNAUTHENTICATED()
        scheme, token = header.split(" ", 1)
        if not scheme or not token:
            raise errors.UNAUTHENTICATED()  # rpcmetadata: an empty type or value is no auth
        if scheme.lower() != "bearer":
            raise errors.UNSUPPORTED_AUTHORIZATION()
        placeholder = self._placeholders.get(token)
        if placeholder is not None:
            return self._check_expiry(placeholder, now)
        if token in self._revoked_placeholders:
            raise errors.API_KEY_NOT_FOUND()  # as a revoked real key would be
        parts = token.split(".")
        if len(parts) != 3 or parts[0] not in TOKEN_TYPES or not parts[1] or not parts[2]:
            raise errors.INVALID_TOKEN()
        if parts[0] != API_KEY_PREFIX:
            raise errors.API_KEY_NOT_FOUND()  # OAuth tokens are not simulated
        key = self._by_id.get(parts[1])
        if key is None:
            raise errors.API_KEY_NOT_FOUND()
        if not hmac.compare_digest(key.secret, parts[2]):
            raise errors.INVALID_AUTHORIZATION()
        return self._check_expiry(key, now)

    @staticmethod
    def _check_expiry(key: ApiKey, now: Micros) -> ApiKey:
        if key.expires_at is not None and now >= key.expires_at:
            raise errors.API_KEY_EXPIRED()
        return key


def require_rights(key: ApiKey, application_id: str, *required: str) -> None:
    """403 with no rights at all for another application, or with the missing ones listed."""
    if key.application_id != application_id:
        raise errors.NO_APPLICATION_RIGHTS(uid=application_id)
    missing = [right for right in required if right not in key.granted]
    if missing:
        raise errors.INSUFFICIENT_APPLICATION_RIGHTS(uid=application_id, missing=missing)
