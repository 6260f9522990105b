"""The live feed over a real socket: events in order, and an end whichever side stops."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import httpx
import pytest

from mockserver.ui import stream
from tests.conftest import AUTH, WEBHOOK_DOWN
from tests.serving import wait_until_ready
from tests.ui.conftest import Feed, until

PUSH = WEBHOOK_DOWN.format(device="dev1", op="push")
ONE = {"downlinks": [{"f_port": 2, "frm_payload": "AQ=="}]}


def test_the_feed_starts_with_a_snapshot_and_sends_what_changed(server, feed, client):
    live = feed()
    assert live.response.headers["content-type"].startswith("text/event-stream")
    kind, snapshot = live.next()
    assert kind == "snapshot"
    assert "app1.dev1" in {row["id"] for row in snapshot["devices"]}
    client.post(PUSH, headers=AUTH, json=ONE)
    update = live.until(lambda kind, data: "journal" in data)
    assert [row["queued"] for row in update["devices"] if row["id"] == "app1.dev1"] == [1]


def test_a_feed_for_an_unknown_tenant_is_a_json_404(server, client):
    answer = client.get("/_mock/ui/stream", params={"tenant": "nobody"})
    assert answer.status_code == 404
    assert answer.json() == {"error": "no tenant 'nobody'"}


def test_a_dropped_tenant_ends_its_feed(server, feed, client):
    client.get("/_mock/health", headers={"X-Mockserver-Tenant": "t1"})
    live = feed("t1")
    assert live.next()[1]["tenant"] == "t1"
    client.delete("/_mock/tenants/t1")
    assert live.until(lambda kind, data: kind == "gone") == {"tenant": "t1"}
    with pytest.raises(EOFError):
        live.next()


def test_the_feed_ends_when_the_page_goes_away(server, feed):
    listeners = len(server.network._routing[0])
    live = feed()
    live.next()
    assert len(server.network._routing[0]) == listeners + 1  # the feed listens to events
    live.close()
    until(lambda: not stream._open)
    assert len(server.network._routing[0]) == listeners  # and stops when the page leaves


def test_stopping_the_server_ends_an_open_feed(server, feed):
    live = feed()
    live.next()
    thread = server._thread
    server.stop()
    assert thread is not None and not thread.is_alive()  # stop() waits 10 s at most
    with pytest.raises(EOFError):
        live.until(lambda kind, data: False)


@pytest.mark.slow
def test_mockserver_serve_stops_on_ctrl_c_with_a_dashboard_open(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "serve", "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        wait_until_ready(process)
        live = Feed(f"http://127.0.0.1:{port}")
        assert live.next()[0] == "snapshot"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0  # uvicorn alone would wait for the stream
        with pytest.raises((EOFError, httpx.HTTPError)):
            live.until(lambda kind, data: False)
        live.close()
    finally:
        process.kill()
        process.wait()
