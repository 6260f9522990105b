"""TTS's FORMATTER_CAYENNELPP (pkg/messageprocessors/cayennelpp, go-cayenne-lib).

Uplinks: channel, type, value, repeated; each value becomes `<name>_<channel>`
(`temperature_1: 25.5`; the accelerometer, gyrometer and GPS give objects). A truncated
value is `unexpected EOF`, an unknown type `cayennelpp: unknown type` (TTS's `output`
error; an uplink that fails to decode goes out without `decoded_payload`).

Downlinks: only `value_<channel>` keys with number values are encoded, each as the channel
then the value times 100 as a big-endian int16 (Go's conversion: truncated, wrapping);
every other key is skipped. TTS walks a Go map, so with several keys the byte order varies
from run to run; the simulator keeps the order of the request. Decoding a downlink reads
channel and int16 pairs until the bytes end or a channel 0xFF. CayenneLPP sets no FPort:
a `decoded_payload` push without `f_port` gets `no_f_port`.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from typing import Any

_INT64 = 2**63
UNEXPECTED_EOF = "unexpected EOF"
UNKNOWN_TYPE = "cayennelpp: unknown type"


class DecodeError(ValueError):
    """go-cayenne-lib's decoder error (its text: `unexpected EOF`, `cayennelpp: unknown type`)."""


def _i16(raw: bytes, scale: float) -> float:
    value: int = struct.unpack(">h", raw)[0]
    return value / scale


def _xyz(scale: float) -> Callable[[bytes], dict[str, float]]:
    def read(raw: bytes) -> dict[str, float]:
        x, y, z = struct.unpack(">hhh", raw)
        return {"x": x / scale, "y": y / scale, "z": z / scale}

    return read


def _gps(raw: bytes) -> dict[str, float]:
    def signed24(part: bytes) -> int:
        return int.from_bytes(part, "big", signed=True)

    return {
        "latitude": signed24(raw[0:3]) / 10000,
        "longitude": signed24(raw[3:6]) / 10000,
        "altitude": signed24(raw[6:9]) / 100,
    }


#: type → (name, size, reader).
_TYPES: dict[int, tuple[str, int, Callable[[bytes], Any]]] = {
    0: ("digital_in", 1, lambda raw: raw[0]),
    1: ("digital_out", 1, lambda raw: raw[0]),
    2: ("analog_in", 2, lambda raw: _i16(raw, 100)),
    3: ("analog_out", 2, lambda raw: _i16(raw, 100)),
    101: ("luminosity", 2, lambda raw: struct.unpack(">H", raw)[0]),
    102: ("presence", 1, lambda raw: raw[0]),
    103: ("temperature", 2, lambda raw: _i16(raw, 10)),
    104: ("relative_humidity", 1, lambda raw: raw[0] / 2),
    113: ("accelerometer", 6, _xyz(1000)),
    115: ("barometric_pressure", 2, lambda raw: _i16(raw, 10)),
    134: ("gyrometer", 6, _xyz(100)),
    136: ("gps", 9, _gps),
}


def decode_uplink(payload: bytes) -> dict[str, Any]:
    decoded: dict[str, Any] = {}
    at = 0
    while at < len(payload):
        if at + 2 > len(payload):
            raise DecodeError(UNEXPECTED_EOF)
        channel, kind = payload[at], payload[at + 1]
        at += 2
        if kind not in _TYPES:
            raise DecodeError(UNKNOWN_TYPE)
        name, size, read = _TYPES[kind]
        if at + size > len(payload):
            raise DecodeError(UNEXPECTED_EOF)
        decoded[f"{name}_{channel}"] = _json_number(read(payload[at : at + size]))
        at += size
    return decoded


def decode_downlink(payload: bytes) -> dict[str, Any]:
    decoded: dict[str, Any] = {}
    at = 0
    while at < len(payload):
        channel = payload[at]
        at += 1
        if channel == 0xFF:
            break
        if at + 2 > len(payload):
            raise DecodeError(UNEXPECTED_EOF)
        decoded[f"value_{channel}"] = _json_number(_i16(payload[at : at + 2], 100))
        at += 2
    return decoded


def encode_downlink(decoded_payload: dict[str, Any]) -> bytes:
    out = bytearray()
    for name, value in decoded_payload.items():
        channel = _value_channel(name)
        if channel is None or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        out.append(channel)
        out += (_go_int64(value * 100) & 0xFFFF).to_bytes(2, "big")
    return bytes(out)


def _value_channel(name: str) -> int | None:
    """parseName: the key is everything before the last `_`, the channel 0..255 after it
    (strconv.Atoi: an optional sign, then ASCII digits)."""
    key, underscore, channel = name.rpartition("_")
    if not underscore or key != "value":
        return None
    digits = channel[1:] if channel[:1] in "+-" else channel
    if not digits or not digits.isascii() or not digits.isdigit():
        return None
    number = int(channel)
    return number if 0 <= number <= 255 else None


def _go_int64(value: float) -> int:
    if math.isnan(value) or math.isinf(value) or not -_INT64 <= math.trunc(value) < _INT64:
        return -_INT64
    return math.trunc(value)


def _json_number(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _json_number(item) for key, item in value.items()}
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
