"""How the admin API writes the simulator's objects as JSON (one place, one shape)."""

from __future__ import annotations

import base64
from typing import Any

from mockserver.clock import timestamp
from mockserver.contract import Contract
from mockserver.core import Device, Downlink
from mockserver.core.network import NetworkEvent
from mockserver.core.snapshot import downlink_to_json, uplink_to_json
from mockserver.core.uplinks import Uplink
from mockserver.lorawan.airtime import phy_payload_size
from mockserver.lorawan.regions import band
from mockserver.reports import build_report
from mockserver.types import SECOND

#: Events of one frame on air at a data rate the event names: their airtime can be shown.
_TRANSMISSIONS = frozenset({"scheduled", "sent", "failed"})


def device_json(device: Device) -> dict[str, Any]:
    session = device.session
    return {
        "id": device.id,
        "provider": device.provider,
        "bearer": device.bearer,
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
    """A snapshot's downlink as the admin API shows it: a timestamp, not microseconds, and
    none of the provider's own `extra`."""
    shown = downlink_to_json(downlink)
    del shown["extra"]
    shown["queued_at"] = timestamp(downlink.queued_at)
    if downlink.absolute_time is not None:
        shown["absolute_time"] = timestamp(downlink.absolute_time)
    return shown


def uplink_json(uplink: Uplink) -> dict[str, Any]:
    shown = uplink_to_json(uplink)
    shown["received_at"] = timestamp(uplink.received_at)
    return shown


def event_json(event: NetworkEvent, device: Device | None = None) -> dict[str, Any]:
    """The event as the core recorded it; given its device, also the radio timing that the
    event implies but does not store (see `radio_timing`)."""
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
        **(radio_timing(event, device) if device is not None else {}),
    }


def radio_timing(event: NetworkEvent, device: Device) -> dict[str, Any]:
    """What a timeline draws beside the event: an uplink's RX1 and RX2 window openings, and
    the time on air of an uplink or a downlink transmission at its data rate.

    Worked out when asked, from the device as it is now (a PATCHed `rx1_delay` or band moves
    past uplinks' windows too): the core records events as plain values and keeps no radio
    arithmetic on the request path. An uplink's airtime ends at its `at` (the network times
    everything from the end of the frame); a downlink's starts at its `transmit_at`.
    """
    details = event.details
    rate = details.get("data_rate")
    timing: dict[str, Any] = {}
    if event.kind == "uplink":
        rx1 = event.at + device.rx1_delay
        timing["rx1_at"] = timestamp(rx1)
        timing["rx2_at"] = timestamp(rx1 + SECOND)
        payload = details.get("frm_payload", b"")
        has_port = details.get("f_port") is not None
    elif event.kind in _TRANSMISSIONS and event.downlinks:
        payload = event.downlinks[0].frm_payload
        has_port = True
    else:
        return timing
    if isinstance(rate, int):
        try:
            size = phy_payload_size(len(payload), has_fport=has_port or bool(payload))
            airtime = band(device.band).data_rate(rate).time_on_air(size)
        except ValueError:  # a rate or size the band cannot send: no airtime to show
            return timing
        timing["airtime_ms"] = airtime / 1000
    return timing


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
