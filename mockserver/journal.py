"""The request journal: what clients sent, what they got, what broke the contract, and what
the vendor accepted but almost certainly dropped by mistake (warnings)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from mockserver import json_strict
from mockserver.clock import to_datetime
from mockserver.contract import ContractViolation, ContractWarning, HttpRequest, HttpResponse
from mockserver.types import Micros

_BODY_PREVIEW = 16 * 1024


@dataclass(frozen=True, slots=True)
class JournalEntry:
    sequence: int
    at: Micros
    provider: str | None
    operation: str | None
    request: HttpRequest
    response: HttpResponse
    violations: tuple[ContractViolation, ...]
    #: The scenario rule that acted on this exchange, if one did.
    scenario_rule: str | None = None

    @property
    def warnings(self) -> tuple[ContractWarning, ...]:
        """The contract layer's warnings, kept on the request it judged."""
        return tuple(self.request.warnings)

    def to_json(self) -> dict[str, Any]:
        return {
            "sequence": self.sequence,
            "at": to_datetime(self.at).isoformat().replace("+00:00", "Z"),
            "provider": self.provider,
            "operation": self.operation,
            "request": {
                "method": self.request.method,
                "path": self.request.path,
                "query": self.request.query,
                "headers": dict(self.request.headers),
                "body": _preview(self.request.body),
            },
            "response": {
                "status": self.response.status,
                "headers": dict(self.response.headers),
                "body": _preview(self.response.body),
            },
            "valid": not self.violations,
            "violations": [violation.to_json() for violation in self.violations],
            "warnings": [warning.to_json() for warning in self.request.warnings],
            "scenario_rule": self.scenario_rule,
        }


def _preview(body: bytes) -> Any:
    """JSON bodies as JSON, others as text, so the journal reads like the exchange did.
    Parsed strictly: a body nested too deeply for Python's stack is shown as text."""
    if not body:
        return None
    clipped = body[:_BODY_PREVIEW]
    try:
        return json_strict.loads(clipped)
    except ValueError:
        return clipped.decode("utf-8", "replace")


class Journal:
    """The last `capacity` exchanges, oldest first; bounded so a long run cannot exhaust memory.

    Exchanges are kept as plain tuples and become `JournalEntry`s when read: recording is on
    every request's path, reading is not. Writes come one simulator call at a time (the shell
    serialises them); a reader on another thread works on a copy taken in one C-level step
    (`tuple` of the deque), which no write can interleave with.
    """

    def __init__(self, capacity: int = 10_000) -> None:
        self._entries: deque[tuple[Any, ...]] = deque(maxlen=capacity)
        self._sequence = 0

    def record(
        self,
        at: Micros,
        provider: str | None,
        operation: str | None,
        request: HttpRequest,
        response: HttpResponse,
        violations: list[ContractViolation],
    ) -> JournalEntry:
        return JournalEntry(*self.add(at, provider, operation, request, response, violations))

    def add(
        self,
        at: Micros,
        provider: str | None,
        operation: str | None,
        request: HttpRequest,
        response: HttpResponse,
        violations: list[ContractViolation],
        scenario_rule: str | None = None,
    ) -> tuple[Any, ...]:
        """`record` for the request path: the entry's fields, not an entry."""
        self._sequence += 1
        fields: tuple[Any, ...] = (
            self._sequence,
            at,
            provider,
            operation,
            request,
            response,
            tuple(violations),
        )
        if scenario_rule is not None:
            fields += (scenario_rule,)
        self._entries.append(fields)
        return fields

    def entries(self) -> list[JournalEntry]:
        return [JournalEntry(*fields) for fields in tuple(self._entries)]

    @property
    def last_sequence(self) -> int:
        """The sequence of the latest exchange ever recorded (a clear does not rewind it)."""
        return self._sequence

    @property
    def capacity(self) -> int | None:
        return self._entries.maxlen

    def since(self, sequence: int, limit: int, *, broken: bool = False) -> list[JournalEntry]:
        """The newest `limit` entries recorded after `sequence` (only those that broke a rule,
        if `broken`), oldest first: what a live view has not seen yet. Read from the newest
        end, and only the entries returned are built, so it costs what is new and kept."""
        newer: list[tuple[Any, ...]] = []
        for fields in reversed(tuple(self._entries)):
            if fields[0] <= sequence or len(newer) == limit:
                break
            if fields[6] or not broken:  # fields[6]: the violations
                newer.append(fields)
        return [JournalEntry(*fields) for fields in reversed(newer)]

    def clear(self) -> None:
        self._entries.clear()

    def load(self, entries: list[JournalEntry], last_sequence: int) -> None:
        """Replace the journal with a snapshot's entries, keeping their sequence numbers."""
        self.clear()
        for entry in entries:
            self._sequence = entry.sequence - 1
            self.add(
                entry.at,
                entry.provider,
                entry.operation,
                entry.request,
                entry.response,
                list(entry.violations),
                entry.scenario_rule,
            )
        self._sequence = max(self._sequence, last_sequence)

    def __len__(self) -> int:
        return len(self._entries)
