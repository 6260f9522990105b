"""Tenants: several runs share one server and never see each other (X-Mockserver-Tenant)."""

from __future__ import annotations

import httpx
import pytest

from mockserver.server import MockServer
from tests.conftest import AUTH, WEBHOOK_DOWN

PUSH = WEBHOOK_DOWN.format(device="dev1", op="push")
ONE = {"downlinks": [{"f_port": 1, "frm_payload": "AQ=="}]}


def tenant(name: str) -> dict[str, str]:
    return {"X-Mockserver-Tenant": name}


@pytest.fixture
def url(server: MockServer):
    yield server.start()
    server.stop()


def queue(url: str, headers: dict[str, str]) -> list[dict]:
    return httpx.get(f"{url}/_mock/devices/app1.dev1/queue", headers=headers).json()


def test_each_tenant_has_its_own_queues(url: str):
    assert httpx.post(url + PUSH, headers={**AUTH, **tenant("a")}, json=ONE).status_code == 200
    assert httpx.post(url + PUSH, headers={**AUTH, **tenant("a")}, json=ONE).status_code == 200
    assert httpx.post(url + PUSH, headers={**AUTH, **tenant("b")}, json=ONE).status_code == 200
    assert len(queue(url, tenant("a"))) == 2
    assert len(queue(url, tenant("b"))) == 1
    assert queue(url, {}) == []  # the home server, no header


def test_reset_clock_journal_and_report_are_per_tenant(url: str):
    for name in ("a", "b"):
        httpx.post(url + PUSH, headers={**AUTH, **tenant(name)}, json=ONE)
    httpx.post(url + PUSH, headers=tenant("b"), json=ONE)  # a violation: no credentials
    httpx.post(f"{url}/_mock/clock/advance", headers=tenant("a"), json={"seconds": 60})

    assert httpx.post(f"{url}/_mock/reset", headers=tenant("a")).status_code == 200
    assert queue(url, tenant("a")) == []
    assert len(queue(url, tenant("b"))) == 1
    clock_b = httpx.get(f"{url}/_mock/clock", headers=tenant("b")).json()
    assert clock_b["now"].startswith("2026-01-01T00:00:00")
    assert len(httpx.get(f"{url}/_mock/journal", headers=tenant("b")).json()) == 2
    report_b = httpx.get(f"{url}/_mock/report", headers=tenant("b")).json()["summary"]
    assert report_b["violations"] == 1
    assert httpx.get(f"{url}/_mock/report").json()["summary"]["violations"] == 0


def test_tenants_are_listed_and_dropped(url: str):
    httpx.post(url + PUSH, headers={**AUTH, **tenant("ci-job-1")}, json=ONE)
    listed = httpx.get(f"{url}/_mock/tenants").json()
    assert listed["header"] == "X-Mockserver-Tenant"
    assert [t["name"] for t in listed["tenants"]] == ["ci-job-1"]
    assert httpx.delete(f"{url}/_mock/tenants/ci-job-1").status_code == 204
    assert httpx.delete(f"{url}/_mock/tenants/ci-job-1").status_code == 404
    assert queue(url, tenant("ci-job-1")) == []  # a fresh one on next use


def test_bad_tenant_names_and_too_many_tenants_are_refused(url: str, server: MockServer):
    bad = httpx.post(url + PUSH, headers={**AUTH, **tenant("no spaces!")}, json=ONE)
    assert bad.status_code == 400
    assert "X-Mockserver-Tenant must be" in bad.json()["error"]
    assert server.tenants is not None
    server.tenants.max_tenants = 1
    assert httpx.get(f"{url}/_mock/health", headers=tenant("one")).status_code == 200
    full = httpx.get(f"{url}/_mock/health", headers=tenant("two"))
    assert full.status_code == 503
    assert "DELETE /_mock/tenants/{name}" in full.json()["error"]
    assert "1 tenants exist already" in full.json()["error"]


def test_a_tenant_follows_a_switched_world(server: MockServer):
    server.reset({"tts": {"applications": [{"id": "other"}]}})
    with server.client(headers=tenant("t")) as client:
        assert client.get("/_mock/devices").json() == []


def test_the_report_command_reads_a_tenant(url: str, tmp_path):
    from mockserver.cli import main

    httpx.post(url + PUSH, headers=tenant("t"), json=ONE)  # unauthenticated: a violation
    out = tmp_path / "t.json"
    assert main(["report", "--url", url, "--tenant", "t", "--out", str(out)]) == 0
    assert '"violations": 1' in out.read_text()
    assert main(["report", "--url", url, "--tenant", "t", "--fail-on-violations"]) == 1
    assert main(["report", "--url", url, "--fail-on-violations"]) == 0


def test_a_tenant_of_a_real_clock_server_runs_its_own_real_clock_driven_like_the_home():
    from mockserver.clock import RealClock

    home = MockServer(clock=RealClock(speed=60))
    url = home.start()
    try:
        httpx.get(f"{url}/_mock/health", headers=tenant("r"))
        found = home.tenants.find("r")
        assert found is not None
        clock = found.host.simulator.clock
        assert isinstance(clock, RealClock) and clock.speed == 60
        assert clock is not home.clock
        assert found.host._clock_task is not None  # driven, although it had no lifespan
    finally:
        home.stop()
    assert home.tenants.names() == []


def test_a_tenant_is_armed_with_the_homes_default_scenario(server: MockServer):
    """`serve --scenario` arms every reset of the home, and every tenant from its start."""
    server.default_scenario = "queue-full"
    server.reset()
    with server.client(headers=tenant("t")) as client:
        assert client.post(PUSH, headers=AUTH, json=ONE).status_code == 429
        assert client.get("/_mock/scenario").json()["active"]["name"] == "queue-full"
        client.post("/_mock/reset")
        assert client.post(PUSH, headers=AUTH, json=ONE).status_code == 429  # re-armed


def test_a_tenant_starts_as_the_home_after_a_reset(server: MockServer):
    """A scenario put in force on the home alone (admin PUT) is not the tenant's, nor is the
    world that scenario brought: the tenant gets the world under it."""
    server.load_scenario({"name": "own", "description": "d", "world": {}})
    with server.client(headers=tenant("t")) as client:
        assert client.get("/_mock/scenario").json() == {"active": None}
        assert client.get("/_mock/devices/app1.dev1").status_code == 200


def test_a_tenant_gets_the_default_scenarios_world(server: MockServer):
    server.default_scenario = {"name": "own", "description": "d", "world": {}}
    server.reset()
    with server.client(headers=tenant("t")) as client:
        assert client.get("/_mock/devices").json() == []
        client.delete("/_mock/scenario")
        assert client.get("/_mock/devices/app1.dev1").status_code == 200
