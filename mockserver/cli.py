"""The `mockserver` command."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Mapping, Sequence
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
    add_document_limit_arguments,
    add_journal_arguments,
    add_serving_arguments,
    base_url,
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
    report = commands.add_parser("report", help="fetch a running server's contract report")
    report.add_argument("--url", type=base_url, help=url_help())
    report.add_argument(
        "--format", choices=REPORT_FORMATS, default="json", help="report format (default json)"
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
    return parser


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
    print(banner(server, args.host, bound), flush=True)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    ready = f"ready: http://{shown}:{bound}"
    # SIGTERM and SIGINT end `serve` gracefully (server.GracefulServer); a KeyboardInterrupt
    # can still come before its handlers are in place or after they are gone.
    with contextlib.suppress(KeyboardInterrupt):
        server.serve(args.host, bound, on_ready=lambda: print(ready, flush=True), sock=sock)
    return 0


def report(args: argparse.Namespace) -> int:
    url = args.url or environment_url()
    query = {"provider": args.provider or []}
    headers = {TENANT_HEADER: args.tenant} if args.tenant else {}
    if args.admin_token:
        headers[TOKEN_HEADER] = args.admin_token
    written = fetch_report(url, {**query, "format": args.format}, args.out, headers)
    if written or (args.cov_fail_under is None and not args.fail_on_violations):
        return written
    return judge_report(url, query, args.cov_fail_under, args.fail_on_violations, headers)


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
    if out:
        try:
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            Path(out).write_text(response.text, encoding="utf-8")
        except OSError as error:
            where = f" ({error.filename})" if error.filename not in (None, out) else ""
            return refuse(f"cannot write the report to {out}: {error.strerror or error}{where}")
    else:
        sys.stdout.write(response.text)
    return 0


def judge_report(
    url: str,
    query: Mapping[str, Any],
    minimum: float | None,
    no_violations: bool,
    headers: Mapping[str, str],
) -> int:
    """CI's gate on a run against a server: coverage and violations, from the JSON report."""
    from mockserver.reports import coverage_shortfall

    response = _get_report(url, {**query, "format": "json"}, headers)
    if response is None:
        return 1
    summary = response.json()["summary"]
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

    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}"
    clock = server.clock
    timing = (
        "virtual (POST /_mock/clock/advance)"
        if clock.kind == "virtual"
        else (f"real x{clock.speed:g}" if isinstance(clock, RealClock) else clock.kind)
    )
    lines = [
        f"mockserver {__version__} on {url}  (world: {server.world_origin})",
        f"time: {timing}; admin API: {url}/_mock/health",
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


def exposure(server: MockServer, host: str, url: str) -> list[str]:
    """The banner's word on who may come in: a warning when other machines can reach the
    port, since the admin API and dashboard can reset the server and read every credential.
    The token itself is never printed (logs keep banners)."""
    from mockserver.admin.guard import is_loopback

    token = server.access.token is not None
    lines = (
        [f"admin token: required in {TOKEN_HEADER}; dashboard: {url}/_mock/ui/#token=<token>"]
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
