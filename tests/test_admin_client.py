"""`from mockserver import MockServer, AdminClient`: a simulator started from a script, and
the typed admin client a test uses against a simulator started elsewhere."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

import mockserver
from mockserver import AdminClient, AdminError, MockServer

PUSH = "/api/v3/as/applications/app1/webhooks/wh1/devices/dev1/down/push"
AUTH = {"Authorization": "Bearer NNSXS.XXXXXXXXX"}


@pytest.fixture(scope="module")
def running() -> MockServer:
    with MockServer() as server:
        yield server


@pytest.fixture
def admin(running: MockServer) -> AdminClient:
    with AdminClient(running.url) as client:
        client.reset()
        yield client


def test_import_mockserver_does_not_load_the_server() -> None:
    code = "import mockserver, sys; print('mockserver.server' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    assert mockserver.MockServer is MockServer


def test_the_context_manager_serves_on_a_free_port_for_the_block() -> None:
    with MockServer() as server:
        url = server.url
        assert url is not None and url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{url}/_mock/health").json()["status"] == "ok"
    assert server.url is None
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/_mock/health", timeout=2)


def test_a_push_then_an_uplink_and_the_clock_through_the_client(
    running: MockServer, admin: AdminClient
) -> None:
    assert admin.wait(timeout=5)["status"] == "ok"
    assert (
        httpx.post(
            f"{running.url}{PUSH}",
            headers=AUTH,
            json={"downlinks": [{"frm_payload": "vu8=", "f_port": 15}]},
        ).status_code
        == 200
    )
    (queued,) = admin.queue("app1.dev1")
    assert (queued["f_port"], queued["frm_payload"]) == (15, "vu8=")
    uplink = admin.uplink("app1.dev1", f_port=1, frm_payload=b"\x01")
    assert uplink["frm_payload"] == "AQ=="
    assert admin.advance(10)["kind"] == "virtual"
    kinds = [event["kind"] for event in admin.events("app1.dev1")]
    assert kinds == ["queued", "uplink", "scheduled", "sent"]
    assert admin.queue("app1.dev1") == []
    (exchange,) = admin.journal(provider="tts")
    assert exchange["valid"] is True and exchange["response"]["status"] == 200
    report = admin.report(providers=["tts"])
    assert list(report["providers"]) == ["tts"]
    assert admin.report("junit").startswith("<?xml")
    assert admin.violations() == []


def test_devices_are_created_changed_and_deleted(admin: AdminClient) -> None:
    created = admin.create_device(
        "tts", application_id="app1", id="dev9", dev_eui="70B3D57ED0000009"
    )
    assert admin.device(created["id"]) == created
    assert admin.update_device(created["id"], **{"class": "C"})["class"] == "C"
    admin.delete_device(created["id"])
    assert created["id"] not in [device["id"] for device in admin.devices()]


def test_a_refusal_is_an_admin_error_with_the_servers_reason(admin: AdminClient) -> None:
    with pytest.raises(AdminError) as refused:
        admin.uplink("app1.dev1", f_port=1, data_rate=True)  # type: ignore[arg-type]
    assert refused.value.status == 400
    assert "data_rate must be an integer" in refused.value.message
    with pytest.raises(AdminError) as missing:
        admin.queue("app1.nope")
    assert missing.value.status == 404


def test_a_bundled_scenario_by_name_and_cleared(admin: AdminClient) -> None:
    admin.load_scenario("class-c-instant")
    assert admin.scenario()["active"]["name"] == "class-c-instant"
    admin.clear_scenario()
    assert admin.scenario()["active"] is None
    with pytest.raises(ValueError, match="name or a scenario as YAML"):
        admin.load_scenario()


def test_a_scenario_given_as_yaml_and_a_refused_one(
    running: MockServer, admin: AdminClient
) -> None:
    admin.load_scenario(yaml=REVOKE_AT_ONCE)
    admin.advance(0)  # the timeline acts on the clock's next step
    refused = httpx.post(f"{running.url}{PUSH}", headers=AUTH, json={"downlinks": []})
    assert refused.status_code == 401
    with pytest.raises(AdminError) as bad:
        admin.load_scenario(yaml="name: x\ndescription: y\ntimeline: 5\n")
    assert bad.value.status == 400 and "timeline" in bad.value.message


REVOKE_AT_ONCE = """\
name: revoke-at-once
description: the key is revoked as the scenario starts
timeline:
  - at: 0s
    revoke_key: {provider: tts, key: NNSXS.XXXXXXXXX}
"""


def test_a_tenant_client_sees_only_its_tenant(running: MockServer) -> None:
    with AdminClient(running.url, tenant="team-a") as team_a, AdminClient(running.url) as home:
        team_a.reset()
        team_a.create_device("tts", application_id="app1", id="only-a", dev_eui="70B3D57ED00000AA")
        assert "app1.only-a" in [device["id"] for device in team_a.devices()]
        assert "app1.only-a" not in [device["id"] for device in home.devices()]
        assert "team-a" in [tenant["name"] for tenant in home.tenants()]
        home.drop_tenant("team-a")


def test_the_url_defaults_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOCKSERVER_URL", raising=False)
    monkeypatch.setenv("MOCKSERVER_PORT", "9123")
    assert AdminClient().url == "http://127.0.0.1:9123"
    monkeypatch.setenv("MOCKSERVER_URL", "http://sim:8080/")
    assert AdminClient().url == "http://sim:8080"
