"""`make bench`: our server against a raw Starlette app, and where users wait, in one run.

1. `benchmarks.cpu`: CPU time per request, ours and raw Starlette side by side, each pinned
   to one core with the load generator on another, in interleaved windows (the table the
   issue's targets are read from; benchmarks/README.md says how).
2. `benchmarks.startup`: `--version`, `--help`, `serve` to the first 200, and what the
   pytest plugin costs a session that does not use it.
3. The request log's line in-process, the resident memory of a world of 100 000 devices
   with 10 queued downlinks each, a simulated day, and the JavaScript formatters.

`BENCH_ONLY=cpu,startup` runs only those parts (names: cpu, startup, log, memory,
simulation, formatters).
"""

from __future__ import annotations

import os
import subprocess
import sys


def world_memory() -> str:
    code = (
        "import resource, sys; from benchmarks.world_memory import build; build(100_000, 10);"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return f"{int(result.stdout.split()[-1]) / 1024 / 1024:.2f} GiB"


def main() -> None:
    only = {name for name in os.environ.get("BENCH_ONLY", "").split(",") if name}

    def wanted(part: str) -> bool:
        return not only or part in only

    if wanted("cpu"):
        from benchmarks import cpu

        cpu.main()
    if wanted("startup"):
        from benchmarks import startup

        startup.main()
    if wanted("log"):
        from benchmarks import request_log

        request_log.main()  # the line's own cost, in-process
    if wanted("memory"):
        print(f"max RSS, 100 000 devices x 10 queued downlinks: {world_memory()}")
    if wanted("simulation"):
        from benchmarks import simulation

        simulation.main()  # a day of SIM_DEVICES class A devices on the virtual clock
    if wanted("formatters"):
        from benchmarks import formatters

        formatters.main()  # the team's JavaScript in the loop, and a reset of a scripted world


if __name__ == "__main__":
    main()
