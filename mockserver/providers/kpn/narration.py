"""A KPN downlink's life told in its device's timeline, as the network core tells a LoRaWAN
frame's: `GET /_mock/devices/{id}/events`, the dashboard's timeline and
`server.network.timeline(id)` read it.

The core narrates what the radio does to a LoRa downlink (`queued`, `scheduled`, `sent`,
`acked`...). KPN's MQTT, SMS and HTTP bearers never reach the radio, so without this their
devices' timelines stayed empty while the API moved their downlinks to `DONE`. Every KPN
protocol downlink therefore adds the steps of its status as the API shows them, each at the
instant the record's `modifiedAt` takes (the same clock reading):

- `created` (`PENDING`), `executing` (`EXECUTING`), then `done` (`DONE`, with
  `last_failure_reason` when it is not a success) or `cancelled` (`DONE`, `CANCELLED`);

and, for the bearers the core does not narrate, what the bearer did in between:

- `sent` (handed to the broker or the carrier; an SMS once per attempt), `delivered` (the
  broker took it, the carrier reported it delivered, the device's request carried it), and
  `failed` (the broker connection was down, the carrier reported it undelivered; `will_retry`
  says whether another attempt follows, `fault` names a scenario's `broker_down` or
  `carrier_failure` when one caused it).

Every event names its `downlink_id` (the API's `id`) and `bearer`; an actuator downlink's
protocol downlink also names the `actuator_id`. Details are plain values (the timeline
keeps up to its length of them per device).
"""

from __future__ import annotations

from typing import Any

from mockserver.core import Network
from mockserver.core.devices import LORA
from mockserver.providers.kpn.records import CANCELLED, DONE, EXECUTING, PENDING, Record


class Narrator:
    """Emits a protocol downlink's steps into its device's timeline, through the network."""

    def __init__(self, network: Network) -> None:
        self.network = network

    def _emit(
        self, kind: str, record: Record, *, status: str | None = None, **details: Any
    ) -> None:
        """A status step is stamped with the record's `modifiedAt` (the API's time of that
        status); a bearer's step with now."""
        facts: dict[str, Any] = {"downlink_id": record.id, "bearer": record.api}
        if record.parent is not None:
            facts["actuator_id"] = record.parent.id
        if status is not None:
            facts["status"] = status
        at = record.modified_at if status is not None else None
        self.network.emit(kind, record.device.core, [], at=at, **facts, **details)

    @staticmethod
    def by_bearer(record: Record) -> bool:
        """Whether the bearer's own steps are told here: not for a LoRa frame on air, whose
        steps the network core tells (`scheduled`, `sent`, `acked`...)."""
        return record.api != LORA or record.dry_run

    # -- statuses, every bearer --------------------------------------------------------------
    def created(self, record: Record) -> None:
        extra = {"dry_run": True} if record.dry_run else {}
        self._emit("created", record, status=PENDING, message=record.message, **extra)

    def executing(self, record: Record) -> None:
        self._emit("executing", record, status=EXECUTING)

    def finished(self, record: Record) -> None:
        reason = record.last_failure_reason
        if reason == CANCELLED:
            self._emit("cancelled", record, status=DONE, last_failure_reason=reason)
        elif reason:
            self._emit("done", record, status=DONE, last_failure_reason=reason)
        else:
            self._emit("done", record, status=DONE)

    # -- what the bearer did (MQTT, SMS, HTTP) -------------------------------------------------
    def sent(self, record: Record, via: str, **details: Any) -> None:
        if self.by_bearer(record):
            self._emit("sent", record, via=via, **details)

    def delivered(self, record: Record) -> None:
        if self.by_bearer(record) and not record.dry_run:
            self._emit("delivered", record)

    def failed(
        self, record: Record, reason: str, *, will_retry: bool, fault: str | None = None
    ) -> None:
        """`fault`: the scenario's delivery fault that caused it (`broker_down`,
        `carrier_failure`), which the dashboard draws as a scenario fault."""
        if self.by_bearer(record):
            extra = {"fault": fault} if fault else {}
            self._emit(
                "failed",
                record,
                reason=reason,
                retry_count=record.retry_count,
                will_retry=will_retry,
                **extra,
            )
