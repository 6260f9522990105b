"""Reports to the application server, delivered over HTTP and checked field by field; the
Token is recomputed here from research A8's recipe, independently of the simulator."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest

from mockserver.providers.thingpark.reports import report_token
from mockserver.server import MockServer
from tests.delivery_receivers import serve_in_background
from tests.providers.thingpark.helpers import bearer, messages_url

AS_ID = "TWA_100000042.7.AS"
AS_KEY = "f3203a20a2e8dfaf6686b621f56d05e3"
CUSTOMER = "100000042"


class ApplicationServer:
    """Stands in for the user's AS: records every report POSTed to it."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], dict[str, str], dict]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                split = urlsplit(self.path)
                query = dict(parse_qsl(split.query, keep_blank_values=True))
                received.append((split.path, query, dict(self.headers), json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        serve_in_background(self.http)

    def reports(self, kind: str) -> list[tuple[dict[str, str], dict]]:
        return [(query, body[kind]) for _, query, _, body in self.received if kind in body]


@pytest.fixture
def app() -> Iterator[ApplicationServer]:
    application = ApplicationServer()
    yield application
    application.http.shutdown()


@pytest.fixture
def server(app: ApplicationServer) -> MockServer:
    return MockServer(
        {
            "seed": 3,
            "clock": {"start": "2026-03-01T12:00:00Z"},
            "thingpark": {
                "customer_id": CUSTOMER,
                "clients": [{"client_id": "tpe-api/a@b.c", "client_secret": "s"}],
                "application_servers": [
                    {"id": AS_ID, "url": app.url + "/uplink?source=tp", "key": AS_KEY}
                ],
                "devices": [
                    {
                        "ref": "1",
                        "dev_eui": "0018B20000000001",
                        "class": "A",
                        "dev_addr": "0400AB01",
                    },
                    {"ref": "2", "dev_eui": "0018B20000000002", "class": "C"},
                ],
            },
        }
    )


@pytest.fixture
def auth(client) -> dict[str, str]:
    response = client.post(
        "/admin/latest/api/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "tpe-api/a@b.c",
            "client_secret": "s",
        },
    )
    return bearer(response.json()["access_token"])


def expected_token(query: dict[str, str], body_elements: str) -> str:
    """Research A8, written out: SHA-256 over body elements, the unencoded query string
    without Token (in the documented order), then the AS key; lowercase hex."""
    signed = "&".join(
        f"{name}={query[name]}" for name in ("LrnDevEui", "LrnFPort", "LrnInfos", "AS_ID", "Time")
    )
    return hashlib.sha256((body_elements + signed + AS_KEY).encode()).hexdigest()


def settle(server: MockServer, seconds: float) -> None:
    server.clock.advance(seconds)
    assert server.outbound.flush()


def test_token_recipe_matches_the_published_example():
    """actility/thingpark-integrations `verify_token_in_uplink.py`: a real uplink and its Token."""
    body_elements = (
        "100002167" + "20635F0108000496" + "17" + "18"
        "032ce4850919d85d4c9f793ad148d24f32f3c6b5488f5a087cbeb1488f5a998c83ab"
    )
    query = (
        "LrnDevEui=20635F0108000496&LrnFPort=17&LrnInfos=TWA_100002167.1111.AS-1-111974"
        "&AS_ID=TWA_100002167.1111.AS&Time=2021-04-07T08:49:51.551+00:00"
    )
    assert (
        report_token(body_elements, query, "f3203a20a2e8dfaf6686b621f56d05e3")
        == "196c22898bf95fcf48b72be198c89256410660b9b514539651344baa594ad74f"
    )


def test_uplink_report(server, app):
    server.uplink("thingpark.1", f_port=7, frm_payload=b"\x01\xab", data_rate=5)
    settle(server, 1)
    ((query, report),) = app.reports("DevEUI_uplink")
    path, _, headers, _ = app.received[0]
    assert path == "/uplink"
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == "ACTILITY-LRCLRN-DEVICE-AGENT/1.0"
    assert query["source"] == "tp", "the AS URL's own query is kept"
    assert query["LrnDevEui"] == "0018B20000000001"
    assert query["LrnFPort"] == "7"
    assert query["AS_ID"] == AS_ID
    assert query["LrnInfos"].startswith(AS_ID + "-1-")
    assert query["Time"] == "2026-03-01T12:00:00.000+00:00"
    assert report["Time"] == "2026-03-01T12:00:00.000+00:00"
    assert report["DevEUI"] == "0018B20000000001"
    assert report["FPort"] == 7
    assert report["FCntUp"] == 1
    assert report["payload_hex"] == "01ab"
    assert report["MType"] == 2
    assert report["CustomerID"] == CUSTOMER
    assert report["DevAddr"] == "0400AB01"
    assert report["SpFact"] == 7  # EU868 DR5 = SF7
    assert report["DevLrrCnt"] == len(report["Lrrs"]["Lrr"]) >= 1
    assert report["DynamicClass"] == "A"
    assert "ACKbit" not in report
    assert query["Token"] == expected_token(
        query, CUSTOMER + "0018B20000000001" + "7" + "1" + "01ab"
    )


def test_time_is_percent_encoded_on_the_wire(server, app):
    server.uplink("thingpark.1", f_port=1, frm_payload=b"\x00")
    settle(server, 1)
    attempt = server.outbound.attempts()[0]
    assert "Time=2026-03-01T12%3A00%3A00.000%2B00%3A00&Token=" in attempt.message.url


def test_class_a_downlink_sent_report_in_rx1(server, app, client, auth):
    response = client.post(
        messages_url("1"),
        json={"payloadHex": "CAFE", "targetPorts": "12", "correlationID": "4434704901C7450B"},
        headers=auth,
    )
    assert response.status_code == 200
    settle(server, 10)
    assert app.reports("DevEUI_downlink_Sent") == [], "class A waits for an uplink"
    server.uplink("thingpark.1", f_port=1, frm_payload=b"\x00")
    settle(server, 5)
    ((query, report),) = app.reports("DevEUI_downlink_Sent")
    assert report["DeliveryStatus"] == 1
    assert report["TransmissionSlot"] == 1
    assert causes(report) == ("00", "00", "00")
    assert report["CorrelationID"] == "4434704901C7450B"
    assert report["FPort"] == 12
    assert report["FCntDn"] == 1
    assert report["FCntUp"] == 1
    assert report["Time"] == "2026-03-01T12:00:11.000+00:00"  # uplink at 10 s, RX1 delay 1 s
    assert report["Frequency"] == 868.1
    assert query["LrnFPort"] == "12"
    assert query["Token"] == expected_token(query, CUSTOMER + "0018B20000000001" + "12" + "1")
    assert client.get(messages_url("1"), headers=auth).json() == []


def test_class_a_frame_queued_too_late_for_rx1_goes_in_rx2_with_cause_c0(server, app, client, auth):
    server.uplink("thingpark.1", f_port=1, frm_payload=b"\x00")
    settle(server, 0.9)  # RX1 opens at 1 s; the network needs 200 ms to schedule
    client.post(messages_url("1"), json={"payloadHex": "01", "targetPorts": "1"}, headers=auth)
    settle(server, 5)
    ((_, report),) = app.reports("DevEUI_downlink_Sent")
    assert report["TransmissionSlot"] == 2
    assert report["DeliveryFailedCause1"] == "C0"
    assert report["Frequency"] == 869.525
    assert report["Time"] == "2026-03-01T12:00:02.000+00:00"


def test_queue_is_delivered_in_order_one_per_uplink(server, app, client, auth):
    for payload in ("01", "02"):
        client.post(
            messages_url("1"), json={"payloadHex": payload, "targetPorts": "1"}, headers=auth
        )
    server.uplink("thingpark.1", f_port=1, frm_payload=b"\x00")
    settle(server, 5)
    assert [r["FCntDn"] for _, r in app.reports("DevEUI_downlink_Sent")] == [1]
    assert [m["payloadHex"] for m in client.get(messages_url("1"), headers=auth).json()] == ["02"]
    server.uplink("thingpark.1", f_port=1, frm_payload=b"\x00")
    settle(server, 5)
    assert [r["FCntDn"] for _, r in app.reports("DevEUI_downlink_Sent")] == [1, 2]
    assert client.get(messages_url("1"), headers=auth).json() == []


def test_payload_too_long_for_the_data_rate_is_rejected(server, app, client, auth):
    response = client.post(
        messages_url("1"), json={"payloadHex": "00" * 60, "targetPorts": "3"}, headers=auth
    )
    assert response.status_code == 200  # 60 bytes pass DX Core; DR0 windows carry 51 at most
    server.uplink("thingpark.1", f_port=1, frm_payload=b"\x00", data_rate=0)
    settle(server, 5)
    ((query, report),) = app.reports("DevEUI_downlink_Rejected")
    assert report == {
        "Time": report["Time"],
        "DevEUI": "0018B20000000001",
        "FPort": 3,
        "DeliveryStatus": 350,
        "DownlinkRejectionCause": "Invalid payload size according to current DR",
        "CustomerID": CUSTOMER,
    }
    assert query["Token"] == expected_token(query, CUSTOMER + "0018B20000000001" + "3")
    assert app.reports("DevEUI_downlink_Sent") == []


def test_class_c_frame_unsent_after_60_s_is_dropped_with_e0(server, app, client, auth):
    response = client.post(
        messages_url("2"),
        json={"payloadHex": "01", "targetPorts": "1", "correlationID": "00000000000000AA"},
        headers=auth,
    )
    assert response.status_code == 200
    settle(server, 59.999)
    assert len(client.get(messages_url("2"), headers=auth).json()) == 1
    settle(server, 0.001)
    assert client.get(messages_url("2"), headers=auth).json() == []
    ((query, report),) = app.reports("DevEUI_downlink_Sent")
    assert report["DeliveryStatus"] == 0
    assert causes(report) == ("E0", "00", "00")
    assert report["TransmissionSlot"] == 0
    assert report["CorrelationID"] == "00000000000000AA"
    assert report["Time"] == "2026-03-01T12:01:00.000+00:00"
    assert query["Token"] == expected_token(query, CUSTOMER + "0018B20000000002" + "1" + "0")


def test_class_c_frame_goes_out_in_rx2_once_the_device_is_heard(server, app, client, auth):
    server.uplink("thingpark.2", f_port=1, frm_payload=b"\x00")
    settle(server, 5)
    client.post(messages_url("2"), json={"payloadHex": "01", "targetPorts": "1"}, headers=auth)
    settle(server, 1)
    ((_, report),) = app.reports("DevEUI_downlink_Sent")
    assert report["DeliveryStatus"] == 1
    assert report["TransmissionSlot"] == 2
    assert report["Frequency"] == 869.525
    settle(server, 120)
    assert len(app.reports("DevEUI_downlink_Sent")) == 1, "a sent frame is never dropped"


def test_confirmed_uplink_ack_is_reported(server, app):
    server.uplink("thingpark.1", f_port=1, frm_payload=b"\x00", confirmed=True, ack=True)
    settle(server, 1)
    ((_, report),) = app.reports("DevEUI_uplink")
    assert report["MType"] == 4
    assert report["ACKbit"] == 1
    assert report["AckRequested"] == 1


def test_no_sent_reports_when_the_option_is_off(app):
    server = MockServer(
        {
            "thingpark": {
                "application_servers": [
                    {"id": AS_ID, "url": app.url, "key": AS_KEY, "downlink_sent_reports": False}
                ],
                "devices": [{"ref": "2", "dev_eui": "0018B20000000002", "class": "C"}],
                "clients": [{"client_id": "x/y", "client_secret": "s"}],
            }
        }
    )
    with server.client() as client:
        client.post(
            messages_url("2"),
            json={"payloadHex": "01", "targetPorts": "1"},
            headers=bearer(token_for(client)),
        )
    settle(server, 61)
    assert app.received == []


def token_for(client) -> str:
    response = client.post(
        "/admin/latest/api/oauth/token",
        data={"grant_type": "client_credentials", "client_id": "x/y", "client_secret": "s"},
    )
    return response.json()["access_token"]


def test_default_world_reports_go_to_its_as_url(client):
    """The default world's AS listens nowhere: delivery fails and is journaled, nothing breaks."""
    server = MockServer()
    server.uplink("thingpark.1001", f_port=1, frm_payload=b"\x01")
    settle(server, 1)
    (attempt,) = server.outbound.attempts()
    assert attempt.message.url.startswith(
        "http://127.0.0.1:9000/thingpark?LrnDevEui=0018B20000000001"
    )


def test_class_b_frame_goes_in_a_ping_slot(app):
    server = MockServer(
        {
            "thingpark": {
                "customer_id": CUSTOMER,
                "application_servers": [{"id": AS_ID, "url": app.url, "key": AS_KEY}],
                "devices": [{"ref": "5", "dev_eui": "0018B20000000005", "class": "B"}],
                "clients": [{"client_id": "x/y", "client_secret": "s"}],
            }
        }
    )
    with server.client() as client:
        response = client.post(
            messages_url("5"),
            json={"payloadHex": "01", "targetPorts": "1"},
            headers=bearer(token_for(client)),
        )
        assert response.status_code == 200
    settle(server, 300)
    ((query, report),) = app.reports("DevEUI_downlink_Sent")
    assert report["TransmissionSlot"] == 3
    assert report["DeliveryStatus"] == 1
    assert query["Token"] == expected_token(query, CUSTOMER + "0018B20000000005" + "1" + "1")


# -- frames accepted and then not sent: DevEUI_downlink_Sent with DeliveryStatus 0 -----------
def load(server: MockServer, *rules: dict, timeline: list | None = None) -> None:
    server.load_scenario(
        {"name": "t", "description": "t", "rules": list(rules), "timeline": timeline or []}
    )


def fault(name: str) -> dict:
    return {"match": {"provider": "thingpark"}, "act": {"delivery": name}}


def causes(report: dict) -> tuple[str, str, str]:
    """DeliveryFailedCause1..3: one per slot (RX1, RX2 or class C, ping slot)."""
    return (
        report["DeliveryFailedCause1"],
        report["DeliveryFailedCause2"],
        report["DeliveryFailedCause3"],
    )


def send(client, auth, ref: str, correlation: str, payload: str = "CAFE") -> None:
    response = client.post(
        messages_url(ref),
        json={"payloadHex": payload, "targetPorts": "9", "correlationID": correlation},
        headers=auth,
    )
    assert response.status_code == 200, response.text


def test_evicted_frame_is_sent_report_with_e1_not_rejected(server, app, client, auth):
    load(server, fault("evicted"))
    send(client, auth, "1", "00000000000000E1")
    server.uplink("thingpark.1", f_port=1, frm_payload=b"\x00")
    settle(server, 5)
    assert app.reports("DevEUI_downlink_Rejected") == []
    ((query, report),) = app.reports("DevEUI_downlink_Sent")
    assert report["DeliveryStatus"] == 0
    assert causes(report) == ("E1", "00", "00")
    assert report["TransmissionSlot"] == 0
    assert report["CorrelationID"] == "00000000000000E1"
    assert report["FCntDn"] == 0, "nothing went out"
    assert "Frequency" not in report
    assert query["Token"] == expected_token(query, CUSTOMER + "0018B20000000001" + "9" + "0")
    assert client.get(messages_url("1"), headers=auth).json() == []


def test_gateway_failure_in_rx1_is_sent_report_with_a0_on_rx1(server, app, client, auth):
    load(server, fault("gateway_failure"))
    send(client, auth, "1", "00000000000000A0")
    server.uplink("thingpark.1", f_port=1, frm_payload=b"\x00")
    settle(server, 5)
    assert app.reports("DevEUI_downlink_Rejected") == []
    ((_, report),) = app.reports("DevEUI_downlink_Sent")
    assert report["DeliveryStatus"] == 0
    assert causes(report) == ("A0", "00", "00")
    assert report["TransmissionSlot"] == 1
    assert report["Frequency"] == 868.1
    assert report["Time"] == "2026-03-01T12:00:01.000+00:00"  # when RX1 would have been sent
    assert report["FCntDn"] == 0
    assert report["CorrelationID"] == "00000000000000A0"


def test_gateway_outage_drops_a_class_c_frame_with_a0_on_rx2(server, app, client, auth):
    server.uplink("thingpark.2", f_port=1, frm_payload=b"\x00")
    settle(server, 5)
    load(server, timeline=[{"from": 0, "to": "1m", "gateway_outage": {}}])
    send(client, auth, "2", "000000000000000C")
    settle(server, 2)
    assert app.reports("DevEUI_downlink_Rejected") == []
    ((_, report),) = app.reports("DevEUI_downlink_Sent")
    assert report["DeliveryStatus"] == 0
    assert (report["DeliveryFailedCause1"], report["DeliveryFailedCause2"]) == ("00", "A0")
    assert report["TransmissionSlot"] == 2
    settle(server, 120)
    assert len(app.reports("DevEUI_downlink_Sent")) == 1, "no second (E0) report for it"


def test_too_long_fault_is_still_a_rejection(server, app, client, auth):
    load(server, fault("too_long"))
    send(client, auth, "1", "0000000000000116")
    server.uplink("thingpark.1", f_port=1, frm_payload=b"\x00")
    settle(server, 5)
    ((_, report),) = app.reports("DevEUI_downlink_Rejected")
    assert report["DeliveryStatus"] == 350
    assert app.reports("DevEUI_downlink_Sent") == []


def test_session_reset_reports_every_queued_frame_with_e4(server, app, client, auth):
    load(server, timeline=[{"at": "30s", "session_reset": {"device": "thingpark.1"}}])
    send(client, auth, "1", "0000000000000001", "01")
    send(client, auth, "1", "0000000000000002", "02")
    settle(server, 31)
    received = app.reports("DevEUI_downlink_Sent")
    # In queue order by the LRC's numbering (LrnInfos …-1-<n>); HTTP arrival order may vary.
    received.sort(key=lambda item: int(item[0]["LrnInfos"].rsplit("-", 1)[1]))
    reports = [report for _, report in received]
    assert [r["CorrelationID"] for r in reports] == ["0000000000000001", "0000000000000002"]
    for report in reports:
        assert report["DeliveryStatus"] == 0
        assert causes(report) == ("E4", "00", "00")
        assert report["TransmissionSlot"] == 0
        assert report["Time"] == "2026-03-01T12:00:30.000+00:00"
    assert app.reports("DevEUI_downlink_Rejected") == []
    assert client.get(messages_url("1"), headers=auth).json() == []
    server.uplink("thingpark.1", f_port=1, frm_payload=b"\x00")
    settle(server, 5)
    assert len(app.reports("DevEUI_downlink_Sent")) == 2, "the flushed frames never go out"


def test_a_flush_requested_by_the_as_is_not_reported(server, app, client, auth):
    send(client, auth, "1", "0000000000000001")
    response = client.post(messages_url("1") + "?flushDownlinkQueue=true", json={}, headers=auth)
    assert response.json()["status"] == "FLUSHED"
    settle(server, 5)
    assert app.received == []


def test_gateway_failure_in_rx2_keeps_c0_on_rx1(server, app, client, auth):
    server.uplink("thingpark.1", f_port=1, frm_payload=b"\x00")
    settle(server, 0.9)  # too late for RX1: the LRC gives the frame RX2
    load(server, fault("gateway_failure"))
    send(client, auth, "1", "00000000000000A2")
    settle(server, 5)
    ((_, report),) = app.reports("DevEUI_downlink_Sent")
    assert report["DeliveryStatus"] == 0
    assert causes(report) == ("C0", "A0", "00")
    assert report["TransmissionSlot"] == 2
    assert report["Frequency"] == 869.525
