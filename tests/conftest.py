"""Shared test set-up: every exchange a test makes must leave our own responses in contract."""

from __future__ import annotations

import os
import pickle
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


@pytest.fixture(autouse=True, scope="session")
def _one_default_tls_context() -> Iterator[None]:
    """httpx makes a TLS context for every client, reading the whole CA bundle (about 20 ms of
    CPU), also for `httpx.get(...)` to http://127.0.0.1 where no TLS is spoken, and these tests
    make thousands of clients (and each webhook sender one). The default context (verify on,
    no client certificate, the same environment) is made once per process and shared, as
    httpx advises for many clients (`verify=<context>`); any other is made as before."""
    import httpx
    import httpx._transports.default as transports

    made: dict[tuple[object, ...], ssl.SSLContext] = {}
    create = httpx.create_ssl_context

    def shared(
        verify: ssl.SSLContext | str | bool = True, cert: Any = None, trust_env: bool = True
    ) -> ssl.SSLContext:
        if verify is not True or cert is not None:
            return create(verify=verify, cert=cert, trust_env=trust_env)
        env = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
        key = (trust_env, *(env if trust_env else ()))
        if key not in made:
            made[key] = create(verify=verify, cert=cert, trust_env=trust_env)
        return made[key]

    mp = pytest.MonkeyPatch()
    mp.setattr(httpx, "create_ssl_context", shared)
    mp.setattr(transports, "create_ssl_context", shared)
    yield
    mp.undo()


@pytest.fixture(autouse=True, scope="session")
def _bundled_worlds_parsed_once() -> Iterator[None]:
    """Every simulator on a bundled world (most tests make one) parses its YAML again: 2 ms
    of a 2.6 ms MockServer(). A bundled world file's parse is kept per process (by its
    modification time, size and the document limits in force) and each reader gets its own
    copy; any other file is read as before, and a file that fails to load is never kept."""
    import mockserver.providers.worlds as worlds
    from mockserver.safe_load import current_limits
    from mockserver.world import DEFAULT_WORLD

    bundled = DEFAULT_WORLD.parent.resolve()
    load = worlds._load_file
    kept: dict[tuple[object, ...], bytes] = {}

    def kept_load(path: str | Path, origin: str, **options: Any) -> Any:
        resolved = Path(path).resolve()
        if resolved.parent != bundled:
            return load(path, origin, **options)
        stat = resolved.stat()
        key = (resolved, origin, stat.st_mtime_ns, stat.st_size, current_limits(), *options.items())
        if key not in kept:
            kept[key] = pickle.dumps(load(path, origin, **options))
        return pickle.loads(kept[key])

    mp = pytest.MonkeyPatch()
    mp.setattr(worlds, "_load_file", kept_load)
    yield
    mp.undo()


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
