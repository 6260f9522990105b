"""Contract reports for CI: JSON (everything, stable), JUnit XML and a Markdown summary.

One report covers every bundled operation: its documented statuses, which of them the run
exercised, the statuses it saw, and every violation with the offending request. Warnings
(requests the vendor accepts but almost certainly by mistake) are counted and listed apart:
they fail nothing unless the reader asks (`warnings_as_errors`).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from mockserver.contract import Contract, ContractLog
from mockserver.contract.operations import documented_status
from mockserver.defaults import REPORT_FORMATS

if TYPE_CHECKING:  # imported by the first JUnit report: the server's start needs none
    from xml.etree import ElementTree

REPORT_VERSION = 1
FORMATS = REPORT_FORMATS
#: The JUnit case of a request whose exchange ended without an HTTP answer (a scenario's
#: reset connection): it has no status to be counted under.
NO_ANSWER = "no HTTP answer"


def build_report(
    contract: Contract,
    log: ContractLog | None = None,
    providers_only: Collection[str] | None = None,
) -> dict[str, Any]:
    """The JSON report (`version` 1): per provider and operation, coverage and violations.

    `providers_only` narrows it (coverage too) to the vendors a team uses: 100 % of TTS is
    a goal, 100 % of every bundled API is not. Requests to undocumented routes stay in,
    whichever vendor they aimed at.
    """
    log = log or contract.log
    if providers_only is not None:
        unknown = set(providers_only) - {op.spec.provider for op in contract.operations()}
        if unknown:
            raise ValueError(f"no bundled API for provider(s) {', '.join(sorted(unknown))}")
    coverage = log.coverage()
    violations = [
        violation
        for violation in log.violations
        if providers_only is None
        or violation.operation is None
        or violation.operation.split(".", 1)[0] in providers_only
    ]
    warnings = [
        warning
        for warning in log.warnings
        if providers_only is None
        or warning.operation is None
        or warning.operation.split(".", 1)[0] in providers_only
    ]
    providers: dict[str, dict[str, Any]] = {}
    for operation in contract.operations():
        if providers_only is not None and operation.spec.provider not in providers_only:
            continue
        seen: dict[str, int] = {}
        covered: set[str] = set()
        for (key, documented, status), count in coverage.items():
            if key == operation.key:
                seen[str(status)] = seen.get(str(status), 0) + count
                covered.add(documented)
        provider = providers.setdefault(operation.spec.provider, {"operations": []})
        provider["operations"].append(
            {
                "operation": operation.key,
                "method": operation.method,
                "path": operation.path,
                "documented_statuses": sorted(operation.responses),
                "covered_statuses": sorted(covered & set(operation.responses)),
                "seen_statuses": seen,
                "violations": sum(1 for v in violations if v.operation == operation.key),
                "warnings": sum(1 for w in warnings if w.operation == operation.key),
            }
        )
    for provider in providers.values():
        operations = provider["operations"]
        provider["operations_total"] = len(operations)
        provider["operations_exercised"] = sum(1 for op in operations if op["seen_statuses"])
        provider["statuses_documented"] = sum(len(op["documented_statuses"]) for op in operations)
        provider["statuses_covered"] = sum(len(op["covered_statuses"]) for op in operations)
    total = sum(p["operations_total"] for p in providers.values())
    exercised = sum(p["operations_exercised"] for p in providers.values())
    return {
        "version": REPORT_VERSION,
        "summary": {
            "operations_total": total,
            "operations_exercised": exercised,
            "operation_coverage_percent": round(100 * exercised / total, 1) if total else 100.0,
            "violations": len(violations),
            "violations_dropped": log.dropped,
            "warnings": len(warnings),
            "warnings_dropped": log.warnings_dropped,
        },
        "providers": providers,
        "violations": [violation.to_json() for violation in violations],
        "warnings": [warning.to_json() for warning in warnings],
    }


def with_journal(report: dict[str, Any], journal: Mapping[str, int]) -> dict[str, Any]:
    """The report with the journal's figures (`Journal.stats()`): how many exchanges it
    keeps, and how many it evicted (oldest first, over its count or byte bound), so a reader
    knows when `/_mock/journal` no longer holds every exchange the report counts."""
    return {**report, "journal": dict(journal)}


#: The delivery worker's figures a report carries (`Delivery.stats()`).
DELIVERY_FIGURES = ("queued", "in_flight", "delivered", "failed", "dropped", "cancelled")


def with_delivery(report: dict[str, Any], stats: Mapping[str, Any]) -> dict[str, Any]:
    """The report with the server's outbound delivery figures (`delivery`): messages
    waiting and being sent, and how many were delivered, failed, dropped or cancelled."""
    report["delivery"] = {name: int(stats[name]) for name in DELIVERY_FIGURES}
    return report


def _delivery_lines(report: dict[str, Any]) -> list[str]:
    figures = report.get("delivery")
    if not figures:
        return []
    return [
        f"Outbound messages: {figures['delivered']} delivered, {figures['failed']} failed, "
        f"{figures['dropped']} dropped (queue full), {figures['cancelled']} cancelled "
        f"(reset); {figures['queued']} queued, {figures['in_flight']} being sent.",
        "",
    ]


def coverage_shortfall(summary: dict[str, Any], option: str) -> str:
    """Why a coverage gate failed, naming the option that set it, for the run's last lines."""
    return (
        f"mockserver: API coverage {summary['operation_coverage_percent']} % is under "
        f"{option} ({summary['operations_exercised']} of {summary['operations_total']} "
        "operations exercised)"
    )


def render(report: dict[str, Any], format: str, *, warnings_as_errors: bool = False) -> str:
    if format == "json":
        return json.dumps(report, indent=2) + "\n"
    if format == "junit":
        return to_junit(report, warnings_as_errors=warnings_as_errors)
    if format == "markdown":
        return to_markdown(report)
    raise ValueError(f"unknown report format {format!r} (one of {', '.join(FORMATS)})")


def to_junit(report: dict[str, Any], *, warnings_as_errors: bool = False) -> str:
    """One test case per operation x documented status: skipped when not exercised, failed
    when an exchange answered with that status broke the description (a request violation
    counts on the status the request was answered with, not on every status). A violation
    on a status the operation does not document, or on an exchange that got no HTTP answer,
    fails a case of its own, named after that status. A covered case's request warnings
    are its `system-out`, or failures too with `warnings_as_errors`."""
    from xml.etree import ElementTree

    suites = ElementTree.Element("testsuites", name="mockserver contract")
    by_operation: dict[str, list[dict[str, Any]]] = {}
    for violation in report["violations"]:
        by_operation.setdefault(str(violation["operation"]), []).append(violation)
    warned: dict[str, list[dict[str, Any]]] = {}
    for warning in report.get("warnings", []):
        warned.setdefault(str(warning["operation"]), []).append(warning)
    for name, provider in report["providers"].items():
        suite = ElementTree.SubElement(suites, "testsuite", name=name)
        cases = failures = skipped = 0
        for op in provider["operations"]:
            documented = op["documented_statuses"]
            broken = _by_status(by_operation.get(op["operation"], []), documented)
            statuses = [*documented, *sorted(broken.keys() - set(documented))]
            for status in statuses:
                cases += 1
                case = ElementTree.SubElement(
                    suite,
                    "testcase",
                    classname=op["operation"],
                    name=f"{op['method']} {op['path']} -> {status}",
                )
                violations = broken.get(status, [])
                covered = status in op["covered_statuses"]
                warnings = warned.get(op["operation"], []) if covered else []
                gating = warnings if warnings_as_errors else []
                if violations or gating:
                    failures += 1
                    counted = [f"{len(violations)} contract violation(s)"] if violations else []
                    counted += [f"{len(gating)} contract warning(s)"] if gating else []
                    failure = ElementTree.SubElement(case, "failure", message=", ".join(counted))
                    failure.text = "\n".join(
                        [
                            f"{v['method']} {v['path']}: {v['where']}: {v['message']} "
                            f"({v['spec_location']})"
                            for v in violations
                        ]
                        + _warning_lines(gating)
                    )
                elif not covered:
                    skipped += 1
                    ElementTree.SubElement(case, "skipped", message="not exercised")
                if warnings and not gating:
                    ElementTree.SubElement(case, "system-out").text = "\n".join(
                        _warning_lines(warnings)
                    )
        suite.set("tests", str(cases))
        suite.set("failures", str(failures))
        suite.set("skipped", str(skipped))
    unmatched = by_operation.get("None", [])
    if unmatched:
        suite = ElementTree.SubElement(
            suites, "testsuite", name="undocumented routes", tests="1", failures="1", skipped="0"
        )
        case = ElementTree.SubElement(
            suite, "testcase", classname="routes", name="requests to documented routes only"
        )
        failure = ElementTree.SubElement(
            case, "failure", message=f"{len(unmatched)} undocumented request(s)"
        )
        failure.text = "\n".join(f"{v['method']} {v['path']}: {v['message']}" for v in unmatched)
    _junit_journal(suites, report.get("journal"))
    return ElementTree.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _junit_journal(suites: ElementTree.Element, journal: dict[str, Any] | None) -> None:
    """The journal's figures as a suite of no test: its properties and one sentence. An
    eviction fails nothing; it says what the journal no longer holds."""
    from xml.etree import ElementTree

    if journal is None:
        return
    suite = ElementTree.SubElement(
        suites, "testsuite", name="journal", tests="0", failures="0", skipped="0"
    )
    properties = ElementTree.SubElement(suite, "properties")
    for name, value in journal.items():
        ElementTree.SubElement(properties, "property", name=f"journal.{name}", value=str(value))
    ElementTree.SubElement(suite, "system-out").text = journal_sentence(journal)


def journal_sentence(journal: Mapping[str, Any]) -> str:
    """The journal's figures in one sentence, for the Markdown and JUnit reports."""
    kept = (
        f"Journal: {journal['entries']} exchange(s) kept ({_mib(journal['bytes'])} of its "
        f"{_mib(journal['byte_budget'])} budget)"
    )
    if not journal["evicted_entries"]:
        return kept + "; none evicted."
    return (
        f"{kept}; {journal['evicted_entries']} evicted ({_mib(journal['evicted_bytes'])}), "
        "oldest first."
    )


def _mib(size: int) -> str:
    return f"{size / 1024**2:.1f} MiB"


def _by_status(
    violations: list[dict[str, Any]], documented: list[str]
) -> dict[str, list[dict[str, Any]]]:
    """An operation's violations under the documented status their exchange was answered
    with (`400`, `4XX`, `default`), else under that status itself or `no HTTP answer`."""
    found: dict[str, list[dict[str, Any]]] = {}
    for violation in violations:
        status = violation["status"]
        key = NO_ANSWER if status is None else documented_status(status, documented)
        found.setdefault(key or str(status), []).append(violation)
    return found


def _warning_lines(warnings: list[dict[str, Any]]) -> list[str]:
    return [f"{w['method']} {w['path']}: {w['where']}: warning: {w['message']}" for w in warnings]


def to_markdown(report: dict[str, Any]) -> str:
    summary = report["summary"]
    lines = [
        "# mockserver contract report",
        "",
        f"Operations exercised: **{summary['operations_exercised']} of "
        f"{summary['operations_total']}** ({summary['operation_coverage_percent']} %). "
        f"Violations: **{summary['violations']}**. Warnings: **{summary.get('warnings', 0)}**.",
        "",
        *_delivery_lines(report),
    ]
    if report.get("journal") is not None:
        lines += [journal_sentence(report["journal"]), ""]
    for name, provider in report["providers"].items():
        lines += [
            f"## {name}",
            "",
            f"{provider['operations_exercised']} of {provider['operations_total']} operations, "
            f"{provider['statuses_covered']} of {provider['statuses_documented']} documented "
            "statuses.",
            "",
            "| operation | documented | covered | seen | violations | warnings |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for op in provider["operations"]:
            seen = ", ".join(f"{s}×{n}" for s, n in sorted(op["seen_statuses"].items())) or "–"
            lines.append(
                f"| `{op['method']} {op['path']}` | {', '.join(op['documented_statuses'])} | "
                f"{', '.join(op['covered_statuses']) or '–'} | {seen} | {op['violations']} | "
                f"{op.get('warnings', 0)} |"
            )
        lines.append("")
    if report["violations"]:
        lines += ["## Violations", ""]
        for v in report["violations"][:100]:
            lines.append(
                f"- `{v['method']} {v['path']}` ({v['direction']}): `{v['where']}` "
                f"{v['message']} — `{v['spec_location']}`"
            )
        lines.append("")
    if report.get("warnings"):
        lines += ["## Warnings", ""]
        for w in report["warnings"][:100]:
            lines.append(
                f"- `{w['method']} {w['path']}`: `{w['where']}` {w['message']} — "
                f"`{w['spec_location']}`"
            )
        lines.append("")
    return "\n".join(lines)
