"""`python -m benchmarks.dashboard`: does an open dashboard slow the API, or freeze under a burst?

The server runs alone on core 0 (`serve --virtual-time`); wrk loads it from core 1 with the
`make bench` request (a validated TTS replace), paced at about 1 000 requests/s and flat out,
without a page, with the live feed read by a plain client (what the feed itself costs the
server), and with the dashboard open in headless Chromium on its Journal tab, the view that
redraws most (Chromium shares core 1 with wrk: a 2-core machine has no third). Printed per
run: throughput, latency and the server's CPU time per request; with the page open, how late
its 50 ms timer fires (main-thread lag), how often its DOM changes, and how long a click on a
tab takes to reach the next frame, clicked every quarter second from here during the burst.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.run import (
    CONNECTIONS,
    DURATION,
    REPLACE,
    SCRIPT,
    _latency,
    free_port,
    pinned,
    serve,
)

#: 24 connections, each waiting 20 ms before each request: about 1 000 requests/s at a few
#: milliseconds per answer (wrk cannot hold an exact rate; the achieved one is printed).
PACED = SCRIPT + "\nfunction delay()\n  return 20\nend\n"
PACED_CONNECTIONS = "24"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PROBE = """
window.__probe = { lags: [], renders: [] };
let last = performance.now();
setInterval(() => {
  const now = performance.now();
  window.__probe.lags.push(now - last - 50);
  last = now;
}, 50);
new MutationObserver(() => window.__probe.renders.push(performance.now()))
  .observe(document, { childList: true, subtree: true });
"""
CLICK = """(view) => new Promise((resolve) => {
  const start = performance.now();
  document.querySelector(`button[data-view=${view}]`).click();
  requestAnimationFrame(() => resolve(performance.now() - start));
})"""


def wrk(url: str, script: str, connections: str) -> tuple[subprocess.Popen[str], str]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    command = ["wrk", "-t1", f"-c{connections}", f"-d{DURATION}", "--latency", "-s", file.name]
    process = subprocess.Popen(pinned(1, [*command, url]), stdout=subprocess.PIPE, text=True)
    return process, file.name


def figures(process: subprocess.Popen[str], script: str) -> dict[str, float]:
    output, _ = process.communicate()
    Path(script).unlink()
    if process.returncode or re.search(r"Non-2xx or 3xx responses", output):
        raise RuntimeError(f"the load failed:\n{output}")
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        "p50": _latency(output, "50%"),
        "p99": _latency(output, "99%"),
    }


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def burst(url: str, paced: bool, server: int, page: Any = None) -> dict[str, Any]:
    """One wrk run; with a page, click its tabs every 0.25 s while it lasts. `server`: the
    pid whose CPU time per request is reported (what a request costs, whatever the rate)."""
    cpu_before = cpu_seconds(server)
    if page is not None:
        page.evaluate("() => { window.__probe.lags = []; window.__probe.renders = []; }")
    process, script = wrk(
        url, PACED if paced else SCRIPT, PACED_CONNECTIONS if paced else CONNECTIONS
    )
    clicks: list[float] = []
    trips: list[float] = []
    views = ["device", "journal"]
    while page is not None and process.poll() is None:
        started = time.perf_counter()
        clicks.append(page.evaluate(CLICK, views[len(clicks) % 2]))
        trips.append((time.perf_counter() - started) * 1000)
        page.wait_for_timeout(250)
    result: dict[str, Any] = figures(process, script)
    seconds = float(DURATION.rstrip("s"))
    result["cpu_us"] = (cpu_seconds(server) - cpu_before) / (result["rps"] * seconds) * 1e6
    if page is not None:
        probe = page.evaluate("() => window.__probe")
        seconds = [int(t // 1000) for t in probe["renders"]]
        per_second = [seconds.count(s) for s in set(seconds)] or [0]
        result.update(
            lag_max=max(probe["lags"], default=0),
            lag_p99=_percentile(probe["lags"], 99),
            click_p50=statistics.median(clicks),
            click_max=max(clicks),
            trip_max=max(trips),
            redraws=statistics.mean(per_second),
            redraws_max=max(per_second),
        )
    return result


def with_feed(url: str, base: str, server: int) -> dict[str, Any]:
    """A saturated run with the live feed read by a plain client: what the stream costs the
    server, without a browser competing for the load generator's core."""
    stop = threading.Event()

    def read() -> None:
        with httpx.stream("GET", f"{base}/_mock/ui/stream", timeout=60) as answer:
            for _ in answer.iter_bytes():
                if stop.is_set():
                    return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        return burst(url, paced=False, server=server)
    finally:
        stop.set()


def _percentile(values: list[float], percent: int) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, len(ordered) * percent // 100)]


def main() -> None:
    from playwright.sync_api import sync_playwright

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server, _ = serve(
        [sys.executable, "-m", "mockserver", "serve", "--port", str(port), "--virtual-time"],
        f"{base}/_mock/health",
    )
    rows: list[tuple[str, dict[str, Any]]] = []
    try:
        url = base + REPLACE
        rows.append(("paced 1000/s, no page", burst(url, paced=True, server=server.pid)))
        rows.append(("saturated, no page", burst(url, paced=False, server=server.pid)))
        rows.append(("saturated, feed, no page", with_feed(url, base, server.pid)))
        chromium = os.environ.get("MOCKSERVER_CHROMIUM", "/usr/bin/chromium")
        if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
            os.sched_setaffinity(0, {1})  # the browser inherits core 1: core 0 is the server's
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.add_init_script(PROBE)
            page.goto(f"{base}/_mock/ui/")
            page.wait_for_selector("#live.connected")
            page.click("button[data-view=journal]")
            rows.append(
                ("paced 1000/s, page open", burst(url, paced=True, server=server.pid, page=page))
            )
            rows.append(
                ("saturated, page open", burst(url, paced=False, server=server.pid, page=page))
            )
            journal_rows = page.locator("#journal tbody tr").count()
            browser.close()
        violations = httpx.get(f"{base}/_mock/contract/violations").json()["violations"]
    finally:
        server.terminate()
        server.wait()
    print(f"wrk -d{DURATION}: server on core 0, wrk and Chromium on core 1")
    print(f"{'':27}{'req/s':>9}{'p50 ms':>8}{'p99 ms':>8}{'CPU us/req':>11}   page")
    for name, row in rows:
        page_text = ""
        if "lag_max" in row:
            page_text = (
                f"click->frame p50 {row['click_p50']:.0f} ms, max {row['click_max']:.0f} ms; "
                f"timer lag p99 {row['lag_p99']:.0f} ms, max {row['lag_max']:.0f} ms; "
                f"DOM updates/s {row['redraws']:.1f} (max {row['redraws_max']})"
            )
        print(
            f"{name:27}{row['rps']:>9.0f}{row['p50']:>8.2f}{row['p99']:>8.2f}"
            f"{row['cpu_us']:>11.0f}   {page_text}"
        )
    paced_ratio = rows[3][1]["rps"] / rows[0][1]["rps"]
    saturated_ratio = rows[4][1]["rps"] / rows[1][1]["rps"]
    print(
        f"throughput with the page open / without: paced {paced_ratio:.2f}, "
        f"saturated {saturated_ratio:.2f}"
    )
    print(
        f"journal rows on the page at the end: {journal_rows}; "
        f"contract violations: {len(violations)}"
    )


if __name__ == "__main__":
    main()
