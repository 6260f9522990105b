"""pytest fixtures: a running simulator per session, reset cheaply before each test.

- `mockserver`: served on a free port of 127.0.0.1; hand `mockserver.url` to the code under
  test. Its clock is virtual: move it with `mockserver.clock.advance(seconds)`.
- `mockserver_inprocess`: the same without a socket; `mockserver_inprocess.client()` returns
  an httpx client that calls the app directly.

Both are `MockServer` objects: `.network` holds the devices and queues, `.providers["tts"]`
the TTS applications and keys, `.journal` the exchanges, `.contract.log` the findings.
Choose another world with `--mockserver-world=FILE` or the `mockserver_world` ini option.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mockserver.server import MockServer


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockserver")
    group.addoption("--mockserver-world", default=None, help="world file for the fixtures")
    parser.addini("mockserver_world", "world file for the mockserver fixtures", default="")


def _world(config: pytest.Config) -> str | None:
    return config.getoption("mockserver_world") or config.getini("mockserver_world") or None


@pytest.fixture(scope="session")
def mockserver_session(request: pytest.FixtureRequest) -> Iterator[MockServer]:
    server = MockServer(_world(request.config))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mockserver(mockserver_session: MockServer) -> MockServer:
    mockserver_session.reset()
    return mockserver_session


@pytest.fixture(scope="session")
def mockserver_inprocess_session(request: pytest.FixtureRequest) -> MockServer:
    return MockServer(_world(request.config))


@pytest.fixture
def mockserver_inprocess(mockserver_inprocess_session: MockServer) -> MockServer:
    mockserver_inprocess_session.reset()
    return mockserver_inprocess_session
