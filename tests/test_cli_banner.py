"""Issue 20, item 8: the `serve` banner names the dashboard, and under `--log-format json`
every line `serve` prints is JSON, banner and `ready` line included."""

from __future__ import annotations

import json

import httpx

from mockserver.cli import banner, banner_json
from mockserver.server import MockServer
from tests.serving import Output
from tests.test_cli import free_port, serving


def test_the_text_banner_prints_the_dashboard_url() -> None:
    port = free_port()
    with serving("--port", str(port)) as process:
        lines = Output(process).until_ready()
    assert f"dashboard: http://127.0.0.1:{port}/_mock/ui/\n" in lines
    assert lines[-1] == f"ready: http://127.0.0.1:{port}\n"


def test_with_a_token_the_dashboard_line_says_where_it_goes_but_not_the_token() -> None:
    text = banner(MockServer(admin_token="s3cret-token"), "127.0.0.1", 8080)
    assert "dashboard: http://127.0.0.1:8080/_mock/ui/#token=<token>" in text.splitlines()
    assert "s3cret-token" not in text


def test_with_json_logs_the_banner_and_ready_line_are_json() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with serving("--port", str(port), "--log-format", "json", "--virtual-time") as process:
        output = Output(process)
        lines = output.until_ready()
        assert httpx.get(f"{url}/_mock/ui/").status_code == 200  # the dashboard named
    records = [json.loads(line) for line in lines]  # every line is JSON
    banner_record, ready = records[0], records[-1]
    assert banner_record["event"] == "banner"
    assert banner_record["level"] == "info"
    assert banner_record["url"] == url
    assert banner_record["dashboard"] == f"{url}/_mock/ui/"
    assert banner_record["admin_api"] == f"{url}/_mock/health"
    assert banner_record["clock"] == {"kind": "virtual", "speed": None}
    assert banner_record["admin_token_required"] is False
    assert banner_record["warnings"] == []
    tts = banner_record["providers"]["tts"]
    assert "API key for app1 (the docs' placeholder key): NNSXS.XXXXXXXXX" not in tts
    assert any(line.startswith("API key for app1: NNSXS.XXXXXXXXX") for line in tts)
    assert ready == {
        "time": ready["time"],
        "level": "info",
        "event": "ready",
        "url": url,
        "message": f"ready: {url}",  # a job waiting for `ready: ` finds it in JSON too
    }


def test_the_json_banner_carries_what_the_text_one_says() -> None:
    server = MockServer(admin_token="s3cret-token")
    record = json.loads(banner_json(server, "0.0.0.0", 8080))
    text = banner(server, "0.0.0.0", 8080)
    assert record["dashboard"] == "http://0.0.0.0:8080/_mock/ui/#token=<token>"
    assert record["admin_token_required"] is True
    (warning,) = record["warnings"]
    assert warning in text.splitlines()
    for lines in record["providers"].values():
        for line in lines:
            assert line in text
    assert "s3cret-token" not in json.dumps(record)
