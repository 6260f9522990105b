"""The request pipeline: provider routing, contract checks, handler, journal.

Provider routes are served by a plain ASGI callable rather than Starlette's router and
Request/Response objects: the pipeline runs on every simulated API call and the benchmark
holds it to 0.6x of a bare Starlette app. The admin API under `/_mock` is ordinary Starlette.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from mockserver.clock import RealClock
from mockserver.contract import HttpRequest, HttpResponse
from mockserver.providers.base import Provider, json_response
from mockserver.request_log import hooks

if TYPE_CHECKING:
    from mockserver.server import MockServer

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

MAX_BODY = 1024 * 1024  # outside any provider
ADMIN_PREFIX = "/_mock"
log = logging.getLogger("mockserver")


class BodyTooLarge(Exception):
    pass


class MockServerApp:
    def __init__(self, server: MockServer) -> None:
        from mockserver.admin import build_admin_app

        self.server = server
        self.admin = build_admin_app(server)
        self._clock_task: asyncio.Task[None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            path: str = scope["path"]
            if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
                if hooks.ADMIN.isEnabledFor(logging.DEBUG):
                    await hooks.serve_admin_logged(
                        self.admin, self.server.clock, scope, receive, send
                    )
                else:
                    await self.admin(scope, receive, send)
            else:
                await self._serve_api(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _serve_api(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not hooks.api_logged():
            await _send(send, await self._answer(scope, receive))
            return
        started = time.perf_counter()
        response = await self._answer(scope, receive)
        fields = hooks.recalled()  # no await since `dispatch` recorded it: this call's
        try:
            await _send(send, response)  # a scenario's latency or cut included
        finally:
            hooks.log_exchange(self.server.clock, fields, started)

    async def _answer(self, scope: Scope, receive: Receive) -> HttpResponse:
        """Read the body and dispatch: the answer, journaled, and not yet sent."""
        headers = {
            name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]
        }
        path: str = scope["path"]
        query: bytes = scope["query_string"]
        request = HttpRequest(
            scope["method"], path, query.decode("latin-1") if query else "", headers, b""
        )
        server = self.server
        provider = server.provider_for(path)
        if provider is None:
            owner = server.owner_of_unserved(path)
            if owner is not None:  # the vendor's router answers before any body is read
                return server.unknown_route(owner, request, [])
        limit = provider.max_body if provider else MAX_BODY
        try:
            declared = headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise BodyTooLarge
            message = await receive()
            if message["type"] == "http.request" and not message.get("more_body", False):
                body = message.get("body", b"")  # the whole body in one message: most requests
                if len(body) > limit:
                    raise BodyTooLarge
            else:
                body = await _read_rest(receive, message, limit)
        except BodyTooLarge:
            if provider is not None:
                return server.dispatch_oversized(provider, request, limit)
            response = _no_provider(request, 413)
            server.record(None, None, request, response, [])
            return response
        request.body = body
        if provider is None:
            response = _no_provider(request, 404)
            server.record(None, None, request, response, [])
            return response
        return server.dispatch(provider, request)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.start_clock()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.stop_clock()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def start_clock(self) -> None:
        """Start driving a real clock on the running loop (at start-up, or for a tenant)."""
        if self._clock_task is None:
            self._clock_task = asyncio.get_running_loop().create_task(self._drive_clock())

    def stop_clock(self) -> None:
        if self._clock_task is not None:
            self._clock_task.get_loop().call_soon_threadsafe(self._clock_task.cancel)
            self._clock_task = None

    async def _drive_clock(self) -> None:
        """Fire a real clock's timers on time; a virtual clock is moved by its owner instead.

        The driver sleeps until the next timer is due, and is woken early when a timer is
        added (from a request, the Python API or another timer), so even a sped-up clock keeps
        RX windows to the millisecond.
        """
        clock = self.server.clock
        if not isinstance(clock, RealClock):
            return
        loop = asyncio.get_running_loop()
        added = asyncio.Event()
        clock.on_timer_added = lambda: loop.call_soon_threadsafe(added.set)
        try:
            while True:
                with self.server.lock:
                    try:
                        clock.fire_due()
                    except Exception:  # one failing timer must not stop simulated time
                        log.exception("a timer failed")
                added.clear()
                wait = clock.seconds_until_next()
                if wait is not None and wait <= 0:
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(added.wait(), timeout=wait)
        finally:
            clock.on_timer_added = None


async def _read_rest(receive: Receive, message: MutableMapping[str, Any], limit: int) -> bytes:
    """The body from its first message on, however many messages it takes."""
    chunks = []
    size = 0
    while True:
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
        message = await receive()
    return b"".join(chunks)


def has_body(status: int) -> bool:
    """1xx, 204 and 304 answers end at their headers (RFC 9110 §6.4.1): no body, and no
    Content-Length to announce one."""
    return status >= 200 and status not in (204, 304)


async def _send(send: Send, response: HttpResponse) -> None:
    raw_headers = [
        (name.encode("latin-1"), value.encode("latin-1"))
        for name, value in response.headers.items()
    ]
    if has_body(response.status):
        raw_headers.append((b"content-length", str(len(response.body)).encode()))
    if type(response) is not HttpResponse:  # a scenario's latency, slow body or drop
        from mockserver.scenario.transport import send_with_faults

        await send_with_faults(send, response, raw_headers)  # type: ignore[arg-type]
        return
    await send({"type": "http.response.start", "status": response.status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": response.body})


def _no_provider(request: HttpRequest, status: int) -> HttpResponse:
    """Outside every provider's base path there is no vendor shape to copy: say what is served."""
    import json

    message = "no simulated API is served at this path" if status == 404 else "body too large"
    return json_response(
        status, json.dumps({"error": message, "path": request.path}).encode() + b"\n"
    )


def serve_provider_call(
    provider: Provider, handler: Callable[[], HttpResponse], request: HttpRequest
) -> HttpResponse:
    """Run a handler; an unexpected failure becomes the vendor's 500, never a traceback."""
    try:
        return handler()
    except Exception:
        return provider_failed(provider, request)


def provider_failed(provider: Provider, request: HttpRequest) -> HttpResponse:
    """Called in an `except` block: log the traceback; the vendor's 500 is also a finding."""
    log.exception("handler failed for %s %s", request.method, request.path)
    return provider.internal_error(request)
