"""`ApplicationDownlink` as TTS reads, validates and writes it.

Decoding follows TTS's jsonpb (protoc-gen-go-json): proto or camelCase field names, unknown
fields ignored, `null` meaning unset, bytes in either base64 alphabet with or without padding,
integers as numbers or numeric strings, enums by name or number. Validation follows the
generated `ValidateFields`: fields in proto order, first failure wins.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mockserver import json_strict
from mockserver.clock import from_datetime
from mockserver.contract.validation import UNPARSED
from mockserver.core import Downlink
from mockserver.formatters.tts import Verbatim
from mockserver.providers.tts import errors
from mockserver.types import Micros

PRIORITIES = ("LOWEST", "LOW", "BELOW_NORMAL", "NORMAL", "ABOVE_NORMAL", "HIGH", "HIGHEST")
_ALIASES = {
    "sessionKeyId": "session_key_id",
    "fPort": "f_port",
    "fCnt": "f_cnt",
    "frmPayload": "frm_payload",
    "decodedPayload": "decoded_payload",
    "decodedPayloadWarnings": "decoded_payload_warnings",
    "classBC": "class_b_c",
    "correlationIds": "correlation_ids",
    "confirmedRetry": "confirmed_retry",
    "endDeviceIds": "end_device_ids",
}
_ALIAS_NAMES = _ALIASES.keys()
_UINT32_MAX = 2**32 - 1


#: In a queued downlink's `extra`: the Application Server put it back after a NACK, which
#: TTS does without publishing `downlink_queued` again (handleDownlinkNack).
NACK_RETRY = "nack_retry"


class DecodeError(ValueError):
    """The body is not an `ApplicationDownlinks` in JSON (TTS: decode_body)."""


class NumberError(DecodeError):
    """A number field's value is not one; the message quotes the value as sent."""


@dataclass(slots=True)
class ApplicationDownlink:
    session_key_id: bytes = b""
    f_port: int = 0
    f_cnt: int = 0
    frm_payload: bytes = b""
    decoded_payload: dict[str, Any] | None = None
    #: Output only (a client's value is not read): what the formatter warned about.
    decoded_payload_warnings: list[str] = field(default_factory=list)
    confirmed: bool = False
    class_b_c: dict[str, Any] | None = None
    priority: int = 0
    correlation_ids: list[str] = field(default_factory=list)
    confirmed_retry: dict[str, int] | None = None

    def to_core(self) -> Downlink:
        # The fields the core does not read, set ones only, in proto order.
        extra: dict[str, Any] = {}
        if self.session_key_id:
            extra["session_key_id"] = self.session_key_id
        if self.f_cnt:
            extra["f_cnt"] = self.f_cnt
        if self.decoded_payload is not None:  # a set Struct, even an empty one
            extra["decoded_payload"] = self.decoded_payload
        if self.decoded_payload_warnings:
            extra["decoded_payload_warnings"] = self.decoded_payload_warnings
        if self.class_b_c:
            extra["class_b_c"] = self.class_b_c
        if self.confirmed_retry:
            extra["confirmed_retry"] = self.confirmed_retry
        return Downlink(
            f_port=self.f_port,
            frm_payload=self.frm_payload,
            confirmed=self.confirmed,
            priority=self.priority,
            correlation_ids=tuple(self.correlation_ids),
            extra=extra or None,
            absolute_time=absolute_time(self.class_b_c) if self.class_b_c else None,
        )


def represent(downlink: Downlink) -> dict[str, Any]:
    """A queued downlink as TTS writes it: proto names, zero values omitted."""
    extra = downlink.extra or {}
    out: dict[str, Any] = {}
    if extra.get("session_key_id"):
        out["session_key_id"] = base64.b64encode(extra["session_key_id"]).decode()
    if downlink.f_port:
        out["f_port"] = downlink.f_port
    if extra.get("f_cnt"):
        out["f_cnt"] = extra["f_cnt"]
    if downlink.frm_payload:
        out["frm_payload"] = base64.b64encode(downlink.frm_payload).decode()
    if extra.get("decoded_payload") is not None:  # protojson writes a set empty Struct as {}
        out["decoded_payload"] = Verbatim(extra["decoded_payload"])
    if extra.get("decoded_payload_warnings"):
        out["decoded_payload_warnings"] = list(extra["decoded_payload_warnings"])
    if downlink.confirmed:
        out["confirmed"] = True
    if extra.get("class_b_c"):
        out["class_b_c"] = extra["class_b_c"]
    if downlink.priority:
        out["priority"] = PRIORITIES[downlink.priority]
    if downlink.correlation_ids:
        out["correlation_ids"] = list(downlink.correlation_ids)
    if extra.get("confirmed_retry"):
        out["confirmed_retry"] = extra["confirmed_retry"]
    return out


# -- decoding ----------------------------------------------------------------------------------
#: Webhook routes decode with standard protojson (DiscardUnknown): an unknown enum name is
#: dropped like an unknown field, a duplicate field is an error, every list element must be
#: an object. gRPC-gateway routes decode with TTS's own JSON code, which rejects unknown enum
#: names. Both read only the first JSON value of the body, as Go's json.Decoder does.
PROTOJSON, TTN_JSON = "protojson", "ttn-json"
_URL_SAFE_TO_STANDARD = str.maketrans("-_", "+/")


def decode_downlinks(
    body: bytes, dialect: str = PROTOJSON, parsed: Any = UNPARSED
) -> tuple[list[ApplicationDownlink], dict[str, Any]]:
    """The downlinks of an `ApplicationDownlinks` / `DownlinkQueueRequest` body, and the rest.

    `parsed` is the body as the contract layer already parsed it, when it could (for
    protojson, only when no object repeated a key: protojson rejects duplicate fields).
    """
    try:
        return _decode_document(_document(body, dialect, parsed), dialect)
    except NumberError as error:
        raise _quoting_literals(error, body, dialect) from None


def _document(body: bytes, dialect: str, parsed: Any) -> Any:
    if parsed is not UNPARSED:
        return parsed
    if not body.strip(b" \t\r\n"):
        return _empty_body(dialect)
    try:
        return json_strict.loads(body, first_value_only=True, unique_keys=dialect == PROTOJSON)
    except ValueError as error:
        raise DecodeError(f"invalid JSON: {error}") from None


def _quoting_literals(error: NumberError, body: bytes, dialect: str) -> DecodeError:
    """`error` as it reads when the numbers keep their text: Python parses `1e400` (and an
    integer of thousands of digits) as `inf`, a value the client never wrote. Only a body
    with a bad number pays for this second parse."""
    try:
        document = json_strict.loads(
            body, first_value_only=True, unique_keys=dialect == PROTOJSON, literals=True
        )
        _decode_document(document, dialect)
    except DecodeError as quoted:
        return quoted
    except ValueError:
        return error  # the texts could not be kept either: the first error stands as it is
    return error  # the numbers decode with their texts (cannot happen: they did not before)


def _decode_document(
    document: Any, dialect: str
) -> tuple[list[ApplicationDownlink], dict[str, Any]]:
    if document is None and dialect == TTN_JSON:
        document = {}
    if not isinstance(document, dict):
        raise DecodeError("expected an object")
    if not _ALIAS_NAMES.isdisjoint(document):
        document = _canonical(document)
    items = document.get("downlinks")
    if items is None:
        return [], document
    if not isinstance(items, list):
        raise DecodeError("downlinks: expected an array")
    return [_decode_item(item, dialect) for item in items], document


def _empty_body(dialect: str) -> dict[str, Any]:
    if dialect == PROTOJSON:
        raise DecodeError("EOF")  # json.Decoder on an empty body
    return {}  # grpc-gateway treats io.EOF as an empty message


def _canonical(document: dict[str, Any]) -> dict[str, Any]:
    if _ALIAS_NAMES.isdisjoint(document):
        return document  # proto names only (the common case): nothing to rename
    canonical = {_ALIASES.get(key, key): value for key, value in document.items()}
    if len(canonical) != len(document):
        raise DecodeError("duplicate field")  # both `f_port` and `fPort`, say
    return canonical


def _decode_item(raw: Any, dialect: str) -> ApplicationDownlink:
    if raw is None:
        if dialect == PROTOJSON:
            raise DecodeError("downlink: expected an object, not null")
        return ApplicationDownlink()
    if not isinstance(raw, dict):
        raise DecodeError("downlink: expected an object")
    item = raw if _ALIAS_NAMES.isdisjoint(raw) else _canonical(raw)
    downlink = ApplicationDownlink()
    readers = _READERS
    try:
        for name, value in item.items():
            read = readers.get(name)
            if read is not None and value is not None:
                setattr(downlink, name, read(value))
    except DecodeError:
        # The fields in proto order, so the error names the first bad one, as TTS does.
        for name, read in _READER_ITEMS:
            value = item.get(name)
            if value is not None:
                read(value)
        raise
    priority = item.get("priority")
    if priority is not None:
        downlink.priority = _read_priority(priority, dialect)
    return downlink


def read_uint32(value: Any) -> int:
    """A number or a numeric string; exponent and integral fractions are accepted (protojson)."""
    number = value
    if isinstance(value, str):
        try:
            number = float(value) if value.strip() == value and value else None
        except ValueError:
            number = None
    if isinstance(number, float) and number.is_integer():
        number = int(number)
    if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number <= _UINT32_MAX:
        raise NumberError(f"invalid uint32 {_as_sent(value)}")
    return number


def _as_sent(value: Any) -> str:
    """The value as the client wrote it: a literal's own text (`1e400`, not `Infinity`)."""
    if isinstance(value, json_strict.IntLiteral | json_strict.FloatLiteral):
        return value.literal
    if isinstance(value, float) and not math.isfinite(value):
        return "(a number out of range)"  # no literal at hand: invent none
    return json.dumps(value)


def read_bytes(value: Any) -> bytes:
    """Base64 as protojson reads it: the URL-safe alphabet as soon as `-` or `_` appears (and
    then only it), the standard one otherwise; padding optional either way."""
    if not isinstance(value, str):
        raise DecodeError("bytes: expected a base64 string")
    url_safe = "-" in value or "_" in value
    if url_safe and ("+" in value or "/" in value):
        raise DecodeError(f"invalid base64 {value!r}")
    unpadded = value.rstrip("=")
    padded = unpadded + "=" * (-len(unpadded) % 4)
    if value != unpadded and value != padded:
        raise DecodeError(f"invalid base64 padding {value!r}")
    if url_safe:
        padded = padded.translate(_URL_SAFE_TO_STANDARD)
    try:
        return binascii.a2b_base64(padded, strict_mode=True)  # b64decode(validate=True)
    except (binascii.Error, ValueError):
        raise DecodeError(f"invalid base64 {value!r}") from None


def _read_priority(value: Any, dialect: str) -> int:
    if isinstance(value, str):
        if value in PRIORITIES:
            return PRIORITIES.index(value)
        if dialect == PROTOJSON:
            return 0  # DiscardUnknown drops any string that is not a value's name
        if value.lstrip("-").isdigit():
            return int(value)
        raise DecodeError(f"unknown value for enum ttn.lorawan.v3.TxSchedulePriority: {value}")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise DecodeError("priority: expected a string or a number")


def _read_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise DecodeError("expected a boolean")
    return value


def _read_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DecodeError("expected an object")
    return value


def _read_strings(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise DecodeError("expected an array of strings")
    return value


#: RFC 3339 as Go's time.Parse(RFC3339Nano) takes it, with protojson's limit of 9 digits.
_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?"
    r"(?:Z|([+-])([0-9]{2}):([0-9]{2}))"
)


def read_timestamp(value: Any) -> Micros:
    """A `google.protobuf.Timestamp` as protojson reads it (`Z` or an offset, years 1..9999),
    in microseconds since the epoch; nanoseconds are cut, which keeps every comparison with
    a whole microsecond exact."""
    match = _TIMESTAMP.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise _not_a_timestamp(value)
    year, month, day, hour, minute, second, fraction, sign, offset_hours, offset_minutes = (
        match.groups()
    )
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=UTC
        )
    except ValueError:
        raise _not_a_timestamp(value) from None
    offset = 0
    if sign:
        if int(offset_hours) > 23 or int(offset_minutes) > 59:
            raise _not_a_timestamp(value)
        offset = (int(offset_hours) * 60 + int(offset_minutes)) * 60_000_000
    instant = from_datetime(moment) - (offset if sign == "+" else -offset)
    if not _FIRST_INSTANT <= instant <= _LAST_INSTANT:
        raise _not_a_timestamp(value)
    return instant + int((fraction or "").ljust(6, "0")[:6])


def _not_a_timestamp(value: Any) -> DecodeError:
    return DecodeError(
        f"invalid google.protobuf.Timestamp value {json.dumps(value, ensure_ascii=False)}"
    )


_FIRST_INSTANT = from_datetime(datetime(1, 1, 1, tzinfo=UTC))
_LAST_INSTANT = from_datetime(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC))


def _read_class_b_c(value: Any) -> dict[str, Any]:
    """`class_b_c` as given (gateways are not simulated), `absolute_time` under its proto
    name and checked to be a timestamp."""
    class_b_c = _read_object(value)
    if "absoluteTime" in class_b_c:
        if "absolute_time" in class_b_c:
            raise DecodeError("duplicate field absoluteTime")
        class_b_c = {
            ("absolute_time" if key == "absoluteTime" else key): item
            for key, item in class_b_c.items()
        }
    if class_b_c.get("absolute_time") is not None:
        read_timestamp(class_b_c["absolute_time"])
    return class_b_c


def absolute_time(class_b_c: Mapping[str, Any] | None) -> Micros | None:
    """When a decoded `class_b_c` asks the downlink to be sent, if it does."""
    when = class_b_c.get("absolute_time") if class_b_c else None
    return None if when is None else read_timestamp(when)


def _read_retry(value: Any) -> dict[str, int]:
    retry = _canonical(_read_object(value))
    out = {}
    for name, alias in (("attempt", "attempt"), ("max_attempts", "maxAttempts")):
        raw = retry.get(name, retry.get(alias))
        if raw is not None:
            out[name] = read_uint32(raw)
    return out


_READERS = {
    "session_key_id": read_bytes,
    "f_port": read_uint32,
    "f_cnt": read_uint32,
    "frm_payload": read_bytes,
    "decoded_payload": _read_object,
    "confirmed": _read_bool,
    "class_b_c": _read_class_b_c,
    "correlation_ids": _read_strings,
    "confirmed_retry": _read_retry,
}


_READER_ITEMS = tuple(_READERS.items())


# -- validation --------------------------------------------------------------------------------
EMBEDDED = "embedded message failed validation"
MAX_QUEUE_REQUEST_ITEMS = 100_000


def validate(downlinks: list[ApplicationDownlink], container: str) -> errors.TTSError | None:
    """The first `ValidateFields` failure, as the nested `pkg/errors:validation` chain."""
    if container == "DownlinkQueueRequest" and len(downlinks) > MAX_QUEUE_REQUEST_ITEMS:
        return errors.VALIDATION(
            field="downlinks",
            name="DownlinkQueueRequestValidationError",
            reason=f"value must contain no more than {MAX_QUEUE_REQUEST_ITEMS} item(s)",
        )
    for index, downlink in enumerate(downlinks):
        problem = _first_problem(downlink)
        if problem is None:
            continue
        field_name, reason = problem
        if field_name == "confirmed_retry":
            inner = errors.VALIDATION(
                errors.VALIDATION(
                    field="max_attempts",
                    reason=reason,
                    name="ApplicationDownlink_ConfirmedRetryValidationError",
                ),
                field=field_name,
                name="ApplicationDownlinkValidationError",
                reason=EMBEDDED,
            )
        else:
            inner = errors.VALIDATION(
                field=field_name, name="ApplicationDownlinkValidationError", reason=reason
            )
        return errors.VALIDATION(
            inner,
            field=f"downlinks[{index}]",
            name=f"{container}ValidationError",
            reason=EMBEDDED,
        )
    return None


def _first_problem(downlink: ApplicationDownlink) -> tuple[str, str] | None:
    if len(downlink.session_key_id) > 2048:
        return "session_key_id", "value length must be at most 2048 bytes"
    if downlink.f_port > 255:
        return "f_port", "value must be less than or equal to 255"
    if downlink.f_port == 224:
        return "f_port", "value must not be in list [224]"
    if len(downlink.frm_payload) > 255:
        return "frm_payload", "value length must be at most 255 bytes"
    if not 0 <= downlink.priority < len(PRIORITIES):
        return "priority", "value must be one of the defined enum values"
    for index, correlation_id in enumerate(downlink.correlation_ids):
        if len(correlation_id) > 100:
            return f"correlation_ids[{index}]", "value length must be at most 100 runes"
    retry = downlink.confirmed_retry or {}
    if "max_attempts" in retry and not 0 < retry["max_attempts"] <= 100:
        return "confirmed_retry", "value must be inside range (0, 100]"
    return None
