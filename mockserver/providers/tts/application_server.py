"""The Application Server's downlink queue operation, in TTS's order of checks.

Device → per item (payload, formatter, confirmed-retry limit, FPort) → session → the Network
Server's checks (request size; per item: length for the band, absolute time; resulting queue
size) → queue. The first failure is returned; the queue is untouched unless every check
passed.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from mockserver.core import Device, Downlink, Network, QueueFull
from mockserver.core.network import NetworkEvent
from mockserver.formatters import tts as formatter_tts
from mockserver.lorawan.regions import band
from mockserver.providers.tts import errors
from mockserver.providers.tts.applications import QUEUE_CAPACITY, Registry, device_uid
from mockserver.providers.tts.downlinks import NACK_RETRY, ApplicationDownlink, absolute_time
from mockserver.types import Micros

#: `as.downlinks.confirmation.max-retry-attempts` upper bound.
MAX_RETRY_ATTEMPTS = 32
#: `as.downlinks.confirmation.default-retry-attempts`: how many times a confirmed downlink is
#: transmitted at most, the first transmission included (`confirmed_retry.attempt` is 1 then).
DEFAULT_RETRY_ATTEMPTS = 8
#: How far ahead a `class_b_c.absolute_time` must be when it is queued.
ABSOLUTE_TIME_MARGIN: Micros = 2_500_000
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: Every 10-bit value as its two Crockford characters: a ULID is a few lookups, not 26 steps.
_PAIRS = [_CROCKFORD[high] + _CROCKFORD[low] for high in range(32) for low in range(32)]
#: The last millisecond's 10 time characters: requests in one millisecond share them.
_last_time: tuple[int, str] = (-1, "")


def ulid(now: Micros, rng: random.Random) -> str:
    """A ULID: 48-bit millisecond time then 80 random bits, Crockford base32 (26 chars).

    The first 10 characters carry the time (two zero bits, then 48) and the last 16 the
    random bits, so each half is encoded on its own.
    """
    global _last_time
    millis = now // 1000
    cached_millis, prefix = _last_time
    pairs = _PAIRS
    if cached_millis != millis:
        # five pairs written out, not a join over a generator: in a simulation every
        # push is in a millisecond of its own, so this runs once per ULID. One join of a
        # tuple, not `a + b + ...`: each `+` made a string of its own.
        prefix = "".join(
            (
                pairs[(millis >> 40) & 1023],
                pairs[(millis >> 30) & 1023],
                pairs[(millis >> 20) & 1023],
                pairs[(millis >> 10) & 1023],
                pairs[millis & 1023],
            )
        )
        _last_time = (millis, prefix)
    bits = rng.getrandbits(80)
    high, low = bits >> 40, bits & 0xFFFFFFFFFF
    return "".join(
        (
            prefix,
            pairs[high >> 30],
            pairs[(high >> 20) & 1023],
            pairs[(high >> 10) & 1023],
            pairs[high & 1023],
            pairs[low >> 30],
            pairs[(low >> 20) & 1023],
            pairs[(low >> 10) & 1023],
            pairs[low & 1023],
        )
    )


def retry_at(retry: dict[str, int] | None, attempt: int = 1) -> dict[str, int]:
    """`confirmed_retry` at `attempt`, in proto field order. The AS counts transmissions: a
    pushed confirmed downlink is at attempt 1, whatever the request said."""
    out = {"attempt": attempt}
    if retry and "max_attempts" in retry:
        out["max_attempts"] = retry["max_attempts"]
    return out


def _expired(class_b_c: dict[str, Any] | None, now: Micros) -> bool:
    """The Network Server refuses a `class_b_c.absolute_time` earlier than now + half its
    5 s `absoluteTimeSchedulingDelay` (matchApplicationDownlinks)."""
    when = absolute_time(class_b_c)
    return when is not None and when < now + ABSOLUTE_TIME_MARGIN


#: The largest FRMPayload of any downlink data rate, by band name as devices spell it.
_LIMITS: dict[str, int] = {}


class ApplicationServer:
    def __init__(self, registry: Registry, network: Network, rng: random.Random) -> None:
        self.registry = registry
        self.network = network
        self.rng = rng
        network.subscribe(self._on_network_event, kinds=("nacked",), providers=("tts",))

    def _on_network_event(self, event: NetworkEvent) -> None:
        """A NACKed confirmed downlink goes back to the end of the queue (handleDownlinkNack),
        `confirmed_retry.attempt` one higher, unless that would pass `max_attempts`: then it
        fails as it was last sent, with `max_retries_reached`."""
        if event.kind != "nacked":
            return
        device = self.network.find(event.device_id)
        if device is None or device.provider != "tts":
            return
        for downlink in event.downlinks:
            extra = dict(downlink.extra or {})
            retry = extra.get("confirmed_retry") or {}
            attempt = retry.get("attempt") or 1  # it was transmitted: at least once
            max_attempts = retry.get("max_attempts", DEFAULT_RETRY_ATTEMPTS)
            if attempt >= max_attempts:
                self.network.emit(
                    "failed",
                    device,
                    [downlink],
                    reason=errors.MAX_RETRIES_REACHED.name,
                    max_retries=max_attempts,
                )
                continue
            if _expired(extra.get("class_b_c"), self.network.clock.now_us()):
                # the retry is a push too: the Network Server refuses it when it is too late
                self.network.emit("failed", device, [downlink], reason=errors.DOWNLINK_EXPIRED.name)
                continue
            try:
                again = {**extra, "confirmed_retry": retry_at(retry, attempt + 1), NACK_RETRY: True}
                self.network.push(device, [replace(downlink, extra=again)])
            except QueueFull:
                self.network.emit("failed", device, [downlink], reason="downlink_queue_capacity")

    def queue(
        self,
        application_id: str,
        device_id: str,
        items: Sequence[ApplicationDownlink],
        *,
        replace: bool,
    ) -> None:
        end_device = self.registry.end_device(application_id, device_id)
        if end_device is None:
            raise errors.DEVICE_NOT_FOUND(device_uid=device_uid(application_id, device_id))
        formatter = self._formatter(application_id, end_device)
        for item in items:
            if item.decoded_payload is None and not item.frm_payload:
                raise errors.NO_PAYLOAD()
            formatter_tts.format_downlink(formatter, item)  # docs/formatters.md
            retry = item.confirmed_retry
            if retry and retry.get("max_attempts", 0) > MAX_RETRY_ATTEMPTS:
                raise errors.DOWNLINK_MAX_RETRIES_INVALID(max=MAX_RETRY_ATTEMPTS)
            if item.confirmed:
                item.confirmed_retry = retry_at(retry)
        device = end_device.device
        try:
            self._attempt(device, items, replace=replace)
        except errors.TTSError as error:
            # attemptDownlinkQueueOp publishes downlink_failed for each item, then answers
            for item in items:
                self.network.emit(
                    "failed",
                    device,
                    [item.to_core()],
                    reason=error.definition.name,
                    **error.attributes,
                )
            raise

    def _attempt(
        self, device: Device, items: Sequence[ApplicationDownlink], *, replace: bool
    ) -> None:
        """FPort, session, then the Network Server's checks, then the queue itself."""
        for item in items:
            if item.f_port == 0:
                raise errors.NO_F_PORT()
        if device.session is None:
            raise errors.NO_DEVICE_SESSION()
        # The NS checks against the largest FRMPayload of any data rate in the band (M - 8).
        limit = _LIMITS.get(device.band)
        if limit is None:
            limit = _LIMITS[device.band] = band(device.band).max_frm_payload_any_dr
        if len(items) > 2 * QUEUE_CAPACITY:  # the NS's first check, before any item's
            raise errors.DOWNLINK_QUEUE_CAPACITY()
        now = self.network.clock.now_us()
        for item in items:  # matchApplicationDownlinks: each item's checks before the next's
            if len(item.frm_payload) > limit:
                raise errors.APPLICATION_DOWNLINK_TOO_LONG(length=len(item.frm_payload), max=limit)
            if item.class_b_c and _expired(item.class_b_c, now):
                raise errors.DOWNLINK_EXPIRED()
        resulting = len(items) + (0 if replace else len(device.queue))
        if resulting > (device.queue.capacity or QUEUE_CAPACITY):
            raise errors.DOWNLINK_QUEUE_CAPACITY()
        rng = self.rng
        downlinks: list[Downlink] = []
        for item in items:
            item.correlation_ids = [*item.correlation_ids, "as:downlink:" + ulid(now, rng)]
            downlinks.append(item.to_core())
        if replace:
            self.network.replace(device, downlinks)
        else:
            self.network.push(device, downlinks)

    def queued(self, application_id: str, device_id: str) -> list[Downlink]:
        """The queue as TTS lists it: each item through the device's downlink decoder
        again (DownlinkQueueList → decryptAndDecodeDownlink), whose output replaces
        `decoded_payload` and its warnings; a decoder that fails leaves the item as it is."""
        end_device = self.registry.end_device(application_id, device_id)
        if end_device is None:
            raise errors.DEVICE_NOT_FOUND(device_uid=device_uid(application_id, device_id))
        formatter = self._formatter(application_id, end_device)
        return [
            formatter_tts.listed(formatter, downlink)
            for downlink in end_device.device.queue.snapshot()
        ]

    def _formatter(self, application_id: str, end_device: Any) -> formatter_tts.Formatter:
        application = self.registry.applications[application_id]
        return formatter_tts.select(
            end_device.formatters,
            end_device.formatter,
            application.default_formatters,
            application.formatter,
        )
