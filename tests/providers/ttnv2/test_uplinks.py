"""The uplink message the integration sends to the application, field by field, against an
application listening on a real port; and its downlink_url, called back."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from mockserver.server import MockServer
from tests.delivery_receivers import serve_in_background
from tests.providers.ttnv2.helpers import default_world, my_app, queue


class Application:
    """Records every request the integration makes: method, path, headers, JSON body."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str, dict[str, str], dict]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.command, self.path, dict(self.headers), json.loads(body)))
                self.send_response(200)
                self.end_headers()

            do_POST = do_PUT = _record

            def log_message(self, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        serve_in_background(self.http)


@pytest.fixture
def app() -> Iterator[Application]:
    application = Application()
    yield application
    application.http.shutdown()


def _world(app: Application, **integration: object) -> dict:
    world = default_world()
    application = my_app(world)
    application["integrations"] = [
        {
            "process_id": "my-process-id",
            "url": app.url + "/ttn/uplink",
            "access_key": "ttn-account-v2.secret",
            "region": "ttn-eu",
            **integration,
        }
    ]
    application["decoder"] = {
        "type": "fields",
        "fields": [{"name": "temperature", "type": "int16"}, {"name": "ok", "type": "bool"}],
    }
    return world


@pytest.fixture
def server(app: Application) -> Iterator[MockServer]:
    simulator = MockServer(
        _world(app, authorization="Key my-secret", headers={"X-Custom": "custom value"})
    )
    simulator.start()
    yield simulator
    simulator.stop()


def test_every_uplink_is_sent_in_v2s_format(server: MockServer, app: Application):
    uplink = server.uplink("my-app-id.my-dev-id", f_port=2, frm_payload=b"\x00\xe1\x01")
    assert server.outbound.flush()
    ((method, path, headers, message),) = app.received
    assert (method, path) == ("POST", "/ttn/uplink")
    assert headers["Content-Type"] == "application/json"
    assert headers["Authorization"] == "Key my-secret"
    assert headers["X-Custom"] == "custom value"
    assert headers["User-Agent"] == "Go-http-client/1.1"
    assert list(message) == [
        "app_id",
        "dev_id",
        "hardware_serial",
        "port",
        "counter",
        "payload_raw",
        "payload_fields",
        "metadata",
        "downlink_url",
    ]
    assert message["app_id"] == "my-app-id"
    assert message["dev_id"] == "my-dev-id"
    assert message["hardware_serial"] == "0102030405060708"
    assert message["port"] == 2
    assert message["counter"] == uplink.f_cnt == 1
    assert base64.b64decode(message["payload_raw"]) == b"\x00\xe1\x01"
    assert message["payload_fields"] == {"temperature": 225, "ok": True}
    assert message["downlink_url"] == (
        f"{server.url}/ttn-eu/api/v2/down/my-app-id/my-process-id?key=ttn-account-v2.secret"
    )
    metadata = message["metadata"]
    assert list(metadata) == [
        "time",
        "frequency",
        "modulation",
        "data_rate",
        "coding_rate",
        "gateways",
    ]
    assert metadata["time"] == "2026-01-01T00:00:00Z"
    assert metadata["frequency"] == 868.1
    assert (metadata["modulation"], metadata["data_rate"]) == ("LORA", "SF7BW125")
    assert metadata["coding_rate"] == "4/5"
    receptions = server.world.radio.receptions("my-app-id.my-dev-id", uplink)
    assert len(metadata["gateways"]) == len(receptions) >= 1
    for gateway, reception in zip(metadata["gateways"], receptions, strict=True):
        assert gateway["gtw_id"] == f"eui-{reception.gateway.eui.lower()}"
        assert gateway["timestamp"] == reception.timestamp
        assert gateway["time"] == "2026-01-01T00:00:00Z"
        assert gateway["channel"] == 0
        assert gateway["rssi"] == reception.rssi
        assert gateway["snr"] == reception.snr
        assert gateway["rf_chain"] == 0
        assert gateway["latitude"] == reception.gateway.latitude
        assert gateway["longitude"] == reception.gateway.longitude
        assert gateway.get("altitude", 0) == reception.gateway.altitude
        assert gateway["location_source"] == "registry"
        assert "gtw_trusted" not in gateway  # false is left out
    assert "is_retry" not in message and "confirmed" not in message
    attempts = server.outbound.attempts()
    assert [a.violations for a in attempts] == [[]]
    assert attempts[0].status == 200


def test_an_empty_confirmed_uplink(server: MockServer, app: Application):
    server.uplink("my-app-id.my-dev-id", confirmed=True)
    assert server.outbound.flush()
    ((_, _, _, message),) = app.received
    assert message["port"] == 0  # always present
    assert message["payload_raw"] is None  # Go's nil []byte
    assert message["confirmed"] is True
    assert "payload_fields" not in message


def test_a_payload_the_decoder_does_not_fit_has_no_fields(server, app):
    server.uplink("my-app-id.my-dev-id", f_port=1, frm_payload=b"\x01")
    assert server.outbound.flush()
    ((_, _, _, message),) = app.received
    assert message["payload_raw"] == "AQ=="
    assert "payload_fields" not in message


def test_the_downlink_url_answers_and_the_downlink_goes_at_the_next_uplink(server, app):
    server.uplink("my-app-id.my-dev-id", f_port=1, frm_payload=b"\x01")
    assert server.outbound.flush()
    url = app.received[0][3]["downlink_url"]
    server.clock.advance(60)
    response = httpx.post(url, json={"dev_id": "my-dev-id", "port": 3, "payload_raw": "qg=="})
    assert response.status_code == 202
    assert [d.frm_payload for d in queue(server)] == [b"\xaa"]
    second = server.uplink("my-app-id.my-dev-id", f_port=1, frm_payload=b"\x02")
    server.clock.run_until_idle()
    (sent,) = [e for e in server.network.timeline("my-app-id.my-dev-id") if e.kind == "sent"]
    assert sent.at == second.received_at + 1_000_000
    assert sent.downlinks[0].f_port == 3
    assert server.outbound.flush()
    assert [m[3]["counter"] for m in app.received] == [1, 2]


def test_the_configured_method_is_used_and_the_url_may_carry_any_region(app):
    simulator = MockServer(_world(app, method="PUT", region="ttn-asia-se"))
    try:
        simulator.uplink("my-app-id.my-dev-id", f_port=1, frm_payload=b"\x01")
        assert simulator.outbound.flush()
        ((method, _, headers, message),) = app.received
        assert method == "PUT"
        assert "Authorization" not in headers
        assert "/ttn-asia-se/api/v2/down/my-app-id/my-process-id?" in message["downlink_url"]
        assert simulator.outbound.attempts()[0].violations == []
    finally:
        simulator.stop()


def test_every_integration_of_the_app_gets_its_own_downlink_url(app):
    world = _world(app)
    my_app(world)["integrations"].append(
        {"process_id": "second", "url": app.url + "/second", "region": "ttn-us-west"}
    )
    simulator = MockServer(world)
    try:
        simulator.uplink("my-app-id.my-dev-id", f_port=1, frm_payload=b"\x01")
        assert simulator.outbound.flush()
        urls = sorted((path, message["downlink_url"]) for _, path, _, message in app.received)
        assert [path for path, _ in urls] == ["/second", "/ttn/uplink"]
        assert urls[0][1].endswith(
            "/ttn-us-west/api/v2/down/my-app-id/second?key=ttn-account-v2.secret"
        )
    finally:
        simulator.stop()


def test_the_admin_outbound_journal_shows_the_message_and_its_check(server, app):
    server.uplink("my-app-id.my-dev-id", f_port=1, frm_payload=b"\x01")
    assert server.outbound.flush()
    with server.client() as client:
        (entry,) = client.get("/_mock/outbound").json()
    assert (entry["provider"], entry["kind"], entry["method"]) == ("ttnv2", "uplink", "POST")
    assert entry["violations"] == []
    assert entry["body"]["dev_id"] == "my-dev-id"


def test_an_fsk_uplink_has_a_bit_rate_and_no_data_rate(server: MockServer, app: Application):
    server.uplink("my-app-id.my-dev-id", f_port=1, frm_payload=b"\x01", data_rate=7)
    assert server.outbound.flush()
    ((_, _, _, message),) = app.received
    metadata = message["metadata"]
    assert (metadata["modulation"], metadata["bit_rate"]) == ("FSK", 50000)
    assert "data_rate" not in metadata and "coding_rate" not in metadata
    assert server.outbound.attempts()[0].violations == []
