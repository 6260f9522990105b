"""`Simulator`: the whole simulated network server, with no I/O and no threads.

It owns the world (network, clock, dice, outbox), the providers built on it, the contract,
the journal and the scenario in force, and answers one request at a time:
`dispatch(HttpRequest) -> HttpResponse`, synchronously. What it must send out it hands to
sinks: outbound messages to the outbox's sink, log lines to the `mockserver.requests`
loggers. A scenario's faults on the wire come back as data on the response
(`FaultyResponse`) for whoever owns the connection to carry out.

The simulator is not thread-safe and does not try to be: the serving shell (`Host`) calls
it one call at a time. That keeps the request path free of locks, and keeps this module
testable with no event loop and no thread.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from mockserver.clock import DEFAULT_VIRTUAL_START, Clock, RealClock, VirtualClock
from mockserver.contract import Contract, HttpRequest, HttpResponse
from mockserver.contract.operations import Operation, OperationIndex
from mockserver.contract.records import ContractViolation
from mockserver.core import Device, Network
from mockserver.core.uplinks import Uplink, received
from mockserver.formatters.engine import expect_scripts
from mockserver.journal import DEFAULT_BODY_LIMIT, DEFAULT_BYTE_BUDGET, Journal
from mockserver.lorawan.regions import band
from mockserver.outbound import OutboundTargets, Outbox
from mockserver.providers import Handler, Provider
from mockserver.providers.base import json_response
from mockserver.providers.worlds import build_providers, read_world
from mockserver.request_log import hooks
from mockserver.scenario.engine import (
    CONNECTION_FAILED,
    ActiveScenario,
    FaultyResponse,
    RequestActs,
)
from mockserver.scenario.loading import ScenarioError, ScenarioReference, find_scenario
from mockserver.scenario.model import Scenario
from mockserver.scenario.timeline import check_devices
from mockserver.simulator.formatters import Formatters
from mockserver.simulator.timeline import schedule_timeline
from mockserver.simulator.untouched import Built
from mockserver.types import Micros
from mockserver.world import World, WorldSource

#: Where links the vendors put in bodies point until a shell says where it listens.
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8080"
#: The largest body read outside every provider's base path.
MAX_BODY = 1024 * 1024
log = logging.getLogger("mockserver")


class Simulator:
    def __init__(
        self,
        world: WorldSource = None,
        *,
        clock: Clock | None = None,
        specs_dir: Path | None = None,
        journal_capacity: int = 10_000,
        public_url: str = DEFAULT_PUBLIC_URL,
        journal_bytes: int = DEFAULT_BYTE_BUDGET,
        journal_body_bytes: int = DEFAULT_BODY_LIMIT,
        outbound_allow: Iterable[str] = (),
    ) -> None:
        #: The world as the last reset built it, with what that build read; None from the
        #: moment anything may have changed it (`simulator.untouched`: the next reset then
        #: builds it again). The world's objects are handed out only by the properties
        #: below, and each hand-out, as each call that may change the world, forgets it.
        self._untouched: Built | None = None
        self.description = read_world(world)
        #: Where the world came from, for the banner: a file name, "default" or "dict".
        self.world_origin = world_origin(world)
        self.clock: Clock = clock or VirtualClock(self._clock_start())
        self.contract = Contract.load(specs_dir)
        self.journal = Journal(
            journal_capacity, byte_budget=journal_bytes, body_limit=journal_body_bytes
        )
        self.outbox = Outbox(
            check=self.contract.check_outbound, targets=OutboundTargets(outbound_allow)
        )
        #: Where applications reach the simulator (links in bodies, X-Downlink-Push).
        self.public_url = public_url
        #: The failure scenario in force (None: the world behaves as described).
        self.scenario: ActiveScenario | None = None
        #: What `reset()` re-arms: the scenario `serve --scenario` started with.
        self.default_scenario: ScenarioReference | Scenario | None = None
        #: The world (description, origin) in force before a scenario brought its own: what
        #: clearing that scenario, or a reset that does not re-arm it, goes back to.
        self.world_before_scenario: tuple[dict[str, Any], str] | None = None
        #: The journal's fields of the last exchange `dispatch` recorded (its redacted,
        #: truncated copy): the shell reads it back for the request log right after the call.
        self.last_exchange: tuple[Any, ...] | None = None
        self._build_world()

    # -- state -----------------------------------------------------------------------------
    @property
    def world(self) -> World:
        self._untouched = None  # whoever holds it may change it
        return self._world

    @property
    def network(self) -> Network:
        self._untouched = None
        return self._world.network

    @property
    def providers(self) -> dict[str, Provider]:
        self._untouched = None
        return self._providers

    @property
    def formatters(self) -> Formatters:
        """Set devices' payload formatter scripts from Python (docs/formatters.md)."""
        self._untouched = None
        return Formatters(self)

    def _build_world(self) -> None:
        self._untouched = None
        self._world = World.build(self.description, self.clock, self.outbox, self.public_url)
        self._providers = build_providers(self._world)
        self._handlers = self._bind_handlers()
        self._prefixes = self._prefix_table()
        self._start_periodic_uplinks()

    def rebuild_world(self) -> None:
        """Build the world afresh from `description` on the clock as it stands (a snapshot's
        restore puts its state on it next); journal, outbox and scenario are the caller's."""
        self._build_world()

    def set_public_url(self, url: str) -> None:
        """Where the shell listens, for the links the vendors put in bodies."""
        self.public_url = self.world.public_url = url  # `world`: no longer untouched

    def _start_periodic_uplinks(self) -> None:
        """Devices with an `uplink_interval` uplink on their own, first one interval in."""
        for device in self.network:
            if device.uplink_interval:
                self._schedule_periodic_uplink(device.id, device.uplink_interval)

    def _schedule_periodic_uplink(self, device_id: str, interval: Micros) -> None:
        world = self._world
        clock = self.clock
        network = world.network
        find = network.lookup
        device = find(device_id)

        def fire() -> None:
            nonlocal device
            if self._world is not world:
                return  # the world was reset
            # Network.holds, inline: the device found last time, while it is still in the
            # network; else whichever has its id now (a dict of every device, a cache miss
            # a million times a day of a large world).
            if device is None or device._member_of is not network:
                device = find(device_id)
                if device is None:
                    return  # the device was removed
            self._uplink(device, None, b"", False, False, None, None)
            clock.call_at(clock.now_us() + interval, fire)  # the same callback each time

        clock.call_at(clock.now_us() + interval, fire)

    def uplink(
        self,
        device_id: str,
        *,
        f_port: int | None = None,
        frm_payload: bytes = b"",
        confirmed: bool = False,
        ack: bool = False,
        data_rate: int | None = None,
        frequency: int | None = None,
    ) -> Uplink:
        """Simulate an uplink from the device ending now; class A windows open from it."""
        device = self._world.network.get(device_id)
        return self._uplink(device, f_port, frm_payload, confirmed, ack, data_rate, frequency)

    def _uplink(
        self,
        device: Device,
        f_port: int | None,
        frm_payload: bytes,
        confirmed: bool,
        ack: bool,
        data_rate: int | None,
        frequency: int | None,
    ) -> Uplink:
        """`uplink` of a device already found (a periodic uplink has it at hand)."""
        self._untouched = None
        region = band(device.band)
        # The band's defaults are valid by construction: only what the caller gave is checked.
        if data_rate is None:
            data_rate = region.default_uplink_data_rate
        elif not region.data_rate(data_rate).uplink:  # ValueError for an unknown one too
            raise ValueError(f"DR{data_rate} is not an uplink data rate in {region.name}")
        if frequency is None:
            frequency = region.default_uplink_frequency_hz
        else:
            region.rx1_frequency(frequency)  # ValueError unless an uplink channel of the band
        if f_port is not None and not 0 <= f_port <= 255:
            raise ValueError(f"FPort {f_port} is outside 0..255")
        session = device.session
        uplink = received(
            self.clock.now_us(),
            f_port,
            frm_payload,
            confirmed,
            ack,
            data_rate,
            frequency,
            (session.last_f_cnt_up + 1) if session else 0,
        )
        lost = self.scenario.uplink_lost(device.id) if self.scenario else None
        if lost is not None:  # never received: the scenario silenced it
            self._world.network.emit("uplink_lost", device, [], reason=lost, f_cnt=uplink.f_cnt)
            if session is not None:
                session.last_f_cnt_up = uplink.f_cnt  # the device counted it all the same
            return uplink
        self._world.scheduler.uplink(device, uplink)
        return uplink

    # -- scenarios -------------------------------------------------------------------------
    def load_scenario(self, reference: ScenarioReference | Scenario) -> ActiveScenario:
        """Put a scenario in force from now: a bundled name, a file, or a description.

        A scenario with a world of its own switches to it first (a fresh start), and the
        world it replaces is remembered for `clear_scenario` and `reset`; otherwise the
        current state stays and only the rules and timeline begin. A refused scenario
        (ScenarioError) changes nothing.
        """
        scenario = reference if isinstance(reference, Scenario) else find_scenario(reference)
        if scenario.world is not None:
            # Checked on a throwaway build first: a refused scenario changes nothing.
            check_devices(scenario, _device_ids_of(scenario))
            before = self.world_before_scenario or (self.description, self.world_origin)
            self.reset(scenario.world, keep_scenario=True)
            self.world_origin = f"scenario {scenario.name}"
            self.world_before_scenario = before
        check_devices(scenario, [device.id for device in self.network])
        active = ActiveScenario(scenario, self.clock)
        self.scenario = active
        self.world.scheduler.faults = active
        self.world.scheduler.reconsider()
        schedule_timeline(self, active)
        return active

    def clear_scenario(self) -> None:
        """No scenario in force from now. One that brought its own world takes it away: the
        world before it comes back from its start, as after a reset."""
        self.scenario = None
        self.world.scheduler.faults = None
        self.world.scheduler.reconsider()  # nothing is held for a silence that is gone
        if self.world_before_scenario is not None:
            description, origin = self.world_before_scenario
            self.reset(description, keep_scenario=True)
            self.world_origin = origin

    def reset(
        self,
        world: WorldSource | bool = False,
        *,
        keep_scenario: bool = False,
        clear_findings: bool = False,
    ) -> None:
        """Back to the world's start: devices, queues, journal and virtual time.

        Pass a new world description to switch worlds; by default the current one is rebuilt.
        Messages already handed to the outbox's sink are settled first (the sink decides
        what that means: the shell's delivery worker waits for them). The contract findings
        (violations, warnings, coverage) are kept for the run's report, with a mark where
        the next test's begin; `clear_findings` forgets them too.

        The current world, when nothing may have changed it since the last reset built it
        (`simulator.untouched`), is kept instead of being built again (issue 21: a test
        that sent nothing paid for a rebuild that made what was there).
        """
        if isinstance(world, bool) and self._has_nothing_to_undo():
            self._clear_records(clear_findings)
            return
        if world is not False and not isinstance(world, bool):
            description = read_world(world)
            # Built once aside first: a world that cannot be built, or that the scenario
            # re-armed below does not fit, changes nothing.
            trial = World.build(description, VirtualClock(), Outbox(targets=self.outbox.targets))
            build_providers(trial)
            if not keep_scenario and self.default_scenario is not None:
                self._check_default_scenario_fits([device.id for device in trial.network])
            self.description = description
            self.world_origin = world_origin(world)
            self.world_before_scenario = None  # a world chosen now is the one to keep
        elif not keep_scenario and self.world_before_scenario is not None:
            # The scenario that brought the current world goes: so does its world.
            self.description, self.world_origin = self.world_before_scenario
            self.world_before_scenario = None
        if isinstance(self.clock, VirtualClock):
            self.clock.reset(self._clock_start())
        elif isinstance(self.clock, RealClock):
            self.clock.reset()
        self._clear_records(clear_findings, build=True)
        if not keep_scenario:
            self.scenario = None
            if self.default_scenario is not None:
                self.load_scenario(self.default_scenario)  # re-armed from its start
        if self.scenario is None and isinstance(self.clock, VirtualClock):
            self._untouched = Built.of(
                self._world, self.clock, self.public_url, self.outbox, self.contract
            )

    def _has_nothing_to_undo(self) -> bool:
        """Whether a reset to the current world would build what is there: the last reset
        built it and nothing may have changed it since (`_untouched`: no request, uplink or
        scenario, none of its objects handed out; its virtual clock where that reset left
        it, with the same timers: a timer of the world that fired would have changed it),
        and no scenario is in force or to be armed. A real clock's world is always built
        again: its time moves on its own."""
        built = self._untouched
        return (
            built is not None
            and self.scenario is None
            and self.default_scenario is None
            and self.world_before_scenario is None
            and built.still_holds(
                self._world,
                self.clock,
                self.public_url,
                self.outbox,
                self.contract,
                self.description,
            )
        )

    def _clear_records(self, clear_findings: bool, *, build: bool = False) -> None:
        """What every reset does besides the clock: settle the outbox (then, when `build`,
        build the world), clear the journal and the outbox, clear or mark the findings."""
        self.outbox.settle()
        if build:
            self._build_world()
        self.journal.clear()
        self.outbox.clear()
        if clear_findings:
            self.contract.log.clear()
        else:
            self.contract.log.mark()

    def _check_default_scenario_fits(self, device_ids: list[str]) -> None:
        """ScenarioError unless the default scenario (`serve --scenario`) can run in a world
        of these devices: one with a world of its own always can."""
        default = self.default_scenario
        assert default is not None
        scenario = default if isinstance(default, Scenario) else find_scenario(default)
        if scenario.world is None:
            check_devices(scenario, device_ids)

    def _clock_start(self) -> datetime:
        start = (self.description.get("clock") or {}).get("start")
        if not start:
            return DEFAULT_VIRTUAL_START
        return datetime.fromisoformat(start.replace("Z", "+00:00"))

    def _bind_handlers(self) -> dict[str, tuple[OperationIndex, dict[str, Handler]]]:
        bound = {}
        for name, provider in self._providers.items():
            index = self.contract.index(name)
            handlers = dict(provider.handlers())
            missing = {op.operation_id for op in index} - set(handlers)
            if missing:
                raise RuntimeError(f"{name}: no handler for {sorted(missing)}")
            bound[name] = (index, handlers)
        return bound

    # -- routing ---------------------------------------------------------------------------
    def _prefix_table(self) -> dict[str, list[tuple[str, str, Provider]]]:
        """Base paths by their first segment, longest first within it: a request looks at
        the few that can fit, and the first that does is the best."""
        table: dict[str, list[tuple[str, str, Provider]]] = {}
        for provider in self._providers.values():
            for prefix in provider.prefixes:
                table.setdefault(_first_segment(prefix), []).append(
                    (prefix, prefix + "/", provider)
                )
        for entries in table.values():
            entries.sort(key=lambda entry: -len(entry[0]))
        return table

    def provider_for(self, path: str) -> Provider | None:
        """The provider with the longest base path that contains `path` (KPN's token path
        lies under TTS's `/api/v3`). Every request comes here first (`intake`, `dispatch`):
        the world may change from now."""
        self._untouched = None
        for prefix, directory, provider in self._prefixes.get(_first_segment(path), ()):
            if path.startswith(directory) or path == prefix:
                return provider
        return None

    def owner_of_unserved(self, path: str) -> Provider | None:
        """The provider whose vendor answers `path`, outside every base path, with its own
        404 (asked only when `provider_for` found none)."""
        self._untouched = None
        for provider in self._providers.values():
            if provider.answers_unserved_path(path):
                return provider
        return None

    def intake(self, path: str) -> int:
        """What the serving shell asks before it reads a request's body: the most body bytes
        a request to `path` may carry (its vendor's limit; a larger body is not read, and
        its request is dispatched with `oversized` set). A request that brings a script to
        run marks scripts as met first
        (`engine.expect_scripts`), so that the shell runs this very call on the simulator's
        thread, not on its event loop."""
        provider = self.provider_for(path)
        if provider is None:
            return MAX_BODY
        if provider.carries_script(path):
            expect_scripts()
        return provider.max_body

    # -- requests --------------------------------------------------------------------------
    def dispatch(self, request: HttpRequest) -> HttpResponse:
        """One simulated API call, answered and journalled: route, scenario, contract in,
        handler, contract out. A `FaultyResponse` carries what the scenario does on the
        wire; `CONNECTION_FAILED` (status 0) means the client gets no HTTP answer."""
        provider = self.provider_for(request.path)
        if provider is None:
            owner = self.owner_of_unserved(request.path)
            if owner is not None:  # the vendor's router answers whatever the body
                return self.unknown_route(owner, request, [])
            response = _no_provider(request, 413 if request.oversized else 404)
            self.record(None, None, request, response, [])
            return response
        if request.oversized:
            return self._dispatch_oversized(provider, request)
        return self._dispatch_to(provider, request)

    def unknown_route(
        self, provider: Provider, request: HttpRequest, allowed: list[str]
    ) -> HttpResponse:
        """The vendor's 405 (a path served with other methods) or 404, noted in the journal
        and as the client's contract violation."""
        self._untouched = None
        violations = self.contract.unknown_route(provider.name, request, allowed)
        response = provider.decorate(
            request,
            provider.method_not_allowed(request, allowed)
            if allowed
            else provider.not_found(request),
        )
        self.record(provider.name, None, request, response, violations)
        return response

    def _dispatch_to(self, provider: Provider, request: HttpRequest) -> HttpResponse:
        index, handlers = self._handlers[provider.name]
        found = index.match(request.method, request.path)
        if found is None:
            return self.unknown_route(provider, request, index.allowed_methods(request.path))
        operation, params = found
        contract = self.contract
        try:
            violations = contract.check_request(operation, params, request, provider, record=False)
        except Exception:  # a contract-layer bug: the vendor's 500, logged, never uvicorn's
            response = provider.decorate(request, provider_failed(provider, request))
            self.record(provider.name, operation.key, request, response, [])
            return response
        request.violations = violations
        handler = handlers[operation.operation_id]
        if self.scenario is not None:
            acts = self.scenario.on_request(
                provider, operation.operation_id, operation.path, params, request
            )
            if acts is not None:
                return self._dispatch_under_scenario(
                    provider, operation, handler, params, request, violations, acts
                )
        try:
            response = handler(request, params)
        except Exception:  # logged, then the vendor's 500: never a traceback in a body
            response = provider_failed(provider, request)
        response = provider.decorate(request, response)
        violations = contract.record_request(violations, response.status)
        violations += contract.check_response(operation, request, response)
        self.record(provider.name, operation.key, request, response, violations)
        return response

    def _dispatch_oversized(self, provider: Provider, request: HttpRequest) -> HttpResponse:
        """A body over the vendor's limit (not read). A vendor that checks IDs and credentials
        first gets the call flagged `oversized`; the others answer `payload_too_large` at
        once. Either way an active scenario sees the call first: a load balancer's 502, a
        rate limit, latency or a cut happen whatever the size of the body."""
        limit = provider.max_body
        if provider.reads_body_late:
            return self._dispatch_to(provider, request)
        scenario = self.scenario
        found = self._handlers[provider.name][0].match(request.method, request.path)
        if scenario is not None and found is not None:
            operation, params = found
            acts = scenario.on_request(
                provider, operation.operation_id, operation.path, params, request
            )
            if acts is not None:

                def too_large(request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
                    return provider.payload_too_large(request, limit)

                return self._dispatch_under_scenario(
                    provider, operation, too_large, params, request, [], acts, checked=False
                )
        response = provider.decorate(request, provider.payload_too_large(request, limit))
        self.record(provider.name, None, request, response, [])
        return response

    def _dispatch_under_scenario(
        self,
        provider: Provider,
        operation: Operation,
        handler: Handler,
        params: dict[str, str],
        request: HttpRequest,
        violations: list[ContractViolation],
        acts: RequestActs,
        *,
        checked: bool = True,
    ) -> HttpResponse:
        """The slow path: a scenario rule acts on this call (see scenario/engine.py).
        `checked=False`: the handler's answer comes before the description applies (an
        oversized body's 413), as on the path without a scenario."""
        if acts.handle:
            try:
                response = handler(request, params)
            except Exception:
                response = provider_failed(provider, request)
            if acts.headers:
                response = replace(response, headers={**response.headers, **acts.headers})
            response = provider.decorate(request, response)
            violations = self.contract.record_request(violations, response.status)
            if checked:
                violations += self.contract.check_response(operation, request, response)
        elif acts.response is not None:
            response = acts.response
            if acts.headers:  # an earlier rate limit admitted the call: its count goes too
                response = replace(response, headers={**acts.headers, **response.headers})
            response = provider.decorate(request, response)
            violations = self.contract.record_request(
                violations, response.status
            ) + self.contract.check_chosen_response(operation, request, response)
        else:
            response = CONNECTION_FAILED  # reset or garbage: the client gets no HTTP answer
            violations = self.contract.record_request(violations, None)
        self.record(provider.name, operation.key, request, response, violations, acts.rule.name)
        if hooks.scenario_logged():
            said = acts.describe(response.status)
            hooks.log_request_acts(self.clock, acts.rule.name, said, provider.name, request)
        return FaultyResponse.of(response, acts) if acts.over_the_wire else response

    def record(
        self,
        provider: str | None,
        operation: str | None,
        request: HttpRequest,
        response: HttpResponse,
        violations: list[ContractViolation],
        scenario_rule: str | None = None,
    ) -> None:
        """Journal one exchange, now; kept as `last_exchange` for the request log."""
        self.last_exchange = self.journal.add(
            self.clock.now_us(),
            provider,
            operation,
            request,
            response,
            violations,
            scenario_rule,
        )


def provider_failed(provider: Provider, request: HttpRequest) -> HttpResponse:
    """Called in an `except` block: log the traceback; the vendor's 500 is also a finding."""
    log.exception("handler failed for %s %s", request.method, request.path)
    return provider.internal_error(request)


def _no_provider(request: HttpRequest, status: int) -> HttpResponse:
    """Outside every provider's base path there is no vendor shape to copy: say what is served."""
    message = "no simulated API is served at this path" if status == 404 else "body too large"
    return json_response(
        status, json.dumps({"error": message, "path": request.path}).encode() + b"\n"
    )


def _device_ids_of(scenario: Scenario) -> list[str]:
    """The devices of a scenario's own world, from a throwaway build."""
    assert scenario.world is not None
    try:
        trial = World.build(read_world(scenario.world), VirtualClock())
        build_providers(trial)
    except ValueError as problem:  # the loader refuses these; a hand-built Scenario may not
        raise ScenarioError(f"{scenario.source}: world cannot be built: {problem}") from None
    return [device.id for device in trial.network]


def world_origin(world: WorldSource) -> str:
    """How the banner names a world: its file, "default" or "dict"."""
    if world is None:
        return "default"
    return str(world) if isinstance(world, str | Path) else "dict"


def _first_segment(path: str) -> str:
    return path.split("/", 2)[1] if path.count("/") else path
