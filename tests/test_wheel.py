"""The built wheel, installed into a fresh venv outside the repository, is the whole product:
command, `python -m`, pytest plugin entry point, bundled specs, and a server that answers.

The venv is a copy of one made once per run (conftest's `python_with_pip`), and pip installs
offline from the run's wheelhouse (conftest's `wheelhouse`: what the index resolved for the
wheel, fetched once) without compiling every module (install_lines.offline), through its
environment only: the README's line runs verbatim."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import httpx
import pytest

from tests import install_lines
from tests.once_per_run import once_per_run
from tests.serving import wait_until_ready

pytestmark = pytest.mark.slow


def outside() -> dict[str, str]:
    """This environment without PYTHONPATH, which may name a checkout: the venv's Python
    imports the installed wheel, not the checkout."""
    return {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**outside(), **(env or {})},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="session")
def installed(
    tmp_path_factory: pytest.TempPathFactory,
    built_wheel: Path,
    wheelhouse: Path,
    python_with_pip: Path,
) -> Path:
    """The wheel alone, installed once per run (its tests only read the venv; under xdist
    they share it instead of installing it on each worker)."""

    def install(work: Path) -> Path:
        env = install_lines.fresh_venv(python_with_pip, work / "venv")
        # The README's install line, verbatim, where its `dist/` holds the wheel.
        install_lines.run_line(
            install_lines.line_starting("python -m pip install"),
            built_wheel.parent.parent,
            env / "bin" / "python",
            install_lines.offline(wheelhouse),
        )
        return env

    return once_per_run(tmp_path_factory, "wheel-installed", install)


def test_the_command_and_python_m_work(installed: Path, tmp_path: Path):
    assert run(installed / "bin" / "mockserver", "--version", cwd=tmp_path).startswith(
        "mockserver "
    )
    assert run(installed / "bin" / "python", "-m", "mockserver", "--version", cwd=tmp_path)


def test_specs_and_entry_point_come_with_the_wheel(installed: Path, tmp_path: Path):
    out = run(
        installed / "bin" / "python",
        "-c",
        "import importlib.metadata as m;"
        "from mockserver.contract.documents import bundled_specs_dir;"
        "print(bundled_specs_dir());"
        "print([e.value for e in m.entry_points(group='pytest11') if e.name == 'mockserver'])",
        cwd=tmp_path,
    )
    specs_dir, entry_point = out.splitlines()
    assert "site-packages/mockserver/_bundled/specs" in specs_dir
    assert (Path(specs_dir) / "tts" / "openapi.yaml").is_file()
    assert (Path(specs_dir).parent / "scenarios" / "README.md").is_file()
    assert entry_point == "['mockserver.pytest_plugin']"


def test_the_python_api_is_typed_and_starts_a_server(installed: Path, tmp_path: Path):
    script = (
        "import pathlib, httpx, mockserver\n"
        "from mockserver import AdminClient, MockServer\n"
        "assert (pathlib.Path(mockserver.__file__).parent / 'py.typed').is_file()\n"
        "with MockServer() as server, AdminClient(server.url) as admin:\n"
        "    print(admin.health()['status'], len(admin.devices()) > 0)\n"
    )
    assert run(installed / "bin" / "python", "-c", script, cwd=tmp_path).split() == ["ok", "True"]


def test_the_installed_server_answers(installed: Path, tmp_path: Path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [installed / "bin" / "mockserver", "serve", "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=outside(),
    )
    try:
        wait_until_ready(process)
        response = httpx.post(
            f"http://127.0.0.1:{port}/api/v3/as/applications/app1/webhooks/wh1/devices/dev1"
            "/down/replace",
            headers={"Authorization": "Bearer NNSXS.XXXXXXXXX"},
            json={"downlinks": []},
        )
        assert response.status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_installed_plugin_gives_fixtures(installed: Path, tmp_path: Path, wheelhouse: Path):
    """pytest goes into a copy of the venv: the others see the wheel alone."""
    python = install_lines.fresh_venv(installed, tmp_path / "venv") / "bin" / "python"
    pip = install_lines.offline(wheelhouse)
    run(python, "-m", "pip", "install", "-q", "pytest", cwd=tmp_path, env=pip)
    (tmp_path / "test_user.py").write_text(
        "def test_fixture(mockserver):\n    assert mockserver.url.startswith('http://127.0.0.1:')\n"
    )
    out = run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=tmp_path)
    assert "1 passed" in out


def test_the_distribution_has_its_own_name(installed: Path, tmp_path: Path):
    """`mockserver` is the import name only: the distribution's name is free on PyPI and
    is not that of MockServer's client (`mockserver-client`), which installs `mockserver` too."""
    out = run(
        installed / "bin" / "python",
        "-c",
        "import importlib.metadata as m;"
        "print(m.packages_distributions()['mockserver']);"
        "print(m.distribution('iot-downlink-simulator').entry_points.select(group='console_scripts')['mockserver'].value)",
        cwd=tmp_path,
    )
    assert out.splitlines() == ["['iot-downlink-simulator']", "mockserver.cli:main"]
