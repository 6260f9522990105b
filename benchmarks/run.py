"""`make bench`: our server against a raw Starlette app, and where users wait, in one run.

1. `benchmarks.cpu`: CPU time per request, ours and raw Starlette side by side, each pinned
   to one core with the load generator on another, in interleaved windows (the table the
   issue's targets are read from; benchmarks/README.md says how).
2. `benchmarks.startup`: `--version`, `--help`, `serve` to the first 200, and what the
   pytest plugin costs a session that does not use it.
3. The request log's line in-process, the resident memory of a world of 100 000 devices
   with 10 queued downlinks each, a simulated day, and the JavaScript formatters.
4. `benchmarks.fixture_loop`: 300 tests that only take a fixture, ours against
   pytest-httpserver's; and `make test` itself, timed (warm venv).

Last, one table: each of issue 21's targets, the figure this run measured, and whether it
holds (`benchmarks.targets`).

`BENCH_ONLY=cpu,startup` runs only those parts (names: cpu, startup, log, memory,
simulation, formatters, fixture, suite).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import targets as issue
from benchmarks.targets import Target

ROOT = Path(__file__).resolve().parent.parent


def world_memory() -> float:
    """Peak RSS (GiB) of a process that builds 100 000 devices with 10 queued downlinks."""
    code = (
        "import resource, sys; from benchmarks.world_memory import build; build(100_000, 10);"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return int(result.stdout.split()[-1]) / 1024 / 1024


def suite() -> float | None:
    """`make test`'s wall time from this checkout (its venv warm), None if it failed."""
    started = time.perf_counter()
    result = subprocess.run(["make", "test"], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    last = (result.stdout.strip().splitlines() or [""])[-1]
    print(f"make test: {seconds:.0f} s wall, exit {result.returncode}: {last}")
    return seconds if result.returncode == 0 else None


def main() -> None:
    only = {name for name in os.environ.get("BENCH_ONLY", "").split(",") if name}

    def wanted(part: str) -> bool:
        return not only or part in only

    found: list[Target] = []
    if wanted("cpu"):
        from benchmarks import cpu

        found += issue.from_cpu(cpu.main())
    if wanted("startup"):
        from benchmarks import startup

        found += issue.from_startup(startup.main())
    if wanted("log"):
        from benchmarks import request_log

        request_log.main()  # the line's own cost, in-process
    if wanted("memory"):
        gib = world_memory()
        print(f"max RSS, 100 000 devices x 10 queued downlinks: {gib:.2f} GiB")
        found.append(issue.from_memory(gib))
    if wanted("simulation"):
        from benchmarks import simulation

        day = simulation.main()  # a day of SIM_DEVICES class A devices on the virtual clock
        found.append(issue.from_simulation(day.devices, day.hours, day.cpu_s))
    if wanted("formatters"):
        from benchmarks import formatters

        formatters.main()  # the team's JavaScript in the loop, and a reset of a scripted world
    if wanted("fixture"):
        from benchmarks import fixture_loop

        found.append(issue.from_fixture_loop(fixture_loop.main()))
    if wanted("suite"):
        found.append(issue.from_suite(suite()))
    if found:
        print("\nissue 21's targets, as this run measured them:")
        print(issue.table(found))


if __name__ == "__main__":
    main()
