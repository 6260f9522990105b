"""A script's result read with Go's types, as TTS reads it (goja's `Runtime.ExportTo`).

TTS does not check a formatter's output itself: it exports the JavaScript value into Go
structs (`bytes []uint8`, `fPort *uint8`, `warnings []string`, `data map[string]any`) and
whatever goja's conversion does is what the device gets. So a byte of 300 is not refused:
it becomes 44 (goja's toUint8 truncates and keeps the low 8 bits); a string `"5"` is 5; a
string where the byte list belongs is its UTF-8 bytes (Go converts a string to []byte); a
number there cannot become a slice, which is TTS's `output` error. The functions here take
the engine's tagged tree (mockserver.formatters.engine) and either return the Go value or
raise `ExportError` with goja's message.
"""

from __future__ import annotations

import math
from typing import Any, cast

_INT64 = 2**63


class ExportError(ValueError):
    """goja could not convert the value to the Go type (TTS wraps it in its `output` error)."""


def to_number(node: list[Any]) -> float:
    """JavaScript's ToNumber for the primitive a tagged node stands for (NaN for objects
    whose primitive is not a number, which is what a plain object or a function gives)."""
    kind = node[0]
    if kind == "d":
        value = node[1]
        return float(value) if not isinstance(value, str) else float(value.lower())
    if kind == "b":
        return 1.0 if node[1] else 0.0
    if kind == "n":
        return 0.0
    if kind == "s":
        return _string_to_number(node[1])
    if kind == "i":
        return float(int(node[1]))
    if kind in ("a", "t"):
        return _string_to_number(js_string(node))
    return math.nan


def to_uint8(node: list[Any]) -> int:
    """goja's toUint8: ToNumber, NaN and infinities to 0, else truncate to int64 and keep
    the low byte (a float beyond int64 converts to Go's minimum int64, whose low byte is 0)."""
    number = to_number(node)
    if math.isnan(number) or math.isinf(number):
        return 0
    truncated = math.trunc(number)
    return truncated & 0xFF if -_INT64 <= truncated < _INT64 else 0


def uint8_slice(node: list[Any], what: str) -> bytes | None:
    """`[]uint8`: None for null/undefined (Go's nil slice)."""
    kind = node[0]
    if kind in ("u", "n"):
        return None
    if kind == "s":
        return cast(str, node[1]).encode("utf-8", "surrogatepass")  # Go: string → []byte
    if kind == "a":
        return bytes(to_uint8(item) for item in node[1])
    if kind == "t":
        return bytes(to_uint8(["d", item]) for item in node[1])
    raise ExportError(f"could not convert {_describe(node)} to []uint8 ({what})")


def uint8_pointer(node: list[Any]) -> int | None:
    """`*uint8`: None for null/undefined, else toUint8."""
    if node[0] in ("u", "n"):
        return None
    return to_uint8(node)


def string_slice(node: list[Any], what: str) -> list[str] | None:
    """`[]string`: each element as JavaScript's String() gives it."""
    kind = node[0]
    if kind in ("u", "n"):
        return None
    if kind == "a":
        return [js_string(item) for item in node[1]]
    if kind == "t":
        return [js_string(["d", item]) for item in node[1]]
    raise ExportError(f"could not convert {_describe(node)} to []string ({what})")


def fields(node: list[Any]) -> dict[str, list[Any]] | None:
    """The properties of an object for a Go struct: None when the value is not an object."""
    kind = node[0]
    if kind == "o":
        return dict(node[1])
    if kind in ("a", "t", "f", "D"):
        return {}  # an object all the same: the struct's fields come out empty
    return None


def string_map(node: list[Any], what: str) -> dict[str, Any] | None:
    """`map[string]interface{}`, then `goproto.Struct`: what TTS puts in `decoded_payload`."""
    kind = node[0]
    if kind in ("u", "n"):
        return None
    if kind == "o":
        return {key: struct_value(value) for key, value in node[1]}
    if kind == "a":
        return {str(index): struct_value(value) for index, value in enumerate(node[1])}
    if kind == "t":
        return {str(index): _number(item) for index, item in enumerate(node[1])}
    if kind in ("f", "D"):
        return {}
    raise ExportError(f"could not convert {_describe(node)} to map[string]interface {{}} ({what})")


def struct_value(node: list[Any]) -> Any:
    """One `google.protobuf.Value` as TTS's protojson writes it: numbers are doubles (an
    integral one prints without a fraction), NaN and infinities are strings."""
    kind = node[0]
    if kind in ("u", "n"):
        return None
    if kind == "b":
        return node[1]
    if kind == "d":
        return _number(node[1])
    if kind == "s":
        return node[1]
    if kind == "a":
        return [struct_value(item) for item in node[1]]
    if kind == "t":
        return [_number(item) for item in node[1]]
    if kind == "o":
        return {key: struct_value(value) for key, value in node[1]}
    raise ExportError(f"invalid value {_describe(node)}")  # functions, BigInt, dates, symbols


def plain(node: list[Any]) -> Any:
    """Any value as a plain JSON value (TTN v2's otto export), or ExportError."""
    return struct_value(node)


def js_string(node: list[Any]) -> str:
    """JavaScript's String() of the value."""
    kind = node[0]
    if kind == "u":
        return "undefined"
    if kind == "n":
        return "null"
    if kind == "b":
        return "true" if node[1] else "false"
    if kind == "d":
        return number_string(node[1])
    if kind == "s":
        return cast(str, node[1])
    if kind == "i":  # a BigInt: the harness sends its decimal string
        return cast(str, node[1])
    if kind == "a":
        return ",".join("" if item[0] in ("u", "n") else js_string(item) for item in node[1])
    if kind == "t":
        return ",".join(number_string(item) for item in node[1])
    if kind == "f":
        return "function"
    return "[object Object]"


def number_string(value: float | int | str) -> str:
    """Number::toString: integral values without a fraction, exponents from 1e21 and below
    1e-6 (`1e+21`, `1e-7`), NaN and Infinity by name."""
    if isinstance(value, str):
        return value
    number = float(value)
    if number.is_integer() and abs(number) < 1e21:
        return str(int(number))
    text = repr(number)
    if "e" in text:
        mantissa, exponent = text.split("e")
        sign = "-" if exponent.startswith("-") else "+"
        return f"{mantissa.removesuffix('.0')}e{sign}{int(exponent.lstrip('+-'))}"
    return text


def _number(value: float | int | str) -> Any:
    if isinstance(value, str):  # NaN, Infinity, -Infinity: protojson writes them as strings
        return value
    number = float(value)
    if number.is_integer() and abs(number) < 1e21:
        return int(number)
    return number


def _string_to_number(text: str) -> float:
    stripped = text.strip()
    if not stripped:
        return 0.0
    try:
        if stripped[:2].lower() in ("0x", "0o", "0b"):
            return float(int(stripped, 0))
        if stripped in ("Infinity", "+Infinity", "-Infinity"):
            return float(stripped.replace("Infinity", "inf"))
        if any(char.isalpha() and char not in "eE" for char in stripped):
            return math.nan
        return float(stripped)
    except ValueError:
        return math.nan


def _describe(node: list[Any]) -> str:
    kind = node[0]
    if kind == "d":
        return number_string(node[1])
    if kind == "s":
        return cast(str, node[1])
    if kind == "b":
        return js_string(node)
    return {"f": "function", "i": "bigint", "y": "symbol", "D": "Date"}.get(kind, "value")
