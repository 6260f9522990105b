"""The downlink body, read as Go's encoding/json reads it into V2's `types.DownlinkMessage`.

Go's decoder matches keys exactly, else case-insensitively; ignores unknown keys and
everything after the first JSON value; leaves a field at its zero value for `null`; and
fails the whole body on a value of the wrong type, with the messages reproduced here
(`json: cannot unmarshal …`, `illegal base64 data at input byte N`, `invalid character …`).
"""

from __future__ import annotations

import base64
import json
import math
import re
from dataclasses import dataclass
from typing import Any, cast

from mockserver import json_strict
from mockserver.providers.ttnv2 import errors

SCHEDULES = ("replace", "first", "last")
_BASE64_CHAR = re.compile(r"[A-Za-z0-9+/]")

#: JSON key → (Go type in error messages, JSON kind it accepts).
_FIELDS: dict[str, tuple[str, type | tuple[type, ...]]] = {
    "app_id": ("string", str),
    "dev_id": ("string", str),
    "port": ("uint8", (int, float)),
    "confirmed": ("bool", bool),
    "payload_raw": ("[]uint8", str),
    "payload_fields": ("map[string]interface {}", dict),
    "schedule": ("types.ScheduleType", str),
}
#: Python's wording of a syntax error → the context Go's scanner names.
_SYNTAX_CONTEXT = {
    "Expecting value": "looking for beginning of value",
    "Expecting property name enclosed in double quotes": (
        "looking for beginning of object key string"
    ),
    "Expecting ':' delimiter": "after object key",
    "Expecting ',' delimiter": "after object key:value pair",
    "Illegal trailing comma before end of object": "looking for beginning of object key string",
    "Illegal trailing comma before end of array": "looking for beginning of value",
    "Invalid control character at": "in string literal",
    "Invalid \\escape": "in string escape code",
}


@dataclass
class DownlinkMessage:
    dev_id: str = ""
    port: int = 0
    confirmed: bool = False
    payload_raw: bytes = b""
    payload_fields: dict[str, Any] | None = None
    schedule: str = ""

    @property
    def empty(self) -> bool:
        """The handler's `len(PayloadRaw) == 0 && len(PayloadFields) == 0`."""
        return not self.payload_raw and not self.payload_fields


def decode(body: bytes) -> DownlinkMessage:
    """The body as the handler receives it, or the 400 Go's decoder would have caused."""
    value = _parse(body)
    message = DownlinkMessage()
    if value is None:
        return message
    if not isinstance(value, dict):
        raise errors.bad_json(
            f"json: cannot unmarshal {_kind(value)} into Go value of type types.DownlinkMessage"
        )
    for key, raw in _fields(value).items():
        if raw is None:
            continue
        go_type, accepted = _FIELDS[key]
        if not isinstance(raw, accepted) or (key != "confirmed" and isinstance(raw, bool)):
            raise _type_error(key, _kind(raw), go_type)
        # _parse reads numbers as literals; `accepted` has just checked the JSON type
        if key == "port":
            message.port = _port(cast(json_strict.IntLiteral | json_strict.FloatLiteral, raw))
        elif key == "payload_raw":
            message.payload_raw = _base64(cast(str, raw))
        elif key == "payload_fields":
            message.payload_fields = _plain(raw)
        elif key != "app_id":  # the URL names the application, not the body
            setattr(message, key, raw)
    return message


def _parse(body: bytes) -> Any:
    if not body.strip(b" \t\r\n"):
        raise errors.bad_json("EOF")
    if body.startswith(b"\xef\xbb\xbf"):  # Go reads a byte-order mark as its first byte
        raise errors.bad_json("invalid character 'ï' looking for beginning of value")
    # Go replaces invalid UTF-8, and escaped unpaired surrogates, with U+FFFD.
    text = body.decode("utf-8", "replace")
    try:
        value = json_strict.loads(text.encode(), first_value_only=True, literals=True)
    except json_strict.TooDeepError as error:
        depth = f"invalid character {_quote(error.char)} exceeded max depth"
        raise errors.bad_json(depth) from None
    except json.JSONDecodeError as error:
        raise errors.bad_json(_syntax_error(error.doc, error.pos, error.msg)) from None
    except ValueError:  # NaN, Infinity: Go's scanner stops at their first letter
        raise errors.bad_json(_constant_error(text)) from None
    return json_strict.replace_lone_surrogates(value)


def _port(raw: json_strict.IntLiteral | json_strict.FloatLiteral) -> int:
    """strconv.ParseUint(literal, 10, 8): digits only (no fraction, exponent or sign, not even
    `-0`), at most 255; Go's error quotes the literal as written."""
    if isinstance(raw, float) or raw.literal.startswith("-") or not 0 <= raw <= 255:
        raise _type_error("port", f"number {raw.literal}", "uint8")
    return int(raw)


def _plain(value: Any) -> Any:
    """`payload_fields` as Go's `interface{}` holds it, with plain Python numbers. Go parses
    every number in it as a float64: one beyond float64's range (`1e400`) fails the body."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, json_strict.IntLiteral | json_strict.FloatLiteral):
        if not _fits_float64(value):
            raise _type_error("payload_fields", f"number {value.literal}", "float64")
        return float(value) if isinstance(value, float) else int(value)
    return value


def _fits_float64(value: float) -> bool:
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an integer literal too long for any float
        return False


def _syntax_error(text: str, position: int, reason: str) -> str:
    """Go's scanner error for the character Python's parser stopped at."""
    if position >= len(text.rstrip(" \t\r\n")):
        return "unexpected EOF"
    char = text[position]
    for literal in ("true", "false", "null"):
        if char == literal[0] and reason.startswith("Expecting value"):
            for index, expected in enumerate(literal):
                if position + index >= len(text):
                    return "unexpected EOF"
                if text[position + index] != expected:
                    return (
                        f"invalid character {_quote(text[position + index])} in literal "
                        f"{literal} (expecting {_quote(expected)})"
                    )
    context = next(
        (go for py, go in _SYNTAX_CONTEXT.items() if reason.startswith(py)),
        "looking for beginning of value",
    )
    if context == "after object key:value pair" and _innermost(text, position) == "[":
        context = "after array element"
    return f"invalid character {_quote(char)} {context}"


def _innermost(text: str, position: int) -> str:
    """The bracket (`{` or `[`) open at `position`, strings skipped."""
    stack: list[str] = []
    in_string = escaped = False
    for char in text[:position]:
        if in_string:
            escaped, in_string = (False, True) if escaped else (char == "\\", char != '"')
        elif char == '"':
            in_string = True
        elif char in "{[":
            stack.append(char)
        elif char in "}]" and stack:
            stack.pop()
    return stack[-1] if stack else ""


def _constant_error(text: str) -> str:
    match = re.search(r"-?(NaN|Infinity)", text)
    if match is None:
        return "invalid character looking for beginning of value"
    if match.group(0).startswith("-"):
        return "invalid character 'I' in numeric literal"
    return f"invalid character {_quote(match.group(1)[0])} looking for beginning of value"


def _fields(value: dict[str, Any]) -> dict[str, Any]:
    """Known fields by their tag. Go assigns keys in document order, each to the field of that
    exact name or else of that name in any case, so the last of `port` and `PORT` wins."""
    found: dict[str, Any] = {}
    for key, raw in value.items():
        name = (
            key
            if key in _FIELDS
            else next((field for field in _FIELDS if field.casefold() == key.casefold()), None)
        )
        if name is not None:
            found[name] = raw
    return found


def _base64(text: str) -> bytes:
    """Go's base64.StdEncoding.Decode: padding required, CR and LF skipped, and Go's
    `illegal base64 data at input byte N` at the byte Go reports."""
    position = _corrupt_at(text)
    if position is not None:
        raise errors.bad_json(f"illegal base64 data at input byte {position}")
    return base64.b64decode(text.replace("\r", "").replace("\n", ""))


def _corrupt_at(src: str) -> int | None:
    """Where Go's decoder stops (`decodeQuantum`), or None for valid input."""
    si = 0
    while si < len(src):
        j = 0
        while j < 4:
            if si == len(src):
                return None if j == 0 else si - j
            char = src[si]
            si += 1
            if char in "\r\n":
                continue
            if char == "=":
                if j < 2:
                    return si - 1
                if j == 2:  # a second "=" must follow, newlines allowed in between
                    while si < len(src) and src[si] in "\r\n":
                        si += 1
                    if si == len(src):
                        return len(src)
                    if src[si] != "=":
                        return si - 1
                    si += 1
                while si < len(src) and src[si] in "\r\n":
                    si += 1
                return si if si < len(src) else None
            if not _BASE64_CHAR.match(char):
                return si - 1
            j += 1
    return None


def _type_error(field: str, value: str, go_type: str) -> errors.TTNError:
    return errors.bad_json(
        f"json: cannot unmarshal {value} into Go struct field DownlinkMessage.{field} "
        f"of type {go_type}"
    )


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _quote(char: str) -> str:
    """Go's quoteChar: `'x'`, with `'` and `"` escaped as Go does."""
    if char == "'":
        return "'\\''"
    if char == '"':
        return "'\"'"
    quoted = json.dumps(char)[1:-1]
    return f"'{quoted}'"
