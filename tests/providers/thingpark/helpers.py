"""Shared expectations for the ThingPark tests: the default world's identities, DX errors."""

from __future__ import annotations

import re
from typing import Any

import httpx

CLIENT_ID = "tpe-api/demo@example.com"
CLIENT_SECRET = "demo-secret"
CLASS_A_EUI = "0018B20000000001"
CLASS_A_REF = "1001"
CLASS_C_EUI = "0018B20000000002"
CLASS_C_REF = "1002"
AS_ID = "TWA_100000000.1.AS"
AS_KEY = "00112233445566778899aabbccddeeff"
CUSTOMER_ID = "100000000"
BASES = ("/core/v141/api", "/core/latest/api", "/thingpark/dx/core/latest/api")
TOKEN_URL = "/admin/latest/api/oauth/token"
OIDC_URL = "/users-auth/protocol/openid-connect/token"
ERROR_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def messages_url(device: str = CLASS_A_REF, base: str = BASES[0]) -> str:
    return f"{base}/devices/{device}/downlinkMessages"


def token(client: httpx.Client, **extra: str) -> str:
    response = client.post(
        TOKEN_URL,
        data={
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            **extra,
        },
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}


def assert_dx_error(response: httpx.Response, status: int, code: int, message: str) -> None:
    """DX Core's error: exactly `{code, message, errorId}`, with the code and text expected."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert list(body) == ["code", "message", "errorId"], body
    assert body["code"] == code
    assert body["message"] == message
    assert ERROR_ID.match(body["errorId"]), body["errorId"]
