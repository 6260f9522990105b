"""Tenants are bounded: a configurable cap named in the refusal, and an idle time (on the
wall clock) after which a tenant is dropped and its host closed."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from mockserver.server import MockServer
from mockserver.tenants import IDLE_SECONDS, MAX_TENANTS, Tenant, TenantError, Tenants


@dataclass
class FakeHost:
    closed: int = 0
    simulator: Any = field(default=None)

    def close(self) -> None:
        self.closed += 1


class Wall:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def tenants(idle: float = 60, cap: int = MAX_TENANTS) -> tuple[Tenants, Wall]:
    wall = Wall()
    made = Tenants(
        lambda: Tenant(FakeHost(), None),  # type: ignore[arg-type]
        max_tenants=cap,
        idle_seconds=idle,
        now=wall,
    )
    made._start_sweeper = lambda: None  # type: ignore[method-assign]  # swept by the test
    return made, wall


def test_the_defaults_are_an_hour_and_64():
    assert (IDLE_SECONDS, MAX_TENANTS) == (3600.0, 64)
    server = MockServer()
    assert server.tenants is not None
    assert (server.tenants.idle_seconds, server.tenants.max_tenants) == (3600.0, 64)


def test_a_tenant_unused_for_the_idle_time_is_dropped_and_its_host_closed():
    made, wall = tenants(idle=60)
    a, _ = made.get("a")
    wall.now += 30
    made.get("b")
    wall.now += 29.9
    assert made.sweep() == []
    wall.now += 0.1  # a: 60 s unused; b: 30 s
    assert made.sweep() == ["a"]
    assert a.host.closed == 1  # type: ignore[attr-defined]
    assert made.names() == ["b"]
    assert made.idle_for("b") == pytest.approx(30)
    again, created = made.get("a")
    assert created and again is not a  # a fresh one on next use


def test_each_use_restarts_the_idle_time():
    made, wall = tenants(idle=60)
    made.get("a")
    for _ in range(5):
        wall.now += 59
        made.get("a")
        assert made.sweep() == []
    assert made.names() == ["a"]


def test_an_idle_time_of_0_keeps_tenants_for_ever():
    made, wall = tenants(idle=0)
    made.get("a")
    wall.now += 10**9
    assert made.sweep() == [] and made.names() == ["a"]


def test_the_cap_is_named_in_the_refusal():
    made, _ = tenants(cap=2)
    made.get("a")
    made.get("b")
    with pytest.raises(TenantError) as full:
        made.get("c")
    assert full.value.status == 503
    message = str(full.value)
    assert "2 tenants exist already" in message and "--max-tenants" in message
    assert "DELETE /_mock/tenants/{name}" in message and "60 s" in message
    made.get("a")  # an existing one is still served


@pytest.mark.parametrize(("cap", "idle"), [(0, 60), (1, -1), (1, float("nan"))])
def test_bounds_out_of_range_are_refused(cap: int, idle: float):
    with pytest.raises(ValueError):
        Tenants(lambda: None, max_tenants=cap, idle_seconds=idle)  # type: ignore[arg-type,return-value]


def test_over_http_the_cap_is_configurable_and_listed():
    server = MockServer(max_tenants=2, tenant_idle=120)
    url = server.start()
    try:
        for name in ("a", "b"):
            assert httpx.get(f"{url}/_mock/health", headers={"X-Mockserver-Tenant": name})
        full = httpx.get(f"{url}/_mock/health", headers={"X-Mockserver-Tenant": "c"})
        assert full.status_code == 503
        assert "2 tenants exist already" in full.json()["error"]
        listed = httpx.get(f"{url}/_mock/tenants").json()
        assert (listed["max"], listed["idle_seconds"]) == (2, 120)
        assert [t["name"] for t in listed["tenants"]] == ["a", "b"]
        assert all(0 <= t["idle"] < 120 for t in listed["tenants"])
    finally:
        server.stop()


def test_the_sweeper_drops_an_idle_tenant_without_any_request():
    """On the wall clock (tenants are a serving concern): a 0.2 s idle time, and a generous
    bound for a loaded machine; the measured figure is about 0.2 to 0.25 s."""
    from mockserver.clock import RealClock

    server = MockServer(clock=RealClock(), tenant_idle=0.2)
    url = server.start()
    try:
        httpx.get(f"{url}/_mock/health", headers={"X-Mockserver-Tenant": "brief"})
        assert server.tenants is not None
        found = server.tenants.find("brief")
        assert found is not None
        assert found.host._clock_task is not None  # its real clock is driven
        started = time.monotonic()
        while server.tenants.names():
            assert time.monotonic() - started < 10, "the idle tenant was never dropped"
            time.sleep(0.02)
        assert found.host._clock_task is None  # its host was closed: the driver stopped
        listed = httpx.get(f"{url}/_mock/tenants").json()
        assert listed["tenants"] == []
    finally:
        server.stop()
