"""The Things Stack's error shape: a gRPC status whose details carry `ErrorDetails`.

Definitions copy TTS's `errors.Define…` calls (namespace, name, message format, gRPC code);
see docs/providers/tts.md for sources and for the few strings that are inferred.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from mockserver.contract import HttpResponse

ERROR_DETAILS_TYPE = "type.googleapis.com/ttn.lorawan.v3.ErrorDetails"

# gRPC code → HTTP status, as pkg/errors/http.go maps them.
HTTP_STATUS = {
    1: 499,
    2: 500,
    3: 400,
    4: 504,
    5: 404,
    6: 409,
    7: 403,
    8: 429,
    9: 400,
    10: 409,
    11: 400,
    12: 501,
    13: 500,
    14: 503,
    15: 500,
    16: 401,
}


class Code(IntEnum):
    """gRPC status codes (a namespace of their own: error definitions reuse the names)."""

    CANCELED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16


_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_HTML_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"))


@dataclass(frozen=True)
class ErrorDefinition:
    namespace: str
    name: str
    message_format: str
    code: Code

    def __call__(self, cause: TTSError | None = None, **attributes: Any) -> TTSError:
        return TTSError(self, attributes, cause)


class TTSError(Exception):
    """A TTS error instance: its definition, public attributes and optional cause."""

    def __init__(
        self,
        definition: ErrorDefinition,
        attributes: dict[str, Any] | None = None,
        cause: TTSError | None = None,
    ) -> None:
        self.definition = definition
        self.attributes = attributes or {}
        self.cause = cause
        super().__init__(self.message)

    @property
    def formatted(self) -> str:
        def fill(match: re.Match[str]) -> str:
            value = self.attributes.get(match.group(1))
            return match.group(0) if value is None else str(value)

        return _PLACEHOLDER.sub(fill, self.definition.message_format)

    @property
    def message(self) -> str:
        d = self.definition
        return f"error:{d.namespace}:{d.name} ({self.formatted})"

    @property
    def http_status(self) -> int:
        """The first code in the cause chain that is not Unknown decides (pkg/errors/http.go)."""
        error: TTSError | None = self
        while error is not None:
            if error.definition.code != Code.UNKNOWN:
                return HTTP_STATUS.get(error.definition.code, 500)
            error = error.cause
        return 500

    def details(self, rng: random.Random, *, top: bool = True) -> dict[str, Any]:
        """ErrorDetails in proto field order, zero values omitted, as TTS's jsonpb writes it."""
        d = self.definition
        details: dict[str, Any] = {"@type": ERROR_DETAILS_TYPE} if top else {}
        details.update(namespace=d.namespace, name=d.name, message_format=d.message_format)
        if self.attributes:
            details["attributes"] = dict(sorted(self.attributes.items()))
        details["correlation_id"] = f"{rng.getrandbits(128):032x}"
        if self.cause is not None:
            details["cause"] = self.cause.details(rng, top=False)
        details["code"] = d.code
        return details

    def status_body(self, rng: random.Random) -> dict[str, Any]:
        return {
            "code": self.definition.code,
            "message": self.message,
            "details": [self.details(rng)],
        }

    def webhook_response(self, rng: random.Random) -> HttpResponse:
        """Webhook routes write errors with encoding/json: tab-indented, trailing newline,
        HTML characters escaped (pkg/webhandlers/error.go)."""
        body = json.dumps(self.status_body(rng), indent="\t", ensure_ascii=False) + "\n"
        for char, escaped in _HTML_ESCAPES:
            body = body.replace(char, escaped)
        return HttpResponse(self.http_status, {"content-type": "application/json"}, body.encode())

    def gateway_response(self, rng: random.Random) -> HttpResponse:
        """grpc-gateway routes write the same status compactly; 401s name the failure in
        `WWW-Authenticate` (runtime.DefaultHTTPErrorHandler)."""
        body = json.dumps(self.status_body(rng), separators=(",", ":"), ensure_ascii=False)
        headers = {"content-type": "application/json"}
        if self.definition.code == Code.UNAUTHENTICATED:
            headers["www-authenticate"] = self.message
        return HttpResponse(self.http_status, headers, body.encode())


def define(namespace: str, name: str, message_format: str, code: Code) -> ErrorDefinition:
    return ErrorDefinition(namespace, name, message_format, code)


_WEB = "pkg/applicationserver/io/web"
_AS = "pkg/applicationserver"
_NS = "pkg/networkserver"

# Authentication and rights.
UNAUTHENTICATED = define(
    "pkg/rpcmetadata", "unauthenticated", "the context is not authenticated", Code.UNAUTHENTICATED
)
UNSUPPORTED_AUTHORIZATION = define(
    "pkg/identityserver",
    "unsupported_authorization",
    "unsupported authorization method",
    Code.UNAUTHENTICATED,
)
INVALID_TOKEN = define("pkg/auth", "token", "invalid token", Code.INVALID_ARGUMENT)
API_KEY_NOT_FOUND = define(
    "pkg/identityserver", "api_key_not_found", "API key not found", Code.UNAUTHENTICATED
)
INVALID_AUTHORIZATION = define(
    "pkg/identityserver", "invalid_authorization", "invalid authorization", Code.UNAUTHENTICATED
)
API_KEY_EXPIRED = define(
    "pkg/identityserver", "api_key_expired", "api key expired", Code.UNAUTHENTICATED
)
NO_APPLICATION_RIGHTS = define(
    "pkg/auth/rights",
    "no_application_rights",
    "no rights for application `{uid}`",
    Code.PERMISSION_DENIED,
)
INSUFFICIENT_APPLICATION_RIGHTS = define(
    "pkg/auth/rights",
    "insufficient_application_rights",
    "insufficient rights for application `{uid}`",
    Code.PERMISSION_DENIED,
)

# Request handling on the webhook routes.
INVALID_IDENTIFIERS = define(
    "pkg/ttnpb", "identifiers", "invalid identifiers", Code.INVALID_ARGUMENT
)
WEBHOOK_NOT_FOUND = define("pkg/redis", "not_found", "entity not found", Code.NOT_FOUND)
DECODE_BODY = define(_WEB, "decode_body", "decode body", Code.INVALID_ARGUMENT)
VALIDATE_BODY = define(_WEB, "validate_body", "validate body", Code.INVALID_ARGUMENT)
VALIDATION = define(
    "pkg/errors", "validation", "invalid `{field}`: {reason}", Code.INVALID_ARGUMENT
)
READ_BODY = define(_WEB, "read_body", "read body", Code.CANCELED)
REQUEST_BODY_TOO_LARGE = define(
    "pkg/webmiddleware", "request_body_too_large", "request body too large", Code.INVALID_ARGUMENT
)
INTERNAL_ERROR = define("pkg/errors", "unknown", "unknown error", Code.INTERNAL)

# The Application Server's queue operation.
DEVICE_NOT_FOUND = define(
    _AS, "device_not_found", "device `{device_uid}` not found", Code.NOT_FOUND
)
NO_PAYLOAD = define(_AS, "no_payload", "no payload", Code.INVALID_ARGUMENT)
NO_F_PORT = define(_AS, "no_f_port", "no FPort", Code.INVALID_ARGUMENT)
NO_DEVICE_SESSION = define(
    _AS, "no_device_session", "no device session; check device activation", Code.FAILED_PRECONDITION
)
DOWNLINK_MAX_RETRIES_INVALID = define(
    _AS,
    "downlink_max_retries_invalid",
    "downlink maximum retries exceed configured maximum of {max}",
    Code.INVALID_ARGUMENT,
)
MAX_RETRIES_REACHED = define(
    _AS,
    "max_retries_reached",
    "maximum number of retries ({max_retries}) reached",
    Code.ABORTED,
)
ENCODER_OUTPUT_ERRORS = define(
    "pkg/messageprocessors/javascript", "output_errors", "{errors}", Code.ABORTED
)

# The Network Server behind it.
APPLICATION_DOWNLINK_TOO_LONG = define(
    _NS,
    "application_downlink_too_long",
    "application downlink payload length `{length}` exceeds maximum '{max}'",
    Code.INVALID_ARGUMENT,
)
DOWNLINK_QUEUE_CAPACITY = define(
    _NS, "downlink_queue_capacity", "downlink queue capacity exceeded", Code.RESOURCE_EXHAUSTED
)
DOWNLINK_EXPIRED = define(
    _NS, "downlink_expired", "queued downlink is expired", Code.FAILED_PRECONDITION
)


# Only in scenarios: what TTS answers when a cluster peer is down or a rate limit is hit.
PEER_UNAVAILABLE = define(
    "pkg/cluster", "peer_unavailable", "{cluster_role} cluster peer unavailable", Code.UNAVAILABLE
)
RATE_LIMIT_EXCEEDED = define(
    _WEB, "rate_limit_exceeded", "rate limit exceeded", Code.RESOURCE_EXHAUSTED
)

#: Every definition by name, for scenarios (`respond: {error: "tts: downlink_queue_capacity"}`).
BY_NAME = {
    value.name: value for value in list(globals().values()) if isinstance(value, ErrorDefinition)
}
#: Attribute values a scenario's error gets when its message needs them.
SCENARIO_ATTRIBUTES = {
    "cluster_role": "NETWORK_SERVER",
    "maximum": 16 * 1024 * 1024,
    "max_retries": 8,
    "length": 243,
    "max": 242,
    "errors": "[]",
}

#: Why a downlink failed after it left the API (or inside the queue operation), by name: the
#: network core's `failed` events carry the name, TTS's `downlink_failed` the whole error.
DOWNLINK_FAILURES = {
    definition.name: definition
    for definition in (
        NO_F_PORT,
        NO_DEVICE_SESSION,
        APPLICATION_DOWNLINK_TOO_LONG,
        DOWNLINK_QUEUE_CAPACITY,
        DOWNLINK_EXPIRED,
        MAX_RETRIES_REACHED,
    )
}
