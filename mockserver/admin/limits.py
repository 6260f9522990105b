"""How the admin API reads request bodies: within the document limits, whatever the route.

Every admin route that takes a body (a scenario, a device, a formatter script, a clock
advance, and any added later) is behind `BodyLimit`, so none can read more than
`DocumentLimits.max_bytes`: a `Content-Length` above it is answered 413 before a byte of
the body is read, and a body without one (chunked) is counted as it arrives and refused at
the first chunk past the limit. Nothing past the limit is ever held in memory.

The same middleware puts the server's `DocumentLimits` in force for the request, so that a
scenario or world parsed by a route is held to this server's value and depth limits too.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.admin.errors import AdminError, error_response
from mockserver.safe_load import DocumentLimits, limits_applied, size_text

#: What to do instead, for the routes whose bodies grow with the session.
_HINTS = {"/_mock/snapshot": "; take one without the journal: GET /_mock/snapshot?journal=false"}


def too_large(limits: DocumentLimits, path: str = "") -> str:
    return (
        f"the body is larger than {size_text(limits.max_bytes)}, the limit on an admin "
        "body (mockserver serve --max-document-size, or MockServer(document_limits=...))"
        + _HINTS.get(path, "")
    )


class BodyLimit:
    """ASGI middleware of the admin app: bodies bounded, document limits in force."""

    def __init__(self, app: ASGIApp, limits: DocumentLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.max_bytes
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await error_response(413, too_large(self.limits, scope.get("path", "")))(
                scope, receive, send
            )
            return
        received = 0

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:  # a chunked body, or one longer than it declared
                    raise AdminError(413, too_large(self.limits, scope.get("path", "")))
            return message

        with limits_applied(self.limits):
            await self.app(scope, bounded_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isascii() and text.isdigit() else None
    return None
