"""Every bundled scenario (scenarios/*.yaml) does what its description says, through HTTP.

One section per scenario, in the order of the folder. Time is the virtual clock; the only
real waits are slow-network's, measured against the engine's own seeded samples.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockserver.scenario.engine import ActiveScenario
from mockserver.scenario.loading import find_scenario
from mockserver.server import MockServer
from tests.conftest import AUTH, WEBHOOK_DOWN
from tests.providers.tts.helpers import app1, default_world
from tests.providers.tts_outbound.test_webhooks_end_to_end import Application

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
PUSH = WEBHOOK_DOWN.format(device="dev1", op="push")
PUSH_DEV2 = WEBHOOK_DOWN.format(device="dev2", op="push")
LIST_DEV1 = "/api/v3/as/applications/app1/devices/dev1/down"
ONE = {"downlinks": [{"f_port": 1, "frm_payload": "AQ=="}]}
START_US = 1_767_225_600_000_000  # the default world's clock start, 2026-01-01T00:00:00Z
MINUTE = 60
MESSAGE_TYPES = (
    "downlink_queued",
    "downlink_sent",
    "downlink_ack",
    "downlink_nack",
    "downlink_failed",
)


def downlink(payload: bytes, **fields: Any) -> dict:
    return {
        "downlinks": [{"f_port": 1, "frm_payload": base64.b64encode(payload).decode(), **fields}]
    }


def events(server: MockServer, device: str = "app1.dev1") -> list[tuple[str, float]]:
    """(kind, seconds since the world's start) of every event of a device."""
    return [(e.kind, (e.at - START_US) / 1e6) for e in server.network.timeline(device)]


def kinds(server: MockServer, device: str = "app1.dev1") -> list[str]:
    return [kind for kind, _ in events(server, device)]


def at(server: MockServer, kind: str, device: str = "app1.dev1") -> list[float]:
    return [when for k, when in events(server, device) if k == kind]


def rules_fired(server: MockServer) -> dict[str, tuple[int, int]]:
    assert server.scenario is not None
    return {r["name"]: (r["matched"], r["fired"]) for r in server.scenario.to_json()["rules"]}


def test_every_bundled_scenario_has_a_test_here():
    bundled = sorted(path.stem for path in SCENARIOS.glob("*.yaml"))
    source = Path(__file__).read_text(encoding="utf-8")
    untested = [name for name in bundled if f'load_scenario("{name}")' not in source]
    assert len(bundled) >= 10
    assert untested == []


# -- webhooks: an application listening on a real port -------------------------------------
@pytest.fixture
def app() -> Iterator[Application]:
    application = Application()
    yield application
    application.http.shutdown()


def with_webhooks(server: MockServer, app: Application) -> None:
    """The default world, with wh1 POSTing every downlink message type to `app`."""
    world = default_world()
    webhook = app1(world)["webhooks"][0]
    webhook["base_url"] = app.url + "/ttn"
    for message_type in MESSAGE_TYPES:
        webhook[message_type] = {"path": "/" + message_type}
    server.reset(world)


def received(server: MockServer, app: Application, kind: str) -> list[dict]:
    assert server.outbound.flush()
    return [body[kind] for _, _, body in app.messages(kind)]


# -- api-key-revoked -----------------------------------------------------------------------
def test_api_key_revoked_after_ten_minutes(server: MockServer, client: httpx.Client):
    server.load_scenario("api-key-revoked")
    server.clock.advance(10 * MINUTE - 1)
    assert client.post(PUSH, headers=AUTH, json=ONE).status_code == 200
    server.clock.advance(1)
    for response in (
        client.post(PUSH, headers=AUTH, json=ONE),
        client.get(LIST_DEV1, headers=AUTH),
    ):
        assert response.status_code == 401, response.text
        body = response.json()
        assert body["message"] == "error:pkg/identityserver:api_key_not_found (API key not found)"
        assert body["code"] == 16
    assert len(server.network.get("app1.dev1").queue) == 1  # only the call before revocation


# -- class-c-instant -----------------------------------------------------------------------
def test_class_c_instant_downlinks_go_out_within_a_second(server: MockServer, client: httpx.Client):
    server.load_scenario("class-c-instant")
    server.clock.advance(30)
    assert at(server, "uplink", "app1.dev2") == [0.0]
    for pushed_at in (30.0, 95.5):
        server.clock.advance(pushed_at - server_seconds(server))
        assert client.post(PUSH_DEV2, headers=AUTH, json=ONE).status_code == 200
        server.clock.advance(1)
        (sent,) = [t for t in at(server, "sent", "app1.dev2") if t >= pushed_at]
        assert sent - pushed_at <= 1.0
    assert len(server.network.get("app1.dev2").queue) == 0


def server_seconds(server: MockServer) -> float:
    return (server.clock.now_us() - START_US) / 1e6


# -- confirmed-nacked ----------------------------------------------------------------------
def test_confirmed_nacked_until_retries_run_out(
    server: MockServer, client: httpx.Client, app: Application
):
    with_webhooks(server, app)
    server.load_scenario("confirmed-nacked")
    pushed = client.post(PUSH, headers=AUTH, json=downlink(b"\x07", confirmed=True))
    assert pushed.status_code == 200
    server.clock.advance(5 * MINUTE + 10)  # sent in RX1 of the first uplink...
    assert kinds(server).count("sent") == 1 and "nacked" not in kinds(server)
    server.clock.advance(5 * MINUTE)  # ...and the next uplink answers without the ACK bit
    assert kinds(server).count("nacked") == 1
    ((nack),) = received(server, app, "downlink_nack")
    assert nack["frm_payload"] == "Bw=="
    assert nack["confirmed"] is True

    for _ in range(8):  # seven more transmissions, every one NACKed, then it gives up
        server.clock.advance(5 * MINUTE)
        assert server.outbound.flush()  # one uplink's messages at a time, as a device paces them
    nacks = received(server, app, "downlink_nack")
    assert len(nacks) == 8  # 8 attempts by default, the first transmission included
    assert "acked" not in kinds(server)
    ((failed),) = received(server, app, "downlink_failed")
    assert failed["downlink"]["frm_payload"] == "Bw=="
    assert failed["downlink"]["confirmed_retry"]["attempt"] == 8
    assert failed["error"]["name"] == "max_retries_reached"
    assert at(server, "failed") == [45 * MINUTE]  # the eighth NACK, at the uplink of minute 45
    assert len(server.network.get("app1.dev1").queue) == 0
    assert rules_fired(server)["device never acks"][1] == 8


def test_confirmed_nacked_leaves_unconfirmed_downlinks_alone(
    server: MockServer, client: httpx.Client, app: Application
):
    with_webhooks(server, app)
    server.load_scenario("confirmed-nacked")
    assert client.post(PUSH, headers=AUTH, json=downlink(b"\x01")).status_code == 200
    server.clock.advance(5 * MINUTE + 10)
    assert [d["frm_payload"] for d in received(server, app, "downlink_sent")] == ["AQ=="]
    assert received(server, app, "downlink_nack") == []
    assert rules_fired(server)["device never acks"] == (0, 0)


# -- dropped-connections -------------------------------------------------------------------
def test_dropped_connections_every_third_call_is_reset_unprocessed(
    server: MockServer, client: httpx.Client
):
    server.load_scenario("dropped-connections")
    outcomes: list[int | str] = []
    for _ in range(9):
        try:
            outcomes.append(client.post(PUSH, headers=AUTH, json=ONE).status_code)
        except httpx.RemoteProtocolError:
            outcomes.append("reset")
    assert outcomes == [200, 200, "reset"] * 3
    assert len(server.network.get("app1.dev1").queue) == 6  # the cut calls queued nothing
    assert rules_fired(server)["reset every third call"][1] == 3
    cut = [e for e in server.journal.entries() if e.scenario_rule == "reset every third call"]
    assert len(cut) == 3


def test_dropped_connections_over_a_real_port(server: MockServer):
    server.load_scenario("dropped-connections")
    url = server.start()
    try:
        with httpx.Client(base_url=url) as http:
            assert http.get(LIST_DEV1, headers=AUTH).status_code == 200
            assert http.get(LIST_DEV1, headers=AUTH).status_code == 200
            with pytest.raises(httpx.TransportError):
                http.post(PUSH, headers=AUTH, json=ONE)
        assert len(server.network.get("app1.dev1").queue) == 0
    finally:
        server.stop()


# -- flaky-network -------------------------------------------------------------------------
def flaky_failures(server: MockServer, client: httpx.Client, calls: int) -> list[int]:
    server.reset()
    server.load_scenario("flaky-network")
    failing = []
    for index in range(calls):
        response = client.get(LIST_DEV1, headers=AUTH)
        assert response.status_code in (200, 503), response.text
        if response.status_code == 503:
            body = response.json()
            assert body["message"] == (
                "error:pkg/cluster:peer_unavailable (NETWORK_SERVER cluster peer unavailable)"
            )
            assert body["code"] == 14
            assert body["details"][0]["name"] == "peer_unavailable"
            failing.append(index)
    return failing


def test_flaky_network_fails_about_five_percent_the_same_calls_every_run(
    server: MockServer, client: httpx.Client
):
    first = flaky_failures(server, client, 400)
    assert 8 <= len(first) <= 36  # 5 % of 400 is 20
    assert rules_fired(server)["tts cluster peer unavailable"] == (400, len(first))
    assert flaky_failures(server, client, 400) == first  # seeded: identical failing calls


def test_flaky_network_other_vendors_answer_their_own_503(server: MockServer, client: httpx.Client):
    server.load_scenario("flaky-network")
    thingpark = thingpark_auth(client)  # seed 42: this one call is not among the 5 %
    kpn = {"Authorization": f"Bearer {server.providers['kpn'].ready_token('demo-client')}"}
    ttn = "/ttn-eu/api/v2/down/my-app-id/my-process-id?key=ttn-account-v2.secret"
    calls = {
        "thingpark": lambda: client.get(
            "/core/v141/api/devices/1001/downlinkMessages", headers=thingpark
        ),
        "kpn": lambda: client.get("/lora/downlinks", headers=kpn),
        "ttnv2": lambda: client.post(ttn, json={"dev_id": "my-dev-id", "payload_raw": "AQ=="}),
    }
    failures: dict[str, list[httpx.Response]] = {}
    for provider, call in calls.items():
        answers = [call() for _ in range(200)]
        normal = {a.status_code for a in answers} - {503}
        assert len(normal) == 1 and normal < {200, 202}, (provider, normal)
        failures[provider] = [a for a in answers if a.status_code == 503]
        assert 2 <= len(failures[provider]) <= 22, provider  # 5 % of 200 is 10
    body = failures["thingpark"][0].json()
    assert (body["code"], body["message"]) == (503, "Service unavailable")
    assert body["errorId"]
    problem = failures["kpn"][0]
    assert problem.headers["content-type"] == "application/problem+json"
    assert (problem.json()["status"], problem.json()["title"]) == (503, "Service Unavailable")
    assert failures["ttnv2"][0].text == "Service Unavailable\n"
    fired = rules_fired(server)
    assert fired["thingpark unavailable"][1] == len(failures["thingpark"])
    assert fired["kpn unavailable"][1] == len(failures["kpn"])
    assert fired["ttnv2 unavailable"][1] == len(failures["ttnv2"])
    assert fired["tts cluster peer unavailable"] == (0, 0)


# -- gateway-outage ------------------------------------------------------------------------
def test_gateway_outage_loses_uplinks_and_holds_class_a_downlinks(
    server: MockServer, client: httpx.Client
):
    server.load_scenario("gateway-outage")
    server.clock.advance(6 * MINUTE)
    assert client.post(PUSH, headers=AUTH, json=ONE).status_code == 200
    server.clock.advance(15 * MINUTE)  # to minute 21
    lost = [e for e in server.network.timeline("app1.dev1") if e.kind == "uplink_lost"]
    assert [(e.at - START_US) / 1e6 for e in lost] == [360.0, 480.0, 600.0, 720.0, 840.0]
    assert {e.details["reason"] for e in lost} == {"gateway_outage"}
    assert at(server, "uplink") == [120.0, 240.0, 960.0, 1080.0, 1200.0]
    (sent,) = at(server, "sent")
    assert 15 * MINUTE < sent < 16 * MINUTE + 10  # the first uplink heard after the outage


def test_gateway_outage_class_c_downlink_fails_at_the_gateway(
    server: MockServer, client: httpx.Client
):
    server.load_scenario("gateway-outage")
    server.clock.advance(MINUTE)
    server.uplink("app1.dev2")  # heard before the outage: class C may be sent to any time
    server.clock.advance(5 * MINUTE)
    assert client.post(PUSH_DEV2, headers=AUTH, json=ONE).status_code == 200
    server.clock.advance(2)
    (failed,) = [e for e in server.network.timeline("app1.dev2") if e.kind == "failed"]
    assert failed.details["reason"] == "gateway_failure"
    assert "sent" not in kinds(server, "app1.dev2")
    server.clock.advance(10 * MINUTE)  # after the outage, class C downlinks go out again
    assert client.post(PUSH_DEV2, headers=AUTH, json=ONE).status_code == 200
    server.clock.advance(2)
    assert kinds(server, "app1.dev2").count("sent") == 1


# -- happy-path ----------------------------------------------------------------------------
def test_happy_path_downlink_leaves_in_rx1_of_the_next_uplink(
    server: MockServer, client: httpx.Client, app: Application
):
    with_webhooks(server, app)
    server.load_scenario("happy-path")
    assert client.post(PUSH, headers=AUTH, json=downlink(b"\x2a")).status_code == 200
    server.clock.advance(14 * MINUTE)
    assert received(server, app, "downlink_sent") == []
    server.clock.advance(MINUTE + 10)
    assert at(server, "uplink") == [900.0]
    (sent_at,) = at(server, "sent")
    assert sent_at == 905.0  # RX1: dev1's rx1_delay is 5 s
    ((sent),) = received(server, app, "downlink_sent")
    assert sent["frm_payload"] == "Kg=="
    assert received(server, app, "downlink_failed") == []
    server.clock.advance(30 * MINUTE)
    assert at(server, "uplink") == [900.0, 1800.0, 2700.0]  # every 15 minutes
    assert server.scenario is not None and server.scenario.to_json()["rules"] == []


# -- kpn-feedback-timeout ------------------------------------------------------------------
KPN_LORA = "kpn.f24108fa-d102-40ff-8263-f8d46908a386"


def kpn_lora_downlink(client: httpx.Client, auth: dict[str, str]) -> str:
    created = client.post(
        "/lora/downlinks",
        headers=auth,
        json={
            "deviceId": "urn:dev:deveui:0004a30b001a2b3c",
            "message": {"payloadHex": "0102", "fPort": 1},
            "feedbackTimeout": "PT10M",
        },
    )
    assert created.status_code == 201, created.text
    return created.json()["id"]


def test_kpn_feedback_timeout_while_out_of_coverage(server: MockServer, client: httpx.Client):
    server.load_scenario("kpn-feedback-timeout")
    auth = {"Authorization": f"Bearer {server.providers['kpn'].ready_token('demo-client')}"}
    server.clock.advance(20 * MINUTE)
    identifier = kpn_lora_downlink(client, auth)
    server.clock.advance(10 * MINUTE - 1)
    record = client.get(f"/lora/downlinks/{identifier}", headers=auth).json()
    assert record["status"] == "PENDING"
    server.clock.advance(1)
    record = client.get(f"/lora/downlinks/{identifier}", headers=auth).json()
    assert (record["status"], record["lastFailureReason"]) == ("DONE", "FEEDBACK_TIMEOUT")
    assert "uplink" not in kinds(server, KPN_LORA)
    assert len(at(server, "uplink_lost", KPN_LORA)) == 6  # minutes 5, 10, ..., 30

    server.clock.advance(30 * MINUTE + 1)  # back in coverage after the first hour
    assert at(server, "uplink", KPN_LORA)[0] == 3600.0
    later = kpn_lora_downlink(client, auth)
    server.clock.advance(5 * MINUTE + 10)
    record = client.get(f"/lora/downlinks/{later}", headers=auth).json()
    assert record.get("lastFailureReason") != "FEEDBACK_TIMEOUT"
    assert "sent" in kinds(server, KPN_LORA)


# -- payload-too-long-dr0 ------------------------------------------------------------------
def test_payload_too_long_at_dr0_fails_and_51_bytes_go(
    server: MockServer, client: httpx.Client, app: Application
):
    with_webhooks(server, app)
    server.load_scenario("payload-too-long-dr0")
    assert client.post(PUSH, headers=AUTH, json=downlink(b"L" * 52)).status_code == 200
    assert client.post(PUSH, headers=AUTH, json=downlink(b"S" * 51)).status_code == 200
    server.clock.advance(10 * MINUTE + 10)
    uplink = next(e for e in server.network.timeline("app1.dev1") if e.kind == "uplink")
    assert uplink.details["data_rate"] == 0
    ((failed),) = received(server, app, "downlink_failed")
    assert failed["downlink"]["frm_payload"] == base64.b64encode(b"L" * 52).decode()
    assert failed["error"]["name"] == "application_downlink_too_long"
    ((sent),) = received(server, app, "downlink_sent")
    assert sent["frm_payload"] == base64.b64encode(b"S" * 51).decode()
    assert len(server.network.get("app1.dev1").queue) == 0


# -- queue-full ----------------------------------------------------------------------------
def test_queue_full_refuses_every_push_to_dev1_only(server: MockServer, client: httpx.Client):
    server.load_scenario("queue-full")
    for _ in range(3):
        response = client.post(PUSH, headers=AUTH, json=ONE)
        assert response.status_code == 429
        body = response.json()
        assert body["message"] == (
            "error:pkg/networkserver:downlink_queue_capacity (downlink queue capacity exceeded)"
        )
        assert body["details"][0]["name"] == "downlink_queue_capacity"
    assert len(server.network.get("app1.dev1").queue) == 0
    assert client.get(LIST_DEV1, headers=AUTH).json() == {}
    assert client.post(PUSH_DEV2, headers=AUTH, json=ONE).status_code == 200
    assert len(server.network.get("app1.dev2").queue) == 1
    assert rules_fired(server)["queue capacity exceeded"] == (3, 3)
    entries = server.journal.entries()
    assert [e.scenario_rule for e in entries[:3]] == ["queue capacity exceeded"] * 3


# -- rate-limited --------------------------------------------------------------------------
def test_rate_limited_eleventh_call_a_minute_gets_429(server: MockServer, client: httpx.Client):
    server.load_scenario("rate-limited")
    answers = [client.post(PUSH, headers=AUTH, json=ONE) for _ in range(11)]
    assert [a.status_code for a in answers] == [200] * 10 + [429]
    for answer in answers:
        assert answer.headers["x-rate-limit-limit"] == "10"
        assert {"x-rate-limit-available", "x-rate-limit-reset", "x-rate-limit-retry"} <= set(
            answer.headers
        )
    assert [a.headers["x-rate-limit-available"] for a in answers[:10]] == [
        str(n) for n in range(9, -1, -1)
    ]
    over = answers[10]
    assert over.json()["message"] == (
        "error:pkg/applicationserver/io/web:rate_limit_exceeded (rate limit exceeded)"
    )
    assert over.headers["x-rate-limit-retry"] == "60"
    assert len(server.network.get("app1.dev1").queue) == 10  # the refused call queued nothing
    assert client.get(LIST_DEV1, headers=AUTH).status_code == 200  # not a webhook route
    server.clock.advance(MINUTE)
    assert client.post(PUSH, headers=AUTH, json=ONE).status_code == 200


# -- sleepy-class-a ------------------------------------------------------------------------
def test_sleepy_class_a_downlinks_leave_one_per_hourly_uplink(
    server: MockServer, client: httpx.Client
):
    server.load_scenario("sleepy-class-a")
    for payload in (b"\x01", b"\x02", b"\x03"):
        assert client.post(PUSH, headers=AUTH, json=downlink(payload)).status_code == 200
    server.clock.advance(60 * MINUTE - 1)
    assert at(server, "uplink") == [] and at(server, "sent") == []
    assert len(client.get(LIST_DEV1, headers=AUTH).json()["downlinks"]) == 3
    server.clock.advance(3 * 60 * MINUTE)
    assert at(server, "uplink") == [3600.0, 7200.0, 10800.0]
    assert at(server, "sent") == [3605.0, 7205.0, 10805.0]
    assert client.get(LIST_DEV1, headers=AUTH).json() == {}


# -- slow-network --------------------------------------------------------------------------
def test_slow_network_latency_is_seeded_lognormal_around_300ms(server: MockServer):
    def samples() -> list[float]:
        active = ActiveScenario(find_scenario("slow-network"), server.clock)
        return [
            acts.latency
            for acts in (
                active.on_request(server.providers[name], None, None, {}, _request())
                for name in ("tts", "kpn", "thingpark", "ttnv2")
                for _ in range(100)
            )
            if acts is not None
        ]

    first = samples()
    assert len(first) == 400  # every call, every provider
    assert first == samples()  # seeded
    ordered = sorted(first)
    assert 0.26 < ordered[200] < 0.34  # the median
    assert 0.13 < ordered[63] < 0.24  # about one sigma down: 300 ms * e^-0.5 = 182 ms
    assert 0.4 < ordered[336] < 0.6  # about one sigma up: 300 ms * e^0.5 = 495 ms


def test_slow_network_answers_arrive_late_enough_to_test_a_clients_timeout(server: MockServer):
    with server.client() as warm:  # a first call pays for start-up: not under the timeout
        assert warm.get(LIST_DEV1, headers=AUTH).status_code == 200
    server.reset()
    server.load_scenario("slow-network")
    with server.client(timeout=0.05) as client, pytest.raises(httpx.ReadTimeout):
        client.get(LIST_DEV1, headers=AUTH)  # lognormal(300 ms, 0.5): under 50 ms once in 10^12
    (entry,) = server.journal.entries()
    assert (entry.scenario_rule, entry.response.status) == ("congestion", 200)


def _request():
    from mockserver.contract import HttpRequest

    return HttpRequest("GET", LIST_DEV1, "", {}, b"")


# -- thingpark-class-c-dropped -------------------------------------------------------------
def thingpark_auth(client: httpx.Client) -> dict[str, str]:
    response = client.post(
        "/admin/latest/api/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "tpe-api/demo@example.com",
            "client_secret": "demo-secret",
        },
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def thingpark_reports(server: MockServer, kind: str) -> list[dict]:
    assert server.outbound.flush()
    bodies = [json.loads(a.message.body) for a in server.outbound.attempts()]
    return [body[kind] for body in bodies if kind in body]


def queue_frame(client: httpx.Client, auth: dict[str, str], frames: str, correlation: str) -> None:
    queued = client.post(
        frames,
        headers=auth,
        json={"payloadHex": "01", "targetPorts": "1", "correlationID": correlation},
    )
    assert queued.status_code == 200, queued.text


def test_thingpark_class_c_frames_dropped_after_60_s_with_e0(
    server: MockServer, client: httpx.Client
):
    server.load_scenario("thingpark-class-c-dropped")
    auth = thingpark_auth(client)
    frames = "/core/v141/api/devices/1002/downlinkMessages"
    server.clock.advance(MINUTE)
    server.uplink("thingpark.1002")  # out of reach: never heard
    queue_frame(client, auth, frames, "00000000000000AA")
    server.clock.advance(59.9)
    assert len(client.get(frames, headers=auth).json()) == 1
    server.clock.advance(0.1)
    assert client.get(frames, headers=auth).json() == []
    ((report),) = thingpark_reports(server, "DevEUI_downlink_Sent")
    assert report["DevEUI"] == "0018B20000000002"
    assert report["DeliveryStatus"] == 0
    assert report["DeliveryFailedCause1"] == "E0"
    assert report["CorrelationID"] == "00000000000000AA"
    assert report["Time"] == "2026-01-01T00:02:00.000+00:00"
    device = "thingpark.1002"
    assert "sent" not in kinds(server, device)
    assert at(server, "uplink_lost", device) == [60.0]


def test_thingpark_class_c_frames_are_dropped_even_if_the_device_was_heard_before(
    server: MockServer, client: httpx.Client
):
    server.uplink("thingpark.1002")  # heard: class C transmission could start
    server.clock.advance(MINUTE)
    server.load_scenario("thingpark-class-c-dropped")
    auth = thingpark_auth(client)
    frames = "/core/v141/api/devices/1002/downlinkMessages"
    queue_frame(client, auth, frames, "00000000000000BB")
    server.clock.advance(60)
    assert client.get(frames, headers=auth).json() == []
    ((report),) = thingpark_reports(server, "DevEUI_downlink_Sent")
    assert (report["DeliveryStatus"], report["DeliveryFailedCause1"]) == (0, "E0")
    assert "sent" not in kinds(server, "thingpark.1002")
