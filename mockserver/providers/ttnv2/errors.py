"""TTN v2's errors as the HTTP integration writes them: Go's `http.Error`, plain text.

The message texts are those of V2's `utils/errors` (`<argument> not valid: <reason>`,
`<entity> not found`, `permission denied: <reason>`, `Internal error: <message>`); the
status codes are the simulator's choice (docs/providers/ttnv2.md), since the integration
service was closed source.
"""

from __future__ import annotations

from mockserver.contract import HttpResponse
from mockserver.json_strict import replace_lone_surrogates

#: What Go's http.Error puts on every error response.
TEXT_HEADERS = {"content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff"}


class TTNError(Exception):
    """An error answer: its HTTP status and the one-line message of its body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def response(self) -> HttpResponse:
        return text_response(self.status, self.message)


def text_response(status: int, message: str) -> HttpResponse:
    """`http.Error(w, message, status)`: the message and a newline. A message quoting the
    request (a device ID) may hold an unpaired surrogate, which UTF-8 cannot carry: it is
    written as U+FFFD, as a Go string holds it."""
    text = replace_lone_surrogates(message + "\n")
    return HttpResponse(status, dict(TEXT_HEADERS), text.encode())


def invalid_argument(argument: str, reason: str) -> TTNError:
    return TTNError(400, f"{argument} not valid: {reason}")


def not_found(entity: str) -> TTNError:
    return TTNError(404, f"{entity} not found")


def unauthenticated(reason: str) -> TTNError:
    return TTNError(401, f"permission denied: {reason}")


def forbidden(reason: str) -> TTNError:
    return TTNError(403, f"permission denied: {reason}")


def bad_json(message: str) -> TTNError:
    """A body Go's json.Decoder could not read into `types.DownlinkMessage`."""
    return TTNError(400, message)


def internal(message: str) -> TTNError:
    return TTNError(500, f"Internal error: {message}")
