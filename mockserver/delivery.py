"""The outbound delivery worker: the HTTP half of the simulator's outbox.

Delivery runs on its own thread and event loop, so a slow or dead endpoint never holds up a
request handler or the scheduler: the simulator's outbox only hands attempts over. Each
attempt gets its outcome (status or error, duration) written back, and one request-log line.
No retries (TTS's default: one try, 5 s timeout).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import httpx

from mockserver.clock import Clock
from mockserver.outbound import OutboundAttempt, OutboundMessage, Outbox
from mockserver.request_log import hooks

TIMEOUT_SECONDS = 5.0
log = logging.getLogger("mockserver.outbound")


class Delivery:
    """Sends what one simulator's outbox hands over; `server.outbound` to Python callers,
    which also read the outbox's attempts through it."""

    def __init__(self, outbox: Outbox, clock: Clock | None = None) -> None:
        self.outbox = outbox
        #: The simulator's clock, for the request log's simulated time (None: not shown).
        self.clock = clock
        outbox.sink = self
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._in_flight = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: httpx.AsyncClient | None = None

    # -- the outbox's sink -----------------------------------------------------------------
    def deliver(self, attempt: OutboundAttempt) -> None:
        with self._lock:
            self._in_flight += 1
        loop = self._ensure_loop()
        loop.call_soon_threadsafe(lambda: loop.create_task(self._deliver(attempt)))

    def settle(self) -> None:
        self.flush()

    # -- what Python callers and the admin API use -----------------------------------------
    def send(self, message: OutboundMessage) -> OutboundAttempt:
        return self.outbox.send(message)

    def attempts(self) -> list[OutboundAttempt]:
        return self.outbox.attempts()

    def clear(self) -> None:
        self.outbox.clear()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every enqueued message has been tried; False if `timeout` ran out."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    def close(self) -> None:
        loop = self._loop
        if loop is None:
            return
        self.flush(timeout=TIMEOUT_SECONDS + 1)
        client = self._client
        if client is not None:
            asyncio.run_coroutine_threadsafe(client.aclose(), loop).result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        self._loop = None

    # -- delivery --------------------------------------------------------------------------
    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(
                    target=loop.run_forever, daemon=True, name="mockserver-outbound"
                ).start()
                self._loop = loop
            return self._loop

    async def _deliver(self, attempt: OutboundAttempt) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=TIMEOUT_SECONDS)
        started = time.perf_counter()
        message = attempt.message
        try:
            response = await self._client.request(
                message.method, message.url, headers=message.headers, content=message.body
            )
            attempt.status = response.status_code
        except httpx.HTTPError as error:
            attempt.error = (
                f"{type(error).__name__}: {error}" if str(error) else (type(error).__name__)
            )
        except Exception as error:  # a broken URL or header must not kill delivery
            attempt.error = f"{type(error).__name__}: {error}"
            log.exception("outbound delivery failed")
        finally:
            attempt.duration_ms = (time.perf_counter() - started) * 1000
            attempt.done = True
            try:
                hooks.log_delivery(attempt, self.clock)  # logged before flush() returns
            finally:
                with self._idle:
                    self._in_flight -= 1
                    self._idle.notify_all()
