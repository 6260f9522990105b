"""Downlinks as KPN Things keeps them, and their JSON representation per API."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from mockserver.clock import to_datetime
from mockserver.providers.kpn.devices import KpnDevice
from mockserver.types import SECOND, Micros

PROTOCOLS = ("lora", "http", "sms", "mqtt")
ACTUATOR = "actuator"

# Protocol APIs (published values: "PENDING, EXECUTING and DONE").
PENDING, EXECUTING, DONE = "PENDING", "EXECUTING", "DONE"
# Actuator API, additionally: SENT_TO_CARRIER, CANCELLED, RETRY, DELIVERED and FAILED.
SENT_TO_CARRIER, RETRY, DELIVERED, FAILED, CANCELLED = (
    "SENT_TO_CARRIER",
    "RETRY",
    "DELIVERED",
    "FAILED",
    "CANCELLED",
)
ACTUATOR_FINAL = (DELIVERED, FAILED, CANCELLED)
#: Every status a downlink ends in (a finished downlink never changes again).
FINAL = (DONE, *ACTUATOR_FINAL)
#: The failure reason of a downlink the store dropped while it was still in flight
#: (a value every protocol spec lists); see store.py.
EVICTED = "EVICTED"


@dataclass(frozen=True)
class LogEntry:
    at: Micros
    event: str
    error_code: str | None = None


@dataclass(eq=False)
class Record:
    """One downlink of any of the five APIs; `api` says which."""

    id: str
    api: str  # lora, http, sms, mqtt or actuator
    client: str
    device: KpnDevice
    device_ref: str  # the identifier the caller used (deviceId, or the SenML bn)
    message: Any  # the protocol message as stored; the SenML pack for the actuator API
    created_at: Micros
    modified_at: Micros
    status: str = PENDING
    feedback_timeout: str | None = None
    dry_run: bool = False
    retry_limit: int = 0
    retry_count: int = 0
    last_failure_reason: str | None = None
    external_reference: str | None = None
    logs: list[LogEntry] = field(default_factory=list)
    parent: Record | None = None  # the actuator downlink this protocol downlink carries
    child: Record | None = None  # the protocol downlink an actuator downlink became
    #: Bearer state: the core Downlink, carrier Submission or mailbox entry in flight.
    in_flight: Any = None
    #: Creation order in the store (store.py sets it; ties of `created_at` keep it).
    seq: int = -1
    #: When the status became final, on the simulator's clock (the store's expiry counts
    #: from it).
    finished_at: Micros | None = None
    #: Told of every status change (old status), so the store's indexes never go stale
    #: whatever code path moves a downlink. None while the record is in no store.
    watcher: Callable[[Record, str], None] | None = field(default=None, repr=False)
    _message_text: str | None = field(default=None, repr=False)
    _values: tuple[str, ...] | None = field(default=None, repr=False)

    @property
    def finished(self) -> bool:
        return self.status in FINAL

    @property
    def message_text(self) -> str:
        """The actuator's `message`: its instruction as JSON text (computed once; a
        message never changes after the create)."""
        if self._message_text is None:
            # Jackson writes text as UTF-8, not as \u escapes: "é" stays "é" in the string.
            self._message_text = json.dumps(self.message, separators=(",", ":"), ensure_ascii=False)
        return self._message_text

    @property
    def values(self) -> tuple[str, ...]:
        """The message's scalar values as text, what `q` searches (computed once)."""
        if self._values is None:
            self._values = tuple(_scalar_values(self.message))
        return self._values


class _StatusHook:
    """`Record.status` on assignment: the store's watcher hears of every change.

    A data descriptor with `__set__` and no `__get__`: an assignment runs the hook, a read
    finds the value in the instance's `__dict__` as for a plain attribute. Only `status`
    pays for the hook (a `__setattr__` ran on each of about 30 field assignments per
    create, the dataclass's `__init__` included), and reading it costs nothing extra."""

    def __set__(self, record: Record, value: str) -> None:
        state = record.__dict__
        old = state.get("status")
        state["status"] = value
        watcher = state.get("watcher")
        if watcher is not None and old is not None and old != value:
            watcher(record, old)


# After the dataclass is built, so that its `__init__` keeps PENDING as the default.
setattr(Record, "status", _StatusHook())  # noqa: B010 (mypy: `status` stays a str field)


def _scalar_values(node: Any) -> Iterator[str]:
    """The scalar values of a JSON value, as text (strings as they are; numbers and
    booleans as JSON writes them; never keys)."""
    if isinstance(node, dict):
        for item in node.values():
            yield from _scalar_values(item)
    elif isinstance(node, list):
        for item in node:
            yield from _scalar_values(item)
    elif isinstance(node, str):
        yield node
    elif node is not None:
        yield json.dumps(node)


#: ASCII digits only, as Java's `\d`: Python's would also take other scripts' digits.
_DURATION = re.compile(
    r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d{1,9})?)S)?)?\Z",
    re.ASCII,
)
#: The longest duration Java's `Duration` holds: Long.MAX_VALUE seconds (292 billion years).
MAX_DURATION_SECONDS = 2**63 - 1
MAX_DURATION_TEXT = f"PT{MAX_DURATION_SECONDS}S"
_UNIT_SECONDS = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))


class DurationTooLong(ValueError):
    """The text is a SimpleDuration, but longer than Java's `Duration.parse` can hold."""


def parse_duration(text: str) -> Micros:
    """A SimpleDuration (days, hours, minutes, seconds; a day is 24 h) in microseconds.

    Computed with integers: `PT` + 400 nines + `S` matches the pattern, and as a float it
    is `inf`. A duration over `MAX_DURATION_SECONDS` raises DurationTooLong, as it fails
    Java's `Duration.parse` (checked on the digits first: Python will not convert an
    integer of more than 4300 digits)."""
    found = _DURATION.match(text)
    if found is None:
        raise ValueError(text)
    whole, _, fraction = (found.group("s") or "0").partition(".")
    seconds = 0
    for name, unit in _UNIT_SECONDS:
        digits = (whole if name == "s" else found.group(name) or "0").lstrip("0")
        if len(digits) > len(str(MAX_DURATION_SECONDS)):
            raise DurationTooLong(text)
        seconds += int(digits or "0") * unit
    if seconds > MAX_DURATION_SECONDS:
        raise DurationTooLong(text)
    if not fraction:
        return seconds * SECOND
    # Nanoseconds to microseconds, half to even (as `round` of the exact fraction would).
    micros, rest = divmod(int(fraction.ljust(9, "0")), 1_000)
    if rest > 500 or (rest == 500 and micros & 1):
        micros += 1
    return seconds * SECOND + micros


def timestamp(at: Micros) -> str:
    """RFC 3339 in UTC with milliseconds, as Java's Instant-based APIs write them.

    The date and time of day are formatted once per second (a page of 1 000 downlinks made
    in a burst shares a few), the milliseconds appended: a list page's largest cost after
    the contract check was formatting its timestamps."""
    whole, micros = divmod(at, SECOND)
    return f"{_second(whole)}.{micros // 1000:03d}Z"


@functools.lru_cache(maxsize=4096)
def _second(whole: int) -> str:
    return to_datetime(whole * SECOND).isoformat(timespec="seconds").removesuffix("+00:00")


def represent(record: Record) -> dict[str, Any]:
    if record.api == ACTUATOR:
        return _actuator(record)
    out: dict[str, Any] = {
        "id": record.id,
        "deviceId": record.device_ref,
        "message": record.message,
        "status": record.status,
        "createdAt": timestamp(record.created_at),
        "modifiedAt": timestamp(record.modified_at),
        "feedbackTimeout": record.feedback_timeout,
        "dryRun": record.dry_run,
    }
    if record.api in ("lora", "sms"):
        out["retryLimit"] = record.retry_limit
        out["retryCount"] = record.retry_count
    if record.api == "sms" and record.device.iccid:
        out["iccId"] = record.device.iccid
    if record.last_failure_reason:
        out["lastFailureReason"] = record.last_failure_reason
    return out


def _actuator(record: Record) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": record.id,
        "networkId": record.device_ref,
        "status": record.status,
        "message": record.message_text,
        "createdAt": timestamp(record.created_at),
        "modifiedAt": timestamp(record.modified_at),
        "logs": [
            {
                "createdAt": timestamp(entry.at),
                "event": entry.event,
                **({"errorCode": entry.error_code} if entry.error_code else {}),
            }
            for entry in record.logs
        ],
    }
    if record.external_reference is not None:
        out["externalReference"] = record.external_reference
    return out
