"""The HTTP Integration reference page's downlink examples against the default world.

The page's blocks are annotated JavaScript (`// comments`, a trailing comma), which no JSON
decoder accepts, Go's included; the bodies below are the page's with the annotations
removed, and the annotated text itself gets Go's syntax error. The URL is the page's, with
only the host changed.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from mockserver.server import MockServer
from tests.providers.ttnv2.helpers import JSON, assert_accepted, assert_text_error, queue

URL = "/ttn/api/v2/down/my-app-id/my-process-id?key=ttn-account-v2.secret"
RAW = """{
    "dev_id": "my-dev-id",
    "port": 1,
    "confirmed": false,
    "payload_raw": "AQIDBA=="
}"""
FIELDS = """{
    "dev_id": "my-dev-id",
    "port": 1,
    "confirmed": false,
    "payload_fields": {
        "on": true,
        "color": "blue"
    }
}"""
ANNOTATED = """{
    "dev_id": "my-dev-id",     // The device ID
    "port": 1,                 // LoRaWAN FPort
    "confirmed": false,        // Whether the downlink should be confirmed by the device
    "payload_raw": "AQIDBA==", // Base64 encoded payload: [0x01, 0x02, 0x03, 0x04]
}"""


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_payload_raw_example(client, server: MockServer, method: str):
    assert_accepted(client.request(method, URL, content=RAW, headers=JSON))
    (downlink,) = queue(server)
    assert (downlink.f_port, downlink.frm_payload, downlink.confirmed) == (1, b"\1\2\3\4", False)


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_payload_fields_example_goes_through_the_apps_encoder(client, server, method):
    assert_accepted(client.request(method, URL, content=FIELDS, headers=JSON))
    (downlink,) = queue(server)
    assert downlink.frm_payload == bytes([1, 2])  # on: true → 01, color: blue → 02
    assert downlink.f_port == 1
    assert downlink.extra["payload_fields"] == {"on": True, "color": "blue"}


@pytest.mark.mockserver_allow_violations
def test_the_annotated_block_itself_is_not_json(client, server):
    assert_text_error(
        client.post(URL, content=ANNOTATED, headers=JSON),
        400,
        "invalid character '/' looking for beginning of object key string",
    )
    assert queue(server) == []


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_readme_curl_example_against_a_real_port():
    server = MockServer()
    url = server.start()
    try:
        result = subprocess.run(
            [
                "curl",
                "--silent",
                "--show-error",
                "--write-out",
                "%{http_code}",
                "--header",
                "Content-Type: application/json",
                "--request",
                "POST",
                "--data",
                '{"dev_id":"my-dev-id","port":1,"confirmed":false,"payload_raw":"AQIDBA=="}',
                f"{url}{URL}",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr
    assert result.stdout == "202"
    (downlink,) = queue(server)
    assert downlink.frm_payload == b"\1\2\3\4"
    assert not server.contract.log.violations
