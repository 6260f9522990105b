"""`MockServer`: the one object behind the CLI, the pytest fixture and the admin API.

It owns a world, a clock, the contract and the journal; the ASGI app, the admin routes and
Python callers all act on it, so there is never a second copy of the state.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from mockserver.asgi import MockServerApp, provider_failed
from mockserver.clock import Clock, VirtualClock
from mockserver.contract import Contract, HttpRequest, HttpResponse
from mockserver.contract.operations import Operation, OperationIndex
from mockserver.contract.records import ContractViolation
from mockserver.core import Network
from mockserver.core.uplinks import Uplink
from mockserver.formatters.api import Formatters
from mockserver.journal import Journal
from mockserver.lorawan.regions import band
from mockserver.outbound import Outbound
from mockserver.providers import Handler, Provider
from mockserver.request_log import hooks
from mockserver.scenario.engine import ActiveScenario, RequestActs
from mockserver.scenario.loading import ScenarioError, ScenarioReference, find_scenario
from mockserver.scenario.model import Scenario
from mockserver.scenario.timeline import check_devices, schedule_timeline
from mockserver.scenario.transport import CONNECTION_FAILED, FaultyResponse
from mockserver.tenants import TenantRouter, Tenants
from mockserver.types import Micros
from mockserver.ui.stream import StreamAwareServer
from mockserver.world import World, WorldSource, read_world

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
INPROCESS_URL = "http://mockserver.invalid"


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to `host:port` as uvicorn binds one (port 0: a free port); OSError
    when the port is taken or the address is not this machine's."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


class MockServer:
    def __init__(
        self,
        world: WorldSource = None,
        *,
        clock: Clock | None = None,
        specs_dir: Path | None = None,
        journal_capacity: int = 10_000,
        tenants: bool = True,
    ) -> None:
        self.description = read_world(world)
        #: Where the world came from, for the banner: a file name, "default" or "dict".
        self.world_origin = _origin(world)
        self.clock = clock or VirtualClock(self._clock_start())
        self.contract = Contract.load(specs_dir)
        self.journal = Journal(journal_capacity)
        #: Held while a handler or a Python/admin caller touches the world: one step at a time.
        self.lock = threading.RLock()
        self.outbound = Outbound(check=self.contract.check_outbound, clock=self.clock)
        self.public_url = f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"
        self.world = self._build_world()
        self._handlers = self._bind_handlers()
        self._prefixes = self._prefix_table()
        self._start_periodic_uplinks()
        #: This simulator's own pipeline (API and admin).
        self.app = MockServerApp(self)
        #: Isolated simulators behind the same port, chosen by the X-Mockserver-Tenant header.
        self.tenants = Tenants(self) if tenants else None
        #: What is served: the tenant router in front of `app`.
        self.asgi = TenantRouter(self, self.tenants) if self.tenants else self.app
        self._thread: threading.Thread | None = None
        self._uvicorn: uvicorn.Server | None = None
        self.url: str | None = None
        #: The failure scenario in force (None: the world behaves as described).
        self.scenario: ActiveScenario | None = None
        #: What `reset()` re-arms: the scenario `serve --scenario` started with.
        self.default_scenario: ScenarioReference | Scenario | None = None
        #: The world (description, origin) in force before a scenario brought its own: what
        #: clearing that scenario, or a reset that does not re-arm it, goes back to.
        self.world_before_scenario: tuple[dict[str, Any], str] | None = None

    # -- state -----------------------------------------------------------------------------
    @property
    def network(self) -> Network:
        return self.world.network

    @property
    def providers(self) -> dict[str, Provider]:
        return self.world.providers

    @property
    def formatters(self) -> Formatters:
        """Set devices' payload formatter scripts from Python (docs/formatters.md)."""
        return Formatters(self)

    def _start_periodic_uplinks(self) -> None:
        """Devices with an `uplink_interval` uplink on their own, first one interval in."""
        for device in self.network:
            if device.uplink_interval:
                self._schedule_periodic_uplink(device.id, device.uplink_interval)

    def _schedule_periodic_uplink(self, device_id: str, interval: Micros) -> None:
        world = self.world

        def fire() -> None:
            if self.world is not world or self.network.find(device_id) is None:
                return  # the world was reset or the device removed
            self.uplink(device_id)
            self._schedule_periodic_uplink(device_id, interval)

        self.clock.call_at(self.clock.now_us() + interval, fire)

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
        with self.lock:
            device = self.network.get(device_id)
            region = band(device.band)
            data_rate = region.default_uplink_data_rate if data_rate is None else data_rate
            frequency = region.default_uplink_frequency_hz if frequency is None else frequency
            if not region.data_rate(data_rate).uplink:  # ValueError for an unknown one too
                raise ValueError(f"DR{data_rate} is not an uplink data rate in {region.name}")
            region.rx1_frequency(frequency)  # ValueError unless an uplink channel of the band
            if f_port is not None and not 0 <= f_port <= 255:
                raise ValueError(f"FPort {f_port} is outside 0..255")
            session = device.session
            uplink = Uplink(
                received_at=self.clock.now_us(),
                f_port=f_port,
                frm_payload=frm_payload,
                confirmed=confirmed,
                ack=ack,
                data_rate=data_rate,
                frequency=frequency,
                f_cnt=(session.last_f_cnt_up + 1) if session else 0,
            )
            lost = self.scenario.uplink_lost(device.id) if self.scenario else None
            if lost is not None:  # never received: the scenario silenced it
                self.network.emit("uplink_lost", device, [], reason=lost, f_cnt=uplink.f_cnt)
                if session is not None:
                    session.last_f_cnt_up = uplink.f_cnt  # the device counted it all the same
                return uplink
            self.world.scheduler.uplink(device, uplink)
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
        with self.lock:
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
        with self.lock:
            self.scenario = None
            self.world.scheduler.faults = None
            self.world.scheduler.reconsider()  # nothing is held for a silence that is gone
            if self.world_before_scenario is not None:
                description, origin = self.world_before_scenario
                self.reset(description, keep_scenario=True)
                self.world_origin = origin

    def reset(self, world: WorldSource | bool = False, *, keep_scenario: bool = False) -> None:
        """Back to the world's start: devices, queues, journal, findings and virtual time.

        Pass a new world description to switch worlds; by default the current one is rebuilt.
        """
        with self.lock:
            if world is not False:
                description = read_world(world)  # type: ignore[arg-type]
                # Built once aside first: a world that cannot be built, or that the scenario
                # re-armed below does not fit, changes nothing.
                trial = World.build(description, VirtualClock(), Outbound(), "")
                if not keep_scenario and self.default_scenario is not None:
                    self._check_default_scenario_fits([device.id for device in trial.network])
                self.description = description
                self.world_origin = _origin(world)  # type: ignore[arg-type]
                self.world_before_scenario = None  # a world chosen now is the one to keep
            elif not keep_scenario and self.world_before_scenario is not None:
                # The scenario that brought the current world goes: so does its world.
                self.description, self.world_origin = self.world_before_scenario
                self.world_before_scenario = None
            if isinstance(self.clock, VirtualClock):
                self.clock.reset(self._clock_start())
            else:
                self.clock.reset()  # type: ignore[attr-defined]
            self.outbound.flush()
            self.world = self._build_world()
            self._handlers = self._bind_handlers()
            self._prefixes = self._prefix_table()
            self._start_periodic_uplinks()
            self.journal.clear()
            self.outbound.clear()
            self.contract.log.clear()
            if not keep_scenario:
                self.scenario = None
                if self.default_scenario is not None:
                    self.load_scenario(self.default_scenario)  # re-armed from its start

    def _check_default_scenario_fits(self, device_ids: list[str]) -> None:
        """ScenarioError unless the default scenario (`serve --scenario`) can run in a world
        of these devices: one with a world of its own always can."""
        default = self.default_scenario
        assert default is not None
        scenario = default if isinstance(default, Scenario) else find_scenario(default)
        if scenario.world is None:
            check_devices(scenario, device_ids)

    def _build_world(self) -> World:
        return World.build(self.description, self.clock, self.outbound, self.public_url)

    def _clock_start(self) -> datetime:
        from mockserver.clock import DEFAULT_VIRTUAL_START

        start = (self.description.get("clock") or {}).get("start")
        return (
            datetime.fromisoformat(start.replace("Z", "+00:00"))
            if start
            else (DEFAULT_VIRTUAL_START)
        )

    def _bind_handlers(self) -> dict[str, tuple[OperationIndex, dict[str, Handler]]]:
        bound = {}
        for name, provider in self.world.providers.items():
            index = self.contract.index(name)
            handlers = dict(provider.handlers())
            missing = {op.operation_id for op in index} - set(handlers)
            if missing:
                raise RuntimeError(f"{name}: no handler for {sorted(missing)}")
            bound[name] = (index, handlers)
        return bound

    # -- requests --------------------------------------------------------------------------
    def _prefix_table(self) -> dict[str, list[tuple[str, str, Provider]]]:
        """Base paths by their first segment, longest first within it: a request looks at
        the few that can fit, and the first that does is the best."""
        table: dict[str, list[tuple[str, str, Provider]]] = {}
        for provider in self.world.providers.values():
            for prefix in provider.prefixes:
                table.setdefault(_first_segment(prefix), []).append(
                    (prefix, prefix + "/", provider)
                )
        for entries in table.values():
            entries.sort(key=lambda entry: -len(entry[0]))
        return table

    def provider_for(self, path: str) -> Provider | None:
        """The provider with the longest base path that contains `path` (KPN's token path
        lies under TTS's `/api/v3`)."""
        for prefix, directory, provider in self._prefixes.get(_first_segment(path), ()):
            if path.startswith(directory) or path == prefix:
                return provider
        return None

    def owner_of_unserved(self, path: str) -> Provider | None:
        """The provider whose vendor answers `path`, outside every base path, with its own
        404 (asked only when `provider_for` found none)."""
        for provider in self.world.providers.values():
            if provider.answers_unserved_path(path):
                return provider
        return None

    def unknown_route(
        self, provider: Provider, request: HttpRequest, allowed: list[str]
    ) -> HttpResponse:
        """The vendor's 405 (a path served with other methods) or 404, noted in the journal
        and as the client's contract violation."""
        violations = self.contract.unknown_route(provider.name, request, allowed)
        response = provider.decorate(
            request,
            provider.method_not_allowed(request, allowed)
            if allowed
            else provider.not_found(request),
        )
        self.record(provider.name, None, request, response, violations)
        return response

    def dispatch(self, provider: Provider, request: HttpRequest) -> HttpResponse:
        """Contract in, handler, contract out, journal: one simulated API call."""
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
        with self.lock:
            try:
                response = handler(request, params)
            except Exception:  # as serve_provider_call: logged, then the vendor's 500
                response = provider_failed(provider, request)
        response = provider.decorate(request, response)
        violations = contract.record_request(violations, response.status)
        violations += contract.check_response(operation, request, response)
        self.record(provider.name, operation.key, request, response, violations)
        return response

    def dispatch_oversized(
        self, provider: Provider, request: HttpRequest, limit: int
    ) -> HttpResponse:
        """A body over the vendor's limit (not read). A vendor that checks IDs and credentials
        first gets the call flagged `oversized`; the others answer `payload_too_large` at
        once. Either way an active scenario sees the call first: a load balancer's 502, a
        rate limit, latency or a cut happen whatever the size of the body."""
        request.oversized = True
        if provider.reads_body_late:
            return self.dispatch(provider, request)
        scenario = self.scenario
        found = self._handlers[provider.name][0].match(request.method, request.path)
        if scenario is not None and found is not None:
            operation, params = found
            acts = scenario.on_request(
                provider, operation.operation_id, operation.path, params, request
            )
            if acts is not None:

                def too_large(request: HttpRequest, params: object) -> HttpResponse:
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
            with self.lock:
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
        hooks.log_request_acts(self.clock, acts, provider.name, request, response.status)
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
        """Journal one exchange, now; the request log reads it back (request_log.hooks)."""
        hooks.remember(
            self.journal.add(
                self.clock.now_us(),
                provider,
                operation,
                request,
                response,
                violations,
                scenario_rule,
            )
        )

    # -- serving ---------------------------------------------------------------------------
    def start(self, host: str = DEFAULT_HOST, port: int = 0) -> str:
        """Serve on a background thread (port 0 picks a free port); returns the base URL."""
        if self._thread is not None:
            raise RuntimeError("already started")
        sock = listening_socket(host, port)
        bound_port = sock.getsockname()[1]
        self._uvicorn = StreamAwareServer(self._config(host, bound_port))
        self._thread = threading.Thread(
            target=self._uvicorn.run,
            kwargs={"sockets": [sock]},
            daemon=True,
            name="mockserver",
        )
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._uvicorn.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.01)
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{bound_port}"
        self.public_url = self.world.public_url = self.url
        return self.url

    def stop(self) -> None:
        self.outbound.close()
        if self.tenants is not None:
            self.tenants.close()
        if self._uvicorn is not None and self._thread is not None:
            self._uvicorn.should_exit = True
            self._thread.join(timeout=10)
        self._thread = None
        self._uvicorn = None
        self.url = None

    def serve(
        self,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        on_ready: Callable[[], None] | None = None,
        sock: socket.socket | None = None,
    ) -> None:
        """Serve in the foreground until interrupted (the CLI); `on_ready` runs once the
        port accepts connections, so a supervisor can wait for it instead of polling.
        `sock`: bound already by `listening_socket(host, port)`, so that a busy port is
        told before anything is printed."""
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        self.public_url = self.world.public_url = f"http://{shown}:{port}"
        server = StreamAwareServer(self._config(host, port))
        if on_ready is not None:

            def announce() -> None:
                while not server.started and not server.should_exit:
                    time.sleep(0.005)
                if server.started:
                    on_ready()

            threading.Thread(target=announce, daemon=True, name="mockserver-ready").start()
        server.run(sockets=None if sock is None else [sock])
        self.outbound.close()
        if self.tenants is not None:
            self.tenants.close()

    def _config(self, host: str, port: int) -> uvicorn.Config:
        return uvicorn.Config(
            self.asgi,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            server_header=False,
            lifespan="on",
            http="httptools",
            loop="auto",
        )

    # -- clients ---------------------------------------------------------------------------
    def client(self, **kwargs: object) -> httpx.Client:
        """An httpx client for this server: over its port when started, in-process otherwise."""
        if self.url is not None:
            return httpx.Client(base_url=self.url, **kwargs)  # type: ignore[arg-type]
        from mockserver.inprocess import InProcessTransport

        return httpx.Client(
            transport=InProcessTransport(self.asgi),
            base_url=INPROCESS_URL,
            **kwargs,  # type: ignore[arg-type]
        )

    def async_client(self, **kwargs: object) -> httpx.AsyncClient:
        """An async httpx client calling the app in-process (no socket)."""
        from mockserver.inprocess import AsyncInProcessTransport

        return httpx.AsyncClient(
            transport=AsyncInProcessTransport(self.asgi),
            base_url=INPROCESS_URL,
            **kwargs,  # type: ignore[arg-type]
        )

    def __enter__(self) -> MockServer:
        """`with MockServer() as server:` serves on a free port of 127.0.0.1 (`server.url`)
        for the block, as a script outside pytest wants; one started before is kept."""
        if self._thread is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _device_ids_of(scenario: Scenario) -> list[str]:
    """The devices of a scenario's own world, from a throwaway build."""
    assert scenario.world is not None
    try:
        trial = World.build(read_world(scenario.world), VirtualClock(), Outbound(), "")
    except ValueError as problem:  # the loader refuses these; a hand-built Scenario may not
        raise ScenarioError(f"{scenario.source}: world cannot be built: {problem}") from None
    return [device.id for device in trial.network]


def _origin(world: WorldSource) -> str:
    if world is None:
        return "default"
    return str(world) if isinstance(world, str | Path) else "dict"


def _first_segment(path: str) -> str:
    return path.split("/", 2)[1] if path.count("/") else path
