"""How each bearer moves a downlink through its statuses, on the network core's clock.

Protocol downlinks go PENDING → EXECUTING → DONE (`lastFailureReason` set when DONE is
not a success). An actuator downlink mirrors the protocol downlink it became, in its
wider status set, and logs each step. The choices where KPN publishes no behaviour are
listed in docs/providers/kpn.md ("Lifecycle per bearer").
"""

from __future__ import annotations

import base64
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

from mockserver.clock import Clock
from mockserver.core import Downlink, Network
from mockserver.core.bearers import Broker, Carrier, Mailbox, Submission
from mockserver.core.network import NetworkEvent
from mockserver.core.scheduler import Scheduler
from mockserver.providers.kpn.devices import PROVIDER, KpnDevice
from mockserver.providers.kpn.narration import Narrator
from mockserver.providers.kpn.records import (
    CANCELLED,
    DELIVERED,
    DONE,
    EXECUTING,
    FAILED,
    PENDING,
    RETRY,
    SENT_TO_CARRIER,
    LogEntry,
    Record,
    parse_duration,
)
from mockserver.types import Micros

NOT_ACKNOWLEDGED = "NOT_ACKNOWLEDGED_BY_DEVICE"
FEEDBACK_TIMEOUT = "FEEDBACK_TIMEOUT"
#: The spelling differs per published spec (LoRa/MQTT "FAILED_…", SMS "FAILURE_…").
FAILED_TO_TRANSMIT = {
    "lora": "FAILED_TO_TRANSMIT_TO_DEVICE",
    "mqtt": "FAILED_TO_TRANSMIT_TO_DEVICE",
    "sms": "FAILURE_TO_TRANSMIT_TO_DEVICE",
}
FAILED_TO_ENQUEUE = "FAILED_TO_ENQUEUE_FOR_TRANSMISSION"
#: The HTTP spec knows TIMEOUT where the others say FEEDBACK_TIMEOUT.
TIMEOUT_REASON = {"http": "TIMEOUT"}


class Lifecycle:
    def __init__(
        self, network: Network, clock: Clock, sms_delay: Micros, scheduler: Scheduler
    ) -> None:
        self.network = network
        self.clock = clock
        self.narrator = Narrator(network)
        #: Per device (core ID), its MQTT, SMS and HTTP downlinks not yet finished (by ID):
        #: what the dashboard shows beside such a device in place of a LoRa queue.
        self._open: dict[str, set[str]] = {}

        def fault(kind: str) -> Callable[[str], str | None]:
            def check(device_id: str) -> str | None:
                """The active scenario's delivery faults reach the scheduler; ask it."""
                faults = scheduler.faults
                return kind if faults and faults.at_bearer(PROVIDER, device_id, kind) else None

            return check

        self.broker = Broker(clock, fault("broker_down"))
        self.carrier = Carrier(clock, sms_delay, fault("carrier_failure"))
        self.mailbox: Mailbox[Record] = Mailbox()
        self._lora: dict[str, Record] = {}  # LoRa records in flight, by ID (the core
        # Downlink carries the ID in `extra`, so network events lead back to the record)
        #: Per HTTP device (by UUID), its downlinks in creation order; finished ones leave
        #: from the head as it is reached, and all at once when they outnumber the rest.
        self._http_queues: dict[str, deque[Record]] = {}
        #: Per HTTP device, the one downlink its mailbox holds (EXECUTING), if any.
        self._http_executing: dict[str, Record] = {}
        self._http_devices: dict[str, KpnDevice] = {}  # core ID → device, once one is used
        network.subscribe(
            self._on_network_event,
            kinds=("uplink", "scheduled", "sent", "acked", "nacked", "failed"),
            providers=(PROVIDER,),
        )

    # -- starting --------------------------------------------------------------------------
    def start(self, record: Record, feedback_after: Micros | None) -> None:
        """Hand a new protocol downlink to its bearer; its feedback timer starts now."""
        self._opened(record)
        self.narrator.created(record)
        if feedback_after is not None:
            self._arm_feedback_timer(record, record.created_at + feedback_after)
        if record.dry_run:

            def dry_run() -> None:
                self._execute(record)
                self._succeed(record)

            self._soon(record, dry_run)
            return
        start: Callable[[Record], None] = getattr(self, f"_start_{record.api}")
        start(record)

    def _arm_feedback_timer(self, record: Record, due: Micros) -> None:
        """The timer holds the record weakly: a `feedbackTimeout` of years must not keep a
        downlink the store has let go of (store.py) alive until then."""
        self.clock.call_at(due, _FeedbackDue(self, weakref.ref(record)))

    def _soon(self, record: Record, step: Callable[[], Any]) -> None:
        """Run `step` at this instant, after the response (unless cancelled meanwhile)."""

        def run() -> None:
            if not record.finished:
                step()

        self.clock.call_at(self.clock.now_us(), run)

    def _start_lora(self, record: Record) -> None:
        core = record.device.core
        if core.session is None:
            self._fail(record, FAILED_TO_ENQUEUE)
            return
        self._enqueue_lora(record)

    def _enqueue_lora(self, record: Record) -> None:
        message = record.message
        downlink = Downlink(
            f_port=message["fPort"],
            frm_payload=bytes.fromhex(message["payloadHex"]),
            confirmed=True,
            extra={PROVIDER: record.id},
        )
        record.in_flight = downlink
        self._lora[record.id] = record
        self.network.push(record.device.core, [downlink])

    def _start_mqtt(self, record: Record) -> None:
        def publish() -> None:
            self._execute(record)
            message = record.message
            body = message["payload"]
            raw = base64.b64decode(body) if message["type"] == "binary" else body.encode()
            published = self.broker.publish(
                record.device.core.id,
                message["topic"],
                raw,
                qos=message.get("qos", "AT_MOST_ONCE"),
                content_type=message.get("contentType"),
            )
            if published:
                self.narrator.sent(record, "broker", topic=message["topic"])
                self._transmitted(record)
                self._succeed(record)
            else:
                # Down by the world or the Python API, else by a scenario's `broker_down`.
                fault = None if record.device.core.id in self.broker.down else "broker_down"
                reason = FAILED_TO_TRANSMIT["mqtt"]
                self.narrator.failed(record, reason, will_retry=False, fault=fault)
                self._fail(record, reason)

        self._soon(record, publish)

    def _start_sms(self, record: Record) -> None:
        def submit() -> None:
            self._execute(record)
            self._submit_sms(record)

        self._soon(record, submit)

    def _submit_sms(self, record: Record) -> None:
        self._carrier_submit(record)
        self.narrator.sent(record, "carrier", attempt=record.retry_count + 1)
        self._transmitted(record)

    def _carrier_submit(self, record: Record) -> None:
        def report(delivered: bool) -> None:
            if record.finished:
                return
            if delivered:
                self._succeed(record)
                return
            again = record.retry_count < record.retry_limit
            fault = record.in_flight.fault if isinstance(record.in_flight, Submission) else None
            self.narrator.failed(record, FAILED_TO_TRANSMIT["sms"], will_retry=again, fault=fault)
            if again:
                record.retry_count += 1
                self._retry(record, FAILED_TO_TRANSMIT["sms"])
                self._submit_sms(record)
            else:
                self._fail(record, FAILED_TO_TRANSMIT["sms"])

        record.in_flight = self.carrier.submit(
            record.device.core.id, record.message["text"], report
        )

    def _start_http(self, record: Record) -> None:
        self._http_devices[record.device.core.id] = record.device
        self._queue_http(record)
        self._soon(record, lambda: self._promote_http(record.device))

    def _queue_http(self, record: Record) -> None:
        queue = self._http_queues.setdefault(record.device.uuid, deque())
        queue.append(record)
        if len(queue) > 64 and len(queue) & (len(queue) - 1) == 0:  # at each power of two
            kept = [waiting for waiting in queue if not waiting.finished]
            self._http_queues[record.device.uuid] = deque(kept)

    def _promote_http(self, device: KpnDevice) -> None:
        """One HTTP downlink per device is EXECUTING: the one the next request collects.
        O(1) but for finished downlinks passed on the way: a device that never polls keeps
        thousands waiting, and each one cancelled or evicted promotes the next."""
        executing = self._http_executing.get(device.uuid)
        if executing is not None and executing.status == EXECUTING and not executing.finished:
            return
        queue = self._http_queues.get(device.uuid)
        while queue and queue[0].finished:
            queue.popleft()
        if not queue:
            self._http_executing.pop(device.uuid, None)
            return
        head = queue[0]
        self._execute(head)
        head.in_flight = head
        self._http_executing[device.uuid] = head
        self.mailbox.put(device.core.id, head)

    # -- restoring -------------------------------------------------------------------------
    def forget(self, records: list[Record]) -> None:
        """Before a restore replaces them: every bearer lets go of these downlinks in
        flight (queued LoRa frames withdrawn, carrier submissions cancelled, mailbox
        emptied), so none of them is delivered into the restored state."""
        for record in records:
            if not record.finished:
                self._withdraw(record)
        self._lora.clear()
        self._open.clear()
        self._http_queues.clear()
        self._http_executing.clear()
        self._http_devices.clear()

    def resume(self, record: Record) -> None:
        """A protocol downlink restored from a snapshot while in flight (snapshot.py) goes
        back to its bearer with its feedback timer, keeping its status and times: MQTT and
        SMS ones to the broker and carrier (KPN's own), HTTP ones to their device's queue;
        a LoRa one takes up the network's queued downlink of its ID when the network has
        one (the network's part of the snapshot), and is queued again when PENDING."""
        self._opened(record)
        if record.feedback_timeout is not None:
            self._arm_feedback_timer(
                record, record.created_at + parse_duration(record.feedback_timeout)
            )
        if record.dry_run:
            if record.status == PENDING:

                def dry_run() -> None:
                    self._execute(record)
                    self._succeed(record)

                self._soon(record, dry_run)
        elif record.api == "mqtt":
            self._start_mqtt(record)
        elif record.api == "sms":
            (self._start_sms if record.status == PENDING else self._carrier_submit)(record)
        elif record.api == "http":
            device = record.device
            self._http_devices[device.core.id] = device
            self._queue_http(record)
            if record.status == EXECUTING:
                record.in_flight = record
                self._http_executing[device.uuid] = record
                self.mailbox.put(device.core.id, record)
            else:
                self._soon(record, lambda: self._promote_http(device))
        elif record.api == "lora":
            queued = [
                downlink
                for downlink in record.device.core.queue.snapshot()
                if (downlink.extra or {}).get(PROVIDER) == record.id
            ]
            if queued:
                record.in_flight = queued[0]
                self._lora[record.id] = record
            elif record.status == PENDING and record.device.core.session is not None:
                self._enqueue_lora(record)

    # -- device side -----------------------------------------------------------------------
    def http_request(self, device: KpnDevice) -> Record | None:
        """The device made an HTTP request (an uplink): its response carries the EXECUTING
        downlink, if there is one, which is then DONE."""
        record = self.mailbox.take(device.core.id)
        if record is None:
            return None
        self.network.emit(
            "delivered-in-response",
            device.core,
            [],
            message=record.message,
            downlink_id=record.id,
            bearer=record.api,
        )
        self._transmitted(record)
        self._succeed(record)
        self._promote_http(device)
        return record

    def _on_network_event(self, event: NetworkEvent) -> None:
        if not event.device_id.startswith(PROVIDER + "."):
            return
        if event.kind == "uplink" and event.device_id in self._http_devices:
            # The network's uplink of an HTTP device is its request: the same delivery.
            self.http_request(self._http_devices[event.device_id])
            return
        if not event.downlinks:
            return
        downlink = event.downlinks[0]
        record = self._lora.get((downlink.extra or {}).get(PROVIDER, ""))
        if record is None or record.in_flight is not downlink:
            return  # another provider's, or one this record no longer waits for
        if event.kind == "scheduled":
            self._execute(record)
        elif event.kind == "sent":
            self._transmitted(record)
        elif event.kind == "acked":
            self._succeed(record)
        elif event.kind == "nacked":
            if record.retry_count < record.retry_limit:
                record.retry_count += 1
                self._retry(record, NOT_ACKNOWLEDGED)
                self._enqueue_lora(record)
            else:
                self._fail(record, NOT_ACKNOWLEDGED)
        elif event.kind == "failed":
            self._fail(record, FAILED_TO_TRANSMIT["lora"])

    # -- ending ----------------------------------------------------------------------------
    def _timeout(self, record: Record) -> None:
        if record.finished:
            return
        self._withdraw(record)
        self._fail(record, TIMEOUT_REASON.get(record.api, FEEDBACK_TIMEOUT))
        if record.api == "http":
            self._promote_http(record.device)

    def cancel(self, record: Record, reason: str = CANCELLED) -> None:
        """Cancel a protocol downlink (and the actuator downlink it carries) at once; with
        `EVICTED`, the store is dropping it while in flight (store.py)."""
        self._withdraw(record)
        self._fail(record, reason)
        if record.api == "http":
            self._promote_http(record.device)

    def _withdraw(self, record: Record) -> None:
        flight = record.in_flight
        if isinstance(flight, Downlink):
            self.network.withdraw(record.device.core, flight)
        elif isinstance(flight, Submission):
            flight.cancelled = True
        elif flight is record:
            self.mailbox.remove(record.device.core.id, record)
        record.in_flight = None

    # -- what a device has in flight ------------------------------------------------------------
    def _opened(self, record: Record) -> None:
        if record.api != "lora" and not record.finished:
            self._open.setdefault(record.device.core.id, set()).add(record.id)

    def _closed(self, record: Record) -> None:
        """The record is DONE: its device has one downlink fewer in flight, and the timeline
        says how it ended."""
        waiting = self._open.get(record.device.core.id)
        if waiting is not None:
            waiting.discard(record.id)
            if not waiting:
                del self._open[record.device.core.id]
        self.narrator.finished(record)

    def state(self, device: KpnDevice) -> tuple[str, int]:
        """An MQTT, SMS or HTTP device's state in the words of what its downlinks wait
        for, and how many are not finished (`PENDING` or `EXECUTING`)."""
        core_id = device.core.id
        count = len(self._open.get(core_id, ()))
        if device.bearer == "mqtt" and core_id in self.broker.down:
            return "broker down", count
        if device.bearer == "sms" and core_id in self.carrier.unreachable:
            return "unreachable", count
        if not count:
            return "idle", 0
        words = {"sms": "with the carrier", "http": "awaiting its request"}
        return words.get(device.bearer, "publishing"), count

    # -- transitions (and what the actuator downlink makes of them) --------------------------
    def _touch(self, record: Record) -> Micros:
        record.modified_at = self.clock.now_us()
        return record.modified_at

    def _execute(self, record: Record) -> None:
        if record.status != PENDING:
            return
        record.status = EXECUTING
        self._touch(record)
        self.narrator.executing(record)
        parent = record.parent
        if parent is not None and parent.status == PENDING:
            parent.status = EXECUTING
            parent.logs.append(LogEntry(self._touch(parent), "DOWNLINK_STARTED"))

    def _transmitted(self, record: Record) -> None:
        self._touch(record)
        parent = record.parent
        if parent is not None and not parent.finished:
            parent.status = SENT_TO_CARRIER
            parent.logs.append(LogEntry(self._touch(parent), "DOWNLINK_PART_SENT"))

    def _retry(self, record: Record, reason: str) -> None:
        self._touch(record)
        parent = record.parent
        if parent is not None and not parent.finished:
            parent.status = RETRY
            parent.logs.append(LogEntry(self._touch(parent), "DOWNLINK_PART_FAILED", reason))

    def _succeed(self, record: Record) -> None:
        self.narrator.delivered(record)
        record.status = DONE
        record.in_flight = None
        self._lora.pop(record.id, None)
        self._touch(record)
        self._closed(record)
        parent = record.parent
        if parent is not None and not parent.finished:
            parent.status = DELIVERED
            at = self._touch(parent)
            if not record.dry_run:
                parent.logs.append(LogEntry(at, "DOWNLINK_PART_DELIVERED"))
            parent.logs.append(LogEntry(at, "DOWNLINK_DELIVERED"))

    def _fail(self, record: Record, reason: str) -> None:
        record.status = DONE
        record.last_failure_reason = reason
        record.in_flight = None
        self._lora.pop(record.id, None)
        self._touch(record)
        self._closed(record)
        parent = record.parent
        if parent is not None and not parent.finished:
            at = self._touch(parent)
            if reason == CANCELLED:
                parent.status = CANCELLED
            else:
                parent.status = FAILED
                parent.logs.append(LogEntry(at, "DOWNLINK_PART_FAILED", reason))
            parent.logs.append(LogEntry(at, "DOWNLINK_FAILED", reason))


class _FeedbackDue:
    """A feedback timer's callback: the record held weakly, and no closure. A create keeps
    its timer until the feedback timeout (10 minutes by default), so the objects it keeps
    are long-lived: a function with two cells was three more for every full collection of
    the cyclic garbage collector to walk, which is what a busy store's creates paid most."""

    __slots__ = ("held", "lifecycle")

    def __init__(self, lifecycle: Lifecycle, held: weakref.ref[Record]) -> None:
        self.lifecycle = lifecycle
        self.held = held

    def __call__(self) -> None:
        found = self.held()
        if found is not None:
            self.lifecycle._timeout(found)
