"""The layers docs/architecture.md draws are the layers import-linter holds (pyproject.toml),
and the simulator can be driven with no event loop, no thread and no shell."""

from __future__ import annotations

import re
import sys
import threading
import tomllib
from pathlib import Path

from mockserver.contract import HttpRequest
from mockserver.simulator import Simulator

ROOT = Path(__file__).resolve().parent.parent


def _contract_layers() -> list[list[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    (layers,) = [contract["layers"] for contract in contracts if contract["type"] == "layers"]
    return [
        [name.strip().removeprefix("mockserver.") for name in re.split(r"[:|]", layer)]
        for layer in layers
    ]


def _documented_layers() -> list[list[str]]:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = text.split("<!-- layers: begin -->")[1].split("<!-- layers: end -->")[0]
    rows = [line for line in block.strip().splitlines() if line.strip()]
    return [[name.strip() for name in row.split(".", 1)[1].split(",")] for row in rows]


def test_the_documented_layers_are_the_contracts_layers():
    assert _documented_layers() == _contract_layers()


def test_every_module_of_the_package_is_on_a_layer():
    placed = {name for layer in _contract_layers() for name in layer}
    package = ROOT / "mockserver"
    top = {
        path.stem if path.is_file() else path.name
        for path in package.iterdir()
        if (path.suffix == ".py" and path.stem not in ("__init__", "__main__"))
        or (path.is_dir() and (path / "__init__.py").exists())
    }
    assert top - placed == set(), "modules on no layer: add them to pyproject.toml and the doc"


def test_the_simulator_imports_no_shell_module():
    shell = ("starlette", "uvicorn", "httpx", "mockserver.asgi", "mockserver.server")
    code = (
        "import sys; import mockserver.simulator; "
        f"print([m for m in sys.modules if m.startswith({shell!r})])"
    )
    import subprocess

    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.strip()
    assert found == "[]"


def test_the_simulator_answers_with_no_event_loop_and_no_thread():
    threads = threading.active_count()
    simulator = Simulator()
    request = HttpRequest(
        "POST",
        "/api/v3/as/applications/app1/webhooks/wh1/devices/dev1/down/push",
        "",
        {"authorization": "Bearer NNSXS.XXXXXXXXX", "content-type": "application/json"},
        b'{"downlinks":[{"f_port":1,"frm_payload":"AQ=="}]}',
    )
    response = simulator.dispatch(request)
    assert response.status == 200, response.body
    assert len(simulator.network.get("app1.dev1").queue) == 1
    (entry,) = simulator.journal.entries()
    assert entry.response.status == 200 and entry.violations == ()
    assert threading.active_count() == threads  # no delivery thread, no loop started
