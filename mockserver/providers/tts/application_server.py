"""The Application Server's downlink queue operation, in TTS's order of checks.

Device → per item (payload, formatter, confirmed-retry limit, FPort) → session → the Network
Server's checks (length for the band, queue capacity) → queue. The first failure is returned;
the queue is untouched unless every check passed.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace

from mockserver.core import Device, Downlink, Network, QueueFull
from mockserver.core.network import NetworkEvent
from mockserver.lorawan.regions import band
from mockserver.providers.tts import errors
from mockserver.providers.tts.applications import QUEUE_CAPACITY, Registry, device_uid
from mockserver.providers.tts.downlinks import ApplicationDownlink
from mockserver.providers.tts.formatters import EncodeError
from mockserver.types import Micros

#: `as.downlinks.confirmation.max-retry-attempts` upper bound.
MAX_RETRY_ATTEMPTS = 32
#: `as.downlinks.confirmation.default-retry-attempts`: retries of a NACKed confirmed downlink.
DEFAULT_RETRY_ATTEMPTS = 8
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: Every 10-bit value as its two Crockford characters: a ULID is 13 lookups, not 26 steps.
_PAIRS = [_CROCKFORD[high] + _CROCKFORD[low] for high in range(32) for low in range(32)]
_SHIFTS = tuple(range(120, -1, -10))


def ulid(now: Micros, rng: random.Random) -> str:
    """A ULID: 48-bit millisecond time then 80 random bits, Crockford base32 (26 chars)."""
    value = ((now // 1000) << 80) | rng.getrandbits(80)
    pairs = _PAIRS
    return "".join([pairs[(value >> shift) & 1023] for shift in _SHIFTS])


class ApplicationServer:
    def __init__(self, registry: Registry, network: Network, rng: random.Random) -> None:
        self.registry = registry
        self.network = network
        self.rng = rng
        network.subscribe(self._on_network_event)

    def _on_network_event(self, event: NetworkEvent) -> None:
        """A NACKed confirmed downlink goes back to the end of the queue (handleDownlinkNack),
        `confirmed_retry.attempt` one higher, until its attempts are used up."""
        if event.kind != "nacked":
            return
        device = self.network.find(event.device_id)
        if device is None or device.provider != "tts":
            return
        for downlink in event.downlinks:
            extra = dict(downlink.extra or {})
            retry = dict(extra.get("confirmed_retry") or {})
            retry["attempt"] = retry.get("attempt", 0) + 1
            max_attempts = retry.get("max_attempts", DEFAULT_RETRY_ATTEMPTS)
            if retry["attempt"] > max_attempts:
                self.network.emit(
                    "failed",
                    device,
                    [downlink],
                    reason=errors.MAX_RETRIES_REACHED.name,
                    max_retries=max_attempts,
                )
                continue
            try:
                self.network.push(
                    device, [replace(downlink, extra={**extra, "confirmed_retry": retry})]
                )
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
        application = self.registry.applications[application_id]
        formatter = end_device.formatter or application.formatter
        for item in items:
            if item.frm_payload and item.decoded_payload is None:
                if formatter is not None:
                    item.decoded_payload = formatter.decode(item.frm_payload)
            elif item.decoded_payload is None:
                raise errors.NO_PAYLOAD()
            elif formatter is not None:
                try:
                    item.frm_payload, item.f_port = formatter.encode(
                        item.decoded_payload, item.f_port
                    )
                except EncodeError as error:
                    raise errors.ENCODER_OUTPUT_ERRORS(errors=str(error)) from None
            max_attempts = (item.confirmed_retry or {}).get("max_attempts", 0)
            if max_attempts > MAX_RETRY_ATTEMPTS:
                raise errors.DOWNLINK_MAX_RETRIES_INVALID(max=MAX_RETRY_ATTEMPTS)
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
        if any(item.f_port == 0 for item in items):
            raise errors.NO_F_PORT()
        if device.session is None:
            raise errors.NO_DEVICE_SESSION()
        # The NS checks against the largest FRMPayload of any data rate in the band (M - 8).
        limit = band(device.band).max_frm_payload_any_dr
        for item in items:
            if len(item.frm_payload) > limit:
                raise errors.APPLICATION_DOWNLINK_TOO_LONG(length=len(item.frm_payload), max=limit)
        resulting = len(items) + (0 if replace else len(device.queue))
        if len(items) > 2 * QUEUE_CAPACITY or resulting > (device.queue.capacity or QUEUE_CAPACITY):
            raise errors.DOWNLINK_QUEUE_CAPACITY()
        now = self.network.clock.now_us()
        downlinks: list[Downlink] = []
        for item in items:
            item.correlation_ids = [*item.correlation_ids, f"as:downlink:{ulid(now, self.rng)}"]
            downlinks.append(item.to_core())
        if replace:
            self.network.replace(device, downlinks)
        else:
            self.network.push(device, downlinks)

    def queued(self, application_id: str, device_id: str) -> list[Downlink]:
        end_device = self.registry.end_device(application_id, device_id)
        if end_device is None:
            raise errors.DEVICE_NOT_FOUND(device_uid=device_uid(application_id, device_id))
        return end_device.device.queue.snapshot()
