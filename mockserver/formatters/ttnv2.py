"""TTN v2's payload functions in JavaScript: `Encoder`, `Decoder`, `Converter`, `Validator`.

Facts from V2's handler (core/handler/custom_functions.go, functions/functions.go), which
ran each function with otto in a fresh VM under a 100 ms timeout, the script followed by
the call (`<script>;\\n Encoder(payload, port)`, with `payload` and `port` set as globals;
the script starts on line 2 of that program):

- `Encoder(payload_fields, port)` must return an Array (`Encoder not valid: does not return
  an Array`) of integral numbers (`Encoder not valid: should return an Array of integer
  numbers`) from 0 to 255 (`Encoder Output not valid: Numbers in Array should be between 0
  and 255`); no encoder: `Downlink Payload not valid: fields supplied, but no Encoder
  function set`;
- `Decoder(bytes, port)` and then `Converter(fields, port)` must return an object
  (`Decoder not valid: does not return an object`, `Converter not valid: …`);
  `Validator(fields, port)` a boolean (`Validator not valid: does not return a boolean`);
  a missing Converter or Validator is skipped;
- a throw: `<name> threw error: <the exception>`; the timeout: `Interrupted javascript
  execution for <name> after <duration>` (both V2 internal errors).

Uplinks: a failing decoder leaves `payload_fields` out and the uplink goes on; a Validator
returning false drops the uplink (`Payload not valid: payload validator function returned
false`): the integration gets nothing. V2 ran otto, an ES5 engine: a script using ES2015
syntax that runs here would not have run on V2 (not checked, docs/formatters.md).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from typing import Any, cast

from mockserver.formatters import engine, go_export
from mockserver.formatters.tts_javascript import goja_message

FUNCTIONS = ("encoder", "decoder", "converter", "validator")
_MAIN = "__mockserver_ttnv2_main__"


class FunctionError(ValueError):
    """A payload function failed; the message is V2's text for it."""


class Dropped(FunctionError):
    """The Validator said no: V2 does not publish the uplink."""


@dataclass(frozen=True)
class PayloadFunctions:
    """An application's scripts (empty: not set)."""

    encoder: str = ""
    decoder: str = ""
    converter: str = ""
    validator: str = ""

    def describe(self) -> dict[str, Any]:
        return {name: len(getattr(self, name)) for name in FUNCTIONS if getattr(self, name)}


def encode(functions: PayloadFunctions, fields: dict[str, Any], port: int) -> bytes:
    if not functions.encoder:
        raise FunctionError(
            "Downlink Payload not valid: fields supplied, but no Encoder function set"
        )
    value = _call("Encoder", functions.encoder, ("payload", fields), port)
    if value[0] not in ("a", "t"):
        raise FunctionError("Encoder not valid: does not return an Array")
    numbers = value[1] if value[0] == "a" else [["d", item] for item in value[1]]
    out = bytearray()
    for item in numbers:
        number = item[1] if item[0] == "d" else None
        if not isinstance(number, int | float) or not _integral(number):
            raise FunctionError("Encoder not valid: should return an Array of integer numbers")
        if not 0 <= number <= 255:
            raise FunctionError(
                "Encoder Output not valid: Numbers in Array should be between 0 and 255"
            )
        out.append(int(number))
    return bytes(out)


def decode(functions: PayloadFunctions, payload: bytes, port: int) -> dict[str, Any] | None:
    """`payload_fields` of an uplink (None without a Decoder); FunctionError when a
    function fails (the uplink goes out without fields), Dropped when the Validator says no."""
    fields: dict[str, Any] | None = None
    if functions.decoder:
        fields = _object("Decoder", functions.decoder, ("payload", list(payload)), port)
    if functions.converter:
        fields = _object("Converter", functions.converter, ("fields", fields), port)
    if functions.validator:
        valid = _call("Validator", functions.validator, ("fields", fields), port)
        if valid[0] != "b":
            raise FunctionError("Validator not valid: does not return a boolean")
        if not valid[1]:
            raise Dropped("Payload not valid: payload validator function returned false")
    return fields


def _object(name: str, script: str, argument: tuple[str, Any], port: int) -> dict[str, Any]:
    value = _call(name, script, argument, port)
    if value[0] != "o":
        raise FunctionError(f"{name} not valid: does not return an object")
    try:
        return go_export.string_map(value, name) or {}
    except go_export.ExportError as error:
        raise FunctionError(f"Fatal error in {name}: {error}") from None


def _call(name: str, script: str, argument: tuple[str, Any], port: int) -> list[Any]:
    """`name(argument, port)` after the script, as V2's program ran it."""
    variable, value = argument
    call = "Decoder(payload.slice(0), port)" if name == "Decoder" else f"{name}({variable}, port)"
    source = (
        f"var {variable} = {json.dumps(value)}, port = {port};\n"
        f"{script};\nfunction {_MAIN}() {{ return {call}; }}\n"
    )
    started = time.perf_counter()
    outcome = engine.run(source, _MAIN)
    if outcome.stage == "done":
        return cast(list[Any], outcome.value)  # the harness's tagged tree
    if outcome.stage == "timeout":
        elapsed = go_duration(time.perf_counter() - started)
        raise FunctionError(
            f"Internal error: Interrupted javascript execution for {name} after {elapsed}"
        )
    raise FunctionError(f"Internal error: {name} threw error: {goja_message(outcome)}")


def _integral(number: float) -> bool:
    return math.isfinite(number) and float(int(number)) == number


def go_duration(seconds: float) -> str:
    """Go's time.Duration.String() for durations under a second (`100.512345ms`)."""
    nanoseconds = round(seconds * 1e9)
    if nanoseconds >= 1_000_000_000:
        return f"{nanoseconds / 1e9:.9f}".rstrip("0").rstrip(".") + "s"
    return f"{nanoseconds / 1e6:.6f}".rstrip("0").rstrip(".") + "ms"
