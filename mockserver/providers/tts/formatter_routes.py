"""TTS's formatter test routes (the console's "test" panel), AppAs in TTS's Swagger:

    POST /api/v3/as/applications/{app}/devices/{dev}/up/decode    {uplink, formatter, parameter}
    POST /api/v3/as/applications/{app}/devices/{dev}/down/encode  {downlink, formatter, parameter}
    POST /api/v3/as/applications/{app}/devices/{dev}/down/decode  {downlink, formatter, parameter}

As in TTS (pkg/applicationserver/grpc.go): the key needs the application's traffic-read
right; the formatter and its parameter come from the body, not the device (which is not
looked up); the message comes back in `uplink`/`downlink` with what the formatter added;
a formatter's failure is the answer, with TTS's error (mockserver.formatters.trial).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from mockserver.contract import HttpRequest, HttpResponse
from mockserver.formatters import trial
from mockserver.formatters.kinds import NONE
from mockserver.providers.base import Handler, json_response
from mockserver.providers.tts import errors
from mockserver.providers.tts.auth import TRAFFIC_READ

if TYPE_CHECKING:
    from mockserver.providers.tts.context import TTSContext

#: The routes whose body brings the script they run (TTSProvider.carries_script).
SCRIPT_ROUTE_SUFFIXES = ("/up/decode", "/down/encode", "/down/decode")

Run = Callable[[dict[str, Any], str, str], dict[str, Any]]
Gateway = Callable[[Callable[[], HttpResponse]], HttpResponse]


class FormatterRoutes:
    def __init__(
        self, provider: TTSContext, gateway: Callable[[Callable[[], HttpResponse]], HttpResponse]
    ) -> None:
        self.provider = provider
        self.gateway = gateway

    def handlers(self) -> Mapping[str, Handler]:
        return {
            "AppAs_DecodeUplink": self._route("uplink", _decode_uplink),
            "AppAs_EncodeDownlink": self._route("downlink", _encode_downlink),
            "AppAs_DecodeDownlink": self._route("downlink", _decode_downlink),
        }

    def _route(self, message: str, run: Run) -> Handler:
        def handle(request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
            def answer() -> HttpResponse:
                if request.oversized:
                    return self.provider.payload_too_large(request, self.provider.max_body)
                body = request.json if request.json is not None else _parse(request.body)
                if not isinstance(body, dict):
                    return _invalid("the body is not a JSON object")
                self.provider.authorize(request, params["application_id"], TRAFFIC_READ)
                given = body.get(message) or {}
                if not isinstance(given, dict):
                    return _invalid(f"`{message}` is not an object")
                formatter = body.get("formatter") or NONE
                parameter = body.get("parameter") or ""
                if not isinstance(formatter, str) or not isinstance(parameter, str):
                    return _invalid("`formatter` and `parameter` are strings")
                try:
                    added = run(given, formatter, parameter)
                except _BadInput as error:
                    return _invalid(str(error))
                out = {**given, **added}
                return json_response(
                    200, json.dumps({message: out}, separators=(",", ":")).encode()
                )

            return self.gateway(answer)

        return handle


class _BadInput(ValueError):
    pass


def _parse(body: bytes) -> Any:
    try:
        return json.loads(body or b"{}")
    except ValueError:
        return None


def _invalid(message: str) -> HttpResponse:
    body = json.dumps({"code": errors.Code.INVALID_ARGUMENT, "message": message})
    return json_response(errors.HTTP_STATUS[errors.Code.INVALID_ARGUMENT], body.encode())


def _bytes(message: dict[str, Any]) -> bytes:
    value = message.get("frm_payload") or ""
    if not isinstance(value, str):
        raise _BadInput("`frm_payload` is base64 text")
    try:
        return base64.b64decode(value.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise _BadInput("`frm_payload` is not base64") from None


def _port(message: dict[str, Any]) -> int:
    value = message.get("f_port", 0)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 255:
        raise _BadInput("`f_port` is a number from 0 to 255")
    return value


def _decode_uplink(uplink: dict[str, Any], formatter: str, parameter: str) -> dict[str, Any]:
    return trial.decode_uplink(parameter, _bytes(uplink), _port(uplink), formatter=formatter)


def _decode_downlink(downlink: dict[str, Any], formatter: str, parameter: str) -> dict[str, Any]:
    return trial.decode_downlink(parameter, _bytes(downlink), _port(downlink), formatter=formatter)


def _encode_downlink(downlink: dict[str, Any], formatter: str, parameter: str) -> dict[str, Any]:
    decoded = downlink.get("decoded_payload")
    if decoded is None:
        return {}  # TTS: nothing to encode
    if not isinstance(decoded, dict):
        raise _BadInput("`decoded_payload` is an object")
    return trial.encode_downlink(parameter, decoded, _port(downlink), formatter=formatter)
