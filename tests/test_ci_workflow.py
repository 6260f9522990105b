"""The CI page's GitHub Actions workflows, run step by step as a runner would.

Every `run:` step of examples/{ci,node}/.github/workflows/mockserver.yml is executed verbatim
with bash, in a copy of the sample app, in a fresh venv per job; `actions/checkout` is the
copy, `actions/setup-python` the venv, `actions/setup-node` the machine's Node.js (the
Node.js job skips without one), `actions/upload-artifact` a check that what it uploads
exists. Nothing is substituted but the port (the server jobs get a free one instead of
8080): the wheel is built from this checkout by the README's own install line and put where
the workflow's `MOCKSERVER_PACKAGE` says an application keeps it.

What differs from a runner, in the environment only: each job's venv is a copy of one made
once per run (conftest's `python_with_pip`, instead of ensurepip per job), and pip installs
offline from the run's wheelhouse (conftest's `wheelhouse`: what the index resolved for the
wheel and the workflows' `pytest-xdist httpx`, fetched once per run), so that three jobs do
not wait on the index three times, and without compiling every installed module to bytecode
(install_lines.offline: Python compiles what a job imports).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import install_lines

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "ci"
NODE_SAMPLE = ROOT / "examples" / "node"
WORKFLOW_FILE = Path(".github") / "workflows" / "mockserver.yml"
WORKFLOW = SAMPLE / WORKFLOW_FILE
NODE_MAJOR = 20  # the workflow's node-version

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Runner:
    """One job on a fresh runner: its workspace, its Python, its environment."""

    def __init__(
        self, sample: Path, workspace: Path, env: dict[str, str], wheel: Path, python: Path
    ) -> None:
        self.sample = sample
        self.wheel = wheel
        self.python = python  # a venv with pip, copied by actions/setup-python
        self.workspace = workspace
        self.env = env
        self.sessions: list[int] = []
        self.summary = workspace.parent / "step-summary.md"
        self.env["GITHUB_STEP_SUMMARY"] = str(self.summary)

    def uses(self, step: dict[str, Any]) -> None:
        action = step["uses"].split("@")[0]
        if action == "actions/checkout":
            shutil.copytree(self.sample, self.workspace)
            # What the application commits: the wheel, under the name its workflow gives.
            kept = self.workspace / self.env["MOCKSERVER_PACKAGE"]
            assert kept.name == self.wheel.name, "the workflow names another wheel"
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(self.wheel, kept)
        elif action == "actions/setup-node":
            assert str(step["with"]["node-version"]) == str(NODE_MAJOR)
            if node_major() < NODE_MAJOR:
                pytest.skip(f"needs Node.js {NODE_MAJOR} or newer on PATH")
        elif action == "actions/setup-python":
            assert str(step["with"]["python-version"]) == f"{sys.version_info[0]}.11"
            python = install_lines.fresh_venv(self.python, self.workspace.parent / "python")
            self.env["PATH"] = f"{python / 'bin'}{os.pathsep}{self.env['PATH']}"
        elif action == "actions/upload-artifact":
            for path in str(step["with"]["path"]).split():
                assert (self.workspace / path).exists(), f"nothing to upload at {path}"
        else:
            raise AssertionError(f"the test does not know the action {action}")

    def run(self, step: dict[str, Any]) -> subprocess.CompletedProcess[str]:
        process = subprocess.Popen(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=self.workspace,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its background children can be stopped with it
        )
        self.sessions.append(process.pid)
        out, _ = process.communicate(timeout=600)
        return subprocess.CompletedProcess(step["run"], process.returncode, out)

    def stop_background(self) -> None:
        for session in self.sessions:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(session, signal.SIGTERM)


def node_major() -> int:
    """The major version of the machine's Node.js, 0 without one."""
    node = shutil.which("node")
    if node is None:
        return 0
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
    return int(version.stdout.strip().lstrip("v").split(".")[0] or 0)


class Machine:
    """What every job's runner gets from the run: the wheel, the wheelhouse pip installs
    from, and the venv actions/setup-python copies."""

    def __init__(self, wheel: Path, wheelhouse: Path, python: Path) -> None:
        self.wheel, self.wheelhouse, self.python = wheel, wheelhouse, python


@pytest.fixture
def machine(built_wheel: Path, wheelhouse: Path, python_with_pip: Path) -> Machine:
    return Machine(built_wheel, wheelhouse, python_with_pip)


def run_job(
    name: str, tmp_path: Path, machine: Machine, overrides: dict[str, str], sample: Path = SAMPLE
) -> Runner:
    workflow = yaml.safe_load((sample / WORKFLOW_FILE).read_text())
    job = workflow["jobs"][name]
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    env.update({**workflow.get("env", {}), **job.get("env", {})})
    env.update({"CI": "true", **install_lines.offline(machine.wheelhouse), **overrides})
    runner = Runner(sample, tmp_path / "workspace", env, machine.wheel, machine.python)
    failed = False
    try:
        for step in job["steps"]:
            if failed and step.get("if") != "always()":
                continue
            if "uses" in step:
                runner.uses(step)
                continue
            result = runner.run(step)
            assert result.returncode == 0 or failed, (
                f"step {step.get('name', step['run'])!r} failed:\n{result.stdout}"
            )
            failed = failed or result.returncode != 0
    finally:
        runner.stop_background()
    return runner


def test_the_fixture_job_runs_and_uploads_merged_reports(tmp_path: Path, machine: Machine):
    runner = run_job("fixture", tmp_path, machine, {})
    reports = runner.workspace / "reports"
    assert sorted(p.name for p in reports.iterdir()) == [
        "report.json",
        "report.md",
        "report.xml",
        "tests.xml",
    ]
    report = yaml.safe_load((reports / "report.json").read_text())  # JSON is YAML
    assert list(report["providers"]) == ["tts"]
    assert report["summary"]["operations_exercised"] == 2  # push and replace, both workers
    assert "# mockserver contract report" in runner.summary.read_text()


def test_the_server_job_runs_against_a_background_server(tmp_path: Path, machine: Machine):
    port = free_port()
    runner = run_job(
        "server",
        tmp_path,
        machine,
        {"MOCKSERVER_PORT": str(port), "MOCKSERVER_URL": f"http://127.0.0.1:{port}"},
    )
    reports = runner.workspace / "reports"
    assert (reports / "contract.xml").read_text().startswith("<?xml")
    assert 'tests="1"' in (reports / "tests.xml").read_text()  # the test ran, not skipped
    assert 'skipped="0"' in (reports / "tests.xml").read_text()
    assert "Operations exercised: **1 of" in runner.summary.read_text()
    assert "ready: http://127.0.0.1:" in (runner.workspace / "mockserver.log").read_text()


def test_the_node_job_runs_node_tests_against_a_background_server(tmp_path: Path, machine: Machine):
    port = free_port()
    runner = run_job(
        "node",
        tmp_path,
        machine,
        {"MOCKSERVER_PORT": str(port), "MOCKSERVER_URL": f"http://127.0.0.1:{port}"},
        sample=NODE_SAMPLE,
    )
    reports = runner.workspace / "reports"
    tests = (reports / "tests.xml").read_text()
    assert tests.count("<testcase ") == 2 and "<failure" not in tests
    contract = (reports / "contract.xml").read_text()
    assert "createLoraDownlink" in contract and "<failure" not in contract
    assert "Operations exercised: **3 of" in runner.summary.read_text()  # push, token, create


@pytest.mark.parametrize("sample", [SAMPLE, NODE_SAMPLE], ids=["python", "node"])
def test_the_ci_page_shows_the_workflow_that_is_tested(sample: Path):
    page = (ROOT / "docs" / "ci.md").read_text()
    assert (sample / WORKFLOW_FILE).read_text().strip() in page
