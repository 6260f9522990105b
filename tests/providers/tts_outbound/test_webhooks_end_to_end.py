"""The loop a real TTS integration runs, against an application listening on a real port."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from mockserver.server import MockServer
from mockserver.types import SECOND
from tests.delivery_receivers import serve_in_background


class Application:
    """A stand-in for the user's application: records every webhook POST it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], dict]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.path, dict(self.headers), json.loads(body)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        # The standard library's listen backlog (5), on purpose: the simulator sends at
        # most 4 messages at a time to one destination, so even this receiver never has a
        # connection dropped by its kernel (which failed a delivery with ReadError after 1 s
        # when every message of a burst was sent at once).
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        serve_in_background(self.http)

    def messages(self, kind: str) -> list[tuple[str, dict[str, str], dict]]:
        return [entry for entry in self.received if kind in entry[2]]


@pytest.fixture
def app() -> Iterator[Application]:
    application = Application()
    yield application
    application.http.shutdown()


@pytest.fixture
def server(app: Application) -> Iterator[MockServer]:
    world = {
        "seed": 7,
        "tts": {
            "api_keys": [{"key": "NNSXS.XXXXXXXXX", "application": "app1", "placeholder": True}],
            "applications": [
                {
                    "id": "app1",
                    "webhooks": [
                        {
                            "id": "wh1",
                            "base_url": app.url + "/ttn{/appID,devID}",
                            "downlink_api_key": "NNSXS.XXXXXXXXX",
                            "headers": {"Authorization": "Basic dXNlcjpwYXNz"},
                            "uplink_message": {"path": "/up"},
                            "downlink_queued": {"path": "/queued"},
                            "downlink_sent": {"path": "/sent{?devEUI}"},
                        }
                    ],
                    "devices": [
                        {
                            "id": "dev1",
                            "dev_eui": "70B3D57ED0000001",
                            "class": "A",
                            "rx1_delay": 5,
                            "session": {"dev_addr": "260B0001"},
                        }
                    ],
                }
            ],
        },
    }
    simulator = MockServer(world)
    simulator.start()
    yield simulator
    simulator.stop()


def test_uplink_webhook_push_queued_then_sent_at_rx1(server: MockServer, app: Application):
    first = server.uplink("app1.dev1", f_port=1, frm_payload=b"\x2a")
    assert server.outbound.flush()
    ((path, headers, message),) = app.messages("uplink_message")
    assert path == "/ttn/app1/dev1/up"
    assert headers["X-Downlink-Apikey"] == "NNSXS.XXXXXXXXX"
    assert headers["X-Downlink-Push"] == (
        f"{server.url}/api/v3/as/applications/app1/webhooks/wh1/devices/dev1/down/push"
    )
    assert headers["X-Downlink-Replace"].endswith("/devices/dev1/down/replace")
    assert headers["Authorization"] == "Basic dXNlcjpwYXNz"
    assert headers["User-Agent"].startswith("TheThingsStack/")
    assert headers["X-Tts-Domain"] == server.url.removeprefix("http://")
    assert message["end_device_ids"] == {
        "device_id": "dev1",
        "application_ids": {"application_id": "app1"},
        "dev_eui": "70B3D57ED0000001",
        "dev_addr": "260B0001",
    }
    uplink = message["uplink_message"]
    assert (uplink["f_port"], uplink["f_cnt"], uplink["frm_payload"]) == (1, 1, "Kg==")
    assert uplink["settings"]["data_rate"] == {
        "lora": {"bandwidth": 125000, "spreading_factor": 7, "coding_rate": "4/5"}
    }
    assert uplink["settings"]["frequency"] == "868100000"
    assert uplink["consumed_airtime"] == "0.046336s"  # 14-byte PHYPayload at SF7/125
    assert uplink["rx_metadata"][0]["gateway_ids"]["gateway_id"]
    assert message["received_at"] == "2026-01-01T00:00:00Z"

    # The application answers later, after this uplink's receive windows have closed.
    server.clock.advance(10)
    pushed = httpx.post(
        headers["X-Downlink-Push"],
        headers={"Authorization": f"Bearer {headers['X-Downlink-Apikey']}"},
        json={"downlinks": [{"f_port": 2, "frm_payload": "AQID", "priority": "NORMAL"}]},
    )
    assert pushed.status_code == 200
    assert server.outbound.flush()
    ((_, _, queued),) = app.messages("downlink_queued")
    assert queued["downlink_queued"]["frm_payload"] == "AQID"
    assert queued["downlink_queued"]["correlation_ids"][0].startswith("as:downlink:")
    assert app.messages("downlink_sent") == []

    server.clock.advance(900 - 10)  # the device's next uplink, 15 minutes after the first
    second = server.uplink("app1.dev1", f_port=1, frm_payload=b"\x2b")
    server.clock.run_until_idle()
    assert server.outbound.flush()
    ((path, _, sent),) = app.messages("downlink_sent")
    assert path == "/ttn/app1/dev1/sent?devEUI=70B3D57ED0000001"
    assert second.received_at == first.received_at + 900 * SECOND
    assert sent["received_at"] == "2026-01-01T00:15:05Z"  # RX1: uplink end + 5 s, exactly
    assert sent["downlink_sent"]["frm_payload"] == "AQID"
    assert sent["downlink_sent"]["priority"] == "NORMAL"


def test_a_dead_endpoint_is_journaled_and_never_stops_the_simulation(server: MockServer):
    server.providers["tts"].registry.applications["app1"].webhooks[
        "wh1"
    ].base_url = "http://127.0.0.1:9/nothing"
    server.uplink("app1.dev1")
    server.clock.run_until_idle()
    assert server.outbound.flush()
    (attempt,) = server.outbound.attempts()
    assert attempt.status is None and attempt.error
    with httpx.Client(base_url=server.url) as client:
        journal = client.get("/_mock/outbound").json()
    assert journal[0]["kind"] == "uplink_message" and journal[0]["delivered"] is False


def test_paused_webhooks_send_nothing(server: MockServer, app: Application):
    server.providers["tts"].registry.applications["app1"].webhooks["wh1"].paused = True
    server.uplink("app1.dev1")
    assert server.outbound.flush()
    assert app.received == []


def _enable(server: MockServer, *kinds: str) -> None:
    hook = server.providers["tts"].registry.applications["app1"].webhooks["wh1"]
    hook.messages.update({kind: f"/{kind}" for kind in kinds})


def test_ack_nack_and_failures_reach_the_application(server: MockServer, app: Application):
    _enable(server, "downlink_ack", "downlink_nack", "downlink_failed")
    with httpx.Client(
        base_url=server.url, headers={"Authorization": "Bearer NNSXS.XXXXXXXXX"}
    ) as c:
        push = "/api/v3/as/applications/app1/webhooks/wh1/devices/dev1/down/push"
        body = {
            "downlinks": [
                {
                    "f_port": 3,
                    "frm_payload": "AQ==",
                    "confirmed": True,
                    "confirmed_retry": {"max_attempts": 1},
                }
            ]
        }
        assert c.post(push, json=body).status_code == 200
        server.uplink("app1.dev1")
        server.clock.run_until_idle()
        server.uplink("app1.dev1", ack=False)  # NACK: one attempt was all it had
        server.clock.run_until_idle()
        server.uplink("app1.dev1", ack=False)  # nothing left to NACK
        server.clock.run_until_idle()
        assert server.outbound.flush()
        ((_, _, nack),) = app.messages("downlink_nack")
        assert nack["downlink_nack"]["confirmed_retry"] == {"attempt": 1, "max_attempts": 1}
        ((_, _, failed),) = app.messages("downlink_failed")
        assert failed["downlink_failed"]["downlink"]["frm_payload"] == "AQ=="
        assert failed["downlink_failed"]["error"] == {
            "namespace": "pkg/applicationserver",
            "name": "max_retries_reached",
            "message_format": "maximum number of retries ({max_retries}) reached",
            "attributes": {"max_retries": 1},
            "correlation_id": failed["downlink_failed"]["error"]["correlation_id"],
            "code": 10,
        }

        assert (
            c.post(
                push, json={"downlinks": [{"f_port": 4, "frm_payload": "Ag==", "confirmed": True}]}
            ).status_code
            == 200
        )
        server.uplink("app1.dev1")
        server.clock.run_until_idle()
        server.uplink("app1.dev1", ack=True)
        assert server.outbound.flush()
        ((_, _, acked),) = app.messages("downlink_ack")
        assert acked["downlink_ack"]["frm_payload"] == "Ag=="

        # A push the Application Server refuses is also reported to the application.
        assert c.post(push, json={"downlinks": [{"frm_payload": "Aw=="}]}).status_code == 400
        assert server.outbound.flush()
        refused = app.messages("downlink_failed")[-1][2]["downlink_failed"]
        assert refused["error"]["name"] == "no_f_port"
        assert refused["downlink"]["frm_payload"] == "Aw=="


@pytest.mark.parametrize(
    "route", ["webhooks/wh1/devices/dev1/down/push", "devices/dev1/down/replace"]
)
def test_max_attempts_counts_transmissions_from_the_first(
    server: MockServer, app: Application, route: str
):
    """`max_attempts: 3` is three transmissions: attempt 1 when pushed, each NACK adds one."""
    _enable(server, "downlink_nack", "downlink_failed")
    with httpx.Client(
        base_url=server.url, headers={"Authorization": "Bearer NNSXS.XXXXXXXXX"}
    ) as c:
        retry = {"max_attempts": 3}
        body = {"f_port": 3, "frm_payload": "AQ==", "confirmed": True, "confirmed_retry": retry}
        response = c.post(f"/api/v3/as/applications/app1/{route}", json={"downlinks": [body]})
        assert response.status_code == 200
        assert server.outbound.flush()
        ((_, _, queued),) = app.messages("downlink_queued")
        assert queued["downlink_queued"]["confirmed_retry"] == {"attempt": 1, "max_attempts": 3}
        listed = c.get("/api/v3/as/applications/app1/devices/dev1/down").json()
        assert listed["downlinks"][0]["confirmed_retry"] == {"attempt": 1, "max_attempts": 3}
        for _ in range(5):
            server.uplink("app1.dev1", ack=False)
            server.clock.run_until_idle()
        assert server.outbound.flush()
    attempts = [
        m[kind]["confirmed_retry"]["attempt"]
        for kind in ("downlink_sent", "downlink_nack")
        for _, _, m in app.messages(kind)
    ]
    assert sorted(attempts) == [1, 1, 2, 2, 3, 3]  # three transmissions, three NACKs
    ((_, _, failed),) = app.messages("downlink_failed")
    assert failed["downlink_failed"]["downlink"]["confirmed_retry"]["attempt"] == 3
    assert failed["downlink_failed"]["error"]["attributes"] == {"max_retries": 3}


def test_a_push_refused_as_expired_is_reported_with_its_error(server: MockServer, app: Application):
    _enable(server, "downlink_failed")
    late = {
        "f_port": 5,
        "frm_payload": "BQ==",
        "class_b_c": {"absolute_time": "2026-01-01T00:00:02Z"},
    }
    response = httpx.post(
        f"{server.url}/api/v3/as/applications/app1/devices/dev1/down/push",
        headers={"Authorization": "Bearer NNSXS.XXXXXXXXX"},
        json={"downlinks": [late]},
    )
    assert response.status_code == 400
    assert server.outbound.flush()
    ((_, _, message),) = app.messages("downlink_failed")
    failed = message["downlink_failed"]
    assert failed["downlink"]["class_b_c"] == {"absolute_time": "2026-01-01T00:00:02Z"}
    assert failed["error"] == {
        "namespace": "pkg/networkserver",
        "name": "downlink_expired",
        "message_format": "queued downlink is expired",
        "correlation_id": failed["error"]["correlation_id"],
        "code": 9,
    }
