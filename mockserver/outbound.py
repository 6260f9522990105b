"""Messages the simulator sends to applications (webhooks, integration POSTs, reports), as data.

The simulator never opens a connection: a provider hands each message to the `Outbox`, which
checks it against its description, keeps the attempt in a bounded journal and passes it to
the sink the serving shell gave it (`mockserver.delivery`, which does the HTTP). A simulator
without a shell keeps its attempts pending: what would have been sent is still there to read.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from mockserver.clock import to_datetime
from mockserver.redaction import redact_body, redact_headers, redact_url
from mockserver.types import Micros


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
        """The attempt as the admin API and the dashboard show it: credentials masked."""
        shown = redact_body(self.message.body)
        try:
            body: Any = json.loads(shown)
        except ValueError:
            body = shown.decode("utf-8", "replace")
        return {
            "provider": self.message.provider,
            "kind": self.message.kind,
            "method": self.message.method,
            "device_id": self.message.device_id,
            "at": to_datetime(self.message.at).isoformat().replace("+00:00", "Z"),
            "url": redact_url(self.message.url),
            "headers": dict(redact_headers(self.message.headers)),  # X-Downlink-Apikey
            "body": body,
            "status": self.status,
            "error": self.error,
            "duration_ms": round(self.duration_ms, 2),
            "delivered": self.status is not None and 200 <= self.status < 300,
            "violations": self.violations,
        }


#: Checks a message before it is sent (the contract layer); returns its violations.
OutboundCheck = Callable[[OutboundMessage], list[Any]]


class DeliverySink(Protocol):
    """Where the outbox hands attempts: the shell's delivery worker."""

    def deliver(self, attempt: OutboundAttempt) -> None:
        """Try to send the attempt's message, later, and fill in its outcome."""
        ...

    def settle(self) -> None:
        """Return once every attempt handed over so far has been tried (or given up)."""
        ...


class _KeepPending:
    """The sink of a simulator with no shell: nothing is sent, attempts stay pending."""

    def deliver(self, attempt: OutboundAttempt) -> None:
        pass

    def settle(self) -> None:
        pass


class Outbox:
    """The attempts of one simulator, newest last, bounded by `capacity`."""

    def __init__(
        self,
        capacity: int = 10_000,
        check: OutboundCheck | None = None,
        sink: DeliverySink | None = None,
    ) -> None:
        self.check = check
        self.sink: DeliverySink = sink or _KeepPending()
        self._attempts: deque[OutboundAttempt] = deque(maxlen=capacity)

    def send(self, message: OutboundMessage) -> OutboundAttempt:
        attempt = OutboundAttempt(message)
        if self.check is not None:
            attempt.violations = [violation.to_json() for violation in self.check(message)]
        self._attempts.append(attempt)
        self.sink.deliver(attempt)
        return attempt

    def attempts(self) -> list[OutboundAttempt]:
        """A copy, taken in one step (`list` of a deque runs in C): a reader on another
        thread than the simulator's never sees the journal half-changed."""
        return list(self._attempts)

    def settle(self) -> None:
        self.sink.settle()

    def clear(self) -> None:
        self._attempts.clear()
