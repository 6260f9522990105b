"""The Things Network v2: the HTTP integration's downlink URL and its uplink messages."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, ClassVar

from mockserver.contract import HttpRequest, HttpResponse
from mockserver.core import Device
from mockserver.formatters import engine
from mockserver.formatters.ttnv2 import FUNCTIONS, PayloadFunctions
from mockserver.providers.base import Handler, Provider, application_device_spec
from mockserver.providers.ttnv2 import errors
from mockserver.providers.ttnv2.applications import Registry
from mockserver.providers.ttnv2.handler import Handler as DownlinkHandler
from mockserver.providers.ttnv2.outbound import UplinkPublisher, downlink_url
from mockserver.providers.ttnv2.routes import MAX_BODY, Routes
from mockserver.providers.ttnv2.world_schema import (
    DEVICE_SCHEMA,
    ID_PATTERN,
    REGIONS,
    WORLD_SCHEMA,
    world_problems,
)

if TYPE_CHECKING:
    import jsonschema

    from mockserver.world import World


@functools.cache
def device_validator() -> jsonschema.protocols.Validator:
    """The check of a device added at run time (admin API, Python), built on first use:
    jsonschema is imported by the first such device, not by the server's start (issue 21)."""
    import jsonschema

    return jsonschema.Draft202012Validator(DEVICE_SCHEMA)


#: A V2 API path under a region prefix that is not one of REGIONS: `ttn` or `ttn-<x>` in
#: any case (Go's mux matches case-sensitively, so `/TTN-EU` is unknown too).
UNKNOWN_REGION = re.compile(r"/(?i:ttn)(?:-[^/]+)?/api/v2(?:/.*)?", re.DOTALL)


#: Errors a scenario can answer with, by status, in V2's words (mockserver's choice).
SCENARIO_ERRORS = {
    400: "Request not valid",
    401: "permission denied: invalid key",
    403: "permission denied: missing rights",
    404: "integration not found",
    429: "Too many requests",
    500: "Internal error: handler unavailable",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class TTNv2Provider(Provider):
    name: ClassVar[str] = "ttnv2"
    title: ClassVar[str] = "The Things Network v2 HTTP integration"
    prefixes: ClassVar[tuple[str, ...]] = tuple(f"/{region}" for region in REGIONS)
    world_schema: ClassVar[dict[str, Any]] = WORLD_SCHEMA
    max_body: ClassVar[int] = MAX_BODY
    #: The key and the integration are checked before the body is read.
    reads_body_late: ClassVar[bool] = True

    def __init__(self, world: World, config: Mapping[str, Any]) -> None:
        super().__init__(world, config)
        self.registry = Registry(config, world.network)
        self.handler = DownlinkHandler(self.registry, world.network, world.scheduler)
        self._routes = Routes(self)
        self.uplinks = UplinkPublisher(self)

    def handlers(self) -> Mapping[str, Handler]:
        return self._routes.handlers()

    def field_key(self, name: str) -> str:
        """Go's encoding/json matches a key exactly, else case-insensitively."""
        return name.lower()

    @classmethod
    def world_problems(cls, config: Mapping[str, Any]) -> list[tuple[str, str]]:
        return world_problems(config)

    def create_device(self, spec: Mapping[str, Any]) -> Device:
        """`spec` is a device entry of the world file plus its `application_id`, which must
        be a V2 ID naming an application of the world (ValueError otherwise: the admin API's
        400); run-time devices never create applications."""
        application_id, entry = application_device_spec(spec, device_validator())
        if not isinstance(application_id, str) or not re.fullmatch(ID_PATTERN, application_id):
            raise ValueError(f"application_id {application_id!r} is not a TTN v2 ID ({ID_PATTERN})")
        return self.remember_added(self.registry.add_device(application_id, entry).device, spec)

    def delete_device(self, device: Device) -> None:
        self.registry.remove_device(device)
        self.added_devices.pop(device.id, None)

    # -- snapshots ---------------------------------------------------------------------------
    def snapshot_state(self) -> dict[str, Any]:
        """Run-time devices and each application's payload functions (scripts can be set at
        run time); queues are the core's."""
        return {
            "added_devices": list(self.added_devices.values()),
            "payload_functions": {
                application.id: asdict(application.payload_functions)
                for application in self.registry.applications.values()
                if application.payload_functions is not None
            },
        }

    def restore_state(self, state: dict[str, Any]) -> None:
        for spec in state.get("added_devices", []):
            self.create_device(spec)
        functions = state.get("payload_functions", {})
        if not isinstance(functions, dict):
            raise ValueError("ttnv2.payload_functions must be an object")
        for application_id, scripts in functions.items():
            application = self.registry.applications.get(application_id)
            if application is None:
                raise ValueError(f"ttnv2.payload_functions: no application {application_id!r}")
            try:
                restored = PayloadFunctions(**scripts)
            except TypeError as problem:
                raise ValueError(f"ttnv2.payload_functions[{application_id}]: {problem}") from None
            for name in FUNCTIONS:
                if getattr(restored, name):
                    engine.check(getattr(restored, name), name)
            application.payload_functions = restored

    def answers_unserved_path(self, path: str) -> bool:
        """A region V2 never had (`/ttn-mars/api/v2/...`) reaches the same Go mux as the five
        it had, which answers it with http.NotFound."""
        return UNKNOWN_REGION.fullmatch(path) is not None

    def not_found(self, request: HttpRequest) -> HttpResponse:
        """Go's http.NotFound."""
        return errors.text_response(404, "404 page not found")

    def method_not_allowed(self, request: HttpRequest, allowed: list[str]) -> HttpResponse:
        response = errors.text_response(405, "Method Not Allowed")
        return HttpResponse(405, {**response.headers, "allow": ", ".join(allowed)}, response.body)

    def payload_too_large(self, request: HttpRequest, limit: int) -> HttpResponse:
        return errors.text_response(413, "http: request body too large")

    def internal_error(self, request: HttpRequest) -> HttpResponse:
        return errors.internal("the simulator failed; see its log").response()

    # -- scenarios ---------------------------------------------------------------------------
    @classmethod
    def scenario_error_names(cls) -> list[str]:
        """Named by status: Go's plain-text error with V2's wording (`ttnv2: 503`)."""
        return [str(status) for status in SCENARIO_ERRORS]

    def scenario_error(self, name: str, request: HttpRequest) -> HttpResponse:
        if not name.isdigit() or int(name) not in SCENARIO_ERRORS:
            raise KeyError(name)
        return errors.text_response(int(name), SCENARIO_ERRORS[int(name)])

    def rate_limited(self, request: HttpRequest, headers: Mapping[str, str]) -> HttpResponse:
        response = errors.text_response(429, SCENARIO_ERRORS[429])
        return HttpResponse(429, {**response.headers, **headers}, response.body)

    def revoke_credential(self, credential: str) -> bool:
        """An access key deleted in the console: calls with it get `invalid key`."""
        revoked = False
        for application in self.registry.applications.values():
            revoked = application.access_keys.pop(credential, None) is not None or revoked
        return revoked

    def banner(self) -> list[str]:
        lines = [f"{self.title}: /{{{','.join(REGIONS)}}}/api/v2/down/..."]
        for application in self.registry.applications.values():
            for integration in application.integrations.values():
                lines.append(
                    f"  POST/PUT {downlink_url('', application.id, integration)}"
                    f"  (downlink URL of {application.id}/{integration.process_id})"
                )
        return lines
