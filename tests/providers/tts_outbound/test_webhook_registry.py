"""The webhook registry API (`/api/v3/as/webhooks/...`) and its effect on what is sent."""

from __future__ import annotations

import pytest

from mockserver.server import MockServer

AUTH = {"Authorization": "Bearer NNSXS.XXXXXXXXX"}
READ_ONLY = {
    "Authorization": "Bearer NNSXS.RDZ4BRBHQNPEKQFN6KJWZXTM3OYEUNDNCS3PRDY."
    "UOSS5ZJ7BN7NEN3BOOOUYJ5ACN7PFXOCEO2EBXDFYZUUOAB6NWMQ"
}


@pytest.fixture
def server() -> MockServer:
    return MockServer()


def test_formats(client):
    assert client.get("/api/v3/as/webhook-formats").json() == {
        "formats": {"json": "JSON", "protobuf": "Protocol Buffers"}
    }


def test_list_and_get_return_the_basics_plus_the_field_mask(client):
    listed = client.get("/api/v3/as/webhooks/app1", headers=AUTH)
    assert listed.status_code == 200
    assert listed.headers["x-total-count"] == "1"
    assert listed.json() == {
        "webhooks": [
            {
                "ids": {"application_ids": {"application_id": "app1"}, "webhook_id": "wh1"},
                "created_at": "2026-01-01T00:00:00Z",
                "updated_at": "2026-01-01T00:00:00Z",
                "base_url": "http://127.0.0.1:9000/ttn",
                "format": "json",
            }
        ]
    }
    got = client.get("/api/v3/as/webhooks/app1/wh1?field_mask=downlink_api_key", headers=AUTH)
    assert got.json()["downlink_api_key"] == "NNSXS.XXXXXXXXX"
    assert client.get("/api/v3/as/webhooks/app1/nope", headers=AUTH).status_code == 404


def test_set_creates_updates_and_delete_removes(client, server):
    server.clock.advance(60)
    created = client.post(
        "/api/v3/as/webhooks/app1",
        headers=AUTH,
        json={
            "webhook": {
                "ids": {"application_ids": {"application_id": "app1"}, "webhook_id": "my-app"},
                "base_url": "http://127.0.0.1:9/hooks",
                "format": "json",
                "uplink_message": {"path": "/up"},
            },
            "field_mask": {"paths": ["base_url", "format", "uplink_message"]},
        },
    )
    assert created.status_code == 200, created.text
    assert created.json()["uplink_message"] == {"path": "/up"}
    assert created.json()["created_at"] == "2026-01-01T00:01:00Z"
    hook = server.providers["tts"].registry.applications["app1"].webhooks["my-app"]
    assert hook.messages == {"uplink_message": "/up"}
    server.clock.advance(60)
    updated = client.put(
        "/api/v3/as/webhooks/app1/my-app",
        headers=AUTH,
        json={
            "webhook": {"base_url": "http://127.0.0.1:9/other", "uplink_message": None},
            "field_mask": {"paths": ["base_url", "uplink_message"]},
        },
    )
    assert updated.json()["base_url"] == "http://127.0.0.1:9/other"
    assert updated.json()["updated_at"] == "2026-01-01T00:02:00Z"
    assert hook.messages == {}
    assert client.delete("/api/v3/as/webhooks/app1/my-app", headers=AUTH).json() == {}
    assert client.delete("/api/v3/as/webhooks/app1/my-app", headers=AUTH).status_code == 404


def test_a_webhook_set_over_the_api_receives_messages(client, server):
    client.post(
        "/api/v3/as/webhooks/app1",
        headers=AUTH,
        json={
            "webhook": {
                "ids": {"webhook_id": "live"},
                "base_url": "http://127.0.0.1:9/x",
                "uplink_message": {},
            },
        },
    )
    server.uplink("app1.dev1")
    assert server.outbound.flush()
    (attempt,) = server.outbound.attempts()
    assert (attempt.message.kind, attempt.message.url) == ("uplink_message", "http://127.0.0.1:9/x")


def test_rights_and_validation(client):
    body = {"webhook": {"ids": {"webhook_id": "x-hook"}, "base_url": "http://h/"}}
    denied = client.post("/api/v3/as/webhooks/app1", headers=READ_ONLY, json=body)
    assert denied.status_code == 403
    assert denied.json()["details"][0]["attributes"]["missing"] == [
        "RIGHT_APPLICATION_SETTINGS_BASIC",
        "RIGHT_APPLICATION_TRAFFIC_DOWN_WRITE",
    ]
    assert client.get("/api/v3/as/webhooks/app1", headers=READ_ONLY).status_code == 200
    assert client.get("/api/v3/as/webhooks/app1").status_code == 401
    bad = client.post(
        "/api/v3/as/webhooks/app1",
        headers=AUTH,
        json={"webhook": {"ids": {"webhook_id": "x-hook"}, "format": "xml"}},
    )
    assert bad.status_code == 400
    assert bad.json()["details"][0]["attributes"]["field"] == "webhook.format"
    assert (
        client.post(
            "/api/v3/as/webhooks/app1",
            headers=AUTH,
            json={"webhook": {"ids": {"webhook_id": "Bad_Id"}}},
        ).status_code
        == 400
    )
