"""A scenario's timeline, checked against the world it is to run in.

The simulator plays it (`mockserver.simulator.timeline`): instants become clock timers;
spans (`device_silent`, `gateway_outage`) are windows the engine consults.
"""

from __future__ import annotations

import fnmatch

from mockserver.scenario.loading import ONE_DEVICE_ACTS, ScenarioError
from mockserver.scenario.model import Scenario


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
