"""The ASGI adapter: one simulator's API calls in, answers out, and its admin app beside.

For an API call it reads the body within the simulator's limit, calls `Simulator.dispatch`
once under the host's lock, on the simulator's own thread (`Host.call`: a formatter script
never runs on the event loop's thread, so the loop goes on serving other connections), and
writes the answer, or carries out the scenario's wire fault (`mockserver.wire`). A request
whose client goes away before its body is complete is not dispatched. Provider routes are
served by a plain ASGI callable rather than Starlette's router and Request/Response objects:
the path runs on every simulated API call.
The admin API under `/_mock` is an ordinary Starlette app, built above and handed in.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from mockserver.clock import Clock
from mockserver.contract import HttpRequest, HttpResponse
from mockserver.contract.validation import has_body
from mockserver.host import Host
from mockserver.request_log import hooks
from mockserver.request_log.events import ADMIN, AdminCall, sim_time
from mockserver.scenario.engine import FaultyResponse
from mockserver.wire import send_with_faults

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

ADMIN_PREFIX = "/_mock"


class BodyTooLarge(Exception):
    pass


class ClientGone(Exception):
    """The connection closed before the request was complete: nothing to answer."""


class MockServerApp:
    def __init__(self, host: Host, admin: ASGIApp) -> None:
        self.host = host
        self.admin = admin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            path: str = scope["path"]
            if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
                if ADMIN.isEnabledFor(logging.DEBUG):
                    await serve_admin_logged(
                        self.admin, self.host.simulator.clock, scope, receive, send
                    )
                else:
                    await self.admin(scope, receive, send)
            else:
                await self._serve_api(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _serve_api(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            if not hooks.api_logged():
                await _send(send, (await self._answer(scope, receive))[0])
                return
            started = time.perf_counter()
            response, fields = await self._answer(scope, receive)
        except ClientGone:
            return
        try:
            await _send(send, response)  # a scenario's latency or cut included
        finally:
            hooks.log_exchange(self.host.simulator.clock, fields, started)

    async def _answer(
        self, scope: Scope, receive: Receive
    ) -> tuple[HttpResponse, tuple[Any, ...] | None]:
        """Read the body and dispatch: the answer, journalled and not yet sent, with the
        journal's fields of the exchange (for the request log)."""
        headers = {
            name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]
        }
        path: str = scope["path"]
        query: bytes = scope["query_string"]
        request = HttpRequest(
            scope["method"], path, query.decode("latin-1") if query else "", headers, b""
        )
        host = self.host
        # Without the lock: one lookup in a table a reset replaces whole, and the loop must
        # not wait here while the simulator's thread runs a script.
        limit = host.simulator.intake(path)
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
            request.body = body
        except BodyTooLarge:
            request.oversized = True
        return await host.dispatch(request)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.host.start_clock()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.host.stop_clock()
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _read_rest(receive: Receive, message: Message, limit: int) -> bytes:
    """The body from its first message on, however many messages it takes."""
    chunks = []
    size = 0
    while True:
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
        message = await receive()
    return b"".join(chunks)


async def _send(send: Send, response: HttpResponse) -> None:
    raw_headers = [
        (name.encode("latin-1"), value.encode("latin-1"))
        for name, value in response.headers.items()
    ]
    if has_body(response.status):
        raw_headers.append((b"content-length", str(len(response.body)).encode()))
    if isinstance(response, FaultyResponse):  # a scenario's latency, slow body or drop
        await send_with_faults(send, response, raw_headers)
        return
    await send({"type": "http.response.start", "status": response.status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": response.body})


async def serve_admin_logged(
    app: Any, clock: Clock, scope: Scope, receive: Receive, send: Send
) -> None:
    """The admin app, with one DEBUG line per call once it has answered."""
    started = time.perf_counter()
    status = 0

    async def sending(message: Any) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        await send(message)

    try:
        await app(scope, receive, sending)
    finally:
        tenant = None
        for name, value in scope["headers"]:
            if name == b"x-mockserver-tenant":
                tenant = value.decode("latin-1")
        duration = (time.perf_counter() - started) * 1000
        path = scope["path"] + (
            f"?{scope['query_string'].decode('latin-1')}" if scope["query_string"] else ""
        )
        event = AdminCall(scope["method"], path, status, duration, tenant)
        event.sim = sim_time(clock, clock.now_us())
        hooks.emit(ADMIN, event)
