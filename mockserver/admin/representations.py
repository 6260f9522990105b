"""How the admin API writes the simulator's objects as JSON (one place, one shape)."""

from __future__ import annotations

import base64
from typing import Any

from mockserver.clock import to_datetime
from mockserver.contract import Contract
from mockserver.core import Device, Downlink
from mockserver.core.network import NetworkEvent
from mockserver.core.uplinks import Uplink
from mockserver.reports import build_report
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
    """Per operation: documented statuses, which were hit, and what was seen (the report's
    figures, flattened over providers)."""
    report = build_report(contract)
    operations = [
        {
            "operation": op["operation"],
            "method": op["method"],
            "path": op["path"],
            "documented_statuses": op["documented_statuses"],
            "covered_statuses": op["covered_statuses"],
            "seen": op["seen_statuses"],
        }
        for provider in report["providers"].values()
        for op in provider["operations"]
    ]
    return {
        "operations_total": report["summary"]["operations_total"],
        "operations_exercised": report["summary"]["operations_exercised"],
        "operations": operations,
    }
