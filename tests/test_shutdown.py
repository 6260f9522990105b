"""`mockserver serve` on SIGTERM and SIGINT: it stops accepting, gives requests in flight the
grace period, closes the host and exits 0; a half-sent request never holds it."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.serving import Output

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


def serve(*options: str) -> tuple[subprocess.Popen[str], Output, int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "serve", "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )
    output = Output(process)
    ready = output.until_ready()[-1]
    return process, output, int(ready.rsplit(":", 1)[1])


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.parametrize(
    "sent",
    [
        None,
        b"GET /_mock/hea",
        b"POST /api/v3/as/applications/app1/devices/dev1/down/push HTTP/1.1\r\n"
        b"Content-Length: 100\r\n\r\n{",
    ],
    ids=["no-connection", "half-a-request-line", "half-a-body"],
)
def test_a_signal_stops_the_server_gracefully_and_it_exits_0(sig, sent):
    process, _, port = serve("--graceful-timeout", "1")
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        if sent is not None:
            sock.sendall(sent)
        time.sleep(0.3)  # the server has read it
        started = time.monotonic()
        process.send_signal(sig)
        status = process.wait(timeout=30)
        took = time.monotonic() - started
    finally:
        sock.close()
        if process.poll() is None:
            process.kill()
    assert status == 0  # not killed by the signal (-15, a shell's 143)
    assert took < 15  # the grace is 1 s here; measured: about 0.5 s
    with pytest.raises(OSError):  # nothing listens any more
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_a_request_in_flight_is_answered_within_the_grace_period():
    process, _, port = serve("--graceful-timeout", "10")
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        sock.sendall(b"GET /_mock/health HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab")
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        sock.sendall(b"cd")  # the rest of the body, after the signal
        answer = sock.recv(65536)
        status = process.wait(timeout=30)
    finally:
        sock.close()
        if process.poll() is None:
            process.kill()
    assert answer.startswith(b"HTTP/1.1 200 OK"), answer
    assert status == 0


def test_the_reports_are_written_when_the_server_stops(tmp_path: Path):
    """`serve --report` writes the run's report as it stops: the push made before the
    signal is counted in it, as `GET /_mock/report` counted it."""
    json_report, junit = tmp_path / "run.json", tmp_path / "run.xml"
    process, _, port = serve("--report", str(json_report), "--report", str(junit))
    try:
        push = httpx.post(
            f"http://127.0.0.1:{port}/api/v3/as/applications/app1/webhooks/wh1/devices/dev1/down/push",
            headers={"Authorization": "Bearer NNSXS.XXXXXXXXX"},
            json={"downlinks": [{"f_port": 1, "frm_payload": "AQ=="}]},
            timeout=30,
        )
        assert push.status_code == 200, push.text
        served = httpx.get(f"http://127.0.0.1:{port}/_mock/report", timeout=30).json()
        process.send_signal(signal.SIGTERM)
        status = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert status == 0
    written = json.loads(json_report.read_text())
    assert written["summary"] == served["summary"]
    assert written["summary"]["operations_exercised"] >= 1
    assert junit.read_text().startswith("<?xml")


def test_a_report_file_of_an_unknown_kind_is_refused_before_serving(tmp_path: Path):
    done = subprocess.run(
        [sys.executable, "-m", "mockserver", "serve", "--port", "0", "--report", "run.txt"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 2
    assert "run.txt" in done.stderr and ".json" in done.stderr


def test_stop_ends_the_lifespan_and_closes_an_idle_connection() -> None:
    """`MockServer.stop()` wakes uvicorn at once and, with nothing open, skips uvicorn's
    pause for open connections: the lifespan still ends (on the server's thread), and a
    server holding an idle kept-alive connection takes uvicorn's own path and closes it."""
    import threading

    from mockserver.server import MockServer

    server = MockServer()
    ended_on: list[str] = []
    stop_clock = server.host.stop_clock

    def recording() -> None:
        ended_on.append(threading.current_thread().name)
        stop_clock()

    server.host.stop_clock = recording  # type: ignore[method-assign]
    server.start()
    server.stop()
    assert ended_on[0] == "mockserver"  # lifespan.shutdown, before host.close()

    held = MockServer()
    url = held.start()
    connection = http.client.HTTPConnection(url.removeprefix("http://"), timeout=30)
    try:
        connection.request("GET", "/_mock/health")
        answer = connection.getresponse()
        assert answer.status == 200
        answer.read()  # the connection is kept alive, idle
        assert connection.sock is not None
        held.stop()
        assert connection.sock.recv(65536) == b""  # closed by the server
    finally:
        connection.close()
