"""Actility ThingPark: DX Core downlink messages, DX Admin / OIDC tokens, LRC reports."""

from __future__ import annotations

import functools
import random
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from mockserver.clock import DEFAULT_VIRTUAL_START, from_datetime
from mockserver.contract import HttpRequest, HttpResponse
from mockserver.contract.operations import Operation
from mockserver.contract.suggestions import BodyRules
from mockserver.core import Device
from mockserver.core.snapshot import random_to_json, restore_random
from mockserver.providers.base import Handler, Provider
from mockserver.providers.thingpark import errors
from mockserver.providers.thingpark.downlink_messages import (
    SEND_OPERATION,
    DownlinkMessageRoutes,
    send_body_rules,
)
from mockserver.providers.thingpark.lrc import Lrc
from mockserver.providers.thingpark.oauth import TokenRoutes
from mockserver.providers.thingpark.reports import ReportPublisher
from mockserver.providers.thingpark.subscription import Subscription
from mockserver.providers.thingpark.tokens import INFINITE_SECONDS, InvalidToken, TokenIssuer
from mockserver.providers.thingpark.world_schema import WORLD_SCHEMA
from mockserver.types import Micros

if TYPE_CHECKING:
    import jsonschema

    from mockserver.world import World


@functools.cache
def device_validator() -> jsonschema.protocols.Validator:
    """The check of a device added at run time (admin API, Python), built on first use:
    jsonschema is imported by the first such device, not by the server's start (issue 21)."""
    import jsonschema

    return jsonschema.Draft202012Validator(WORLD_SCHEMA["properties"]["devices"]["items"])


#: Default token lifetime when the request names no `validityPeriod` (unconfirmed, A6).
DEFAULT_TOKEN_LIFETIME = 3600
CORE_PREFIXES = ("/core/v141/api", "/core/latest/api", "/thingpark/dx/core/latest/api")
ADMIN_PREFIXES = ("/admin/latest/api", "/thingpark/dx/admin/latest/api")
OIDC_PREFIX = "/users-auth"
#: The OAuth 2.0 token endpoints: every error they give is RFC 6749's shape, not DX's.
TOKEN_PATHS = frozenset(
    {f"{prefix}/oauth/token" for prefix in ADMIN_PREFIXES}
    | {f"{OIDC_PREFIX}/protocol/openid-connect/token"}
)


class ThingParkProvider(Provider):
    name: ClassVar[str] = "thingpark"
    title: ClassVar[str] = "Actility ThingPark DX Core"
    prefixes: ClassVar[tuple[str, ...]] = (*CORE_PREFIXES, *ADMIN_PREFIXES, OIDC_PREFIX)
    world_schema: ClassVar[dict[str, Any]] = WORLD_SCHEMA

    def __init__(self, world: World, config: Mapping[str, Any]) -> None:
        super().__init__(world, config)
        self.clock = world.clock
        # Its own seeded source, so adding ThingPark changes no other provider's draws.
        self.rng = random.Random(f"thingpark:{world.description.get('seed', 0)}")
        self.subscription = Subscription(config, world.network)
        self.token_lifetime: int = config.get("token_lifetime", DEFAULT_TOKEN_LIFETIME)
        self.rejection_status: int = config.get("rejection_status", 409)
        self.tokens = TokenIssuer(self.rng, "thingpark-dx-admin")
        self.lrc = Lrc(world.network, world.clock)
        self.reports = ReportPublisher(self)
        self._downlink_messages = DownlinkMessageRoutes(self)
        self._tokens = TokenRoutes(self)
        #: A token for the world's first client, valid "infinitely" (the banner shows it).
        #: Issued at the world's start, not the clock's now: the same world prints the same
        #: token under a real clock too, so the README's curls work verbatim (as KPN's).
        self.ready_token: str | None = None
        if self.subscription.clients:
            client = next(iter(self.subscription.clients.values()))
            self.ready_token = self.tokens.issue(
                client.client_id, self.scope(), _world_start(world), INFINITE_SECONDS
            )

    def scope(self) -> tuple[str, ...]:
        return (f"SUBSCRIBER:{self.subscription.customer_id}",)

    def authorize(self, request: HttpRequest) -> None:
        """A DX call needs `Authorization: Bearer <token>` with a valid, unexpired token."""
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip(" \t")  # HTTP's own whitespace; a no-break space is no token's
        if scheme.lower() != "bearer" or not token:
            raise errors.unauthorized("Missing bearer token")
        try:
            self.tokens.verify(token, self.clock.now_us())
        except InvalidToken as invalid:
            raise errors.unauthorized(f"Invalid access token: {invalid}") from None

    def handlers(self) -> Mapping[str, Handler]:
        return {**self._downlink_messages.handlers(), **self._tokens.handlers()}

    def body_rules(self, operation: Operation) -> BodyRules | None:
        return send_body_rules() if operation.operation_id == SEND_OPERATION else None

    def create_device(self, spec: Mapping[str, Any]) -> Device:
        problems = list(device_validator().iter_errors(dict(spec)))
        if problems:
            raise ValueError(problems[0].message)
        return self.remember_added(self.subscription.add_device(spec).device, spec)

    def delete_device(self, device: Device) -> None:
        self.subscription.remove_device(device)
        self.added_devices.pop(device.id, None)

    # -- snapshots ---------------------------------------------------------------------------
    def snapshot_state(self) -> dict[str, Any]:
        """Run-time devices, the position of ThingPark's own dice (token keys, error IDs,
        correlation IDs) and the report sequence; queues are the core's. Tokens are signed,
        not stored: those issued before stay valid in a world of the same seed."""
        return {
            "added_devices": list(self.added_devices.values()),
            "random": random_to_json(self.rng),
            "report_sequence": self.reports.sequence,
        }

    def restore_state(self, state: dict[str, Any]) -> None:
        for spec in state.get("added_devices", []):
            self.create_device(spec)
        if "random" in state:
            restore_random(self.rng, state["random"], "thingpark.random")
        sequence = state.get("report_sequence", 0)
        if not isinstance(sequence, int):
            raise ValueError("thingpark.report_sequence must be an integer")
        self.reports.sequence = sequence
        # The queues come back right after this; the class C expiry timers of their frames
        # are set again once they are there (a timer due now runs at the clock's next step).
        self.clock.call_at(self.clock.now_us(), self.lrc.rearm_expiry)

    def _error(self, request: HttpRequest, error: errors.DxError) -> HttpResponse:
        """`error` in the shape of the service `request` reached: RFC 6749 on the token
        endpoints, DX's `{code, message, errorId}` everywhere else."""
        if request.path in TOKEN_PATHS:
            return errors.oauth_equivalent(error)
        return error.response(self.rng)

    def not_found(self, request: HttpRequest) -> HttpResponse:
        return errors.not_found().response(self.rng)

    def method_not_allowed(self, request: HttpRequest, allowed: list[str]) -> HttpResponse:
        return self._error(request, errors.method_not_allowed(request.method))

    def payload_too_large(self, request: HttpRequest, limit: int) -> HttpResponse:
        return self._error(request, errors.payload_too_large())

    def internal_error(self, request: HttpRequest) -> HttpResponse:
        return self._error(request, errors.internal_error())

    @classmethod
    def scenario_error_names(cls) -> list[str]:
        return [str(code) for code in (*errors.TUNNEL_MESSAGES, *errors.HTTP_MESSAGES)]

    def scenario_error(self, name: str, request: HttpRequest) -> HttpResponse:
        return self._error(request, errors.by_name(name, self.rejection_status))

    def revoke_credential(self, credential: str) -> bool:
        """A DX client removed: no new tokens, and the ones it holds fail (401)."""
        if self.subscription.clients.pop(credential, None) is None:
            return False
        self.tokens.revoke_subject(credential)
        return True

    def rate_limited(self, request: HttpRequest, headers: Mapping[str, str]) -> HttpResponse:
        """Over a scenario's rate limit: 429 with `Retry-After` in the shape of the service
        called (the status is our choice; the tunnel's own token bucket answers 121, which a
        scenario can name instead)."""
        response = self._error(request, errors.by_name("429", self.rejection_status))
        return HttpResponse(response.status, {**response.headers, **headers}, response.body)

    def banner(self) -> list[str]:
        lines = [f"{self.title}: {', '.join(CORE_PREFIXES)}"]
        lines.append(
            f"  tokens: POST {ADMIN_PREFIXES[0]}/oauth/token, "
            f"POST {OIDC_PREFIX}/protocol/openid-connect/token"
        )
        for client in self.subscription.clients.values():
            lines.append(f"  DX client: {client.client_id} / {client.client_secret}")
        if self.ready_token:
            lines.append(f"  ready token (validityPeriod=infinite): {self.ready_token}")
        for entry in self.subscription.devices.values():
            lines.append(
                f"  POST {CORE_PREFIXES[0]}/devices/{entry.ref}/downlinkMessages"
                f"  (DevEUI {entry.dev_eui}, class {entry.device.device_class.value})"
            )
        return lines


def _world_start(world: World) -> Micros:
    """The world's `clock.start` (its virtual clock's first instant), else the default one."""
    start = (world.description.get("clock") or {}).get("start")
    moment = (
        datetime.fromisoformat(start.replace("Z", "+00:00")) if start else DEFAULT_VIRTUAL_START
    )
    return from_datetime(moment)
