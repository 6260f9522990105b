"""The `mockserver` command."""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import random
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mockserver import __version__, request_log
from mockserver.cli_options import (
    MAX_SPEED,
    MIN_SPEED,
    Parser,
    UsageError,
    add_access_options,
    add_admin_token,
    add_delivery_options,
    add_document_limit_arguments,
    add_journal_arguments,
    add_serving_arguments,
    base_url,
    delivery_kwargs,
    document_limits,
    environment_port,
    environment_url,
    journal_options,
    percent,
    port,
    refuse,
    seconds,
    serving_limits,
    speed,
    url_help,
)
from mockserver.defaults import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    REPORT_FORMATS,
    TENANT_HEADER,
    TOKEN_HEADER,
)

# The server, uvicorn, starlette and httpx are imported by the commands that use them, never
# here: `mockserver --version` and `--help` build the parser alone (issue 21, start-up).
if TYPE_CHECKING:
    import httpx

    from mockserver.server import MockServer


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "serve":
            return serve(args)
        if args.command == "report":
            return report(args)
        if args.command == "wait":
            return wait_until_healthy(args.url or environment_url(), args.timeout)
        if args.command == "formatter":
            return formatter_run(args)
    except UsageError as error:
        return refuse(str(error))
    if args.scenario_command == "validate":
        from mockserver.safe_load import limits_applied

        with limits_applied(document_limits(args)):
            return validate_scenarios(args.files)
    return list_scenarios()


def _parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="mockserver",
        description="Offline simulator of IoT network servers' downlink APIs.",
    )
    parser.add_argument("--version", action="version", version=f"mockserver {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the simulated APIs over HTTP")
    serve.add_argument(
        "--host",
        default=os.environ.get("MOCKSERVER_HOST", DEFAULT_HOST),
        help=f"address to bind (default {DEFAULT_HOST}, or $MOCKSERVER_HOST)",
    )
    serve.add_argument(
        "--port",
        type=port,
        help=f"port, 0 for any free one (default {DEFAULT_PORT}, or $MOCKSERVER_PORT)",
    )
    serve.add_argument("--world", help="world file (default: the bundled default world)")
    serve.add_argument(
        "--scenario",
        help="a failure scenario in force from the start: a bundled name or a file "
        "(see `mockserver scenario list`)",
    )
    timing = serve.add_mutually_exclusive_group()
    timing.add_argument(
        "--speed",
        type=speed,
        default=1.0,
        help=f"run simulated time N times faster than the wall clock ({MIN_SPEED:g} to "
        f"{MAX_SPEED:.0f}; default 1)",
    )
    timing.add_argument(
        "--virtual-time",
        action="store_true",
        help="time moves only through POST /_mock/clock/advance",
    )
    request_log.add_arguments(serve)
    add_journal_arguments(serve)
    add_access_options(serve)
    add_document_limit_arguments(serve)
    add_serving_arguments(serve)
    add_delivery_options(serve)
    serve.add_argument(
        "--report",
        metavar="FILE",
        type=report_file,
        action="append",
        default=[],
        help="write the contract report here when the server stops (SIGTERM, SIGINT): "
        ".json, .xml (JUnit) or .md (Markdown) by the file's suffix (repeatable)",
    )
    report = commands.add_parser("report", help="fetch a running server's contract report")
    report.add_argument("--url", type=base_url, help=url_help())
    report.add_argument(
        "--format",
        choices=(*REPORT_FORMATS, "text"),
        default=None,
        help="report format: json, junit, markdown, or text (a summary for a person); "
        "default json, or text when a gate (--fail-on-violations, --cov-fail-under) "
        "writes to the terminal",
    )
    report.add_argument("--out", help="file to write (default: standard output)")
    report.add_argument(
        "--provider",
        action="append",
        help="only this vendor's APIs, coverage included (repeatable; default: all)",
    )
    report.add_argument(
        "--tenant", help="the report of this tenant (X-Mockserver-Tenant) instead of the home's"
    )
    add_admin_token(report)
    report.add_argument(
        "--cov-fail-under",
        metavar="N",
        type=percent,
        help="exit 1 when under N %% of the bundled operations were exercised",
    )
    report.add_argument(
        "--fail-on-violations",
        action="store_true",
        help="exit 1 when any request or response broke its API description",
    )
    wait = commands.add_parser("wait", help="wait until a server answers (for CI scripts)")
    wait.add_argument("--url", type=base_url, help=url_help())
    wait.add_argument("--timeout", type=seconds, default=30.0, help="seconds (default 30)")
    scenario = commands.add_parser("scenario", help="check and list failure scenarios")
    scenario_commands = scenario.add_subparsers(dest="scenario_command", required=True)
    validate = scenario_commands.add_parser("validate", help="check scenario files")
    validate.add_argument("files", nargs="+", metavar="FILE")
    add_document_limit_arguments(validate)
    scenario_commands.add_parser("list", help="the bundled scenarios and what they do")
    _add_formatter_parser(commands)
    return parser


# -- mockserver formatter run (docs/formatters.md) ----------------------------------------------
def _add_formatter_parser(commands: Any) -> None:
    formatter = commands.add_parser("formatter", help="run a payload formatter as TTS would")
    formatter_commands = formatter.add_subparsers(dest="formatter_command", required=True)
    run = formatter_commands.add_parser(
        "run",
        help="run a TTS JavaScript formatter on one input, without a device",
        description="Runs FILE as TTS runs a FORMATTER_JAVASCRIPT script and prints what "
        "TTS's formatter test route would answer (JSON). Exit 0; 1 when the script fails "
        "(TTS's error on stdout); 2 for bad arguments or a script that does not parse.",
    )
    run.add_argument("file", metavar="FILE", type=Path, help="the script (.js)")
    given = run.add_mutually_exclusive_group(required=True)
    given.add_argument("--uplink", metavar="HEX", help="uplink bytes: runs decodeUplink")
    given.add_argument("--downlink", metavar="HEX", help="downlink bytes: runs decodeDownlink")
    given.add_argument("--encode", metavar="JSON", help="a decoded_payload: runs encodeDownlink")
    run.add_argument("--f-port", type=int, default=1, metavar="N", help="FPort (default 1)")
    run.add_argument("--recv-time", metavar="RFC3339", help="the uplink's recvTime (default: now)")


def formatter_run(args: argparse.Namespace) -> int:
    from mockserver.formatters import engine, trial
    from mockserver.formatters.tts_errors import TTSError

    try:
        script = args.file.read_text(encoding="utf-8")
        uplink = bytes.fromhex(args.uplink) if args.uplink is not None else None
        downlink = bytes.fromhex(args.downlink) if args.downlink is not None else None
        encode = json.loads(args.encode) if args.encode is not None else None
        if encode is not None and not isinstance(encode, dict):
            raise ValueError("--encode takes a JSON object")
        recv_time = datetime.fromisoformat(args.recv_time) if args.recv_time else None
        answer = trial.run(
            script,
            f_port=args.f_port,
            uplink=uplink,
            downlink=downlink,
            encode=encode,
            recv_time=recv_time,
            name=args.file.name,
        )
    except TTSError as error:
        print(json.dumps(error.status_body(random.Random(0)), indent=2, ensure_ascii=False))
        return 1
    except (OSError, ValueError, engine.CompileError) as error:
        return refuse(str(error))
    print(json.dumps(answer, indent=2, ensure_ascii=False))
    return 0


def serve(args: argparse.Namespace) -> int:
    """Check everything, bind the port, and only then print the banner: a command that
    cannot serve says why in one line and prints nothing that looks like it started."""
    from mockserver.clock import Clock, RealClock, VirtualClock
    from mockserver.safe_load import limits_applied
    from mockserver.scenario.loading import ScenarioError, find_scenario
    from mockserver.server import MockServer, listening_socket
    from mockserver.world import WorldError

    chosen_port = environment_port() if args.port is None else args.port
    clock: Clock = VirtualClock() if args.virtual_time else RealClock(args.speed)
    limits = document_limits(args)
    try:
        server = MockServer(
            args.world,
            clock=clock,
            **journal_options(args),
            admin_token=args.admin_token,
            allow_hosts=args.allow_host,
            max_tenants=args.max_tenants,
            tenant_idle=args.tenant_idle,
            document_limits=limits,
            serving=serving_limits(args),
            **delivery_kwargs(args),
        )
    except WorldError as error:  # unreadable, invalid, or past a document limit
        return refuse(str(error))
    if args.scenario:
        try:
            with limits_applied(limits):
                server.default_scenario = find_scenario(args.scenario)
            server.reset()  # in force from the start, and again after each reset
        except ScenarioError as error:  # unreadable, past a limit, or naming absent devices
            return refuse(str(error))
    elif args.virtual_time:
        server.reset()  # start the virtual clock where the world says
    try:
        sock = listening_socket(args.host, chosen_port)
    except OSError as error:
        reason = error.strerror or str(error)
        return refuse(f"cannot listen on {args.host} port {chosen_port}: {reason}")
    bound = sock.getsockname()[1]
    request_log.install(args.log_format, args.log_level)
    shown_banner = banner_json if args.log_format == "json" else banner
    print(shown_banner(server, args.host, bound), flush=True)
    ready = ready_line(_served_url(args.host, bound), args.log_format)
    # What start-up built (modules, descriptions, the world) lives as long as this process:
    # the cyclic collector need not walk it in every full collection while serving, which
    # a store that grows with each request (KPN's) pays on every create. Not in `reset`:
    # a world a reset drops is collected as before, but for the first one, whose reference
    # cycles (if any) stay until `serve` ends.
    gc.freeze()
    # SIGTERM and SIGINT end `serve` gracefully (server.graceful_server); a KeyboardInterrupt
    # can still come before its handlers are in place or after they are gone.
    try:
        with contextlib.suppress(KeyboardInterrupt):
            server.serve(args.host, bound, on_ready=lambda: print(ready, flush=True), sock=sock)
    finally:
        gc.unfreeze()
        written = write_reports(server, args.report)
    return 0 if written else 1


#: The report format a `serve --report` file's suffix asks for.
REPORT_SUFFIXES = {".json": "json", ".xml": "junit", ".md": "markdown"}


def report_file(text: str) -> Path:
    path = Path(text)
    if path.suffix.lower() not in REPORT_SUFFIXES:
        raise argparse.ArgumentTypeError(
            f"{text!r}: a report file ends in {', '.join(REPORT_SUFFIXES)} (its format)"
        )
    return path


def write_reports(server: MockServer, paths: Sequence[Path]) -> bool:
    """The run's reports, written as the server stops: what a CI job that ran the server
    as a service reads afterwards. False (exit status 1) when one could not be written."""
    written = True
    for path in paths:
        try:
            path.write_text(server.host.report(REPORT_SUFFIXES[path.suffix.lower()]))
        except OSError as error:
            print(f"mockserver: cannot write the report {path}: {error}", file=sys.stderr)
            written = False
    return written


def report(args: argparse.Namespace) -> int:
    url = args.url or environment_url()
    query = {"provider": args.provider or []}
    headers = {TENANT_HEADER: args.tenant} if args.tenant else {}
    if args.admin_token:
        headers[TOKEN_HEADER] = args.admin_token
    gated = args.cov_fail_under is not None or args.fail_on_violations
    kind = args.format or ("text" if gated and not args.out else "json")
    if kind == "text":  # one fetch: the summary and the gates read the same report
        response = _get_report(url, {**query, "format": "json"}, headers)
        if response is None:
            return 1
        document = response.json()
        text = report_summary(document, url)
        written = _write(text, args.out) if args.out else _print(text)
        if written or not gated:
            return written
        return judge(document["summary"], args.cov_fail_under, args.fail_on_violations)
    written = fetch_report(url, {**query, "format": kind}, args.out, headers)
    if written or not gated:
        return written
    return judge_report(url, query, args.cov_fail_under, args.fail_on_violations, headers)


#: How many findings of each kind the text summary names; the JSON report has them all.
SUMMARY_FINDINGS = 10


def report_summary(document: Mapping[str, Any], url: str) -> str:
    """The report in a few lines for a person at a terminal (or a CI log): the figures, then
    the first findings, each as `METHOD path: where: message`, and where to find the rest."""
    summary = document["summary"]
    lines = [
        f"mockserver contract report ({url})",
        f"  operations exercised: {summary['operations_exercised']} of "
        f"{summary['operations_total']} ({summary['operation_coverage_percent']} %)",
        f"  violations: {summary['violations']}; warnings: {summary.get('warnings', 0)}",
    ]
    for title, found in (
        ("violations", document.get("violations") or []),
        ("warnings", document.get("warnings") or []),
    ):
        if not found:
            continue
        lines.append(f"{title}:")
        for finding in found[:SUMMARY_FINDINGS]:
            rule = f" [{finding['rule']}]" if finding.get("rule") else ""
            lines.append(
                f"  {finding['method']} {finding['path']}: {finding['where']}: "
                f"{finding['message']}{rule}"
            )
        if len(found) > SUMMARY_FINDINGS:
            lines.append(f"  ... and {len(found) - SUMMARY_FINDINGS} more")
    lines.append("(the whole report: --format json, junit or markdown)")
    return "\n".join(lines) + "\n"


def _print(text: str) -> int:
    sys.stdout.write(text)
    return 0


def _write(text: str, out: str) -> int:
    try:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text, encoding="utf-8")
    except OSError as error:
        where = f" ({error.filename})" if error.filename not in (None, out) else ""
        return refuse(f"cannot write the report to {out}: {error.strerror or error}{where}")
    return 0


def _get_report(
    url: str, query: Mapping[str, Any], headers: Mapping[str, str]
) -> httpx.Response | None:
    import httpx

    try:
        response = httpx.get(
            f"{url.rstrip('/')}/_mock/report", params=query, headers=headers, timeout=30
        )
    except httpx.HTTPError as error:
        print(f"mockserver: cannot fetch the report from {url}: {error}", file=sys.stderr)
        return None
    if response.status_code != 200:
        print(f"mockserver: the report from {url}: {response.text.strip()}", file=sys.stderr)
        return None
    return response


def fetch_report(
    url: str, query: Mapping[str, Any], out: str | None, headers: Mapping[str, str]
) -> int:
    """The same report `GET /_mock/report` gives, written where CI wants it."""
    response = _get_report(url, query, headers)
    if response is None:
        return 1
    return _write(response.text, out) if out else _print(response.text)


def judge_report(
    url: str,
    query: Mapping[str, Any],
    minimum: float | None,
    no_violations: bool,
    headers: Mapping[str, str],
) -> int:
    """CI's gate on a run against a server: coverage and violations, from the JSON report."""

    response = _get_report(url, {**query, "format": "json"}, headers)
    if response is None:
        return 1
    return judge(response.json()["summary"], minimum, no_violations)


def judge(summary: dict[str, Any], minimum: float | None, no_violations: bool) -> int:
    """1 when the report's summary fails a gate, each failure said on standard error."""
    from mockserver.reports import coverage_shortfall

    failed = False
    if minimum is not None and summary["operation_coverage_percent"] < minimum:
        print(coverage_shortfall(summary, f"--cov-fail-under={minimum:g}"), file=sys.stderr)
        failed = True
    if no_violations and summary["violations"]:
        print(f"mockserver: {summary['violations']} contract violation(s)", file=sys.stderr)
        failed = True
    return 1 if failed else 0


def wait_until_healthy(url: str, timeout: float) -> int:
    """Poll `/_mock/health` until it answers 200: a CI step can start `serve` in the
    background and go on only once the port is bound and the world loaded."""
    import httpx

    deadline = time.monotonic() + timeout
    health = f"{url.rstrip('/')}/_mock/health"
    while True:
        try:
            if httpx.get(health, timeout=2).status_code == 200:
                return 0
        except httpx.TransportError:
            pass  # not listening yet: poll again until the deadline
        if time.monotonic() >= deadline:
            print(f"mockserver: {health} did not answer within {timeout:g} s", file=sys.stderr)
            return 1
        time.sleep(0.1)


def validate_scenarios(files: Sequence[str]) -> int:
    """Each file checked against the language; problems say file:line:column and why.
    Exit status 1 when a file is not a valid scenario, 2 when one passes a document limit
    (size, values, depth, YAML aliases), as for `serve --scenario`."""
    from mockserver.scenario.loading import ScenarioError, ScenarioTooLarge, read_scenario

    failed = 0
    for name in files:
        try:
            scenario = read_scenario(name)
        except ScenarioTooLarge as error:
            print(f"{error}", file=sys.stderr)
            failed = max(failed, 2)
        except ScenarioError as error:
            print(f"{error}", file=sys.stderr)
            failed = max(failed, 1)
        else:
            print(
                f"{name}: ok ({scenario.name}: {len(scenario.rules)} rule(s), "
                f"{len(scenario.timeline)} timeline event(s))"
            )
    return failed


def list_scenarios() -> int:
    from mockserver.scenario.loading import bundled_scenarios

    for scenario in bundled_scenarios():
        summary = scenario.description.split("\n\n")[0].replace("\n", " ")
        print(f"{scenario.name:28} {summary}")
    return 0


def banner(server: MockServer, host: str, port: int) -> str:
    from mockserver.clock import RealClock

    """What `serve` prints before it serves: where, on which world and clock, the admin API
    and the dashboard, who may come in, and each vendor's base paths and credentials."""
    url = _served_url(host, port)
    clock = server.clock
    timing = (
        "virtual (POST /_mock/clock/advance)"
        if clock.kind == "virtual"
        else (f"real x{clock.speed:g}" if isinstance(clock, RealClock) else clock.kind)
    )
    lines = [
        f"mockserver {__version__} on {url}  (world: {server.world_origin})",
        f"time: {timing}; admin API: {url}/_mock/health",
        f"dashboard: {_dashboard(server, url)}",
    ]
    lines.extend(exposure(server, host, url))
    for provider in server.providers.values():
        lines.extend(provider.banner())
    if server.scenario is not None:
        scenario = server.scenario.scenario
        lines.append(
            f"scenario: {scenario.name} ({len(scenario.rules)} rule(s)) from {scenario.source}"
        )
    return "\n".join(lines)


def banner_json(server: MockServer, host: str, port: int) -> str:
    """The banner as one JSON line, for `--log-format json`: a log collector reads every
    line of the output as JSON. Each vendor's part is its text lines."""
    from mockserver.clock import RealClock

    url = _served_url(host, port)
    clock = server.clock
    scenario = server.scenario.scenario if server.scenario is not None else None
    return request_log.json_line(
        "banner",
        {
            "version": __version__,
            "url": url,
            "world": str(server.world_origin),
            "clock": {
                "kind": clock.kind,
                "speed": clock.speed if isinstance(clock, RealClock) else None,
            },
            "admin_api": f"{url}/_mock/health",
            "openapi": f"{url}/_mock/openapi.json",
            "dashboard": _dashboard(server, url),
            "admin_token_required": server.access.token is not None,
            "warnings": [line for line in exposure(server, host, url) if line.startswith("WARN")],
            "providers": {
                name: [line.strip() for line in provider.banner()]
                for name, provider in server.providers.items()
            },
            "scenario": None
            if scenario is None
            else {
                "name": scenario.name,
                "rules": len(scenario.rules),
                "source": str(scenario.source),
            },
        },
    )


def ready_line(url: str, log_format: str) -> str:
    """`ready: <url>` once the port accepts connections; in JSON for `--log-format json`,
    its `message` the same words, so that a job waiting for `ready: ` finds it either way."""
    if log_format == "json":
        return request_log.json_line("ready", {"url": url, "message": f"ready: {url}"})
    return f"ready: {url}"


def _served_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def _dashboard(server: MockServer, url: str) -> str:
    """The dashboard's address; with an admin token, where the page takes it (never the
    token itself: logs keep banners)."""
    page = f"{url}/_mock/ui/"
    return f"{page}#token=<token>" if server.access.token is not None else page


def exposure(server: MockServer, host: str, url: str) -> list[str]:
    """The banner's word on who may come in: a warning when other machines can reach the
    port, since the admin API and dashboard can reset the server and read every credential.
    The token itself is never printed (logs keep banners)."""
    from mockserver.admin.guard import is_loopback

    token = server.access.token is not None
    lines = (
        [f"admin token: required in {TOKEN_HEADER} (the dashboard takes it as #token=<token>)"]
        if token
        else []
    )
    if not is_loopback(host):
        lines.append(
            f"WARNING: {host} is reachable from other machines: the admin API and dashboard "
            "(/_mock: reset, scenarios, every credential) and the vendor APIs are open to them; "
            + (
                "the admin token guards /_mock"
                if token
                else "set --admin-token (or $MOCKSERVER_ADMIN_TOKEN) to guard /_mock"
            )
        )
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
