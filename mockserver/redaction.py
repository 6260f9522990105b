"""Credentials masked where a person or a log collector reads exchanges.

The journal stores what clients sent and got; every view of an exchange (the admin API's
journal, the dashboard, the request log, the pytest plugin's failure output) is made from
what the journal stores. So the journal stores a redacted copy, and every view is redacted
by construction. (Reports hold contract findings, which name rules, not values.) The outbound
log masks its messages when it shows them: they are sent as they are. The live request the
simulator dispatches is never touched: the providers authenticate and the scenario rules
match on what the client sent.

A secret keeps its scheme and its last 4 characters (`Bearer …abcd`, `…cret`), enough to
tell which credential was used and not enough to use it. A secret shorter than 8 characters
keeps none: its last 4 would be half of it.

Masked: the `Authorization`, `Proxy-Authorization`, `X-Downlink-Apikey` and `X-Api-Key`
headers; the `key` (TTN v2 access keys), `access_token`, `client_secret` and `asKey` query
parameters; and body fields of the same names and of OAuth tokens (`client_secret`,
`access_token`, `refresh_token`, `id_token`, `downlink_api_key`, `asKey`, `password`), in
JSON bodies and in form bodies alike, and the query credentials of URLs inside bodies (TTN
v2's `downlink_url`). Bodies are masked as text, not parsed: a body kept truncated (see
`journal.py`) is masked as well as a whole one.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

#: The mark that replaces what a secret hides.
ELLIPSIS = "…"
#: Headers that carry a credential (lower-case, as `HttpRequest.headers` names them).
SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-downlink-apikey", "x-api-key"}
)
#: Query parameters that carry a credential.
SECRET_QUERY_PARAMETERS = ("key", "access_token", "client_secret", "asKey")
#: Body fields (JSON members or form fields) that carry a credential.
SECRET_FIELDS = (
    "client_secret",
    "access_token",
    "refresh_token",
    "id_token",
    "downlink_api_key",
    "asKey",
    "password",
)
#: A secret this short shows none of its characters.
_SHORTEST_SHOWN = 8
_TAIL = 4

_QUERY = re.compile(
    r"(?P<head>(?:^|&)(?:" + "|".join(SECRET_QUERY_PARAMETERS) + r")=)(?P<value>[^&]*)"
)
_NAMES = "|".join(SECRET_FIELDS).encode()
#: `"name": "value"` in JSON (escapes inside the value included).
_JSON_FIELD = re.compile(
    rb'(?P<head>"(?:' + _NAMES + rb')"\s*:\s*")(?P<value>(?:[^"\\]|\\.)*)(?=")'
)
#: `name=value` in a form body.
_FORM_FIELD = re.compile(rb"(?P<head>(?:^|&)(?:" + _NAMES + rb")=)(?P<value>[^&\s]*)")
#: A URL's credential parameter inside a body (TTN v2 uplinks carry a `downlink_url` with
#: the application's access key in `?key=`).
_URL_PARAMETER = re.compile(
    rb"(?P<head>[?&](?:"
    + "|".join(SECRET_QUERY_PARAMETERS).encode()
    + rb")=)(?P<value>[^&\"'\s<>]*)"
)
#: Something every secret field name or URL parameter contains: a body without any of
#: them is not searched further (one pass, where most bodies end).
_HINTS = re.compile(rb"secret|token|api_key|asKey|password|key=")


@functools.lru_cache(maxsize=1024)
def mask(secret: str) -> str:
    """A credential as logs show it: `Bearer …abcd` for `Bearer <token>`, `…abcd` for a bare
    one. Idempotent: a masked value stays as it is. Cached: a client sends the same few
    credentials with every request, and this is on every request's path."""
    scheme, space, credential = secret.strip().partition(" ")
    if space and scheme.isalnum() and credential.strip():
        return f"{scheme} {_tail(credential.strip())}"
    return _tail(secret)


def _tail(secret: str) -> str:
    if secret.startswith(ELLIPSIS):
        return secret
    return ELLIPSIS + (secret[-_TAIL:] if len(secret) >= _SHORTEST_SHOWN else "")


def redact_headers(headers: Mapping[str, str], *, lower_case: bool = False) -> Mapping[str, str]:
    """The headers with every credential masked; the same mapping when none has one.
    `lower_case`: the names are known to be lower-case (a request's), a quicker check."""
    if lower_case:
        if SECRET_HEADERS.isdisjoint(headers):
            return headers
    else:
        for name in headers:
            if name.lower() in SECRET_HEADERS:
                break
        else:
            return headers
    return {
        name: mask(value) if name.lower() in SECRET_HEADERS else value
        for name, value in headers.items()
    }


def redact_query(query: str) -> str:
    """The query string with each credential parameter's value masked, the rest as sent."""
    if not query or "=" not in query:
        return query
    return _QUERY.sub(lambda found: found["head"] + _masked_text(found["value"]), query)


def redact_body(body: bytes) -> bytes:
    """The body with each credential field's value masked (JSON members, form fields); the
    same object when it names none."""
    if not body or _HINTS.search(body) is None:
        return body
    body = _JSON_FIELD.sub(_masked_bytes, body)
    body = _FORM_FIELD.sub(_masked_bytes, body)
    return _URL_PARAMETER.sub(_masked_bytes, body)


def redact_url(url: str) -> str:
    """A URL with its query's credential parameters masked."""
    path, mark, query = url.partition("?")
    return path + mark + redact_query(query) if mark else url


def _masked_text(value: str) -> str:
    return mask(value) if value else value


def _masked_bytes(found: re.Match[bytes]) -> bytes:
    value = found["value"]
    if not value:
        return found[0]
    return found["head"] + mask(value.decode("utf-8", "replace")).encode()
