"""The three curl examples of TTS's "Scheduling Downlinks" page, verbatim but for the host.

Each runs twice: through the in-process client with the page's headers and bodies byte for
byte, and with the real `curl` binary and the page's own flags against a real port.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from mockserver.server import MockServer
from tests.providers.tts.helpers import AS_DOWNLINK, queue

PUSH = "/api/v3/as/applications/app1/webhooks/wh1/devices/dev1/down/push"
REPLACE = "/api/v3/as/applications/app1/webhooks/wh1/devices/dev1/down/replace"
HEADERS = [
    "Authorization: Bearer NNSXS.XXXXXXXXX",
    "Content-Type: application/json",
    "User-Agent: my-integration/my-integration-version",
]
# The --data arguments exactly as the page writes them (indentation and newlines included).
FRM_PAYLOAD_DATA = """{"downlinks":[{
      "frm_payload":"vu8=",
      "f_port":15,
      "priority":"NORMAL"
    }]
  }"""
DECODED_PAYLOAD_DATA = """{"downlinks":[{
      "decoded_payload": {
        "bytes": [1, 2, 3]
      }
    }]
  }"""
CLEAR_DATA = '{"downlinks":[]}'


def _header_dict() -> dict[str, str]:
    return dict(line.split(": ", 1) for line in HEADERS)


def _assert_frm_payload_example_queued(server: MockServer) -> None:
    (downlink,) = queue(server)
    assert downlink.f_port == 15
    assert downlink.frm_payload == bytes([0xBE, 0xEF])
    assert downlink.priority == 3  # NORMAL
    assert downlink.confirmed is False
    assert len(downlink.correlation_ids) == 1
    assert AS_DOWNLINK.match(downlink.correlation_ids[0])


def _assert_decoded_payload_example_queued(server: MockServer, after: int) -> None:
    items = queue(server)
    assert len(items) == after + 1
    downlink = items[-1]
    assert downlink.f_port == 1  # dev1's formatter (worlds/default.yaml)
    assert downlink.frm_payload == bytes([1, 2, 3])
    assert downlink.priority == 0  # LOWEST, the default
    assert AS_DOWNLINK.match(downlink.correlation_ids[-1])


def _assert_webhook_success(status: int, headers, body: bytes) -> None:
    assert status == 200
    assert body == b""
    assert "content-type" not in headers


def test_push_frm_payload_example(server, client):
    response = client.post(PUSH, content=FRM_PAYLOAD_DATA.encode(), headers=_header_dict())
    _assert_webhook_success(response.status_code, response.headers, response.content)
    _assert_frm_payload_example_queued(server)
    (entry,) = server.journal.entries()
    assert entry.request.headers["user-agent"] == "my-integration/my-integration-version"
    assert entry.request.body == FRM_PAYLOAD_DATA.encode()
    assert entry.operation == "tts.WebhookDownlinkQueuePush"
    assert entry.violations == ()


def test_push_decoded_payload_example(server, client):
    response = client.post(PUSH, content=DECODED_PAYLOAD_DATA.encode(), headers=_header_dict())
    _assert_webhook_success(response.status_code, response.headers, response.content)
    _assert_decoded_payload_example_queued(server, after=0)
    (entry,) = server.journal.entries()
    assert entry.violations == ()


def test_clear_queue_example(server, client):
    for data in (FRM_PAYLOAD_DATA, DECODED_PAYLOAD_DATA):
        assert client.post(PUSH, content=data.encode(), headers=_header_dict()).status_code == 200
    assert len(queue(server)) == 2
    response = client.post(REPLACE, content=CLEAR_DATA.encode(), headers=_header_dict())
    _assert_webhook_success(response.status_code, response.headers, response.content)
    assert queue(server) == []


def test_examples_in_page_order(server, client):
    """The page's three examples one after another: push, push, clear."""
    headers = _header_dict()
    assert client.post(PUSH, content=FRM_PAYLOAD_DATA.encode(), headers=headers).status_code == 200
    _assert_frm_payload_example_queued(server)
    assert (
        client.post(PUSH, content=DECODED_PAYLOAD_DATA.encode(), headers=headers).status_code == 200
    )
    _assert_decoded_payload_example_queued(server, after=1)
    assert [d.f_port for d in queue(server)] == [15, 1]
    assert client.post(REPLACE, content=CLEAR_DATA.encode(), headers=headers).status_code == 200
    assert queue(server) == []


# -- the real curl binary ----------------------------------------------------------------------
def _curl(url: str, data: str) -> tuple[int, dict[str, str], bytes]:
    """The page's command line (`--location`, three `--header`s, `--request POST`, `--data`),
    plus only what is needed to read the answer back."""
    command = ["curl", "--location"]
    for header in HEADERS:
        command += ["--header", header]
    command += ["--request", "POST", "--data", data, url]
    command += ["--silent", "--show-error", "--include", "--max-time", "30"]
    result = subprocess.run(command, capture_output=True, check=True, timeout=60)
    head, _, body = result.stdout.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


@pytest.fixture
def curl_base_url(server):
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


def test_curl_push_frm_payload_example(server, curl_base_url):
    status, headers, body = _curl(curl_base_url + PUSH, FRM_PAYLOAD_DATA)
    _assert_webhook_success(status, headers, body)
    _assert_frm_payload_example_queued(server)
    (entry,) = server.journal.entries()
    assert entry.request.headers["user-agent"] == "my-integration/my-integration-version"
    # The key was accepted (200); the journal keeps it masked (docs/request-log.md).
    assert entry.request.headers["authorization"] == "Bearer …XXXX"
    assert entry.request.body == FRM_PAYLOAD_DATA.encode()


def test_curl_push_decoded_payload_example(server, curl_base_url):
    status, headers, body = _curl(curl_base_url + PUSH, DECODED_PAYLOAD_DATA)
    _assert_webhook_success(status, headers, body)
    _assert_decoded_payload_example_queued(server, after=0)


def test_curl_clear_queue_example(server, curl_base_url):
    for data in (FRM_PAYLOAD_DATA, DECODED_PAYLOAD_DATA):
        assert _curl(curl_base_url + PUSH, data)[0] == 200
    assert [(d.f_port, d.frm_payload) for d in queue(server)] == [
        (15, b"\xbe\xef"),
        (1, b"\x01\x02\x03"),
    ]
    status, headers, body = _curl(curl_base_url + REPLACE, CLEAR_DATA)
    _assert_webhook_success(status, headers, body)
    assert queue(server) == []
