"""Start-up: what a user waits for before anything is simulated (issue 21).

Wall time and CPU time (user + system, which a busy neighbour disturbs less), each the best
of `BENCH_STARTUP_RUNS` (default 5), each run in a fresh interpreter:
`mockserver --version`, `mockserver --help`, `mockserver serve` from the command to the first
200 of /_mock/health, and a pytest run of one empty test with the plugin installed but
unused against the same run with `-p no:mockserver` (other installed plugins load in both).
`python -X importtime` says where the rest goes.

**Bytecode.** An installed package has its `.pyc` files (pip compiles them at install, a
checkout writes `__pycache__` on first run), so each command runs as a user's would: with a
bytecode cache (in a temporary `PYTHONPYCACHEPREFIX`, warmed by one run first), even where
the environment sets `PYTHONDONTWRITEBYTECODE` (these machines do: without a cache every run
compiles the package's 140 modules, about 0.18 s of CPU). `BENCH_BYTECODE=cold` measures
without one, as the figures before this note were taken.

**The probe.** `serve` is polled by a plain `http.client` GET (a refused connection costs
microseconds), not by an httpx client per attempt, which spent CPU next to the server it was
timing on this 2-core machine.

Run from the repository root: `python -m benchmarks.startup`.
"""

from __future__ import annotations

import atexit
import http.client
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.cpu import cpu_seconds, free_port

RUNS = int(os.environ.get("BENCH_STARTUP_RUNS", "5"))
COLD = os.environ.get("BENCH_BYTECODE", "warm") == "cold"


def child_environment() -> dict[str, str]:
    """The environment each measured command runs in: a bytecode cache, as a user has one
    (see the module's docstring), unless BENCH_BYTECODE=cold."""
    environment = dict(os.environ)
    if COLD:
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        return environment
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    environment["PYTHONPYCACHEPREFIX"] = _cache_folder()
    return environment


_CACHE: list[str] = []


def _cache_folder() -> str:
    if not _CACHE:
        folder = tempfile.mkdtemp(prefix="mockserver-bench-pyc-")
        atexit.register(shutil.rmtree, folder, True)
        _CACHE.append(folder)
    return _CACHE[0]


def wait_for_200(port: int, timeout: float = 60) -> None:
    """Until /_mock/health answers 200, as cheaply for this process as it can be asked."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", "/_mock/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.002)
        finally:
            connection.close()
    raise RuntimeError(f"port {port} did not answer within {timeout}s")


Timing = tuple[float, float]  # wall seconds, CPU seconds


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _once(command: list[str], cwd: str | None = None) -> Timing:
    cpu = _children_cpu()
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, capture_output=True, check=False, env=child_environment())
    return time.perf_counter() - started, _children_cpu() - cpu


def _best(timings: list[Timing]) -> Timing:
    return min(wall for wall, _ in timings), min(cpu for _, cpu in timings)


def best(command: list[str]) -> Timing:
    _once(command)  # warms the bytecode cache
    return _best([_once(command) for _ in range(RUNS)])


def serve_to_first_200() -> Timing:
    """From the command to the first 200 of /_mock/health; CPU: the server's until then."""
    timings = []
    for run in range(RUNS + 1):  # the first warms the bytecode cache, and is not counted
        port = free_port()
        started = time.perf_counter()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mockserver",
                "serve",
                "--port",
                str(port),
                "--log-level",
                "off",
            ],
            stdout=subprocess.DEVNULL,
            env=child_environment(),
        )
        try:
            wait_for_200(port)
            if run:
                timings.append((time.perf_counter() - started, cpu_seconds(process.pid)))
        finally:
            process.terminate()
            process.wait()
    global SERVE_MEDIAN
    SERVE_MEDIAN = (
        statistics.median(w for w, _ in timings),
        statistics.median(c for _, c in timings),
    )
    return _best(timings)


#: The median of the last `serve_to_first_200` runs (the issue's row is read as a median).
SERVE_MEDIAN: Timing = (0.0, 0.0)


def plugin_cost() -> tuple[Timing, Timing]:
    """One empty test: with the plugin (installed, unused), and with `-p no:mockserver`."""
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "test_empty.py").write_text("def test_nothing():\n    pass\n")
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_empty.py"]
        with_plugin, without = [], []
        _once(command, folder)  # warms the bytecode cache
        for _ in range(RUNS):  # interleaved, so that a busy neighbour weighs on both
            with_plugin.append(_once(command, folder))
            without.append(_once([*command, "-p", "no:mockserver"], folder))
    return _best(with_plugin), _best(without)


def _shown(timing: Timing) -> str:
    return f"{timing[0] * 1000:6.0f} ms wall {timing[1] * 1000:6.0f} ms CPU"


def main() -> dict[str, Timing]:
    """Prints the figures; returns them by name (`version`, `help`, `serve` as the median,
    `plugin` and `no_plugin`) for `benchmarks.run`'s table of targets."""
    python = [sys.executable, "-m", "mockserver"]
    cache = "no bytecode cache" if COLD else "bytecode cache warm"
    version, help_ = best([*python, "--version"]), best([*python, "--help"])
    print(f"start-up, best of {RUNS} ({cache}):")
    print(f"  python -c pass:                 {_shown(best([sys.executable, '-c', 'pass']))}")
    print(f"  mockserver --version:           {_shown(version)}")
    print(f"  mockserver --help:              {_shown(help_)}")
    print(f"  mockserver serve to first 200:  {_shown(serve_to_first_200())}")
    print(f"                          median: {_shown(SERVE_MEDIAN)}")
    with_plugin, without = plugin_cost()
    print(f"  pytest, one empty test:         {_shown(with_plugin)} with the plugin")
    print(
        f"                                  {_shown(without)} with -p no:mockserver "
        f"({(with_plugin[0] - without[0]) * 1000:+.0f} ms wall, "
        f"{(with_plugin[1] - without[1]) * 1000:+.0f} ms CPU)"
    )
    return {
        "version": version,
        "help": help_,
        "serve": SERVE_MEDIAN,
        "plugin": with_plugin,
        "no_plugin": without,
    }


if __name__ == "__main__":
    main()
