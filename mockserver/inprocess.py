"""Calling the simulator without a socket: httpx transports over the ASGI app.

httpx ships an async ASGI transport only; the sync one here runs the app on a private event
loop thread, so plain `httpx.Client` code under test can talk to the simulator in-process.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable

import httpx

from mockserver.asgi import Receive, Scope, Send

ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class InProcessTransport(httpx.BaseTransport):
    def __init__(self, app: ASGIApp) -> None:
        self._asgi = httpx.ASGITransport(app=app)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, daemon=True, name="mockserver-inprocess"
        )
        self._thread.start()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        forwarded = httpx.Request(
            request.method, request.url, headers=request.headers, content=body
        )
        future = asyncio.run_coroutine_threadsafe(self._send(forwarded), self._loop)
        return future.result()

    async def _send(self, request: httpx.Request) -> httpx.Response:
        response = await self._asgi.handle_async_request(request)
        content = await response.aread()
        return httpx.Response(
            response.status_code, headers=response.headers, content=content, request=request
        )

    def close(self) -> None:
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
