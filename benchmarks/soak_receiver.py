"""The soak's webhook receiver: it answers, refuses, and is down, in turn.

Phases of `phase_seconds` each: "answer" (200), "refuse" (503), "down" (the port is closed,
so connections are refused). What a flaky application server does to the simulator's
delivery, on a loop.
"""

from __future__ import annotations

import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PHASES = ("answer", "refuse", "down")


class FlappingReceiver:
    def __init__(self, port: int, phase_seconds: float = 5.0) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.phase_seconds = phase_seconds
        self.phase = PHASES[0]
        self.counts: Counter[str] = Counter()
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread = threading.Thread(target=self._flap, daemon=True)

    def start(self) -> None:
        self._listen()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._close()

    def summary(self) -> dict[str, int]:
        return dict(self.counts)

    def _flap(self) -> None:
        index = 0
        while not self._stop.wait(self.phase_seconds):
            index = (index + 1) % len(PHASES)
            self.phase = PHASES[index]
            if self.phase == "down":
                self._close()
            elif self._server is None:
                self._listen()

    def _listen(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                status = 200 if receiver.phase == "answer" else 503
                receiver.counts[f"{status}"] += 1
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._server = server

    def _close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
