"""The request log: one line per API call, scenario act and outbound message, as it happens.

Through the real CLI for one text and one JSON line; in-process for the details, with the
log written to a string instead of standard output.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from mockserver.contract import ContractViolation, HttpRequest, HttpResponse
from mockserver.request_log import add_arguments, install, uninstall
from mockserver.request_log.console import wants_colour
from mockserver.request_log.events import Exchange, exchange_level
from mockserver.request_log.formatting import JsonFormatter, TextFormatter
from mockserver.server import MockServer
from tests.conftest import AUTH, WEBHOOK_DOWN
from tests.providers.tts_outbound.test_webhooks_end_to_end import Application
from tests.scenario.test_acts import ONE, PUSH, push, scenario
from tests.serving import Output
from tests.test_cli import free_port, serving

pytestmark = pytest.mark.mockserver_allow_violations
WALL = r"\d\d:\d\d:\d\d\.\d{3}"
BAD_PORT = {"downlinks": [{"f_port": 300, "frm_payload": "AQ=="}]}
TOO_BIG = "body.downlinks[0].f_port: must be smaller than or equal to 255"


class Log:
    """What `serve` would print, written to a string."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    def lines(self) -> list[str]:
        return self.stream.getvalue().splitlines()

    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.lines()]


@pytest.fixture
def log() -> Iterator[Callable[..., Log]]:
    handlers = []

    def start(level: str = "info", log_format: str = "text", colour: bool = False) -> Log:
        written = Log()
        handlers.append(install(log_format, level, written.stream, colour))
        return written

    yield start
    for handler in handlers:
        uninstall(handler)


# -- through the CLI -----------------------------------------------------------------------
def test_serve_prints_one_text_line_per_call_and_none_from_uvicorn():
    port = free_port()
    with serving("--port", str(port), "--virtual-time") as process:
        output = Output(process)
        output.until_ready()
        url = f"http://127.0.0.1:{port}"
        httpx.post(url + PUSH, headers=AUTH, json=ONE)
        first = output.next_line()
        httpx.post(url + PUSH, headers=AUTH, json=BAD_PORT)
        second = output.next_line()  # uvicorn's access log would have come in between
    assert re.fullmatch(
        rf"{WALL} sim 2026-01-01T00:00:00\.000Z tts POST {re.escape(PUSH)} 200 \d+\.\d ms\n",
        first,
    )
    assert re.fullmatch(rf"{WALL} .* 400 \d+\.\d ms  violation: {re.escape(TOO_BIG)}\n", second)
    assert "\x1b[" not in first + second  # a pipe is not a terminal: no colour


def test_serve_json_lines_for_a_log_collector():
    port = free_port()
    with serving("--port", str(port), "--log-format", "json") as process:
        output = Output(process)
        output.until_ready()
        httpx.post(
            f"http://127.0.0.1:{port}{PUSH}",
            headers={**AUTH, "X-Mockserver-Tenant": "team-a"},
            json=BAD_PORT,
        )
        line = json.loads(output.next_line())
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line.pop("time"))
    assert isinstance(line.pop("duration_ms"), float)
    assert "sim_time" not in line  # the real clock at speed 1: the wall time says it
    assert line == {
        "level": "warning",
        "event": "request",
        "tenant": "team-a",
        "provider": "tts",
        "method": "POST",
        "path": PUSH,
        "query": None,
        "status": 400,
        "operation": "tts.WebhookDownlinkQueuePush",
        "violations": 1,
        "warnings": 0,
        "finding": TOO_BIG,
        "warning": None,
        "scenario_rule": None,
        "journal_sequence": 1,
    }


def test_quiet_is_the_warning_level_and_the_last_option_wins():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert parser.parse_args(["-q"]).log_level == "warning"
    assert parser.parse_args(["--quiet", "--log-level", "DEBUG"]).log_level == "debug"


def test_an_unknown_log_level_in_the_environment_is_refused():
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", "serve", "--port", "1"],
        capture_output=True,
        text=True,
        env={**os.environ, "MOCKSERVER_LOG_LEVEL": "loud"},
    )
    assert result.returncode == 2
    assert "invalid choice: 'loud' (choose from debug, info, warning, error, off)" in result.stderr


def test_in_process_use_prints_nothing_for_a_call_that_broke_the_contract():
    """No handler but serve's: Python's last resort would print WARNING lines on stderr."""
    code = (
        "from mockserver.server import MockServer\n"
        "with MockServer().client() as client:\n"
        f"    assert client.post({PUSH!r}, headers={AUTH!r}, json={BAD_PORT!r}).status_code == 400"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


# -- API calls -----------------------------------------------------------------------------
def test_quiet_keeps_only_the_calls_that_broke_their_description(server, client, log):
    written = log("warning")
    push(client)
    push(client, json=BAD_PORT)
    (line,) = written.lines()
    assert f"tts POST {PUSH} 400 " in line and TOO_BIG in line


def test_off_says_nothing_at_all(server, client, log):
    written = log("off")
    push(client, json=BAD_PORT)
    assert written.lines() == []


def test_the_first_finding_in_a_few_words_and_how_many_more():
    first = ContractViolation(None, "request", "body", "maximum", "x" * 150, "", "POST", "/p")
    second = ContractViolation(None, "request", "query", "type", "short", "", "POST", "/p")
    fields = (1, 0, "tts", None, _request(), _response(400), (first, second, second))
    line = str(Exchange(fields, 1.25, None))
    assert line.endswith(f"400 1.2 ms  violation: body: {'x' * 91}... (+2 more)")


@dataclass(frozen=True)
class Advice(ContractViolation):
    """A finding that says it is advice by a severity besides the rule."""

    severity: str = "warning"


def test_a_warning_is_shown_after_violations_and_keeps_the_call_at_warning_level():
    advice = Advice(None, "request", "header", "deprecated", "old header", "", "GET", "/p")
    broken = ContractViolation(None, "request", "body", "maximum", "too big", "", "GET", "/p")
    both = Exchange((1, 0, "tts", None, _request(), _response(400), (advice, broken)), 1, None)
    assert str(both).endswith("  violation: body: too big  warning: header: old header")
    alone = Exchange((1, 0, "tts", None, _request(), _response(200), (advice,)), 1, None)
    assert str(alone).endswith("  warning: header: old header")
    assert alone.fields()["warnings"] == 1 and alone.fields()["violations"] == 0
    assert exchange_level((advice,)) == logging.WARNING  # `-q` keeps warnings
    assert exchange_level((advice, broken)) == logging.WARNING
    assert exchange_level(()) == logging.INFO


def test_tenant_query_and_simulated_time(server, client, log):
    written = log()
    server.clock.advance(90)
    client.get(
        "/api/v3/as/applications/app1/devices/dev1/down",
        params={"field_mask": "x"},
        headers={**AUTH, "X-Mockserver-Tenant": "acme"},
    )
    (line,) = written.lines()
    assert re.match(
        rf"{WALL} sim 2026-01-01T00:00:00\.000Z \[acme\] tts GET "
        r"/api/v3/as/applications/app1/devices/dev1/down\?field_mask=x ",
        line,
    )  # the tenant's own clock, still at its start


def test_admin_calls_are_debug(server, client, log):
    info, debug = log("info"), log("debug", "json")
    client.post("/_mock/clock/advance", json={"seconds": 5})
    assert info.lines() == []
    (line,) = debug.records()
    assert (line["event"], line["method"], line["path"], line["status"]) == (
        "admin",
        "POST",
        "/_mock/clock/advance",
        200,
    )
    assert line["sim_time"] == "2026-01-01T00:00:05.000Z"


def test_calls_outside_every_provider_are_logged_too(server, client, log):
    written = log()
    client.get("/nowhere")
    (line,) = written.lines()
    assert " - GET /nowhere 404 " in line


def test_concurrent_calls_each_get_their_own_line(server, log):
    """A call delayed on the wire by a scenario is logged once sent, with its own answer,
    not the one of the call answered meanwhile on the same event loop."""
    server.load_scenario(
        scenario(
            {"match": {"params": {"device_id": "dev1"}}, "act": {"latency": {"fixed": "50ms"}}}
        )
    )
    written = log()

    async def both() -> list[int]:
        async with server.async_client() as client:
            slow = client.post(PUSH, headers=AUTH, json=ONE)
            fast = client.post(
                WEBHOOK_DOWN.format(device="dev2", op="push"), headers=AUTH, json=BAD_PORT
            )
            return [r.status_code for r in await asyncio.gather(slow, fast)]

    assert asyncio.run(both()) == [200, 400]
    lines = written.lines()
    (act,) = [line for line in lines if " scenario 'rule 1': " in line]
    (fast,) = [line for line in lines if "/devices/dev2/down/push " in line]
    (slow,) = [line for line in lines if line.endswith("  scenario 'rule 1'")]
    assert act.endswith(f"scenario 'rule 1': latency 50 ms on tts POST {PUSH}")
    assert " 400 " in fast and TOO_BIG in fast
    assert f"{PUSH} 200 " in slow and "violation" not in slow
    assert float(slow.split(" 200 ")[1].split()[0]) >= 50  # the latency the client waited


# -- scenario acts -------------------------------------------------------------------------
def test_an_injected_error_has_its_own_line(server, client, log):
    server.load_scenario(scenario({"act": {"respond": {"error": "tts: peer_unavailable"}}}))
    written = log()
    push(client)
    act, call = written.lines()
    assert act.endswith(
        f"scenario 'rule 1': injected error peer_unavailable: 503 on tts POST {PUSH}"
    )
    assert f"{PUSH} 503 " in call and " ms  scenario 'rule 1'" in call


def test_a_delivery_fault_has_its_own_line(server, client, log):
    server.load_scenario(scenario({"match": {}, "act": {"delivery": "gateway_failure"}}))
    written = log("info", "json")
    push(client)
    server.uplink("app1.dev1")
    server.clock.advance(10)
    act = [line for line in written.records() if line["event"] == "scenario"]
    assert [(a["rule"], a["acts"], a["provider"], a["device_id"]) for a in act] == [
        ("rule 1", ["gateway_failure"], "tts", "app1.dev1")
    ]


# -- outbound messages ---------------------------------------------------------------------
def webhook_world(base_url: str) -> dict:
    return {
        "tts": {
            "api_keys": [{"key": "NNSXS.XXXXXXXXX", "application": "app1"}],
            "applications": [
                {
                    "id": "app1",
                    "webhooks": [
                        {"id": "wh1", "base_url": base_url, "uplink_message": {"path": "/up"}}
                    ],
                    "devices": [{"id": "dev1", "session": {"dev_addr": "260B0001"}}],
                }
            ],
        }
    }


def test_a_delivered_webhook_is_info(log):
    application = Application()
    try:
        server = MockServer(webhook_world(application.url))
        written = log("info")
        server.uplink("app1.dev1")
        assert server.outbound.flush()
    finally:
        application.http.shutdown()
    (line,) = written.lines()
    assert re.fullmatch(
        rf"{WALL} sim 2026-01-01T00:00:00\.000Z outbound tts uplink_message POST "
        rf"{application.url}/up 204 \d+\.\d ms",
        line,
    )


def test_a_failed_webhook_is_a_warning_with_its_error(log):
    url = f"http://127.0.0.1:{free_port()}"  # nobody listens
    server = MockServer(webhook_world(url))
    quiet = log("warning", "json")
    server.uplink("app1.dev1")
    assert server.outbound.flush()
    server.outbound.close()
    (line,) = quiet.records()
    assert (line["level"], line["event"], line["message"], line["url"]) == (
        "warning",
        "outbound",
        "uplink_message",
        url + "/up",
    )
    assert (line["status"], line["delivered"]) == (None, False)
    assert line["error"].startswith("ConnectError")


# -- the simulator's own records -----------------------------------------------------------
def test_other_records_of_the_simulator_share_the_format(log):
    text, machine = log("info"), log("info", "json")
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("mockserver").exception("handler failed for GET /x")
    (head, *trace) = text.lines()
    assert re.fullmatch(rf"{WALL} ERROR mockserver: handler failed for GET /x", head)
    assert trace[-1] == "ValueError: boom"
    (record,) = machine.records()
    assert (record["event"], record["level"], record["logger"]) == ("log", "error", "mockserver")
    assert record["exception"].endswith("ValueError: boom")


def test_colour_on_a_terminal_only():
    record = logging.LogRecord("mockserver.requests", logging.INFO, "", 0, "", (), None)
    record.msg = Exchange((1, 0, "tts", None, _request(), _response(404), ()), 1.0, None)
    assert "\x1b[33m404\x1b[0m" in TextFormatter(colour=True).format(record)
    assert "\x1b[" not in TextFormatter(colour=False).format(record)

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert wants_colour(Terminal()) and not wants_colour(io.StringIO())


def test_no_color_turns_colour_off(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("NO_COLOR", "1")
    assert not wants_colour(Terminal())


def _request() -> HttpRequest:
    return HttpRequest("GET", "/p", "", {}, b"")


def _response(status: int) -> HttpResponse:
    return HttpResponse(status, {}, b"")


# -- the direct path (issue 21) -------------------------------------------------------------
def test_another_handler_on_the_way_still_gets_every_line_as_a_record(log):
    """serve's handler takes API lines without a record only while it is all they reach: a
    handler someone adds (pytest's log capture, a user's) gets them as records, and serve's
    output is the same either way."""
    from mockserver.request_log.events import API

    written = log()
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    server = MockServer()
    with server.client() as client:
        assert client.post(PUSH, headers=AUTH, json=ONE).status_code == 200
        extra = Keep()
        API.addHandler(extra)
        try:
            assert client.post(PUSH, headers=AUTH, json=ONE).status_code == 200
        finally:
            API.removeHandler(extra)
    assert len(seen) == 1 and isinstance(seen[0].msg, Exchange)
    first, second = written.lines()
    assert re.sub(r"\d+\.\d ms", "", first[13:]) == re.sub(r"\d+\.\d ms", "", second[13:])


def test_a_direct_line_and_a_record_line_are_the_same_text():
    """`format_event` (the direct path) and `format` (a record) write one line alike."""
    event = Exchange((1, 0, "tts", None, _request(), _response(200), ()), 1.25, "team-a")
    record = logging.LogRecord("mockserver.requests", logging.INFO, "", 0, event, (), None)
    text = TextFormatter()
    assert text.format(record) == text.format_event(event, record.created)
    lines = JsonFormatter()
    assert lines.format(record) == lines.format_event(event, record.created)
