"""`start(on_first_connection=True)`, as the pytest fixture starts its server (issue 21):
the port is bound and listening at once, and uvicorn starts when the first connection
arrives; a session whose tests connect to nothing never imports it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from mockserver.server import MockServer
from tests.conftest import AUTH, WEBHOOK_DOWN

ROOT = Path(__file__).resolve().parent.parent


def test_the_first_connection_starts_the_server() -> None:
    server = MockServer()
    url = server.start(on_first_connection=True)
    try:
        assert server.url == url and url.startswith("http://127.0.0.1:")
        assert server._thread is None  # nothing served yet
        with httpx.Client(base_url=url, timeout=30) as client:
            assert client.get("/_mock/health").status_code == 200
            push = WEBHOOK_DOWN.format(device="dev1", op="push")
            one = {"downlinks": [{"f_port": 1, "frm_payload": "AQ=="}]}
            assert client.post(push, headers=AUTH, json=one).status_code == 200
        assert server._thread is not None and server._thread.is_alive()
        with server.client() as client:  # the admin API too, as from any client
            assert client.post("/_mock/reset").status_code == 200
    finally:
        server.stop()
    assert server.url is None


def test_a_connection_that_never_read_the_url_starts_it_too() -> None:
    """Whoever learned the port (the public URL in a body, another process) is served."""
    server = MockServer()
    server.start(on_first_connection=True)
    port = int(server.public_url.rsplit(":", 1)[1])
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
            connection.sendall(b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert connection.recv(100).startswith(b"HTTP/1.1 200")
    finally:
        server.stop()


def test_stopped_before_any_connection_the_port_is_closed() -> None:
    server = MockServer()
    url = server.start(on_first_connection=True)
    threads = threading.active_count()
    server.stop()
    assert threading.active_count() == threads - 1  # the port's waiting thread ended
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/_mock/health", timeout=5)
    server.start(on_first_connection=True)  # and it can be started again
    server.stop()


def test_it_is_started_once() -> None:
    server = MockServer()
    server.start(on_first_connection=True)
    try:
        with pytest.raises(RuntimeError, match="already started"):
            server.start()
        with server as same:  # `with` keeps a server started before
            assert same.url == server.url
            assert httpx.get(same.url + "/_mock/health", timeout=30).status_code == 200
    finally:
        server.stop()


def test_a_session_whose_tests_connect_to_nothing_imports_no_uvicorn(tmp_path: Path) -> None:
    (tmp_path / "test_quiet.py").write_text(
        "import sys\n"
        "def test_takes_the_fixture(mockserver):\n"
        "    assert mockserver.url.startswith('http://127.0.0.1:')\n"
        "    assert mockserver.network.get('app1.dev1')\n"
        "def test_after(mockserver):\n"
        "    assert 'uvicorn' not in sys.modules\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_quiet.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
