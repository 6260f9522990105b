"""What start-up imports (issue 21): the pytest plugin, `mockserver --version` and `--help`
load no server, uvicorn, starlette, httpx or PyYAML until something needs them.

Each check runs in a fresh interpreter and reads its `sys.modules`; none measures a time
(the figures are in benchmarks/README.md, "Start-up").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import mockserver

ROOT = Path(__file__).resolve().parent.parent
#: What a command or a session that never takes a fixture must not import.
HEAVY = (
    "mockserver.server",
    "mockserver.simulator",
    "mockserver.contract",
    "mockserver.admin",
    "uvicorn",
    "starlette",
    "httpx",
    "yaml",
)

_REPORT = "import json, sys; print(json.dumps(sorted(sys.modules)), file=sys.__stderr__)"


def loaded_after(code: str, *, cwd: Path = ROOT, autoload: bool = True) -> list[str]:
    """The heavy modules present once `code` has run in a fresh interpreter."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    if not autoload:  # other installed plugins (faker, hypothesis) import what they like
        environment["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    result = subprocess.run(
        [sys.executable, "-c", f"{code}\n{_REPORT}"],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    found: list[str] = json.loads(result.stderr.strip().splitlines()[-1])
    return [name for name in found if any(name == h or name.startswith(h + ".") for h in HEAVY)]


def test_the_plugin_imports_no_server() -> None:
    assert loaded_after("import mockserver.pytest_plugin") == []


def test_a_session_without_fixtures_imports_no_server(tmp_path: Path) -> None:
    (tmp_path / "test_empty.py").write_text("def test_nothing():\n    pass\n")
    code = (
        "import pytest, sys\n"
        "code = pytest.main(['-q', '-p', 'no:cacheprovider', '-p', 'mockserver.pytest_plugin',"
        " 'test_empty.py'])\n"
        "assert code == 0, code\n"
        "assert 'mockserver.pytest_plugin' in sys.modules\n"
    )
    assert loaded_after(code, cwd=tmp_path, autoload=False) == []


@pytest.mark.parametrize("option", ["--version", "--help"])
def test_version_and_help_import_no_server(option: str) -> None:
    code = (
        "import contextlib, io\n"
        "from mockserver.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        f"    main([{option!r}])\n"
    )
    assert loaded_after(code) == []


def test_serve_help_imports_no_server() -> None:
    code = (
        "import contextlib, io\n"
        "from mockserver.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['serve', '--help'])\n"
    )
    assert loaded_after(code) == []


def test_the_package_imports_its_classes_on_first_use() -> None:
    assert loaded_after("import mockserver") == []
    assert loaded_after("from mockserver import MockServer") != []


def test_the_admin_client_imports_no_server() -> None:
    """A client of a server started elsewhere needs httpx, not the simulator."""
    found = loaded_after("from mockserver import AdminClient")
    assert [name for name in found if name.startswith("mockserver")] == []


def test_the_lazy_names_are_the_classes() -> None:
    from mockserver.admin_client import AdminClient
    from mockserver.server import MockServer

    assert mockserver.MockServer is MockServer
    assert mockserver.AdminClient is AdminClient
    with pytest.raises(AttributeError):
        mockserver.NoSuchThing  # noqa: B018


def test_the_defaults_are_those_the_modules_apply() -> None:
    """The command's help shows the values the server uses: one source, re-exported."""
    from mockserver import connections, defaults, journal, safe_load, server, tenants
    from mockserver.admin import guard

    assert (server.DEFAULT_HOST, server.DEFAULT_PORT) == ("127.0.0.1", 8080)
    assert guard.TOKEN_HEADER is defaults.TOKEN_HEADER
    assert tenants.MAX_TENANTS == defaults.MAX_TENANTS
    assert journal.DEFAULT_BYTE_BUDGET == defaults.DEFAULT_BYTE_BUDGET
    assert safe_load.DEFAULT_LIMITS.max_bytes == defaults.DOCUMENT_MAX_BYTES
    assert connections.ServingLimits().graceful_timeout == defaults.GRACEFUL_TIMEOUT


def test_a_world_without_uplinks_draws_no_gateways() -> None:
    """The radio's gateways (and faker) wait for the first uplink that needs them."""
    code = (
        "import sys\n"
        "from mockserver.server import MockServer\n"
        "server = MockServer()\n"
        "server.reset()\n"
        "assert 'faker' not in sys.modules, 'faker imported by a world build'\n"
        "assert server.world.radio.gateways\n"
        "assert 'faker' in sys.modules\n"
    )
    loaded_after(code)


def test_a_served_server_answers_its_first_request_without_httpx() -> None:
    """httpx (and, with its command-line extra, rich and pygments) waits for a client or the
    first outbound message: `serve` does not pay for it before its first answer."""
    code = (
        "import sys, urllib.request\n"
        "from mockserver.server import MockServer\n"
        "server = MockServer()\n"
        "url = server.start()\n"
        "assert urllib.request.urlopen(url + '/_mock/health').status == 200\n"
        "assert 'httpx' not in sys.modules, 'httpx imported before the first answer'\n"
        "server.client().close()\n"
        "assert 'httpx' in sys.modules\n"
        "server.stop()\n"
    )
    loaded_after(code)


def test_the_in_process_server_imports_no_uvicorn() -> None:
    """uvicorn (with click and its protocols) waits for `start` or `serve`: the in-process
    fixture, which serves on no socket, never imports it; the dashboard's stream module and
    the connection bounds are imported without it."""
    code = (
        "import sys\n"
        "from mockserver.server import MockServer\n"
        "import mockserver.ui.stream, mockserver.connections\n"
        "server = MockServer()\n"
        "server.reset()\n"
        "assert server.dispatch is not None\n"
        "found = [m for m in sys.modules if m == 'uvicorn' or m.startswith('uvicorn.')]\n"
        "assert found == [], found\n"
        "url = server.start()\n"
        "assert 'uvicorn' in sys.modules\n"
        "server.stop()\n"
    )
    loaded_after(code)


def test_a_server_on_the_bundled_world_imports_no_jsonschema() -> None:
    """jsonschema (with referencing and attrs, a tenth of importing the server) waits for
    what needs it: a user's world file, a scenario, a device added at run time. Each of
    those is still checked."""
    code = (
        "import sys\n"
        "from mockserver.server import MockServer\n"
        "from mockserver.world import WorldError\n"
        "server = MockServer()\n"
        "server.reset()\n"
        "assert 'jsonschema' not in sys.modules, 'jsonschema imported by a default start'\n"
        "try:\n"
        "    server.reset({'seed': 'x'})\n"
        "except WorldError as error:\n"
        "    assert 'seed' in str(error)\n"
        "else:\n"
        "    raise AssertionError('a bad world was accepted')\n"
        "assert 'jsonschema' in sys.modules\n"
    )
    loaded_after(code)


@pytest.mark.parametrize(
    "use",
    [
        "server.load_scenario({'name': 'x', 'rules': [{'match': {'nope': 1}}]})",
        "server.providers['kpn'].create_device({'uuid': 5})",
        "server.providers['tts'].create_device({'application_id': 'app1', 'id': 5})",
        "server.providers['ttnv2'].create_device({'application_id': 'app1', 'id': 5})",
        "server.providers['thingpark'].create_device({'dev_eui': 5})",
    ],
)
def test_what_needs_jsonschema_imports_it_and_still_refuses(use: str) -> None:
    code = (
        "import sys\n"
        "from mockserver.server import MockServer\n"
        "server = MockServer()\n"
        "assert 'jsonschema' not in sys.modules\n"
        "try:\n"
        f"    {use}\n"
        "except ValueError:\n"
        "    pass\n"
        "else:\n"
        "    raise AssertionError('refused nothing')\n"
        "assert 'jsonschema' in sys.modules\n"
    )
    loaded_after(code)


def test_cryptography_waits_for_a_kpn_token_or_a_class_b_slot() -> None:
    """KPN's Ed25519 key and class B's AES are made on first use: a server whose tests call
    neither never imports cryptography; a token issued and checked, and a ping slot, do."""
    code = (
        "import sys\n"
        "from mockserver.server import MockServer\n"
        "from mockserver.lorawan.class_b import ping_offset\n"
        "server = MockServer()\n"
        "server.reset()\n"
        "found = [m for m in sys.modules if m.startswith('cryptography')]\n"
        "assert found == [], found\n"
        "assert 0 <= ping_offset(1000, 0x01020304, 32) < 32\n"
        "assert 'cryptography' in sys.modules\n"
        "tokens = server.providers['kpn'].tokens\n"
        "key = next(iter(tokens.keys.values()))\n"
        "token = tokens.issue(key, 0, 3600)\n"
        "assert tokens._check_signature(token).client_id == key.client_id\n"
    )
    loaded_after(code)


def test_the_admin_app_and_starlette_wait_for_the_first_admin_request() -> None:
    """The admin API (a Starlette app) is built at its first request: a fixture session
    whose tests talk only to the vendors' APIs never imports Starlette; `/_mock` still
    answers, the home's and a tenant's alike."""
    code = (
        "import sys, urllib.request\n"
        "from mockserver.server import MockServer\n"
        "server = MockServer()\n"
        "url = server.start()\n"
        "server.reset()\n"
        "api = urllib.request.Request(url + '/api/v3/as/applications/app1/devices')\n"
        "try:\n"
        "    urllib.request.urlopen(api)\n"
        "except urllib.error.HTTPError as error:\n"
        "    assert error.code in (401, 404), error.code\n"
        "heavy = ('starlette', 'mockserver.admin.routes')\n"
        "found = [m for m in sys.modules if m.startswith(heavy)]\n"
        "assert found == [], found\n"
        "assert urllib.request.urlopen(url + '/_mock/health').status == 200\n"
        "assert 'starlette' in sys.modules\n"
        "tenant = {'X-Mockserver-Tenant': 't1'}\n"
        "tenant = urllib.request.Request(url + '/_mock/health', headers=tenant)\n"
        "assert urllib.request.urlopen(tenant).status == 200\n"
        "server.stop()\n"
    )
    loaded_after(code)
