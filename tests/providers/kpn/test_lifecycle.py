"""Each bearer moves a downlink through its statuses on the network core's virtual clock."""

from __future__ import annotations

import base64

import pytest

from mockserver.server import MockServer
from tests.providers.kpn.helpers import (
    HTTP_IMEI,
    LORA_CORE_ID,
    MQTT_UUID,
    PROTOCOLS,
    SMS_IMEI,
    bearer,
    create,
    default_world,
    get,
    server_with,
    token,
)


def status(client, auth, api: str, downlink_id: str) -> tuple[str, str | None]:
    found = get(client, auth, api, downlink_id)
    return found["status"], found.get("lastFailureReason")


class TestLora:
    def test_class_a_waits_for_an_uplink_then_goes_in_rx1_and_the_ack_completes_it(
        self, server, client, auth
    ):
        created = create(client, auth, "lora")
        server.clock.advance(60)
        assert status(client, auth, "lora", created["id"]) == ("PENDING", None)
        server.uplink(LORA_CORE_ID)
        server.clock.advance(0.2)  # the Network Server decides after deduplication
        executing = get(client, auth, "lora", created["id"])
        assert executing["status"] == "EXECUTING"
        assert executing["modifiedAt"] == "2026-01-01T00:01:00.200Z"
        (scheduled,) = [e for e in server.network.timeline(LORA_CORE_ID) if e.kind == "scheduled"]
        assert scheduled.details["window"] == "RX1"
        assert scheduled.details["transmit_at"] - scheduled.at == 800_000  # RX1 delay 1 s
        assert scheduled.downlinks[0].frm_payload == bytes([1, 2])
        assert scheduled.downlinks[0].confirmed is True
        server.clock.advance(30)
        assert status(client, auth, "lora", created["id"]) == ("EXECUTING", None)
        server.uplink(LORA_CORE_ID, ack=True)
        assert status(client, auth, "lora", created["id"]) == ("DONE", None)

    def test_a_nack_is_retried_up_to_the_retry_limit(self, server, client, auth):
        created = create(client, auth, "lora", retryLimit=1)
        server.uplink(LORA_CORE_ID)
        server.clock.advance(2)
        server.uplink(LORA_CORE_ID, ack=False)  # NACK: retried, in this uplink's windows
        server.clock.advance(2)
        first = get(client, auth, "lora", created["id"])
        assert (first["status"], first["retryCount"]) == ("EXECUTING", 1)
        sent = [e for e in server.network.timeline(LORA_CORE_ID) if e.kind == "sent"]
        assert len(sent) == 2
        server.uplink(LORA_CORE_ID, ack=False)
        final = get(client, auth, "lora", created["id"])
        assert (final["status"], final["retryCount"]) == ("DONE", 1)
        assert final["lastFailureReason"] == "NOT_ACKNOWLEDGED_BY_DEVICE"

    def test_no_feedback_within_the_feedback_timeout(self, server, client, auth):
        created = create(client, auth, "lora", feedbackTimeout="PT15M")
        server.clock.advance(15 * 60 - 1)
        assert status(client, auth, "lora", created["id"]) == ("PENDING", None)
        server.clock.advance(1)
        assert status(client, auth, "lora", created["id"]) == ("DONE", "FEEDBACK_TIMEOUT")
        assert len(server.network.get(LORA_CORE_ID).queue) == 0
        server.uplink(LORA_CORE_ID)
        server.clock.advance(5)
        assert not [e for e in server.network.timeline(LORA_CORE_ID) if e.kind == "sent"]

    def test_a_payload_too_long_for_any_window_fails_to_transmit(self, server, client, auth):
        created = create(client, auth, "lora", message={"payloadHex": "00" * 250, "fPort": 1})
        server.uplink(LORA_CORE_ID)
        server.clock.advance(1)
        assert status(client, auth, "lora", created["id"]) == (
            "DONE",
            "FAILED_TO_TRANSMIT_TO_DEVICE",
        )

    def test_a_device_without_session_cannot_enqueue(self):
        world = default_world()
        del world["kpn"]["devices"][0]["session"]
        server = MockServer(world)
        with server.client() as client:
            auth = bearer(token(client))
            created = create(client, auth, "lora")
            assert created["status"] == "DONE"
            assert created["lastFailureReason"] == "FAILED_TO_ENQUEUE_FOR_TRANSMISSION"

    def test_cancel_takes_a_pending_downlink_out_of_the_device_queue(self, server, client, auth):
        created = create(client, auth, "lora")
        assert len(server.network.get(LORA_CORE_ID).queue) == 1
        assert client.delete(f"/lora/downlinks/{created['id']}", headers=auth).status_code == 202
        assert len(server.network.get(LORA_CORE_ID).queue) == 0

    def test_class_c_sends_without_waiting_for_the_next_uplink(self):
        world = default_world()
        world["kpn"]["devices"][0]["class"] = "C"
        server = MockServer(world)
        server.uplink(LORA_CORE_ID)  # class C starts with the first uplink
        server.clock.advance(5)
        with server.client() as client:
            auth = bearer(token(client))
            created = create(client, auth, "lora")
            server.clock.advance(0.2)
            assert status(client, auth, "lora", created["id"]) == ("EXECUTING", None)
            (sent,) = [e for e in server.network.timeline(LORA_CORE_ID) if e.kind == "sent"]
            assert sent.details["window"] == "RXC"


class TestMqtt:
    def test_published_at_once(self, server, client, auth):
        created = create(
            client,
            auth,
            "mqtt",
            message={"type": "binary", "payload": "AQID", "topic": "cmd", "contentType": "x/y"},
        )
        assert created["status"] == "PENDING"
        server.clock.advance(0)
        assert status(client, auth, "mqtt", created["id"]) == ("DONE", None)
        (publication,) = server.providers["kpn"].lifecycle.broker.published
        assert publication.device_id == f"kpn.{MQTT_UUID}"
        assert (publication.topic, publication.payload) == ("cmd", b"\x01\x02\x03")
        assert publication.attributes == {"qos": "AT_MOST_ONCE", "content_type": "x/y"}

    def test_text_is_published_as_utf8_even_when_it_is_also_base64(self, server, client, auth):
        create(client, auth, "mqtt")  # {"type": "text", "payload": "abcd"}
        server.clock.advance(0)
        (publication,) = server.providers["kpn"].lifecycle.broker.published
        assert publication.payload == b"abcd"

    def test_a_broker_that_is_down_fails_the_transmission(self, server, client, auth):
        server.providers["kpn"].set_broker_up(MQTT_UUID, False)
        created = create(client, auth, "mqtt")
        server.clock.advance(0)
        assert status(client, auth, "mqtt", created["id"]) == (
            "DONE",
            "FAILED_TO_TRANSMIT_TO_DEVICE",
        )

    def test_the_world_can_start_with_the_broker_down(self):
        world = default_world()
        world["kpn"]["devices"][1]["broker_up"] = False
        server = MockServer(world)
        with server.client() as client:
            auth = bearer(token(client))
            created = create(client, auth, "mqtt")
            server.clock.advance(0)
            assert status(client, auth, "mqtt", created["id"])[1] == "FAILED_TO_TRANSMIT_TO_DEVICE"


class TestSms:
    def test_handed_to_the_carrier_then_delivered_after_its_delay(self, server, client, auth):
        created = create(client, auth, "sms")
        server.clock.advance(0)
        assert status(client, auth, "sms", created["id"]) == ("EXECUTING", None)
        server.clock.advance(4.999)
        assert status(client, auth, "sms", created["id"]) == ("EXECUTING", None)
        server.clock.advance(0.001)
        done = get(client, auth, "sms", created["id"])
        assert (done["status"], done["modifiedAt"]) == ("DONE", "2026-01-01T00:00:05.000Z")
        (submission,) = server.providers["kpn"].lifecycle.carrier.submissions
        assert submission.text == "hello"

    def test_an_unreachable_device_is_retried_then_fails(self, server, client, auth):
        server.providers["kpn"].set_reachable(SMS_IMEI, False)
        created = create(client, auth, "sms", retryLimit=2)
        server.clock.advance(5)
        assert get(client, auth, "sms", created["id"])["retryCount"] == 1
        server.clock.advance(10)
        final = get(client, auth, "sms", created["id"])
        assert (final["status"], final["retryCount"]) == ("DONE", 2)
        assert final["lastFailureReason"] == "FAILURE_TO_TRANSMIT_TO_DEVICE"
        assert len(server.providers["kpn"].lifecycle.carrier.submissions) == 3

    def test_a_carrier_slower_than_the_feedback_timeout(self):
        server = server_with({"sms_delay": 3600})
        with server.client() as client:
            auth = bearer(token(client))
            created = create(client, auth, "sms", feedbackTimeout="PT10M")
            server.clock.advance(600)
            assert status(client, auth, "sms", created["id"]) == ("DONE", "FEEDBACK_TIMEOUT")


class TestHttp:
    def test_one_at_a_time_in_the_response_to_the_devices_next_request(self, server, client, auth):
        kpn = server.providers["kpn"]
        first = create(client, auth, "http")
        second = create(client, auth, "http", message={"type": "binary", "body": "AQI="})
        server.clock.advance(0)
        assert status(client, auth, "http", first["id"])[0] == "EXECUTING"
        assert status(client, auth, "http", second["id"])[0] == "PENDING"
        server.clock.advance(120)
        assert kpn.http_request(HTTP_IMEI).id == first["id"]
        assert status(client, auth, "http", first["id"]) == ("DONE", None)
        assert status(client, auth, "http", second["id"])[0] == "EXECUTING"
        delivered = kpn.http_request(HTTP_IMEI)
        assert delivered.id == second["id"]
        assert base64.b64decode(delivered.message["body"]) == b"\x01\x02"
        assert kpn.http_request(HTTP_IMEI) is None

    def test_the_device_is_named_by_any_of_its_ids_or_a_clear_error(self, server, client, auth):
        kpn = server.providers["kpn"]
        created = create(client, auth, "http")
        server.clock.advance(0)  # the create takes effect on the clock's next step
        core_id = kpn.device(HTTP_IMEI).core.id
        assert core_id.startswith("kpn.")
        assert kpn.http_request(core_id).id == created["id"]
        with pytest.raises(KeyError, match=r"no KPN device 'kpn\.nope'.*imei:"):
            kpn.http_request("kpn.nope")

    def test_no_request_within_the_feedback_timeout_is_a_timeout(self, server, client, auth):
        first = create(client, auth, "http")
        second = create(client, auth, "http", feedbackTimeout="PT20M")
        server.clock.advance(600)
        assert status(client, auth, "http", first["id"]) == ("DONE", "TIMEOUT")
        assert status(client, auth, "http", second["id"])[0] == "EXECUTING"
        assert server.providers["kpn"].http_request(HTTP_IMEI).id == second["id"]


@pytest.mark.parametrize("api", PROTOCOLS)
def test_dry_run_pretends_success_without_delivery(server, client, auth, api):
    created = create(client, auth, api, dryRun=True)
    assert created["dryRun"] is True
    server.clock.advance(0)
    assert status(client, auth, api, created["id"]) == ("DONE", None)
    lifecycle = server.providers["kpn"].lifecycle
    assert lifecycle.broker.published == []
    assert lifecycle.carrier.submissions == []
    assert len(lifecycle.mailbox) == 0
    assert len(server.network.get(LORA_CORE_ID).queue) == 0


def test_an_http_devices_network_uplink_is_its_request(server, client, auth):
    """`server.uplink()` (and the admin uplink route) works for HTTP devices too; what the
    response carried is in the device's timeline."""
    created = create(client, auth, "http")
    server.clock.advance(0)
    core_id = server.providers["kpn"].device(HTTP_IMEI).core.id
    server.uplink(core_id)
    assert status(client, auth, "http", created["id"]) == ("DONE", None)
    (delivered,) = [
        e for e in server.network.timeline(core_id) if e.kind == "delivered-in-response"
    ]
    assert delivered.details["message"] == {"type": "text", "body": "abcd"}
