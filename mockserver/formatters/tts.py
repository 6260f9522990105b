"""TTS's payload formatters of a device or application, and where the Application Server
runs them (pkg/applicationserver/payload.go, applicationserver.go).

A device's `formatters` (`down_formatter`, `down_formatter_parameter`, `up_formatter`,
`up_formatter_parameter`) are used when the device has any; otherwise the application's
`default_formatters`; `FORMATTER_NONE` does nothing. For each pushed item:

- `frm_payload` without `decoded_payload`: the downlink decoder fills `decoded_payload`;
  when it fails, the item is queued without it (TTS logs the failure and goes on);
- `decoded_payload` without `frm_payload`: the encoder makes the bytes; its error is the
  push's answer, and nothing is queued;
- both: queued as given, nothing runs (the bytes win);
- neither: `no_payload`.

Uplinks with an FPort other than 0 go through the uplink decoder; a failure leaves the
`uplink_message` without `decoded_payload`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from mockserver.formatters import cayennelpp, engine, tts_javascript
from mockserver.formatters import tts_errors as errors
from mockserver.formatters.kinds import CAYENNELPP, JAVASCRIPT, NONE
from mockserver.formatters.tts_errors import TTSError

DIRECTIONS = ("down", "up")
Formatter = Any  # PayloadFormatters, or the world's declared `bytes` formatter


@dataclass(frozen=True)
class PayloadFormatters:
    """TTS's `MessagePayloadFormatters`."""

    down_formatter: str = NONE
    down_formatter_parameter: str = ""
    up_formatter: str = NONE
    up_formatter_parameter: str = ""
    #: Where each script came from (a file name or "inline"), for messages.
    origins: Mapping[str, str] = field(default_factory=dict, compare=False)

    @classmethod
    def from_config(cls, raw: Mapping[str, Any] | None) -> PayloadFormatters | None:
        if raw is None:
            return None
        return cls(
            down_formatter=raw.get("down_formatter", NONE),
            down_formatter_parameter=raw.get("down_formatter_parameter", ""),
            up_formatter=raw.get("up_formatter", NONE),
            up_formatter_parameter=raw.get("up_formatter_parameter", ""),
            origins={
                direction: raw[f"{direction}_formatter_parameter_origin"]
                for direction in DIRECTIONS
                if f"{direction}_formatter_parameter_origin" in raw
            },
        )

    def check(self) -> None:
        """engine.CompileError for a JavaScript formatter whose script does not parse."""
        for direction in DIRECTIONS:
            if getattr(self, f"{direction}_formatter") == JAVASCRIPT:
                name = self.origins.get(direction, f"{direction}_formatter_parameter")
                engine.check(getattr(self, f"{direction}_formatter_parameter"), name)

    def describe(self) -> dict[str, Any]:
        """The formatters as the admin API shows them (scripts by length, not in full)."""
        shown: dict[str, Any] = {}
        for direction in DIRECTIONS:
            kind = getattr(self, f"{direction}_formatter")
            shown[f"{direction}_formatter"] = kind
            script = getattr(self, f"{direction}_formatter_parameter")
            if script:
                shown[f"{direction}_formatter_parameter_length"] = len(script)
                shown[f"{direction}_formatter_origin"] = self.origins.get(direction, "inline")
        return shown


def encode_downlink(
    formatters: PayloadFormatters, decoded_payload: dict[str, Any], f_port: int
) -> tts_javascript.Encoded | None:
    """The bytes, FPort and warnings of an encoded `decoded_payload`; None for no encoder.
    A TTSError when the encoder fails (the caller answers with it)."""
    kind = formatters.down_formatter
    if kind == JAVASCRIPT:
        return tts_javascript.encode_downlink(
            formatters.down_formatter_parameter, decoded_payload, f_port
        )
    if kind == CAYENNELPP:
        return tts_javascript.Encoded(cayennelpp.encode_downlink(decoded_payload), f_port)
    return None


def decode_downlink(
    formatters: PayloadFormatters, frm_payload: bytes, f_port: int
) -> tts_javascript.Decoded | None:
    """`decoded_payload` for pushed bytes; None when there is no decoder or it failed."""
    try:
        return _decode_downlink(formatters, frm_payload, f_port)
    except TTSError:
        return None  # TTS: "Failed to decode downlink", and the push goes on


def _decode_downlink(
    formatters: PayloadFormatters, frm_payload: bytes, f_port: int
) -> tts_javascript.Decoded | None:
    kind = formatters.down_formatter
    if kind == JAVASCRIPT:
        return tts_javascript.decode_downlink(
            formatters.down_formatter_parameter, frm_payload, f_port
        )
    if kind == CAYENNELPP:
        try:
            return tts_javascript.Decoded(cayennelpp.decode_downlink(frm_payload))
        except cayennelpp.DecodeError:
            raise errors.CAYENNELPP_OUTPUT() from None
    return None


def decode_uplink(
    formatters: PayloadFormatters, frm_payload: bytes, f_port: int, recv_time_ms: int | None = None
) -> tts_javascript.Decoded | None:
    """What the uplink decoder adds to an `uplink_message`; None without one, on FPort 0,
    or when it failed (TTS publishes the uplink all the same)."""
    if f_port == 0:
        return None
    kind = formatters.up_formatter
    try:
        if kind == JAVASCRIPT:
            return tts_javascript.decode_uplink(
                formatters.up_formatter_parameter, frm_payload, f_port, recv_time_ms
            )
        if kind == CAYENNELPP:
            return tts_javascript.Decoded(cayennelpp.decode_uplink(frm_payload))
    except (TTSError, cayennelpp.DecodeError):
        return None
    return None


def select(device: Any, device_legacy: Any, application: Any, application_legacy: Any) -> Any:
    """The formatters in force: the device's when it has any (TTS: `dev.Formatters != nil`),
    else the application's defaults. The world's declared `bytes` formatter counts as the
    device's (or application's) formatters too."""
    if device is not None or device_legacy is not None:
        return device if device is not None else device_legacy
    return application if application is not None else application_legacy


def format_downlink(formatter: Formatter, item: Any) -> None:
    """Run the formatter on one pushed `ApplicationDownlink`, in place (see the module's
    docstring for which way); a TTSError when the encoder fails."""
    if formatter is None:
        return
    if item.frm_payload and item.decoded_payload is None:
        if isinstance(formatter, PayloadFormatters):
            decoded = decode_downlink(formatter, item.frm_payload, item.f_port)
            if decoded is not None:
                item.decoded_payload = decoded.data
                item.decoded_payload_warnings = decoded.warnings
        else:
            item.decoded_payload = formatter.decode(item.frm_payload)
        return
    if item.frm_payload or item.decoded_payload is None:
        return  # the bytes win; nothing to encode
    if isinstance(formatter, PayloadFormatters):
        encoded = encode_downlink(formatter, item.decoded_payload, item.f_port)
        if encoded is not None:
            item.frm_payload, item.f_port = encoded.frm_payload, encoded.f_port
            item.decoded_payload_warnings = encoded.warnings
        return
    try:
        item.frm_payload, item.f_port = formatter.encode(item.decoded_payload, item.f_port)
    except ValueError as error:  # the declared `bytes` formatter refusing its input
        raise errors.OUTPUT_ERRORS(errors=str(error)) from None


class Verbatim(dict):  # type: ignore[type-arg]
    """A `google.protobuf.Struct` in a webhook body: written as it is, its `false`, `0` and
    empty values included (they are values, not unset fields)."""


def uplink_fields(
    formatter: Formatter, frm_payload: bytes, f_port: int, recv_time_ms: int | None = None
) -> dict[str, Any]:
    """What an `uplink_message` gets from the uplink decoder, in TTS's field order."""
    if formatter is None:
        return {}
    if not isinstance(formatter, PayloadFormatters):  # the world's declared `bytes`
        return {"decoded_payload": formatter.decode(frm_payload)} if frm_payload else {}
    decoded = decode_uplink(formatter, frm_payload, f_port, recv_time_ms)
    if decoded is None:
        return {}
    return {
        "decoded_payload": Verbatim(decoded.data) if decoded.data is not None else None,
        "decoded_payload_warnings": decoded.warnings,
        "normalized_payload": [Verbatim(item) for item in decoded.normalized or []],
        "normalized_payload_warnings": decoded.normalized_warnings,
    }


def listed(formatter: Formatter, downlink: Any) -> Any:
    """A queued `core.Downlink` as TTS lists it: decoded again by the downlink decoder,
    whose `decoded_payload` and warnings replace the stored ones; as it is when there is
    no decoder or the decoder fails (TTS logs that and lists the item)."""
    if formatter is None or not downlink.frm_payload:
        return downlink
    if isinstance(formatter, PayloadFormatters):
        decoded = decode_downlink(formatter, downlink.frm_payload, downlink.f_port)
        if decoded is None:
            return downlink
        data, warnings = decoded.data, decoded.warnings
    else:  # the world's declared `bytes` formatter
        data, warnings = formatter.decode(downlink.frm_payload), []
    extra = {
        key: value
        for key, value in (downlink.extra or {}).items()
        if key not in ("decoded_payload", "decoded_payload_warnings")
    }
    if data is not None:
        extra["decoded_payload"] = data
    if warnings:
        extra["decoded_payload_warnings"] = list(warnings)
    return replace(downlink, extra=extra or None)
