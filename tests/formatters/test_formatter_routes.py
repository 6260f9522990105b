"""Issue 20, item 18: TTS's formatter test routes, as the console's "test" panel calls
them: the formatter and script come from the body, the message comes back with what the
formatter added, and a failing script answers with TTS's error."""

from __future__ import annotations

import base64

import pytest

from mockserver.server import MockServer
from tests.conftest import AUTH

BASE = "/api/v3/as/applications/app1/devices/dev1"
SCRIPT = """
function decodeUplink(input) { return { data: { level: input.bytes[0], port: input.fPort } }; }
function encodeDownlink(input) { return { bytes: [input.data.level], fPort: 9, warnings: ["w"] }; }
function decodeDownlink(input) { return { data: { level: input.bytes[0] } }; }
"""
JS = "FORMATTER_JAVASCRIPT"


@pytest.fixture
def server():
    return MockServer()  # its responses are checked against TTS's Swagger (tests/conftest.py)


@pytest.fixture
def client(server):
    with server.client() as http:
        yield http
    requests = [v for v in server.contract.log.violations if v.direction == "request"]
    assert [v for v in requests if v.status != 401] == []  # the 401 test sends no key


def test_up_decode_answers_the_uplink_with_its_decoded_payload(client):
    body = {
        "uplink": {"f_port": 4, "frm_payload": base64.b64encode(b"\x2a").decode()},
        "formatter": JS,
        "parameter": SCRIPT,
    }
    response = client.post(f"{BASE}/up/decode", json=body, headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "uplink": {"f_port": 4, "frm_payload": "Kg==", "decoded_payload": {"level": 42, "port": 4}}
    }


def test_down_encode_and_decode(client):
    body = {"downlink": {"decoded_payload": {"level": 7}}, "formatter": JS, "parameter": SCRIPT}
    encoded = client.post(f"{BASE}/down/encode", json=body, headers=AUTH)
    assert encoded.status_code == 200, encoded.text
    assert encoded.json()["downlink"] == {
        "decoded_payload": {"level": 7},
        "f_port": 9,
        "frm_payload": "Bw==",
        "decoded_payload_warnings": ["w"],
    }
    body = {"downlink": {"f_port": 9, "frm_payload": "Bw=="}, "formatter": JS, "parameter": SCRIPT}
    decoded = client.post(f"{BASE}/down/decode", json=body, headers=AUTH)
    assert decoded.json()["downlink"]["decoded_payload"] == {"level": 7}


def test_a_failing_script_answers_with_ttss_error(client):
    body = {
        "uplink": {"f_port": 1, "frm_payload": "AQ=="},
        "formatter": JS,
        "parameter": "function decodeUplink() { throw new Error('no'); }",
    }
    response = client.post(f"{BASE}/up/decode", json=body, headers=AUTH)
    assert response.status_code == 409, response.text
    detail = response.json()["details"][0]
    assert (detail["namespace"], detail["name"]) == ("pkg/scripting/javascript", "script")


def test_the_key_is_checked_and_formatter_none_adds_nothing(client):
    body = {"uplink": {"f_port": 1, "frm_payload": "AQ=="}}
    assert client.post(f"{BASE}/up/decode", json=body).status_code == 401
    response = client.post(f"{BASE}/up/decode", json=body, headers=AUTH)
    assert response.json() == {"uplink": {"f_port": 1, "frm_payload": "AQ=="}}
