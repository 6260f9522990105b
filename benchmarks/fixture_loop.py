"""The test loop a user waits for (issue 21): 300 tests that each take only a fixture.

A generated test file of TESTS tests, each taking one fixture and doing nothing else, run by
pytest in a fresh interpreter; the figure is pytest's own session time (the "in X s" of its
closing line: collection, the session fixture's set-up and each test's set-up and teardown,
without the interpreter's and the plugins' start-up, which every run pays alike) and the
process's CPU time. Four files, run interleaved ROUNDS times (a busy neighbour weighs on
each), best of each kept:

- `none`: the tests take no fixture (what pytest itself costs for TESTS tests);
- `mockserver`: the served fixture (a simulator on a port, reset before each test);
- `mockserver_inprocess`: the same without a socket;
- `httpserver`: pytest-httpserver's fixture (a werkzeug server on a port, cleared after
  each test), when it is installed; otherwise a session fixture around a bare threaded
  `http.server`, reset as cheaply (nothing to reset).

Each run has a bytecode cache, as an installed package has (`benchmarks.startup`'s
`child_environment`; `BENCH_BYTECODE=cold` for none), warmed by one uncounted round.

Run from the repository root: `python -m benchmarks.fixture_loop` (BENCH_FIXTURE_TESTS,
BENCH_FIXTURE_ROUNDS change the sizes). The other installed plugins that the project's own
tests block (pyproject `addopts`) are blocked here too, for every file alike.
"""

from __future__ import annotations

import importlib.util
import os
import re
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.startup import child_environment

TESTS = int(os.environ.get("BENCH_FIXTURE_TESTS", "300"))
ROUNDS = int(os.environ.get("BENCH_FIXTURE_ROUNDS", "5"))
BLOCKED = ("schemathesis", "faker", "hypothesispytest", "anyio")

#: A session fixture around the standard library's threaded server: what "a bare HTTP
#: server per session" costs, for when pytest-httpserver is not installed.
BARE_SERVER = """
import http.server, threading
import pytest

@pytest.fixture(scope="session")
def httpserver():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
"""


def _test_file(fixture: str | None) -> str:
    argument = fixture or ""
    body = f"    assert {fixture}\n" if fixture else "    pass\n"
    return "".join(f"def test_{n}({argument}):\n{body}\n" for n in range(TESTS))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(folder: Path, name: str) -> tuple[float, float]:
    """pytest's session seconds and the process's CPU seconds for one file."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        f"test_with_{name}.py",
    ]
    for plugin in BLOCKED:
        command += ["-p", f"no:{plugin}"]
    cpu = _children_cpu()
    result = subprocess.run(
        command, cwd=folder, capture_output=True, text=True, check=False, env=child_environment()
    )
    spent = _children_cpu() - cpu
    found = re.search(rf"{TESTS} passed.* in ([0-9.]+)s", result.stdout)
    if result.returncode != 0 or found is None:
        raise RuntimeError(f"{name}: {result.stdout[-2000:]}{result.stderr[-2000:]}")
    return float(found.group(1)), spent


def main() -> dict[str, float]:
    """Prints the figures; returns each file's best session time (s) by fixture name."""
    has_httpserver = importlib.util.find_spec("pytest_httpserver") is not None
    files = {
        "none": None,
        "mockserver": "mockserver",
        "mockserver_inprocess": "mockserver_inprocess",
        "httpserver": "httpserver",
    }
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        for name, fixture in files.items():
            (folder / f"test_with_{name}.py").write_text(_test_file(fixture))
        if not has_httpserver:
            (folder / "conftest.py").write_text(BARE_SERVER)
        timings: dict[str, list[tuple[float, float]]] = {name: [] for name in files}
        for name in files:  # warms the bytecode cache
            _run(folder, name)
        for _ in range(ROUNDS):
            for name in files:
                timings[name].append(_run(folder, name))
    other = "pytest-httpserver" if has_httpserver else "bare http.server (no pytest-httpserver)"
    print(f"{TESTS} tests taking one fixture, pytest session time, best of {ROUNDS}:")
    for name, runs in timings.items():
        session = min(seconds for seconds, _ in runs)
        cpu = min(spent for _, spent in runs)
        label = f"{name} ({other})" if name == "httpserver" else name
        print(f"  {label:<55} {session:6.2f} s session {cpu:6.2f} s process CPU")
    return {name: min(seconds for seconds, _ in runs) for name, runs in timings.items()}


if __name__ == "__main__":
    main()
