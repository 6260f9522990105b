"""Receivers for the delivery tests and benchmark: a live one (optionally slow or held),
ports where nothing answers (closed, or listening without ever accepting), and the world
whose webhook sends to them."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEY = "NNSXS.XXXXXXXXX"
#: How often a receiver's loop looks for `shutdown()`: at the standard library's 0.5 s, each
#: test that stopped a receiver waited up to half a second for it in its teardown.
POLL_INTERVAL = 0.02


def serve_in_background(http: socketserver.BaseServer) -> None:
    """`http.serve_forever()` on a daemon thread, stopped by `http.shutdown()` within
    POLL_INTERVAL."""
    threading.Thread(
        target=http.serve_forever, kwargs={"poll_interval": POLL_INTERVAL}, daemon=True
    ).start()


def tts_world(base_url: str) -> dict:
    """A TTS world whose one webhook (`wh1` of `app1`) sends `downlink_queued` to
    `base_url`/queued: each push to `dev1` is one message to deliver."""
    return {
        "seed": 7,
        "tts": {
            "api_keys": [{"key": KEY, "application": "app1", "placeholder": True}],
            "applications": [
                {
                    "id": "app1",
                    "webhooks": [
                        {
                            "id": "wh1",
                            "base_url": base_url,
                            "downlink_queued": {"path": "/queued"},
                        }
                    ],
                    "devices": [{"id": "dev1", "class": "A", "session": {"dev_addr": "260B0001"}}],
                }
            ],
        },
    }


class Receiver:
    """An application on a real port built on Python's http.server, with its default
    listen backlog (5) unless told otherwise: records each POST's path and body."""

    def __init__(self, delay: float = 0.0, backlog: int | None = None) -> None:
        self.received: list[tuple[str, bytes]] = []
        #: Cleared: every request waits until it is set again.
        self.open = threading.Event()
        self.open.set()
        received, gate = self.received, self.open
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                gate.wait(30)
                if delay:
                    time.sleep(delay)
                with lock:
                    received.append((self.path, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = backlog or ThreadingHTTPServer.request_queue_size

        self.http = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        serve_in_background(self.http)

    def close(self) -> None:
        self.open.set()
        self.http.shutdown()
        self.http.server_close()


def closed_port() -> str:
    """The URL of a local port where nothing listens (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class Silent:
    """A port that listens and never accepts: a connection may open, no answer ever comes."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self) -> None:
        self.sock.close()
