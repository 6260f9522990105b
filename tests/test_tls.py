"""The HTTP clients the package makes share one TLS context per process (mockserver/tls.py):
httpx would otherwise read the whole CA bundle for each of them, about 20 ms of CPU."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mockserver import tls
from mockserver.admin_client import AdminClient
from mockserver.server import MockServer


@pytest.fixture
def verify_given(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What each httpx.Client made from now on was given as `verify`."""
    seen: list[Any] = []
    original = httpx.Client.__init__

    def noting(self: httpx.Client, *args: Any, **kwargs: Any) -> None:
        seen.append(kwargs.get("verify", "httpx's default"))
        original(self, *args, **kwargs)

    monkeypatch.setattr(httpx.Client, "__init__", noting)
    return seen


def test_server_and_admin_clients_share_the_process_context(verify_given: list[Any]) -> None:
    server = MockServer(tenants=False)
    server.url = "http://127.0.0.1:9"  # as start() sets it; nothing is sent
    made = [server.client(), server.client(), AdminClient("http://127.0.0.1:9")]
    for client in made:
        client.close()
    assert len(verify_given) == 3
    assert all(verify is tls.default_context() for verify in verify_given)


def test_a_callers_own_verify_is_kept(verify_given: list[Any]) -> None:
    server = MockServer(tenants=False)
    server.url = "http://127.0.0.1:9"
    server.client(verify=False).close()
    assert verify_given == [False]
