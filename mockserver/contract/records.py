"""What the contract layer found: violations and coverage, kept per world and reset with it."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ContractViolation:
    """One way a request or response broke its API description.

    `where` names the part (`body.downlinks[0].f_port`, `query.limit`, `header.authorization`,
    `status`); `rule` the broken keyword (`maximum`, `required`, `undocumented-status`, …);
    `spec_location` the file and JSON pointer of the description it was checked against;
    `expected` the rule's own words there (the failing schema, trimmed), so a reader sees what
    a valid value looks like without opening the spec.
    """

    operation: str | None
    direction: str  # "request" or "response"
    where: str
    rule: str
    message: str
    spec_location: str
    method: str
    path: str
    status: int | None = None
    expected: Any = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class ContractLog:
    """Violations in arrival order and coverage as operation × documented status × actual."""

    def __init__(self, max_violations: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._violations: list[ContractViolation] = []
        self._dropped = 0
        self._max = max_violations
        self._coverage: Counter[tuple[str, str, int]] = Counter()

    def record(self, violations: list[ContractViolation]) -> None:
        if not violations:
            return
        with self._lock:
            room = self._max - len(self._violations)
            self._violations.extend(violations[: max(room, 0)])
            self._dropped += max(len(violations) - max(room, 0), 0)

    def cover(self, operation: str, documented: str | None, status: int) -> None:
        key = (operation, documented or "undocumented", status)
        with self._lock:
            self._coverage[key] += 1

    @property
    def violations(self) -> list[ContractViolation]:
        with self._lock:
            return list(self._violations)

    @property
    def dropped(self) -> int:
        return self._dropped

    def coverage(self) -> dict[tuple[str, str, int], int]:
        with self._lock:
            return dict(self._coverage)

    def clear(self) -> None:
        with self._lock:
            self._violations.clear()
            self._coverage.clear()
            self._dropped = 0

    def to_json(self) -> dict[str, Any]:
        """Everything the log holds, as JSON: how a pytest-xdist worker hands it over."""
        with self._lock:
            return {
                "violations": [violation.to_json() for violation in self._violations],
                "coverage": [[*key, count] for key, count in self._coverage.items()],
                "dropped": self._dropped,
            }

    @classmethod
    def from_json(cls, data: dict[str, Any], max_violations: int = 10_000) -> ContractLog:
        log = cls(max_violations)
        log.record([ContractViolation(**violation) for violation in data["violations"]])
        for operation, documented, status, count in data["coverage"]:
            log._coverage[(operation, documented, status)] += count
        log._dropped += data["dropped"]
        return log

    def absorb(self, other: ContractLog) -> None:
        """Add another log's findings to this one (a test session's total over its resets)."""
        coverage = other.coverage()
        self.record(other.violations)
        with self._lock:
            self._coverage.update(coverage)
            self._dropped += other.dropped
