"""`/_mock/openapi.json` names the server the request came in on (issue 20, item 10), so a
client generated from it works on a random port."""

from __future__ import annotations

import httpx

from mockserver.admin.description import admin_description
from mockserver.server import MockServer


def test_a_server_on_a_random_port_serves_its_own_url() -> None:
    with MockServer() as server:
        assert server.url is not None
        document = httpx.get(f"{server.url}/_mock/openapi.json").json()
        assert document["servers"] == [{"url": server.url}]
        assert server.url != "http://127.0.0.1:8080"
        localhost = server.url.replace("127.0.0.1", "localhost")  # another name of it
        document = httpx.get(f"{localhost}/_mock/openapi.json").json()
        assert document["servers"] == [{"url": localhost}]


def test_the_bundled_document_keeps_its_example_and_says_what_is_served() -> None:
    (server,) = admin_description()["servers"]
    assert server["url"] == "http://127.0.0.1:8080"
    assert "the URL the request came in on" in server["description"]


def test_a_tenant_gets_the_same_url(client: httpx.Client) -> None:
    document = client.get("/_mock/openapi.json", headers={"X-Mockserver-Tenant": "t1"}).json()
    assert document["servers"] == [{"url": "http://mockserver.invalid"}]
