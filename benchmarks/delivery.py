"""Outbound delivery under a burst (issue 19, items 1 and 2), measured on a served process.

`python -m benchmarks.delivery` starts `mockserver serve` and, with one TTS push of
`BENCH_BURST` (default 1 000) downlinks each time, a `downlink_queued` webhook per downlink:

1. to a live receiver (Python's http.server, its default backlog of 5): time until all
   arrived;
2. to a closed port: time until all failed, their reason, then the server's CPU over 3 idle
   seconds and its RSS before and after;
3. to a port that never answers: `POST /_mock/reset` with the burst pending, and a
   `GET /_mock/health` sent alongside: both latencies, and the cancelled count.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from tests.delivery_receivers import KEY, Receiver, Silent, closed_port, tts_world

BURST = int(os.environ.get("BENCH_BURST", "1000"))
AUTH = {"Authorization": f"Bearer {KEY}"}
PUSH = "/api/v3/as/applications/app1/webhooks/wh1/devices/dev1/down/push"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def point_webhook_at(client: httpx.Client, base_url: str) -> None:
    body = {"webhook": {"base_url": base_url}, "field_mask": {"paths": ["base_url"]}}
    client.put("/api/v3/as/webhooks/app1/wh1", headers=AUTH, json=body).raise_for_status()


def push_burst(client: httpx.Client) -> None:
    downlinks = [{"f_port": 1, "frm_payload": "AQ=="} for _ in range(BURST)]
    answer = client.post(PUSH, headers=AUTH, json={"downlinks": downlinks}, timeout=60)
    answer.raise_for_status()


def ended(client: httpx.Client) -> int:
    stats = client.get("/_mock/outbound/stats").json()
    return int(stats["delivered"] + stats["failed"] + stats["dropped"] + stats["cancelled"])


def wait_for(client: httpx.Client, count: int, limit: float = 120) -> float:
    """Seconds until `count` messages in all have an outcome."""
    begun = time.perf_counter()
    while time.perf_counter() - begun < limit and ended(client) < count:
        time.sleep(0.02)
    return time.perf_counter() - begun


def main() -> int:
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        world = Path(folder) / "world.json"
        world.write_text(json.dumps(tts_world("http://127.0.0.1:9/")))
        command = [sys.executable, "-m", "mockserver", "serve", "--port", str(port)]
        server = subprocess.Popen(
            [*command, "--world", str(world), "--log-level", "warning"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            return measure(server.pid, f"http://127.0.0.1:{port}")
        finally:
            server.terminate()
            server.wait(10)


def measure(pid: int, url: str) -> int:
    with httpx.Client(base_url=url, timeout=30) as client:
        deadline = time.monotonic() + 30
        while True:
            try:
                client.get("/_mock/health").raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

        live = Receiver()
        point_webhook_at(client, live.url)
        begun = time.perf_counter()
        push_burst(client)
        pushed = time.perf_counter() - begun
        wait_for(client, BURST)
        stats = client.get("/_mock/outbound/stats").json()
        print(
            f"live receiver: {len(live.received)} of {BURST} received, {stats['dropped']} "
            f"dropped, in {time.perf_counter() - begun:.2f} s (the push's answer took "
            f"{pushed:.2f} s of it)"
        )
        live.close()

        client.post("/_mock/reset").raise_for_status()
        point_webhook_at(client, closed_port())
        rss_before = rss_mib(pid)
        before = ended(client)
        push_burst(client)
        took = wait_for(client, before + BURST)
        attempts = client.get("/_mock/outbound").json()
        reasons = {attempt["error"] for attempt in attempts}
        print(f"closed port: {len(attempts)} ended in {took:.2f} s; reasons {sorted(reasons)}")
        cpu = cpu_seconds(pid)
        time.sleep(3)
        idle = (cpu_seconds(pid) - cpu) / 3 * 100
        after_bursts = [rss_mib(pid)]
        for _ in range(3):  # the same burst again: RSS must stay flat
            client.post("/_mock/reset").raise_for_status()
            point_webhook_at(client, closed_port())
            before = ended(client)
            push_burst(client)
            wait_for(client, before + BURST)
            after_bursts.append(rss_mib(pid))
        shown = ", ".join(f"{rss:.0f}" for rss in after_bursts)
        print(
            f"  then idle: CPU {idle:.1f} % over 3 s; RSS {rss_before:.0f} MiB before the "
            f"burst, after it and 3 more: {shown} MiB"
        )

        silent = Silent()
        client.post("/_mock/reset").raise_for_status()
        point_webhook_at(client, silent.url)
        push_burst(client)
        time.sleep(0.5)
        health: list[float] = []
        go = threading.Event()
        other = httpx.Client(base_url=url, timeout=30)  # made beforehand: TLS set-up is slow
        other.get("/_mock/health")

        def check() -> None:
            go.wait()
            started = time.perf_counter()
            other.get("/_mock/health")
            health.append(time.perf_counter() - started)

        alongside = threading.Thread(target=check)
        alongside.start()
        stats = client.get("/_mock/outbound/stats").json()
        started = time.perf_counter()
        go.set()
        client.post("/_mock/reset").raise_for_status()
        reset = time.perf_counter() - started
        alongside.join()
        other.close()
        after = client.get("/_mock/outbound/stats").json()
        print(
            f"silent receiver: reset with {stats['queued']} queued and {stats['in_flight']} "
            f"in flight took {reset * 1000:.0f} ms; health alongside {health[0] * 1000:.0f} ms;"
            f" cancelled {after['cancelled']}"
        )
        silent.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
