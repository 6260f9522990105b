"""The token endpoints answer every error in their own RFC 6749 §5.2 shape
`{"error", "error_description"}`, including errors a scenario names, its rate limits and
the pipeline's 405/413/500; DX Core calls keep `{code, message, errorId}`."""

from __future__ import annotations

import httpx
import pytest

from mockserver.server import MockServer
from tests.providers.thingpark.helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    OIDC_URL,
    assert_dx_error,
    messages_url,
)

GRANT = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
TOKEN_URLS = (
    "/admin/latest/api/oauth/token",
    "/thingpark/dx/admin/latest/api/oauth/token",
    OIDC_URL,
)


def assert_oauth_error(response: httpx.Response, status: int, error: str, description: str):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": error, "error_description": description}


def load(server: MockServer, *rules: dict) -> None:
    server.load_scenario({"name": "t", "description": "t", "rules": list(rules)})


def respond(name: str) -> dict:
    return {"match": {"provider": "thingpark"}, "act": {"respond": {"error": f"thingpark: {name}"}}}


@pytest.mark.parametrize("url", TOKEN_URLS)
@pytest.mark.parametrize(
    ("name", "status", "error", "description"),
    [
        ("400", 400, "invalid_request", "Bad request"),
        ("401", 401, "invalid_client", "Unauthorized"),
        ("403", 403, "access_denied", "Forbidden"),
        ("404", 404, "invalid_request", "Resource not found"),
        ("429", 429, "temporarily_unavailable", "Too many requests"),
        ("500", 500, "server_error", "Internal server error"),
        ("503", 503, "temporarily_unavailable", "Service unavailable"),
        ("121", 409, "invalid_request", "Token bucket limit reached"),
    ],
)
def test_scenario_errors_on_token_endpoints_are_oauth_errors(
    server, client, url, name, status, error, description
):
    load(server, respond(name))
    assert_oauth_error(client.post(url, data=GRANT), status, error, description)


def test_the_same_scenario_error_keeps_the_dx_shape_on_dx_core(server, client):
    token = server.providers["thingpark"].ready_token
    load(server, respond("503"))
    response = client.get(messages_url(), headers={"Authorization": f"Bearer {token}"})
    assert_dx_error(response, 503, 503, "Service unavailable")


@pytest.mark.parametrize("url", TOKEN_URLS)
def test_rate_limit_on_token_endpoints_is_an_oauth_429(server, client, url):
    load(
        server,
        {"match": {"provider": "thingpark"}, "act": {"rate_limit": {"limit": 1, "per": "1m"}}},
    )
    assert client.post(url, data=GRANT).status_code == 200
    response = client.post(url, data=GRANT)
    assert_oauth_error(response, 429, "temporarily_unavailable", "Too many requests")
    assert response.headers["retry-after"] == "60"


def test_rate_limit_on_dx_core_keeps_the_dx_shape(server, client):
    token = server.providers["thingpark"].ready_token
    load(
        server,
        {"match": {"provider": "thingpark"}, "act": {"rate_limit": {"limit": 1, "per": "1m"}}},
    )
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(messages_url(), headers=headers).status_code == 200
    response = client.get(messages_url(), headers=headers)
    assert_dx_error(response, 429, 429, "Too many requests")
    assert response.headers["retry-after"] == "60"


@pytest.mark.parametrize("url", TOKEN_URLS)
def test_wrong_method_on_a_token_endpoint(client, url):
    response = client.get(url)
    assert_oauth_error(response, 405, "method_not_allowed", "Method GET not allowed")


@pytest.mark.parametrize("url", TOKEN_URLS)
def test_oversized_token_request(client, url):
    response = client.post(
        url,
        content=b"a" * (1024 * 1024 + 1),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_oauth_error(response, 413, "invalid_request", "Request entity too large")


@pytest.mark.parametrize("url", TOKEN_URLS)
def test_unexpected_failure_on_a_token_endpoint(server, client, url, monkeypatch):
    def fail(*args: object) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(server.providers["thingpark"].tokens, "issue", fail)
    response = client.post(url, data=GRANT)
    assert_oauth_error(response, 500, "server_error", "Internal server error")


def test_unknown_paths_under_the_token_services_keep_the_dx_404(client):
    response = client.post("/users-auth/protocol/openid-connect/nothing", data=GRANT)
    assert_dx_error(response, 404, 404, "Resource not found")
