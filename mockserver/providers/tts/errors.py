"""The Things Stack's errors met on its API: authentication, webhooks, queues, the NS.

Definitions copy TTS's `errors.Define…` calls (namespace, name, message format, gRPC code);
see docs/providers/tts.md for sources and for the few strings that are inferred. The error
shape itself (`TTSError`, `define`) lives with the formatter errors, below the providers,
since a payload formatter fails with TTS's errors too.
"""

from __future__ import annotations

from mockserver.formatters.tts_errors import (
    ERROR_DETAILS_TYPE,
    HTTP_STATUS,
    OUTPUT_ERRORS,
    Code,
    ErrorDefinition,
    TTSError,
    define,
)

__all__ = ["ERROR_DETAILS_TYPE", "HTTP_STATUS", "Code", "ErrorDefinition", "TTSError", "define"]

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
ENCODER_OUTPUT_ERRORS = OUTPUT_ERRORS  # the formatters' own: "{errors}", Aborted

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
