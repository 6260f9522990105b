"""The KPN part of `GET/PUT /_mock/snapshot`: every kept downlink as JSON, and back.

What a snapshot holds is what the store holds (store.py): the records with their creation
order, when each finished (expiry counts from it), the links between an actuator downlink
and its protocol downlink, and the store's counters; plus the bearers' flags (broker down,
carrier unreachable). Restoring rebuilds the store and its indexes from it, then hands
each downlink still in flight back to its bearer (Lifecycle.resume) with its feedback
timer, so a restored session goes on as the saved one would have.
"""

from __future__ import annotations

from typing import Any

from mockserver.providers.kpn.devices import DeviceBook
from mockserver.providers.kpn.lifecycle import Lifecycle
from mockserver.providers.kpn.records import (
    ACTUATOR,
    ACTUATOR_FINAL,
    DONE,
    EXECUTING,
    PENDING,
    PROTOCOLS,
    RETRY,
    SENT_TO_CARRIER,
    LogEntry,
    Record,
    parse_duration,
)
from mockserver.providers.kpn.store import RecordStore

VERSION = 1
STATUSES = (PENDING, EXECUTING, DONE, SENT_TO_CARRIER, RETRY, *ACTUATOR_FINAL)


def dump(store: RecordStore, lifecycle: Lifecycle) -> dict[str, Any]:
    store.sweep()
    return {
        "version": VERSION,
        "records": [_record(record) for record in store],
        "expired": store.expired,
        "evicted": store.evicted,
        "broker_down": sorted(lifecycle.broker.down),
        "unreachable": sorted(lifecycle.carrier.unreachable),
    }


def load(
    state: dict[str, Any], devices: DeviceBook, store: RecordStore, lifecycle: Lifecycle
) -> None:
    """Replace what `store` holds with `state`; ValueError (nothing changed) when the state
    is not one `dump` wrote for a world with these devices."""
    try:
        if state.get("version") != VERSION:
            raise ValueError(f"KPN state: version must be {VERSION}")
        records = [_unrecord(item, devices) for item in state["records"]]
        by_id = {record.id: record for record in records}
        for record, item in zip(records, state["records"], strict=True):
            record.parent = _link(by_id, item.get("parent"))
            record.child = _link(by_id, item.get("child"))
        counters = int(state.get("expired", 0)), int(state.get("evicted", 0))
        broker_down = {str(core_id) for core_id in state.get("broker_down", [])}
        unreachable = {str(core_id) for core_id in state.get("unreachable", [])}
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"KPN state is malformed: {error!r}") from None
    lifecycle.forget(list(store))
    store.clear()
    for record in sorted(records, key=lambda record: record.seq):
        store.restore(record)
    store.expired, store.evicted = counters
    lifecycle.broker.down.clear()
    lifecycle.broker.down.update(broker_down)
    lifecycle.carrier.unreachable.clear()
    lifecycle.carrier.unreachable.update(unreachable)
    for record in store:
        if not record.finished and record.api != ACTUATOR:
            lifecycle.resume(record)
    store.sweep()


def _record(record: Record) -> dict[str, Any]:
    return {
        "id": record.id,
        "seq": record.seq,
        "api": record.api,
        "client": record.client,
        "device": record.device.uuid,
        "device_ref": record.device_ref,
        "message": record.message,
        "created_at": record.created_at,
        "modified_at": record.modified_at,
        "finished_at": record.finished_at,
        "status": record.status,
        "feedback_timeout": record.feedback_timeout,
        "dry_run": record.dry_run,
        "retry_limit": record.retry_limit,
        "retry_count": record.retry_count,
        "last_failure_reason": record.last_failure_reason,
        "external_reference": record.external_reference,
        "logs": [[entry.at, entry.event, entry.error_code] for entry in record.logs],
        "parent": record.parent.id if record.parent is not None else None,
        "child": record.child.id if record.child is not None else None,
    }


def _unrecord(item: dict[str, Any], devices: DeviceBook) -> Record:
    device = devices.by_core_id(str(item["device"]))
    if device is None:
        raise ValueError(f"KPN state names device {item['device']!r}, which the world lacks")
    finished_at = item.get("finished_at")
    api, status, feedback = str(item["api"]), str(item["status"]), item.get("feedback_timeout")
    if api not in (ACTUATOR, *PROTOCOLS):
        raise ValueError(f"KPN state: unknown API {api!r}")
    if status not in STATUSES:
        raise ValueError(f"KPN state: unknown status {status!r}")
    if feedback is not None:
        try:
            parse_duration(str(feedback))
        except ValueError:
            raise ValueError(f"KPN state: feedback_timeout {feedback!r} is no duration") from None
    return Record(
        id=str(item["id"]),
        api=api,
        client=str(item["client"]),
        device=device,
        device_ref=str(item["device_ref"]),
        message=item["message"],
        created_at=int(item["created_at"]),
        modified_at=int(item["modified_at"]),
        status=status,
        feedback_timeout=None if feedback is None else str(feedback),
        dry_run=bool(item.get("dry_run", False)),
        retry_limit=int(item.get("retry_limit", 0)),
        retry_count=int(item.get("retry_count", 0)),
        last_failure_reason=item.get("last_failure_reason"),
        external_reference=item.get("external_reference"),
        logs=[LogEntry(int(at), str(event), code) for at, event, code in item.get("logs", [])],
        seq=int(item["seq"]),
        finished_at=None if finished_at is None else int(finished_at),
    )


def _link(by_id: dict[str, Record], downlink_id: Any) -> Record | None:
    if downlink_id is None:
        return None
    if downlink_id not in by_id:
        raise ValueError(f"KPN state links to downlink {downlink_id!r}, which it lacks")
    return by_id[downlink_id]
