"""Issue 21's targets, read from one `make bench` run: the table `benchmarks.run` prints last.

Each part of the run returns its figures; this module says, row by row as the issue lists
them, what was measured, against what target, and whether it holds. A row whose part did not
run (`BENCH_ONLY`, or a smaller simulation than the issue's) says so instead of guessing.
The targets are wall times where the issue states them so (start-up, the test loops) and
CPU times otherwise; a wall time on a busy machine reads high, so the start-up rows show the
CPU time beside it.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass

from benchmarks.cpu import Row, _spread

#: (route, log setting) -> the issue's lowest raw/ours.
CPU_TARGETS = {
    ("TTS replace", "off"): 0.50,
    ("TTS replace", "text"): 0.45,
    ("ThingPark POST", "off"): 0.45,
    ("KPN create", "off"): 0.30,
}
VERSION_HELP_S = 0.10
SERVE_S = 0.40
PLUGIN_MS = 30.0
SUITE_S = 120.0
SIMULATION_S = 15.0
MEMORY_GIB = 0.40


@dataclass(frozen=True)
class Target:
    what: str
    figure: str
    target: str
    holds: bool | None  # None: not measured by this run


def from_cpu(rows: list[Row]) -> list[Target]:
    found = {(row.route, row.log): row for row in rows}
    targets = []
    for (route, log), lowest in CPU_TARGETS.items():
        what = f"{route}, raw/ours, log {log}"
        row = found.get((route, log))
        if row is None:
            targets.append(Target(what, "not measured", f"≥ {lowest:.2f}", None))
            continue
        ours = statistics.median(w.micros for w in row.ours)
        raw = statistics.median(w.micros for w in row.raw)
        ratio = raw / ours
        figure = f"{ratio:.2f} {_spread(row.ratios())} ({ours:.0f} µs vs raw {raw:.0f} µs)"
        targets.append(Target(what, figure, f"≥ {lowest:.2f}", ratio >= lowest))
    return targets


def from_startup(timings: Mapping[str, tuple[float, float]]) -> list[Target]:
    version, help_ = timings["version"][0], timings["help"][0]
    plugin = (timings["plugin"][0] - timings["no_plugin"][0]) * 1000
    plugin_cpu = (timings["plugin"][1] - timings["no_plugin"][1]) * 1000
    serve, serve_cpu = timings["serve"]
    return [
        Target(
            "pytest, plugin installed and unused",
            f"{plugin:+.0f} ms wall ({plugin_cpu:+.0f} ms CPU)",
            f"≤ +{PLUGIN_MS:.0f} ms",
            plugin <= PLUGIN_MS,
        ),
        Target(
            "mockserver --version / --help",
            f"{version * 1000:.0f} / {help_ * 1000:.0f} ms",
            f"≤ {VERSION_HELP_S:.2f} s",
            max(version, help_) <= VERSION_HELP_S,
        ),
        Target(
            "serve, start to first 200 (median)",
            f"{serve * 1000:.0f} ms wall ({serve_cpu * 1000:.0f} ms CPU)",
            f"≤ {SERVE_S:.2f} s",
            serve <= SERVE_S,
        ),
    ]


def from_fixture_loop(sessions: Mapping[str, float]) -> Target:
    ours, theirs = sessions["mockserver"], sessions["httpserver"]
    return Target(
        "300 tests taking only `mockserver` (session)",
        f"{ours:.2f} s vs httpserver {theirs:.2f} s",
        "≤ httpserver",
        ours <= theirs,
    )


def from_suite(seconds: float | None) -> Target:
    if seconds is None:
        return Target("make test, warm venv", "failed", f"≤ {SUITE_S:.0f} s", False)
    return Target(
        "make test, warm venv", f"{seconds:.0f} s", f"≤ {SUITE_S:.0f} s", seconds <= SUITE_S
    )


def from_simulation(devices: int, hours: float, cpu_s: float) -> Target:
    what = "10 000 class A devices × 24 h simulated (CPU)"
    if (devices, hours) != (10_000, 24):
        return Target(what, f"{devices} devices × {hours:g} h: {cpu_s:.1f} s", "≤ 15 s", None)
    return Target(what, f"{cpu_s:.1f} s", f"≤ {SIMULATION_S:.0f} s", cpu_s <= SIMULATION_S)


def from_memory(gib: float) -> Target:
    return Target(
        "RSS, 100 000 devices × 10 queued downlinks",
        f"{gib:.2f} GiB",
        f"≤ {MEMORY_GIB:.2f} GiB",
        gib <= MEMORY_GIB,
    )


def table(targets: list[Target]) -> str:
    widths = [max(len(t.what) for t in targets), max(len(t.figure) for t in targets)]
    widths.append(max(len(t.target) for t in targets))
    lines = [f"{'target':{widths[0]}}  {'figure':{widths[1]}}  {'aim':{widths[2]}}  holds"]
    for t in targets:
        holds = "not measured" if t.holds is None else ("yes" if t.holds else "NO")
        lines.append(
            f"{t.what:{widths[0]}}  {t.figure:{widths[1]}}  {t.target:{widths[2]}}  {holds}"
        )
    return "\n".join(lines)
