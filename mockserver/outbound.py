"""Messages the simulator sends to applications (webhooks, integration POSTs, reports).

Delivery runs on its own thread and event loop, so a slow or dead endpoint never holds up a
request handler or the scheduler: whoever emits a message only enqueues it. Every attempt,
delivered or not, is kept in the outbound journal. No retries (TTS's default: one try,
5 s timeout).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from mockserver.clock import Clock, to_datetime
from mockserver.request_log import hooks
from mockserver.types import Micros

TIMEOUT_SECONDS = 5.0
log = logging.getLogger("mockserver.outbound")


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    provider: str
    kind: str  # e.g. "uplink_message", "downlink_sent"
    url: str
    headers: dict[str, str]
    body: bytes
    at: Micros  # simulated instant the message belongs to
    device_id: str = ""
    method: str = "POST"


@dataclass(slots=True)
class OutboundAttempt:
    message: OutboundMessage
    status: int | None = None
    error: str | None = None
    duration_ms: float = 0.0
    done: bool = field(default=False, compare=False)
    #: How the message broke its provider's description (ContractViolation.to_json()).
    violations: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        try:
            body: Any = json.loads(self.message.body)
        except ValueError:
            body = self.message.body.decode("utf-8", "replace")
        return {
            "provider": self.message.provider,
            "kind": self.message.kind,
            "method": self.message.method,
            "device_id": self.message.device_id,
            "at": to_datetime(self.message.at).isoformat().replace("+00:00", "Z"),
            "url": self.message.url,
            "headers": self.message.headers,
            "body": body,
            "status": self.status,
            "error": self.error,
            "duration_ms": round(self.duration_ms, 2),
            "delivered": self.status is not None and 200 <= self.status < 300,
            "violations": self.violations,
        }


#: Checks a message before it is sent (the contract layer); returns its violations.
OutboundCheck = Callable[[OutboundMessage], list[Any]]


class Outbound:
    """A delivery thread with a journal of attempts (bounded)."""

    def __init__(
        self,
        journal_capacity: int = 10_000,
        check: OutboundCheck | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.check = check
        #: The simulator's clock, for the request log's simulated time (None: not shown).
        self.clock = clock
        self._attempts: deque[OutboundAttempt] = deque(maxlen=journal_capacity)
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._in_flight = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: httpx.AsyncClient | None = None

    def send(self, message: OutboundMessage) -> OutboundAttempt:
        attempt = OutboundAttempt(message)
        if self.check is not None:
            attempt.violations = [violation.to_json() for violation in self.check(message)]
        with self._lock:
            self._attempts.append(attempt)
            self._in_flight += 1
        loop = self._ensure_loop()
        loop.call_soon_threadsafe(lambda: loop.create_task(self._deliver(attempt)))
        return attempt

    def attempts(self) -> list[OutboundAttempt]:
        with self._lock:
            return list(self._attempts)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every enqueued message has been tried; False if `timeout` ran out."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    def clear(self) -> None:
        with self._lock:
            self._attempts.clear()

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
