"""Bearers other than LoRaWAN radio: how a message reaches an IP or cellular device.

Vendor-free and driven by the simulator's clock, like the LoRaWAN scheduler:

- `Broker`: publish/subscribe at most once; a publication succeeds at once unless the
  device's broker connection is marked down.
- `Carrier`: store and forward (SMS); a submitted message is reported delivered, or not,
  after the carrier's delay.
- `Mailbox`: messages for a device that only ever initiates the exchange (HTTP); each of the
  device's requests takes at most one message, in the response.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from mockserver.clock import Clock
from mockserver.types import SECOND, Micros

#: Asked before a bearer delivers: a scenario's fault for this device (`broker_down`,
#: `carrier_failure`) or None. The bearer's owner wires it to the active scenario.
FaultCheck = Callable[[str], str | None]


def _no_faults(device_id: str) -> str | None:
    return None


@dataclass(frozen=True, slots=True)
class Publication:
    device_id: str
    topic: str
    payload: bytes
    at: Micros
    attributes: dict[str, Any] = field(default_factory=dict)


class Broker:
    """What was published to which device; a device whose connection is down gets nothing."""

    def __init__(self, clock: Clock, faults: FaultCheck = _no_faults) -> None:
        self.clock = clock
        self.down: set[str] = set()
        self.published: list[Publication] = []
        self.faults = faults

    def publish(self, device_id: str, topic: str, payload: bytes, **attributes: Any) -> bool:
        if device_id in self.down or self.faults(device_id) == "broker_down":
            return False
        self.published.append(
            Publication(device_id, topic, payload, self.clock.now_us(), attributes)
        )
        return True


@dataclass(slots=True)
class Submission:
    device_id: str
    text: str
    submitted_at: Micros
    delivered: bool | None = None  # None until the carrier reports
    cancelled: bool = False
    #: Why it was not delivered when a scenario's fault decided it (`carrier_failure`),
    #: rather than the device being out of the carrier's reach.
    fault: str | None = None


class Carrier:
    """A store-and-forward carrier: delivery reports arrive `delay` after submission."""

    def __init__(
        self, clock: Clock, delay: Micros = 5 * SECOND, faults: FaultCheck = _no_faults
    ) -> None:
        self.clock = clock
        self.delay = delay
        self.unreachable: set[str] = set()
        self.submissions: list[Submission] = []
        self.faults = faults

    def submit(self, device_id: str, text: str, report: Callable[[bool], None]) -> Submission:
        """Hand a message over; `report(delivered)` runs once the carrier knows."""
        submission = Submission(device_id, text, self.clock.now_us())
        self.submissions.append(submission)

        def deliver() -> None:
            if submission.cancelled:
                return
            failed = self.faults(device_id) == "carrier_failure"
            unreachable = device_id in self.unreachable
            if failed and not unreachable:
                submission.fault = "carrier_failure"
            submission.delivered = not unreachable and not failed
            report(submission.delivered)

        self.clock.call_at(submission.submitted_at + self.delay, deliver)
        return submission


_Message = TypeVar("_Message")


class Mailbox(Generic[_Message]):
    """Messages waiting for their device to ask; the device's next request takes the first."""

    def __init__(self) -> None:
        self._boxes: dict[str, deque[_Message]] = {}

    def put(self, device_id: str, message: _Message) -> None:
        self._boxes.setdefault(device_id, deque()).append(message)

    def remove(self, device_id: str, message: _Message) -> bool:
        box = self._boxes.get(device_id)
        if box is None or message not in box:
            return False
        box.remove(message)
        return True

    def take(self, device_id: str) -> _Message | None:
        box = self._boxes.get(device_id)
        return box.popleft() if box else None

    def __len__(self) -> int:
        return sum(len(box) for box in self._boxes.values())
