"""A simulator's state as one JSON document, and back: GET and PUT /_mock/snapshot.

The server keeps everything in memory and a restart loses it. A snapshot lets a long manual
session be saved and restored, also into a freshly started server: the world in force (its
description, with the devices added at run time and without those removed), every device's
attributes, session, queue and scheduler memory, each provider's own state (its
`snapshot_state`), the clock, and the journal.

The document says what it is (`format`, `version`) and which providers' state it carries:
a provider that cannot export its own (the base class's `SnapshotUnsupported`) is named in
`providers_not_carried`, and on restore its devices come back as its world describes them,
with empty queues, rather than half restored.

A restore is tried on a world built aside first, with its own clock: a snapshot that cannot
be read or applied there is refused (`SnapshotError`) and the running world is untouched.
Only then is the same document applied to the live simulator.

Not carried: the scenario in force, the outbound delivery log, device event timelines and
contract findings. Nor are timers (they are code, not data): a downlink the scheduler had
taken for a radio window but not yet sent goes back to the head of its queue, and a
confirmed one awaiting its answer is still awaited.
"""

from __future__ import annotations

import base64
from contextlib import AbstractContextManager, nullcontext
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from mockserver.clock import RealClock, VirtualClock, timestamp
from mockserver.contract import ContractViolation, ContractWarning, HttpRequest, HttpResponse
from mockserver.core.snapshot import (
    BYTES_TAG,
    apply_device_json,
    decode_value,
    device_to_json,
    random_to_json,
    restore_random,
)
from mockserver.journal import JournalEntry
from mockserver.providers import Provider
from mockserver.providers.base import SnapshotUnsupported
from mockserver.providers.worlds import build_providers, read_world
from mockserver.world import World

if TYPE_CHECKING:
    from mockserver.simulator.simulator import Simulator

FORMAT = "mockserver-snapshot"
VERSION = 1
#: What a snapshot does not carry, said in every snapshot so that nobody has to guess.
NOT_CARRIED = (
    "the scenario in force",
    "the outbound delivery log",
    "device event timelines",
    "contract violations, warnings and coverage",
)


class SnapshotError(ValueError):
    """A snapshot that cannot be restored; the message names the field. Nothing changed."""


# -- export --------------------------------------------------------------------------------
def export_snapshot(
    simulator: Simulator,
    *,
    journal: bool = True,
    guard: AbstractContextManager[object] | None = None,
) -> dict[str, Any]:
    """The simulator's state as JSON values (`journal=False`: without the journal, for a
    small document). `guard` (the shell's lock) is held while the state is read, not while
    the journal's copy is written out: that is most of the work, and no request waits on it."""
    with guard or nullcontext():
        world = simulator.world
        now = simulator.clock.now_us()
        carried: dict[str, Any] = {}
        not_carried: dict[str, str] = {}
        for name, provider in simulator.providers.items():
            try:
                carried[name] = _plain(provider.snapshot_state())
            except SnapshotUnsupported as unsupported:
                not_carried[name] = str(unsupported)
        state = {
            "format": FORMAT,
            "version": VERSION,
            "clock": {"kind": simulator.clock.kind, "now": timestamp(now), "now_us": now},
            "world": {
                "origin": simulator.world_origin,
                "description": _plain(simulator.description),
                "random": random_to_json(world.random),
            },
            "devices": [device_to_json(device, world.scheduler) for device in world.network],
            "providers": carried,
            "providers_not_carried": not_carried,
        }
        entries = simulator.journal.entries() if journal else None
        last_sequence = simulator.journal.last_sequence
    state["journal"] = (
        {
            "last_sequence": last_sequence,
            "entries": [_entry_to_json(entry) for entry in entries],
        }
        if entries is not None
        else None
    )
    state["not_carried"] = list(NOT_CARRIED)
    return state


def _plain(value: Any) -> Any:
    """A world description as JSON: YAML may have read a date or timestamp as one."""
    if isinstance(value, datetime | date):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _entry_to_json(entry: JournalEntry) -> dict[str, Any]:
    request, response = entry.request, entry.response
    return {
        "sequence": entry.sequence,
        "at": entry.at,
        "provider": entry.provider,
        "operation": entry.operation,
        "scenario_rule": entry.scenario_rule,
        "request": {
            "method": request.method,
            "path": request.path,
            "query": request.query,
            "headers": dict(request.headers),
            "body": _body_to_json(request.body),
            "oversized": request.oversized,
            "warnings": [warning.to_json() for warning in request.warnings],
        },
        "response": {
            "status": response.status,
            "headers": dict(response.headers),
            "body": _body_to_json(response.body),
        },
        "violations": [violation.to_json() for violation in entry.violations],
    }


def _body_to_json(body: bytes) -> Any:
    """Text as text (most bodies are JSON), anything else tagged as base64."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return {BYTES_TAG: base64.b64encode(body).decode()}


# -- import --------------------------------------------------------------------------------
def restore_snapshot(
    simulator: Simulator, document: Any, *, guard: AbstractContextManager[object] | None = None
) -> dict[str, Any]:
    """Replace the simulator's state with a snapshot's; a summary of what came back.

    SnapshotError (nothing changed) for a document that is not a snapshot of this format,
    or that cannot be applied to a world built aside from it. Reading the document and the
    trial touch nothing of the simulator's: only the swap holds `guard` (the shell's lock)."""
    plan = _Plan.read(document)
    try:
        trial = World.build(plan.description, VirtualClock(plan.now))
        _apply(plan, trial, build_providers(trial))
    except SnapshotError:
        raise
    except Exception as problem:  # whatever a hand-edited document trips: a 400, not a 500
        raise SnapshotError(f"the snapshot cannot be restored: {_say(problem)}") from None
    with guard or nullcontext():
        try:
            _restore_live(simulator, plan)
        except Exception:  # proven aside, so not expected: never leave a half-restored world
            simulator.reset()
            raise
        carried = sorted(plan.providers)
        return {
            "status": "restored",
            "clock": {"kind": simulator.clock.kind, "now": timestamp(simulator.clock.now_us())},
            "devices": len(simulator.network),
            "queued": sum(len(device.queue) for device in simulator.network),
            "journal": len(simulator.journal),
            "providers": carried,
            "providers_not_carried": sorted(set(simulator.providers) - set(carried)),
        }


def _restore_live(simulator: Simulator, plan: _Plan) -> None:
    """Apply a plan already proven on a world built aside: as a reset does, then the state."""
    simulator.outbox.settle()
    clock = simulator.clock
    if isinstance(clock, VirtualClock):
        clock.reset(plan.now)
    elif isinstance(clock, RealClock):
        clock.reset()  # wall time goes on; queued_at and journal times keep their instants
    simulator.description = plan.description
    origin = plan.origin
    simulator.world_origin = origin if origin.startswith("snapshot of") else f"snapshot of {origin}"
    simulator.world_before_scenario = None
    simulator.scenario = None
    simulator.rebuild_world()
    simulator.journal.load(plan.journal, plan.last_sequence)
    simulator.outbox.clear()
    simulator.contract.log.clear()
    _apply(plan, simulator.world, simulator.providers)


def _apply(plan: _Plan, world: World, providers: dict[str, Provider]) -> None:
    """Devices the world already has get their saved state first, so a provider's own state
    can link to the queued downlinks it left (KPN's records hold their queue item's id);
    then the providers' state, which creates run-time devices; then those devices, and the
    removal of the devices the snapshot lacks."""
    restore_random(world.random, plan.random, "world.random")
    unknown = sorted(set(plan.providers) - set(providers))
    if unknown:
        raise SnapshotError(f"providers: {', '.join(unknown)} not in the snapshot's world")
    saved = {
        raw["id"]: raw for raw in plan.devices if raw["provider"] in plan.providers
    }  # a provider whose state is not carried: its world's start stands
    applied: set[str] = set()

    def apply_saved() -> None:
        for device_id, raw in saved.items():
            found = world.network.find(device_id)
            if device_id in applied or found is None:
                continue
            if found.provider != raw["provider"]:
                raise SnapshotError(
                    f"devices[{device_id}]: no such {raw['provider']} device in the "
                    "snapshot's world, nor added by its provider's state"
                )
            apply_device_json(found, world.scheduler, raw)
            applied.add(device_id)

    apply_saved()
    for name, state in plan.providers.items():
        if not isinstance(state, dict):
            raise SnapshotError(f"providers.{name} must be an object")
        providers[name].restore_state(state)
    apply_saved()
    missing = sorted(set(saved) - applied)
    if missing:
        raise SnapshotError(
            f"devices[{missing[0]}]: no such {saved[missing[0]]['provider']} device in the "
            "snapshot's world, nor added by its provider's state"
        )
    for device in list(world.network):
        if device.provider in plan.providers and device.id not in saved:
            providers[device.provider].delete_device(device)
    world.scheduler.reconsider()


class _Plan:
    """A snapshot document read and checked field by field (SnapshotError otherwise)."""

    def __init__(self, document: dict[str, Any]) -> None:
        clock = _field(document, "clock", dict)
        self.now: int = _field(clock, "now_us", int, "clock.")
        world = _field(document, "world", dict)
        self.origin = str(world.get("origin", "a snapshot"))
        try:
            self.description = read_world(_field(world, "description", dict, "world."))
        except ValueError as problem:
            raise SnapshotError(f"world.description: {_say(problem)}") from None
        self.random = world.get("random")
        self.devices: list[dict[str, Any]] = _field(document, "devices", list)
        for index, raw in enumerate(self.devices):
            if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
                raise SnapshotError(f"devices[{index}] must be an object with an `id`")
            if not isinstance(raw.get("provider"), str):
                raise SnapshotError(f"devices[{index}].provider must be a string")
        self.providers: dict[str, Any] = _field(document, "providers", dict)
        journal = document.get("journal")
        self.journal: list[JournalEntry] = []
        self.last_sequence = 0
        if journal is not None:
            if not isinstance(journal, dict):
                raise SnapshotError("journal must be an object or null")
            entries = _field(journal, "entries", list, "journal.")
            self.last_sequence = _field(journal, "last_sequence", int, "journal.")
            for index, raw in enumerate(entries):
                try:
                    self.journal.append(_entry_from_json(raw))
                except (KeyError, TypeError, ValueError, AttributeError) as problem:
                    raise SnapshotError(f"journal.entries[{index}]: {_say(problem)}") from None

    @classmethod
    def read(cls, document: Any) -> _Plan:
        if not isinstance(document, dict):
            raise SnapshotError("a snapshot is a JSON object (GET /_mock/snapshot gives one)")
        if document.get("format") != FORMAT:
            raise SnapshotError(f"not a snapshot: `format` must be {FORMAT!r}")
        version = document.get("version")
        if version != VERSION:
            raise SnapshotError(
                f"snapshot version {version!r} is not supported (this server reads {VERSION})"
            )
        return cls(document)


def _field(document: dict[str, Any], name: str, kind: type, prefix: str = "") -> Any:
    value = document.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise SnapshotError(f"{prefix}{name} must be {_KINDS[kind]}")
    return value


_KINDS: dict[type, str] = {dict: "an object", list: "a list", int: "an integer", str: "a string"}


def _say(problem: BaseException) -> str:
    """An exception's message, short (a KeyError's is the bare key)."""
    text = str(problem.args[0]) if problem.args else type(problem).__name__
    if isinstance(problem, KeyError):
        text = f"missing {text!r}"
    elif not isinstance(problem, ValueError):  # a TypeError or the like: say which
        text = f"{type(problem).__name__}: {text}"
    return text[:300]


def _entry_from_json(raw: dict[str, Any]) -> JournalEntry:
    request, response = raw["request"], raw["response"]
    return JournalEntry(
        sequence=_integer(raw["sequence"]),
        at=_integer(raw["at"]),
        provider=raw.get("provider"),
        operation=raw.get("operation"),
        request=HttpRequest(
            method=str(request["method"]),
            path=str(request["path"]),
            query=str(request.get("query", "")),
            headers={str(key): str(value) for key, value in request["headers"].items()},
            body=_body_from_json(request.get("body", "")),
            oversized=bool(request.get("oversized", False)),
            warnings=[ContractWarning(**warning) for warning in request.get("warnings", [])],
        ),
        response=HttpResponse(
            status=_integer(response["status"]),
            headers={str(key): str(value) for key, value in response["headers"].items()},
            body=_body_from_json(response.get("body", "")),
        ),
        violations=tuple(ContractViolation(**item) for item in raw.get("violations", [])),
        scenario_rule=raw.get("scenario_rule"),
    )


def _integer(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{value!r} is not an integer")
    return value


def _body_from_json(value: Any) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    decoded = decode_value(value)
    if not isinstance(decoded, bytes):
        raise ValueError("a body must be text or tagged bytes")
    return decoded
