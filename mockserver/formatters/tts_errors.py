"""The Things Stack's error shape, and its formatter errors (definitions copied from its
`errors.Define…` calls).

The shape: a gRPC status whose details carry `ErrorDetails`. It lives here, below the
providers, because running a payload formatter fails with TTS errors; the TTS provider
defines the errors of its API with the same `define` (providers/tts/errors.py).

pkg/scripting/javascript: what running a script can fail with; pkg/messageprocessors/…:
what TTS makes of the script's result. An error defined without a code is Unknown (2), so
its HTTP status comes from its cause, or is 500 when the cause is not a TTS error (goja's
own conversion errors are not: the simulator leaves such a cause out of the details).
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


_SCRIPTING = "pkg/scripting/javascript"
_JAVASCRIPT = "pkg/messageprocessors/javascript"
_CAYENNELPP = "pkg/messageprocessors/cayennelpp"
_NORMALIZED = "pkg/messageprocessors/normalizedpayload"

SCRIPT_TIMEOUT = define(_SCRIPTING, "script_timeout", "script timeout", Code.DEADLINE_EXCEEDED)
SCRIPT = define(_SCRIPTING, "script", "{message}", Code.ABORTED)
RUNTIME = define(_SCRIPTING, "runtime", "{message}", Code.ABORTED)
NO_SCRIPT_OUTPUT = define(_SCRIPTING, "no_script_output", "no script output", Code.ABORTED)
ENTRYPOINT_NOT_FOUND = define(
    _SCRIPTING, "entrypoint_not_found", "entrypoint `{entrypoint}` not found", Code.NOT_FOUND
)

INPUT = define(_JAVASCRIPT, "input", "invalid input", Code.INVALID_ARGUMENT)
OUTPUT = define(_JAVASCRIPT, "output", "invalid output", Code.UNKNOWN)
#: The script's own `errors`, as TTS reports them.
OUTPUT_ERRORS = define(_JAVASCRIPT, "output_errors", "{errors}", Code.ABORTED)

CAYENNELPP_INPUT = define(_CAYENNELPP, "input", "invalid input", Code.INVALID_ARGUMENT)
CAYENNELPP_OUTPUT = define(_CAYENNELPP, "output", "invalid output", Code.INVALID_ARGUMENT)

FIELD_TYPE = define(
    _NORMALIZED, "field_type", "invalid field type of `{path}`", Code.INVALID_ARGUMENT
)
UNKNOWN_FIELD = define(
    _NORMALIZED, "unknown_field", "unknown field `{path}`", Code.INVALID_ARGUMENT
)
FIELD_MINIMUM = define(
    _NORMALIZED,
    "field_minimum",
    "`{path}` should be equal or greater than `{minimum}`",
    Code.DATA_LOSS,
)
FIELD_MAXIMUM = define(
    _NORMALIZED,
    "field_maximum",
    "`{path}` should be equal or less than `{maximum}`",
    Code.DATA_LOSS,
)
FIELD_EXCLUSIVE_MAXIMUM = define(
    _NORMALIZED,
    "field_exclusive_maximum",
    "`{path}` should be less than `{maximum}`",
    Code.DATA_LOSS,
)
