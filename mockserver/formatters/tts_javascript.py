"""TTS's FORMATTER_JAVASCRIPT: the contract it wraps around the user's functions.

Facts from pkg/messageprocessors/javascript and pkg/scripting/javascript (TTS v3):

- The script runs with a `main(input)` of TTS's appended after it, and TTS puts a newline
  and two tabs before the script, so the script's line N is line N+1 in TTS's messages; the
  programs below keep that layout, so positions read as TTS's do.
- encode: `main` calls `encodeDownlink({data, fPort})` if it is a function, else the TTN v2
  `Encoder(data, fPort)` (its return value as `bytes`, the input's fPort as `fPort`).
  `input.fPort` is the request's FPort, 0 when unset. The result is read into
  `{bytes []uint8, fPort *uint8, warnings []string, errors []string}` with goja's rules
  (mockserver.formatters.go_export); `errors` → `output_errors` (the texts joined by ", ");
  the result's `fPort` wins, else the request's, else 1; `warnings` become
  `decoded_payload_warnings`.
- decode downlink: `decodeDownlink({bytes, fPort})` (a copy of the bytes) →
  `{data map, warnings, errors}`.
- decode uplink: `decodeUplink({bytes, fPort, recvTime})` (`recvTime` a Date of the
  uplink's reception, as TTS documents it today), then `normalizeUplink({data})` when that
  is a function and decoding gave data and no errors; else the TTN v2 `Decoder(bytes,
  fPort)` as `data`. Without a normalizer, decoded data that parses as normalized payload
  is taken as it (mockserver.formatters.normalized).
- Running: a fresh VM per message, the whole script then `main`, under a 100 ms timeout:
  `script_timeout`; a throw: `script` with goja's text as `message`; `main` not a function:
  `entrypoint_not_found`; `main` returning null or undefined: `output` caused by
  `no_script_output`; a result goja cannot convert: `output`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, cast

from mockserver.formatters import engine, go_export, normalized
from mockserver.formatters import tts_errors as errors

_LAYOUT = "\n\t\t{script}\n\n\t\t{main}\n\t"
_ENCODE_MAIN = """function main(input) {
			var data = input.data, fPort = input.fPort;
			if (typeof encodeDownlink === 'function') {
				return encodeDownlink({ data: data, fPort: fPort });
			}
			return { bytes: Encoder(data, fPort), fPort: input.fPort };
		}"""
_DECODE_DOWN_MAIN = """function main(input) {
			var bytes = input.bytes.slice(), fPort = input.fPort;
			return decodeDownlink({ bytes: bytes, fPort: fPort });
		}"""
_DECODE_UP_MAIN = """function main(input) {
			var bytes = input.bytes.slice(), fPort = input.fPort;
			var recvTime = input.recvTime === undefined ? undefined : new Date(input.recvTime);
			if (typeof decodeUplink === 'function') {
				var decoded = decodeUplink({ bytes: bytes, fPort: fPort, recvTime: recvTime });
				var normalized;
				var data = decoded.data, errors = decoded.errors;
				if ((!errors || !errors.length) && data && typeof normalizeUplink === 'function') {
					normalized = normalizeUplink({ data: data });
				}
				return { decoded: decoded, normalized: normalized };
			}
			return { decoded: { data: Decoder(bytes, fPort) } };
		}"""
_UNDEFINED = ["u"]


@dataclass(frozen=True)
class Encoded:
    frm_payload: bytes
    f_port: int
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Decoded:
    """`decoded_payload` (None when the script gave no data) and what comes with it."""

    data: dict[str, Any] | None
    warnings: list[str] = field(default_factory=list)
    normalized: list[dict[str, Any]] | None = None
    normalized_warnings: list[str] = field(default_factory=list)


def program(script: str, main: str) -> str:
    return _LAYOUT.format(script=script, main=main)


def encode_downlink(script: str, data: dict[str, Any], f_port: int) -> Encoded:
    result = _run(script, _ENCODE_MAIN, {"data": data, "fPort": f_port & 0xFF})
    try:
        output = _fields(result)
        frm_payload = go_export.uint8_slice(output.get("bytes", _UNDEFINED), "bytes") or b""
        result_port = go_export.uint8_pointer(output.get("fPort", _UNDEFINED))
        warnings = go_export.string_slice(output.get("warnings", _UNDEFINED), "warnings") or []
        problems = go_export.string_slice(output.get("errors", _UNDEFINED), "errors") or []
    except go_export.ExportError:
        raise errors.OUTPUT() from None
    if problems:
        raise errors.OUTPUT_ERRORS(errors=", ".join(problems))
    if result_port is not None:
        f_port = result_port
    elif f_port == 0:
        f_port = 1
    return Encoded(frm_payload, f_port, warnings)


def decode_downlink(script: str, frm_payload: bytes, f_port: int) -> Decoded:
    result = _run(script, _DECODE_DOWN_MAIN, _bytes_input(frm_payload, f_port))
    return _decoded(_fields(result))


def decode_uplink(
    script: str, frm_payload: bytes, f_port: int, recv_time_ms: int | None = None
) -> Decoded:
    """`recv_time_ms`: when the uplink was received (ms since the epoch), the input's
    `recvTime` (a Date), as current TTS passes it; None leaves it out."""
    argument = _bytes_input(frm_payload, f_port)
    if recv_time_ms is not None:
        argument["recvTime"] = recv_time_ms
    result = _run(script, _DECODE_UP_MAIN, argument)
    output = _fields(result)
    decoded_node = output.get("decoded", _UNDEFINED)
    decoded = go_export.fields(decoded_node)
    if decoded is None:
        if decoded_node[0] not in ("u", "n"):  # a number, string or boolean: not a struct
            raise errors.OUTPUT()
        decoded = {}
    plain = _decoded(decoded)
    normalized_node = output.get("normalized", _UNDEFINED)
    if normalized_node[0] in ("u", "n"):
        measurements, warnings = normalized.parse_loosely(plain.data)
        return Decoded(plain.data, plain.warnings, measurements, warnings)
    fields = go_export.fields(normalized_node)
    if fields is None:
        raise errors.OUTPUT()
    try:
        problems = go_export.string_slice(fields.get("errors", _UNDEFINED), "errors") or []
        warnings = go_export.string_slice(fields.get("warnings", _UNDEFINED), "warnings") or []
    except go_export.ExportError:
        raise errors.OUTPUT() from None
    if problems:
        raise errors.OUTPUT_ERRORS(errors=", ".join(problems))
    measurements, more = normalized.parse_strictly(fields.get("data", _UNDEFINED))
    if measurements is None:
        return Decoded(plain.data, plain.warnings)
    return Decoded(plain.data, plain.warnings, measurements, warnings + more)


def _decoded(output: dict[str, Any]) -> Decoded:
    """`{data, warnings, errors}`: exported first (a `data` that is no object is `output`),
    then `errors` checked, then `data` made a protobuf Struct (a function in it: `output`)."""
    data_node = output.get("data", _UNDEFINED)
    try:
        if data_node[0] in ("b", "d", "s", "i", "y"):
            raise go_export.ExportError("data is not an object")
        problems = go_export.string_slice(output.get("errors", _UNDEFINED), "errors") or []
        warnings = go_export.string_slice(output.get("warnings", _UNDEFINED), "warnings") or []
    except go_export.ExportError:
        raise errors.OUTPUT() from None
    if problems:
        raise errors.OUTPUT_ERRORS(errors=", ".join(problems))
    try:
        data = go_export.string_map(data_node, "data")
    except go_export.ExportError:
        raise errors.OUTPUT() from None
    return Decoded(data, warnings)


def _bytes_input(frm_payload: bytes, f_port: int) -> dict[str, Any]:
    return {"bytes": list(frm_payload), "fPort": f_port & 0xFF}


def _run(script: str, main: str, argument: dict[str, Any]) -> list[Any]:
    """The tagged result of `main(argument)` after `script`, or the TTS error the run ended
    with."""
    source = program(script, main)
    outcome = engine.run(source, "main", argument, script=script)
    if outcome.stage == "done":
        if outcome.value[0] in ("u", "n"):
            raise errors.OUTPUT(errors.NO_SCRIPT_OUTPUT())
        return cast(list[Any], outcome.value)  # the harness's tagged tree
    if outcome.stage == "timeout":
        raise errors.SCRIPT_TIMEOUT()
    if outcome.stage == "entrypoint":
        raise errors.ENTRYPOINT_NOT_FOUND(entrypoint="main")
    raise errors.SCRIPT(message=goja_message(outcome, source))


def _fields(result: list[Any]) -> dict[str, list[Any]]:
    fields = go_export.fields(result)
    if fields is None:  # a number, string or boolean: not a struct
        raise errors.OUTPUT()
    return fields


def goja_message(outcome: engine.Outcome, source: str | None = None) -> str:
    """An exception as goja's Exception.Error() words it: the value, then where it was
    thrown (`at encodeDownlink (<eval>:4:11)`, or `at <eval>:2:3` at the top level). goja
    also prints its bytecode position in parentheses, which no other engine can know, and
    its columns point elsewhere in the expression than QuickJS's.

    The commonest runtime error of a codec, a property read of undefined or null, is worded
    as goja words it (vm.go): `Cannot read property 'x' of undefined` for either, and
    `... of undefined or null` when the property is called (`source`, the program run, shows
    which)."""
    text = _gojas_words(outcome, source)
    frame = outcome.frame
    if frame is None:
        return text
    where = f"<eval>:{frame.line}:{frame.column}"
    if frame.function and frame.function != "<eval>":
        where = f"{frame.function} ({where})"
    return f"{text} at {where}"


_READ_OF_NOTHING = re.compile(
    r"TypeError: cannot read property '(?P<name>.*)' of (?:undefined|null)"
)


def _gojas_words(outcome: engine.Outcome, source: str | None) -> str:
    match = _READ_OF_NOTHING.fullmatch(outcome.text)
    if match is None:
        return outcome.text
    name = match["name"]
    words = f"TypeError: Cannot read property '{name}' of undefined"
    frame = outcome.frame
    if source is not None and frame is not None:
        lines = source.split("\n")
        if 0 < frame.line <= len(lines):
            rest = lines[frame.line - 1][max(frame.column - 1, 0) :]
            if re.search(rf"\.\s*{re.escape(name)}\s*\(", rest):
                words += " or null"
    return words
