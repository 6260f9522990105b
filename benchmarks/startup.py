"""Start-up: what a user waits for before anything is simulated (issue 21).

Wall time, best of `BENCH_STARTUP_RUNS` (default 5), each in a fresh interpreter:
`mockserver --version`, `mockserver --help`, `mockserver serve` from the command to the first
200 of /_mock/health, and a pytest run of one empty test with the plugin installed but
unused against the same run with `-p no:mockserver` (other installed plugins load in both).
`python -X importtime` says where the rest goes.

Run from the repository root: `python -m benchmarks.startup`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.cpu import free_port, wait_ready

RUNS = int(os.environ.get("BENCH_STARTUP_RUNS", "5"))


def best(command: list[str], cwd: str | None = None) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(command, cwd=cwd, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
    return min(times)


def serve_to_first_200() -> float:
    times = []
    for _ in range(RUNS):
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
        )
        try:
            wait_ready(f"http://127.0.0.1:{port}/_mock/health")
            times.append(time.perf_counter() - started)
        finally:
            process.terminate()
            process.wait()
    return min(times)


def plugin_cost() -> tuple[float, float]:
    """One empty test: with the plugin (installed, unused), and with `-p no:mockserver`."""
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "test_empty.py").write_text("def test_nothing():\n    pass\n")
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_empty.py"]
        with_plugin, without = [], []
        for _ in range(RUNS):  # interleaved, so that a busy neighbour weighs on both
            with_plugin.append(_once(command, folder))
            without.append(_once([*command, "-p", "no:mockserver"], folder))
    return min(with_plugin), min(without)


def _once(command: list[str], cwd: str) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, capture_output=True, check=False)
    return time.perf_counter() - started


def main() -> None:
    python = [sys.executable, "-m", "mockserver"]
    print(f"start-up, wall time, best of {RUNS}:")
    print(
        f"  python -c pass:                 {best([sys.executable, '-c', 'pass']) * 1000:6.0f} ms"
    )
    print(f"  mockserver --version:           {best([*python, '--version']) * 1000:6.0f} ms")
    print(f"  mockserver --help:              {best([*python, '--help']) * 1000:6.0f} ms")
    print(f"  mockserver serve to first 200:  {serve_to_first_200() * 1000:6.0f} ms")
    with_plugin, without = plugin_cost()
    print(
        f"  pytest, one empty test:         {with_plugin * 1000:6.0f} ms with the plugin, "
        f"{without * 1000:.0f} ms with -p no:mockserver ({(with_plugin - without) * 1000:+.0f} ms)"
    )


if __name__ == "__main__":
    main()
