"""An application's payload functions: what turns `payload_fields` into bytes and back.

TTN v2 ran the application's JavaScript `Encoder(object, port)` (and `Decoder(bytes,
port)` for uplinks). The simulator runs no JavaScript; a world declares the functions
instead, as one of two layouts:

- `bytes`: `{"bytes": [1, 2, 3]}` ⇄ 01 02 03;
- `fields`: a fixed list of named fields, each one or two bytes in order: `bool` (00/01),
  `uint8`, `int8`, `uint16` and `int16` (big-endian), `enum` (the index of the value in
  `values`). `{"on": true, "color": "blue"}` with fields on:bool and color:enum
  [red, green, blue] encodes to 01 02.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_SIZES = {"bool": 1, "uint8": 1, "int8": 1, "uint16": 2, "int16": 2, "enum": 1}


class EncodeError(ValueError):
    """The encoder could not turn the fields into bytes (the JavaScript would have thrown)."""


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    values: tuple[str, ...] = ()

    def encode(self, value: Any) -> bytes:
        if self.type == "bool":
            if not isinstance(value, bool):
                raise EncodeError(f"{self.name} must be true or false")
            return bytes([int(value)])
        if self.type == "enum":
            if value not in self.values:
                raise EncodeError(f"{self.name} must be one of {', '.join(self.values)}")
            return bytes([self.values.index(value)])
        if not isinstance(value, int) or isinstance(value, bool):
            raise EncodeError(f"{self.name} must be an integer")
        size = _SIZES[self.type]
        try:
            return value.to_bytes(size, "big", signed=self.type.startswith("int"))
        except OverflowError:
            raise EncodeError(f"{self.name} is out of range for {self.type}") from None

    def decode(self, raw: bytes) -> Any:
        if self.type == "bool":
            return raw[0] != 0
        if self.type == "enum":
            return self.values[raw[0]] if raw[0] < len(self.values) else raw[0]
        return int.from_bytes(raw, "big", signed=self.type.startswith("int"))


@dataclass(frozen=True)
class PayloadFunction:
    """One declared layout, used as an encoder (downlinks) or a decoder (uplinks)."""

    kind: str  # "bytes" or "fields"
    fields: tuple[Field, ...] = ()

    def encode(self, payload_fields: Mapping[str, Any]) -> bytes:
        if self.kind == "bytes":
            values = payload_fields.get("bytes")
            if not isinstance(values, list) or not all(
                isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in values
            ):
                raise EncodeError("bytes must be a list of integers from 0 to 255")
            return bytes(values)
        missing = [field.name for field in self.fields if field.name not in payload_fields]
        if missing:
            raise EncodeError(f"missing {', '.join(missing)}")
        return b"".join(field.encode(payload_fields[field.name]) for field in self.fields)

    def decode(self, payload: bytes) -> dict[str, Any] | None:
        """The fields of an uplink payload; None when the layout does not fit it."""
        if self.kind == "bytes":
            return {"bytes": list(payload)} if payload else None
        if len(payload) != sum(_SIZES[field.type] for field in self.fields):
            return None
        result: dict[str, Any] = {}
        offset = 0
        for field in self.fields:
            size = _SIZES[field.type]
            result[field.name] = field.decode(payload[offset : offset + size])
            offset += size
        return result or None


def payload_function(config: Mapping[str, Any] | None) -> PayloadFunction | None:
    if not config:
        return None
    return PayloadFunction(
        kind=config["type"],
        fields=tuple(
            Field(raw["name"], raw["type"], tuple(raw.get("values", ())))
            for raw in config.get("fields", ())
        ),
    )


SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["type"],
    "properties": {
        "type": {"enum": ["bytes", "fields"]},
        "fields": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "type"],
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    "type": {"enum": sorted(_SIZES)},
                    "values": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                },
            },
        },
    },
}
