"""KPN Things: the Downlinks APIs (actuator-style `/downlinks` and the four connection-
specific ones) and GRIP's token exchange. docs/providers/kpn.md says what is simulated."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from mockserver.clock import DEFAULT_VIRTUAL_START, from_datetime
from mockserver.contract import HttpRequest, HttpResponse
from mockserver.contract.operations import Operation
from mockserver.contract.suggestions import BodyRules
from mockserver.core import Device
from mockserver.providers.base import Handler, Provider
from mockserver.providers.kpn import snapshot
from mockserver.providers.kpn.auth import TokenService
from mockserver.providers.kpn.devices import DeviceBook, KpnDevice
from mockserver.providers.kpn.lifecycle import Lifecycle
from mockserver.providers.kpn.listing import Lister
from mockserver.providers.kpn.problems import problem_response
from mockserver.providers.kpn.records import ACTUATOR, EVICTED, Record
from mockserver.providers.kpn.routes import Routes
from mockserver.providers.kpn.rules import body_rules
from mockserver.providers.kpn.store import DEFAULT_CAPACITY, DEFAULT_RETENTION, RecordStore
from mockserver.providers.kpn.world_schema import WORLD_SCHEMA
from mockserver.types import SECOND, seconds

if TYPE_CHECKING:
    import jsonschema

    from mockserver.world import World


@functools.cache
def device_validator() -> jsonschema.protocols.Validator:
    """The check of a device added at run time (admin API, Python), built on first use:
    jsonschema is imported by the first such device, not by the server's start (issue 21)."""
    import jsonschema

    return jsonschema.Draft202012Validator(
        WORLD_SCHEMA["properties"]["devices"]["items"], format_checker=jsonschema.FormatChecker()
    )


#: The create operations, by the API whose rules (rules.py) they apply.
CREATES = {
    "createDownlink": ACTUATOR,
    "createLoraDownlink": "lora",
    "createHttpDownlink": "http",
    "createMqttDownlink": "mqtt",
    "createSmsDownlink": "sms",
}
#: Named in KPN's docs as a connection-specific API, but no description of it exists.
UNSPECIFIED_PREFIX = "/digitalmatter"


#: Errors a scenario can answer with, by status, and their `detail` (mockserver's words).
SCENARIO_STATUSES = {
    400: "The request is invalid",
    401: "Full authentication is required to access this resource",
    403: "Access is denied",
    404: "The resource does not exist",
    409: "The request conflicts with the state of the resource",
    429: "Too many requests: the rate limit is exceeded",
    500: "An unexpected error occurred",
    502: "An upstream service gave an invalid answer",
    503: "The service is temporarily unavailable",
    504: "An upstream service did not answer in time",
}


class KPNProvider(Provider):
    name: ClassVar[str] = "kpn"
    title: ClassVar[str] = "KPN Things"
    prefixes: ClassVar[tuple[str, ...]] = (
        "/downlinks",
        "/http/downlinks",
        "/lora/downlinks",
        "/sms/downlinks",
        "/mqtt/downlinks",
        UNSPECIFIED_PREFIX,
        "/api/v3/idp/oidc",
    )
    world_schema: ClassVar[dict[str, Any]] = WORLD_SCHEMA

    def __init__(self, world: World, config: Mapping[str, Any]) -> None:
        super().__init__(world, config)
        seed = world.description.get("seed", 0)
        self.clock = world.clock
        self.rng = world.random
        self.tokens = TokenService(config, world.clock, seed)
        self.devices = DeviceBook(config, world.network)
        self.lister = Lister(self.devices, seed, lambda: world.public_url)
        self.lifecycle = Lifecycle(
            world.network, world.clock, seconds(config.get("sms_delay", 5)), world.scheduler
        )
        self.store = RecordStore(
            world.clock,
            retention=seconds(config.get("record_retention", DEFAULT_RETENTION / SECOND)),
            capacity=config.get("max_records", DEFAULT_CAPACITY),
            evict=self._evict_in_flight,
        )
        self._routes = Routes(self)
        for spec in config.get("devices") or []:
            self._apply_flags(self.device(spec["uuid"]), spec)

    def handlers(self) -> Mapping[str, Handler]:
        return self._routes.handlers()

    def body_rules(self, operation: Operation) -> BodyRules | None:
        api = CREATES.get(operation.operation_id)
        return None if api is None else body_rules(api)

    # -- Python API ------------------------------------------------------------------------
    def device(self, identifier: str) -> KpnDevice:
        """A device by any identity KPN knows it by (Things UUID, `imei:…`, `deveui:…`,
        `urn:dev:…`) or by the simulator's own id (`kpn.<uuid>`, as the admin API and the
        network show it), so an id copied from `/_mock/devices` works here too."""
        found = self.devices.resolve(identifier) or self.devices.by_core_id(identifier)
        if found is None:
            raise KeyError(
                f"no KPN device {identifier!r}: give its Things UUID, imei:…, deveui:…, "
                f"urn:dev:… or kpn.<uuid>; the world has "
                + ", ".join(sorted(device.core.id for device in self.devices))
            )
        return found

    def http_request(self, identifier: str) -> Record | None:
        """The HTTP device makes a request (an uplink); returns the downlink its response
        carries, if one was EXECUTING."""
        return self.lifecycle.http_request(self.device(identifier))

    def set_broker_up(self, identifier: str, up: bool) -> None:
        """Mark an MQTT device's broker connection up or down."""
        core_id = self.device(identifier).core.id
        (self.lifecycle.broker.down.discard if up else self.lifecycle.broker.down.add)(core_id)

    def set_reachable(self, identifier: str, reachable: bool) -> None:
        """Mark an SMS device reachable by the carrier, or not."""
        core_id = self.device(identifier).core.id
        unreachable = self.lifecycle.carrier.unreachable
        (unreachable.discard if reachable else unreachable.add)(core_id)

    def record(self, downlink_id: str) -> Record:
        found = self.store.get(downlink_id)
        if found is None:
            raise KeyError(downlink_id)
        return found

    # -- snapshots (GET/PUT /_mock/snapshot) ------------------------------------------------
    def snapshot_state(self) -> dict[str, Any]:
        """Every kept downlink and what the store needs, as JSON (snapshot.py), and the
        devices added at run time."""
        return {
            **snapshot.dump(self.store, self.lifecycle),
            "added_devices": list(self.added_devices.values()),
        }

    def restore_state(self, state: dict[str, Any]) -> None:
        """Rebuild the store and its indexes from `snapshot_state`'s output; ValueError,
        with nothing changed, for a state that does not fit this world."""
        added = state.get("added_devices", [])
        if not isinstance(added, list):
            raise ValueError("KPN state: added_devices must be a list")
        for spec in added:  # first: the records name them
            self.create_device(spec)
        records = {name: value for name, value in state.items() if name != "added_devices"}
        snapshot.load(records, self.devices, self.store, self.lifecycle)

    def _evict_in_flight(self, record: Record) -> None:
        """The count bound drops a downlink still in flight: its bearer lets go of it and it
        ends `EVICTED` (with the actuator downlink it carries, or that carries it)."""
        target = record.child if record.api == ACTUATOR else record
        if target is not None and not target.finished:
            self.lifecycle.cancel(target, EVICTED)

    def ready_token(self, client_id: str) -> str:
        """A long-lived token for the API key `client_id` (the banner prints it)."""
        start = (self.world.description.get("clock") or {}).get("start")
        moment = (
            datetime.fromisoformat(start.replace("Z", "+00:00")) if start else DEFAULT_VIRTUAL_START
        )
        begin = from_datetime(moment)
        return self.tokens.ready_token(self.tokens.keys[client_id], begin // SECOND)

    # -- devices at run time ----------------------------------------------------------------
    def create_device(self, spec: Mapping[str, Any]) -> Device:
        problems = list(device_validator().iter_errors(dict(spec)))
        if problems:
            raise ValueError(problems[0].message)
        device = self.devices.add(spec)
        self._apply_flags(device, spec)
        return self.remember_added(device.core, spec)

    def bearer_state(self, device: Device) -> tuple[str, int] | None:
        """An MQTT, SMS or HTTP device: its downlinks in flight at the broker, the carrier
        or its mailbox (the core's queue only ever holds LoRa frames)."""
        found = self.devices.by_core_id(device.id)
        if found is None or found.bearer == "lora":
            return None
        return self.lifecycle.state(found)

    def delete_device(self, device: Device) -> None:
        found = self.devices.by_core_id(device.id)
        if found is not None:
            self.devices.remove(found)
        self.added_devices.pop(device.id, None)

    def _apply_flags(self, device: KpnDevice, spec: Mapping[str, Any]) -> None:
        if spec.get("broker_up") is False:
            self.lifecycle.broker.down.add(device.core.id)
        if spec.get("reachable") is False:
            self.lifecycle.carrier.unreachable.add(device.core.id)

    # -- the pipeline's own answers -----------------------------------------------------------
    def not_found(self, request: HttpRequest) -> HttpResponse:
        if request.path == UNSPECIFIED_PREFIX or request.path.startswith(UNSPECIFIED_PREFIX + "/"):
            return problem_response(
                request,
                501,
                "/digitalmatter/downlinks is named in KPN's documentation but no API "
                "description exists; it is not simulated",
            )
        return problem_response(request, 404, f"No endpoint {request.method} {request.path}")

    def method_not_allowed(self, request: HttpRequest, allowed: list[str]) -> HttpResponse:
        return problem_response(
            request,
            405,
            f"Request method {request.method!r} is not supported",
            {"allow": ", ".join(allowed)},
        )

    def payload_too_large(self, request: HttpRequest, limit: int) -> HttpResponse:
        return problem_response(request, 413, f"The request body exceeds {limit} bytes")

    def internal_error(self, request: HttpRequest) -> HttpResponse:
        return problem_response(request, 500, "An unexpected error occurred")

    # -- scenarios ---------------------------------------------------------------------------
    @classmethod
    def scenario_error_names(cls) -> list[str]:
        """KPN errors are named by status: problem+json with that status (`kpn: 409`)."""
        return [str(status) for status in SCENARIO_STATUSES]

    def scenario_error(self, name: str, request: HttpRequest) -> HttpResponse:
        if not name.isdigit() or int(name) not in SCENARIO_STATUSES:
            raise KeyError(name)
        status = int(name)
        return problem_response(request, status, SCENARIO_STATUSES[status])

    def rate_limited(self, request: HttpRequest, headers: Mapping[str, str]) -> HttpResponse:
        return problem_response(request, 429, SCENARIO_STATUSES[429], dict(headers))

    def revoke_credential(self, credential: str) -> bool:
        return self.tokens.revoke(credential)

    def banner(self) -> list[str]:
        lines = [f"{self.title}: {', '.join(self.prefixes[:5])}; token POST /api/v3/idp/oidc/token"]
        for key in self.tokens.keys.values():
            lines.append(
                f"  API key {key.client_id} / {key.client_secret} (client {key.client}); "
                f"ready token: {self.ready_token(key.client_id)}"
            )
        for device in self.devices:
            names = ", ".join(device.identities())
            lines.append(f"  {device.bearer} device {names}")
        return lines
