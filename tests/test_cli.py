"""`mockserver serve` as a user starts it: a real process, a real port, 127.0.0.1 by default."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from mockserver.cli import main
from tests.serving import wait_until_ready


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(*args: str, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket listening on `port`, from /proc/net/tcp."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


def test_serve_binds_loopback_prints_a_banner_and_answers_the_docs_example():
    port = free_port()
    with serving("--port", str(port)) as process:
        output = "".join(wait_until_ready(process))
        assert httpx.get(f"http://127.0.0.1:{port}/_mock/health").status_code == 200
        assert listening_addresses(port) == {"127.0.0.1"}
        response = httpx.post(
            f"http://127.0.0.1:{port}/api/v3/as/applications/app1/webhooks/wh1/devices/dev1"
            "/down/push",
            headers={"Authorization": "Bearer NNSXS.XXXXXXXXX"},
            json={"downlinks": [{"frm_payload": "vu8=", "f_port": 15, "priority": "NORMAL"}]},
        )
        assert response.status_code == 200 and response.content == b""
    banner = output
    assert output.endswith(f"ready: http://127.0.0.1:{port}\n")
    assert f"on http://127.0.0.1:{port}" in banner
    assert "The Things Stack v3: /api/v3" in banner
    assert "NNSXS.XXXXXXXXX  <- the docs' placeholder, valid in this world" in banner
    assert "/api/v3/as/applications/app1/webhooks/wh1/devices/dev1/down/push" in banner


def test_port_comes_from_the_environment_and_time_can_be_virtual():
    port = free_port()
    with serving("--virtual-time", env={"MOCKSERVER_PORT": str(port)}) as process:
        wait_until_ready(process)
        assert httpx.get(f"http://127.0.0.1:{port}/_mock/clock").json()["now"] == (
            "2026-01-01T00:00:00Z"
        )
        advanced = httpx.post(f"http://127.0.0.1:{port}/_mock/clock/advance", json={"seconds": 10})
        assert advanced.json()["now"] == "2026-01-01T00:00:10Z"


def test_an_unusable_world_file_is_reported_without_a_traceback(tmp_path, capsys):
    world = tmp_path / "world.yaml"
    world.write_text("tts:\n  applications:\n    - id: Bad_App\n")
    assert main(["serve", "--world", str(world)]) == 2
    error = capsys.readouterr().err
    assert "world.yaml: at tts/applications/0/id" in error
    assert "Traceback" not in error


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockserver", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def refusal(*args: str, env: dict[str, str] | None = None) -> str:
    """The one line a command that cannot run prints: exit 2, no banner, no traceback."""
    result = run_cli(*args, env=env)
    assert (result.returncode, result.stdout) == (2, ""), result.stdout + result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    return result.stderr.strip()


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--port", "70000"], "argument --port: '70000' is not a port (0 to 65535)"),
        (["--port", "-1"], "argument --port: '-1' is not a port (0 to 65535)"),
        (["--speed", "0"], "argument --speed: '0' is not a speed"),
        (["--speed", "-1"], "argument --speed: '-1' is not a speed"),
        (["--speed", "inf"], "argument --speed: 'inf' is not a speed"),
        (["--speed", "nan"], "argument --speed: 'nan' is not a speed"),
    ],
)
def test_serve_refuses_an_impossible_port_or_speed_in_one_line(args, reason):
    assert refusal("serve", *args).startswith(f"mockserver serve: {reason}")


def test_serve_refuses_a_port_from_the_environment_in_one_line():
    assert refusal("serve", env={"MOCKSERVER_PORT": "70000"}) == (
        "mockserver: $MOCKSERVER_PORT: '70000' is not a port (0 to 65535)"
    )


def test_a_busy_port_is_told_before_the_banner():
    with socket.socket() as occupant:
        occupant.bind(("127.0.0.1", 0))
        occupant.listen()
        port = occupant.getsockname()[1]
        assert refusal("serve", "--port", str(port)) == (
            f"mockserver: cannot listen on 127.0.0.1 port {port}: Address already in use"
        )


def test_port_0_serves_on_a_free_port_and_says_which():
    with serving("--port", "0", "--virtual-time") as process:
        output = wait_until_ready(process)
        port = int(output[-1].rsplit(":", 1)[1])
        assert port != 0
        assert f"on http://127.0.0.1:{port}" in output[0]  # the banner names it too
        assert httpx.get(f"http://127.0.0.1:{port}/_mock/health").status_code == 200


def test_a_report_that_cannot_be_written_is_one_line(server, tmp_path):
    url = server.start()
    try:
        (tmp_path / "blocker").write_text("a file, not a folder")
        blocked = str(tmp_path / "blocker" / "r.json")
        assert refusal("report", "--url", url, "--out", blocked) == (
            f"mockserver: cannot write the report to {blocked}: File exists "
            f"({tmp_path / 'blocker'})"
        )
        assert refusal("report", "--url", url, "--out", str(tmp_path)) == (
            f"mockserver: cannot write the report to {tmp_path}: Is a directory"
        )
    finally:
        server.stop()


def test_report_and_wait_find_the_server_as_serve_was_told(server):
    url = server.start()
    try:
        with server.client() as client:
            client.post("/api/v3/as/applications/app1/webhooks/wh1/devices/dev1/down/push")
        port = url.rsplit(":", 1)[1]
        for env in ({"MOCKSERVER_URL": url}, {"MOCKSERVER_PORT": port}):
            assert run_cli("wait", "--timeout", "10", env=env).returncode == 0
            fetched = run_cli("report", env=env)
            assert fetched.returncode == 0, fetched.stderr
            summary = json.loads(fetched.stdout)["summary"]
            assert summary["violations"] == len(server.contract.log.violations) > 0
    finally:
        server.stop()


@pytest.mark.parametrize("command", ["report", "wait"])
def test_report_and_wait_show_their_default_url(command):
    shown = run_cli(command, "--help", env={"MOCKSERVER_PORT": "9999"}).stdout
    assert "$MOCKSERVER_URL" in shown
    assert "http://127.0.0.1:9999" in " ".join(shown.split())
    assert refusal(command, env={"MOCKSERVER_URL": "localhost:8080"}) == (
        "mockserver: $MOCKSERVER_URL: 'localhost:8080' is not a server's base URL "
        "(such as http://127.0.0.1:8080)"
    )
