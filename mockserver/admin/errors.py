"""The admin API's one error shape: `{"error": "<what is wrong>"}`, whoever refuses.

A route refuses with `AdminError`; Starlette's router refuses a path no route has or a
method a route lacks with its own `HTTPException`. The two are told apart by type, never by
status: a status-code handler for 404 would also catch a route's own 404 ("no device …")
and put "no admin route" in its place.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mockserver.safe_load import clip


class AdminError(Exception):
    """A route's intended refusal: its status and a sentence saying what is wrong. A long
    message is clipped (`clip`): an error quotes the input it refuses, never all of it."""

    def __init__(self, status: int, message: str) -> None:
        message = clip(message)
        super().__init__(message)
        self.status = status
        self.message = message


def error_response(
    status: int, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


async def refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AdminError)
    return error_response(exc.status, exc.message)


async def unrouted(request: Request, exc: Exception) -> Response:
    """Starlette's router: no route has the path (404), or the route lacks the method (405,
    whose `Allow` header is kept). Any other status it raises keeps its detail."""
    assert isinstance(exc, HTTPException)
    path = request.url.path
    if exc.status_code == 404:
        message = f"no admin route {path}"
    elif exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        message = f"{request.method} is not allowed on {path} (allowed: {allowed})"
    else:
        message = str(exc.detail)
    return error_response(exc.status_code, message, exc.headers)


EXCEPTION_HANDLERS = {AdminError: refused, HTTPException: unrouted}
