"""What the contract layer found: violations, warnings and coverage, kept for the whole run.

A reset of the world does not clear them (a suite that resets before each test still gets a
report of the whole run); it marks where the current test's findings begin. `clear()` (the
admin API's `POST /_mock/contract/clear`, or a reset asked to) forgets them."""

from __future__ import annotations

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


@dataclass(frozen=True, slots=True)
class ContractWarning:
    """A request the vendor accepts but that is almost certainly a mistake: a body field the
    description does not name (the service drops it), or fields that belong inside a wrapper
    the body lacks. The answer stays the vendor's; a warning fails nothing unless asked.

    `where` names the field (`body.downlinks[0].fport`) or, for a missing wrapper, the object
    it is missing from (`body`); `field` is the field sent, or the wrapper's name;
    `suggestion` what the client likely meant (`f_port`, `{"downlinks":[…]}`), when known.
    """

    operation: str | None
    where: str
    rule: str  # "undeclared-field" or "missing-wrapper"
    field: str
    message: str
    spec_location: str
    method: str
    path: str
    suggestion: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class ContractLog:
    """Violations and warnings in arrival order, and coverage as operation × documented
    status × actual.

    Written by one simulator call at a time (the shell serialises them); read from any
    thread through copies taken in one C-level step (`list`, `dict`), which a write on
    another thread cannot interleave with."""

    def __init__(self, max_violations: int = 10_000) -> None:
        self._violations: list[ContractViolation] = []
        self._warnings: list[ContractWarning] = []
        self._dropped = 0
        self._warnings_dropped = 0
        self._max = max_violations
        self._coverage: Counter[tuple[str, str, int]] = Counter()
        #: Where the findings since the last reset begin: (violations kept, dropped,
        #: warnings kept, warnings dropped) at that reset.
        self._mark = (0, 0, 0, 0)

    def mark(self) -> None:
        """A reset: the findings from here on are the current test's (`since_mark`)."""
        self._mark = (
            len(self._violations),
            self._dropped,
            len(self._warnings),
            self._warnings_dropped,
        )

    def violations_since_mark(self) -> tuple[list[ContractViolation], int]:
        """The violations since the last reset, and how many of them were dropped past the
        log's limit."""
        kept, dropped, _, _ = self._mark
        return self._violations[kept:], self._dropped - dropped

    def warnings_since_mark(self) -> tuple[list[ContractWarning], int]:
        """The warnings since the last reset, and how many of them were dropped."""
        _, _, kept, dropped = self._mark
        return self._warnings[kept:], self._warnings_dropped - dropped

    def record(self, violations: list[ContractViolation]) -> None:
        if not violations:
            return
        room = self._max - len(self._violations)
        self._violations.extend(violations[: max(room, 0)])
        self._dropped += max(len(violations) - max(room, 0), 0)

    def warn(self, warnings: list[ContractWarning]) -> None:
        if not warnings:
            return
        room = max(self._max - len(self._warnings), 0)
        self._warnings.extend(warnings[:room])
        self._warnings_dropped += max(len(warnings) - room, 0)

    def cover(self, operation: str, documented: str | None, status: int) -> None:
        key = (operation, documented or "undocumented", status)
        self._coverage[key] += 1

    @property
    def violations(self) -> list[ContractViolation]:
        return list(self._violations)

    @property
    def dropped(self) -> int:
        return self._dropped

    @property
    def warnings(self) -> list[ContractWarning]:
        return list(self._warnings)

    @property
    def warnings_dropped(self) -> int:
        return self._warnings_dropped

    def coverage(self) -> dict[tuple[str, str, int], int]:
        return dict(self._coverage)

    def clear(self) -> None:
        self._violations.clear()
        self._warnings.clear()
        self._coverage.clear()
        self._dropped = self._warnings_dropped = 0
        self._mark = (0, 0, 0, 0)

    def to_json(self) -> dict[str, Any]:
        """Everything the log holds, as JSON: how a pytest-xdist worker hands it over."""
        return {
            "violations": [violation.to_json() for violation in self.violations],
            "warnings": [warning.to_json() for warning in self.warnings],
            "coverage": [[*key, count] for key, count in self.coverage().items()],
            "dropped": self._dropped,
            "warnings_dropped": self._warnings_dropped,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], max_violations: int = 10_000) -> ContractLog:
        log = cls(max_violations)
        log.record([ContractViolation(**violation) for violation in data["violations"]])
        log.warn([ContractWarning(**warning) for warning in data.get("warnings", [])])
        for operation, documented, status, count in data["coverage"]:
            log._coverage[(operation, documented, status)] += count
        log._dropped += data["dropped"]
        log._warnings_dropped += data.get("warnings_dropped", 0)
        return log

    def absorb(self, other: ContractLog) -> None:
        """Add another log's findings to this one (a test session's total over its resets)."""
        coverage = other.coverage()
        self.record(other.violations)
        self.warn(other.warnings)
        self._coverage.update(coverage)
        self._dropped += other.dropped
        self._warnings_dropped += other.warnings_dropped
