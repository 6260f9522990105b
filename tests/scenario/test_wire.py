"""How scenario acts travel: framing of literal answers, latency and slow bodies against
client timeouts, and connections cut on purpose. Over a real port where the bytes matter;
no test waits on the wall clock longer than a client timeout of a few tens of milliseconds.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from mockserver import wire as transport
from mockserver.contract import HttpRequest
from mockserver.scenario.engine import MAX_WIRE_DELAY, ActiveScenario, FaultyResponse, RequestActs
from mockserver.scenario.loading import read_scenario
from mockserver.server import MockServer
from mockserver.types import SECOND
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


# -- latency and slow bodies against client timeouts ----------------------------------------
def acts_of(server: MockServer, act: dict) -> RequestActs:
    active = ActiveScenario(read_scenario(scenario({"act": act})), server.clock)
    request = HttpRequest("GET", DOWN, "", {}, b"")
    acts = active.on_request(server.providers["tts"], "x", None, {}, request)
    assert acts is not None
    return acts


def test_waits_are_capped(server: MockServer):
    """The loader refuses waits over the cap (test_refusals); a lognormal draw may still go
    past it, and is clipped."""
    cap = MAX_WIRE_DELAY / SECOND
    widest = {"latency": {"lognormal": {"median": "300s", "sigma": 4}}}
    active = ActiveScenario(read_scenario(scenario({"act": widest})), server.clock)
    request = HttpRequest("GET", DOWN, "", {}, b"")
    draws = [
        active.on_request(server.providers["tts"], "x", None, {}, request).latency  # type: ignore[union-attr]
        for _ in range(20)
    ]
    assert max(draws) == cap and min(draws) < cap
    assert acts_of(server, {"latency": {"fixed": "300s"}}).latency == cap
    assert acts_of(server, {"latency": {"fixed": "250ms"}}).latency == 0.25  # below: as written


def test_a_slow_body_is_cut_into_chunks_spread_over_its_duration(
    monkeypatch: pytest.MonkeyPatch,
):
    messages: list[dict] = []
    pauses: list[float] = []

    async def send(message: dict) -> None:
        messages.append(message)

    async def pause(send: object, seconds: float) -> bool:
        pauses.append(seconds)
        return True

    monkeypatch.setattr(transport, "_pause", pause)
    acts = RequestActs(rule=None, slow_body=(0.9, 4))  # type: ignore[arg-type]
    response = FaultyResponse(200, {}, b"0123456789", acts)
    asyncio.run(transport.send_with_faults(send, response, []))
    start, *parts = messages
    assert start["type"] == "http.response.start"
    assert [part["body"] for part in parts] == [b"012", b"345", b"678", b"9"]
    assert [part["more_body"] for part in parts] == [True, True, True, False]
    assert pauses == [0.3, 0.3, 0.3]  # between the parts, none after the last


def test_in_process_a_latency_past_the_read_timeout_is_a_read_timeout(server: MockServer):
    server.load_scenario(scenario({"act": {"latency": {"fixed": "3s"}}}))
    with server.client(timeout=0.05) as client, pytest.raises(httpx.ReadTimeout):
        client.get(DOWN, headers=AUTH)
    (entry,) = server.journal.entries()  # handled all the same; only the answer was late
    assert entry.response.status == 200


def test_the_async_client_honours_the_read_timeout_too(server: MockServer):
    server.load_scenario(scenario({"act": {"latency": {"fixed": "3s"}}}))

    async def call() -> None:
        async with server.async_client(timeout=0.05) as client:
            await client.get(DOWN, headers=AUTH)

    with pytest.raises(httpx.ReadTimeout):
        asyncio.run(call())


def test_in_process_a_slow_body_times_out_between_its_chunks(server: MockServer):
    server.load_scenario(
        scenario(
            {"match": {"calls": {"nth": 1}}, "act": {"slow_body": {"duration": "3s", "chunks": 2}}},
            {
                "act": {
                    "slow_body": {"duration": "120ms", "chunks": 5},
                    "respond": {"status": 503, "body": "x" * 50},
                }
            },
        )
    )
    with server.client(timeout=0.5) as client:
        with pytest.raises(httpx.ReadTimeout):  # 3 s between its two parts
            client.get(DOWN, headers=AUTH)
        # 30 ms between parts: well within the timeout (16 times over, for loaded machines)
        assert client.get(DOWN, headers=AUTH).text == "x" * 50


def test_over_a_port_the_server_stops_waiting_when_the_client_gives_up(
    server: MockServer, url: str
):
    server.load_scenario(scenario({"act": {"latency": {"fixed": "300s"}}}))
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(url + DOWN, headers=AUTH, timeout=0.05)
    started = time.monotonic()
    server.stop()  # waits for calls in flight: none is left sleeping
    assert time.monotonic() - started < 5


def test_over_a_port_a_slow_body_arrives_in_several_chunks(server: MockServer, url: str):
    server.load_scenario(
        scenario(
            {
                "act": {
                    "slow_body": {"duration": "200ms", "chunks": 3},
                    "respond": {"status": 503, "body": "x" * 30},
                }
            }
        )
    )
    with httpx.stream("GET", url + DOWN, headers=AUTH) as response:
        reads = [chunk for chunk in response.iter_raw() if chunk]
    assert b"".join(reads) == b"x" * 30
    assert len(reads) >= 2  # 100 ms apart: separate reads (3 unless the client was stalled)


# -- connections cut on purpose -------------------------------------------------------------
def test_after_headers_the_headers_arrive_before_the_cut(server: MockServer, url: str):
    server.load_scenario(scenario({"act": {"drop": "after_headers"}}))
    with httpx.stream("GET", url + DOWN, headers=AUTH) as response:
        assert response.status_code == 200
        assert response.headers["x-request-id"]  # the vendor's headers, then nothing
        assert int(response.headers["content-length"]) > 0
        with pytest.raises(httpx.TransportError):
            response.read()
    (entry,) = server.journal.entries()
    assert entry.response.status == 200  # handled: the cut came after the answer was made


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def uvicorn_log() -> Iterator[list[logging.LogRecord]]:
    """What uvicorn logs (its loggers do not propagate to pytest's capture)."""
    handler = _Records()
    logger = logging.getLogger("uvicorn.error")
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)


@pytest.mark.parametrize("act", [{"drop": "reset"}, {"drop": "after_headers"}, {"garbage": 64}])
def test_a_deliberate_cut_logs_info_lines_and_no_error(
    server: MockServer,
    url: str,
    act: dict,
    uvicorn_log: list[logging.LogRecord],
    caplog: pytest.LogCaptureFixture,
):
    server.load_scenario(scenario({"name": "cut", "act": act}))
    caplog.set_level(logging.INFO, logger="mockserver")
    with pytest.raises(httpx.TransportError):
        httpx.get(url + DOWN, headers=AUTH)
    assert httpx.get(url + "/_mock/health").status_code == 200  # after the cut was handled
    server.stop()
    assert [r for r in uvicorn_log if r.levelno >= logging.WARNING] == []
    lines = [r for r in caplog.records if r.name.startswith("mockserver")]
    assert [(r.levelno, r.exc_info) for r in lines] == [(logging.INFO, None)] * 2
    act, call = lines  # the scenario's act, then the call it cut
    assert "'cut'" in act.getMessage() and DOWN in act.getMessage()
    assert f"GET {DOWN} " in call.getMessage() and "scenario 'cut'" in call.getMessage()


def test_a_cancelled_in_process_call_leaves_no_task_running(server: MockServer):
    """The caller's own cancellation (asyncio.wait_for) ends the call inside the app too."""
    server.load_scenario(scenario({"act": {"latency": {"fixed": "300s"}}}))

    async def main() -> int:
        async with server.async_client(timeout=10) as client:
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(client.get(DOWN, headers=AUTH), timeout=0.05)
            await asyncio.sleep(0)  # let the cancellation land
            return sum(1 for task in asyncio.all_tasks() if not task.done()) - 1

    assert asyncio.run(main()) == 0
