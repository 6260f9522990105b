"""A scenario's timeline, played on the simulator's clock from the instant it was loaded.

Instants (`uplink`, `revoke_key`, `session_reset`) become clock timers; spans
(`device_silent`, `gateway_outage`) are windows the engine consults when an uplink arrives or
a downlink is about to go. Every timer first checks that its scenario is still the one in
force, so clearing or replacing a scenario needs no cancellation.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping
from typing import Protocol

from mockserver.clock import Clock
from mockserver.core import Network, Session, UnknownDevice
from mockserver.providers import Provider
from mockserver.scenario.engine import ActiveScenario
from mockserver.scenario.model import TimelineEntry

log = logging.getLogger("mockserver.scenario")


class TimelineTarget(Protocol):
    """What a timeline acts on: the simulator (a protocol, so that the simulator module can
    import this one)."""

    scenario: ActiveScenario | None
    clock: Clock

    @property
    def network(self) -> Network: ...

    @property
    def providers(self) -> Mapping[str, Provider]: ...

    def uplink(
        self,
        device_id: str,
        *,
        f_port: int | None = ...,
        frm_payload: bytes = ...,
        confirmed: bool = ...,
        ack: bool = ...,
        data_rate: int | None = ...,
        frequency: int | None = ...,
    ) -> object: ...


def schedule_timeline(simulator: TimelineTarget, active: ActiveScenario) -> None:
    for entry in active.scenario.timeline:
        if entry.kind in ("uplink", "revoke_key", "session_reset"):
            _at(simulator, active, active.loaded_at + entry.at, entry)


def _at(simulator: TimelineTarget, active: ActiveScenario, when: int, entry: TimelineEntry) -> None:
    def fire() -> None:
        if simulator.scenario is not active:
            return  # cleared or replaced since
        try:
            _play(simulator, entry)
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
            _at(simulator, active, when + int(every), entry)

    simulator.clock.call_at(when, fire)


def _play(simulator: TimelineTarget, entry: TimelineEntry) -> None:
    arguments = entry.arguments
    if entry.kind == "uplink":
        simulator.uplink(
            arguments["device"],
            f_port=arguments.get("f_port"),
            frm_payload=base64.b64decode(arguments.get("payload", "")),
            confirmed=arguments.get("confirmed", False),
            ack=arguments.get("ack", False),
            data_rate=arguments.get("data_rate"),
        )
    elif entry.kind == "revoke_key":
        provider = simulator.providers[arguments["provider"]]
        if not provider.revoke_credential(arguments["key"]):
            raise KeyError(f"{arguments['provider']} has no credential {arguments['key']!r}")
    elif entry.kind == "session_reset":
        reset_session(simulator, arguments["device"])


def reset_session(simulator: TimelineTarget, device_id: str) -> None:
    """The device rejoined: a new session, and the downlinks queued for the old one are
    invalidated (their frame counters and keys no longer apply)."""
    device = simulator.network.get(device_id)
    old = device.session
    device.session = Session(dev_addr=(old.dev_addr + 1) if old else 0x26000001)
    invalidated = device.queue.snapshot()
    device.queue.replace([])
    simulator.network.emit("invalidated", device, invalidated, reason="session_reset")
