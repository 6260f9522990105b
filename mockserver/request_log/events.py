"""What the request log says: one event per API call, admin call, scenario act and delivery.

An event keeps the raw objects the simulator already holds (the journal's fields, the
outbound attempt) and turns them into words or JSON only when a handler formats it, so a
call that nobody logs costs one `isEnabledFor` check. `str(event)` is the plain text line,
for handlers other than serve's (pytest's log capture, a user's own logging set-up).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias

from mockserver.redaction import redact_query, redact_url
from mockserver.types import Micros

if TYPE_CHECKING:
    from mockserver.clock import Clock
    from mockserver.contract import (
        ContractViolation,
        ContractWarning,
        HttpRequest,
        HttpResponse,
    )
    from mockserver.outbound import OutboundAttempt

    #: What one exchange's contract check found: a broken rule, or a warning.
    Finding: TypeAlias = ContractViolation | ContractWarning

#: API calls. Its children carry the other events; all of them have a NullHandler, so that
#: outside `serve` (the pytest fixture, in-process use) nothing reaches Python's last-resort
#: stderr handler unless the application configured logging itself.
API = logging.getLogger("mockserver.requests")
ADMIN = logging.getLogger("mockserver.requests.admin")
SCENARIO = logging.getLogger("mockserver.requests.scenario")
OUTBOUND = logging.getLogger("mockserver.requests.outbound")
API.addHandler(logging.NullHandler())

#: An API call is logged at WARNING when it broke its description or drew a contract
#: warning, at INFO otherwise: so WARNING is the lowest level at which any call may need its
#: timing taken.
LOWEST_API_LEVEL = logging.WARNING
TENANT_HEADER = "x-mockserver-tenant"
_NOTE_LENGTH = 100
#: A warning's message ends with its suggestion ("did you mean `confirmed`?"): room for it.
_WARNING_LENGTH = 200
#: The rules of `ContractWarning`s (contract.records): advice, not a broken rule.
WARNING_RULES = frozenset({"undeclared-field", "missing-wrapper"})


class Style:
    """ANSI colours for a terminal; the plain style leaves text as it is."""

    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def paint(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour and text else text

    def status(self, status: int) -> str:
        if status == 0:  # no HTTP answer at all: a scenario cut the connection
            return self.paint("---", "31")
        code = "32" if status < 300 else "36" if status < 400 else "33" if status < 500 else "31"
        return self.paint(str(status), code)


PLAIN = Style(colour=False)


class Event:
    """One line of the log. Each kind has a `level` and `sim`, the simulator's clock at the
    event when that is not the wall clock (virtual time, or `--speed`)."""

    __slots__ = ()
    kind: ClassVar[str]
    level: int
    sim: Micros | None

    def fields(self) -> dict[str, Any]:
        raise NotImplementedError

    def text(self, style: Style) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.text(PLAIN)


def sim_time(clock: Clock, instant: Micros) -> Micros | None:
    """The simulated instant worth showing: only when it differs from the wall clock."""
    if clock.kind == "real" and getattr(clock, "speed", 1.0) == 1.0:
        return None
    return instant


class SecondsCache:
    """The text of one whole second, kept until the next: every line of the log has one or
    two instants, mostly within the same second. One tuple, so threads never see it torn."""

    def __init__(self, pattern: str, convert: Callable[[float], time.struct_time]) -> None:
        self.pattern = pattern
        self.convert = convert
        self.last: tuple[int, str] = (-1, "")

    def __call__(self, second: int) -> str:
        last = self.last
        if last[0] != second:
            last = self.last = (second, time.strftime(self.pattern, self.convert(second)))
        return last[1]


_utc_second = SecondsCache("%Y-%m-%dT%H:%M:%S", time.gmtime)


def iso(instant: Micros, seconds_cache: SecondsCache = _utc_second) -> str:
    """UTC to the millisecond, as the journal writes instants. Wall and simulated instants
    keep a cache each: mixed in one, each would push the other out."""
    seconds, micros = divmod(instant, 1_000_000)
    return f"{seconds_cache(seconds)}.{micros // 1000:03d}Z"


def is_warning(finding: Finding) -> bool:
    """A finding that is advice rather than a broken rule: a `ContractWarning` (kept on the
    request it judged), or a finding that says so by `severity` or `kind`."""
    return finding.rule in WARNING_RULES or "warning" in (
        getattr(finding, "severity", None),
        getattr(finding, "kind", None),
    )


def split_findings(
    findings: tuple[Finding, ...], warnings: Sequence[Finding] = ()
) -> tuple[list[Finding], list[Finding]]:
    """(violations, warnings) of one exchange: the journal's findings, and the warnings the
    contract layer kept on its request."""
    if not findings:  # most calls: nothing to sort
        return [], list(warnings)
    broken = [finding for finding in findings if not is_warning(finding)]
    advice = [finding for finding in findings if is_warning(finding)]
    return broken, advice + list(warnings)


def _note(broken: list[Finding], advice: list[Finding], style: Style) -> str:
    """The first violation and the first warning in a few words, each with how many more:
    a warning's message ends with what the client likely meant, so it is kept longer."""
    note = ""
    for found, label, code, length in (
        (broken, "violation", "31", _NOTE_LENGTH),
        (advice, "warning", "33", _WARNING_LENGTH),
    ):
        if not found:
            continue
        said = _said(found[0])
        message = said if len(said) <= length else (said[: length - 3] + "...")
        more = f" (+{len(found) - 1} more)" if len(found) > 1 else ""
        note += "  " + style.paint(f"{label}: {message}{more}", code)
    return note


def _said(finding: Finding) -> str:
    """`where: message`, as every reader of findings shows them: the message names no place.
    A field name is the client's: one with a lone surrogate (`"\\ud800"` in JSON) is shown
    escaped, since no stream can write it as UTF-8 and the line would be lost."""
    where = getattr(finding, "where", "")
    said = f"{where}: {finding.message}" if where else finding.message
    return said if said.isascii() else _writable(said)


def _writable(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _tenant(tenant: str | None, style: Style) -> str:
    return style.paint(f"[{tenant}] ", "35") if tenant else ""


# -- API calls ------------------------------------------------------------------------------
@dataclass(slots=True)
class Exchange(Event):
    """One simulated API call, from the journal's fields (journal.Journal.add)."""

    kind: ClassVar[str] = "request"
    journal: tuple[Any, ...]
    duration_ms: float
    tenant: str | None
    level: int = logging.INFO
    sim: Micros | None = None

    @property
    def request(self) -> HttpRequest:
        """The request as the journal shows it (credentials masked)."""
        from mockserver.journal import kept_request  # `--help` imports this module: no contract

        return kept_request(self.journal[4])

    @property
    def response(self) -> HttpResponse:
        """The response as the journal shows it (credentials masked)."""
        from mockserver.journal import kept_response

        return kept_response(self.journal[5])

    @property
    def status(self) -> int:
        return self.journal[5].status  # type: ignore[no-any-return]

    @property
    def method(self) -> str:
        return self.journal[4].method  # type: ignore[no-any-return]

    @property
    def path(self) -> str:
        return self.journal[4].path  # type: ignore[no-any-return]

    @property
    def query(self) -> str:
        """The query, its credentials masked."""
        return redact_query(self.journal[4].query)

    @property
    def findings(self) -> tuple[ContractViolation, ...]:
        return self.journal[6]  # type: ignore[no-any-return]

    def split(self) -> tuple[list[Finding], list[Finding]]:
        """(violations, warnings): the journal's findings and its request's warnings."""
        return split_findings(self.findings, self.journal[4].warnings)

    def fields(self) -> dict[str, Any]:
        journal = self.journal
        sequence, provider, operation = journal[0], journal[2], journal[3]
        broken, advice = self.split()
        first = broken or advice
        return {
            "tenant": self.tenant,
            "provider": provider,
            "method": self.method,
            "path": self.path,
            "query": self.query or None,
            "status": self.status,
            "duration_ms": round(self.duration_ms, 2),
            "operation": operation,
            "violations": len(broken),
            "warnings": len(advice),
            "finding": _said(first[0]) if first else None,
            "warning": _said(advice[0]) if advice else None,
            "scenario_rule": journal[7] if len(journal) > 7 else None,
            "journal_sequence": sequence,
        }

    def text(self, style: Style) -> str:
        provider = self.journal[2] or "-"
        rule = self.journal[7] if len(self.journal) > 7 else None
        acted = "  " + style.paint(f"scenario {rule!r}", "35") if rule else ""
        query = self.query
        target = f"{self.path}?{query}" if query else self.path
        return (
            f"{_tenant(self.tenant, style)}{style.paint(provider, '1')} {self.method} "
            f"{target} {style.status(self.status)} "
            f"{self.duration_ms:.1f} ms{acted}{_note(*self.split(), style)}"
        )


def exchange_level(
    findings: tuple[ContractViolation, ...], warnings: Sequence[ContractWarning] = ()
) -> int:
    """WARNING when the call broke its description or drew a contract warning (what `-q`
    keeps: a field the vendor drops is as worth a look as a broken rule), INFO otherwise."""
    return logging.WARNING if findings or warnings else logging.INFO


@dataclass(slots=True)
class AdminCall(Event):
    """A call to the admin API under /_mock: DEBUG, since it is the tests' own plumbing."""

    kind: ClassVar[str] = "admin"
    method: str
    path: str
    status: int
    duration_ms: float
    tenant: str | None
    level: int = logging.DEBUG
    sim: Micros | None = None

    def fields(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "duration_ms": round(self.duration_ms, 2),
        }

    def text(self, style: Style) -> str:
        return (
            f"{_tenant(self.tenant, style)}{style.paint('admin', '2')} {self.method} {self.path} "
            f"{style.status(self.status)} {self.duration_ms:.1f} ms"
        )


# -- scenario acts --------------------------------------------------------------------------
@dataclass(slots=True)
class RequestAct(Event):
    """A scenario rule acting on one API call (logged as it decides, before the answer)."""

    kind: ClassVar[str] = "scenario"
    rule: str
    acts: list[str]
    provider: str
    method: str
    path: str
    tenant: str | None
    level: int = logging.INFO
    sim: Micros | None = None

    def fields(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "rule": self.rule,
            "acts": self.acts,
            "provider": self.provider,
            "method": self.method,
            "path": self.path,
        }

    def text(self, style: Style) -> str:
        return (
            f"{_tenant(self.tenant, style)}{style.paint('scenario', '35')} {self.rule!r}: "
            f"{', '.join(self.acts)} on {self.provider} {self.method} {self.path}"
        )


@dataclass(slots=True)
class DeliveryAct(Event):
    """A scenario's delivery rule failing a downlink, MQTT publication or SMS."""

    kind: ClassVar[str] = "scenario"
    rule: str
    fault: str
    provider: str | None
    device_id: str
    level: int = logging.INFO
    sim: Micros | None = None

    def fields(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "acts": [self.fault],
            "provider": self.provider,
            "device_id": self.device_id,
        }

    def text(self, style: Style) -> str:
        provider = f"{self.provider} " if self.provider else ""
        return (
            f"{style.paint('scenario', '35')} {self.rule!r}: {self.fault} for "
            f"{provider}device {self.device_id}"
        )


# -- outbound deliveries --------------------------------------------------------------------
@dataclass(slots=True)
class Delivery(Event):
    """One outbound message tried: a webhook, an integration POST, a report."""

    kind: ClassVar[str] = "outbound"
    attempt: OutboundAttempt
    level: int = logging.INFO
    sim: Micros | None = None

    @property
    def delivered(self) -> bool:
        status = self.attempt.status
        return status is not None and 200 <= status < 300

    def fields(self) -> dict[str, Any]:
        attempt = self.attempt
        message = attempt.message
        return {
            "provider": message.provider,
            "message": message.kind,
            "device_id": message.device_id or None,
            "method": message.method,
            "url": redact_url(message.url),
            "status": attempt.status,
            "error": attempt.error,
            "delivered": self.delivered,
            "duration_ms": round(attempt.duration_ms, 2),
            "violations": len(attempt.violations),
        }

    def text(self, style: Style) -> str:
        attempt = self.attempt
        message = attempt.message
        head = (
            f"{style.paint('outbound', '36')} {style.paint(message.provider, '1')} "
            f"{message.kind} {message.method} {redact_url(message.url)} "
        )
        if attempt.status is None:
            outcome = style.paint(
                f"failed after {attempt.duration_ms:.1f} ms: {attempt.error}", "31"
            )
        else:
            outcome = f"{style.status(attempt.status)} {attempt.duration_ms:.1f} ms"
        count = len(attempt.violations)
        broke = style.paint(f"  broke its description ({count})", "31") if count else ""
        return head + outcome + broke


def delivery_level(attempt: OutboundAttempt) -> int:
    """A message the application did not take (no answer, or not 2xx) is worth a WARNING."""
    status = attempt.status
    return logging.INFO if status is not None and 200 <= status < 300 else logging.WARNING
