"""Virtual-time simulation throughput: a day of a busy class A network, in one process.

Measured: `SIM_DEVICES` (default 10 000) class A devices of one TTS application, each
uplinking every 15 minutes and getting one downlink queued per hour through the TTS
Application Server, for `SIM_HOURS` (default 24) hours of virtual time. The first uplink and
the first queued downlink of each device are staggered uniformly (seeded) over their period,
so the load is spread as in a real fleet rather than arriving in bursts.

Printed: the CPU time (`time.process_time`, the figure the target is about: these machines
are shared, so wall time varies with the neighbours' load) and the wall time of
`clock.advance()` over the whole run (building the world is timed apart), the network
events it produced (all kinds, and per kind), events per CPU second, the peak RSS, and a
sanity line checking the counts against what the rules predict: devices x 4 uplinks per
hour, devices x 1 queued downlink per hour, and about as many sent (a class A downlink
leaves in RX1 of the next uplink, so the ones queued in the last quarter hour or so are
still waiting at the end: about devices / 8 of them).

Why: the simulator is meant to replay long stretches of a large network in seconds, for
tests and demos; the issue's target is a day of 10 000 devices in 15 s of CPU or less.

Run from the repository root: `python -m benchmarks.simulation` (try `SIM_DEVICES=200`
first).
"""

from __future__ import annotations

import os
import random
import resource
import time
from collections import Counter
from dataclasses import dataclass, field

from mockserver.providers.tts.downlinks import ApplicationDownlink
from mockserver.server import MockServer
from mockserver.types import SECOND, Micros

APPLICATION = "bench"
UPLINK_INTERVAL_S = 15 * 60
DOWNLINK_INTERVAL_S = 60 * 60
TARGET_CPU_S = 15.0
SEED = 20_260_101
KINDS = ("uplink", "queued", "scheduled", "sent", "acked", "nacked", "failed", "replaced")


@dataclass
class Result:
    devices: int
    hours: float
    setup_s: float
    cpu_s: float
    wall_s: float
    timers_fired: int
    kinds: Counter[str] = field(default_factory=Counter)

    @property
    def events(self) -> int:
        return sum(self.kinds.values())


def build(devices: int, seed: int = SEED) -> tuple[MockServer, Counter[str]]:
    """A default world plus `devices` staggered class A devices; events counted by kind."""
    server = MockServer()
    clock = server.clock
    tts = server.providers["tts"]
    kinds: Counter[str] = Counter()  # filled from the timelines after the run (see count)
    rng = random.Random(seed)
    start = clock.now_us()
    uplink_us = UPLINK_INTERVAL_S * SECOND
    downlink_us = DOWNLINK_INTERVAL_S * SECOND
    for index in range(devices):
        device_id = f"dev-{index:06d}"
        end_device = tts.registry.add_device(
            APPLICATION,
            {
                "id": device_id,
                "dev_eui": f"70B3D5{index:010X}",
                "session": {"dev_addr": f"{0x26000000 + index:08X}"},
                "uplink_interval": UPLINK_INTERVAL_S,
            },
        )
        # Offsets in (0, period]: exactly one event per period within the run, none at t=0.
        _first_uplink(server, end_device.device.id, start + rng.randrange(1, uplink_us + 1))
        _hourly_downlinks(server, device_id, start + rng.randrange(1, downlink_us + 1))
    return server, kinds


def _first_uplink(server: MockServer, uid: str, at: Micros) -> None:
    """The first uplink at `at`, then the server's own periodic chain (one interval apart)."""
    interval = server.network.get(uid).uplink_interval
    assert interval is not None

    simulator = server.simulator

    def fire() -> None:  # what a device's own periodic uplink does, on the simulator
        simulator.uplink(uid)
        simulator._schedule_periodic_uplink(uid, interval)

    server.clock.call_at(at, fire)


def _hourly_downlinks(server: MockServer, device_id: str, at: Micros) -> None:
    """Queue one downlink through the TTS Application Server at `at`, then every hour."""
    clock = server.clock
    application_server = server.providers["tts"].application_server
    interval = DOWNLINK_INTERVAL_S * SECOND

    def fire(when: Micros = at) -> None:
        items = [ApplicationDownlink(f_port=1, frm_payload=b"\x01\x02")]
        application_server.queue(APPLICATION, device_id, items, replace=False)
        clock.call_at(when + interval, lambda: fire(when + interval))

    clock.call_at(at, fire)


def simulate(devices: int, hours: float, seed: int = SEED) -> Result:
    started = time.perf_counter()
    server, kinds = build(devices, seed)
    setup = time.perf_counter() - started
    started, cpu_started = time.perf_counter(), time.process_time()
    fired = server.clock.advance(hours * 3600)
    cpu = time.process_time() - cpu_started
    wall = time.perf_counter() - started
    kinds.update(count(server))
    return Result(devices, hours, setup, cpu, wall, fired, kinds)


def count(server: MockServer) -> Counter[str]:
    """Events by kind, from the device timelines: a listener counting them as they come
    would add its own calls to the time measured. A day of a device is about 170 events,
    far under the timeline's bound (1 000), so none has been dropped (checked)."""
    kinds: Counter[str] = Counter()
    bound = server.network._timeline_length
    for device in server.network:
        timeline = server.network.timeline(device.id)
        if len(timeline) >= bound:
            raise SystemExit(f"{device.id}'s timeline reached its bound: counts would be short")
        kinds.update(event.kind for event in timeline)
    return kinds


def sanity(result: Result) -> str:
    """'OK', or what is off: counts against the rules' prediction (see the module docstring)."""
    kinds = result.kinds
    uplinks = round(result.devices * result.hours * 3600 / UPLINK_INTERVAL_S)
    queued = round(result.devices * result.hours * 3600 / DOWNLINK_INTERVAL_S)
    problems = []
    if abs(kinds["uplink"] - uplinks) > 0.01 * uplinks:
        problems.append(f"uplinks {kinds['uplink']} != ~{uplinks}")
    if abs(kinds["queued"] - queued) > 0.01 * queued:
        problems.append(f"queued {kinds['queued']} != ~{queued}")
    # Still waiting at the end: queued in the last hour after the device's last uplink.
    lowest = queued - result.devices * min(result.hours, 1) / 4
    if not lowest <= kinds["sent"] <= queued:
        problems.append(f"sent {kinds['sent']} not in [{lowest:.0f}, {queued}]")
    if not kinds["sent"] <= kinds["scheduled"] <= kinds["sent"] + result.devices:
        problems.append(f"scheduled {kinds['scheduled']} vs sent {kinds['sent']}")
    for kind in ("acked", "nacked", "failed", "replaced"):
        if kinds[kind]:
            problems.append(f"{kinds[kind]} unexpected {kind}")
    unknown = set(kinds) - set(KINDS)
    if unknown:
        problems.append(f"unknown kinds {sorted(unknown)}")
    expected = f"expected ~{uplinks} uplinks, {queued} queued, about as many sent"
    return f"{expected}: " + ("OK" if not problems else "OFF: " + "; ".join(problems))


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> Result:
    devices = int(os.environ.get("SIM_DEVICES", "10000"))
    hours = float(os.environ.get("SIM_HOURS", "24"))
    result = simulate(devices, hours)
    rate = result.events / result.cpu_s if result.cpu_s else float("inf")
    verdict = "met" if result.cpu_s <= TARGET_CPU_S else "MISSED"
    per_kind = "  ".join(f"{kind}={result.kinds[kind]}" for kind in KINDS)
    print(f"simulation: class A, uplink every {UPLINK_INTERVAL_S // 60} min, 1 downlink/h")
    print(f"devices: {result.devices}")
    print(f"virtual duration: {result.hours:g} h")
    print(f"world build (not in wall time): {result.setup_s:.2f} s")
    print(f"CPU time: {result.cpu_s:.2f} s  (target <= {TARGET_CPU_S:.0f} s: {verdict})")
    print(f"wall time: {result.wall_s:.2f} s")
    print(f"total events: {result.events}  (timers fired: {result.timers_fired})")
    print(f"events per CPU second: {rate:,.0f}")
    print(f"per kind: {per_kind}")
    print(f"sanity: {sanity(result)}")
    print(f"peak RSS: {peak_rss_mib():.0f} MiB")
    return result


if __name__ == "__main__":
    main()
