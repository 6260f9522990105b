"""DX Core's error shape `{code, message, errorId}` and the LRC's rejection codes.

The body shape is confirmed (research A5); the HTTP statuses and the `code`/`message` of
errors that are not LRC rejections are mockserver's choices (docs/providers/thingpark.md):
non-LRC errors carry their HTTP status as `code`, LRC rejections carry the tunnel code and
its message text.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum

from mockserver.contract import HttpResponse
from mockserver.providers.base import json_response


class LrcCode(IntEnum):
    """The LRC tunnel's rejection codes (TPE 7.3 tunnel spec) the simulator can raise."""

    CONFIRMED_NOT_AUTHORIZED = 103
    INVALID_PORT = 104
    AS_ID_MANDATORY = 105
    BAD_AS_ID = 107
    PAYLOAD_SIZE = 113
    TRANSMISSION_DISABLED = 114
    INVALID_CORRELATION_ID = 117
    EMPTY_PAYLOAD = 118


LRC_MESSAGES = {
    LrcCode.CONFIRMED_NOT_AUTHORIZED: "Confirmed downlink not authorized for this device",
    LrcCode.INVALID_PORT: "Invalid LoRa port (must be 1..224)",
    LrcCode.AS_ID_MANDATORY: "Security Check: AS_ID is mandatory",
    LrcCode.BAD_AS_ID: "Bad AS_ID",
    LrcCode.PAYLOAD_SIZE: "Payload too big or invalid size",
    LrcCode.TRANSMISSION_DISABLED: "Downlink transmission disabled",
    LrcCode.INVALID_CORRELATION_ID: "Invalid Correlation ID (must be 64-bit hex)",
    LrcCode.EMPTY_PAYLOAD: "Invalid payload, must not be empty",
}


#: The whole tunnel catalogue (research A5), for scenarios that answer with any rejection.
TUNNEL_MESSAGES = {
    100: "Invalid DevEUI",
    101: "Downlink counter value already used",
    102: "Downlink counter increment too large",
    **{int(code): text for code, text in LRC_MESSAGES.items()},
    106: "Missing timestamp",
    108: "Server Decrypt Error",
    109: "Malformed ISO 8601 time",
    110: "Invalid downlink frame timestamp",
    111: "Bad token",
    112: "Validity time expired or invalid",
    115: "No Base Station Available",
    116: "Invalid payload size according to current DR",
    119: "Payload must be provided encrypted with the downlink counter value",
    121: "Token bucket limit reached",
}
#: HTTP errors a scenario can name by status: DX's shape with the status as `code`.
HTTP_MESSAGES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Resource not found",
    409: "Conflict",
    429: "Too many requests",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


@dataclass
class DxError(Exception):
    status: int
    code: int
    message: str
    headers: Mapping[str, str] = field(default_factory=dict)

    def response(self, rng: random.Random) -> HttpResponse:
        error_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        body = {"code": self.code, "message": self.message, "errorId": error_id}
        encoded = json.dumps(body, separators=(",", ":")).encode()
        return json_response(self.status, encoded, self.headers)


def lrc_rejection(code: LrcCode, status: int) -> DxError:
    return DxError(status, int(code), LRC_MESSAGES[code])


def bad_request(message: str) -> DxError:
    return DxError(400, 400, message)


def unauthorized(message: str) -> DxError:
    return DxError(401, 401, message)


def device_not_found(reference: str) -> DxError:
    return DxError(404, 404, f"Device not found: {reference}")


def not_found() -> DxError:
    return DxError(404, 404, "Resource not found")


def method_not_allowed(method: str) -> DxError:
    return DxError(405, 405, f"Method {method} not allowed")


def unsupported_media_type(content_type: str, accepted: str) -> DxError:
    """Spring's HttpMediaTypeNotSupportedException: its message, and the `Accept` header
    Spring's exception handlers add to say what would have been read."""
    return DxError(415, 415, f"Content type '{content_type}' not supported", {"accept": accepted})


def payload_too_large() -> DxError:
    return DxError(413, 413, "Request entity too large")


def internal_error() -> DxError:
    return DxError(500, 500, "Internal server error")


#: The RFC 6749 `error` the token endpoints give with an HTTP status: §5.2's codes where one
#: fits, `server_error` / `temporarily_unavailable` from §4.1.2.1, and `access_denied` /
#: `method_not_allowed` as Spring Security OAuth2 (DX Admin's `token_type: bearer` shape)
#: writes them. Other 4xx: `invalid_request`; other 5xx: `server_error`.
OAUTH_ERRORS = {
    400: "invalid_request",
    401: "invalid_client",
    403: "access_denied",
    405: "method_not_allowed",
    413: "invalid_request",
    429: "temporarily_unavailable",
    500: "server_error",
    502: "temporarily_unavailable",
    503: "temporarily_unavailable",
    504: "temporarily_unavailable",
}


def oauth_error(status: int, error: str, description: str) -> HttpResponse:
    """RFC 6749 §5.2, what both token endpoints answer on a bad token request."""
    body = {"error": error, "error_description": description}
    return json_response(status, json.dumps(body, separators=(",", ":")).encode())


def oauth_equivalent(error: DxError) -> HttpResponse:
    """A DX error as the token endpoints give it: same status, their RFC 6749 body. An LRC
    rejection (a scenario naming a tunnel code) keeps its status and text."""
    default = "invalid_request" if error.status < 500 else "server_error"
    return oauth_error(error.status, OAUTH_ERRORS.get(error.status, default), error.message)


def by_name(name: str, rejection_status: int) -> DxError:
    """`121` (a tunnel rejection, answered with `rejection_status`) or `503` (an HTTP error)."""
    code = int(name) if name.isascii() and name.isdigit() else -1
    if code in TUNNEL_MESSAGES:
        return DxError(rejection_status, code, TUNNEL_MESSAGES[code])
    if code in HTTP_MESSAGES:
        return DxError(code, code, HTTP_MESSAGES[code])
    raise KeyError(name)
