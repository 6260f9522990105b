"""The short JSON rows the dashboard's stream sends: one per device, one per exchange.

They are built from what the simulator already holds, without parsing bodies or copying
timelines, so a stream can afford them a few times a second while a burst of requests runs.
The whole exchange (bodies, headers, the nearest valid body) is fetched when a row is opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mockserver.clock import timestamp
from mockserver.journal import JournalEntry

if TYPE_CHECKING:
    from mockserver.core import Device
    from mockserver.simulator import Simulator


def device_summary(server: Simulator, device: Device) -> dict[str, Any]:
    """A device's row: what a person scanning the list wants (bearer, class, state, last
    uplink, queue length), the state in the words of what the network waits for.

    A device another bearer reaches (KPN's MQTT, SMS, HTTP) has no session, class or radio
    queue that means anything: its provider says its state and how many of its downlinks
    are in flight (`Provider.bearer_state`)."""
    state = server.world.scheduler.state(device)
    last_uplink = state.last_uplink
    queued = len(device.queue)
    provider = server.providers.get(device.provider)
    elsewhere = provider.bearer_state(device) if provider is not None else None
    if elsewhere is not None:
        status, queued = elsewhere
    else:
        status = _lora_state(server, device)
    return {
        "id": device.id,
        "provider": device.provider,
        "bearer": device.bearer,
        "dev_eui": device.dev_eui,
        "class": device.device_class.value,
        "band": device.band,
        "session": device.session is not None,
        "state": status,
        "last_uplink": timestamp(last_uplink.received_at) if last_uplink else None,
        "queued": queued,
    }


def _lora_state(server: Simulator, device: Device) -> str:
    scenario = server.scenario
    silent_until = scenario.unreachable_until(device.id) if scenario is not None else None
    if device.session is None:
        return "no session"
    if silent_until is not None:
        return f"silent until {timestamp(silent_until)}"
    if server.world.scheduler.state(device).awaiting_ack is not None:
        return "awaiting ack"
    if len(device.queue):
        return "queued"
    return "idle"


def exchange_summary(entry: JournalEntry) -> dict[str, Any]:
    """A journal row: the exchange, the rules it broke and its contract warnings (what the
    vendor accepted but dropped), without its bodies."""
    return {
        "sequence": entry.sequence,
        "at": timestamp(entry.at),
        "provider": entry.provider,
        "operation": entry.operation,
        "method": entry.request.method,
        "path": entry.request.path,
        "status": entry.response.status,
        "valid": not entry.violations,
        "violations": [
            {
                "direction": violation.direction,
                "where": violation.where,
                "rule": violation.rule,
                "message": violation.message,
            }
            for violation in entry.violations
        ],
        "warnings": [
            {
                "where": warning.where,
                "rule": warning.rule,
                "message": warning.message,
                "suggestion": warning.suggestion,
            }
            for warning in entry.warnings
        ],
        "scenario_rule": entry.scenario_rule,
    }
