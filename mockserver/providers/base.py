"""What every provider is: a thin translator between a vendor's HTTP API and the core.

A provider names its base paths, maps each operationId of its bundled description to a
handler, and renders its vendor's error shape for the cases the pipeline meets before any
handler runs (unknown route, wrong method, oversized body, unexpected failure).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from mockserver.contract.operations import Operation
from mockserver.contract.records import ContractWarning
from mockserver.contract.suggestions import BodyRules
from mockserver.contract.validation import HttpRequest, HttpResponse
from mockserver.core import Device

if TYPE_CHECKING:
    import jsonschema

    from mockserver.world import World

Handler = Callable[[HttpRequest, Mapping[str, str]], HttpResponse]


class SnapshotUnsupported(NotImplementedError):
    """The provider cannot carry its own state in a snapshot (GET/PUT /_mock/snapshot): the
    snapshot says so by name instead of exporting nothing as if that were the state."""

    def __init__(self, provider: str) -> None:
        super().__init__(f"{provider} does not carry its state in a snapshot yet")
        self.provider = provider


class Provider:
    """Base class: subclasses set `name` and `prefixes`, and fill `handlers`."""

    name: ClassVar[str]
    title: ClassVar[str]
    prefixes: ClassVar[tuple[str, ...]]
    world_schema: ClassVar[dict[str, Any]]
    #: The largest request body the vendor reads; larger ones get `payload_too_large`.
    max_body: ClassVar[int] = 1024 * 1024
    #: True when the vendor checks IDs, credentials and the like before it reads the body:
    #: an oversized request then reaches the handler flagged `oversized`, with no body.
    reads_body_late: ClassVar[bool] = False

    def carries_script(self, path: str) -> bool:
        """True when a request to `path` brings a script to run in its body (TTS's
        formatter test routes): the serving shell must not run it on its event loop."""
        return False

    def __init__(self, world: World, config: Mapping[str, Any]) -> None:
        self.world = world
        self.config = config
        #: Devices added at run time (admin API, Python), by core ID: the spec each was
        #: created from, so that a snapshot can create them again in a fresh world.
        self.added_devices: dict[str, dict[str, Any]] = {}

    @classmethod
    def world_problems(cls, config: Mapping[str, Any]) -> list[tuple[str, str]]:
        """What JSON Schema cannot say is wrong with this provider's (schema-valid) world
        section: duplicates, references to what the section lacks. `(where, message)` pairs,
        `where` a path inside the section; the world is refused with the first, at load, so
        that a bad world never replaces a good one half-way."""
        return []

    def handlers(self) -> Mapping[str, Handler]:
        raise NotImplementedError

    def answers_unserved_path(self, path: str) -> bool:
        """True for a path outside every base path that the vendor's own server would still
        answer (with `not_found`), where the generic 404 would give the simulator away."""
        return False

    def not_found(self, request: HttpRequest) -> HttpResponse:
        raise NotImplementedError

    def method_not_allowed(self, request: HttpRequest, allowed: list[str]) -> HttpResponse:
        raise NotImplementedError

    def payload_too_large(self, request: HttpRequest, limit: int) -> HttpResponse:
        raise NotImplementedError

    def internal_error(self, request: HttpRequest) -> HttpResponse:
        raise NotImplementedError

    def create_device(self, spec: Mapping[str, Any]) -> Device:
        """Add a device described as in this provider's world section (admin API, Python)."""
        raise NotImplementedError(f"{self.name} devices cannot be created at run time")

    def delete_device(self, device: Device) -> None:
        raise NotImplementedError(f"{self.name} devices cannot be deleted at run time")

    def remember_added(self, device: Device, spec: Mapping[str, Any]) -> Device:
        """Note a device created at run time from `spec` (for `snapshot_state`)."""
        self.added_devices[device.id] = dict(spec)
        return device

    def bearer_state(self, device: Device) -> tuple[str, int] | None:
        """A device that another bearer than LoRaWAN radio reaches (`device.bearer`): what
        its downlinks wait for, in a few words, and how many are not finished. None: the
        network core's view (session, scheduler, queue) is the device's."""
        return None

    # -- snapshots (GET/PUT /_mock/snapshot) -------------------------------------------------
    def snapshot_state(self) -> dict[str, Any]:
        """What this provider holds beyond its world section and the core's devices and
        queues (run-time devices, webhooks, revoked keys, records), as JSON values. The
        default refuses: a provider that says nothing is not thereby stateless."""
        raise SnapshotUnsupported(self.name)

    def restore_state(self, state: dict[str, Any]) -> None:
        """Put back what `snapshot_state` exported, on a provider freshly built from the
        same world, before the core's devices and queues come back. ValueError (with the
        field) for a state it cannot read."""
        raise SnapshotUnsupported(self.name)

    # -- warnings (contract.WarningPolicy) ---------------------------------------------------
    def field_key(self, name: str) -> str:
        """A sent body field's name as the vendor reads it: exactly as sent, unless its
        decoder also takes other spellings (then those are no unknown fields)."""
        return name

    def refine_warnings(
        self, operation: Operation, request: HttpRequest, warnings: list[ContractWarning]
    ) -> list[ContractWarning]:
        """The contract layer's warnings for a request, said in the vendor's terms (what its
        service then does, or does not do)."""
        return warnings

    def body_rules(self, operation: Operation) -> BodyRules | None:
        """What the handler of `operation` checks in a request body beyond the description,
        so that a suggested body (a failing test's "nearest valid body") passes it too."""
        return None

    def decorate(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        """Add what the vendor puts on every response (request IDs, security headers)."""
        return response

    # -- scenarios ---------------------------------------------------------------------------
    @classmethod
    def scenario_error_names(cls) -> list[str]:
        """Errors a scenario can answer with by name (`tts: downlink_queue_capacity`)."""
        return []

    def scenario_error(self, name: str, request: HttpRequest) -> HttpResponse:
        """The vendor's own error called `name`, as its service would answer `request`."""
        raise KeyError(name)

    def revoke_credential(self, credential: str) -> bool:
        """A scenario revokes a key or client: later requests with it fail as the vendor's
        would. False when the world has no such credential."""
        return False

    def rate_limit_headers(
        self, *, limit: int, remaining: int, reset_seconds: int, retry_seconds: int
    ) -> dict[str, str]:
        """Headers the vendor puts on answers while a rate limit is in force."""
        return {"retry-after": str(retry_seconds)} if retry_seconds else {}

    def rate_limited(self, request: HttpRequest, headers: Mapping[str, str]) -> HttpResponse:
        """The vendor's answer over its rate limit; a generic 429 unless the vendor's is known."""
        body = b'{"error":"rate limit exceeded"}'
        return json_response(429, body, headers)

    def banner(self) -> list[str]:
        """Lines for the start-up banner: base paths and the world's ready credentials."""
        return []


def application_device_spec(
    spec: Mapping[str, Any], validator: jsonschema.Validator
) -> tuple[str, dict[str, Any]]:
    """A run-time device spec (admin API, Python): its `application_id`, and the rest as the
    world file's device entry, checked by `validator` (ValueError with the first problem)."""
    entry = dict(spec)
    application_id = entry.pop("application_id", None)
    if not application_id:
        raise ValueError("application_id is required")
    problems = list(validator.iter_errors(entry))
    if problems:
        raise ValueError(problems[0].message)
    return application_id, entry


def json_response(
    status: int, body: bytes, headers: Mapping[str, str] | None = None
) -> HttpResponse:
    return HttpResponse(status, {"content-type": "application/json", **(headers or {})}, body)
