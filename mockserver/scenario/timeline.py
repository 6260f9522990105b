"""A scenario's timeline, played on the simulator's clock from the instant it was loaded.

Instants (`uplink`, `revoke_key`, `session_reset`) become clock timers; spans
(`device_silent`, `gateway_outage`) are windows the engine consults when an uplink arrives or
a downlink is about to go. Every timer first checks that its scenario is still the one in
force, so clearing or replacing a scenario needs no cancellation.
"""

from __future__ import annotations

import base64
import fnmatch
import logging
from typing import TYPE_CHECKING

from mockserver.core import Session, UnknownDevice
from mockserver.scenario.engine import ActiveScenario
from mockserver.scenario.loading import ONE_DEVICE_ACTS, ScenarioError
from mockserver.scenario.model import Scenario, TimelineEntry

if TYPE_CHECKING:
    from mockserver.server import MockServer

log = logging.getLogger("mockserver.scenario")


def check_devices(scenario: Scenario, device_ids: list[str]) -> None:
    """Every device a scenario names must be in the world: a misspelt id would otherwise
    make a rule or a silence quietly do nothing."""
    named = [
        (
            f"timeline entry {i + 1} ({entry.kind})",
            str(entry.arguments["device"]),
            entry.kind in ONE_DEVICE_ACTS,  # an exact id, never a glob
        )
        for i, entry in enumerate(scenario.timeline)
        if "device" in entry.arguments
    ] + [(rule.name, rule.match.device, False) for rule in scenario.rules if rule.match.device]
    for where, pattern, exact in named:
        if exact:
            found = pattern in device_ids
        else:
            found = any(fnmatch.fnmatchcase(device_id, pattern) for device_id in device_ids)
        if not found:
            shown = ", ".join(device_ids[:30]) + (" ..." if len(device_ids) > 30 else "")
            raise ScenarioError(
                f"{scenario.source}: {where}: no device of the world is {pattern!r} "
                f"(devices: {shown})"
            )


def schedule_timeline(server: MockServer, active: ActiveScenario) -> None:
    for entry in active.scenario.timeline:
        if entry.kind in ("uplink", "revoke_key", "session_reset"):
            _at(server, active, active.loaded_at + entry.at, entry)


def _at(server: MockServer, active: ActiveScenario, when: int, entry: TimelineEntry) -> None:
    def fire() -> None:
        if server.scenario is not active:
            return  # cleared or replaced since
        try:
            _play(server, entry)
        except (UnknownDevice, ValueError, KeyError) as problem:
            log.warning(
                "scenario %s: %s at +%ss failed: %s",
                active.scenario.name,
                entry.kind,
                entry.at / 1e6,
                problem,
            )
        every = entry.arguments.get("every")
        if entry.kind == "uplink" and every:
            _at(server, active, when + int(every), entry)

    server.clock.call_at(when, fire)


def _play(server: MockServer, entry: TimelineEntry) -> None:
    arguments = entry.arguments
    if entry.kind == "uplink":
        server.uplink(
            arguments["device"],
            f_port=arguments.get("f_port"),
            frm_payload=base64.b64decode(arguments.get("payload", "")),
            confirmed=arguments.get("confirmed", False),
            ack=arguments.get("ack", False),
            data_rate=arguments.get("data_rate"),
        )
    elif entry.kind == "revoke_key":
        provider = server.providers[arguments["provider"]]
        if not provider.revoke_credential(arguments["key"]):
            raise KeyError(f"{arguments['provider']} has no credential {arguments['key']!r}")
    elif entry.kind == "session_reset":
        reset_session(server, arguments["device"])


def reset_session(server: MockServer, device_id: str) -> None:
    """The device rejoined: a new session, and the downlinks queued for the old one are
    invalidated (their frame counters and keys no longer apply)."""
    with server.lock:
        device = server.network.get(device_id)
        old = device.session
        device.session = Session(dev_addr=(old.dev_addr + 1) if old else 0x26000001)
        invalidated = device.queue.snapshot()
        device.queue.replace([])
        server.network.emit("invalidated", device, invalidated, reason="session_reset")
