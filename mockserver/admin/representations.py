"""How the admin API writes the simulator's objects as JSON (one place, one shape)."""

from __future__ import annotations

import base64
from typing import Any

from mockserver.clock import to_datetime
from mockserver.contract import Contract
from mockserver.core import Device, Downlink
from mockserver.core.network import NetworkEvent
from mockserver.core.uplinks import Uplink
from mockserver.types import Micros


def timestamp(instant: Micros) -> str:
    return to_datetime(instant).isoformat().replace("+00:00", "Z")


def device_json(device: Device) -> dict[str, Any]:
    session = device.session
    return {
        "id": device.id,
        "provider": device.provider,
        "dev_eui": device.dev_eui,
        "join_eui": device.join_eui,
        "class": device.device_class.value,
        "band": device.band,
        "rx1_delay": device.rx1_delay / 1_000_000,
        "session": {
            "dev_addr": f"{session.dev_addr:08X}",
            "last_f_cnt_up": session.last_f_cnt_up,
            "last_f_cnt_down": session.last_f_cnt_down,
        }
        if session
        else None,
        "queued": len(device.queue),
    }


def downlink_json(downlink: Downlink) -> dict[str, Any]:
    return {
        "f_port": downlink.f_port,
        "frm_payload": base64.b64encode(downlink.frm_payload).decode(),
        "confirmed": downlink.confirmed,
        "priority": downlink.priority,
        "correlation_ids": list(downlink.correlation_ids),
        "queued_at": timestamp(downlink.queued_at),
    }


def uplink_json(uplink: Uplink) -> dict[str, Any]:
    return {
        "received_at": timestamp(uplink.received_at),
        "f_port": uplink.f_port,
        "frm_payload": base64.b64encode(uplink.frm_payload).decode(),
        "confirmed": uplink.confirmed,
        "ack": uplink.ack,
        "data_rate": uplink.data_rate,
        "frequency": uplink.frequency,
        "f_cnt": uplink.f_cnt,
    }


def event_json(event: NetworkEvent) -> dict[str, Any]:
    details: dict[str, Any] = {}
    for key, value in event.details.items():
        if isinstance(value, bytes):
            details[key] = base64.b64encode(value).decode()
        else:
            details[key] = timestamp(value) if key.endswith("_at") else value
    return {
        "kind": event.kind,
        "at": timestamp(event.at),
        "downlinks": [downlink_json(downlink) for downlink in event.downlinks],
        **details,
    }


def coverage_json(contract: Contract) -> dict[str, Any]:
    """Per operation: documented statuses, what was seen, and which documented ones were hit."""
    seen: dict[str, dict[str, int]] = {}
    for (operation, _documented, status), count in contract.log.coverage().items():
        statuses = seen.setdefault(operation, {})
        statuses[str(status)] = statuses.get(str(status), 0) + count
    covered_keys: dict[str, set[str]] = {}
    for (operation, documented, _status), _count in contract.log.coverage().items():
        covered_keys.setdefault(operation, set()).add(documented)
    operations = []
    for operation in contract.operations():
        documented = sorted(operation.responses)
        hit = sorted(covered_keys.get(operation.key, set()) & set(documented))
        operations.append(
            {
                "operation": operation.key,
                "method": operation.method,
                "path": operation.path,
                "documented_statuses": documented,
                "covered_statuses": hit,
                "seen": seen.get(operation.key, {}),
            }
        )
    exercised = sum(1 for op in operations if op["seen"])
    return {
        "operations_total": len(operations),
        "operations_exercised": exercised,
        "operations": operations,
    }
