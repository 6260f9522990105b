"""Shared test set-up: every exchange a test makes must leave our own responses in contract."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import mockserver.admin
from mockserver.server import MockServer
from tests import admin_contract, install_lines
from tests.once_per_run import once_per_run

pytest_plugins = ["pytester"]


def _response_violations(server: MockServer) -> list[str]:
    """Our responses and our outbound messages (webhooks, integration POSTs) that broke
    their description."""
    return [
        f"{v.method} {v.path} -> {v.status}: {v.where}: {v.message} ({v.spec_location})"
        for v in server.contract.log.violations
        if v.direction in ("response", "outbound")
    ]


@pytest.fixture(autouse=True)
def _our_responses_honour_their_spec(request: pytest.FixtureRequest) -> Iterator[None]:
    """A response of ours that breaks its own spec is a bug: fail the test that produced it.

    The servers are resolved before the test so that they are torn down after this check.
    """
    servers = [
        request.getfixturevalue(name)
        for name in ("mockserver", "mockserver_inprocess", "server")
        if name in request.fixturenames
    ]
    yield
    for server in servers:
        if isinstance(server, MockServer):
            problems = _response_violations(server)
            assert not problems, "our responses broke their spec:\n" + "\n".join(problems)


@pytest.fixture(autouse=True, scope="session")
def _admin_exchanges_are_checked() -> Iterator[None]:
    """Every admin app built in this session checks its exchanges against the admin API's
    description (tests/admin_contract.py)."""
    build = mockserver.admin.build_admin_app
    mockserver.admin.build_admin_app = admin_contract.checked(build)
    yield
    mockserver.admin.build_admin_app = build


@pytest.fixture(autouse=True)
def _admin_responses_honour_their_description() -> Iterator[None]:
    admin_contract.FOUND.clear()
    yield
    found = list(admin_contract.FOUND)
    admin_contract.FOUND.clear()
    assert not found, "the admin API broke its description:\n" + "\n".join(found)


@pytest.fixture
def pytester(
    pytester: pytest.Pytester, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    """pytest's own `pytester`, whose runs block the plugins this session blocks
    (pyproject's `addopts`: `-p no:...`), as a user's project that never installed them would:
    loading them costs more than most of the runs themselves."""
    addopts = request.config.getini("addopts")
    blocked = [
        f"-p {addopts[i + 1]}"
        for i, opt in enumerate(addopts[:-1])
        if opt == "-p" and addopts[i + 1].startswith("no:")
    ]
    monkeypatch.setenv("PYTEST_ADDOPTS", " ".join(blocked))
    return pytester


@pytest.fixture
def server() -> MockServer:
    """A fresh in-process simulator on the default world, for tests that change its state."""
    return MockServer()


@pytest.fixture
def client(server: MockServer) -> Iterator:
    with server.client() as http:
        yield http


API_KEY = "NNSXS.XXXXXXXXX"
AUTH = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
WEBHOOK_DOWN = "/api/v3/as/applications/app1/webhooks/wh1/devices/{device}/down/{op}"


@pytest.fixture(scope="session")
def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel `pip install` would get, built by the README's own `pip wheel` line once
    per run."""
    return once_per_run(tmp_path_factory, "install", install_lines.build_wheel)


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory, built_wheel: Path) -> Path:
    """The built wheel and what the install tests add to it, with their dependencies, as pip
    resolves them from the index: fetched once per run, so that each fresh venv installs from
    here offline (install_lines.offline) instead of asking the index again."""
    return once_per_run(
        tmp_path_factory, "wheelhouse", lambda work: install_lines.wheelhouse(built_wheel, work)
    )


@pytest.fixture(scope="session")
def python_with_pip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with only pip in it, made once per run: each test that needs a fresh
    Python copies it (install_lines.fresh_venv) instead of running ensurepip again."""
    return once_per_run(tmp_path_factory, "python-with-pip", install_lines.venv_with_pip)
