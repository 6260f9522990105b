"""`MockServer`: the one object behind the CLI, the pytest fixture and the admin API.

It is a `Simulator` (the pure part: world, clock, contract, journal, scenario, dispatch)
under its serving shell: the `Host` (lock, delivery worker, real-clock driver), the ASGI
adapter with the admin API beside it, the tenants router, uvicorn on a thread, and httpx
clients. Nothing inside the package imports this module: it composes, it is not composed.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import selectors
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import mockserver.admin
from mockserver import tls
from mockserver.admin.guard import TOKEN_HEADER, AdminAccess, WithoutToken
from mockserver.asgi import ASGIApp, MockServerApp, Receive, Scope, Send
from mockserver.clock import Clock
from mockserver.connections import ServingLimits, bounded_protocol
from mockserver.contract import Contract, HttpRequest, HttpResponse
from mockserver.core import Network
from mockserver.core.uplinks import Uplink
from mockserver.defaults import DEFAULT_HOST as DEFAULT_HOST
from mockserver.defaults import DEFAULT_PORT as DEFAULT_PORT
from mockserver.delivery import (
    DEFAULT_CONCURRENCY,
    DEFAULT_QUEUE_CAPACITY,
    Delivery,
    DeliveryLimits,
)
from mockserver.host import Host
from mockserver.journal import DEFAULT_BODY_LIMIT, DEFAULT_BYTE_BUDGET, Journal
from mockserver.providers import Provider
from mockserver.safe_load import DEFAULT_LIMITS, DocumentLimits, limits_applied
from mockserver.scenario.engine import ActiveScenario
from mockserver.scenario.loading import ScenarioReference
from mockserver.scenario.model import Scenario
from mockserver.simulator import Simulator
from mockserver.simulator.formatters import Formatters
from mockserver.tenants import IDLE_SECONDS, MAX_TENANTS, Tenant, TenantRouter, Tenants, clock_like
from mockserver.world import World, WorldSource

# httpx (and what it imports: with its command-line extra, rich and pygments) is imported by
# the clients and by outbound delivery when first used: `serve` answers its first request
# without it; uvicorn (with click, and asyncio's and ssl's modules) by the first `start` or
# `serve`: the in-process fixture never imports it (issue 21, start-up).
if TYPE_CHECKING:
    import httpx
    import uvicorn

    class _GracefulServer(uvicorn.Server):
        """What `graceful_server()` makes, as the type checker sees it."""

        ready: threading.Event

        def request_exit(self) -> None: ...


INPROCESS_URL = "http://mockserver.invalid"
#: Connections a port bound by `start(on_first_connection=True)` holds until uvicorn, once
#: started, accepts them: uvicorn's own default backlog.
BACKLOG = 2048
log = logging.getLogger("mockserver")


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


@functools.cache
def graceful_server() -> type[_GracefulServer]:
    """uvicorn's server as `serve` and `start` run it, defined (and uvicorn imported) on
    first use.

    Its shutdown ends the dashboards' streams (`ui.ending.end_streams`) before it waits
    for responses to finish: without that, `mockserver serve` would not stop while a
    dashboard is open. SIGTERM and SIGINT stop it gracefully (no new connections, requests
    in flight get `graceful_timeout` seconds), and the process then exits normally: uvicorn
    re-raises the signal once it has shut down, which kills the process by that signal
    (status 143 for SIGTERM) before `serve` can close the host; this server only asks to
    exit (a second SIGINT still forces it). `request_exit` (what `stop()` calls) wakes its
    loop at once instead of at uvicorn's next 0.1 s tick."""
    import asyncio

    import uvicorn

    from mockserver.ui.ending import end_streams

    class GracefulServer(uvicorn.Server):
        _loop: asyncio.AbstractEventLoop | None = None
        _wake: asyncio.Event | None = None

        def __init__(self, config: uvicorn.Config) -> None:
            super().__init__(config)
            #: Set once `started` is: `MockServer.start` waits on it, not in 10 ms naps.
            self.ready = threading.Event()

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                self.ready.set()

        async def main_loop(self) -> None:
            """uvicorn's loop of ticks (its Date header, `should_exit`), also woken by
            `request_exit`: the fixtures' end of session waited up to a tick for it."""
            self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
            counter = 0
            should_exit = await self.on_tick(counter)
            while not should_exit:
                counter = (counter + 1) % 864000
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), 0.1)
                should_exit = await self.on_tick(counter)

        def request_exit(self) -> None:
            """Stop as SIGTERM would, from any thread, without waiting for the next tick."""
            self.should_exit = True
            loop, wake = self._loop, self._wake
            if loop is not None and wake is not None:
                with contextlib.suppress(RuntimeError):  # its loop has already closed
                    loop.call_soon_threadsafe(wake.set)

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            end_streams()
            state = self.server_state
            if state.connections or state.tasks:
                await super().shutdown(sockets=sockets)  # connections get uvicorn's grace
                return
            # Nothing open: uvicorn's own steps, without the 0.1 s it gives open connections
            # to take its shutdown request (every served fixture session ended with it).
            for server in self.servers:
                server.close()
            for sock in sockets or []:
                sock.close()
            for server in self.servers:
                await server.wait_closed()
            if not self.force_exit:
                await self.lifespan.shutdown()

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if threading.current_thread() is not threading.main_thread():
                yield  # signals reach only the main thread: a server on a thread has none
                return
            signals = (signal.SIGINT, signal.SIGTERM)
            original = {sig: signal.signal(sig, self.handle_exit) for sig in signals}
            try:
                yield
            finally:
                for sig, handler in original.items():
                    signal.signal(sig, handler)

    return cast("type[_GracefulServer]", GracefulServer)


class StartOnFirstConnection:
    """Calls `start` (on its own thread) when the first connection reaches a listening
    socket, unless cancelled first: the served fixture's uvicorn (its import and start, a
    sixth of the session's start-up) waits for a test that connects (issue 21).

    Until then the port is bound and listening: a connection waits in the backlog, and the
    server, once started, accepts it as any other. Waiting is a selector's poll, no CPU."""

    def __init__(self, sock: socket.socket, start: Callable[[], None]) -> None:
        self._sock = sock
        self._start = start
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._lock = threading.Lock()  # held while starting, and by `cancel`
        self._cancelled = False
        self.started = False
        self._thread = threading.Thread(target=self._wait, daemon=True, name="mockserver-port")
        self._thread.start()

    def _wait(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._sock, selectors.EVENT_READ)
            selector.register(self._wake_reader, selectors.EVENT_READ)
            ready = {key.fileobj for key, _ in selector.select()}
        with self._lock:
            if self._cancelled or self._sock not in ready:
                return
            self.started = True
            try:
                self._start()
            except Exception:  # logged; the connections waiting are refused
                log.exception("the server did not start")
                self.started = False
                self._sock.close()

    def cancel(self) -> bool:
        """No start from now (one under way is waited for): whether it started."""
        with self._lock:
            self._cancelled = True
        self._wake_writer.send(b"\0")
        self._thread.join()
        self._wake_reader.close()
        self._wake_writer.close()
        return self.started

    def close_port(self) -> None:
        """The port, never served, closed: connections waiting on it are refused."""
        self._sock.close()


class AdminOnFirstUse:
    """The admin app (`mockserver.admin.build_admin_app`), built at its first request.

    A fixture session, or a suite that talks only to the vendors' APIs, never calls it:
    Starlette and the admin's modules (a sixth of importing the server) wait until then
    (issue 21, the fixture loop). `app` is the built app (built when asked)."""

    def __init__(
        self,
        host: Host,
        tenants: Tenants | None,
        access: AdminAccess,
        *,
        limits: DocumentLimits,
    ) -> None:
        self._arguments = (host, tenants, access, limits)
        self._app: ASGIApp | None = None
        self._building = threading.Lock()

    @property
    def app(self) -> ASGIApp:
        app = self._app
        if app is None:
            with self._building:  # two first requests at once build one app
                if self._app is None:
                    host, tenants, access, limits = self._arguments
                    self._app = mockserver.admin.build_admin_app(
                        host, tenants, access, limits=limits
                    )
                app = self._app
        return app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


class MockServer:
    def __init__(
        self,
        world: WorldSource = None,
        *,
        clock: Clock | None = None,
        specs_dir: Path | None = None,
        journal_capacity: int = 10_000,
        tenants: bool = True,
        journal_bytes: int = DEFAULT_BYTE_BUDGET,
        journal_body_bytes: int = DEFAULT_BODY_LIMIT,
        # Who may come in (docs/reliability.md): the admin token, extra Host names, tenants.
        admin_token: str | None = None,
        allow_hosts: Iterable[str] = (),
        max_tenants: int = MAX_TENANTS,
        tenant_idle: float = IDLE_SECONDS,
        document_limits: DocumentLimits | None = None,
        # -- serving bounds (docs/reliability.md, "Connections and shutdown") --
        serving: ServingLimits | None = None,
        # Outbound delivery (docs/reliability.md, "Outbound delivery").
        delivery_queue: int = DEFAULT_QUEUE_CAPACITY,
        delivery_concurrency: int = DEFAULT_CONCURRENCY,
        outbound_allow: Iterable[str] = (),
    ) -> None:
        #: Per destination: queue capacity, sends at a time, timeout.
        self.delivery_limits = DeliveryLimits(delivery_queue, delivery_concurrency)
        #: The targets outbound messages may have besides the default ones (CIDRs, hosts).
        self.outbound_allow = tuple(outbound_allow)
        #: Header size, request deadline, connection limit and shutdown grace when served.
        self.serving = serving or ServingLimits()
        #: How large a world or scenario file, or an admin body, may be (docs/reliability.md).
        self.document_limits = document_limits or DEFAULT_LIMITS
        #: The pure part: everything simulated, answered one call at a time.
        with limits_applied(self.document_limits):
            self.simulator = Simulator(
                world,
                clock=clock,
                specs_dir=specs_dir,
                journal_capacity=journal_capacity,
                public_url=f"http://{DEFAULT_HOST}:{DEFAULT_PORT}",
                # The journal's byte budget and body limit (docs/reliability.md).
                journal_bytes=journal_bytes,
                journal_body_bytes=journal_body_bytes,
                outbound_allow=self.outbound_allow,
            )
        #: The simulator as served: its lock, delivery worker and real-clock driver.
        self.host = Host(self.simulator, self.delivery_limits)
        #: Who may use the admin API and dashboard: token, Host names (mockserver.admin.guard).
        self.access = AdminAccess.of(admin_token, allow_hosts)
        #: Isolated simulators behind the same port, chosen by the X-Mockserver-Tenant header.
        self.tenants = (
            Tenants(self._build_tenant, max_tenants=max_tenants, idle_seconds=tenant_idle)
            if tenants
            else None
        )
        #: This simulator's own pipeline (API and admin).
        admin = AdminOnFirstUse(self.host, self.tenants, self.access, limits=self.document_limits)
        self.app = MockServerApp(self.host, admin)
        #: What is served: the tenant router in front of `app`.
        home = WithoutToken(self.app)
        self.asgi: ASGIApp = (
            TenantRouter(home, self.tenants, self.access.tenant_refusal) if self.tenants else home
        )
        self._thread: threading.Thread | None = None
        #: A port bound by `start(on_first_connection=True)`, not yet served.
        self._waiting: StartOnFirstConnection | None = None
        self._uvicorn: _GracefulServer | None = None
        self.url: str | None = None

    def _build_tenant(self) -> Tenant:
        """A tenant starts as the home would after a reset: the home's world (the one under
        a scenario that brought its own), and the scenario `serve --scenario` armed."""
        home = self.simulator
        description, origin = home.world_before_scenario or (home.description, home.world_origin)
        journal = home.journal  # a tenant's journal has the home's bounds
        simulator = Simulator(
            description,
            clock=clock_like(home.clock),
            journal_capacity=journal.capacity,
            journal_bytes=journal.byte_budget,
            journal_body_bytes=journal.body_limit,
            outbound_allow=self.outbound_allow,
        )
        simulator.world_origin = origin
        simulator.default_scenario = home.default_scenario
        host = Host(simulator, self.delivery_limits)
        host.reset()  # the clock starts where the world says, the default scenario is armed
        # Links the vendors put in bodies point at the shared port.
        simulator.set_public_url(home.public_url)
        admin = AdminOnFirstUse(host, None, self.access, limits=self.document_limits)
        return Tenant(host, WithoutToken(MockServerApp(host, admin)))

    # -- the simulator's state, as before the split --------------------------------------------
    @property
    def description(self) -> dict[str, Any]:
        return self.simulator.description

    @property
    def world_origin(self) -> str:
        return self.simulator.world_origin

    @world_origin.setter
    def world_origin(self, origin: str) -> None:
        self.simulator.world_origin = origin

    @property
    def clock(self) -> Clock:
        return self.simulator.clock

    @property
    def contract(self) -> Contract:
        return self.simulator.contract

    @property
    def journal(self) -> Journal:
        return self.simulator.journal

    @property
    def world(self) -> World:
        return self.simulator.world

    @property
    def network(self) -> Network:
        return self.simulator.network

    @property
    def providers(self) -> dict[str, Provider]:
        return self.simulator.providers

    @property
    def scenario(self) -> ActiveScenario | None:
        return self.simulator.scenario

    @property
    def default_scenario(self) -> ScenarioReference | Scenario | None:
        return self.simulator.default_scenario

    @default_scenario.setter
    def default_scenario(self, scenario: ScenarioReference | Scenario | None) -> None:
        self.simulator.default_scenario = scenario

    @property
    def world_before_scenario(self) -> tuple[dict[str, Any], str] | None:
        return self.simulator.world_before_scenario

    @property
    def public_url(self) -> str:
        return self.simulator.public_url

    @property
    def lock(self) -> threading.RLock:
        """Held by every call into the simulator (requests, timers, these methods)."""
        return self.host.lock

    @property
    def outbound(self) -> Delivery:
        """Messages sent to applications: `attempts()`, `flush()`, `clear()`."""
        return self.host.delivery

    @property
    def formatters(self) -> Formatters:
        """Set devices' payload formatter scripts from Python (docs/formatters.md)."""
        return self.host.formatters

    # -- the simulator's calls, one at a time ----------------------------------------------
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
        with self.host.lock:
            return self.simulator.uplink(
                device_id,
                f_port=f_port,
                frm_payload=frm_payload,
                confirmed=confirmed,
                ack=ack,
                data_rate=data_rate,
                frequency=frequency,
            )

    def load_scenario(self, reference: ScenarioReference | Scenario) -> ActiveScenario:
        """Put a scenario in force from now: a bundled name, a file, or a description.

        A scenario with a world of its own switches to it first (a fresh start), and the
        world it replaces is remembered for `clear_scenario` and `reset`; otherwise the
        current state stays and only the rules and timeline begin. A refused scenario
        (ScenarioError) changes nothing.
        """
        with limits_applied(self.document_limits):
            return self.host.load_scenario(reference)

    def clear_scenario(self) -> None:
        """No scenario in force from now. One that brought its own world takes it away: the
        world before it comes back from its start, as after a reset."""
        self.host.clear_scenario()

    def reset(
        self,
        world: WorldSource | bool = False,
        *,
        keep_scenario: bool = False,
        clear_findings: bool = False,
    ) -> None:
        """Back to the world's start: devices, queues, journal and virtual time.

        Pass a new world description to switch worlds; by default the current one is rebuilt.
        The contract findings (`contract.log`: violations, warnings, coverage) are kept, so
        that a report covers every test of a run; `clear_findings=True` forgets them too
        (`contract.log.violations_since_mark()` has those since the last reset).
        """
        with limits_applied(self.document_limits):
            self.host.reset(world, keep_scenario=keep_scenario, clear_findings=clear_findings)

    def dispatch(self, request: HttpRequest) -> HttpResponse:
        """One simulated API call, in process and without HTTP (`Simulator.dispatch`)."""
        with self.host.lock:
            return self.simulator.dispatch(request)

    # -- serving ---------------------------------------------------------------------------
    def _listening_at(self, url: str) -> None:
        self.simulator.set_public_url(url)

    def start(
        self, host: str = DEFAULT_HOST, port: int = 0, *, on_first_connection: bool = False
    ) -> str:
        """Serve on a background thread (port 0 picks a free port); returns the base URL.

        `on_first_connection`: the port is bound and listening at once (the URL is final),
        and the server starts when the first connection arrives, which waits for it (the
        pytest fixture: a session whose tests connect to nothing imports no uvicorn)."""
        if self._thread is not None or self._waiting is not None:
            raise RuntimeError("already started")
        sock = listening_socket(host, port)
        self.access.bound = host
        bound_port = sock.getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        url = f"http://{shown}:{bound_port}"
        if on_first_connection:
            sock.listen(BACKLOG)
            self._waiting = StartOnFirstConnection(
                sock, lambda: self._serve_on(sock, host, bound_port)
            )
        else:
            self._serve_on(sock, host, bound_port)
        self.url = url
        self._listening_at(self.url)
        return self.url

    def _serve_on(self, sock: socket.socket, host: str, bound_port: int) -> None:
        """uvicorn on its thread, serving `sock`, started when this returns."""
        self._uvicorn = graceful_server()(self._config(host, bound_port))
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
            self._uvicorn.ready.wait(0.01)  # at once when it starts; else look again

    def stop(self) -> None:
        """Stop serving as `serve` does on SIGTERM: requests in flight get the grace period,
        then the host is closed."""
        if self.tenants is not None:
            self.tenants.close()
        waiting, self._waiting = self._waiting, None
        if waiting is not None and not waiting.cancel():
            waiting.close_port()
        if self._uvicorn is not None and self._thread is not None:
            self._uvicorn.request_exit()
            self._thread.join(timeout=self.serving.graceful_timeout + 5)
        self.host.close()
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
        """Serve in the foreground until SIGTERM or SIGINT (the CLI), then stop gracefully:
        no new connections, `serving.graceful_timeout` seconds for requests in flight, and
        the host closed (deliveries cancelled and journalled). `on_ready` runs once the
        port accepts connections, so a supervisor can wait for it instead of polling.
        `sock`: bound already by `listening_socket(host, port)`, so that a busy port is
        told before anything is printed."""
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        self._listening_at(f"http://{shown}:{port}")
        self.access.bound = host
        server = graceful_server()(self._config(host, port))
        if on_ready is not None:

            def announce() -> None:
                while not server.started and not server.should_exit:
                    time.sleep(0.005)
                if server.started:
                    on_ready()

            threading.Thread(target=announce, daemon=True, name="mockserver-ready").start()
        try:
            server.run(sockets=None if sock is None else [sock])
        finally:
            self.host.close()
            if self.tenants is not None:
                self.tenants.close()

    def _config(self, host: str, port: int) -> uvicorn.Config:
        import uvicorn

        limits = self.serving
        return uvicorn.Config(
            self.asgi,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            server_header=False,
            lifespan="on",
            # httptools, bounded (mockserver.connections): header bytes, request deadline.
            http=bounded_protocol(limits),
            loop="auto",
            # uvicorn answers 503 once this many connections (or requests) are open: its
            # count includes the new connection, hence the one more.
            limit_concurrency=limits.connection_limit() + 1,
            timeout_graceful_shutdown=limits.graceful_timeout,
        )

    # -- clients ---------------------------------------------------------------------------
    def client(self, **kwargs: Any) -> httpx.Client:
        """An httpx client for this server: over its port when started (sending the admin
        token, when it has one), in-process otherwise."""
        import httpx

        from mockserver.inprocess import InProcessTransport

        if self.url is not None:
            if self.access.token is not None:
                headers = httpx.Headers(kwargs.pop("headers", None))
                headers.setdefault(TOKEN_HEADER, self.access.token)
                kwargs["headers"] = headers
            kwargs.setdefault("verify", tls.default_context())  # made once per process
            return httpx.Client(base_url=self.url, **kwargs)
        return httpx.Client(
            transport=InProcessTransport(self.asgi), base_url=INPROCESS_URL, **kwargs
        )

    def async_client(self, **kwargs: Any) -> httpx.AsyncClient:
        """An async httpx client calling the app in-process (no socket)."""
        import httpx

        from mockserver.inprocess import AsyncInProcessTransport

        return httpx.AsyncClient(
            transport=AsyncInProcessTransport(self.asgi), base_url=INPROCESS_URL, **kwargs
        )

    def __enter__(self) -> MockServer:
        """`with MockServer() as server:` serves on a free port of 127.0.0.1 (`server.url`)
        for the block, as a script outside pytest wants; one started before is kept."""
        if self._thread is None and self._waiting is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
