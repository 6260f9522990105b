"""DX Core `…/devices/{device}/downlinkMessages`: send (POST) and the pending queue (GET).

One handler serves the three base paths (`/core/v141/api`, `/core/latest/api`,
`/thingpark/dx/core/latest/api`). A POST runs: token, media type, device, body, flags,
then the LRC's checks in the order listed in docs/providers/thingpark.md, and only then
touches the queue, so a rejected request never changes state.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mockserver import json_strict
from mockserver.contract import HttpRequest, HttpResponse
from mockserver.contract.suggestions import BodyRules
from mockserver.contract.validation import UNPARSED, query_pairs
from mockserver.core import Downlink
from mockserver.providers.base import Handler, json_response
from mockserver.providers.thingpark import errors
from mockserver.providers.thingpark.errors import DxError, LrcCode
from mockserver.providers.thingpark.subscription import ThingParkDevice

if TYPE_CHECKING:
    from mockserver.providers.thingpark.context import ThingParkContext

#: The operationId of the published fragment (kept as the vendor wrote it).
SEND_OPERATION = (
    "sends-a-new-downlink-message-to-the-device-if-that-device-is-within-authorized-scopes-"
    "the-message-is"
)
LIST_OPERATION = "listDownlinkMessages"
#: The one media type the POST reads (the fragment's `consumes`).
CONSUMES = "application/json"
MAX_PAYLOAD_BYTES = 250
PORT_RANGE = range(1, 225)  # tunnel error 104: "must be 1..224"
# Whole-string, ASCII-only checks (`fullmatch`, explicit classes): `$` would also match
# before a trailing newline, and `\d` / `int()` accept any Unicode decimal digit.
_HEX = re.compile(r"[0-9A-Fa-f]*")
_CORRELATION = re.compile(r"[0-9A-Fa-f]{1,16}")
_PORT = re.compile(r"[0-9]{1,3}")
#: What Java's `String.trim()` removes: ASCII controls and space, nothing else.
_JAVA_TRIMMED = "".join(chr(code) for code in range(0x21))
#: What a Java (Spring) service reads as a boolean from a query string.
_TRUE = {"true", "on", "yes", "1"}
_FALSE = {"false", "off", "no", "0"}
_BOOLEAN = _TRUE | _FALSE
#: The answers' JSON, compact, from one encoder (json.dumps with `separators` makes one per call).
_ENCODE = json.JSONEncoder(separators=(",", ":")).encode
_ECHOED = (
    "payloadHex",
    "targetPorts",
    "securityParams",
    "correlationID",
    "confirmDownlink",
    "flushDownlinkQueue",
)
FLAGS = ("confirmDownlink", "flushDownlinkQueue")


class DownlinkMessageRoutes:
    def __init__(self, provider: ThingParkContext) -> None:
        self.provider = provider

    def handlers(self) -> Mapping[str, Handler]:
        return {SEND_OPERATION: self._guarded(self.send), LIST_OPERATION: self._guarded(self.list)}

    def _guarded(self, handler: Handler) -> Handler:
        def handle(request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
            try:
                return handler(request, params)
            except DxError as error:
                return error.response(self.provider.rng)

        return handle

    # -- GET -------------------------------------------------------------------------------
    def list(self, request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
        self.provider.authorize(request)
        entry = self._device(params["device"])
        items = [queued_representation(downlink) for downlink in entry.device.queue]
        return json_response(200, _ENCODE(items).encode())

    # -- POST ------------------------------------------------------------------------------
    def send(self, request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
        self.provider.authorize(request)
        _check_media_type(request)
        entry = self._device(params["device"])
        message = _message(request)
        flags = _flags(request, message)
        flush = flags.get("flushDownlinkQueue", False)
        confirm = flags.get("confirmDownlink", False)
        rejection = self.provider.rejection_status
        if entry.downlinks_disabled:
            raise errors.lrc_rejection(LrcCode.TRANSMISSION_DISABLED, rejection)
        self._check_security(entry, message.get("securityParams"), rejection)
        payload = _payload(message.get("payloadHex"), flush, rejection)
        port = _port(message.get("targetPorts"), rejection) if payload is not None else None
        correlation = _correlation(message.get("correlationID"), rejection)
        if confirm and payload is not None and not entry.confirmed_downlinks:
            raise errors.lrc_rejection(LrcCode.CONFIRMED_NOT_AUTHORIZED, rejection)
        if correlation is None:
            correlation = f"{self.provider.rng.getrandbits(64):016X}"
        echo: dict[str, Any] = {
            key: message[key] for key in _ECHOED if message.get(key) is not None
        }
        echo.update(flags)
        echo["correlationID"] = message.get("correlationID") or correlation
        echo["status"] = "QUEUED" if payload is not None else "FLUSHED"
        downlink = None
        if payload is not None:
            assert port is not None
            downlink = Downlink(
                f_port=port,
                frm_payload=payload,
                confirmed=confirm,
                correlation_ids=(correlation,),
                extra={"message": echo},
            )
        self.provider.lrc.enqueue(entry, downlink, flush=flush)
        return json_response(200, _ENCODE(echo).encode())

    def _device(self, reference: str) -> ThingParkDevice:
        entry = self.provider.subscription.find(reference)
        if entry is None:
            raise errors.device_not_found(reference)
        return entry

    def _check_security(self, entry: ThingParkDevice, params: Any, rejection: int) -> None:
        """`securityParams` is optional unless the device's profile requires it; when given
        it must name the device's application server and carry its key."""
        if params is None:
            if entry.security_params_required:
                raise errors.lrc_rejection(LrcCode.AS_ID_MANDATORY, rejection)
            return
        if not isinstance(params, dict):
            raise errors.bad_request("Invalid value for securityParams")
        as_id = params.get("asId")
        if not as_id:
            raise errors.lrc_rejection(LrcCode.AS_ID_MANDATORY, rejection)
        server = entry.application_server
        if server is None or as_id != server.id or params.get("asKey") != server.key:
            raise errors.lrc_rejection(LrcCode.BAD_AS_ID, rejection)


def queued_representation(downlink: Downlink) -> dict[str, Any]:
    """A queued downlink as GET lists it: what the POST answered, or, for a downlink put in
    the queue another way (admin API), its fields in DX Core's names."""
    if downlink.extra and "message" in downlink.extra:
        return dict(downlink.extra["message"])
    correlation = next((c for c in downlink.correlation_ids if _CORRELATION.fullmatch(c)), None)
    return {
        "payloadHex": downlink.frm_payload.hex().upper(),
        "targetPorts": str(downlink.f_port),
        "correlationID": correlation or "0000000000000000",
        "confirmDownlink": downlink.confirmed,
        "status": "QUEUED",
    }


def _check_media_type(request: HttpRequest) -> None:
    """415 unless the body is JSON, as a Spring controller that consumes `application/json`
    answers, before it looks the device up. Spring reads a body sent without Content-Type
    as `application/octet-stream` (415 too), and an empty one without it as no body at all,
    which is `{}` here; parameters (`charset`) do not matter."""
    header = request.headers.get("content-type", "")
    if header == CONSUMES:  # what clients send: nothing to take apart
        return
    header = header.strip()
    if not header:
        if request.body:
            raise errors.unsupported_media_type("application/octet-stream", CONSUMES)
        return
    media, *parameters = (part.strip() for part in header.split(";"))
    if media.lower() != CONSUMES:
        shown = ";".join([media.lower(), *(p for p in parameters if p)])
        raise errors.unsupported_media_type(shown, CONSUMES)


def _message(request: HttpRequest) -> dict[str, Any]:
    if not request.body.strip():
        return {}
    message = request.json  # the contract layer's parse (the last of repeated keys, as here)
    if message is UNPARSED:
        try:
            message = json_strict.loads(request.body)
        except ValueError:
            raise errors.bad_request("Malformed JSON request body") from None
    if not isinstance(message, dict):
        raise errors.bad_request("The request body must be a JSON object")
    return message


def _flags(request: HttpRequest, message: Mapping[str, Any]) -> dict[str, bool]:
    """Each flag from the query (it wins when present) or the body."""
    query = dict(query_pairs(request.query))
    flags: dict[str, bool] = {}
    for name in FLAGS:
        raw = query.get(name)
        if raw not in (None, ""):
            lowered = raw.lower()
            if lowered not in _BOOLEAN:
                raise errors.bad_request(f"Invalid value for query parameter {name}: {raw}")
            flags[name] = lowered in _TRUE
            continue
        value = message.get(name)
        if value is None:
            continue
        if isinstance(value, str) and value.lower() in ("true", "false"):
            value = value.lower() == "true"  # Jackson reads "true" as true
        if not isinstance(value, bool):
            raise errors.bad_request(f"Invalid value for {name}")
        flags[name] = value
    return flags


def _payload(value: Any, flush: bool, rejection: int) -> bytes | None:
    """The payload bytes; None for a flush without payload. 118 when empty without flush,
    113 when odd-length, not hex, or over 250 bytes."""
    if value is None or value == "":
        if flush:
            return None
        raise errors.lrc_rejection(LrcCode.EMPTY_PAYLOAD, rejection)
    if not isinstance(value, str):
        raise errors.bad_request("Invalid value for payloadHex")
    if len(value) % 2 or not _HEX.fullmatch(value) or len(value) > 2 * MAX_PAYLOAD_BYTES:
        raise errors.lrc_rejection(LrcCode.PAYLOAD_SIZE, rejection)
    return bytes.fromhex(value)


def _port(value: Any, rejection: int) -> int:
    """`targetPorts`: one port, as a string (what clients send) or an integer, 1..224. A
    string is trimmed as Java trims it, then must be ASCII digits only."""
    if isinstance(value, bool):
        raise errors.lrc_rejection(LrcCode.INVALID_PORT, rejection)
    if isinstance(value, int):
        port = value
    elif isinstance(value, str) and _PORT.fullmatch(value.strip(_JAVA_TRIMMED)):
        port = int(value.strip(_JAVA_TRIMMED))
    else:
        raise errors.lrc_rejection(LrcCode.INVALID_PORT, rejection)
    if port not in PORT_RANGE:
        raise errors.lrc_rejection(LrcCode.INVALID_PORT, rejection)
    return port


def _correlation(value: Any, rejection: int) -> str | None:
    """A correlation ID is 64-bit hex; shorter hex (a decimal epoch in milliseconds reads
    as hex too) is left-padded to 16 digits. None when absent."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _CORRELATION.fullmatch(value):
        raise errors.lrc_rejection(LrcCode.INVALID_CORRELATION_ID, rejection)
    return value.upper().rjust(16, "0")


#: What of the LRC's checks JSON Schema can state, for a suggested body to aim at: a payload
#: of whole hex bytes and one port in 1..224 (a string, as clients send it, or an integer).
_SEND_RULES_SCHEMA = {
    "required": ["payloadHex", "targetPorts"],
    "properties": {
        "payloadHex": {"type": "string", "pattern": "^([0-9A-Fa-f]{2})+$"},
        "targetPorts": {
            "anyOf": [
                {"type": "integer", "minimum": 1, "maximum": 224},
                {"type": "string", "pattern": "^([1-9][0-9]?|1[0-9]{2}|2[01][0-9]|22[0-4])$"},
            ]
        },
    },
}


def send_body_rules() -> BodyRules:
    """The body checks `send` makes that need no device: a suggested body passes them."""

    def problem(body: Any) -> str | None:
        try:
            flush = body.get("flushDownlinkQueue") is True  # the query's flag is not the body's
            if _payload(body.get("payloadHex"), flush, 400) is not None:
                _port(body.get("targetPorts"), 400)
            _correlation(body.get("correlationID"), 400)
        except DxError as refused:
            return refused.message
        return None

    return BodyRules(problem, _SEND_RULES_SCHEMA)
