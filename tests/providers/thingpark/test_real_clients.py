"""The request shapes of the real DX Core clients (research A1–A6), over a real socket."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from mockserver.server import MockServer
from tests.providers.thingpark.helpers import AS_ID, AS_KEY, CLIENT_ID, CLIENT_SECRET


@pytest.fixture
def live() -> Iterator[tuple[MockServer, httpx.Client]]:
    server = MockServer()
    url = server.start()
    with httpx.Client(base_url=url) as http:
        yield server, http
    server.stop()


def request_violations(server: MockServer) -> list[str]:
    return [v.message for v in server.contract.log.violations if v.direction == "request"]


def test_thingsboard_style(live):
    """Token parameters all in the query with an empty body; `/core/latest/api` prefix."""
    server, http = live
    token = http.post(
        "/admin/latest/api/oauth/token",
        params={
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
    ).json()["access_token"]
    response = http.post(
        "/core/latest/api/devices/1002/downlinkMessages",
        json={
            "payloadHex": "0a0b",
            "targetPorts": "2",
            "securityParams": {
                "asId": AS_ID,
                "asKey": AS_KEY,
                "creationTime": "2026-01-01T00:00:00Z",
            },
        },
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "QUEUED"
    assert request_violations(server) == []


def test_mcp_server_style(live):
    """Community host prefix, form token with validityPeriod, flush in the query, then GET."""
    server, http = live
    token = http.post(
        "/thingpark/dx/admin/latest/api/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "validityPeriod": "12hours",
        },
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    base = "/thingpark/dx/core/latest/api/devices/1001/downlinkMessages"
    for payload in ("01", "02"):
        sent = http.post(
            base + "?flushDownlinkQueue=true",
            json={"payloadHex": payload, "targetPorts": "1", "confirmDownlink": False},
            headers=headers,
        )
        assert sent.status_code == 200, sent.text
    queue = http.get(base, headers=headers).json()
    assert [item["payloadHex"] for item in queue] == ["02"]
    assert request_violations(server) == []


def test_cumulocity_style(live):
    """Lowercase bare DevEUI, decimal correlation ID, the answer's correlationID read back."""
    server, http = live
    token = http.post(
        "/users-auth/protocol/openid-connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
    ).json()["access_token"]
    response = http.post(
        "/core/v141/api/devices/0018b20000000001/downlinkMessages",
        json={"payloadHex": "a1b2", "targetPorts": "10", "correlationID": "1767225600123"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["correlationID"] == "1767225600123"
    assert request_violations(server) == []


def test_banner_token_works_as_printed(live):
    server, http = live
    token = server.providers["thingpark"].ready_token
    response = http.get(
        "/core/v141/api/devices/e0018B20000000002/downlinkMessages",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    assert response.json() == []
