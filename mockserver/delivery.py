"""The outbound delivery worker: the HTTP half of the simulator's outbox.

Delivery runs on its own thread and event loop, so a slow or dead endpoint never holds up a
request handler, a reset or the scheduler: the simulator's outbox only hands attempts over.

Each destination (scheme, host and port) has a bounded queue, drained by at most
`concurrency` sends at a time over its own connection pool. So a burst of a thousand
webhooks reaches a live receiver in order of arrival without flooding its listen backlog
(a burst of simultaneous connections past a small backlog is what made deliveries to a live
receiver fail with `ReadError` after 1 s), and the vendor's timeout counts from when a
request is sent, not from when it was queued. A full queue drops its oldest message,
recorded as `dropped`; a reset gives up everything queued or in flight at once, recorded
as `cancelled`. Every attempt gets its outcome written back and one request-log line. No
retries (TTS's default: one try, 5 s timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mockserver import tls
from mockserver.clock import Clock
from mockserver.defaults import DEFAULT_CONCURRENCY as DEFAULT_CONCURRENCY
from mockserver.defaults import DEFAULT_QUEUE_CAPACITY as DEFAULT_QUEUE_CAPACITY
from mockserver.outbound import OUTCOMES, OutboundAttempt, OutboundMessage, Outbox, Outcome
from mockserver.request_log import hooks
from mockserver.worker import run_until_stopped

# httpx is imported with the first outbound message: `serve` answers its first request
# without it (issue 21, start-up).
if TYPE_CHECKING:
    import httpx

#: TTS's `as.webhooks.timeout`: one try, this long from the moment the request is sent.
TIMEOUT_SECONDS = 5.0
#: A destination with nothing to send for this long gives up its connections (a long
#: `serve` meets many receivers; each test's own is gone after it).
IDLE_SECONDS = 60.0
#: How much of a receiver's answer is read (the status is what counts; a body larger than
#: this is left unread and its connection closed).
ANSWER_BYTES = 64 * 1024
log = logging.getLogger("mockserver.outbound")


@dataclass(frozen=True, slots=True)
class DeliveryLimits:
    """The delivery worker's bounds (`serve --delivery-queue/--delivery-concurrency`,
    `MockServer(delivery_queue=..., delivery_concurrency=...)`)."""

    queue_capacity: int = DEFAULT_QUEUE_CAPACITY
    concurrency: int = DEFAULT_CONCURRENCY
    timeout: float = TIMEOUT_SECONDS

    def __post_init__(self) -> None:
        if self.queue_capacity < 1:
            raise ValueError("the delivery queue capacity must be at least 1")
        if self.concurrency < 1:
            raise ValueError("the delivery concurrency must be at least 1")
        if not self.timeout > 0:
            raise ValueError("the delivery timeout must be positive")


@dataclass(eq=False)
class _Destination:
    """One origin's queue, the attempts being sent to it and the sends draining it."""

    origin: str
    queue: deque[OutboundAttempt] = field(default_factory=deque)
    sending: list[OutboundAttempt] = field(default_factory=list)
    workers: set[asyncio.Task[None]] = field(default_factory=set)
    client: httpx.AsyncClient | None = None


def origin_of(url: str) -> str:
    """The destination a URL's queue belongs to: scheme://host:port."""
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme, 0)
    except ValueError:
        return url
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def reason(error: BaseException) -> str:
    """An httpx error as the user needs it: its kind and the system's own reason, which
    httpx words as "All connection attempts failed" (e.g. `ConnectError: [Errno 111]
    Connection refused`)."""
    name = type(error).__name__
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, OSError) and cause.errno is not None:
            return f"{name}: [Errno {cause.errno}] {os.strerror(cause.errno)}"
        cause = cause.__cause__ or cause.__context__
    return f"{name}: {error}" if str(error) else name


class Delivery:
    """Sends what one simulator's outbox hands over; `server.outbound` to Python callers,
    which also read the outbox's attempts through it."""

    def __init__(
        self, outbox: Outbox, clock: Clock | None = None, limits: DeliveryLimits | None = None
    ) -> None:
        self.outbox = outbox
        #: The simulator's clock, for the request log's simulated time (None: not shown).
        self.clock = clock
        self.limits = limits or DeliveryLimits()
        outbox.sink = self
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._destinations: dict[str, _Destination] = {}
        self._unfinished = 0  # handed over, not yet delivered, failed, dropped or cancelled
        self._counts = dict.fromkeys(OUTCOMES[1:], 0)
        self._pump_scheduled = False
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- the outbox's sink -----------------------------------------------------------------
    def deliver(self, attempt: OutboundAttempt) -> None:
        if attempt.done:  # refused by the outbox (its target): recorded as it stands
            with self._lock:
                self._counts[attempt.outcome] += 1
            hooks.log_delivery(attempt, self.clock)
            return
        origin = origin_of(attempt.message.url)
        dropped: OutboundAttempt | None = None
        with self._lock:
            destination = self._destinations.get(origin)
            if destination is None:
                destination = self._destinations[origin] = _Destination(origin)
            destination.queue.append(attempt)
            self._unfinished += 1
            if len(destination.queue) > self.limits.queue_capacity:
                dropped = destination.queue.popleft()
                self._give_up(
                    dropped,
                    "dropped",
                    f"dropped: the queue to {origin} was full "
                    f"({self.limits.queue_capacity} messages); the oldest made room",
                )
            wake = not self._pump_scheduled
            self._pump_scheduled = True
        if wake:
            loop = self._ensure_loop()
            loop.call_soon_threadsafe(self._pump)
        if dropped is not None:
            hooks.log_delivery(dropped, self.clock)

    def settle(self) -> None:
        """The simulator's world is going (a reset): everything queued or being sent is
        given up now, recorded as `cancelled`, without waiting for any receiver."""
        self.cancel("cancelled: the simulator was reset")

    # -- what Python callers and the admin API use -----------------------------------------
    def send(self, message: OutboundMessage) -> OutboundAttempt:
        return self.outbox.send(message)

    def attempts(self) -> list[OutboundAttempt]:
        return self.outbox.attempts()

    def clear(self) -> None:
        self.outbox.clear()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every message handed over so far has an outcome; False if `timeout`
        ran out first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._unfinished == 0, timeout)

    def cancel(self, reason: str = "cancelled") -> int:
        """Give up every queued and in-flight attempt at once (each `cancelled`, with
        `reason`); returns how many. Their connections are closed on the worker's thread."""
        with self._lock:
            retired = list(self._destinations.values())
            self._destinations = {}
            cancelled = [
                attempt
                for destination in retired
                for attempt in (*destination.sending, *destination.queue)
            ]
            for attempt in cancelled:
                self._give_up(attempt, "cancelled", reason)
            for destination in retired:
                destination.queue.clear()
                destination.sending.clear()
        loop = self._loop
        if loop is not None and retired:
            loop.call_soon_threadsafe(self._retire, retired, cancelled)
        return len(cancelled)

    def stats(self) -> dict[str, Any]:
        """Queue depth, messages being sent and the outcomes so far (since start-up: a reset
        does not zero them, its cancellations are counted), with the limits."""
        with self._lock:
            queued = {origin: len(d.queue) for origin, d in self._destinations.items()}
            sending = sum(len(d.sending) for d in self._destinations.values())
            counts = {str(outcome): count for outcome, count in self._counts.items()}
        return {
            "queued": sum(queued.values()),
            "in_flight": sending,
            **counts,
            "destinations": [
                {"origin": origin, "queued": depth}
                for origin, depth in sorted(queued.items())
                if depth
            ],
            "limits": {
                "queue_capacity": self.limits.queue_capacity,
                "concurrency": self.limits.concurrency,
                "timeout_seconds": self.limits.timeout,
            },
        }

    def close(self) -> None:
        """Stop: what is still queued or being sent is cancelled (and logged), at once."""
        loop = self._loop
        if loop is None:
            return
        self.cancel("cancelled: the server stopped")
        # Stop goes on whatever happens here; what went wrong is said, not swallowed.
        try:
            asyncio.run_coroutine_threadsafe(self._close_clients(), loop).result(timeout=5)
        except TimeoutError:
            log.warning("outbound connections still closing after 5 s; stopping without them")
        except Exception:
            log.exception("closing the outbound connections failed; stopping without them")
        loop.call_soon_threadsafe(loop.stop)
        self._loop = None

    # -- bookkeeping (under self._lock) ------------------------------------------------------
    def _give_up(self, attempt: OutboundAttempt, outcome: Outcome, reason: str) -> None:
        attempt.given_up = outcome
        attempt.error = reason
        attempt.done = True
        self._counts[outcome] += 1
        self._unfinished -= 1
        self._idle.notify_all()

    def _finish(self, destination: _Destination, attempt: OutboundAttempt) -> None:
        """Record a send's outcome, unless the attempt was given up meanwhile; its log line
        is written before `flush()` can return."""
        with self._lock:
            if attempt.done:
                return
            attempt.done = True
            self._counts[attempt.outcome] += 1
            with contextlib.suppress(ValueError):
                destination.sending.remove(attempt)
        try:
            hooks.log_delivery(attempt, self.clock)
        finally:
            with self._lock:
                self._unfinished -= 1
                self._idle.notify_all()

    # -- the worker's thread -----------------------------------------------------------------
    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(
                    target=run_until_stopped, args=(loop,), daemon=True, name="mockserver-outbound"
                ).start()
                self._loop = loop
            return self._loop

    def _pump(self) -> None:
        """Start sends where a queue has messages and fewer than `concurrency` run."""
        loop = asyncio.get_running_loop()
        with self._lock:
            self._pump_scheduled = False
            for destination in self._destinations.values():
                wanted = min(len(destination.queue), self.limits.concurrency)
                for _ in range(wanted - len(destination.workers)):
                    task = loop.create_task(self._drain(destination))
                    destination.workers.add(task)

    async def _drain(self, destination: _Destination) -> None:
        """One of a destination's sends: takes the oldest queued message until none is left."""
        task = asyncio.current_task()
        try:
            while True:
                with self._lock:
                    if not destination.queue:
                        break
                    attempt = destination.queue.popleft()
                    destination.sending.append(attempt)
                await self._send(destination, attempt)
                self._finish(destination, attempt)
        finally:
            if task is not None:
                destination.workers.discard(task)
        if not destination.workers:
            asyncio.get_running_loop().call_later(IDLE_SECONDS, self._prune, destination)

    def _prune(self, destination: _Destination) -> None:
        """Forget a destination that stayed idle, and close its connections."""
        with self._lock:
            idle = not (destination.queue or destination.sending or destination.workers)
            if not idle or self._destinations.get(destination.origin) is not destination:
                return
            del self._destinations[destination.origin]
            client, destination.client = destination.client, None
        if client is not None:
            asyncio.get_running_loop().create_task(client.aclose())

    async def _send(self, destination: _Destination, attempt: OutboundAttempt) -> None:
        import httpx

        message = attempt.message
        started = time.perf_counter()
        try:
            refused = await self._refusal(message.url)
            if refused is not None:
                attempt.error = refused
                return
            client = self._client(destination)
            async with asyncio.timeout(self.limits.timeout):
                async with client.stream(
                    message.method, message.url, headers=message.headers, content=message.body
                ) as response:
                    read = 0
                    async for chunk in response.aiter_raw():
                        read += len(chunk)
                        if read >= ANSWER_BYTES:
                            break
                    attempt.status = response.status_code
        except TimeoutError:
            attempt.error = f"Timeout: no answer within {self.limits.timeout:g} s"
        except httpx.HTTPError as error:
            attempt.error = reason(error)
        except Exception as error:  # a broken URL or header must not kill delivery
            attempt.error = f"{type(error).__name__}: {error}"
            log.exception("outbound delivery failed")
        finally:
            attempt.duration_ms = (time.perf_counter() - started) * 1000

    async def _refusal(self, url: str) -> str | None:
        """Why `url`'s host may not be called, checked on the addresses its name resolves to
        now (a name pointing at a metadata address is refused when the message is sent)."""
        targets = self.outbox.targets
        try:
            parts = urlsplit(url)
            host, port = parts.hostname or "", parts.port
        except ValueError:
            return None  # httpx gives the real error
        if not host or targets.host_allowed(host):
            return None
        try:
            ipaddress.ip_address(host)
            return None  # an address in the URL was checked by the outbox already
        except ValueError:
            pass
        try:
            found = await asyncio.get_running_loop().getaddrinfo(
                host, port or 80, type=socket.SOCK_STREAM
            )
        except OSError:
            return None  # httpx reports the name that does not resolve
        for *_, sockaddr in found:
            address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
            refused = targets.refusal_for_address(address, host)
            if refused is not None:
                return refused
        return None

    def _client(self, destination: _Destination) -> httpx.AsyncClient:
        import httpx

        if destination.client is None:
            size = self.limits.concurrency
            destination.client = httpx.AsyncClient(
                verify=tls.default_context(),  # loading the CA bundle: once per process
                # The whole exchange is bounded by `limits.timeout` (asyncio.timeout in
                # `_send`); httpx's own per-phase timeouts only back it up.
                timeout=self.limits.timeout + 1,
                limits=httpx.Limits(max_connections=size, max_keepalive_connections=size),
            )
        return destination.client

    def _retire(self, retired: list[_Destination], cancelled: list[OutboundAttempt]) -> None:
        """On the worker's thread, after a cancel: stop the old world's sends, close their
        connections and log each cancelled attempt."""
        for destination in retired:
            for task in list(destination.workers):
                task.cancel()
            if destination.client is not None:
                asyncio.get_running_loop().create_task(destination.client.aclose())
                destination.client = None
        for attempt in cancelled:
            hooks.log_delivery(attempt, self.clock)

    async def _close_clients(self) -> None:
        """Let the cancelled sends end and their connections close (briefly: nothing here
        waits on a receiver)."""
        others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        if others:
            await asyncio.wait(others, timeout=1.0)
