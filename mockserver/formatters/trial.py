"""One script on one input, as TTS runs it, without a device: what TTS's formatter test
routes (`…/devices/{id}/up/decode`, `…/down/encode`, `…/down/decode`, the console's
"test" panel) and `mockserver formatter run` answer.

From TTS's AppAs service (pkg/applicationserver/grpc.go): the formatter and its
parameter come from the request, not from the device; the message is run through it and
handed back with what the formatter added; a formatter error is the answer (it is not
swallowed as on the uplink path). Unlike the uplink path, FPort 0 is decoded too.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from mockserver.formatters import cayennelpp, engine, tts_javascript
from mockserver.formatters import tts_errors as errors
from mockserver.formatters.kinds import CAYENNELPP, JAVASCRIPT


def decode_uplink(
    script: str,
    frm_payload: bytes,
    f_port: int,
    *,
    formatter: str = JAVASCRIPT,
    recv_time_ms: int | None = None,
) -> dict[str, Any]:
    """The fields the uplink decoder adds (`decoded_payload`, its warnings, the normalized
    payload), in TTS's order; a TTSError when the script fails."""
    if formatter == JAVASCRIPT:
        decoded = tts_javascript.decode_uplink(script, frm_payload, f_port, recv_time_ms)
    elif formatter == CAYENNELPP:
        try:
            decoded = tts_javascript.Decoded(cayennelpp.decode_uplink(frm_payload))
        except cayennelpp.DecodeError:
            raise errors.CAYENNELPP_OUTPUT() from None
    else:
        return {}
    return _decoded_fields(decoded)


def decode_downlink(
    script: str, frm_payload: bytes, f_port: int, *, formatter: str = JAVASCRIPT
) -> dict[str, Any]:
    """`decoded_payload` (and its warnings) of downlink bytes; a TTSError on failure."""
    if formatter == JAVASCRIPT:
        return _decoded_fields(tts_javascript.decode_downlink(script, frm_payload, f_port))
    if formatter == CAYENNELPP:
        try:
            return _decoded_fields(tts_javascript.Decoded(cayennelpp.decode_downlink(frm_payload)))
        except cayennelpp.DecodeError:
            raise errors.CAYENNELPP_OUTPUT() from None
    return {}


def encode_downlink(
    script: str, decoded_payload: dict[str, Any], f_port: int, *, formatter: str = JAVASCRIPT
) -> dict[str, Any]:
    """`f_port`, `frm_payload` (base64) and `decoded_payload_warnings` of an encoded
    `decoded_payload`; a TTSError on failure."""
    if formatter == JAVASCRIPT:
        encoded = tts_javascript.encode_downlink(script, decoded_payload, f_port)
    elif formatter == CAYENNELPP:
        encoded = tts_javascript.Encoded(cayennelpp.encode_downlink(decoded_payload), f_port)
    else:
        return {}
    fields: dict[str, Any] = {"f_port": encoded.f_port}
    if encoded.frm_payload:
        fields["frm_payload"] = base64.b64encode(encoded.frm_payload).decode()
    if encoded.warnings:
        fields["decoded_payload_warnings"] = list(encoded.warnings)
    return fields


def _decoded_fields(decoded: tts_javascript.Decoded) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if decoded.data is not None:  # set, even empty: protojson writes {}
        fields["decoded_payload"] = decoded.data
    if decoded.warnings:
        fields["decoded_payload_warnings"] = list(decoded.warnings)
    if decoded.normalized:
        fields["normalized_payload"] = decoded.normalized
    if decoded.normalized_warnings:
        fields["normalized_payload_warnings"] = list(decoded.normalized_warnings)
    return fields


def run(
    script: str,
    *,
    f_port: int,
    uplink: bytes | None = None,
    downlink: bytes | None = None,
    encode: dict[str, Any] | None = None,
    formatter: str = JAVASCRIPT,
    recv_time: datetime | None = None,
    name: str = "script",
) -> dict[str, Any]:
    """Run `script` on one input, as TTS's formatter test routes do, and answer as they do:
    `{"uplink": …}` for uplink bytes (decodeUplink), `{"downlink": …}` for downlink bytes
    (decodeDownlink) or for a `decoded_payload` to encode (encodeDownlink). Exactly one of
    `uplink`, `downlink`, `encode`. `recv_time` is the uplink's `recvTime` (now when None).
    A script that does not parse: engine.CompileError; one that fails: a TTSError.

        run(Path("codec.js").read_text(), uplink=bytes.fromhex("0167"), f_port=1)
    """
    if sum(given is not None for given in (uplink, downlink, encode)) != 1:
        raise ValueError("give exactly one of uplink, downlink or encode")
    if not 0 <= f_port <= 255:
        raise ValueError("f_port is a number from 0 to 255")
    if formatter == JAVASCRIPT:
        engine.check(script, name)  # `name` (its file) in the message
    if uplink is not None:
        received = recv_time or datetime.now(UTC)
        fields = decode_uplink(
            script,
            uplink,
            f_port,
            formatter=formatter,
            recv_time_ms=int(received.timestamp() * 1000),
        )
        return {"uplink": {**_message(f_port, uplink), **fields}}
    if downlink is not None:
        fields = decode_downlink(script, downlink, f_port, formatter=formatter)
        return {"downlink": {**_message(f_port, downlink), **fields}}
    assert encode is not None
    fields = encode_downlink(script, encode, f_port, formatter=formatter)
    message: dict[str, Any] = {"decoded_payload": encode}
    if f_port:
        message["f_port"] = f_port
    return {"downlink": {**message, **fields}}


def _message(f_port: int, frm_payload: bytes) -> dict[str, Any]:
    message: dict[str, Any] = {}
    if f_port:
        message["f_port"] = f_port
    if frm_payload:
        message["frm_payload"] = base64.b64encode(frm_payload).decode()
    return message
