"""CPU time per request: our server against a raw Starlette app, side by side in one run.

Requests per second on a shared 2-core machine vary more than the settings under test, so
this counts what each request costs the server's process instead (benchmarks/README.md):

- our server (`mockserver serve --virtual-time`) and a raw Starlette app on the same uvicorn
  (benchmarks/raw_starlette.py: reads the body, answers `{}`) both run pinned to one core;
- one load generator (wrk, or this module's Python generator when wrk is missing) pinned to
  another core sends both the same request, in interleaved windows: ours, raw, ours, raw, …
  (`BENCH_WINDOWS` of each, default 3) after one warm-up window each;
- around each window the server's utime+stime is read from /proc/<pid>/stat (all its
  threads) and divided by the responses completed in the window;
- every response that is not 2xx, and every socket error, is a failure, and is shown;
- our server is reset (`POST /_mock/reset`, outside the measured window) before each window,
  so that every window starts from the same world: KPN's create costs more as created
  downlinks accumulate, and without the reset the windows would measure the store's size.

Printed: one table, route and log setting, ours µs, raw µs, raw/ours, the spread of
raw/ours across the windows, and the failures. `BENCH_SECONDS` (default 5) sets the window,
`BENCH_CONNECTIONS` (default 16) the connections, `BENCH_ROWS` (comma-separated row names,
such as `tts-off,kpn-text`) a subset of the rows, `BENCH_GENERATOR=python` the fallback
generator even where wrk is installed.

`BENCH_BEFORE=<directory>` adds a third server, `before`: the checkout found in that
directory (say, `git archive <commit> | tar -x -C <directory>`), run from there and served the
same way and measured in the same interleaved windows (before, ours, raw, ...), so that a
change's before/after comes from one run. The table then gains its column and ratio.

`BENCH_SHELL=1` adds two servers, in the same interleaved windows: `shell`, ours with every API
call answered `200 {}` instead of by the simulator (benchmarks/shell_only.py), and `bare`,
ours with the contract layer's checks taken out (benchmarks/without_contract.py). The table
gains `shell µs` (uvicorn, the connection bounds, tenant router, guard and ASGI adapter),
`simulator µs` (ours minus shell: the simulator's own work per call, as served), `contract µs`
(ours minus bare: checking the exchange against the vendor's description) and `raw/bare` (the
most raw/ours could be if that checking cost nothing).

Run from the repository root: `python -m benchmarks.cpu`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

#: The default world's ready tokens, as its banner prints them (README's examples use them).
KPN_TOKEN = (
    "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.eyJjbGllbnQiOiJkZW1vIiwiZXhwIjoyMDgyNTg1NjAwLCJpYXQiOj"
    "E3NjcyMjU2MDAsImlzcyI6Imh0dHBzOi8vYXV0aC5ncmlwLW9uLWl0LmNvbSIsImp0aSI6ImJjZmY1OGJhYTE4MTk2Mz"
    "JkNWMzMGJhZjJiMjk0YjI5Iiwic2NvcGUiOiJkb3dubGluay5yZWFkIGRvd25saW5rLndyaXRlIGRvd25saW5rLmRlbG"
    "V0ZSIsInN1YiI6ImRlbW8tY2xpZW50In0.toH1iBrF2bX5ujpd3JjGXeHy--duIf5M7uLzhD2I5S1zZhZETOeW83iG77r"
    "CXeoPa8twxHwRvSqI8BBoOGX8Bw"
)
THINGPARK_TOKEN = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJ0aGluZ3BhcmstZHgtYWRtaW4iLCJzdWIiOiJkZW1vQG"
    "V4YW1wbGUuY29tIiwiY2xpZW50X2lkIjoidHBlLWFwaS9kZW1vQGV4YW1wbGUuY29tIiwic2NvcGUiOlsiU1VCU0NSSU"
    "JFUjoxMDAwMDAwMDAiXSwiaWF0IjoxNzY3MjI1NjAwLCJleHAiOjIwODI1ODU2MDAsImp0aSI6ImFlODM2NGRkZmFlNG"
    "IzOWUzM2NlNTVhMDdjMmQ2NjkxIn0.cK2w95t6n-tSkdUnHW3ohD1NdK_jJ3sETE4ttLilo5I"
)


@dataclass(frozen=True)
class Route:
    """One request, sent over and over: each answer must be 2xx."""

    name: str
    path: str
    body: str
    headers: dict[str, str] = field(default_factory=dict)

    def all_headers(self) -> dict[str, str]:
        return {"Content-Type": "application/json", **self.headers}


ROUTES = {
    "tts": Route(
        "TTS replace",
        "/api/v3/as/applications/app1/webhooks/wh1/devices/dev1/down/replace",
        '{"downlinks":[{"frm_payload":"vu8=","f_port":15,"priority":"NORMAL"}]}',
        {"Authorization": "Bearer NNSXS.XXXXXXXXX"},
    ),
    "kpn": Route(
        "KPN create",
        "/downlinks",
        '{"instruction":[{"bn":"urn:dev:DEVEUI:0004A30B001A2B3C:","n":"payload","vs":"0A0B"}],'
        '"method":{"protocol":"LORA","fPort":1}}',
        {"Authorization": f"Bearer {KPN_TOKEN}"},
    ),
    "thingpark": Route(
        "ThingPark POST",
        "/core/latest/api/devices/0018B20000000001/downlinkMessages?confirmDownlink=false",
        '{"payloadHex":"0102","targetPorts":"1"}',
        {"Authorization": f"Bearer {THINGPARK_TOKEN}"},
    ),
}
#: The request log's settings: off, and text lines written to a file (serve's standard output).
LOGS = {"off": ["--log-level", "off"], "text": ["--log-format", "text", "--log-level", "info"]}
ROWS = [(route, log) for log in LOGS for route in ROUTES]

SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
WINDOWS = max(1, int(os.environ.get("BENCH_WINDOWS", "3")))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
BEFORE = os.environ.get("BENCH_BEFORE") or None
SHELL = os.environ.get("BENCH_SHELL", "") not in ("", "0")
TICK = os.sysconf("SC_CLK_TCK")


def cores() -> tuple[int | None, int | None]:
    """The server's core and the load generator's: the first two this process may use."""
    allowed = sorted(os.sched_getaffinity(0))
    return (allowed[0], allowed[1]) if len(allowed) >= 2 else (None, None)


def pinned_to(core: int | None) -> Callable[[], None] | None:
    if core is None:
        return None
    return lambda: os.sched_setaffinity(0, {core})


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, all its threads (/proc/<pid>/stat fields 14 and 15)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """A server process pinned to its core, answering on `url`."""

    name: str
    process: subprocess.Popen[bytes]
    url: str


def wait_ready(url: str, timeout: float = 60) -> float:
    """Seconds until `url` answers 200."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        try:
            if httpx.get(url, timeout=0.5).status_code == 200:
                return time.perf_counter() - started
        except httpx.TransportError:
            time.sleep(0.005)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


@contextmanager
def running(
    name: str,
    command: list[str],
    probe: str,
    output: IO[bytes] | int,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
) -> Iterator[Server]:
    port = free_port()
    command = [part.replace("{port}", str(port)) for part in command]
    process = subprocess.Popen(
        command,
        stdout=output,
        stderr=subprocess.DEVNULL,
        preexec_fn=pinned_to(cores()[0]),
        env=env,
        cwd=cwd,
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}{probe}")
        yield Server(name, process, f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait()


def ours(log: str, output: IO[bytes] | int, tree: str | None = None) -> Any:
    """Our server; from the package in `tree` instead of this checkout's, if given (run
    from there: `python -m` puts the working directory first on the path)."""
    command = [sys.executable, "-m", "mockserver", "serve", "--port", "{port}", "--virtual-time"]
    env = None if tree is None else {**os.environ, "PYTHONPATH": tree}
    name = "ours" if tree is None else "before"
    return running(name, [*command, *LOGS[log]], "/_mock/health", output, env, tree)


def shell(log: str, output: IO[bytes] | int) -> Any:
    """Our server with the simulator's work taken out (benchmarks/shell_only.py)."""
    command = [sys.executable, "-m", "benchmarks.shell_only", "serve", "--port", "{port}"]
    return running("shell", [*command, "--virtual-time", *LOGS[log]], "/_mock/health", output)


def bare(log: str, output: IO[bytes] | int) -> Any:
    """Our server with the contract layer's checks taken out (benchmarks/without_contract.py)."""
    command = [sys.executable, "-m", "benchmarks.without_contract", "serve", "--port", "{port}"]
    return running("bare", [*command, "--virtual-time", *LOGS[log]], "/_mock/health", output)


def raw() -> Any:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "benchmarks.raw_starlette:app",
        "--port",
        "{port}",
        "--log-level",
        "warning",
        "--no-access-log",
        "--http",
        "httptools",
    ]
    return running("raw", command, "/", subprocess.DEVNULL)


# -- load generators ---------------------------------------------------------------------------
@dataclass
class Window:
    responses: int
    failures: int
    cpu: float

    @property
    def micros(self) -> float:
        return self.cpu / max(self.responses, 1) * 1e6


def wrk_script(route: Route) -> str:
    lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(route.body)}"]
    lines += [
        f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in route.all_headers().items()
    ]
    return "\n".join(lines) + "\n"


def wrk(url: str, route: Route, seconds: float, script: str) -> tuple[int, int]:
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", "-s", script]
    output = subprocess.run(
        [*command, url + route.path],
        capture_output=True,
        text=True,
        check=True,
        preexec_fn=pinned_to(cores()[1]),
    ).stdout
    done = re.search(r"(\d+) requests in", output)
    if done is None:
        raise RuntimeError(f"wrk said:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    failures = int(non_2xx[1]) if non_2xx else 0
    failures += sum(int(n) for n in errors.groups()) if errors else 0
    return int(done[1]), failures


def python_load(url: str, route: Route, seconds: float) -> tuple[int, int]:
    """The fallback generator, in its own process on the generator's core."""
    command = [sys.executable, "-m", "benchmarks.cpu", "generate", url, route.path, route.body]
    command += [json.dumps(route.all_headers()), str(seconds), str(CONNECTIONS)]
    output = subprocess.run(
        command, capture_output=True, text=True, check=True, preexec_fn=pinned_to(cores()[1])
    ).stdout
    found = json.loads(output)
    return int(found["responses"]), int(found["failures"])


async def _generate(
    url: str, body: str, headers: dict[str, str], seconds: float, n: int
) -> dict[str, int]:
    counts = {"responses": 0, "failures": 0}
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:

        async def one_connection() -> None:
            while time.monotonic() < deadline:
                try:
                    response = await client.post(url, content=body, headers=headers)
                except httpx.HTTPError:
                    counts["failures"] += 1
                    continue
                counts["responses"] += 1
                counts["failures"] += not 200 <= response.status_code < 300

        await asyncio.gather(*(one_connection() for _ in range(n)))
    return counts


def measure(server: Server, route: Route, seconds: float, script: str | None) -> Window:
    if server.name != "raw":  # each window from the same world, the reset outside it
        httpx.post(f"{server.url}/_mock/reset", timeout=60).raise_for_status()
    before = cpu_seconds(server.process.pid)
    if script is not None:
        responses, failures = wrk(server.url, route, seconds, script)
    else:
        responses, failures = python_load(server.url, route, seconds)
    return Window(responses, failures, cpu_seconds(server.process.pid) - before)


@dataclass
class Row:
    route: str
    log: str
    ours: list[Window]
    raw: list[Window]
    before: list[Window] = field(default_factory=list)
    shell: list[Window] = field(default_factory=list)
    bare: list[Window] = field(default_factory=list)

    def ratios(self, windows: list[Window] | None = None) -> list[float]:
        mine = self.ours if windows is None else windows
        return [r.micros / o.micros for o, r in zip(mine, self.raw, strict=True)]


def row(
    route_key: str, log: str, baseline: Server, script_for: Callable[[Route], str | None]
) -> Row:
    route = ROUTES[route_key]
    script = script_for(route)
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(ours(log, stack.enter_context(tempfile.TemporaryFile())))
        earlier = None
        if BEFORE:
            log_file = stack.enter_context(tempfile.TemporaryFile())
            earlier = stack.enter_context(ours(log, log_file, BEFORE))
        stub = unchecked = None
        if SHELL:
            stub = stack.enter_context(shell(log, stack.enter_context(tempfile.TemporaryFile())))
            log_file = stack.enter_context(tempfile.TemporaryFile())
            unchecked = stack.enter_context(bare(log, log_file))
        servers = [s for s in (earlier, server, unchecked, stub, baseline) if s is not None]
        for each in servers:  # warm-up: caches, lazy imports
            measure(each, route, min(SECONDS, 2.0), script)
        windows: dict[str, list[Window]] = {each.name: [] for each in servers}
        for _ in range(WINDOWS):
            for each in servers:
                windows[each.name].append(measure(each, route, SECONDS, script))
    return Row(
        route.name,
        log,
        windows["ours"],
        windows["raw"],
        windows.get("before", []),
        windows.get("shell", []),
        windows.get("bare", []),
    )


def _spread(ratios: list[float]) -> str:
    return "±" + format((max(ratios) - min(ratios)) / 2, ".2f")


def table(rows: list[Row]) -> str:
    compared = any(found.before for found in rows)
    split = any(found.shell for found in rows)
    head = f"{'route':16}{'log':6}"
    if compared:
        head += f"{'before µs':>11}{'raw/before':>12}{'spread':>9}"
    head += f"{'ours µs':>9}{'raw µs':>9}{'raw/ours':>10}{'spread':>9}{'failures':>18}"
    if split:
        head += f"{'shell µs':>10}{'simulator µs':>14}{'contract µs':>13}{'raw/bare':>10}"
    lines = [head]
    for found in rows:
        mine = statistics.median(w.micros for w in found.ours)
        theirs = statistics.median(w.micros for w in found.raw)
        failed = sum(w.failures for w in found.ours + found.before + found.bare)
        sent = sum(w.responses for w in found.ours + found.before + found.bare)
        raw_failed = sum(w.failures for w in found.raw)
        failures = f"{failed}/{sent}" + (f" (raw {raw_failed})" if raw_failed else "")
        line = f"{found.route:16}{found.log:6}"
        if compared:
            earlier = statistics.median(w.micros for w in found.before)
            line += f"{earlier:>11.0f}{theirs / earlier:>12.2f}"
            line += f"{_spread(found.ratios(found.before)):>9}"
        line += (
            f"{mine:>9.0f}{theirs:>9.0f}{theirs / mine:>10.2f}"
            f"{_spread(found.ratios()):>9}{failures:>18}"
        )
        if found.shell:
            alone = statistics.median(w.micros for w in found.shell)
            line += f"{alone:>10.0f}{mine - alone:>14.0f}"
        if found.bare:
            unchecked = statistics.median(w.micros for w in found.bare)
            line += f"{mine - unchecked:>13.0f}{theirs / unchecked:>10.2f}"
        lines.append(line)
    return "\n".join(lines)


def main() -> list[Row]:
    if shutil.which("wrk") and os.environ.get("BENCH_GENERATOR", "wrk") == "wrk":
        generator = "wrk"
    else:
        generator = "python (httpx; wrk not installed or BENCH_GENERATOR=python)"
    server_core, load_core = cores()
    wanted = [name for name in os.environ.get("BENCH_ROWS", "").split(",") if name]
    chosen = [(r, log) for r, log in ROWS if not wanted or f"{r}-{log}" in wanted]
    scripts: list[Path] = []

    def script_for(route: Route) -> str | None:
        if generator != "wrk":
            return None
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(wrk_script(route))
        scripts.append(Path(script.name))
        return script.name

    try:
        with raw() as baseline:
            rows = [row(route, log, baseline, script_for) for route, log in chosen]
    finally:
        for script in scripts:
            script.unlink(missing_ok=True)
    pinning = (
        f"servers on core {server_core}, {generator} on core {load_core}"
        if server_core is not None
        else f"one core only: nothing pinned; {generator}"
    )
    print(
        f"CPU time per request (utime+stime / responses), {WINDOWS} interleaved windows of "
        f"{SECONDS:g} s each after warm-up, {CONNECTIONS} connections; {pinning}"
    )
    print(table(rows))
    return rows


if __name__ == "__main__":
    if sys.argv[1:2] == ["generate"]:
        url, path, body, headers, seconds, connections = sys.argv[2:8]
        print(
            json.dumps(
                asyncio.run(
                    _generate(
                        url + path, body, json.loads(headers), float(seconds), int(connections)
                    )
                )
            )
        )
    else:
        main()
