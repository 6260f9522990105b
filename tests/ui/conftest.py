"""Dashboard tests: a simulator served over a real socket (the live feed is a long response,
which an in-process client would wait on forever) and a reader of its server-sent events."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from mockserver.server import MockServer


@pytest.fixture
def server() -> Iterator[MockServer]:
    """The default world on a free port (named `server`, so the contract check applies)."""
    served = MockServer()
    served.start()
    yield served
    served.stop()


class Feed:
    """The dashboard's stream as a test reads it: one (event, data) at a time."""

    def __init__(self, url: str, tenant: str | None = None, timeout: float = 10) -> None:
        params = {"tenant": tenant} if tenant else {}
        self._client = httpx.Client(timeout=timeout)
        self._context = self._client.stream("GET", f"{url}/_mock/ui/stream", params=params)
        self.response = self._context.__enter__()
        self._lines = self.response.iter_lines()

    def next(self) -> tuple[str, dict[str, Any]]:
        """The next event; EOFError when the server ended the stream."""
        kind, data = "", {}
        for line in self._lines:
            if line.startswith("event: "):
                kind = line.removeprefix("event: ")
            elif line.startswith("data: "):
                data = json.loads(line.removeprefix("data: "))
            elif not line and kind:
                return kind, data
        raise EOFError("the stream ended")

    def until(self, wanted: Callable[[str, dict[str, Any]], bool]) -> dict[str, Any]:
        while True:
            kind, data = self.next()
            if wanted(kind, data):
                return data

    def close(self) -> None:
        self._context.__exit__(None, None, None)
        self._client.close()


@pytest.fixture
def feed(server: MockServer) -> Iterator[Callable[..., Feed]]:
    opened: list[Feed] = []

    def open_feed(tenant: str | None = None) -> Feed:
        assert server.url is not None
        opened.append(Feed(server.url, tenant))
        return opened[-1]

    yield open_feed
    for each in opened:
        each.close()


def until(condition: Callable[[], bool], timeout: float = 10) -> None:
    """Wait for something another thread does (a stream's clean-up), failing at `timeout`."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.01)
