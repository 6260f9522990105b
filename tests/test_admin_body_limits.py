"""Admin bodies are bounded: past the size limit a 413 before the body is read (or at the
first chunk past it), a YAML alias bomb a 413 with its place, and no error echoes the input."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from mockserver import MockServer
from mockserver.safe_load import MIB, DocumentLimits
from tests.test_safe_load import BILLION_LAUGHS, QUICKLY

SMALL = DocumentLimits(max_bytes=4096)
#: Every admin route that takes a body, with one it accepts.
BODY_ROUTES = [
    ("PUT", "/_mock/scenario"),
    ("POST", "/_mock/devices"),
    ("PATCH", "/_mock/devices/app1.dev1"),
    ("POST", "/_mock/devices/app1.dev1/uplinks"),
    ("POST", "/_mock/clock/advance"),
    ("PUT", "/_mock/devices/app1.dev1/formatters"),
    ("PUT", "/_mock/devices/app1.dev1/formatters/downlink_encoder"),
]


@pytest.fixture
def small() -> Iterator[httpx.Client]:
    with MockServer(document_limits=SMALL).client() as http:
        yield http


def _chunks(size: int) -> Iterator[bytes]:
    """A body with no Content-Length (chunked), `size` bytes of JSON-looking text."""
    yield b'{"name": "'
    for _ in range(size // 1024):
        yield b"x" * 1024
    yield b'"}'


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
def test_a_body_past_the_limit_is_a_413_whether_declared_or_streamed(small, method, path):
    declared = small.request(method, path, content=b"x" * 5000)
    assert declared.status_code == 413, declared.text
    message = declared.json()["error"]
    assert message.startswith("the body is larger than 4 KiB, the limit on an admin body")
    assert "--max-document-size" in message
    streamed = small.request(method, path, content=_chunks(8192))
    assert streamed.status_code == 413, streamed.text
    assert streamed.json() == declared.json()
    assert small.get("/_mock/health").status_code == 200


def test_a_body_within_the_limit_is_served_as_before(small):
    response = small.post("/_mock/clock/advance", json={"seconds": 1})
    assert response.status_code == 200
    scenario = b"name: small\ndescription: fits in 4 KiB\n"
    put = small.put(
        "/_mock/scenario", content=scenario, headers={"content-type": "application/yaml"}
    )
    assert put.status_code == 200, put.text


def test_the_default_limit_is_16_mib_and_the_refusal_quotes_nothing(client):
    body = b'{"name": "' + b"x" * (16 * MIB) + b'"}'
    started = time.perf_counter()
    response = client.put("/_mock/scenario", content=body)
    assert time.perf_counter() - started < QUICKLY
    assert response.status_code == 413
    assert len(response.content) < 300
    assert "16 MiB" in response.json()["error"]


def test_the_yaml_alias_bomb_is_a_413_with_its_place(client):
    started = time.perf_counter()
    response = client.put(
        "/_mock/scenario", content=BILLION_LAUGHS, headers={"content-type": "application/yaml"}
    )
    assert time.perf_counter() - started < QUICKLY
    assert response.status_code == 413
    assert response.json()["error"].startswith(
        "request body:6:11: the document expands to more than 200000 values"
    )
    assert client.get("/_mock/scenario").json() == {"active": None}


def test_a_world_in_a_scenario_is_held_to_the_same_limits(client):
    world = "\n".join("  " + line for line in BILLION_LAUGHS.splitlines())
    text = f"name: bomb\ndescription: a world that explodes\nworld:\n{world}\n"
    response = client.put(
        "/_mock/scenario", content=text, headers={"content-type": "application/yaml"}
    )
    assert response.status_code == 413
    assert response.json()["error"].startswith("request body:9:13: the document expands")


def test_a_json_scenario_is_held_to_the_same_depth_limit_as_yaml(client):
    nested: object = "x"
    for _ in range(70):
        nested = [nested]
    body = {"name": "deep", "description": "d", "rules": nested}
    response = client.put("/_mock/scenario", json=body)
    assert response.status_code == 413
    assert "nests deeper than 64 levels" in response.json()["error"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": "X" * 5_000_000, "description": "d"},
        {"name": "x", "description": "d", "rules": "r" * 5_000_000},
        {"name": "x", "description": "d", "k" * 5_000_000: 1},
        {"name": "x", "description": "d", "world": {"tts": ["w" * 5_000_000]}},
    ],
    ids=["name", "rules", "unknown key", "world"],
)
def test_an_invalid_scenario_is_refused_quoting_only_an_excerpt(client, body):
    response = client.put("/_mock/scenario", json=body)
    assert response.status_code == 400
    assert len(response.json()["error"]) <= 1000


def test_other_requests_are_answered_while_a_bomb_is_refused():
    """Over a real port: the bomb does not hold up the event loop (nor does it expand)."""
    with MockServer() as server:
        answers: list[float] = []

        def health() -> None:
            for _ in range(20):
                started = time.perf_counter()
                httpx.get(f"{server.url}/_mock/health", timeout=10)
                answers.append(time.perf_counter() - started)

        watcher = threading.Thread(target=health)
        watcher.start()
        for _ in range(5):
            response = httpx.put(
                f"{server.url}/_mock/scenario",
                content=BILLION_LAUGHS,
                headers={"content-type": "application/yaml"},
                timeout=10,
            )
            assert response.status_code == 413
        watcher.join()
        assert len(answers) == 20
        assert max(answers) < QUICKLY


def test_a_large_declared_body_over_a_real_port_is_refused_before_it_is_read():
    with MockServer(document_limits=SMALL) as server:
        response = httpx.put(
            f"{server.url}/_mock/scenario",
            content=b"x" * 5000,
            headers={"content-type": "application/yaml"},
        )
        assert response.status_code == 413
        assert httpx.get(f"{server.url}/_mock/health").status_code == 200


def test_a_small_document_limit_still_loads_the_bundled_descriptions():
    """The limit bounds what a user hands in, not the package's own specs: in a fresh
    interpreter (no description loaded yet) a 4 KiB limit still builds a server."""
    import subprocess
    import sys

    script = (
        "from mockserver import MockServer\n"
        "from mockserver.safe_load import DocumentLimits\n"
        "with MockServer(document_limits=DocumentLimits(max_bytes=4096)).client() as http:\n"
        "    print(http.get('/_mock/health').status_code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.stdout.strip() == "200", result.stderr
