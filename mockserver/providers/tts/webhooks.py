"""The Application Server's webhook registry over HTTP (`ApplicationWebhookRegistry`).

Get and List return ids, base_url, format and the timestamps, plus the fields the
`field_mask` query names; Set (POST, or PUT on the webhook's path) creates or updates the
fields its body's `field_mask` names (all given fields when it names none). Rights:
reading needs TRAFFIC_READ; setting and deleting need SETTINGS_BASIC, TRAFFIC_READ and
TRAFFIC_DOWN_WRITE (research tts-ttn.md §C3). As every grpc-gateway route, the request's
fields are validated (identifiers included) before rights are checked or the registry is read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from mockserver import json_strict
from mockserver.contract import HttpRequest, HttpResponse
from mockserver.outbound import OutboundTargets
from mockserver.providers.base import Handler, json_response
from mockserver.providers.tts import errors
from mockserver.providers.tts.applications import Webhook
from mockserver.providers.tts.auth import TRAFFIC_DOWN_WRITE, TRAFFIC_READ
from mockserver.providers.tts.downlinks import EMBEDDED
from mockserver.providers.tts.message_types import MESSAGE_TYPES
from mockserver.providers.tts.outbound import rfc3339
from mockserver.providers.tts.routes import gateway_errors, gateway_status, identifier_problem

if TYPE_CHECKING:
    from mockserver.providers.tts.context import TTSContext

SETTINGS_BASIC = "RIGHT_APPLICATION_SETTINGS_BASIC"
FORMATS = {"json": "JSON", "protobuf": "Protocol Buffers"}
_SETTABLE = ("base_url", "headers", "format", "downlink_api_key", "paused", *MESSAGE_TYPES)


class WebhookRegistryRoutes:
    def __init__(self, provider: TTSContext) -> None:
        self.provider = provider

    def handlers(self) -> Mapping[str, Handler]:
        return {
            "ApplicationWebhookRegistry_GetFormats": self.formats,
            "ApplicationWebhookRegistry_List": self._gateway(self.list),
            "ApplicationWebhookRegistry_Get": self._gateway(self.get),
            # TTS's names: Set2 is `POST /as/webhooks/{app}`, Set is `PUT …/{webhook_id}`.
            "ApplicationWebhookRegistry_Set2": self._gateway(self.set),
            "ApplicationWebhookRegistry_Set": self._gateway(self.set),
            "ApplicationWebhookRegistry_Delete": self._gateway(self.delete),
        }

    def formats(self, request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
        return _json({"formats": FORMATS})

    def list(self, request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
        invalid = _application_ids_error(params["application_id"])
        if invalid is not None:
            raise _embedded(invalid, "application_ids", "ListApplicationWebhooksRequest")
        application = self._application(request, params, TRAFFIC_READ)
        paths = _field_mask(request)
        hooks = [represent(hook, application, paths) for hook in application.webhooks.values()]
        body = _json({"webhooks": hooks} if hooks else {})
        return HttpResponse(200, {**body.headers, "x-total-count": str(len(hooks))}, body.body)

    def get(self, request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
        invalid = _webhook_ids_error(params["application_id"], params["webhook_id"])
        if invalid is not None:
            raise _embedded(invalid, "ids", "GetApplicationWebhookRequest")
        application = self._application(request, params, TRAFFIC_READ)
        hook = application.webhooks.get(params["webhook_id"])
        if hook is None:
            raise errors.WEBHOOK_NOT_FOUND()
        return _json(represent(hook, application, _field_mask(request)))

    def set(self, request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
        if request.oversized:
            return self.provider.payload_too_large(request, self.provider.max_body)
        try:
            document = json_strict.loads(request.body or b"{}", first_value_only=True)
        except ValueError as error:
            return gateway_status(errors.Code.INVALID_ARGUMENT, f"invalid JSON: {error}")
        if not isinstance(document, dict) or not isinstance(document.get("webhook"), dict):
            return gateway_status(errors.Code.INVALID_ARGUMENT, "webhook: expected an object")
        given: dict[str, Any] = document["webhook"]
        ids = given.get("ids") or {}
        if not isinstance(ids, dict):
            return gateway_status(errors.Code.INVALID_ARGUMENT, "webhook.ids: expected an object")
        webhook_id = params.get("webhook_id") or ids.get("webhook_id", "")
        if not isinstance(webhook_id, str):
            return gateway_status(errors.Code.INVALID_ARGUMENT, "webhook_id: expected a string")
        try:
            paths = _body_field_mask(document.get("field_mask"))
        except ValueError as error:
            return gateway_status(errors.Code.INVALID_ARGUMENT, str(error))
        problem = identifier_problem(webhook_id)
        if problem:
            raise _invalid("webhook.ids.webhook_id", problem)
        mask = paths or [key for key in given if key in _SETTABLE]
        unknown = [path for path in mask if path not in _SETTABLE]
        if unknown:
            raise _invalid("field_mask", f"unknown path `{unknown[0]}`")
        changes = {path: given.get(path) for path in mask}
        refused = _check(changes)
        if refused:
            raise _invalid(f"webhook.{refused[0]}", refused[1])
        base_url = _base_url_error(changes, self.provider.world.outbound.targets)
        if base_url is not None:
            raise base_url
        application = self._application(
            request, params, SETTINGS_BASIC, TRAFFIC_READ, TRAFFIC_DOWN_WRITE
        )
        now = self.provider.clock.now_us()
        hook = application.webhooks.get(webhook_id)
        if hook is None:
            if not changes.get("base_url"):
                # The registry validates the webhook it would store: an empty base_url is
                # not absolute (TTS's ApplicationWebhook.ValidateFields).
                raise _webhook_invalid("base_url", NOT_ABSOLUTE)
            hook = application.webhooks[webhook_id] = Webhook(id=webhook_id, created_at=now)
        for path, value in changes.items():
            if path in MESSAGE_TYPES:
                if value is None:
                    hook.messages.pop(path, None)
                else:
                    hook.messages[path] = (value or {}).get("path", "")
            else:
                default = {"headers": {}, "format": "json", "paused": False}.get(path, "")
                setattr(hook, path, default if value is None else value)
        hook.updated_at = now
        return _json(represent(hook, application, mask))

    def delete(self, request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
        # Delete takes ApplicationWebhookIdentifiers itself: its error is the top of the chain.
        invalid = _webhook_ids_error(params["application_id"], params["webhook_id"])
        if invalid is not None:
            raise invalid
        application = self._application(
            request, params, SETTINGS_BASIC, TRAFFIC_READ, TRAFFIC_DOWN_WRITE
        )
        if application.webhooks.pop(params["webhook_id"], None) is None:
            raise errors.WEBHOOK_NOT_FOUND()
        return _json({})

    # -- shared ----------------------------------------------------------------------------
    def _application(self, request: HttpRequest, params: Mapping[str, str], *rights: str):  # type: ignore[no-untyped-def]
        application_id = params["application_id"]
        problem = identifier_problem(application_id)
        if problem:
            raise _invalid("application_ids.application_id", problem)
        self.provider.authorize(request, application_id, *rights)
        return self.provider.registry.application(application_id)

    def _gateway(self, handler: Handler) -> Handler:
        def handle(request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
            return gateway_errors(self.provider, lambda: handler(request, params))

        return handle


def represent(hook: Webhook, application: Any, paths: list[str]) -> dict[str, Any]:
    """The webhook as TTS returns it: always ids, timestamps, base_url and format."""
    out: dict[str, Any] = {
        "ids": {"application_ids": {"application_id": application.id}, "webhook_id": hook.id},
        "created_at": rfc3339(hook.created_at),
        "updated_at": rfc3339(hook.updated_at),
        "base_url": hook.base_url,
        "format": hook.format,
    }
    for path in paths:
        if path in MESSAGE_TYPES:
            if path in hook.messages:
                out[path] = {"path": hook.messages[path]} if hook.messages[path] else {}
        elif path in ("headers", "downlink_api_key", "paused"):
            value = getattr(hook, path)
            if value:
                out[path] = value
    return out


def _field_mask(request: HttpRequest) -> list[str]:
    values = [value for name, value in parse_qsl(request.query) if name == "field_mask"]
    return [path.strip() for value in values for path in value.split(",") if path.strip()]


def _body_field_mask(value: Any) -> list[str] | None:
    """A body's `field_mask` as TTS's JSON decoder reads it: the comma-separated string of
    the proto3 JSON mapping (and of TTS's Swagger), or the `{"paths": [...]}` object of TTS's
    documentation. ValueError for anything else."""
    if value is None:
        return None
    if isinstance(value, str):
        return [path for path in value.split(",") if path]
    if isinstance(value, dict):
        unexpected = [key for key in value if key != "paths"]
        if unexpected:
            raise ValueError(f'unexpected "{unexpected[0]}" field in FieldMask object')
        paths = value.get("paths")
        if paths is None:
            return None
        if isinstance(paths, list) and all(isinstance(path, str) for path in paths):
            return paths
        raise ValueError("field_mask.paths: expected strings")
    raise ValueError("invalid value type for field mask")


def _check(changes: dict[str, Any]) -> tuple[str, str] | None:
    """The first field that TTS's validator would reject, and why (decoding-level type errors
    are reported the same way: the simulator never lets them through to a 500)."""
    for name, expected in (
        ("paused", bool),
        ("format", str),
        ("base_url", str),
        ("downlink_api_key", str),
    ):
        if changes.get(name) is not None and not isinstance(changes[name], expected):
            return name, f"value must be a {expected.__name__}"
    fmt = changes.get("format")
    if fmt is not None and fmt not in FORMATS:
        return "format", "value must be one of the defined enum values"
    headers = changes.get("headers")
    if headers is not None and (
        not isinstance(headers, dict)
        or len(headers) > 50
        or not all(
            isinstance(v, str) and len(k) <= 64 and len(v) <= 4096 for k, v in headers.items()
        )
    ):
        return "headers", "value must contain at most 50 pair(s) of short strings"
    key = changes.get("downlink_api_key")
    if key is not None and (not isinstance(key, str) or len(key) > 128):
        return "downlink_api_key", "value length must be at most 128 runes"
    if changes.get("base_url") is not None and not isinstance(changes["base_url"], str):
        return "base_url", "value must be a valid URI"
    for kind in MESSAGE_TYPES:
        message = changes.get(kind)
        if message is None:
            continue
        if not isinstance(message, dict) or not isinstance(message.get("path", ""), str):
            return kind, "value must be an object with a string path"
        if len(message.get("path", "")) > 64:
            return f"{kind}.path", "value length must be at most 64 runes"
    return None


#: The reasons of TTS's generated validator for a `uri` field (Go's url.Parse, IsAbs).
NOT_ABSOLUTE = "value must be absolute"
NOT_A_URI = "value must be a valid URI"
#: The simulator's own reason for a target it does not call (TTS has no such rule).
REFUSED_TARGET = (
    "value must not be a link-local or cloud-metadata address "
    "(mockserver calls none unless `--outbound-allow` names it)"
)


def _base_url_error(changes: dict[str, Any], targets: OutboundTargets) -> errors.TTSError | None:
    """TTS's error for a `base_url` that is set but not an absolute URI (an empty one
    included), or that names an address this simulator never calls."""
    if "base_url" not in changes:
        return None
    base_url = changes["base_url"] or ""
    try:
        scheme = urlsplit(base_url).scheme
    except ValueError:
        return _webhook_invalid("base_url", NOT_A_URI)
    if not scheme:
        return _webhook_invalid("base_url", NOT_ABSOLUTE)
    if targets.refusal(base_url) is not None:
        return _webhook_invalid("base_url", REFUSED_TARGET)
    return None


def _webhook_invalid(field: str, reason: str) -> errors.TTSError:
    """`SetApplicationWebhookRequest.ValidateFields`: the embedded webhook's field error."""
    cause = errors.VALIDATION(field=field, reason=reason, name="ApplicationWebhookValidationError")
    return errors.VALIDATION(
        cause,
        field="webhook",
        reason=EMBEDDED,
        name="SetApplicationWebhookRequestValidationError",
    )


def _application_ids_error(application_id: str) -> errors.TTSError | None:
    """`ApplicationIdentifiers.ValidateFields()`: the ID's length, then its pattern."""
    reason = identifier_problem(application_id)
    if reason is None:
        return None
    return errors.VALIDATION(
        field="application_id", reason=reason, name="ApplicationIdentifiersValidationError"
    )


def _webhook_ids_error(application_id: str, webhook_id: str) -> errors.TTSError | None:
    """`ApplicationWebhookIdentifiers.ValidateFields()`. TTS visits the two fields in Go map
    order, so with both invalid either may be reported; the simulator reports the
    application's first, as on the webhook downlink routes."""
    invalid = _application_ids_error(application_id)
    if invalid is not None:
        return _embedded(invalid, "application_ids", "ApplicationWebhookIdentifiers")
    reason = identifier_problem(webhook_id)
    if reason is None:
        return None
    return errors.VALIDATION(
        field="webhook_id", reason=reason, name="ApplicationWebhookIdentifiersValidationError"
    )


def _embedded(cause: errors.TTSError, field: str, message: str) -> errors.TTSError:
    """The generated validator's error for an embedded message that failed validation."""
    return errors.VALIDATION(cause, field=field, reason=EMBEDDED, name=f"{message}ValidationError")


def _invalid(field: str, reason: str) -> errors.TTSError:
    return errors.VALIDATION(
        field=field, reason=reason, name="SetApplicationWebhookRequestValidationError"
    )


def _json(body: dict[str, Any]) -> HttpResponse:
    return json_response(200, json.dumps(body, separators=(",", ":")).encode())
