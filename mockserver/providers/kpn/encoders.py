"""Encoders: the per-device step that turns a SenML instruction into a protocol message.

KPN Things translates an actuator downlink "using the configured encoder for your device"
(research B5). A world gives each device an `encoder`; without one the bearer's default
below is used. An instruction the encoder cannot translate is rejected after acceptance
(log DOWNLINK_REJECTED), as an encoder runs behind the API.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from mockserver.providers.kpn.devices import KpnDevice

_HEX = re.compile(r"^(?:[0-9a-fA-F]{2})+$")
DEFAULT_ENCODER = {"lora": "raw-hex", "sms": "sms-text", "http": "senml-json", "mqtt": "senml-json"}
DEFAULT_F_PORT = 1
SENML_JSON = "application/senml+json"


class EncodingError(ValueError):
    """The device's encoder cannot express the instruction."""


def encode(
    device: KpnDevice, pack: list[dict[str, Any]], method: Mapping[str, Any]
) -> dict[str, Any]:
    """The protocol message (as the protocol API would store it) for `pack`."""
    kind = device.encoder.get("type") or DEFAULT_ENCODER[device.bearer]
    if kind == "raw-hex":
        if device.bearer != "lora":
            raise EncodingError("the raw-hex encoder only serves LoRa devices")
        payload = "".join(_values(pack, "vs"))
        if not _HEX.match(payload):
            raise EncodingError("raw-hex needs `vs` values of hex digit pairs")
        return _lora(device, payload, method)
    if kind == "table":
        payload = "".join(_table(device.encoder.get("entries") or {}, pack))
        if device.bearer == "lora":
            if not _HEX.match(payload):
                raise EncodingError("the table's payload for LoRa must be hex digit pairs")
            return _lora(device, payload, method)
        return _text(device, payload, method, "text/plain")
    if kind == "sms-text":
        text = "".join(_values(pack, "vs"))
        if not text:
            raise EncodingError("sms-text needs a `vs` value")
        return _text(device, text, method, "text/plain")
    if kind == "senml-json":
        if device.bearer == "lora":
            raise EncodingError("senml-json cannot be sent over LoRa")
        return _text(device, json.dumps(pack, separators=(",", ":")), method, SENML_JSON)
    raise EncodingError(f"unknown encoder {kind!r}")


def _values(pack: list[dict[str, Any]], key: str) -> list[str]:
    return [str(record[key]) for record in pack if key in record]


def _table(entries: Mapping[str, str], pack: list[dict[str, Any]]) -> list[str]:
    out = []
    for record in pack:
        if "n" not in record:
            continue
        for key in ("vs", "v", "vb", "vd"):
            if key in record:
                value = record[key]
                shown = json.dumps(value) if isinstance(value, bool) else str(value)
                entry = f"{record['n']}={shown}"
                if entry not in entries:
                    raise EncodingError(f"the encoder has no entry for {entry!r}")
                out.append(entries[entry])
                break
    if not out:
        raise EncodingError("no record of the instruction has a name and a value")
    return out


def _lora(device: KpnDevice, payload: str, method: Mapping[str, Any]) -> dict[str, Any]:
    port = method.get("fPort") or device.encoder.get("f_port") or DEFAULT_F_PORT
    return {"payloadHex": payload.upper(), "fPort": port}


def _text(
    device: KpnDevice, text: str, method: Mapping[str, Any], content_type: str
) -> dict[str, Any]:
    if device.bearer == "sms":
        return {"text": text}
    if device.bearer == "http":
        return {"type": "text", "body": text}
    if device.bearer == "mqtt":
        return {
            "type": "text",
            "payload": text,
            "topic": method.get("topic") or "downlink",
            "contentType": method.get("contentType") or content_type,
        }
    raise EncodingError(f"text cannot be sent to a {device.bearer} device")
