"""Shared expectations for the KPN provider tests: identities, bodies, the problem shape.

Everything here talks HTTP or reads state through the provider's Python API.
"""

from __future__ import annotations

import copy
from typing import Any

import httpx
import yaml

from mockserver.server import MockServer
from mockserver.world import DEFAULT_WORLD

TOKEN_PATH = "/api/v3/idp/oidc/token"
AUDIENCE = "4dc82561-f65f-523g-dek9-6c79ec314f02"  # KPN's "Application ID": not a valid UUID
LORA_UUID = "f24108fa-d102-40ff-8263-f8d46908a386"
LORA_CORE_ID = f"kpn.{LORA_UUID}"
MQTT_UUID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
HTTP_IMEI = "imei:356938035643809"
SMS_IMEI = "imei:356938035643817"
DEVICES = {
    "lora": "urn:dev:deveui:0004a30b001a2b3c",
    "mqtt": MQTT_UUID,
    "http": HTTP_IMEI,
    "sms": SMS_IMEI,
}
PROTOCOLS = ("lora", "mqtt", "http", "sms")
MESSAGES: dict[str, dict[str, Any]] = {
    "lora": {"payloadHex": "0102", "fPort": 1},
    "mqtt": {"type": "text", "payload": "abcd", "topic": "commands"},
    "http": {"type": "text", "body": "abcd"},
    "sms": {"text": "hello"},
}
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
TIMESTAMP_PATTERN = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"


def token(client: httpx.Client, client_id: str = "demo-client", secret: str = "demo-secret") -> str:
    response = client.post(
        TOKEN_PATH,
        json={
            "grant_type": "client_credentials",
            "audience": AUDIENCE,
            "client_id": client_id,
            "client_secret": secret,
        },
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def body(api: str, **changes: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "deviceId": DEVICES[api],
        "message": copy.deepcopy(MESSAGES[api]),
        "feedbackTimeout": "PT10M",
    }
    out.update(changes)
    return out


def create(client: httpx.Client, headers: dict[str, str], api: str, **changes: Any) -> dict:
    response = client.post(f"/{api}/downlinks", json=body(api, **changes), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def get(client: httpx.Client, headers: dict[str, str], api: str, downlink_id: str) -> dict:
    response = client.get(f"/{api}/downlinks/{downlink_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def assert_problem(response: httpx.Response, status: int, detail: str | None = None) -> dict:
    """KPN's error shape: RFC 9457 problem+json with the status repeated in the body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert problem["type"] == "about:blank"
    assert problem["instance"] == response.request.url.path
    if detail is not None:
        assert detail in problem["detail"], problem["detail"]
    return problem


def default_world() -> dict[str, Any]:
    return yaml.safe_load(DEFAULT_WORLD.read_text())


def server_with(kpn_changes: dict[str, Any]) -> MockServer:
    """The default world with keys of its `kpn:` section replaced or extended."""
    world = default_world()
    world["kpn"].update(kpn_changes)
    return MockServer(world)


OTHER_CLIENT_KEY = {
    "client_id": "other-client",
    "client_secret": "other-secret",
    "client": "other",
}
READ_ONLY_KEY = {
    "client_id": "reader",
    "client_secret": "reader-secret",
    "client": "demo",
    "scopes": ["downlink.read"],
}
