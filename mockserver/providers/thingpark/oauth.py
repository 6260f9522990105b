"""The two token endpoints: DX Admin `POST …/oauth/token` and the service-account (OIDC)
`POST /users-auth/protocol/openid-connect/token`. Both grant `client_credentials` only.

DX Admin reads its parameters from the form body or the query string (ThingsBoard sends
them all in the query with an empty body, research A6); the OIDC endpoint reads the form
and, as OAuth 2.0 allows, HTTP Basic client authentication.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from mockserver.contract import HttpRequest, HttpResponse
from mockserver.contract.validation import query_pairs
from mockserver.providers.base import Handler, json_response
from mockserver.providers.thingpark.errors import oauth_error
from mockserver.providers.thingpark.subscription import Client
from mockserver.providers.thingpark.tokens import INFINITE_SECONDS

if TYPE_CHECKING:
    from mockserver.providers.thingpark.context import ThingParkContext

#: Matched whole (`fullmatch`) with ASCII digits: `$` and `\d` let "1days\n" and "١days" in.
_PERIOD = re.compile(r"([0-9]+)(days|hours|minutes|seconds)")
_UNIT_SECONDS = {"days": 86_400, "hours": 3_600, "minutes": 60, "seconds": 1}


class TokenRejected(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.response = oauth_error(status, error, description)


def validity_seconds(period: str | None, default: int) -> int:
    """`validityPeriod`: `infinite`, or a count of days/hours/minutes/seconds (`90days`)."""
    if period is None or period == "":
        return default
    if period == "infinite":
        return INFINITE_SECONDS
    found = _PERIOD.fullmatch(period)
    if found is None or int(found.group(1)) == 0:
        raise TokenRejected(400, "invalid_request", f"Invalid validityPeriod: {period}")
    return int(found.group(1)) * _UNIT_SECONDS[found.group(2)]


class TokenRoutes:
    def __init__(self, provider: ThingParkContext) -> None:
        self.provider = provider

    def handlers(self) -> Mapping[str, Handler]:
        return {
            "getDxAdminToken": self.dx_admin_token,
            "getServiceAccountToken": self.service_account_token,
        }

    def dx_admin_token(self, request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
        fields = {**_query(request), **_form(request)}
        try:
            client = self._authenticate(fields, request)
            lifetime = validity_seconds(fields.get("validityPeriod"), self.provider.token_lifetime)
        except TokenRejected as rejected:
            return rejected.response
        scope = self.provider.scope()
        now = self.provider.clock.now_us()
        token = self.provider.tokens.issue(client.client_id, scope, now, lifetime)
        body = {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": lifetime,
            "scope": list(scope),
            "client_id": client.client_id,
        }
        return json_response(200, json.dumps(body, separators=(",", ":")).encode())

    def service_account_token(
        self, request: HttpRequest, params: Mapping[str, str]
    ) -> HttpResponse:
        fields = _form(request)
        try:
            client = self._authenticate(fields, request)
        except TokenRejected as rejected:
            return rejected.response
        lifetime = self.provider.token_lifetime
        scope = self.provider.scope()
        token = self.provider.tokens.issue(
            client.client_id, scope, self.provider.clock.now_us(), lifetime
        )
        body = {
            "access_token": token,
            "expires_in": lifetime,
            "refresh_expires_in": 0,
            "token_type": "Bearer",
            "not-before-policy": 0,
            "scope": " ".join(scope),
        }
        return json_response(200, json.dumps(body, separators=(",", ":")).encode())

    def _authenticate(self, fields: Mapping[str, str], request: HttpRequest) -> Client:
        grant = fields.get("grant_type")
        if not grant:
            raise TokenRejected(400, "invalid_request", "Missing grant_type")
        if grant != "client_credentials":
            raise TokenRejected(400, "unsupported_grant_type", f"Unsupported grant_type: {grant}")
        client_id, secret = fields.get("client_id"), fields.get("client_secret")
        basic = _basic_credentials(request.headers.get("authorization", ""))
        if basic is not None and not client_id:
            client_id, secret = basic
        if not client_id or secret is None:
            raise TokenRejected(400, "invalid_request", "Missing client_id or client_secret")
        client = self.provider.subscription.clients.get(client_id)
        if client is None or client.client_secret != secret:
            raise TokenRejected(401, "invalid_client", "Bad client credentials")
        return client


def _query(request: HttpRequest) -> dict[str, str]:
    return dict(query_pairs(request.query))


def _form(request: HttpRequest) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if not request.body or content_type != "application/x-www-form-urlencoded":
        return {}
    try:
        return dict(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        return {}


def _basic_credentials(header: str) -> tuple[str, str] | None:
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, separator, secret = decoded.partition(":")
    return (client_id, secret) if separator else None
