"""The authentication and rights matrix of TTS (research A2, facts §3), on every write route.

Webhook routes write errors with webhandlers (tab-indented); AppAs routes are grpc-gateway
routes (compact) whose 401s also carry `WWW-Authenticate: <status message>`.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.providers.tts.helpers import (
    APP2_KEY,
    JSON,
    READ_ONLY_KEY,
    app1,
    app_as_url,
    assert_error,
    bearer,
    body,
    default_world,
    error,
    list_url,
    queue,
    queues_untouched,
    seed_queues,
    webhook_url,
)

ROUTES = {
    "webhook-push": (webhook_url("push"), False),
    "webhook-replace": (webhook_url("replace"), False),
    "appas-push": (app_as_url("push"), True),
    "appas-replace": (app_as_url("replace"), True),
}
VALID_BODY = body({"f_port": 1, "frm_payload": "AQ==", "correlation_ids": ["auth-test"]})

UNAUTHENTICATED = error(
    "pkg/rpcmetadata", "unauthenticated", "the context is not authenticated", 16
)
UNAUTHENTICATED_MESSAGE = "error:pkg/rpcmetadata:unauthenticated (the context is not authenticated)"
UNSUPPORTED = error(
    "pkg/identityserver", "unsupported_authorization", "unsupported authorization method", 16
)
UNSUPPORTED_MESSAGE = (
    "error:pkg/identityserver:unsupported_authorization (unsupported authorization method)"
)
TOKEN = error("pkg/auth", "token", "invalid token", 3)
TOKEN_MESSAGE = "error:pkg/auth:token (invalid token)"
KEY_NOT_FOUND = error("pkg/identityserver", "api_key_not_found", "API key not found", 16)
KEY_NOT_FOUND_MESSAGE = "error:pkg/identityserver:api_key_not_found (API key not found)"
INVALID_AUTHORIZATION = error(
    "pkg/identityserver", "invalid_authorization", "invalid authorization", 16
)
INVALID_AUTHORIZATION_MESSAGE = (
    "error:pkg/identityserver:invalid_authorization (invalid authorization)"
)
EXPIRED = error("pkg/identityserver", "api_key_expired", "api key expired", 16)
EXPIRED_MESSAGE = "error:pkg/identityserver:api_key_expired (api key expired)"


def no_rights(uid: str) -> tuple[str, dict[str, Any]]:
    return (
        f"error:pkg/auth/rights:no_application_rights (no rights for application `{uid}`)",
        error(
            "pkg/auth/rights",
            "no_application_rights",
            "no rights for application `{uid}`",
            7,
            {"uid": uid},
        ),
    )


def insufficient(uid: str, missing: list[str]) -> tuple[str, dict[str, Any]]:
    return (
        "error:pkg/auth/rights:insufficient_application_rights "
        f"(insufficient rights for application `{uid}`)",
        error(
            "pkg/auth/rights",
            "insufficient_application_rights",
            "insufficient rights for application `{uid}`",
            7,
            {"missing": missing, "uid": uid},
        ),
    )


UNKNOWN_KEY = "NNSXS." + "A" * 39 + "." + "B" * 52
READ_ONLY_ID = READ_ONLY_KEY.rsplit(".", 1)[0]

# name: (Authorization header or None, status, message, details)
MATRIX: dict[str, tuple[str | None, int, str, dict[str, Any]]] = {
    "no-header": (None, 401, UNAUTHENTICATED_MESSAGE, UNAUTHENTICATED),
    "scheme-only": ("Bearer", 401, UNAUTHENTICATED_MESSAGE, UNAUTHENTICATED),
    "key-without-bearer": ("NNSXS.XXXXXXXXX", 401, UNAUTHENTICATED_MESSAGE, UNAUTHENTICATED),
    "bearer-glued-to-key": ("BearerNNSXS.XXXXXXXXX", 401, UNAUTHENTICATED_MESSAGE, UNAUTHENTICATED),
    "basic-scheme": ("Basic dXNlcjpwYXNzd29yZA==", 401, UNSUPPORTED_MESSAGE, UNSUPPORTED),
    "not-a-token": ("Bearer invalid key", 400, TOKEN_MESSAGE, TOKEN),
    "two-parts": ("Bearer NNSXS.ABCDEFGHIJ", 400, TOKEN_MESSAGE, TOKEN),
    "unknown-prefix": ("Bearer ABCDE.ABCDEFGHIJ.KLMNOPQRST", 400, TOKEN_MESSAGE, TOKEN),
    "unknown-key-id": (f"Bearer {UNKNOWN_KEY}", 401, KEY_NOT_FOUND_MESSAGE, KEY_NOT_FOUND),
    "wrong-secret": (
        f"Bearer {READ_ONLY_ID}.WRONGSECRET",
        401,
        INVALID_AUTHORIZATION_MESSAGE,
        INVALID_AUTHORIZATION,
    ),
    "other-applications-key": (f"Bearer {APP2_KEY}", 403, *no_rights("app1")),
    "read-only-key": (
        f"Bearer {READ_ONLY_KEY}",
        403,
        *insufficient("app1", ["RIGHT_APPLICATION_TRAFFIC_DOWN_WRITE"]),
    ),
}


def _matrix_params():
    for case in MATRIX:
        for route in ROUTES:
            yield pytest.param(case, route, id=f"{case}-{route}")


@pytest.mark.parametrize(("case", "route"), list(_matrix_params()))
def test_auth_matrix(server, client, case, route):
    header, status, message, details = MATRIX[case]
    url, gateway = ROUTES[route]
    seed_queues(client)
    headers = dict(JSON) if header is None else {**JSON, "Authorization": header}
    with queues_untouched(server):
        response = client.post(url, content=VALID_BODY, headers=headers)
        assert_error(response, status, message, details, gateway=gateway)
    if gateway and status == 401:
        assert response.headers["www-authenticate"] == message
    else:
        assert "www-authenticate" not in response.headers


@pytest.mark.parametrize(
    ("route"),
    [
        pytest.param("webhook-push"),
        pytest.param("appas-push"),
    ],
)
def test_bearer_without_token_is_unauthenticated(server, client, route):
    url, gateway = ROUTES[route]
    seed_queues(client)
    with queues_untouched(server):
        response = client.post(
            url, content=VALID_BODY, headers={**JSON, "Authorization": "Bearer "}
        )
        assert_error(response, 401, UNAUTHENTICATED_MESSAGE, UNAUTHENTICATED, gateway=gateway)


@pytest.mark.parametrize("route", list(ROUTES))
def test_unknown_application_is_403_not_404(server, client, route):
    """The IS answers empty rights for an application it does not know (research A2)."""
    url, gateway = ROUTES[route]
    url = url.replace("/applications/app1/", "/applications/app9/")
    seed_queues(client)
    with queues_untouched(server):
        response = client.post(url, content=VALID_BODY, headers=bearer())
        assert_error(response, 403, *no_rights("app9"), gateway=gateway)


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
@pytest.mark.parametrize("route", list(ROUTES))
def test_bearer_scheme_is_case_insensitive(server, client, route, scheme):
    url, _ = ROUTES[route]
    response = client.post(
        url, content=VALID_BODY, headers={**JSON, "Authorization": f"{scheme} NNSXS.XXXXXXXXX"}
    )
    assert response.status_code == 200, response.text
    assert [d.correlation_ids[0] for d in queue(server)] == ["auth-test"]


def test_a_key_works_on_its_own_application(server, client):
    response = client.post(
        webhook_url("push", "dev1", "app2", "wh2"), content=VALID_BODY, headers=bearer(APP2_KEY)
    )
    assert response.status_code == 200, response.text
    assert [d.f_port for d in queue(server, "app2.dev1")] == [1]
    response = client.post(
        app_as_url("push", "dev1", "app2"), content=VALID_BODY, headers=bearer(APP2_KEY)
    )
    assert response.status_code == 200, response.text
    assert len(queue(server, "app2.dev1")) == 2
    assert queue(server) == []  # app1.dev1 untouched


def test_the_x_downlink_apikey_header_is_not_read(server, client):
    """X-Downlink-Apikey is what the AS sends out; the down routes read Authorization only."""
    seed_queues(client)
    with queues_untouched(server):
        response = client.post(
            webhook_url("push"),
            content=VALID_BODY,
            headers={**JSON, "X-Downlink-Apikey": "NNSXS.XXXXXXXXX"},
        )
        assert_error(response, 401, UNAUTHENTICATED_MESSAGE, UNAUTHENTICATED)


# -- keys with particular rights or an expiry (custom worlds) ----------------------------------
LINK_KEY = "NNSXS.LINKLINKLINKLINKLINKLINKLINKLINKLINKLINKL.SECRETSECRETSECRET"
DOWN_ONLY_KEY = "NNSXS.DOWNDOWNDOWNDOWNDOWNDOWNDOWNDOWNDOWNDOWND.SECRETSECRETSECRET"
EXPIRING_KEY = "NNSXS.EXPIREXPIREXPIREXPIREXPIREXPIREXPIREXPI.SECRETSECRETSECRET"


def _world_with_keys() -> dict[str, Any]:
    world = default_world()
    world["tts"]["api_keys"] += [
        {"key": LINK_KEY, "application": "app1", "rights": ["RIGHT_APPLICATION_LINK"]},
        {
            "key": DOWN_ONLY_KEY,
            "application": "app1",
            "rights": ["RIGHT_APPLICATION_TRAFFIC_DOWN_WRITE"],
        },
        {
            "key": EXPIRING_KEY,
            "application": "app1",
            "rights": ["RIGHT_APPLICATION_ALL"],
            "expires_at": "2026-01-01T00:01:00Z",
        },
    ]
    assert app1(world)["id"] == "app1"
    return world


@pytest.mark.parametrize("route", list(ROUTES))
def test_link_right_implies_traffic_down_write(server, client, route):
    server.reset(_world_with_keys())
    url, _ = ROUTES[route]
    response = client.post(url, content=VALID_BODY, headers=bearer(LINK_KEY))
    assert response.status_code == 200, response.text
    assert len(queue(server)) == 1
    listed = client.get(list_url(), headers=bearer(LINK_KEY))
    assert listed.status_code == 200, listed.text
    assert len(listed.json()["downlinks"]) == 1


def test_listing_needs_traffic_read(server, client):
    server.reset(_world_with_keys())
    response = client.post(webhook_url("push"), content=VALID_BODY, headers=bearer(DOWN_ONLY_KEY))
    assert response.status_code == 200, response.text
    listed = client.get(list_url(), headers=bearer(DOWN_ONLY_KEY))
    assert_error(
        listed,
        403,
        *insufficient("app1", ["RIGHT_APPLICATION_TRAFFIC_READ"]),
        gateway=True,
    )


def test_listing_with_a_read_only_key(server, client):
    seed_queues(client)
    listed = client.get(list_url(), headers=bearer(READ_ONLY_KEY))
    assert listed.status_code == 200, listed.text
    assert listed.json()["downlinks"][0]["correlation_ids"][0] == "seed"


def test_listing_with_another_applications_key(server, client):
    listed = client.get(list_url(), headers=bearer(APP2_KEY))
    assert_error(listed, 403, *no_rights("app1"), gateway=True)


def test_listing_without_authorization(server, client):
    listed = client.get(list_url())
    assert_error(listed, 401, UNAUTHENTICATED_MESSAGE, UNAUTHENTICATED, gateway=True)
    assert listed.headers["www-authenticate"] == UNAUTHENTICATED_MESSAGE


def test_a_key_works_until_it_expires(server, client):
    server.reset(_world_with_keys())
    response = client.post(webhook_url("push"), content=VALID_BODY, headers=bearer(EXPIRING_KEY))
    assert response.status_code == 200, response.text
    server.clock.advance(59.999)
    response = client.post(app_as_url("push"), content=VALID_BODY, headers=bearer(EXPIRING_KEY))
    assert response.status_code == 200, response.text
    assert len(queue(server)) == 2


@pytest.mark.parametrize("route", [pytest.param(r) for r in ROUTES])
def test_an_expired_key_is_401_api_key_expired(server, client, route):
    server.reset(_world_with_keys())
    url, gateway = ROUTES[route]
    server.clock.advance(60)
    with queues_untouched(server):
        response = client.post(url, content=VALID_BODY, headers=bearer(EXPIRING_KEY))
        assert_error(response, 401, EXPIRED_MESSAGE, EXPIRED, gateway=gateway)
    if gateway:
        assert response.headers["www-authenticate"] == EXPIRED_MESSAGE
