"""`mockserver serve` as a user starts it: a real process, a real port, 127.0.0.1 by default."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

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
