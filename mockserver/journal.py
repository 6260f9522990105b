"""The request journal: what clients sent, what they got, what broke the contract, and what
the vendor accepted but almost certainly dropped by mistake (warnings).

Bounded twice: by count (`capacity`) and by bytes (`byte_budget`), oldest first, and it
counts what it evicted. A body over `body_limit` is kept truncated, with its length and
sha256, so that a burst of huge pushes costs the budget, not the machine. It keeps each
exchange as sent and masks its credentials (mockserver.redaction) when an entry is made of
it: every view of an exchange is made from the journal's entries, so none of them shows a
credential whole, and recording, on every request's path, does no masking.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from mockserver import json_strict
from mockserver.clock import to_datetime
from mockserver.contract import ContractViolation, ContractWarning, HttpRequest, HttpResponse
from mockserver.defaults import DEFAULT_BODY_LIMIT as DEFAULT_BODY_LIMIT
from mockserver.defaults import DEFAULT_BYTE_BUDGET as DEFAULT_BYTE_BUDGET
from mockserver.redaction import redact_body, redact_headers, redact_query
from mockserver.types import Micros

_BODY_PREVIEW = 16 * 1024
#: How many exchanges the journal keeps at most.
DEFAULT_CAPACITY = 10_000
#: What an exchange weighs beyond the characters of its bodies, headers, path and query: the
#: Python objects that hold them (a request, a response, their header dicts, the entry's
#: tuple). tracemalloc measured about 1.9 KiB for a TTS push; rounded up.
ENTRY_OVERHEAD = 2048
#: What one contract finding weighs (its strings, the schema excerpt it quotes).
FINDING_OVERHEAD = 512


@dataclass(frozen=True, slots=True)
class TruncatedBody:
    """A body the journal kept only the first `body_limit` bytes of: what it was."""

    length: int
    sha256: str


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
    #: The request's body as sent, when the journal kept it truncated.
    request_truncated: TruncatedBody | None = None
    #: The response's body as sent, when the journal kept it truncated.
    response_truncated: TruncatedBody | None = None

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
                **_body_json(self.request.body, self.request_truncated),
            },
            "response": {
                "status": self.response.status,
                "headers": dict(self.response.headers),
                **_body_json(self.response.body, self.response_truncated),
            },
            "valid": not self.violations,
            "violations": [violation.to_json() for violation in self.violations],
            "warnings": [warning.to_json() for warning in self.request.warnings],
            "scenario_rule": self.scenario_rule,
        }


def _body_json(body: bytes, truncated: TruncatedBody | None) -> dict[str, Any]:
    """The body's preview, and when that is not all of it, the whole body's length and
    sha256 (to compare with what the client meant to send)."""
    if truncated is None and len(body) > _BODY_PREVIEW:  # kept whole, shown clipped
        truncated = TruncatedBody(len(body), hashlib.sha256(body).hexdigest())
    return {
        "body": _preview(body),
        "body_length": truncated.length if truncated else len(body),
        "body_truncated": truncated is not None,
        "body_sha256": truncated.sha256 if truncated else None,
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
    """The last exchanges, oldest first, within `capacity` entries and `byte_budget` bytes;
    bounded so a long run, or a burst of huge bodies, cannot exhaust memory. The newest
    exchange is always kept, so the journal may pass its budget by one exchange (at most
    twice `body_limit` plus headers).

    Exchanges are kept as plain tuples and become `JournalEntry`s when read: recording is on
    every request's path, reading is not. Writes come one simulator call at a time (the shell
    serialises them); a reader on another thread works on a copy taken in one C-level step
    (`tuple` of the deque), which no write can interleave with.
    """

    def __init__(
        self,
        capacity: int = DEFAULT_CAPACITY,
        *,
        byte_budget: int = DEFAULT_BYTE_BUDGET,
        body_limit: int = DEFAULT_BODY_LIMIT,
    ) -> None:
        for name, value in (
            ("capacity", capacity),
            ("byte_budget", byte_budget),
            ("body_limit", body_limit),
        ):
            if value < 1:
                raise ValueError(f"the journal's {name} must be at least 1, not {value}")
        self._capacity = capacity
        self.byte_budget = byte_budget
        self.body_limit = body_limit
        self._entries: deque[tuple[Any, ...]] = deque()
        self._sizes: deque[int] = deque()
        self._bytes = 0
        self._sequence = 0
        self._evicted_entries = 0
        self._evicted_bytes = 0
        self._clears = 0

    def record(
        self,
        at: Micros,
        provider: str | None,
        operation: str | None,
        request: HttpRequest,
        response: HttpResponse,
        violations: list[ContractViolation],
    ) -> JournalEntry:
        return entry(self.add(at, provider, operation, request, response, violations))

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
        """`record` for the request path: the entry's fields, not an entry. The caller's
        request and response are not changed. What is kept is what the views need, as sent
        (`SentRequest`: not the request object, whose parsed JSON can weigh many times the body),
        each body within `body_limit`; it is redacted when an entry is made of it (`entry`),
        which every view of the journal goes through: recording is on every request's
        path, reading is not (issue 21)."""
        self._sequence += 1
        body, request_truncated = self._keep_body(request.body)
        sent = SentRequest(
            request.method,
            request.path,
            request.query,
            request.headers,
            body,
            request.oversized,
            request.violations or _NONE,  # kept for the journal's 10 000 entries: no
            request.warnings or _NONE,  # empty lists for the garbage collector to walk
        )
        answer, response_truncated = self._keep_body(response.body)
        if answer is not response.body:
            response = HttpResponse(response.status, response.headers, answer)
        fields: tuple[Any, ...] = (
            self._sequence,
            at,
            provider,
            operation,
            sent,
            response,
            tuple(violations),
        )
        if scenario_rule is not None or request_truncated or response_truncated:
            fields += (scenario_rule,)
        if request_truncated or response_truncated:
            fields += (request_truncated, response_truncated)
        headers = request.headers
        answered = response.headers
        size = (
            ENTRY_OVERHEAD
            + len(request.path)
            + len(request.query)
            + len(body)
            + sum(map(len, headers))
            + sum(map(len, headers.values()))
            + len(answer)
            + sum(map(len, answered))
            + sum(map(len, answered.values()))
            + FINDING_OVERHEAD * (len(violations) + len(request.warnings))
        )
        self._entries.append(fields)
        self._sizes.append(size)
        self._bytes += size
        self._evict()
        return fields

    def _keep_body(self, body: bytes) -> tuple[bytes, TruncatedBody | None]:
        if len(body) <= self.body_limit:
            return body, None
        return body[: self.body_limit], TruncatedBody(len(body), hashlib.sha256(body).hexdigest())

    def _evict(self) -> None:
        """Oldest first, until within both bounds; the newest exchange stays."""
        entries, sizes = self._entries, self._sizes
        while len(entries) > 1 and (
            self._bytes > self.byte_budget or len(entries) > self._capacity
        ):
            entries.popleft()
            size = sizes.popleft()
            self._bytes -= size
            self._evicted_entries += 1
            self._evicted_bytes += size

    def entries(self) -> list[JournalEntry]:
        return [entry(fields) for fields in tuple(self._entries)]

    @property
    def last_sequence(self) -> int:
        """The sequence of the latest exchange ever recorded (a clear does not rewind it)."""
        return self._sequence

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def bytes(self) -> int:
        """What the kept exchanges weigh, as the budget counts it."""
        return self._bytes

    @property
    def evicted_entries(self) -> int:
        """Exchanges evicted (over `capacity` or `byte_budget`) since the journal was last
        cleared."""
        return self._evicted_entries

    @property
    def evicted_bytes(self) -> int:
        """What the evicted exchanges weighed, as the budget counts it."""
        return self._evicted_bytes

    def stats(self) -> dict[str, int]:
        """What the journal holds and what it let go, for reports and the admin API."""
        return {
            "entries": len(self._entries),
            "bytes": self._bytes,
            "capacity": self._capacity,
            "byte_budget": self.byte_budget,
            "body_limit": self.body_limit,
            "evicted_entries": self._evicted_entries,
            "evicted_bytes": self._evicted_bytes,
        }

    def stats_headers(self) -> dict[str, str]:
        """What `GET /_mock/journal` says of the journal beside its entries, as headers (the
        body stays the list of entries it always was)."""
        return {
            "x-mockserver-journal-bytes": str(self._bytes),
            "x-mockserver-journal-evicted-entries": str(self._evicted_entries),
            "x-mockserver-journal-evicted-bytes": str(self._evicted_bytes),
        }

    def since(self, sequence: int, limit: int, *, broken: bool = False) -> list[JournalEntry]:
        """The newest `limit` entries recorded after `sequence` (only those that broke a rule
        or drew a contract warning, if `broken`), oldest first: what a live view has not seen
        yet. Read from the newest end, and only the entries returned are built, so it costs
        what is new and kept."""
        newer: list[tuple[Any, ...]] = []
        for fields in reversed(tuple(self._entries)):
            if fields[0] <= sequence or len(newer) == limit:
                break
            if fields[6] or fields[4].warnings or not broken:  # violations, warnings
                newer.append(fields)
        return [entry(fields) for fields in reversed(newer)]

    def clear(self) -> None:
        """Forget every exchange, and the count of those evicted: a fresh journal."""
        self._entries.clear()
        self._sizes.clear()
        self._bytes = self._evicted_entries = self._evicted_bytes = 0
        self._clears += 1

    @property
    def clears(self) -> int:
        """How many times the journal was emptied: a live view that saw another count knows
        its rows are gone, whatever was recorded since."""
        return self._clears

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


class SentRequest(NamedTuple):
    """A request as the journal keeps it (`Journal.add`): as sent, its body within the
    journal's `body_limit`, named as `HttpRequest` names them. Redacted when shown
    (`kept_request`)."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes
    oversized: bool
    violations: Sequence[ContractViolation]
    warnings: Sequence[ContractWarning]


#: A kept request's findings when it has none (most requests).
_NONE: tuple[()] = ()


def entry(fields: tuple[Any, ...]) -> JournalEntry:
    """The entry of a journal's fields (`Journal.add`), its credentials masked."""
    sequence, at, provider, operation, sent, response, violations, *rest = fields
    return JournalEntry(
        sequence,
        at,
        provider,
        operation,
        kept_request(sent),
        kept_response(response),
        violations,
        *rest,
    )


def kept_request(sent: SentRequest | HttpRequest) -> HttpRequest:
    """A kept request as the journal shows it: credentials masked, no parsed JSON."""
    return HttpRequest(
        sent.method,
        sent.path,
        redact_query(sent.query),
        redact_headers(sent.headers, lower_case=True),
        redact_body(sent.body),
        oversized=sent.oversized,
        violations=list(sent.violations),
        warnings=list(sent.warnings),
    )


def kept_response(response: HttpResponse) -> HttpResponse:
    """A kept response as the journal shows it: credentials masked."""
    body = redact_body(response.body)
    headers = redact_headers(response.headers)
    if body is response.body and headers is response.headers:
        return response
    return HttpResponse(response.status, headers, body)
