"""The Things Stack v3: the Application Server's downlink queue over HTTP."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import asdict, replace
from typing import TYPE_CHECKING, Any, ClassVar

from mockserver.contract import ContractWarning, HttpRequest, HttpResponse
from mockserver.contract.operations import Operation
from mockserver.contract.suggestions import BodyRules
from mockserver.core import Device
from mockserver.formatters.tts import PayloadFormatters
from mockserver.providers.base import Handler, Provider, application_device_spec
from mockserver.providers.tts import errors
from mockserver.providers.tts.application_server import ApplicationServer, ulid
from mockserver.providers.tts.applications import Registry, Webhook
from mockserver.providers.tts.auth import require_rights
from mockserver.providers.tts.formatter_routes import SCRIPT_ROUTE_SUFFIXES
from mockserver.providers.tts.outbound import WebhookPublisher
from mockserver.providers.tts.routes import Routes, gateway_status
from mockserver.providers.tts.rules import queue_body_rules
from mockserver.providers.tts.webhooks import WebhookRegistryRoutes
from mockserver.providers.tts.world_schema import WORLD_SCHEMA

if TYPE_CHECKING:
    import jsonschema

    from mockserver.world import World


@functools.cache
def device_validator() -> jsonschema.protocols.Validator:
    """The check of a device added at run time (admin API, Python), built on first use:
    jsonschema is imported by the first such device, not by the server's start (issue 21)."""
    import jsonschema

    return jsonschema.Draft202012Validator(
        WORLD_SCHEMA["properties"]["applications"]["items"]["properties"]["devices"]["items"]
    )


_CAPITAL = re.compile("[A-Z]")
#: The path endings of the queue's push and replace operations.
QUEUE_WRITES = ("/down/push", "/down/replace")
#: What TTS's web middleware puts on every response (pkg/webmiddleware).
SECURITY_HEADERS = {
    "cache-control": "no-store",
    "pragma": "no-cache",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-content-type-options": "nosniff",
    "x-frame-options": "SAMEORIGIN",
    "x-xss-protection": "1; mode=block",
}


class TTSProvider(Provider):
    name: ClassVar[str] = "tts"
    title: ClassVar[str] = "The Things Stack v3"
    prefixes: ClassVar[tuple[str, ...]] = ("/api/v3",)
    world_schema: ClassVar[dict[str, Any]] = WORLD_SCHEMA
    #: webmiddleware.MaxBody on every web route; the limit trips only when a handler reads.
    max_body: ClassVar[int] = 16 * 1024 * 1024
    reads_body_late: ClassVar[bool] = True

    def carries_script(self, path: str) -> bool:
        return path.endswith(SCRIPT_ROUTE_SUFFIXES)

    def __init__(self, world: World, config: Mapping[str, Any]) -> None:
        super().__init__(world, config)
        self.clock = world.clock
        self.rng = world.random
        self.registry = Registry(config, world.network)
        self.application_server = ApplicationServer(self.registry, world.network, world.random)
        self._routes = Routes(self)
        self.webhooks = WebhookPublisher(self)

    def authorize(self, request: HttpRequest, application_id: str, *rights: str) -> None:
        """The request's API key must hold `rights` on the application (401/403 if not)."""
        key = self.registry.keys.authenticate(request.headers, self.clock.now_us())
        require_rights(key, application_id, *rights)

    def handlers(self) -> Mapping[str, Handler]:
        return {**self._routes.handlers(), **WebhookRegistryRoutes(self).handlers()}

    def field_key(self, name: str) -> str:
        """protojson reads a field by its proto name or its JSON name (lowerCamelCase)."""
        return _CAPITAL.sub(lambda capital: "_" + capital.group().lower(), name)

    def refine_warnings(
        self, operation: Operation, request: HttpRequest, warnings: list[ContractWarning]
    ) -> list[ContractWarning]:
        """A push or replace without `downlinks` decodes as zero downlinks."""
        if not operation.path.endswith(QUEUE_WRITES):
            return warnings
        done = (
            "nothing is queued and the queue is emptied"
            if operation.path.endswith("/replace")
            else "nothing was queued"
        )
        return [
            replace(
                warning,
                message=f"no `downlinks` key: {done}; did you mean `{warning.suggestion}`?",
            )
            if warning.rule == "missing-wrapper" and warning.field == "downlinks"
            else warning
            for warning in warnings
        ]

    def body_rules(self, operation: Operation) -> BodyRules | None:
        """Push and replace, on either route (named by path: the operationIds vary)."""
        if operation.method != "POST" or not operation.path.endswith(QUEUE_WRITES):
            return None
        return queue_body_rules(webhook_route="/webhooks/" in operation.path)

    def create_device(self, spec: Mapping[str, Any]) -> Device:
        """`spec` is a device entry of the world file plus its `application_id`, which must
        name an application of the world (ValueError otherwise: the admin API's 400); as in
        TTS, a device is created in an existing application, never with one."""
        application_id, entry = application_device_spec(spec, device_validator())
        if not isinstance(application_id, str) or application_id not in self.registry.applications:
            raise ValueError(
                f"application_id {application_id!r} is not an application of the world"
            )
        return self.remember_added(self.registry.add_device(application_id, entry).device, spec)

    def delete_device(self, device: Device) -> None:
        self.registry.remove_device(device)
        self.added_devices.pop(device.id, None)

    # -- snapshots ---------------------------------------------------------------------------
    def snapshot_state(self) -> dict[str, Any]:
        """Run-time devices and every application's webhooks (the registry API changes them);
        queues and sessions are the core's."""
        formatters: dict[str, Any] = {}
        for application in self.registry.applications.values():
            if application.default_formatters is not None:
                formatters[application.id] = _formatters_json(application.default_formatters)
            for device_id, end_device in application.devices.items():
                if end_device.formatters is not None:
                    formatters[f"{application.id}.{device_id}"] = _formatters_json(
                        end_device.formatters
                    )
        return {
            "added_devices": list(self.added_devices.values()),
            "webhooks": {
                application.id: [asdict(webhook) for webhook in application.webhooks.values()]
                for application in self.registry.applications.values()
            },
            "formatters": formatters,
        }

    def restore_state(self, state: dict[str, Any]) -> None:
        for spec in state.get("added_devices", []):
            self.create_device(spec)
        webhooks = state.get("webhooks", {})
        if not isinstance(webhooks, dict):
            raise ValueError("tts.webhooks must be an object")
        for application_id, hooks in webhooks.items():
            try:
                restored = {hook["id"]: _webhook(hook) for hook in hooks}
            except (KeyError, TypeError) as problem:
                raise ValueError(f"tts.webhooks[{application_id}]: {problem}") from None
            self.registry.application(application_id).webhooks = restored
        formatters = state.get("formatters", {})
        if not isinstance(formatters, dict):
            raise ValueError("tts.formatters must be an object")
        for target, raw in formatters.items():
            application_id, _, device_id = target.partition(".")
            if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
                raise ValueError(f"tts.formatters[{target}] must be an object of strings")
            payload_formatters = PayloadFormatters.from_config(raw) or PayloadFormatters()
            payload_formatters.check()  # a script that does not parse: ValueError
            application = self.registry.applications.get(application_id)
            end_device = application.devices.get(device_id) if application else None
            if application is None or (device_id and end_device is None):
                raise ValueError(f"tts.formatters: no TTS device or application {target!r}")
            if end_device is not None:
                end_device.formatters = payload_formatters
            else:
                application.default_formatters = payload_formatters

    def not_found(self, request: HttpRequest) -> HttpResponse:
        """Unmatched paths under /api/v3 fall through to grpc-gateway's catch-all."""
        return gateway_status(errors.Code.NOT_FOUND, "Not Found")

    def method_not_allowed(self, request: HttpRequest, allowed: list[str]) -> HttpResponse:
        """Webhook routes are gorilla/mux routes: a wrong method falls through to the gateway,
        which has no such path (404). Gateway paths answer 405 as Unimplemented (501)."""
        if _is_webhook_route(request.path):
            return self.not_found(request)
        return gateway_status(errors.Code.UNIMPLEMENTED, "Method Not Allowed")

    def payload_too_large(self, request: HttpRequest, limit: int) -> HttpResponse:
        """What reading an oversized body gives: webhook routes wrap the limit error in
        `read_body` (Canceled, so 499); gateway routes fail decoding with a plain 400."""
        cause = errors.REQUEST_BODY_TOO_LARGE(maximum=limit)
        if _is_webhook_route(request.path):
            return errors.READ_BODY(cause).webhook_response(self.rng)
        return gateway_status(errors.Code.INVALID_ARGUMENT, cause.message)

    def internal_error(self, request: HttpRequest) -> HttpResponse:
        return errors.INTERNAL_ERROR().webhook_response(self.rng)

    def decorate(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        request_id = request.headers.get("x-request-id") or ulid(self.clock.now_us(), self.rng)
        headers = {**response.headers, **SECURITY_HEADERS, "x-request-id": request_id}
        return HttpResponse(response.status, headers, response.body)

    # -- scenarios ---------------------------------------------------------------------------
    @classmethod
    def scenario_error_names(cls) -> list[str]:
        return sorted(errors.BY_NAME)

    def scenario_error(self, name: str, request: HttpRequest) -> HttpResponse:
        """The named error as the route would write it (webhook routes and grpc-gateway
        format errors differently); `uid` is the application of the request's path."""
        definition = errors.BY_NAME[name]
        attributes: dict[str, Any] = {  # the definition's **attributes
            key: value
            for key, value in {**errors.SCENARIO_ATTRIBUTES, "uid": _application(request)}.items()
            if "{" + key + "}" in definition.message_format
        }
        return self._render(definition(**attributes), request)

    def rate_limit_headers(
        self, *, limit: int, remaining: int, reset_seconds: int, retry_seconds: int
    ) -> dict[str, str]:
        """pkg/ratelimit's headers, on every answer while a limit is configured."""
        return {
            "x-rate-limit-limit": str(limit),
            "x-rate-limit-available": str(remaining),
            "x-rate-limit-reset": str(reset_seconds),
            "x-rate-limit-retry": str(retry_seconds),
        }

    def rate_limited(self, request: HttpRequest, headers: Mapping[str, str]) -> HttpResponse:
        response = self._render(errors.RATE_LIMIT_EXCEEDED(), request)
        return HttpResponse(response.status, {**response.headers, **headers}, response.body)

    def revoke_credential(self, credential: str) -> bool:
        known = any(key.key == credential for key in self.registry.keys)
        self.registry.keys.revoke(credential)
        return known

    def _render(self, error: errors.TTSError, request: HttpRequest) -> HttpResponse:
        if _is_webhook_route(request.path):
            return error.webhook_response(self.rng)
        return error.gateway_response(self.rng)

    def banner(self) -> list[str]:
        lines = [f"{self.title}: {', '.join(self.prefixes)}  (domain {self.registry.domain})"]
        for key in self.registry.keys:
            note = "  <- the docs' placeholder, valid in this world" if key.placeholder else ""
            about = f" ({key.name})" if key.name and not key.placeholder else ""
            lines.append(f"  API key for {key.application_id}{about}: {key.key}{note}")
        for application in self.registry.applications.values():
            for webhook in application.webhooks.values():
                for device_id in application.devices:
                    lines.append(
                        f"  POST /api/v3/as/applications/{application.id}/webhooks/"
                        f"{webhook.id}/devices/{device_id}/down/push"
                    )
        return lines


def _formatters_json(formatters: PayloadFormatters) -> dict[str, Any]:
    """A device's or application's formatters as a world file writes them."""
    out: dict[str, Any] = {
        key: value for key, value in asdict(formatters).items() if key != "origins"
    }
    for direction, origin in formatters.origins.items():
        out[f"{direction}_formatter_parameter_origin"] = origin
    return out


def _webhook(raw: Mapping[str, Any]) -> Webhook:
    """A webhook as `asdict` wrote it; TypeError for a field of the wrong type."""
    webhook = Webhook(**raw)
    texts = (webhook.id, webhook.base_url, webhook.format, webhook.downlink_api_key)
    maps = (webhook.headers, webhook.messages)
    if (
        not all(isinstance(text, str) for text in texts)
        or not all(
            isinstance(m, dict) and all(isinstance(v, str) for v in m.values()) for m in maps
        )
        or not isinstance(webhook.paused, bool)
        or not all(isinstance(t, int) for t in (webhook.created_at, webhook.updated_at))
    ):
        raise TypeError(f"webhook {webhook.id!r} has a field of the wrong type")
    return webhook


def _is_webhook_route(path: str) -> bool:
    return "/webhooks/" in path and "/down/" in path


def _application(request: HttpRequest) -> str:
    parts = request.path.split("/")
    return parts[parts.index("applications") + 1] if "applications" in parts[:-1] else ""
