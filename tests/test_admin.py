"""The admin API acts on the same objects as the Python API."""

from __future__ import annotations

import pytest

from tests.conftest import AUTH, WEBHOOK_DOWN

PUSH = WEBHOOK_DOWN.format(device="dev1", op="push")


def test_health_names_providers_and_clock(client):
    body = client.get("/_mock/health").json()
    assert body["status"] == "ok"
    assert body["providers"]["tts"] == ["/api/v3"]
    assert "/core/v141/api" in body["providers"]["thingpark"]
    assert body["providers"]["ttnv2"] == [
        "/ttn",
        "/ttn-eu",
        "/ttn-us-west",
        "/ttn-brazil",
        "/ttn-asia-se",
    ]
    assert body["clock"] == {"kind": "virtual", "now": "2026-01-01T00:00:00Z"}


def test_queue_seen_through_admin_is_the_queue_the_api_filled(client, server):
    client.post(PUSH, headers=AUTH, json={"downlinks": [{"f_port": 2, "frm_payload": "AQI="}]})
    queue = client.get("/_mock/devices/app1.dev1/queue").json()
    assert [(d["f_port"], d["frm_payload"]) for d in queue] == [(2, "AQI=")]
    assert queue[0]["correlation_ids"][0].startswith("as:downlink:")
    assert len(server.network.get("app1.dev1").queue) == 1
    assert client.delete("/_mock/devices/app1.dev1/queue").status_code == 204
    assert len(server.network.get("app1.dev1").queue) == 0


def test_devices_crud(client, server):
    created = client.post(
        "/_mock/devices",
        json={
            "provider": "tts",
            "application_id": "app1",
            "id": "sensor-9",
            "dev_eui": "70B3D57ED00000A9",
            "class": "C",
            "session": {"dev_addr": "260B00A9"},
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["class"] == "C"
    assert (
        client.post(
            PUSH.replace("dev1", "sensor-9"),
            headers=AUTH,
            json={"downlinks": [{"f_port": 1, "frm_payload": "AA=="}]},
        ).status_code
        == 200
    )
    assert (
        client.post(
            "/_mock/devices", json={"provider": "tts", "application_id": "app1", "id": "sensor-9"}
        ).status_code
        == 409
    )
    assert (
        client.post(
            "/_mock/devices", json={"provider": "tts", "application_id": "app1", "id": "Bad_Id"}
        ).status_code
        == 400
    )
    patched = client.patch("/_mock/devices/app1.sensor-9", json={"class": "A", "session": None})
    assert patched.json()["class"] == "A" and patched.json()["session"] is None
    assert client.delete("/_mock/devices/app1.sensor-9").status_code == 204
    assert client.get("/_mock/devices/app1.sensor-9").status_code == 404
    assert server.network.find("app1.sensor-9") is None


def test_journal_records_each_exchange_with_its_validation_result(client):
    client.post(PUSH, headers=AUTH, json={"downlinks": [{"f_port": 300, "frm_payload": "AA=="}]})
    client.post(PUSH, headers=AUTH, json={"downlinks": [{"f_port": 3, "frm_payload": "AA=="}]})
    entries = client.get("/_mock/journal").json()
    assert [(e["response"]["status"], e["valid"]) for e in entries] == [(400, False), (200, True)]
    assert entries[0]["operation"] == "tts.WebhookDownlinkQueuePush"
    assert entries[0]["violations"][0]["where"] == "body.downlinks[0].f_port"
    assert entries[0]["request"]["body"]["downlinks"][0]["f_port"] == 300
    assert client.get("/_mock/journal?limit=1").json()[0]["sequence"] == entries[1]["sequence"]


def test_violations_and_coverage(client, server):
    client.post(PUSH, json={"downlinks": []})  # no credentials: a client violation
    violations = client.get("/_mock/contract/violations").json()["violations"]
    assert [(v["direction"], v["rule"]) for v in violations] == [("request", "security")]
    coverage = client.get("/_mock/contract/coverage").json()
    push = next(
        op for op in coverage["operations"] if op["operation"] == "tts.WebhookDownlinkQueuePush"
    )
    assert push["seen"] == {"401": 1}
    assert push["covered_statuses"] == ["401"]
    assert coverage["operations_exercised"] == 1
    assert coverage["operations_total"] == len(server.contract.operations())
    assert len([op for op in server.contract.operations() if op.spec.provider == "tts"]) == 11


def test_reset_restores_the_world(client, server):
    client.post(PUSH, headers=AUTH, json={"downlinks": [{"f_port": 1, "frm_payload": "AA=="}]})
    client.post("/_mock/clock/advance", json={"seconds": 60})
    assert client.post("/_mock/reset").status_code == 200
    assert len(server.network.get("app1.dev1").queue) == 0
    assert client.get("/_mock/journal").json() == []
    assert client.get("/_mock/clock").json()["now"] == "2026-01-01T00:00:00Z"


def test_clock_advance_validates_its_input(client):
    assert client.post("/_mock/clock/advance", json={"seconds": -1}).status_code == 400
    assert client.post("/_mock/clock/advance", content=b"{").status_code == 400
    assert client.post("/_mock/clock/advance", json={"seconds": 1.5}).json()["now"] == (
        "2026-01-01T00:00:01.500000Z"
    )


def test_unknown_admin_route_is_a_json_404(client):
    response = client.get("/_mock/nothing")
    assert response.status_code == 404
    assert response.json() == {"error": "no admin route /_mock/nothing"}


def test_paths_outside_every_provider_say_what_is_served(client):
    response = client.get("/somewhere")
    assert response.status_code == 404
    assert response.json()["error"] == "no simulated API is served at this path"


@pytest.mark.parametrize("application_id", ["nope", "app1.dev1", "a.b", {"a": 1}, ["app1"], 5])
def test_a_tts_device_is_only_created_in_an_application_of_the_world(client, application_id):
    response = client.post(
        "/_mock/devices",
        json={"provider": "tts", "application_id": application_id, "id": "sensor-7"},
    )
    assert response.status_code == 400
    assert "not an application of the world" in response.json()["error"]
    assert client.get("/_mock/devices").status_code == 200  # listing still works
