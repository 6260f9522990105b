"""When each queued downlink leaves, by device class, on the simulator's clock.

Timing follows The Things Stack's Network Server (research: lorawan-timing.md §1 and §3,
tts-ttn.md §D):

- Class A: a downlink goes only in RX1 (uplink end + the device's RX1 delay) or RX2 (+1 s)
  of the last uplink, one downlink per uplink. The decision is taken after the 200 ms
  deduplication window, or when a push arrives later while a window can still be reached
  (the Network Server needs 200 ms before a transmission). RX1 is used when the payload
  fits its data rate, else RX2. FPending is set while more is queued. MAC commands are not
  simulated, so they never take precedence over application data.
- Class C: after the device's first uplink, as soon as possible on RX2 parameters: no
  earlier than 200 ms from now, than RX2 of the last class A uplink, or than 1 s after the
  previous network-initiated downlink. A confirmed downlink blocks the next confirmed one
  until an uplink arrives or 5 minutes pass; only an uplink ACKs or NACKs it (no resend).
- Class B: the first ping slot at or after now + 5.2 s (TTS enqueues the transmission 5 s
  `absoluteTimeSchedulingDelay` plus 200 ms before the slot, so the decision about which
  item goes is taken then), on the band's ping-slot data rate and frequency, 1 s after the
  previous network-initiated downlink at the earliest; a confirmed one blocks the next
  confirmed one for 10 minutes or until an uplink. The device is taken to be in class B
  already (beacon acquisition and PingSlotInfoReq are not simulated).
- A downlink with an `absolute_time` (TTS's `class_b_c.absolute_time`) goes at that very
  instant, as a class B or C transmission (nextDataDownlinkSlot's application-time slot):
  the decision is taken 5.2 s before it, it holds the head of the queue until then (what is
  queued behind it waits), and it never takes a class A window. It is dropped as
  `downlink_expired` when it cannot go at its time: a class A window that opens after it,
  or a class B/C earliest (200 ms from now, RX2 of the last uplink, 1 s after the previous
  network-initiated downlink, the confirmed timeout, and for class B the next ping slot)
  later than it, e.g. because the device was out of reach until then. Alone in the queue,
  it waits for that until its time is past (an uplink may settle a confirmed downlink).
- A payload that fits no usable window's data rate fails (`application_downlink_too_long`).
- A confirmed downlink is acknowledged, or not, by the next uplink's ACK bit.
- `faults` (an active scenario) may fail a downlink before or at its transmission, turn
  the device's answer to a confirmed one into a NACK, or put the device out of reach (the
  queue then waits until it is back); the scheduler asks, it never guesses.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

from mockserver.core.devices import Device, DeviceClass
from mockserver.core.downlinks import Downlink
from mockserver.core.network import Network, NetworkEvent
from mockserver.core.uplinks import Uplink
from mockserver.lorawan.class_b import beacon_start_at, beacon_time, ping_slot_at
from mockserver.lorawan.regions import Band, band
from mockserver.types import MILLISECOND, SECOND, Micros

#: The downlinks of an event about none (an uplink), shared.
_NO_DOWNLINKS: tuple[Downlink, ...] = ()

DEDUPLICATION_WINDOW: Micros = 200 * MILLISECOND
SCHEDULE_WINDOW: Micros = 200 * MILLISECOND  # NS needs this long before a transmission
CLASS_BC_DOWNLINK_INTERVAL: Micros = 1 * SECOND
CLASS_C_CONFIRMED_TIMEOUT: Micros = 300 * SECOND
CLASS_B_CONFIRMED_TIMEOUT: Micros = 600 * SECOND
CLASS_B_SCHEDULING_DELAY: Micros = 5 * SECOND + SCHEDULE_WINDOW


class DeliveryFaults(Protocol):
    """What a scenario may do to delivery (see mockserver.scenario.engine)."""

    def at_transmission(self, provider: str, device_id: str, confirmed: bool) -> str | None:
        """`too_long`, `evicted`, `gateway_failure` (or another bearer's fault), or None."""
        ...

    def at_confirmation(self, provider: str, device_id: str) -> bool:
        """True: the device answers this confirmed downlink without the ACK bit."""
        ...

    def at_bearer(self, provider: str, device_id: str, fault: str) -> bool:
        """True: another bearer's fault (`broker_down`, `carrier_failure`) hits this message."""
        ...

    def unreachable_until(self, device_id: str) -> Micros | None:
        """When the device is back in reach, if it is out of reach now (silent)."""
        ...


@dataclass(slots=True)
class _DeviceState:
    last_uplink: Uplink | None = None
    windows_available: bool = False
    awaiting_ack: Downlink | None = None
    awaiting_ack_since: Micros = 0
    last_network_initiated: Micros | None = None
    wake_at: Micros | None = None
    #: Taken from the queue for a window and not yet on air (a snapshot carries it back).
    in_flight: Downlink | None = None


class Scheduler:
    """Decides, per device, when the head of its queue is transmitted; emits the outcome.

    On the paths every uplink takes it reads `device.queue._items` (the core's own queue,
    a list) rather than `len(device.queue)`: one Python call fewer a million times a day
    of a large network."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self.clock = network.clock
        self._states: dict[str, _DeviceState] = {}
        self.faults: DeliveryFaults | None = None
        network.subscribe(self._on_event, kinds=("queued",))

    def state(self, device: Device) -> _DeviceState:
        """The device's scheduling state (kept by id; the device also holds it, see Device)."""
        if device._state_of is self:
            found: _DeviceState = device._state
            return found
        state = self._states.get(device.id)
        if state is None:
            state = self._states[device.id] = _DeviceState()
        device._state = state
        device._state_of = self
        return state

    # -- inputs ----------------------------------------------------------------------------
    def uplink(self, device: Device, uplink: Uplink) -> None:
        """An uplink ends now: settle any confirmed downlink, then open the class A windows."""
        state: _DeviceState = device._state if device._state_of is self else self.state(device)
        if state.awaiting_ack is not None:
            nack = self.faults is not None and self.faults.at_confirmation(
                device.provider, device.id
            )
            outcome = "acked" if uplink.ack and not nack else "nacked"
            self.network.emit(outcome, device, [state.awaiting_ack])
            state.awaiting_ack = None
        if device.session is not None:
            device.session.last_f_cnt_up = uplink.f_cnt
        state.last_uplink = uplink
        state.windows_available = True
        # Plain values only: timelines hold millions of these in a long simulation, and an
        # event whose details reference no objects costs the garbage collector nothing. A
        # dict display and `_emit`, not `emit(**details)`: a day of a large network sends a
        # million of these, and the keyword dict and the extra call were a tenth of each.
        self.network._emit(
            "uplink",
            device,
            _NO_DOWNLINKS,
            uplink.received_at,
            {
                "f_port": uplink.f_port,
                "frm_payload": uplink.frm_payload,
                "f_cnt": uplink.f_cnt,
                "confirmed": uplink.confirmed,
                "ack": uplink.ack,
                "data_rate": uplink.data_rate,
                "frequency": uplink.frequency,
            },
        )
        if device.queue._items:  # an empty queue is woken by the next push instead
            # _wake, inline (the state is at hand, and the time is not in the past)
            at = uplink.received_at + DEDUPLICATION_WINDOW
            if at < self.clock.now_us():
                self._wake(device, at)
            elif state.wake_at is None or state.wake_at > at:
                state.wake_at = at
                self.clock.call_at(at, partial(self._decide, device, at))

    def close_windows(self, device: Device) -> None:
        """Give up the last uplink's class A windows: a network that failed to prepare the
        downlink for an uplink sends nothing more until the next one."""
        self.state(device).windows_available = False

    def _on_event(self, event: NetworkEvent) -> None:
        """A push or replace wakes the device: its head may go in a window still open.

        Not a class A device without an open window: deciding would do nothing (the next
        uplink wakes it), and a world of many such queues would hold a timer and a state
        for each."""
        if event.kind == "queued":
            device = self.network.lookup(event.device_id)
            if device is None:
                return
            if device.device_class is DeviceClass.A:
                state: _DeviceState | None = (
                    device._state if device._state_of is self else self._states.get(device.id)
                )
                if state is None or not state.windows_available:
                    return
                if self._windows_past(device, state):
                    state.windows_available = False
                    return
            self._wake(device, self.clock.now_us())

    def _windows_past(self, device: Device, state: _DeviceState) -> bool:
        """True when a wake-up now could only find the class A windows closed, and would
        close them at once: the decision `_class_a` takes, taken here without its timer.

        A day of a large network pushes to most devices long after their last uplink's
        windows: each push cost a timer, a wake-up and a decision that closed them (a tenth
        of the run). Only while the clock fires timers (`clock.firing`), so that the wake-up
        would have run within this same advance, before anything outside could look; only
        with no faults (a scenario may hold the queue and decide later) and no wake-up
        pending (it decides first and may change the queue)."""
        if not self.clock.firing or self.faults is not None or state.wake_at is not None:
            return False
        uplink = state.last_uplink
        if uplink is None or state.in_flight is not None:
            return False
        now = self.clock.now_us()
        decided = uplink.received_at + DEDUPLICATION_WINDOW
        if now < decided:
            return False
        if not device.late_pushes_use_windows and now > decided:
            return True
        return now + SCHEDULE_WINDOW > uplink.received_at + device.rx1_delay + SECOND

    def reconsider(self) -> None:
        """Decide again now for every device with a queue: the faults changed (a scenario
        came or went), so a queue held for a silence that no longer holds goes on at once."""
        now = self.clock.now_us()
        for device in self.network:
            if len(device.queue):
                self._wake(device, now)

    # -- decisions -------------------------------------------------------------------------
    def _wake(self, device: Device, at: Micros) -> None:
        state = self.state(device)
        at = max(at, self.clock.now_us())
        if state.wake_at is not None and state.wake_at <= at:
            return
        state.wake_at = at
        self.clock.call_at(at, partial(self._decide, device, at))  # called in C, no frame

    def _decide(self, device: Device, at: Micros) -> None:
        state: _DeviceState = device._state if device._state_of is self else self.state(device)
        if state.wake_at != at:
            return  # superseded by an earlier wake-up
        state.wake_at = None
        if not self.network.holds(device) or not device.queue._items:
            return
        back = self.faults.unreachable_until(device.id) if self.faults is not None else None
        if back is not None:
            self._wake(device, back)  # out of reach: the queue waits, nothing is lost
            return
        if state.windows_available and (self._class_a(device, state) or not device.queue._items):
            return  # sent in a class A window, or every item failed there
        if device.device_class is DeviceClass.C:
            self._class_c(device, state)
        elif device.device_class is DeviceClass.B:
            self._class_b(device, state)

    def _network_initiated_earliest(
        self, device: Device, state: _DeviceState, earliest: Micros, confirmed_timeout: Micros
    ) -> Micros:
        """The rules classes B and C share: after RX2 of the last uplink, 1 s apart, and one
        confirmed downlink outstanding until an uplink or the class's timeout."""
        if state.last_uplink is not None:
            earliest = max(earliest, state.last_uplink.received_at + device.rx1_delay + SECOND)
        if state.last_network_initiated is not None:
            earliest = max(earliest, state.last_network_initiated + CLASS_BC_DOWNLINK_INTERVAL)
        head = device.queue.peek()
        if head is not None and head.confirmed and state.awaiting_ack is not None:
            earliest = max(earliest, state.awaiting_ack_since + confirmed_timeout)
        return earliest

    def _settle_timed_out_confirmation(self, device: Device, state: _DeviceState) -> None:
        """Past the class timeout the next confirmed downlink may go. The unanswered one is
        neither ACKed nor NACKed: TTS only learns its fate from an uplink, and the new one
        takes its place as the downlink that uplink will answer."""
        head = device.queue.peek()
        if head is not None and head.confirmed and state.awaiting_ack is not None:
            state.awaiting_ack = None

    def _class_b(self, device: Device, state: _DeviceState) -> None:
        session = device.session
        if session is None:
            return
        now = self.clock.now_us()
        region = band(device.band)
        head = device.queue.peek()
        assert head is not None
        if head.absolute_time is not None:
            # TTS: the application's time must not come before the next ping slot the
            # device may use; the transmission is then at that time itself.
            earliest = self._network_initiated_earliest(
                device, state, now + SCHEDULE_WINDOW, CLASS_B_CONFIRMED_TIMEOUT
            )
            slot = ping_slot_at(earliest, session.dev_addr, device.ping_slot_periodicity)
            if self._hold_for_absolute_time(device, head.absolute_time, slot):
                return
            slot = head.absolute_time
        else:
            earliest = self._network_initiated_earliest(
                device, state, now + CLASS_B_SCHEDULING_DELAY, CLASS_B_CONFIRMED_TIMEOUT
            )
            slot = ping_slot_at(earliest, session.dev_addr, device.ping_slot_periodicity)
            if slot - CLASS_B_SCHEDULING_DELAY > now:
                self._wake(device, slot - CLASS_B_SCHEDULING_DELAY)
                return
        frequency = region.ping_slot_frequency(session.dev_addr, beacon_time(beacon_start_at(slot)))
        self._network_initiated(device, state, "PING", slot, region.ping_slot_data_rate, frequency)

    def _hold_for_absolute_time(self, device: Device, at: Micros, earliest: Micros) -> bool:
        """True when the head, due at `at`, is not to be sent now. False: decide it now, for
        transmission at `at`.

        It waits for its decision, 5.2 s before `at` (TTS enqueues an application-time slot
        absoluteTimeSchedulingDelay + 200 ms ahead). When the class's `earliest` is later
        than `at`, TTS skips it while choosing a slot and drops it (`downlink_expired`) when
        it generates a later downlink: so it is dropped now if something is queued behind
        it, or once its time can no longer be met; alone, it waits, since an uplink may still
        lift what holds it back (an unanswered confirmed downlink)."""
        now = self.clock.now_us()
        if at < earliest:
            if at - SCHEDULE_WINDOW <= now or len(device.queue) > 1:
                self._fail(device, "downlink_expired")
                self._wake(device, now)
            else:
                self._wake(device, at - SCHEDULE_WINDOW)  # the last moment it can be decided
            return True
        if at - CLASS_B_SCHEDULING_DELAY > now:
            self._wake(device, at - CLASS_B_SCHEDULING_DELAY)
            return True
        return False

    def _class_a(self, device: Device, state: _DeviceState) -> bool:
        uplink = state.last_uplink
        assert uplink is not None
        now = self.clock.now_us()
        if now < uplink.received_at + DEDUPLICATION_WINDOW:
            self._wake(device, uplink.received_at + DEDUPLICATION_WINDOW)
            return True  # decided once the uplink's deduplication window has passed
        if not device.late_pushes_use_windows and now > uplink.received_at + DEDUPLICATION_WINDOW:
            state.windows_available = False
            return False  # this network decided at the uplink; the push waits for the next
        region = band(device.band)
        rx1_at = uplink.received_at + device.rx1_delay
        rx2_at = rx1_at + SECOND
        if now + SCHEDULE_WINDOW > rx2_at:
            state.windows_available = False
            return False
        # The windows still reachable, RX1 first (its parameters only when it is one), each
        # with its largest FRMPayload when known already (RX2's is looked up if needed).
        rx2_data_rate = device.rx2_data_rate  # _rx2_data_rate, inline
        if rx2_data_rate is None:
            rx2_data_rate = region.rx2_data_rate
        reachable: list[tuple[str, Micros, int, int, int | None]] = [
            ("RX2", rx2_at, rx2_data_rate, region.rx2_frequency_hz, None)
        ]
        if now + SCHEDULE_WINDOW <= rx1_at:
            key = (device.band, uplink.data_rate, device.rx1_dr_offset, uplink.frequency)
            rx1 = _RX1_PARAMETERS.get(key)
            if rx1 is None:
                rx1 = _rx1_parameters(region, key)
            reachable.insert(0, ("RX1", rx1_at, *rx1))
        queue = device.queue  # its own list, read afresh each time (a failure's listener
        while queue._items:  # may push to an emptied queue, which gives it a new list)
            head = queue._items[0]
            if head.absolute_time is not None:
                # Never in a class A window (TTS skips RX1/RX2 for an application time):
                # it holds the queue, unless the first window left already comes after it.
                if head.absolute_time >= reachable[0][1]:
                    return False
                self._fail(device, "downlink_expired")
                continue
            if head.confirmed and state.awaiting_ack is not None:
                return False  # one confirmed downlink outstanding at a time
            length = len(head.frm_payload)
            for fitting in reachable:  # the first window the payload fits
                limit = fitting[4]
                if limit is None:
                    limit = region.max_frm_payload(fitting[2])
                if length <= limit:
                    break
            else:
                largest = max(region.max_frm_payload(w[2]) for w in reachable)
                self._fail(
                    device,
                    "application_downlink_too_long",
                    length=len(head.frm_payload),
                    max=largest,
                )
                continue
            window, transmit_at, data_rate, frequency, _ = fitting
            fault = None if self.faults is None else self._fault(device, head)
            if fault is not None and fault != "gateway_failure":
                self._fail_by_fault(device, fault, limit)
                continue
            state.windows_available = False
            self._transmit(device, state, window, transmit_at, data_rate, frequency, fault)
            return True
        return False

    def _class_c(self, device: Device, state: _DeviceState) -> None:
        if state.last_uplink is None:
            return  # class C starts with the device's first uplink
        now = self.clock.now_us()
        region = band(device.band)
        earliest = self._network_initiated_earliest(
            device, state, now + SCHEDULE_WINDOW, CLASS_C_CONFIRMED_TIMEOUT
        )
        head = device.queue.peek()
        assert head is not None
        if head.absolute_time is not None:
            if self._hold_for_absolute_time(device, head.absolute_time, earliest):
                return
            earliest = head.absolute_time
        elif earliest > now + SCHEDULE_WINDOW:
            self._wake(device, earliest - SCHEDULE_WINDOW)
            return
        self._network_initiated(
            device, state, "RXC", earliest, _rx2_data_rate(device), region.rx2_frequency_hz
        )

    def _network_initiated(
        self,
        device: Device,
        state: _DeviceState,
        window: str,
        at: Micros,
        data_rate: int,
        frequency: int,
    ) -> None:
        """Send the head of the queue in a class B or C slot, unless it is too long for it."""
        self._settle_timed_out_confirmation(device, state)
        head = device.queue.peek()
        assert head is not None
        limit = band(device.band).max_frm_payload(data_rate)
        if len(head.frm_payload) > limit:
            self._fail(
                device, "application_downlink_too_long", length=len(head.frm_payload), max=limit
            )
            self._wake(device, self.clock.now_us())
            return
        fault = self._fault(device, head)
        if fault is not None and fault != "gateway_failure":
            self._fail_by_fault(device, fault, limit)
            self._wake(device, self.clock.now_us())
            return
        state.last_network_initiated = at
        self._transmit(device, state, window, at, data_rate, frequency, fault)

    # -- outcomes --------------------------------------------------------------------------
    def _transmit(
        self,
        device: Device,
        state: _DeviceState,
        window: str,
        at: Micros,
        data_rate: int,
        frequency: int,
        fault: str | None = None,
    ) -> None:
        downlink = device.queue._items.pop(0)
        details: dict[str, Any] = {
            "window": window,
            "transmit_at": at,
            "data_rate": data_rate,
            "frequency": frequency,
        }
        one = (downlink,)
        # `_emit` with the dict itself: no one changes an event's details, so the scheduled
        # event and the sent one's spread may share it.
        self.network._emit("scheduled", device, one, None, details)
        state.in_flight = downlink
        # A bound method in a partial, not a closure: seven cells fewer per transmission.
        self.clock.call_at(at, partial(self._send, device, state, one, at, details, fault))

    def _send(
        self,
        device: Device,
        state: _DeviceState,
        one: tuple[Downlink],
        at: Micros,
        details: dict[str, Any],
        fault: str | None,
    ) -> None:
        """The transmission at its time: `sent`, or `failed` when the gateway did not send
        it; then the next item's decision."""
        downlink = one[0]
        if state.in_flight is downlink:
            state.in_flight = None
        network = self.network
        if fault is not None:  # the gateway did not transmit it
            network._emit("failed", device, one, at, {"reason": fault, **details})
            if device.queue._items:
                self._wake(device, self.clock.now_us())
            return
        if device.session is not None:
            device.session.last_f_cnt_down += 1
        network._emit("sent", device, one, at, {"f_pending": bool(device.queue._items), **details})
        if downlink.confirmed:
            state.awaiting_ack = downlink
            state.awaiting_ack_since = at
        if device.queue._items:  # read again: a listener may have pushed or replaced
            self._wake(device, self.clock.now_us())

    def _fault(self, device: Device, head: Downlink) -> str | None:
        if self.faults is None:
            return None
        return self.faults.at_transmission(device.provider, device.id, head.confirmed)

    def _fail_by_fault(self, device: Device, fault: str, limit: int) -> None:
        head = device.queue.peek()
        assert head is not None
        if fault == "too_long":
            # As if the network had to fall back to a slower data rate (ADR, RX2 at DR0):
            # the band's smallest maximum, or less than the payload when even that fits.
            length = len(head.frm_payload)
            smallest = min(limit, band(device.band).max_frm_payload(0))
            self._fail(
                device,
                "application_downlink_too_long",
                length=length,
                max=smallest if length > smallest else max(length - 1, 0),
            )
        else:
            self._fail(device, fault)

    def _fail(self, device: Device, reason: str, **attributes: int) -> None:
        downlink = device.queue.pop()
        self.network.emit("failed", device, [downlink], reason=reason, **attributes)


#: RX1's data rate, frequency and largest FRMPayload by the band as the device spells it,
#: the uplink's data rate, the device's RX1DROffset and the uplink's frequency: a fleet's
#: uplinks use a few of them, and working them out again (the RX1 table, the channel plan,
#: the data rate's limits: six calls) was a third of each class A decision. Bounded: past
#: it, a new combination is worked out each time (and errors are never kept).
_RX1_PARAMETERS: dict[tuple[str, int, int, int], tuple[int, int, int]] = {}
_RX1_PARAMETERS_BOUND = 4096


def _rx1_parameters(region: Band, key: tuple[str, int, int, int]) -> tuple[int, int, int]:
    """RX1's data rate, frequency and largest FRMPayload for `key` (see _RX1_PARAMETERS);
    ValueError as the band's own methods raise it."""
    _, uplink_data_rate, offset, uplink_frequency = key
    data_rate = region.rx1_data_rate(uplink_data_rate, offset)
    found = (data_rate, region.rx1_frequency(uplink_frequency), region.max_frm_payload(data_rate))
    if len(_RX1_PARAMETERS) < _RX1_PARAMETERS_BOUND:
        _RX1_PARAMETERS[key] = found
    return found


def _rx2_data_rate(device: Device) -> int:
    """The device's RX2 data rate: its own setting, else its band's default."""
    if device.rx2_data_rate is not None:
        return device.rx2_data_rate
    return band(device.band).rx2_data_rate
