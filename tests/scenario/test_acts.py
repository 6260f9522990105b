"""Every act and every kind of match, through HTTP (in-process and over a real port)."""

from __future__ import annotations

import httpx
import pytest

from mockserver.scenario.engine import ActiveScenario
from mockserver.scenario.loading import read_scenario
from mockserver.server import MockServer
from tests.conftest import AUTH, WEBHOOK_DOWN

PUSH = WEBHOOK_DOWN.format(device="dev1", op="push")
PUSH_DEV2 = WEBHOOK_DOWN.format(device="dev2", op="push")
ONE = {"downlinks": [{"f_port": 1, "frm_payload": "AQ=="}]}
pytestmark = pytest.mark.mockserver_allow_violations


def scenario(*rules: dict, timeline: list | None = None, seed: int = 1) -> dict:
    return {
        "name": "t",
        "description": "test",
        "seed": seed,
        "rules": list(rules),
        "timeline": timeline or [],
    }


def push(client: httpx.Client, path: str = PUSH, **kwargs) -> httpx.Response:
    return client.post(path, headers=kwargs.pop("headers", AUTH), json=kwargs.pop("json", ONE))


# -- respond -------------------------------------------------------------------------------
def test_respond_with_the_vendors_error_by_name(server: MockServer, client: httpx.Client):
    server.load_scenario(scenario({"act": {"respond": {"error": "tts: peer_unavailable"}}}))
    response = push(client)
    assert response.status_code == 503
    body = response.json()
    assert body["message"] == (
        "error:pkg/cluster:peer_unavailable (NETWORK_SERVER cluster peer unavailable)"
    )
    assert body["details"][0]["namespace"] == "pkg/cluster"
    assert response.headers["x-request-id"]  # the vendor's headers all the same
    assert len(server.network.get("app1.dev1").queue) == 0  # the handler never ran
    (entry,) = server.journal.entries()
    assert entry.scenario_rule == "rule 1"


def test_each_vendor_answers_in_its_own_shape(server: MockServer, client: httpx.Client):
    server.load_scenario(
        scenario(
            {"match": {"provider": "kpn"}, "act": {"respond": {"error": "kpn: 409"}}},
            {"match": {"provider": "thingpark"}, "act": {"respond": {"error": "thingpark: 121"}}},
            {"match": {"provider": "ttnv2"}, "act": {"respond": {"error": "ttnv2: 503"}}},
        )
    )
    kpn = client.get("/lora/downlinks/00000000-0000-0000-0000-000000000000")
    assert kpn.status_code == 409
    assert kpn.headers["content-type"] == "application/problem+json"
    assert kpn.json()["status"] == 409
    thingpark = client.post("/core/v141/api/devices/1001/downlinkMessages", json={})
    assert thingpark.json()["code"] == 121
    assert thingpark.json()["message"] == "Token bucket limit reached"
    ttn = client.post("/ttn-eu/api/v2/down/my-app-id/my-process-id?key=x", json={})
    assert (ttn.status_code, ttn.text) == (503, "Service Unavailable\n")


def test_respond_with_a_literal_answer(server: MockServer, client: httpx.Client):
    server.load_scenario(
        scenario(
            {
                "act": {
                    "respond": {
                        "status": 502,
                        "body": "<html>Bad Gateway</html>",
                        "headers": {"Content-Type": "text/html"},
                    }
                }
            }
        )
    )
    response = push(client)
    assert (response.status_code, response.text) == (502, "<html>Bad Gateway</html>")
    assert response.headers["content-type"] == "text/html"
    assert not [v for v in server.contract.log.violations if v.direction == "response"]
    assert server.contract.log.coverage()  # counted in coverage all the same


# -- match ---------------------------------------------------------------------------------
FAIL = {"respond": {"error": "tts: peer_unavailable"}}


def statuses(client: httpx.Client, count: int, path: str = PUSH) -> list[int]:
    return [push(client, path).status_code for _ in range(count)]


@pytest.mark.parametrize(
    ("calls", "failing"),
    [
        ({"nth": 2}, [2]),
        ({"every": 2}, [2, 4, 6]),
        ({"first": 2}, [1, 2]),
        ({"after": 4}, [5, 6]),
    ],
)
def test_which_calls(server: MockServer, client: httpx.Client, calls: dict, failing: list[int]):
    server.load_scenario(scenario({"match": {"calls": calls}, "act": FAIL}))
    observed = statuses(client, 6)
    assert [i + 1 for i, status in enumerate(observed) if status == 503] == failing


def test_operation_by_id_or_by_method_and_path(server: MockServer, client: httpx.Client):
    server.load_scenario(
        scenario({"match": {"operation": "WebhookDownlinkQueueReplace"}, "act": FAIL})
    )
    assert push(client).status_code == 200
    assert push(client, WEBHOOK_DOWN.format(device="dev1", op="replace")).status_code == 503
    server.load_scenario(scenario({"match": {"operation": "POST */down/push"}, "act": FAIL}))
    assert push(client).status_code == 503
    assert (
        client.get("/api/v3/as/applications/app1/devices/dev1/down", headers=AUTH).status_code
        == 200
    )


def test_path_parameters_headers_query_and_body(server: MockServer, client: httpx.Client):
    server.load_scenario(scenario({"match": {"params": {"device_id": "dev1"}}, "act": FAIL}))
    assert (push(client).status_code, push(client, PUSH_DEV2).status_code) == (503, 200)

    server.load_scenario(scenario({"match": {"headers": {"User-Agent": "legacy/*"}}, "act": FAIL}))
    assert push(client, headers={**AUTH, "User-Agent": "legacy/1.2"}).status_code == 503
    assert push(client, headers={**AUTH, "User-Agent": "modern/2"}).status_code == 200

    server.load_scenario(scenario({"match": {"body": {"downlinks.0.f_port": 7}}, "act": FAIL}))
    assert (
        push(client, json={"downlinks": [{"f_port": 7, "frm_payload": "AQ=="}]}).status_code == 503
    )
    assert push(client).status_code == 200

    literal = {"respond": {"status": 503, "body": "down"}}
    server.load_scenario(scenario({"match": {"query": {"key": "bad*"}}, "act": literal}))
    ttn = "/ttn-eu/api/v2/down/my-app-id/my-process-id?key=bad-key"
    assert client.post(ttn, json={"dev_id": "my-dev-id", "payload_raw": "AQ=="}).status_code == 503


def test_probability_is_seeded(server: MockServer, client: httpx.Client):
    def failing_calls() -> list[int]:
        server.reset()
        server.load_scenario(scenario({"match": {"probability": 0.3}, "act": FAIL}, seed=9))
        return [i for i, status in enumerate(statuses(client, 40)) if status == 503]

    first = failing_calls()
    assert 4 <= len(first) <= 20
    assert failing_calls() == first  # the same seed and calls, the same outcomes


def test_a_time_window_on_the_scenario_clock(server: MockServer, client: httpx.Client):
    server.load_scenario(scenario({"match": {"window": {"from": "1m", "to": "2m"}}, "act": FAIL}))
    assert push(client).status_code == 200
    server.clock.advance(61)
    assert push(client).status_code == 503
    server.clock.advance(60)
    assert push(client).status_code == 200


def test_the_first_rule_that_acts_decides(server: MockServer, client: httpx.Client):
    server.load_scenario(
        scenario(
            {"name": "first", "match": {"calls": {"nth": 1}}, "act": FAIL},
            {"name": "second", "act": {"respond": {"error": "tts: downlink_queue_capacity"}}},
        )
    )
    assert statuses(client, 2) == [503, 429]
    rules = client.get("/_mock/scenario").json()["active"]["rules"]
    assert [(r["name"], r["matched"], r["fired"]) for r in rules] == [
        ("first", 2, 1),
        ("second", 1, 1),
    ]


# -- rate limit ----------------------------------------------------------------------------
def test_a_rate_limit_answers_with_the_vendors_headers(server: MockServer, client: httpx.Client):
    server.load_scenario(scenario({"act": {"rate_limit": {"limit": 2, "per": "1m"}}}))
    first, second, third = (push(client) for _ in range(3))
    assert [first.status_code, second.status_code, third.status_code] == [200, 200, 429]
    assert first.headers["x-rate-limit-available"] == "1"
    assert third.json()["message"] == (
        "error:pkg/applicationserver/io/web:rate_limit_exceeded (rate limit exceeded)"
    )
    assert third.headers["x-rate-limit-retry"] == "60"
    assert len(server.network.get("app1.dev1").queue) == 2
    server.clock.advance(60)
    assert push(client).status_code == 200

    server.load_scenario(scenario({"act": {"rate_limit": {"limit": 0, "per": "10s"}}}))
    kpn = client.get("/lora/downlinks")
    assert (kpn.status_code, kpn.headers["retry-after"]) == (429, "10")


# -- over the wire -------------------------------------------------------------------------
@pytest.fixture
def url(server: MockServer):
    yield server.start()
    server.stop()


def test_latency_samples_are_seeded(server: MockServer):
    def samples(kind: dict) -> list[float]:
        active = ActiveScenario(
            read_scenario(scenario({"act": {"latency": kind}}, seed=3)), server.clock
        )
        acts = [
            active.on_request(server.providers["tts"], "x", None, {}, _request())
            for _ in range(200)
        ]
        return [a.latency for a in acts if a is not None]

    uniform = samples({"uniform": ["100ms", "200ms"]})
    assert all(0.1 <= s <= 0.2 for s in uniform) and uniform == samples(
        {"uniform": ["100ms", "200ms"]}
    )
    lognormal = sorted(samples({"lognormal": {"median": "300ms", "sigma": 0.5}}))
    assert 0.25 < lognormal[100] < 0.35  # the median


DOWN = "/api/v3/as/applications/app1/devices/dev1/down"


@pytest.mark.parametrize("act", [{"drop": "reset"}, {"drop": "after_headers"}, {"garbage": 64}])
def test_the_connection_fails(server: MockServer, url: str, act: dict):
    server.load_scenario(scenario({"match": {"operation": "GET *"}, "act": act}))
    with pytest.raises(httpx.TransportError):
        httpx.get(url + DOWN, headers=AUTH)
    (entry,) = server.journal.entries()
    assert entry.scenario_rule == "rule 1"
    assert httpx.get(url + "/_mock/health").status_code == 200  # the server lives on


def test_a_reset_call_was_never_processed(server: MockServer, url: str):
    server.load_scenario(scenario({"act": {"drop": "reset"}}))
    with pytest.raises(httpx.TransportError):
        httpx.post(url + PUSH, headers=AUTH, json=ONE)
    assert len(server.network.get("app1.dev1").queue) == 0


def test_in_process_a_drop_is_what_httpx_raises(server: MockServer, client: httpx.Client):
    server.load_scenario(scenario({"act": {"drop": "reset"}}))
    with pytest.raises(httpx.RemoteProtocolError):
        push(client)


# -- delivery ------------------------------------------------------------------------------
def delivery(server: MockServer, fault: str, **match) -> None:
    server.load_scenario(scenario({"match": match, "act": {"delivery": fault}}))


def kinds(server: MockServer, device: str = "app1.dev1") -> list[str]:
    return [event.kind for event in server.network.timeline(device)]


def test_nack_turns_an_ack_into_a_nack(server: MockServer, client: httpx.Client):
    delivery(server, "nack", device="app1.dev1", confirmed=True)
    push(client, json={"downlinks": [{"f_port": 1, "frm_payload": "AQ==", "confirmed": True}]})
    server.uplink("app1.dev1")
    server.clock.advance(10)
    server.uplink("app1.dev1", ack=True)
    assert "nacked" in kinds(server) and "acked" not in kinds(server)


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("too_long", "application_downlink_too_long"),
        ("evicted", "evicted"),
        ("gateway_failure", "gateway_failure"),
    ],
)
def test_faults_at_transmission(server: MockServer, client: httpx.Client, fault: str, reason: str):
    delivery(server, fault, device="app1.*")
    push(client)
    server.uplink("app1.dev1")
    server.clock.advance(10)
    (failed,) = [e for e in server.network.timeline("app1.dev1") if e.kind == "failed"]
    assert failed.details["reason"] == reason
    assert "sent" not in kinds(server)


def test_kpn_bearer_faults(server: MockServer, client: httpx.Client):
    token = server.providers["kpn"].ready_token("demo-client")
    auth = {"Authorization": f"Bearer {token}"}
    delivery(server, "broker_down", provider="kpn")
    created = client.post(
        "/mqtt/downlinks",
        headers=auth,
        json={
            "deviceId": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
            "message": {"type": "text", "payload": "hi", "topic": "commands"},
            "feedbackTimeout": "PT10M",
        },
    )
    assert created.status_code == 201, created.text
    server.clock.advance(1)
    record = client.get(f"/mqtt/downlinks/{created.json()['id']}", headers=auth).json()
    assert (record["status"], record["lastFailureReason"]) == (
        "DONE",
        "FAILED_TO_TRANSMIT_TO_DEVICE",
    )


# -- timeline ------------------------------------------------------------------------------
def test_timeline_uplinks_repeat_and_silence_loses_them(server: MockServer):
    server.load_scenario(
        scenario(
            timeline=[
                {"at": "1m", "uplink": {"device": "app1.dev1", "every": "1m"}},
                {
                    "from": "150s",
                    "to": "250s",
                    "device_silent": {"device": "app1.dev1"},
                },
            ]
        )
    )
    server.clock.advance(5 * 60)
    assert kinds(server).count("uplink") == 3  # minutes 1, 2 and 5; 3 and 4 lost
    lost = [e for e in server.network.timeline("app1.dev1") if e.kind == "uplink_lost"]
    assert [e.details["reason"] for e in lost] == ["device_silent", "device_silent"]


def test_session_reset_invalidates_the_queue(server: MockServer, client: httpx.Client):
    server.load_scenario(
        scenario(timeline=[{"at": "30s", "session_reset": {"device": "app1.dev1"}}])
    )
    push(client)
    old = server.network.get("app1.dev1").session.dev_addr
    server.clock.advance(31)
    device = server.network.get("app1.dev1")
    assert len(device.queue) == 0 and device.session.dev_addr != old
    assert "invalidated" in kinds(server)


def test_clearing_stops_rules_and_timeline(server: MockServer, client: httpx.Client):
    server.load_scenario(
        scenario(
            {"act": FAIL},
            timeline=[{"at": "1m", "revoke_key": {"provider": "tts", "key": "NNSXS.XXXXXXXXX"}}],
        )
    )
    assert client.delete("/_mock/scenario").status_code == 204
    server.clock.advance(120)
    assert push(client).status_code == 200
    assert client.get("/_mock/scenario").json() == {"active": None}


def _request():
    from mockserver.contract import HttpRequest

    return HttpRequest("POST", PUSH, "", {}, b"")


def test_kpn_sms_carrier_failure(server: MockServer, client: httpx.Client):
    token = server.providers["kpn"].ready_token("demo-client")
    auth = {"Authorization": f"Bearer {token}"}
    delivery(server, "carrier_failure", provider="kpn", calls={"first": 1})
    sms = {
        "deviceId": "imei:356938035643817",
        "message": {"text": "hi"},
        "feedbackTimeout": "PT10M",
    }
    first = client.post("/sms/downlinks", headers=auth, json=sms).json()
    second = client.post("/sms/downlinks", headers=auth, json=sms).json()
    server.clock.advance(60)
    failed = client.get(f"/sms/downlinks/{first['id']}", headers=auth).json()
    delivered = client.get(f"/sms/downlinks/{second['id']}", headers=auth).json()
    assert failed.get("lastFailureReason") is not None
    assert delivered.get("lastFailureReason") is None and delivered["status"] == "DONE"


def test_rate_limit_headers_ride_on_an_answer_a_later_rule_chose(
    server: MockServer, client: httpx.Client
):
    server.load_scenario(
        scenario(
            {"name": "limit", "act": {"rate_limit": {"limit": 5, "per": "1m"}}},
            {"name": "outage", "act": FAIL},
        )
    )
    response = push(client)
    assert response.status_code == 503
    assert response.headers["x-rate-limit-limit"] == "5"
    assert response.headers["x-rate-limit-available"] == "4"
    (entry,) = server.journal.entries()
    assert entry.scenario_rule == "outage"


def test_a_refusing_limit_keeps_its_own_headers_over_an_earlier_admitting_one(
    server: MockServer, client: httpx.Client
):
    server.load_scenario(
        scenario(
            {"name": "roomy", "act": {"rate_limit": {"limit": 9, "per": "1m"}}},
            {"name": "tight", "act": {"rate_limit": {"limit": 0, "per": "1m"}}},
        )
    )
    response = push(client)
    assert response.status_code == 429
    assert response.headers["x-rate-limit-limit"] == "0"
    assert response.headers["x-rate-limit-available"] == "0"


# -- oversized bodies ----------------------------------------------------------------------
TP_FRAMES = "/core/v141/api/devices/1001/downlinkMessages"
OVERSIZED = b"{" + b" " * (1024 * 1024) + b"}"  # over ThingPark's 1 MiB


def test_an_oversized_thingpark_body_still_meets_the_scenario(
    server: MockServer, client: httpx.Client
):
    assert client.post(TP_FRAMES, content=OVERSIZED).status_code == 413  # no scenario
    server.load_scenario(
        scenario(
            {"name": "lb", "match": {"provider": "thingpark"}, "act": {"respond": {"status": 502}}}
        )
    )
    response = client.post(TP_FRAMES, content=OVERSIZED)
    assert response.status_code == 502
    entry = server.journal.entries()[-1]
    assert (entry.scenario_rule, entry.response.status) == ("lb", 502)


def test_an_oversized_body_a_rule_lets_through_is_still_too_large(
    server: MockServer, client: httpx.Client
):
    server.load_scenario(
        scenario(
            {
                "name": "limit",
                "match": {"provider": "thingpark"},
                "act": {"rate_limit": {"limit": 1, "per": "1m"}},
            },
            {"name": "slow", "match": {"provider": "thingpark"}, "act": {"latency": {"fixed": 0}}},
        )
    )
    first = client.post(TP_FRAMES, content=OVERSIZED)
    assert first.status_code == 413
    assert first.json()["message"] == "Request entity too large"
    assert client.post(TP_FRAMES, content=OVERSIZED).status_code == 429  # counted: it was seen
    assert [e.scenario_rule for e in server.journal.entries()] == ["slow", "limit"]


def test_a_silent_device_is_sent_nothing_until_it_is_back_in_reach(
    server: MockServer, client: httpx.Client
):
    server.uplink("app1.dev2")  # class C, heard: frames go as soon as possible
    server.clock.advance(10)
    server.load_scenario(
        scenario(timeline=[{"from": "0s", "to": "10m", "device_silent": {"device": "app1.dev2"}}])
    )
    push(client, PUSH_DEV2)
    server.clock.advance(9 * 60)
    assert "sent" not in kinds(server, "app1.dev2")  # held, not failed: still queued
    assert len(server.network.get("app1.dev2").queue) == 1
    server.clock.advance(61)
    (sent,) = [e for e in server.network.timeline("app1.dev2") if e.kind == "sent"]
    assert sent.details["window"] == "RXC"
    assert sent.at >= server.scenario.loaded_at + 10 * 60 * 1_000_000


def test_overlapping_silences_keep_a_device_out_of_reach_until_the_last_ends(server: MockServer):
    active = ActiveScenario(
        read_scenario(
            scenario(
                timeline=[
                    {"from": "0s", "to": "2m", "device_silent": {"device": "app1.*"}},
                    {"from": "1m", "to": "5m", "device_silent": {"device": "app1.dev1"}},
                    {"from": "5m", "to": "6m", "device_silent": {"device": "app1.dev1"}},
                ]
            )
        ),
        server.clock,
    )
    minute = 60 * 1_000_000
    assert active.unreachable_until("app1.dev1") == active.loaded_at + 6 * minute
    assert active.unreachable_until("app1.dev2") == active.loaded_at + 2 * minute
    assert active.unreachable_until("thingpark.1002") is None
    server.clock.advance(6 * 60)
    assert active.unreachable_until("app1.dev1") is None
