"""How scenario acts travel: framing of literal answers, latency and slow bodies against
client timeouts, and connections cut on purpose. Over a real port where the bytes matter;
no test waits on the wall clock longer than a client timeout of a few tens of milliseconds.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from mockserver.server import MockServer
from tests.conftest import AUTH

DOWN = "/api/v3/as/applications/app1/devices/dev1/down"
WRONG_FRAMING = {"Content-Length": "99", "Transfer-Encoding": "chunked"}
pytestmark = pytest.mark.mockserver_allow_violations


def scenario(*rules: dict) -> dict:
    return {"name": "t", "description": "test", "seed": 1, "rules": list(rules)}


def literal(status: int, body: object = None, **headers: str) -> dict:
    respond: dict = {"status": status, "headers": headers}
    if body is not None:
        respond["body"] = body
    return {"act": {"respond": respond}}


@pytest.fixture
def url(server: MockServer) -> Iterator[str]:
    yield server.start()
    server.stop()


def raw_exchange(url: str, path: str = DOWN) -> bytes:
    """Every byte the server sends for one request on a connection it is asked to close."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(
            f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {AUTH['Authorization']}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return received


def framing(head: bytes) -> list[str]:
    return [
        line.split(":")[0].lower()
        for line in head.decode("latin-1").split("\r\n")[1:]
        if line.split(":")[0].lower() in ("content-length", "transfer-encoding")
    ]


# -- literal answers -----------------------------------------------------------------------
@pytest.mark.parametrize("status", [204, 304])
def test_a_literal_without_a_body_sends_no_body_and_no_framing(
    server: MockServer, url: str, status: int
):
    server.load_scenario(scenario(literal(status, "ignored", **WRONG_FRAMING)))
    head, _, body = raw_exchange(url).partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} ".encode())
    assert body == b""
    assert framing(head) == []


def test_a_literal_body_is_framed_by_the_server_not_by_its_headers(server: MockServer, url: str):
    server.load_scenario(scenario(literal(502, "bad gateway", **WRONG_FRAMING)))
    head, _, body = raw_exchange(url).partition(b"\r\n\r\n")
    assert body == b"bad gateway"
    assert framing(head) == ["content-length"]
    assert b"content-length: 11\r\n" in head.lower()


def test_in_process_a_204_literal_has_no_body_either(server: MockServer, client: httpx.Client):
    server.load_scenario(scenario(literal(204, {"not": "sent"})))
    response = client.get(DOWN, headers=AUTH)
    assert (response.status_code, response.content) == (204, b"")
    assert "content-length" not in response.headers
    assert "content-type" not in response.headers
