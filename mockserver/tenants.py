"""Tenants: isolated simulators behind one port, chosen by the `X-Mockserver-Tenant` header.

Several test runs can share one `mockserver serve` (one CI service for many jobs) without
seeing each other's devices, queues, clock, journal, outbound messages or contract findings.
A request without the header is served by the home simulator; a request with it by that
tenant's own simulator, created on first use from the home's current world and armed with
the home's default scenario (`serve --scenario`), as the home is after a reset. The admin API
under `/_mock` follows the same header, so a tenant's reset, clock and report are its own.

A header (rather than credentials) selects the tenant because it works the same for every
vendor and every client, and leaves the vendors' credentials checked exactly as they are.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

from mockserver.asgi import ASGIApp, Receive, Scope, Send
from mockserver.clock import Clock, RealClock, VirtualClock
from mockserver.host import Host

TENANT_HEADER = "X-Mockserver-Tenant"
MAX_TENANTS = 64
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
    """The tenants of one home simulator, created on first use and kept until dropped.
    `build` makes a tenant as the home would be after a reset (the tenant composes it)."""

    def __init__(self, build: Callable[[], Tenant]) -> None:
        self._build = build
        self._servers: dict[str, Tenant] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> tuple[Tenant, bool]:
        """The tenant, and whether this call created it."""
        if not _VALID_NAME.fullmatch(name):
            raise TenantError(
                400,
                f"{TENANT_HEADER} must be 1 to 64 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit",
            )
        with self._lock:
            tenant = self._servers.get(name)
            if tenant is not None:
                return tenant, False
            if len(self._servers) >= MAX_TENANTS:
                raise TenantError(
                    503,
                    f"{MAX_TENANTS} tenants exist already; drop one with "
                    "DELETE /_mock/tenants/{name}",
                )
            tenant = self._servers[name] = self._build()
            return tenant, True

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._servers)

    def find(self, name: str) -> Tenant | None:
        with self._lock:
            return self._servers.get(name)

    def drop(self, name: str) -> bool:
        with self._lock:
            tenant = self._servers.pop(name, None)
        if tenant is None:
            return False
        tenant.host.close()
        return True

    def close(self) -> None:
        for name in self.names():
            self.drop(name)


def clock_like(clock: Clock) -> Clock:
    """A tenant's clock: of the home's kind (and speed), its own."""
    if isinstance(clock, RealClock):
        return RealClock(clock.speed)
    return VirtualClock()


class TenantRouter:
    """The served ASGI app: the home pipeline, or a tenant's when the header names one."""

    def __init__(self, home: ASGIApp, tenants: Tenants) -> None:
        self.home = home
        self.tenants = tenants

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for key, value in scope["headers"]:
                if key == _HEADER_KEY:
                    await self._serve_tenant(value.decode("latin-1"), scope, receive, send)
                    return
        await self.home(scope, receive, send)

    async def _serve_tenant(self, name: str, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            tenant, created = self.tenants.get(name)
        except TenantError as error:
            await _send_error(send, error.status, str(error))
            return
        if created:
            tenant.host.start_clock()  # a tenant has no lifespan of its own
        await tenant.app(scope, receive, send)


async def _send_error(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode() + b"\n"
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
