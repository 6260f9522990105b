"""Issue 20, item 4: a KPN downlink's life is in its device's timeline
(`GET /_mock/devices/{id}/events`) for every bearer, and what the timeline says agrees with
what KPN's own API says of the downlink: each status step (`created`, `executing`, `done`,
`cancelled`) carries the status and failure reason the API shows from then on, at the
API's `createdAt`/`modifiedAt` on the virtual clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest

from mockserver.server import MockServer
from tests.providers.kpn.helpers import (
    HTTP_IMEI,
    LORA_CORE_ID,
    MQTT_UUID,
    SMS_IMEI,
    bearer,
    create,
    get,
    server_with,
    token,
)

SMS_CORE_ID = "kpn.9b2e3f4a-1c5d-4e6f-8a7b-0c1d2e3f4a5b"
MQTT_CORE_ID = f"kpn.{MQTT_UUID}"
STATUS_STEPS = ("created", "executing", "done", "cancelled")


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def life(client: httpx.Client, core_id: str, downlink_id: str) -> list[dict[str, Any]]:
    """The downlink's events, as the admin API lists them."""
    answer = client.get(f"/_mock/devices/{core_id}/events")
    assert answer.status_code == 200, answer.text
    return [event for event in answer.json() if event.get("downlink_id") == downlink_id]


def kinds(events: list[dict[str, Any]]) -> list[str]:
    return [event["kind"] for event in events]


def agrees(client: httpx.Client, auth: dict[str, str], api: str, core_id: str, downlink_id: str):
    """The timeline says what the API says of the downlink now: its last status step has
    the API's status and failure reason, the first is at `createdAt`, the last step of any
    kind at `modifiedAt` (a retry moves it too), and each retry is a `failed` step."""
    shown = get(client, auth, api, downlink_id)
    events = life(client, core_id, downlink_id)
    steps = [event for event in events if event["kind"] in STATUS_STEPS]
    assert steps[0]["kind"] == "created"
    assert instant(steps[0]["at"]) == instant(shown["createdAt"])
    last = steps[-1]
    assert last["status"] == shown["status"]
    assert last.get("last_failure_reason") == shown.get("lastFailureReason")
    # A LoRa frame's transmission (the network's `sent`, which names no downlink_id) also
    # moves `modifiedAt`: there the API's time is no earlier than the last step told here.
    latest, modified = instant(events[-1]["at"]), instant(shown["modifiedAt"])
    assert latest == modified if api != "lora" else latest <= modified
    retried = [e for e in events if e["kind"] == "failed" and e["will_retry"]]
    assert len(retried) == shown.get("retryCount", 0)
    assert all(event["bearer"] == api for event in events)
    assert [instant(e["at"]) for e in events] == sorted(instant(e["at"]) for e in events)
    return shown, events


class TestSms:
    def test_created_executing_sent_delivered_done_each_as_the_api_saw_it(
        self, server, client, auth
    ):
        created = create(client, auth, "sms")
        downlink = created["id"]
        shown, events = agrees(client, auth, "sms", SMS_CORE_ID, downlink)
        assert (shown["status"], kinds(events)) == ("PENDING", ["created"])
        assert events[0]["message"] == created["message"]
        server.clock.advance(0)  # handed to the carrier
        shown, events = agrees(client, auth, "sms", SMS_CORE_ID, downlink)
        assert (shown["status"], kinds(events)) == ("EXECUTING", ["created", "executing", "sent"])
        assert (events[2]["via"], events[2]["attempt"]) == ("carrier", 1)
        server.clock.advance(4.5)  # the carrier has not reported yet
        assert kinds(life(client, SMS_CORE_ID, downlink))[-1] == "sent"
        server.clock.advance(0.5)
        shown, events = agrees(client, auth, "sms", SMS_CORE_ID, downlink)
        assert shown["status"] == "DONE" and "lastFailureReason" not in shown
        assert kinds(events) == ["created", "executing", "sent", "delivered", "done"]
        assert events[3]["at"] == events[4]["at"] == "2026-01-01T00:00:05Z"
        # The journal's exchange that created it is at the `created` step's instant, and
        # its answer is the `created` step's status and message.
        (made,) = client.get("/_mock/journal", params={"operation": "kpn.createSmsDownlink"}).json()
        assert (made["at"], made["response"]["body"]["id"]) == (events[0]["at"], downlink)
        assert made["response"]["body"]["status"] == events[0]["status"]
        assert made["response"]["body"]["message"] == events[0]["message"]

    def test_each_carrier_failure_and_retry_then_the_failure_reason(self, server, client, auth):
        server.providers["kpn"].set_reachable(SMS_IMEI, False)
        downlink = create(client, auth, "sms", retryLimit=1)["id"]
        server.clock.advance(5)
        shown, events = agrees(client, auth, "sms", SMS_CORE_ID, downlink)
        assert (shown["status"], shown["retryCount"]) == ("EXECUTING", 1)
        failed = events[-2]
        assert (failed["kind"], failed["will_retry"], failed["retry_count"]) == ("failed", True, 0)
        assert failed["reason"] == "FAILURE_TO_TRANSMIT_TO_DEVICE"
        assert (events[-1]["kind"], events[-1]["attempt"]) == ("sent", 2)
        server.clock.advance(5)
        shown, events = agrees(client, auth, "sms", SMS_CORE_ID, downlink)
        assert shown["lastFailureReason"] == "FAILURE_TO_TRANSMIT_TO_DEVICE"
        assert kinds(events) == [
            "created",
            "executing",
            "sent",
            "failed",
            "sent",
            "failed",
            "done",
        ]
        assert (events[5]["will_retry"], events[5]["retry_count"]) == (False, 1)
        assert "delivered" not in kinds(events)

    def test_a_cancelled_downlink_ends_cancelled_and_the_carrier_report_adds_nothing(
        self, server, client, auth
    ):
        downlink = create(client, auth, "sms")["id"]
        server.clock.advance(1)
        cancelled = client.delete(f"/sms/downlinks/{downlink}?forced=true", headers=auth)
        assert cancelled.status_code == 202
        server.clock.advance(10)  # the carrier's report is for a cancelled submission
        shown, events = agrees(client, auth, "sms", SMS_CORE_ID, downlink)
        assert shown["lastFailureReason"] == "CANCELLED"
        assert kinds(events) == ["created", "executing", "sent", "cancelled"]
        assert (events[-1]["status"], events[-1]["at"]) == ("DONE", "2026-01-01T00:00:01Z")

    def test_a_feedback_timeout_is_the_done_step_with_its_reason(self):
        server = server_with({"sms_delay": 3600})
        with server.client() as client:
            auth = bearer(token(client))
            downlink = create(client, auth, "sms", feedbackTimeout="PT10M")["id"]
            server.clock.advance(600)
            shown, events = agrees(client, auth, "sms", SMS_CORE_ID, downlink)
            assert shown["lastFailureReason"] == "FEEDBACK_TIMEOUT"
            assert kinds(events) == ["created", "executing", "sent", "done"]
            assert events[-1]["at"] == "2026-01-01T00:10:00Z"

    def test_an_actuator_downlink_s_sms_names_it(self, server, client, auth):
        pack = [{"bn": f"urn:dev:IMEI:{SMS_IMEI.removeprefix('imei:')}:", "n": "t", "vs": "hi"}]
        answer = client.post(
            "/downlinks",
            json={"instruction": pack, "method": {"protocol": "SMS"}},
            headers=auth,
        )
        assert answer.status_code == 201, answer.text
        actuator = answer.json()["id"]
        server.clock.advance(5)
        events = client.get(f"/_mock/devices/{SMS_CORE_ID}/events").json()
        assert kinds(events) == ["created", "executing", "sent", "delivered", "done"]
        assert {event["actuator_id"] for event in events} == {actuator}
        child = server.providers["kpn"].record(actuator).child
        assert child is not None and {event["downlink_id"] for event in events} == {child.id}


class TestMqtt:
    def test_published_at_once(self, server, client, auth):
        downlink = create(client, auth, "mqtt")["id"]
        server.clock.advance(0)
        _, events = agrees(client, auth, "mqtt", MQTT_CORE_ID, downlink)
        assert kinds(events) == ["created", "executing", "sent", "delivered", "done"]
        assert (events[2]["via"], events[2]["topic"]) == ("broker", "commands")

    def test_a_broker_that_is_down_is_a_failed_step_then_done_with_the_reason(
        self, server, client, auth
    ):
        server.providers["kpn"].set_broker_up(MQTT_UUID, False)
        downlink = create(client, auth, "mqtt")["id"]
        server.clock.advance(0)
        shown, events = agrees(client, auth, "mqtt", MQTT_CORE_ID, downlink)
        assert kinds(events) == ["created", "executing", "failed", "done"]
        assert events[2]["reason"] == shown["lastFailureReason"] == "FAILED_TO_TRANSMIT_TO_DEVICE"


class TestHttp:
    def test_executing_until_the_device_s_request_carries_it(self, server, client, auth):
        downlink = create(client, auth, "http")["id"]
        server.clock.advance(0)
        core_id = server.providers["kpn"].device(HTTP_IMEI).core.id
        _, events = agrees(client, auth, "http", core_id, downlink)
        assert kinds(events) == ["created", "executing"]
        server.clock.advance(30)
        server.uplink(core_id)  # the device's request
        _, events = agrees(client, auth, "http", core_id, downlink)
        carried = ["delivered-in-response", "delivered", "done"]
        assert kinds(events) == ["created", "executing", *carried]
        assert events[-1]["at"] == "2026-01-01T00:00:30Z"


class TestLora:
    def test_the_status_steps_join_the_network_s_own_events(self, server, client, auth):
        downlink = create(client, auth, "lora")["id"]
        server.uplink(LORA_CORE_ID)
        server.clock.advance(0.2)
        shown, ours = agrees(client, auth, "lora", LORA_CORE_ID, downlink)
        assert shown["status"] == "EXECUTING"
        everything = client.get(f"/_mock/devices/{LORA_CORE_ID}/events").json()
        assert kinds(everything) == ["created", "queued", "uplink", "scheduled", "executing"]
        server.clock.advance(10)
        server.uplink(LORA_CORE_ID, ack=True)
        shown, ours = agrees(client, auth, "lora", LORA_CORE_ID, downlink)
        assert shown["status"] == "DONE"
        # The radio's steps are the network's: the provider adds no second `sent`.
        assert kinds(ours) == ["created", "executing", "done"]
        everything = kinds(client.get(f"/_mock/devices/{LORA_CORE_ID}/events").json())
        assert everything.count("sent") == 1 and "delivered" not in everything


@pytest.mark.parametrize(
    ("api", "core_id"),
    [("sms", SMS_CORE_ID), ("mqtt", MQTT_CORE_ID), ("lora", LORA_CORE_ID)],
)
def test_a_dry_run_goes_from_created_to_done_and_nothing_is_sent(
    server, client, auth, api, core_id
):
    downlink = create(client, auth, api, dryRun=True)["id"]
    server.clock.advance(0)
    _, events = agrees(client, auth, api, core_id, downlink)
    assert kinds(events) == ["created", "executing", "done"]
    assert events[0]["dry_run"] is True


@pytest.mark.parametrize(
    ("api", "core_id", "fault", "reason"),
    [
        ("sms", SMS_CORE_ID, "carrier_failure", "FAILURE_TO_TRANSMIT_TO_DEVICE"),
        ("mqtt", MQTT_CORE_ID, "broker_down", "FAILED_TO_TRANSMIT_TO_DEVICE"),
    ],
)
def test_a_scenario_s_bearer_fault_is_named_on_the_failed_step(
    server, client, auth, api, core_id, fault, reason
):
    server.load_scenario(
        {
            "name": "t",
            "description": "test",
            "seed": 1,
            "rules": [{"match": {"provider": "kpn"}, "act": {"delivery": fault}}],
            "timeline": [],
        }
    )
    downlink = create(client, auth, api)["id"]
    server.clock.advance(5)
    shown, events = agrees(client, auth, api, core_id, downlink)
    (failed,) = [event for event in events if event["kind"] == "failed"]
    assert (failed["fault"], failed["reason"]) == (fault, reason)
    assert shown["lastFailureReason"] == reason


def test_a_device_out_of_reach_is_no_scenario_fault(server, client, auth):
    server.providers["kpn"].set_reachable(SMS_IMEI, False)
    server.providers["kpn"].set_broker_up(MQTT_UUID, False)
    sms, mqtt = create(client, auth, "sms")["id"], create(client, auth, "mqtt")["id"]
    server.clock.advance(5)
    for api, core_id, downlink in (("sms", SMS_CORE_ID, sms), ("mqtt", MQTT_CORE_ID, mqtt)):
        _, events = agrees(client, auth, api, core_id, downlink)
        (failed,) = [event for event in events if event["kind"] == "failed"]
        assert "fault" not in failed


class TestDeviceRows:
    """What the dashboard lists beside a device another bearer reaches."""

    def test_the_bearer_and_the_downlinks_in_flight_not_class_a_eu868_no_session(
        self, server: MockServer, client, auth
    ):
        def row(core_id: str) -> dict[str, Any]:
            found = client.get("/_mock/ui/devices", params={"q": core_id}).json()["devices"]
            assert len(found) == 1
            return found[0]

        assert client.get(f"/_mock/devices/{SMS_CORE_ID}").json()["bearer"] == "sms"
        assert client.get(f"/_mock/devices/{LORA_CORE_ID}").json()["bearer"] == "lora"
        assert client.get("/_mock/devices/app1.dev1").json()["bearer"] == "lora"
        assert (row(SMS_CORE_ID)["state"], row(SMS_CORE_ID)["queued"]) == ("idle", 0)
        create(client, auth, "sms")
        create(client, auth, "sms")
        server.clock.advance(0)
        assert (row(SMS_CORE_ID)["state"], row(SMS_CORE_ID)["queued"]) == ("with the carrier", 2)
        server.clock.advance(5)
        assert (row(SMS_CORE_ID)["state"], row(SMS_CORE_ID)["queued"]) == ("idle", 0)
        server.providers["kpn"].set_reachable(SMS_IMEI, False)
        assert row(SMS_CORE_ID)["state"] == "unreachable"
        server.providers["kpn"].set_broker_up(MQTT_UUID, False)
        assert row(MQTT_CORE_ID)["state"] == "broker down"
        http_id = server.providers["kpn"].device(HTTP_IMEI).core.id
        create(client, auth, "http")
        server.clock.advance(0)
        assert (row(http_id)["state"], row(http_id)["queued"]) == ("awaiting its request", 1)
        lora = row(LORA_CORE_ID)
        assert (lora["bearer"], lora["class"], lora["session"], lora["state"]) == (
            "lora",
            "A",
            True,
            "idle",
        )
        assert row("app1.dev3")["state"] == "no session"  # LoRa's view is kept
