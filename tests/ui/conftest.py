"""Dashboard tests: a simulator served over a real socket (the live feed is a long response,
which an in-process client would wait on forever) and a reader of its server-sent events."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from mockserver.server import MockServer

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI runs the browser tests: {reason}")
    pytest.skip(reason)


def chromium_path() -> str | None:
    candidates = [os.environ.get("MOCKSERVER_CHROMIUM"), "chromium", "chromium-browser"]
    return next((found for c in candidates if c and (found := shutil.which(c))), None)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium per test process (each xdist worker), for every browser test
    module: a launch costs about 0.7 s of CPU, and five modules launched one each. Every
    test still gets a browser context of its own (its own cookies, storage and pages)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("no Playwright (pip install -e '.[test]')")
    executable = chromium_path()
    if executable is None:
        _unavailable("no Chromium found (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


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
