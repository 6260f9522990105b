"""Calling the simulator without a socket: httpx transports over the ASGI app.

httpx ships an async ASGI transport only; the sync one here runs the app on a private event
loop thread, so plain `httpx.Client` code under test can talk to the simulator in-process.
Both honour the client's read timeout as a socket would (httpx's own ASGI transport waits
for the app however long it takes): a scenario's latency or slow body longer than the
timeout ends in `httpx.ReadTimeout`, not in a test that hangs.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable

import httpx

from mockserver.asgi import Receive, Scope, Send

# The scope key marking a call made through these transports. No socket carries it (a
# server fills the scope itself), so the admin checks against browsers and other machines
# (`mockserver.admin.guard`) let it through: no network reaches this path. It lives in
# `mockserver.defaults`, so that they read it without importing httpx (start-up, issue 21).
from mockserver.defaults import IN_PROCESS as IN_PROCESS
from mockserver.worker import run_until_stopped

ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class InProcessTransport(httpx.BaseTransport):
    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=run_until_stopped, args=(self._loop,), daemon=True, name="mockserver-inprocess"
        )
        self._thread.start()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        forwarded = httpx.Request(
            request.method,
            request.url,
            headers=request.headers,
            content=body,
            extensions=request.extensions,
        )
        future = asyncio.run_coroutine_threadsafe(exchange(self._app, forwarded), self._loop)
        response = future.result()
        response.request = request
        return response

    def close(self) -> None:
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)


class AsyncInProcessTransport(httpx.AsyncBaseTransport):
    """httpx's ASGI transport with the read timeout a socket would have."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await exchange(self._app, request)


async def exchange(app: ASGIApp, request: httpx.Request) -> httpx.Response:
    """One call through the app, read whole; `httpx.ReadTimeout` when the app sends nothing
    for longer than the request's read timeout (counted from the call, then from each part
    of the answer, as a socket's reads are)."""
    loop = asyncio.get_running_loop()
    progress = _Progress(loop.time())
    call = asyncio.ensure_future(_call(_timed(app, progress, loop), request))
    timeout = (request.extensions.get("timeout") or {}).get("read")
    try:
        if timeout is None:
            return await call
        while True:
            remaining = progress.last + timeout - loop.time()
            if remaining <= 0:
                raise httpx.ReadTimeout("timed out", request=request)
            done, _ = await asyncio.wait({call}, timeout=remaining)
            if done:
                return call.result()
    finally:  # timed out, or the caller itself was cancelled: the call ends with it
        call.cancel()


class _Progress:
    """When the app last sent part of its answer, on the loop's clock."""

    __slots__ = ("last",)

    def __init__(self, last: float) -> None:
        self.last = last


def _timed(app: ASGIApp, progress: _Progress, loop: asyncio.AbstractEventLoop) -> ASGIApp:
    async def timed_app(scope: Scope, receive: Receive, send: Send) -> None:
        scope[IN_PROCESS] = True

        async def timed_send(message: dict) -> None:  # type: ignore[type-arg]
            progress.last = loop.time()
            await send(message)

        await app(scope, receive, timed_send)  # type: ignore[arg-type]

    return timed_app


async def _call(app: ASGIApp, request: httpx.Request) -> httpx.Response:
    response = await httpx.ASGITransport(app=app).handle_async_request(request)
    content = await response.aread()
    return httpx.Response(
        response.status_code, headers=response.headers, content=content, request=request
    )
