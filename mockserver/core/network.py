"""The device registry and the events the core emits as downlinks change state."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

from mockserver.clock import Clock
from mockserver.core.devices import Device
from mockserver.core.downlinks import Downlink
from mockserver.types import Micros


class UnknownDevice(KeyError):
    pass


class DeviceExists(ValueError):
    pass


class NetworkEvent(NamedTuple):
    """Something that happened to a device's downlinks, at a simulated instant.

    A tuple, not a class instance: a long simulation keeps millions in its timelines, and a
    tuple of plain values is one the garbage collector stops tracking.
    """

    kind: str
    device_id: str
    at: Micros
    downlinks: tuple[Downlink, ...]
    details: dict[str, Any]


Listener = Callable[[NetworkEvent], None]
#: `NetworkEvent(...)` without the Python-level `__new__` NamedTuple generates.
_new_tuple = tuple.__new__
_Interests = tuple[tuple[Listener, frozenset[str] | None, frozenset[str] | None], ...]


#: Payloads of at most this many bytes are shared between the downlinks that carry the
#: same bytes, up to SHARED_PAYLOADS distinct ones per network (then new ones are kept
#: as they come): at most about 0.5 MiB, against 48 bytes saved per queued downlink.
SHARED_PAYLOAD_BYTES = 16
SHARED_PAYLOADS = 4096
#: The details of a `queued` event, one dict each for every such event: a world of many
#: queues keeps one event per push in its timelines.
_PUSH: dict[str, Any] = {"operation": "push"}
_PUSH_FIRST: dict[str, Any] = {"operation": "push_first"}
_REPLACE: dict[str, Any] = {"operation": "replace"}


class Network:
    """Holds the devices of one world and tells listeners what happens to their queues.

    Queue operations go through here (not straight to `DownlinkQueue`) so that every change
    is stamped with the clock and announced: the scheduler and provider outbound messages
    hang off these events.
    """

    def __init__(
        self, clock: Clock, queue_capacity: int | None = None, timeline_length: int = 1000
    ) -> None:
        self.clock = clock
        self.queue_capacity = queue_capacity
        self._devices: dict[str, Device] = {}
        #: `find` as the dict's own C method, for the paths each event of a long simulation
        #: takes (a Python call fewer each time); the dict is never replaced.
        self.lookup: Callable[[str], Device | None] = self._devices.get
        #: Listeners with the kinds they asked for (None: all), and who hears each kind,
        #: filled as kinds are emitted. Replaced together on (un)subscribe, so a listener may
        #: subscribe or leave while events are sent, and emitting is one lookup.
        self._routing: tuple[_Interests, dict[tuple[str, str], tuple[Listener, ...]]] = ((), {})
        self._timelines: dict[str, list[NetworkEvent]] = {}
        #: Short payloads already queued, each kept once (see `_stamp`); bounded.
        self._payloads: dict[bytes, bytes] = {}
        self._timeline_length = timeline_length

    # -- devices ---------------------------------------------------------------------------
    def add(self, device: Device) -> Device:
        if device.id in self._devices:
            raise DeviceExists(device.id)
        if device.queue.capacity is None:
            device.queue.capacity = self.queue_capacity
        self._devices[device.id] = device
        device._member_of = self
        return device

    def remove(self, device_id: str) -> Device:
        try:
            device = self._devices.pop(device_id)
        except KeyError:
            raise UnknownDevice(device_id) from None
        if device._member_of is self:
            device._member_of = None
        return device

    def get(self, device_id: str) -> Device:
        try:
            return self._devices[device_id]
        except KeyError:
            raise UnknownDevice(device_id) from None

    def find(self, device_id: str) -> Device | None:
        return self._devices.get(device_id)

    def __iter__(self) -> Iterator[Device]:
        return iter(list(self._devices.values()))

    def __len__(self) -> int:
        return len(self._devices)

    def clear(self) -> None:
        for device in self._devices.values():
            if device._member_of is self:
                device._member_of = None
        self._devices.clear()

    def holds(self, device: Device) -> bool:
        """True when this very device object is in the network (not one since removed, nor
        another of the same id): `lookup(device.id) is device`, read from the device itself
        when it can be (it says which network it was last added to; a lookup otherwise), so
        a timer that holds its device need not look it up in a dict of every device."""
        return device._member_of is self or self._devices.get(device.id) is device

    # -- queue operations ------------------------------------------------------------------
    def push(self, device: Device, downlinks: list[Downlink], *, first: bool = False) -> None:
        """Append to the device's queue; `first` puts them ahead of what is queued (TTN v2's
        `schedule: first`)."""
        self._stamp(downlinks)
        device.queue.push(downlinks, first=first)
        if downlinks:
            self._emit("queued", device, downlinks, None, _PUSH_FIRST if first else _PUSH)

    def replace(self, device: Device, downlinks: list[Downlink]) -> None:
        self._stamp(downlinks)
        removed = device.queue.snapshot()
        device.queue.replace(downlinks)
        if removed:
            self.emit("replaced", device, removed)
        if downlinks:
            self._emit("queued", device, downlinks, None, _REPLACE)

    def drop(self, device: Device, downlink: Downlink, **details: Any) -> bool:
        """The network discards a queued downlink unsent (a vendor's queue rule, e.g. a
        class C frame too old to send); emits `dropped` with `details` if it was queued."""
        if not device.queue.remove(downlink):
            return False
        self.emit("dropped", device, [downlink], **details)
        return True

    def withdraw(self, device: Device, downlink: Downlink) -> bool:
        """Take one downlink out of the device's queue before it is sent (an application
        cancelled it, or gave up waiting); False when it is no longer queued."""
        removed = device.queue.remove(downlink)
        if removed:
            self.emit("withdrawn", device, [downlink])
        return removed

    # -- events ----------------------------------------------------------------------------
    def subscribe(
        self,
        listener: Listener,
        *,
        kinds: Iterable[str] | None = None,
        providers: Iterable[str] | None = None,
    ) -> Callable[[], None]:
        """Listen to every event, or only to `kinds` of the devices of `providers`; returns
        the call that stops it. (A provider's listener need not hear every other provider's
        devices: in a long simulation each call not made is time saved.)"""
        entry = (
            listener,
            frozenset(kinds) if kinds is not None else None,
            frozenset(providers) if providers is not None else None,
        )
        self._routing = ((*self._routing[0], entry), {})

        def unsubscribe() -> None:
            remaining = tuple(other for other in self._routing[0] if other[0] is not listener)
            self._routing = (remaining, {})

        return unsubscribe

    def _listeners_for(self, kind: str, provider: str) -> tuple[Listener, ...]:
        interests, routes = self._routing
        listeners = routes.get((kind, provider))
        if listeners is None:
            listeners = routes[(kind, provider)] = tuple(
                listener
                for listener, kinds, providers in interests
                if (kinds is None or kind in kinds) and (providers is None or provider in providers)
            )
        return listeners

    def emit(
        self,
        kind: str,
        device: Device,
        downlinks: list[Downlink],
        *,
        at: Micros | None = None,
        **details: Any,
    ) -> None:
        """Record a transition in the device's timeline and tell every listener.

        `at` is the simulated instant it belongs to (a transmission's own time, which a real
        clock reaches a moment before its timer runs); now by default.
        """
        self._emit(kind, device, downlinks, at, details)

    def _emit(
        self,
        kind: str,
        device: Device,
        downlinks: list[Downlink] | tuple[Downlink, ...],
        at: Micros | None,
        details: dict[str, Any],
    ) -> None:
        """`emit` with its details as one dict, which may be shared by many events (a
        constant one, such as a push's): listeners read details, never change them. The
        downlinks may come as a tuple already (kept as it is: tuples do not change)."""
        when = self.clock.now_us() if at is None else at
        event = _new_tuple(NetworkEvent, (kind, device.id, when, tuple(downlinks), details))
        if device._timeline_of is self:  # the device's own reference to its timeline here
            timeline = device._timeline
            timeline.append(event)
        else:
            timeline = self._timelines.get(device.id)
            if timeline is None:
                # A list, not a deque(maxlen): one per device, and an empty deque is 600
                # bytes; sized for its one event (most devices of a big world have one).
                # Past the bound, the oldest goes (a memmove of at most the bound's pointers).
                timeline = self._timelines[device.id] = [event]
            else:
                timeline.append(event)
            device._timeline = timeline
            device._timeline_of = self
        if len(timeline) > self._timeline_length:
            del timeline[0]
        listeners = self._routing[1].get((kind, device.provider))
        if listeners is None:
            listeners = self._listeners_for(kind, device.provider)
        for listener in listeners:
            listener(event)

    def timeline(self, device_id: str) -> list[NetworkEvent]:
        """What happened to the device's downlinks, oldest first (bounded)."""
        return list(self._timelines.get(device_id, ()))

    def _stamp(self, downlinks: list[Downlink]) -> None:
        """Queued now; a short payload seen before is shared with the downlinks that carry
        the same bytes (a fleet is often sent the same command: 100 000 devices with 10
        queued downlinks each hold a million payloads)."""
        now = self.clock.now_us()
        payloads = self._payloads
        for downlink in downlinks:
            downlink.queued_at = now
            payload = downlink.frm_payload
            if len(payload) <= SHARED_PAYLOAD_BYTES:
                shared = payloads.get(payload)
                if shared is not None:
                    downlink.frm_payload = shared
                elif len(payloads) < SHARED_PAYLOADS:
                    payloads[payload] = payload
