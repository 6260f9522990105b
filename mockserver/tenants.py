"""Tenants: isolated simulators behind one port, chosen by the `X-Mockserver-Tenant` header.

Several test runs can share one `mockserver serve` (one CI service for many jobs) without
seeing each other's devices, queues, clock, journal, outbound messages or contract findings.
A request without the header is served by the home simulator; a request with it by that
tenant's own simulator, created on first use from the home's current world and armed with
the home's default scenario (`serve --scenario`), as the home is after a reset. The admin API
under `/_mock` follows the same header, so a tenant's reset, clock and report are its own.

A header (rather than credentials) selects the tenant because it works the same for every
vendor and every client, and leaves the vendors' credentials checked exactly as they are.
When the server has an admin token, creating a tenant needs it (`admit`): a tenant is a
whole simulator, and without the token anyone reaching the port could make them.

Tenants are bounded: at most `max_tenants` at once (a new one past that gets 503 naming
the limit), and one not used for `idle_seconds` is dropped, its host closed (delivery
worker, clock driver). Idleness is measured on the wall clock (`time.monotonic`), not on
the tenant's simulated clock: it is about the serving process's resources, and a virtual
clock that nobody advances would otherwise keep its tenant forever.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from mockserver.asgi import ASGIApp, Receive, Scope, Send
from mockserver.clock import Clock, RealClock, VirtualClock
from mockserver.defaults import IDLE_SECONDS as IDLE_SECONDS
from mockserver.defaults import MAX_TENANTS as MAX_TENANTS
from mockserver.defaults import TENANT_HEADER as TENANT_HEADER
from mockserver.host import Host

LOG = logging.getLogger(__name__)
_HEADER_KEY = TENANT_HEADER.lower().encode("latin-1")
_VALID_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class TenantError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Tenant:
    """One tenant: its simulator as hosted (lock, delivery, clock driver) and its app."""

    host: Host
    app: ASGIApp


class Tenants:
    """The tenants of one home simulator, created on first use and kept until dropped or
    idle for `idle_seconds` (0: never dropped for idleness). `build` makes a tenant as the
    home would be after a reset (the tenant composes it); `now` is the wall clock's
    monotonic seconds (a test passes its own)."""

    def __init__(
        self,
        build: Callable[[], Tenant],
        *,
        max_tenants: int = MAX_TENANTS,
        idle_seconds: float = IDLE_SECONDS,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_tenants < 1:
            raise ValueError(f"max_tenants must be 1 or more, not {max_tenants}")
        if not idle_seconds >= 0:  # NaN fails it too
            raise ValueError(f"a tenant's idle time must be 0 (never) or more, not {idle_seconds}")
        self._build = build
        self.max_tenants = max_tenants
        self.idle_seconds = idle_seconds
        self._now = now
        self._servers: dict[str, Tenant] = {}
        self._used: dict[str, float] = {}
        self._lock = threading.Lock()
        self._sweeper: threading.Thread | None = None
        self._stop = threading.Event()

    def get(
        self, name: str, refusal: Callable[[], str | None] | None = None
    ) -> tuple[Tenant, bool]:
        """The tenant, and whether this call created it. `refusal`: asked before creating
        one, why it may not be (a TenantError 401), or None."""
        check_name(name)
        with self._lock:
            tenant = self._servers.get(name)
            if tenant is not None:
                self._used[name] = self._now()
                return tenant, False
            refused = refusal() if refusal is not None else None
            if refused is not None:
                raise TenantError(401, refused)
            if len(self._servers) >= self.max_tenants:
                raise TenantError(503, self._full())
            self._used[name] = self._now()
            tenant = self._servers[name] = self._build()
            self._start_sweeper()
            return tenant, True

    def _full(self) -> str:
        idle = (
            f"; a tenant unused for {self.idle_seconds:g} s is dropped by itself"
            if self.idle_seconds
            else ""
        )
        return (
            f"the tenant limit is reached: {self.max_tenants} tenants exist already "
            f"(serve --max-tenants, MockServer(max_tenants=...)); drop one with "
            f"DELETE /_mock/tenants/{{name}}{idle}"
        )

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._servers)

    def find(self, name: str) -> Tenant | None:
        with self._lock:
            return self._servers.get(name)

    def idle_for(self, name: str) -> float | None:
        """Seconds since the tenant was last used (None: no such tenant)."""
        with self._lock:
            used = self._used.get(name) if name in self._servers else None
        return None if used is None else max(0.0, self._now() - used)

    def drop(self, name: str) -> bool:
        with self._lock:
            tenant = self._servers.pop(name, None)
            self._used.pop(name, None)
        if tenant is None:
            return False
        tenant.host.close()
        return True

    def sweep(self) -> list[str]:
        """Drop the tenants unused for `idle_seconds` or longer (one line each in the log);
        their names."""
        if not self.idle_seconds:
            return []
        now = self._now()
        with self._lock:  # chosen and removed in one step: a request meanwhile keeps it
            idle = [
                (name, now - self._used.get(name, now))
                for name in self._servers
                if now - self._used.get(name, now) >= self.idle_seconds
            ]
            dropped = [(name, self._servers.pop(name), unused) for name, unused in idle]
            for name, _ in idle:
                self._used.pop(name, None)
        for name, tenant, unused in dropped:
            tenant.host.close()
            LOG.info(
                "tenant %r dropped: unused for %.4g s (--tenant-idle %g)",
                name,
                unused,
                self.idle_seconds,
            )
        return [name for name, _, _ in dropped]

    def _start_sweeper(self) -> None:
        """One thread per home while tenants exist, sweeping four times per idle time (at
        least once a minute): a tenant is dropped between `idle_seconds` and a quarter
        more (a minute more, at most) after its last use, whether or not requests come.
        The sweep runs there, never on the event loop: closing a host waits for its
        delivery worker. Called under `_lock`."""
        if not self.idle_seconds or (self._sweeper is not None and self._sweeper.is_alive()):
            return
        self._stop.clear()
        self._sweeper = threading.Thread(
            target=self._sweep_while_any, daemon=True, name="mockserver-tenant-sweeper"
        )
        self._sweeper.start()

    def _sweep_while_any(self) -> None:
        interval = min(max(self.idle_seconds / 4, 0.05), 60.0)
        while not self._stop.wait(interval):
            self.sweep()
            with self._lock:
                if not self._servers:
                    self._sweeper = None
                    return

    def close(self) -> None:
        self._stop.set()
        for name in self.names():
            self.drop(name)


def check_name(name: str) -> None:
    if not _VALID_NAME.fullmatch(name):
        raise TenantError(
            400,
            f"{TENANT_HEADER} must be 1 to 64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
        )


def clock_like(clock: Clock) -> Clock:
    """A tenant's clock: of the home's kind (and speed), its own."""
    if isinstance(clock, RealClock):
        return RealClock(clock.speed)
    return VirtualClock()


#: Why a request may not create the tenant it names (None: it may); the admin token's check.
Admit = Callable[[Scope, str], str | None]


class TenantRouter:
    """The served ASGI app: the home pipeline, or a tenant's when the header names one.
    `admit` decides whether a request may create a tenant (refused: 401)."""

    def __init__(self, home: ASGIApp, tenants: Tenants, admit: Admit | None = None) -> None:
        self.home = home
        self.tenants = tenants
        self.admit = admit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for key, value in scope["headers"]:
                if key == _HEADER_KEY:
                    await self._serve_tenant(value.decode("latin-1"), scope, receive, send)
                    return
        await self.home(scope, receive, send)

    async def _serve_tenant(self, name: str, scope: Scope, receive: Receive, send: Send) -> None:
        admit = self.admit
        try:
            tenant, created = self.tenants.get(
                name, None if admit is None else lambda: admit(scope, name)
            )
        except TenantError as error:
            await send_error(send, error.status, str(error))
            return
        if created:
            tenant.host.start_clock()  # a tenant has no lifespan of its own
        await tenant.app(scope, receive, send)


async def send_error(send: Send, status: int, message: str) -> None:
    """`{"error": …}`, the admin API's error shape, written before any app (a 401 with the
    challenge RFC 9110 asks for)."""
    body = json.dumps({"error": message}).encode() + b"\n"
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="mockserver admin"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
