"""Actuator-style `/downlinks`: SenML instructions, encoders, the protocol downlink they
become, the wider status set and the logs."""

from __future__ import annotations

import json

import pytest

from mockserver.server import MockServer
from tests.providers.kpn.helpers import (
    HTTP_IMEI,
    LORA_CORE_ID,
    LORA_UUID,
    MQTT_UUID,
    assert_problem,
    bearer,
    default_world,
    token,
)

LORA_BN = "urn:dev:DEVEUI:0004A30B001A2B3C:"


def actuator(client, auth, instruction: list, method: dict, **extra) -> dict:
    request = {"instruction": instruction, "method": method, **extra}
    response = client.post("/downlinks", json=request, headers=auth)
    assert response.status_code == 201, response.text
    return response.json()


def fetch(client, auth, downlink_id: str) -> dict:
    response = client.get(f"/downlinks/{downlink_id}", headers=auth)
    assert response.status_code == 200, response.text
    return response.json()


def events(downlink: dict) -> list[tuple[str, str | None]]:
    return [(entry["event"], entry.get("errorCode")) for entry in downlink["logs"]]


def protocol_items(client, auth, api: str) -> list[dict]:
    return client.get(f"/{api}/downlinks", headers=auth).json()["items"]


def test_lora_instruction_delivered_with_logs(server, client, auth):
    created = actuator(
        client, auth, [{"bn": LORA_BN, "n": "raw", "vs": "0a0b"}], {"protocol": "LORA", "fPort": 7}
    )
    assert created["status"] == "PENDING"
    assert created["networkId"] == LORA_BN
    assert json.loads(created["message"]) == [{"bn": LORA_BN, "n": "raw", "vs": "0a0b"}]
    assert events(created) == [("DOWNLINK_ACCEPTED", None)]
    (child,) = protocol_items(client, auth, "lora")
    assert child["message"] == {"payloadHex": "0A0B", "fPort": 7}
    assert child["deviceId"] == LORA_UUID
    server.uplink(LORA_CORE_ID)
    server.clock.advance(0.2)
    assert fetch(client, auth, created["id"])["status"] == "EXECUTING"
    server.clock.advance(1)
    assert fetch(client, auth, created["id"])["status"] == "SENT_TO_CARRIER"
    server.uplink(LORA_CORE_ID, ack=True)
    done = fetch(client, auth, created["id"])
    assert done["status"] == "DELIVERED"
    assert events(done) == [
        ("DOWNLINK_ACCEPTED", None),
        ("DOWNLINK_STARTED", None),
        ("DOWNLINK_PART_SENT", None),
        ("DOWNLINK_PART_DELIVERED", None),
        ("DOWNLINK_DELIVERED", None),
    ]
    times = [entry["createdAt"] for entry in done["logs"]]
    assert times[:3] == [
        "2026-01-01T00:00:00.000Z",
        "2026-01-01T00:00:00.200Z",
        "2026-01-01T00:00:01.000Z",
    ]


def test_a_nack_shows_retry_then_failure(server, client, auth):
    created = actuator(
        client, auth, [{"bn": LORA_BN, "vs": "01"}], {"protocol": "LORA"}, retryLimit=1
    )
    server.uplink(LORA_CORE_ID)
    server.clock.advance(2)
    server.uplink(LORA_CORE_ID, ack=False)
    assert fetch(client, auth, created["id"])["status"] == "RETRY"
    server.clock.advance(2)
    server.uplink(LORA_CORE_ID, ack=False)
    failed = fetch(client, auth, created["id"])
    assert failed["status"] == "FAILED"
    assert events(failed)[-2:] == [
        ("DOWNLINK_PART_FAILED", "NOT_ACKNOWLEDGED_BY_DEVICE"),
        ("DOWNLINK_FAILED", "NOT_ACKNOWLEDGED_BY_DEVICE"),
    ]


def test_mqtt_instruction_is_published_as_senml_json(server, client, auth):
    pack = [{"bn": f"urn:dev:DVNUUID:{MQTT_UUID}:", "n": "led", "vb": True}]
    created = actuator(client, auth, pack, {"protocol": "MQTT", "topic": "actuate"})
    server.clock.advance(0)
    assert fetch(client, auth, created["id"])["status"] == "DELIVERED"
    (publication,) = server.providers["kpn"].lifecycle.broker.published
    assert publication.topic == "actuate"
    assert json.loads(publication.payload) == pack
    assert publication.attributes["content_type"] == "application/senml+json"


def test_sms_instruction_goes_through_the_carrier(server, client, auth):
    pack = [{"bn": "urn:dev:IMEI:356938035643817:", "n": "text", "vs": "reboot"}]
    created = actuator(client, auth, pack, {"protocol": "SMS"})
    server.clock.advance(0)
    assert fetch(client, auth, created["id"])["status"] == "SENT_TO_CARRIER"
    server.clock.advance(5)
    assert fetch(client, auth, created["id"])["status"] == "DELIVERED"
    (child,) = protocol_items(client, auth, "sms")
    assert child["message"]["text"] == "reboot"


def test_http_instruction_waits_for_the_devices_request(server, client, auth):
    pack = [{"bn": "urn:dev:IMEI:356938035643809:", "n": "interval", "v": 60}]
    created = actuator(client, auth, pack, {"protocol": "HTTP"})
    server.clock.advance(0)
    assert fetch(client, auth, created["id"])["status"] == "EXECUTING"
    delivered = server.providers["kpn"].http_request(HTTP_IMEI)
    assert json.loads(delivered.message["body"]) == pack
    assert fetch(client, auth, created["id"])["status"] == "DELIVERED"


def test_a_table_encoder_declared_in_the_world():
    world = default_world()
    world["kpn"]["devices"][0]["encoder"] = {
        "type": "table",
        "f_port": 9,
        "entries": {"led=true": "01", "led=false": "00"},
    }
    server = MockServer(world)
    with server.client() as client:
        auth = bearer(token(client))
        actuator(client, auth, [{"bn": LORA_BN, "n": "led", "vb": False}], {"protocol": "LORA"})
        (child,) = protocol_items(client, auth, "lora")
        assert child["message"] == {"payloadHex": "00", "fPort": 9}
        rejected = actuator(
            client, auth, [{"bn": LORA_BN, "n": "led", "v": 3}], {"protocol": "LORA"}
        )
        assert rejected["status"] == "FAILED"
        assert events(rejected)[-1][0] == "DOWNLINK_REJECTED"
        assert "led=3" in events(rejected)[-1][1]


@pytest.mark.parametrize(
    ("pack", "method"),
    [
        ([{"bn": LORA_BN, "n": "x", "v": 1}], {"protocol": "LORA"}),  # raw-hex needs vs
        ([{"bn": LORA_BN, "vs": "zz"}], {"protocol": "LORA"}),
        ([{"bn": LORA_BN, "vs": "01"}], {"protocol": "MQTT"}),  # not an MQTT device
    ],
)
def test_instructions_the_encoder_cannot_express_are_rejected_after_acceptance(
    client, auth, pack, method
):
    created = actuator(client, auth, pack, method)
    assert created["status"] == "FAILED"
    assert [e for e, _ in events(created)] == ["DOWNLINK_ACCEPTED", "DOWNLINK_REJECTED"]
    assert protocol_items(client, auth, "lora") == []


@pytest.mark.parametrize(
    ("pack", "status", "detail"),
    [
        ([{"n": "x", "vs": "01"}], 400, "bn"),
        ([{"bn": "urn:dev:DEVEUI:FFFFFFFFFFFFFFFF:", "vs": "01"}], 404, "not found"),
        ([{"bn": "my-device", "vs": "01"}], 404, "not found"),
        ([{"bn": LORA_BN, "vs": "01"}, {"bn": f"urn:dev:DVNUUID:{MQTT_UUID}:"}], 400, "same"),
    ],
)
def test_the_instruction_must_name_one_known_device(client, auth, pack, status, detail):
    request = {"instruction": pack, "method": {"protocol": "LORA"}}
    response = client.post("/downlinks", json=request, headers=auth)
    assert_problem(response, status, detail)


@pytest.mark.parametrize("port", [0, 224, 255])
def test_a_lora_port_outside_1_to_223_is_400(client, auth, port):
    request = {
        "instruction": [{"bn": LORA_BN, "vs": "01"}],
        "method": {"protocol": "LORA", "fPort": port},
    }
    assert_problem(client.post("/downlinks", json=request, headers=auth), 400, "fPort")


@pytest.mark.mockserver_allow_violations
@pytest.mark.parametrize(
    "request_body",
    [
        {"method": {"protocol": "LORA"}},
        {"instruction": [{"bn": LORA_BN}]},
        {"instruction": {"bn": LORA_BN}, "method": {"protocol": "LORA"}},
        {"instruction": [{"bn": LORA_BN}], "method": {"protocol": "CARRIER_PIGEON"}},
        {"instruction": [{"bn": LORA_BN, "v": "1"}], "method": {"protocol": "LORA"}},
        {"instruction": [{"bn": LORA_BN}], "method": {"protocol": "LORA"}, "retryLimit": -1},
    ],
    ids=["no-instruction", "no-method", "not-a-pack", "protocol", "v-not-number", "retry"],
)
def test_requests_that_break_the_spec_are_400(client, auth, request_body):
    assert_problem(client.post("/downlinks", json=request_body, headers=auth), 400)


def test_feedback_timeout_rules_apply_and_reach_the_protocol_downlink(client, auth):
    request = {"instruction": [{"bn": LORA_BN, "vs": "01"}], "method": {"protocol": "LORA"}}
    short = {**request, "feedbackTimeout": "PT5M"}
    assert_problem(client.post("/downlinks", json=short, headers=auth), 400, "10 minutes")
    actuator(client, auth, request["instruction"], request["method"], feedbackTimeout="PT30M")
    (child,) = protocol_items(client, auth, "lora")
    assert child["feedbackTimeout"] == "PT30M"


def test_external_reference_is_unique_per_client(client, auth):
    pack, method = [{"bn": LORA_BN, "vs": "01"}], {"protocol": "LORA"}
    created = actuator(client, auth, pack, method, externalReference="order-1")
    assert created["externalReference"] == "order-1"
    again = {"instruction": pack, "method": method, "externalReference": "order-1"}
    assert_problem(client.post("/downlinks", json=again, headers=auth), 409, "order-1")
    actuator(client, auth, pack, method, externalReference="order-2")


def test_dry_run_is_delivered_without_delivery(server, client, auth):
    created = actuator(
        client, auth, [{"bn": LORA_BN, "vs": "01"}], {"protocol": "LORA"}, dryRun=True
    )
    server.clock.advance(0)
    done = fetch(client, auth, created["id"])
    assert done["status"] == "DELIVERED"
    assert [e for e, _ in events(done)] == [
        "DOWNLINK_ACCEPTED",
        "DOWNLINK_STARTED",
        "DOWNLINK_DELIVERED",
    ]
    assert not [e for e in server.network.timeline(LORA_CORE_ID) if e.kind == "queued"]


class TestCancel:
    def test_pending_is_cancelled_with_its_protocol_downlink(self, server, client, auth):
        created = actuator(client, auth, [{"bn": LORA_BN, "vs": "01"}], {"protocol": "LORA"})
        assert client.delete(f"/downlinks/{created['id']}", headers=auth).status_code == 202
        cancelled = fetch(client, auth, created["id"])
        assert cancelled["status"] == "CANCELLED"
        assert events(cancelled)[-1] == ("DOWNLINK_FAILED", "CANCELLED")
        (child,) = protocol_items(client, auth, "lora")
        assert (child["status"], child["lastFailureReason"]) == ("DONE", "CANCELLED")
        assert len(server.network.get(LORA_CORE_ID).queue) == 0
        assert_problem(client.delete(f"/downlinks/{created['id']}", headers=auth), 409)

    def test_in_progress_needs_forced_and_finished_cannot_be_cancelled(self, server, client, auth):
        pack = [{"bn": "urn:dev:IMEI:356938035643817:", "vs": "hi"}]
        created = actuator(client, auth, pack, {"protocol": "SMS"})
        server.clock.advance(0)
        path = f"/downlinks/{created['id']}"
        assert_problem(client.delete(path, headers=auth), 409, "forced=true")
        assert client.delete(path, params={"forced": "true"}, headers=auth).status_code == 202
        assert fetch(client, auth, created["id"])["status"] == "CANCELLED"
        done = actuator(client, auth, pack, {"protocol": "SMS"})
        server.clock.advance(5)
        response = client.delete(
            f"/downlinks/{done['id']}", params={"forced": "true"}, headers=auth
        )
        assert_problem(response, 409, "DELIVERED")

    def test_cancelling_the_protocol_downlink_cancels_the_actuator_downlink(self, client, auth):
        created = actuator(client, auth, [{"bn": LORA_BN, "vs": "01"}], {"protocol": "LORA"})
        (child,) = protocol_items(client, auth, "lora")
        assert client.delete(f"/lora/downlinks/{child['id']}", headers=auth).status_code == 202
        assert fetch(client, auth, created["id"])["status"] == "CANCELLED"


def test_get_unknown_is_404(client, auth):
    assert_problem(client.get("/downlinks/nope", headers=auth), 404, "nope")
    assert_problem(client.delete("/downlinks/nope", headers=auth), 404)


def test_integral_floats_in_integer_fields_are_echoed_as_integers(client, auth):
    """`method.fPort` and SenML `bver` are `integer`: 7.0 and 10.0 are taken, as 7 and 10."""
    created = actuator(
        client,
        auth,
        [{"bn": LORA_BN, "bver": 10.0, "n": "raw", "vs": "0a0b"}],
        {"protocol": "LORA", "fPort": 7.0},
    )
    assert '"bver":10,' in created["message"]
    (child,) = protocol_items(client, auth, "lora")
    assert child["message"] == {"payloadHex": "0A0B", "fPort": 7}
    assert type(child["message"]["fPort"]) is int


def test_the_message_keeps_non_ascii_text_as_text(client, auth):
    created = actuator(
        client, auth, [{"bn": LORA_BN, "n": "température", "vs": "0a"}], {"protocol": "LORA"}
    )
    assert "température" in created["message"]
    assert json.loads(created["message"])[0]["n"] == "température"
