"""The network core's state as plain JSON values, and back (GET/PUT /_mock/snapshot).

What a device holds that a world file does not say: its attributes as changed at run time,
its session counters, its downlink queue, and what the scheduler remembers of it (the last
uplink, a confirmed downlink awaiting its answer, the last network-initiated slot). A
downlink the scheduler already took for a radio window but has not yet transmitted (a
timer, which no snapshot can carry) is exported at the head of its queue, so it goes out
again after a restore instead of vanishing.

Values are JSON except bytes, which are tagged `{"$bytes": "<base64>"}` wherever they sit
(a downlink's `extra` may hold a TTS `session_key_id`). Decoding refuses what it cannot read
with `ValueError`, naming the field: the caller turns that into a clear refusal.
"""

from __future__ import annotations

import base64
import binascii
import random
from collections.abc import Mapping
from typing import Any

from mockserver.core.devices import Device, DeviceClass, Session
from mockserver.core.downlinks import Downlink
from mockserver.core.scheduler import Scheduler
from mockserver.core.uplinks import Uplink

BYTES_TAG = "$bytes"


def encode_value(value: Any) -> Any:
    """`value` as JSON: bytes tagged, tuples as lists, mappings and lists walked."""
    if isinstance(value, bytes | bytearray):
        return {BYTES_TAG: base64.b64encode(value).decode()}
    if isinstance(value, Mapping):
        return {str(key): encode_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [encode_value(item) for item in value]
    return value


def decode_value(value: Any) -> Any:
    """The inverse of `encode_value` (tuples come back as lists)."""
    if isinstance(value, dict):
        if set(value) == {BYTES_TAG}:
            return _bytes(value[BYTES_TAG], BYTES_TAG)
        return {key: decode_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [decode_value(item) for item in value]
    return value


def _bytes(text: Any, where: str) -> bytes:
    if not isinstance(text, str):
        raise ValueError(f"{where} must be base64 text")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{where} is not valid base64") from None


def _integer(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{where} must be an integer")
    return value


# -- downlinks and uplinks -----------------------------------------------------------------
def downlink_to_json(downlink: Downlink) -> dict[str, Any]:
    out = {
        "f_port": downlink.f_port,
        "frm_payload": base64.b64encode(downlink.frm_payload).decode(),
        "confirmed": downlink.confirmed,
        "priority": downlink.priority,
        "correlation_ids": list(downlink.correlation_ids),
        "queued_at": downlink.queued_at,
        "extra": encode_value(downlink.extra) if downlink.extra is not None else None,
    }
    if downlink.absolute_time is not None:  # only then: older snapshots stay byte-identical
        out["absolute_time"] = downlink.absolute_time
    return out


def downlink_from_json(raw: Any, where: str) -> Downlink:
    if not isinstance(raw, dict):
        raise ValueError(f"{where} must be an object")
    extra = raw.get("extra")
    if extra is not None and not isinstance(extra, dict):
        raise ValueError(f"{where}.extra must be an object or null")
    correlation_ids = raw.get("correlation_ids", [])
    if not isinstance(correlation_ids, list) or not all(
        isinstance(item, str) for item in correlation_ids
    ):
        raise ValueError(f"{where}.correlation_ids must be a list of strings")
    absolute_time = raw.get("absolute_time")
    return Downlink(
        f_port=_integer(raw.get("f_port"), f"{where}.f_port"),
        frm_payload=_bytes(raw.get("frm_payload", ""), f"{where}.frm_payload"),
        confirmed=bool(raw.get("confirmed", False)),
        priority=_integer(raw.get("priority", 0), f"{where}.priority"),
        correlation_ids=tuple(correlation_ids),
        queued_at=_integer(raw.get("queued_at", 0), f"{where}.queued_at"),
        extra=decode_value(extra) if extra is not None else None,
        absolute_time=(
            None if absolute_time is None else _integer(absolute_time, f"{where}.absolute_time")
        ),
    )


def uplink_to_json(uplink: Uplink) -> dict[str, Any]:
    return {
        "received_at": uplink.received_at,
        "f_port": uplink.f_port,
        "frm_payload": base64.b64encode(uplink.frm_payload).decode(),
        "confirmed": uplink.confirmed,
        "ack": uplink.ack,
        "data_rate": uplink.data_rate,
        "frequency": uplink.frequency,
        "f_cnt": uplink.f_cnt,
    }


def _uplink_from_json(raw: Any, where: str) -> Uplink:
    if not isinstance(raw, dict):
        raise ValueError(f"{where} must be an object")
    f_port = raw.get("f_port")
    return Uplink(
        received_at=_integer(raw.get("received_at"), f"{where}.received_at"),
        f_port=None if f_port is None else _integer(f_port, f"{where}.f_port"),
        frm_payload=_bytes(raw.get("frm_payload", ""), f"{where}.frm_payload"),
        confirmed=bool(raw.get("confirmed", False)),
        ack=bool(raw.get("ack", False)),
        data_rate=_integer(raw.get("data_rate", 5), f"{where}.data_rate"),
        frequency=_integer(raw.get("frequency", 868_100_000), f"{where}.frequency"),
        f_cnt=_integer(raw.get("f_cnt", 0), f"{where}.f_cnt"),
    )


# -- devices -------------------------------------------------------------------------------
def device_to_json(device: Device, scheduler: Scheduler) -> dict[str, Any]:
    """One device's run-time state: attributes, session, queue and scheduler memory."""
    state = scheduler.state(device)
    queue = device.queue.snapshot()
    if state.in_flight is not None:  # taken for a window, not yet on air: goes again
        queue.insert(0, state.in_flight)
    session = device.session
    return {
        "id": device.id,
        "provider": device.provider,
        "class": device.device_class.value,
        "band": device.band,
        "rx1_delay": device.rx1_delay,
        "session": {
            "dev_addr": session.dev_addr,
            "session_key_id": base64.b64encode(session.session_key_id).decode(),
            "last_f_cnt_up": session.last_f_cnt_up,
            "last_f_cnt_down": session.last_f_cnt_down,
        }
        if session is not None
        else None,
        "queue": [downlink_to_json(downlink) for downlink in queue],
        "scheduler": {
            "last_uplink": uplink_to_json(state.last_uplink) if state.last_uplink else None,
            "windows_available": state.windows_available and state.in_flight is None,
            "awaiting_ack": downlink_to_json(state.awaiting_ack) if state.awaiting_ack else None,
            "awaiting_ack_since": state.awaiting_ack_since,
            "last_network_initiated": state.last_network_initiated,
        },
    }


def apply_device_json(device: Device, scheduler: Scheduler, raw: Mapping[str, Any]) -> None:
    """Put a device back as `device_to_json` exported it. Everything is decoded before the
    device changes: a `ValueError` leaves it as it was."""
    where = f"devices[{device.id}]"
    try:
        device_class = DeviceClass(str(raw.get("class")))
    except ValueError:
        raise ValueError(f"{where}.class must be A, B or C") from None
    band = raw.get("band")
    if not isinstance(band, str):
        raise ValueError(f"{where}.band must be a string")
    rx1_delay = _integer(raw.get("rx1_delay"), f"{where}.rx1_delay")
    session = _session_from_json(raw.get("session"), f"{where}.session")
    queue = raw.get("queue", [])
    if not isinstance(queue, list):
        raise ValueError(f"{where}.queue must be a list")
    downlinks = [
        downlink_from_json(item, f"{where}.queue[{index}]") for index, item in enumerate(queue)
    ]
    if device.queue.capacity is not None and len(downlinks) > device.queue.capacity:
        raise ValueError(f"{where}.queue holds more than the device's capacity")
    memory = raw.get("scheduler") or {}
    if not isinstance(memory, dict):
        raise ValueError(f"{where}.scheduler must be an object")
    last_uplink = memory.get("last_uplink")
    awaiting = memory.get("awaiting_ack")
    last_network_initiated = memory.get("last_network_initiated")
    decoded_uplink = (
        _uplink_from_json(last_uplink, f"{where}.scheduler.last_uplink") if last_uplink else None
    )
    decoded_awaiting = (
        downlink_from_json(awaiting, f"{where}.scheduler.awaiting_ack") if awaiting else None
    )
    since = _integer(memory.get("awaiting_ack_since", 0), f"{where}.scheduler.awaiting_ack_since")
    if last_network_initiated is not None:
        _integer(last_network_initiated, f"{where}.scheduler.last_network_initiated")
    # decoded: now change the device
    device.device_class = device_class
    device.band = band
    device.rx1_delay = rx1_delay
    device.session = session
    device.queue.replace(downlinks)
    state = scheduler.state(device)
    state.last_uplink = decoded_uplink
    state.windows_available = bool(memory.get("windows_available", False))
    state.awaiting_ack = decoded_awaiting
    state.awaiting_ack_since = since
    state.last_network_initiated = last_network_initiated
    state.in_flight = None
    state.wake_at = None


def _session_from_json(raw: Any, where: str) -> Session | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ValueError(f"{where} must be an object or null")
    return Session(
        dev_addr=_integer(raw.get("dev_addr"), f"{where}.dev_addr"),
        session_key_id=_bytes(raw.get("session_key_id", ""), f"{where}.session_key_id"),
        last_f_cnt_up=_integer(raw.get("last_f_cnt_up", 0), f"{where}.last_f_cnt_up"),
        last_f_cnt_down=_integer(raw.get("last_f_cnt_down", 0), f"{where}.last_f_cnt_down"),
    )


# -- seeded dice ---------------------------------------------------------------------------
def random_to_json(rng: random.Random) -> list[Any]:
    """A seeded source's position, so a restored world draws what the saved one would have."""
    version, internal, gauss = rng.getstate()
    return [version, list(internal), gauss]


def restore_random(rng: random.Random, raw: Any, where: str) -> None:
    try:
        version, internal, gauss = raw
        rng.setstate((version, tuple(internal), gauss))
    except (TypeError, ValueError):
        raise ValueError(f"{where} is not a random generator's state") from None
