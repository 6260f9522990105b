"""TTS's downlink queue routes: the webhook routes of specs/tts/openapi.yaml and the AppAs
routes of TTS's own Swagger (specs/tts/api.swagger.json), each operationId and its handler.

Webhook routes (`…/webhooks/{wh}/devices/{dev}/down/…`) run TTS's middleware order: IDs,
rights, webhook, decode (protojson), validate, queue operation; errors are written by
webhandlers (tab-indented). AppAs routes are grpc-gateway routes: decode (TTS JSON) and
validate first, rights after, errors written compactly, `{}` on success.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from mockserver.contract import HttpRequest, HttpResponse
from mockserver.contract.validation import UNPARSED
from mockserver.providers.base import Handler, json_response
from mockserver.providers.tts import errors
from mockserver.providers.tts.auth import TRAFFIC_DOWN_WRITE, TRAFFIC_READ
from mockserver.providers.tts.downlinks import (
    EMBEDDED,
    PROTOJSON,
    TTN_JSON,
    ApplicationDownlink,
    DecodeError,
    decode_downlinks,
    represent,
    validate,
)
from mockserver.providers.tts.formatter_routes import FormatterRoutes

if TYPE_CHECKING:
    from mockserver.providers.tts.context import TTSContext

ID_PATTERN = re.compile(r"^[a-z0-9](?:[-]?[a-z0-9]){2,}$")
ID_MAX_LENGTH = 36


def _valid_id(value: str) -> bool:
    return len(value) <= ID_MAX_LENGTH and ID_PATTERN.match(value) is not None


def identifier_problem(value: str) -> str | None:
    """Why `value` is not a TTS identifier (length is checked before the pattern)."""
    if len(value) > ID_MAX_LENGTH:
        return f"value length must be at most {ID_MAX_LENGTH} runes"
    if not ID_PATTERN.match(value):
        return f'value does not match regex pattern "{ID_PATTERN.pattern}"'
    return None


def end_device_ids_error(application_id: str, device_id: str) -> errors.TTSError | None:
    """`EndDeviceIdentifiers.ValidateFields()` as a `pkg/errors:validation` chain.

    TTS visits the fields in Go map order, so with both IDs invalid either may be reported;
    the simulator always reports the application ID first.
    """
    reason = identifier_problem(application_id)
    if reason is not None:
        inner = errors.VALIDATION(
            field="application_id", reason=reason, name="ApplicationIdentifiersValidationError"
        )
        return errors.VALIDATION(
            inner,
            field="application_ids",
            reason=EMBEDDED,
            name="EndDeviceIdentifiersValidationError",
        )
    reason = identifier_problem(device_id)
    if reason is not None:
        return errors.VALIDATION(
            field="device_id", reason=reason, name="EndDeviceIdentifiersValidationError"
        )
    return None


class Routes:
    def __init__(self, provider: TTSContext) -> None:
        self.provider = provider

    def handlers(self) -> Mapping[str, Handler]:
        return {
            "WebhookDownlinkQueuePush": self._webhook(replace=False),
            "WebhookDownlinkQueueReplace": self._webhook(replace=True),
            "AppAs_DownlinkQueuePush": self._app_as(replace=False),
            "AppAs_DownlinkQueueReplace": self._app_as(replace=True),
            "AppAs_DownlinkQueueList": self.list_queue,
            **FormatterRoutes(self.provider, self._gateway).handlers(),  # formatter tests
        }

    # -- webhook routes --------------------------------------------------------------------
    def _webhook(self, *, replace: bool) -> Handler:
        def handle(request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
            try:
                return self._webhook_down(request, params, replace)
            except errors.TTSError as error:
                return error.webhook_response(self.provider.rng)

        return handle

    def _webhook_down(
        self, request: HttpRequest, params: Mapping[str, str], replace: bool
    ) -> HttpResponse:
        app_id, webhook_id = params["application_id"], params["webhook_id"]
        device_id = params["device_id"]
        if not (_valid_id(app_id) and _valid_id(device_id) and _valid_id(webhook_id)):
            invalid_ids = end_device_ids_error(app_id, device_id)
            if invalid_ids is None and (reason := identifier_problem(webhook_id)):
                invalid_ids = errors.VALIDATION(
                    field="webhook_id",
                    reason=reason,
                    name="ApplicationWebhookIdentifiersValidationError",
                )
            if invalid_ids is not None:
                raise errors.INVALID_IDENTIFIERS(invalid_ids)
        self.provider.authorize(request, app_id, TRAFFIC_DOWN_WRITE)
        application = self.provider.registry.applications.get(app_id)
        webhook = application.webhooks.get(webhook_id) if application else None
        if webhook is None:
            raise errors.WEBHOOK_NOT_FOUND()
        if webhook.paused:
            return HttpResponse(406, {}, b"")
        if request.oversized:
            return self.provider.payload_too_large(request, self.provider.max_body)
        try:
            if webhook.format != "json":
                items = _protobuf_downlinks(request.body)
            else:
                # protojson rejects repeated keys: the contract's parse serves unless it saw one
                parsed = UNPARSED if request.json_repeated_keys else request.json
                items, _ = decode_downlinks(request.body, PROTOJSON, parsed)
        except DecodeError:
            raise errors.DECODE_BODY() from None
        invalid = validate(items, "ApplicationDownlinks")
        if invalid is not None:
            raise errors.VALIDATE_BODY(invalid)
        self.provider.application_server.queue(app_id, device_id, items, replace=replace)
        return HttpResponse(200, {}, b"")

    # -- AppAs (grpc-gateway) routes -------------------------------------------------------
    def _app_as(self, *, replace: bool) -> Handler:
        def handle(request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
            return self._gateway(lambda: self._app_as_down(request, params, replace))

        return handle

    def _app_as_down(
        self, request: HttpRequest, params: Mapping[str, str], replace: bool
    ) -> HttpResponse:
        app_id, device_id = params["application_id"], params["device_id"]
        if request.oversized:
            return self.provider.payload_too_large(request, self.provider.max_body)
        try:
            items, _ = decode_downlinks(request.body, TTN_JSON, request.json)
        except DecodeError as error:
            return gateway_status(errors.Code.INVALID_ARGUMENT, str(error))
        invalid_ids = end_device_ids_error(app_id, device_id)
        if invalid_ids is not None:
            raise errors.VALIDATION(
                invalid_ids,
                field="end_device_ids",
                reason=EMBEDDED,
                name="DownlinkQueueRequestValidationError",
            )
        invalid = validate(items, "DownlinkQueueRequest")
        if invalid is not None:
            raise invalid
        self.provider.authorize(request, app_id, TRAFFIC_DOWN_WRITE)
        self.provider.application_server.queue(app_id, device_id, items, replace=replace)
        return json_response(200, b"{}")

    def list_queue(self, request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
        def listed() -> HttpResponse:
            app_id, device_id = params["application_id"], params["device_id"]
            invalid_ids = end_device_ids_error(app_id, device_id)
            if invalid_ids is not None:
                raise invalid_ids
            self.provider.authorize(request, app_id, TRAFFIC_READ)
            queued = self.provider.application_server.queued(app_id, device_id)
            body = {"downlinks": [represent(d) for d in queued]} if queued else {}
            return json_response(200, json.dumps(body, separators=(",", ":")).encode())

        return self._gateway(listed)

    def _gateway(self, handle: Callable[[], HttpResponse]) -> HttpResponse:
        return gateway_errors(self.provider, handle)


def _protobuf_downlinks(body: bytes) -> list[ApplicationDownlink]:
    """Protobuf webhooks are not simulated beyond the empty message, which decodes to no
    downlinks (proto.Unmarshal of zero bytes); any other body fails to decode."""
    if body:
        raise DecodeError("the protobuf webhook format is not simulated")
    return []


def gateway_errors(provider: TTSContext, handle: Callable[[], HttpResponse]) -> HttpResponse:
    """A grpc-gateway route: TTS errors are written compactly, 401s with WWW-Authenticate."""
    try:
        return handle()
    except errors.TTSError as error:
        return error.gateway_response(provider.rng)


def gateway_status(code: int, message: str) -> HttpResponse:
    """A plain gRPC status from grpc-gateway itself (routing, decoding): no ErrorDetails.

    protojson omits the empty `details` list, so the body is just code and message.
    """
    body = json.dumps({"code": code, "message": message}, separators=(",", ":"))
    return json_response(errors.HTTP_STATUS[code], body.encode())
