"""Contract warnings in the request log (issue 20, item 1): a call the vendor accepts but that
almost certainly dropped something by mistake says so, in text and JSON, also under `-q`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator

import httpx
import pytest

from mockserver.request_log import install, uninstall
from mockserver.server import MockServer
from tests.conftest import AUTH, WEBHOOK_DOWN
from tests.serving import Output
from tests.test_cli import free_port, serving
from tests.test_request_log import Log

PUSH = WEBHOOK_DOWN.format(device="dev1", op="push")
TYPO = {"downlinks": [{"f_port": 1, "frm_payload": "AQ==", "confirmd": True}]}
FLAT = {"f_port": 1, "frm_payload": "AQ=="}
CONFIRMD = (
    "body.downlinks[0].confirmd: unknown field `confirmd`: the service ignores it; "
    "did you mean `confirmed`?"
)
pytestmark = pytest.mark.mockserver_allow_violations


@pytest.fixture
def log() -> Iterator[Callable[..., Log]]:
    handlers = []

    def start(level: str = "info", log_format: str = "text") -> Log:
        written = Log()
        handlers.append(install(log_format, level, written.stream, False))
        return written

    yield start
    for handler in handlers:
        uninstall(handler)


def test_a_misspelt_field_is_counted_and_said_in_json(client: httpx.Client, log) -> None:
    written = log("info", "json")
    assert client.post(PUSH, headers=AUTH, json=TYPO).status_code == 200
    (line,) = written.records()
    assert line["level"] == "warning"
    assert (line["violations"], line["warnings"]) == (0, 1)
    assert line["warning"] == CONFIRMD
    assert line["finding"] == CONFIRMD  # the first finding: no violation comes before it


def test_a_misspelt_field_is_said_in_text_with_its_suggestion(client: httpx.Client, log) -> None:
    written = log()
    client.post(PUSH, headers=AUTH, json=TYPO)
    (line,) = written.lines()
    assert line.endswith(f"200 {line.split(' 200 ')[1].split(' ms')[0]} ms  warning: {CONFIRMD}")


def test_quiet_keeps_warnings_and_drops_clean_calls(client: httpx.Client, log) -> None:
    written = log("warning")
    client.post(PUSH, headers=AUTH, json={"downlinks": [{"f_port": 1, "frm_payload": "AQ=="}]})
    client.post(PUSH, headers=AUTH, json=FLAT)  # queues nothing: no `downlinks` wrapper
    (line,) = written.lines()
    assert " 200 " in line
    assert "warning: body: no `downlinks` key: nothing was queued" in line


def test_a_violation_and_a_warning_are_both_said(client: httpx.Client, log) -> None:
    written = log("info", "json")
    bad = {"downlinks": [{"f_port": 300, "frm_payload": "AQ==", "confirmd": True}]}
    client.post(PUSH, headers=AUTH, json=bad)
    (line,) = written.records()
    assert (line["violations"], line["warnings"]) == (1, 1)
    assert line["finding"].startswith("body.downlinks[0].f_port: ")
    assert line["warning"] == CONFIRMD


def test_serve_json_logs_the_warning_the_journal_holds() -> None:
    """The issue's own reproduction: `serve --log-format json`, a push with `confirmd`."""
    port = free_port()
    with serving("--port", str(port), "--log-format", "json", "-q") as process:
        output = Output(process)
        output.until_ready()
        url = f"http://127.0.0.1:{port}"
        assert httpx.post(url + PUSH, headers=AUTH, json=TYPO).status_code == 200
        line = json.loads(output.next_line())
        journal = httpx.get(f"{url}/_mock/journal").json()
    assert (line["event"], line["level"], line["warnings"]) == ("request", "warning", 1)
    assert line["warning"] == CONFIRMD
    (entry,) = journal
    said = entry["warnings"][0]
    assert line["warning"] == f"{said['where']}: {said['message']}"
    assert re.search(r"did you mean `confirmed`\?$", line["warning"])


def test_the_server_fixture_in_process_logs_nothing_without_a_handler(
    server: MockServer, client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    """Outside `serve` the records still reach pytest's capture, warnings included."""
    with caplog.at_level("WARNING", logger="mockserver.requests"):
        client.post(PUSH, headers=AUTH, json=TYPO)
    assert any("did you mean `confirmed`" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_field_name_no_stream_can_write_is_said_escaped(client, log, log_format) -> None:
    """A lone surrogate in a field name (valid JSON, not UTF-8) would make the handler fail
    and the line be lost, under pytest-xdist the whole worker."""
    written = log("info", log_format)
    body = b'{"downlinks": [{"f_port": 1, "frm_payload": "AQ==", "\\ud800x": 1}]}'
    client.post(PUSH, headers=AUTH, content=body)
    (line,) = written.lines()
    line.encode("utf-8")  # writable
    assert "\\ud800x" in (json.loads(line)["warning"] if log_format == "json" else line)
