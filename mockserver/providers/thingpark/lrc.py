"""The LRC's downlink queue rules on top of the network core (research A7).

FIFO per device; `flushDownlinkQueue` purges the queue before the new frame (if any) goes
in; delivery by class is the core scheduler's. One ThingPark-specific rule lives here: a
class C frame still unsent 60 s after it was queued is dropped with cause E0.
"""

from __future__ import annotations

from collections.abc import Callable

from mockserver.clock import Clock
from mockserver.core import Device, DeviceClass, Downlink, Network
from mockserver.providers.thingpark.subscription import ThingParkDevice
from mockserver.types import SECOND, Micros

CLASS_C_MAX_QUEUED: Micros = 60 * SECOND
CLASS_C_EXPIRED_CAUSE = "E0"


class Lrc:
    def __init__(self, network: Network, clock: Clock) -> None:
        self.network = network
        self.clock = clock

    def enqueue(self, entry: ThingParkDevice, downlink: Downlink | None, *, flush: bool) -> None:
        device = entry.device
        new = [downlink] if downlink is not None else []
        if flush:
            self.network.replace(device, new)
        elif new:
            self.network.push(device, new)
        if downlink is not None and device.device_class is DeviceClass.C:
            self.clock.call_at(
                self.clock.now_us() + CLASS_C_MAX_QUEUED,
                lambda: self._expire(entry, downlink),
            )

    def rearm_expiry(self) -> None:
        """Set the class C expiry of every queued frame again, from when it was queued (after
        a snapshot is restored: timers are not part of it). A frame past its time goes now;
        a second timer for the same frame finds it gone and does nothing."""
        for device in self.network:
            if device.provider != "thingpark" or device.device_class is not DeviceClass.C:
                continue
            for downlink in device.queue:
                self.clock.call_at(
                    downlink.queued_at + CLASS_C_MAX_QUEUED, self._dropper(device, downlink)
                )

    def _dropper(self, device: Device, downlink: Downlink) -> Callable[[], None]:
        def drop() -> None:
            if self.network.find(device.id) is device:
                self.network.drop(device, downlink, cause=CLASS_C_EXPIRED_CAUSE)

        return drop

    def _expire(self, entry: ThingParkDevice, downlink: Downlink) -> None:
        device = entry.device
        if self.network.find(device.id) is not device:
            return  # the device was removed or the world reset
        self.network.drop(device, downlink, cause=CLASS_C_EXPIRED_CAUSE)
