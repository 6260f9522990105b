"""Slow, huge and many clients, over raw sockets against a served instance: headers above the
limit get 431, a request never finished is closed at its deadline, connections beyond the
limit get 503, and idle connections do not slow anyone else down (docs/reliability.md)."""

from __future__ import annotations

import contextlib
import resource
import socket
import time
from collections.abc import Iterator

import pytest

from mockserver.connections import ServingLimits
from mockserver.server import MockServer

HEALTH = b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n"


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[MockServer]:
    limits = getattr(request, "param", ServingLimits(request_timeout=1.0, max_connections=50))
    simulator = MockServer(serving=limits)
    simulator.start()
    yield simulator
    simulator.stop()


def connect(server: MockServer) -> socket.socket:
    assert server.url is not None
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=30)


def read_all(sock: socket.socket, timeout: float = 30) -> bytes:
    """What the server sends until it closes (or `timeout` passes: then b"<open>" ends it)."""
    sock.settimeout(timeout)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except TimeoutError:
        return received + b"<open>"
    except ConnectionResetError:
        pass
    return received


def padding(kib: int) -> bytes:
    return b"".join(b"X-Pad-%d: %s\r\n" % (i, b"a" * 1000) for i in range(kib))


@pytest.mark.parametrize("kib", [70, 1024])
def test_headers_above_64_kib_get_431_and_the_connection_closes(server, kib):
    with connect(server) as sock:
        # The server may close before the last of a megabyte is sent.
        with contextlib.suppress(OSError):
            sock.sendall(HEALTH + padding(kib) + b"\r\n")
        answer = read_all(sock)
    assert answer.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"), answer[:80]
    assert answer.endswith(b"\r\n\r\n431 Request Header Fields Too Large")


def test_headers_under_the_limit_are_served(server):
    with connect(server) as sock:
        sock.sendall(HEALTH + padding(60) + b"Connection: close\r\n\r\n")
        assert read_all(sock).startswith(b"HTTP/1.1 200 OK\r\n")


@pytest.mark.parametrize(
    "sent",
    [b"", b"GET /_mock/hea", HEALTH, b"POST /api/v3/x HTTP/1.1\r\nContent-Length: 9\r\n\r\n{"],
    ids=["nothing", "half-a-request-line", "headers-unfinished", "body-unfinished"],
)
def test_a_request_never_finished_is_closed_at_the_deadline(server, sent):
    with connect(server) as sock:
        sock.sendall(sent)
        started = time.monotonic()
        answer = read_all(sock)
        waited = time.monotonic() - started
    assert answer == b""  # closed, nothing answered
    assert 0.5 < waited < 15  # the deadline is 1 s here (30 s by default)


def test_the_deadline_runs_per_request_on_a_kept_alive_connection(server):
    with connect(server) as sock:
        for _ in range(3):  # three requests over 1.5 s: each well within its own second
            sock.sendall(HEALTH + b"\r\n")
            sock.settimeout(30)
            assert sock.recv(65536).startswith(b"HTTP/1.1 200 OK")
            time.sleep(0.5)


@pytest.mark.parametrize("server", [ServingLimits(max_connections=3)], indirect=True)
def test_a_connection_beyond_the_limit_gets_503_not_a_hang(server):
    held = [connect(server) for _ in range(3)]
    try:
        time.sleep(0.2)  # the server has accepted them
        with connect(server) as sock:
            sock.sendall(HEALTH + b"\r\n")
            assert read_all(sock).startswith(b"HTTP/1.1 503 ")
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.2)
    with connect(server) as sock:  # room again
        sock.sendall(HEALTH + b"Connection: close\r\n\r\n")
        assert read_all(sock).startswith(b"HTTP/1.1 200 OK")


def enough_files(wanted: int) -> bool:
    """Raise this process's open-file limit to `wanted` if it may; whether it is there."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            return False
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return True


@pytest.mark.parametrize("server", [ServingLimits(max_connections=4096)], indirect=True)
def test_two_thousand_idle_connections_leave_health_fast(server):
    if not enough_files(4500):  # both ends of each connection live in this process
        pytest.skip("the open-file limit is below 4500")
    idle = []
    try:
        for _ in range(2000):
            idle.append(connect(server))
        time.sleep(0.5)
        slowest = 0.0
        for _ in range(20):
            with connect(server) as sock:
                started = time.perf_counter()
                sock.sendall(HEALTH + b"Connection: close\r\n\r\n")
                assert read_all(sock).startswith(b"HTTP/1.1 200 OK")
                slowest = max(slowest, time.perf_counter() - started)
    finally:
        for sock in idle:
            sock.close()
    assert slowest < 1.0  # about 1 ms on a quiet machine
