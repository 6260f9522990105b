"""`class_b_c.absolute_time` once accepted: the downlink leaves at that instant.

TTS's Network Server (nextDataDownlinkSlot, pkg/networkserver/utils.go) gives an item with an
absolute time an application-time slot at that very time, for class B and C alike (a class B
time must only not come before the next ping slot); the downlink task runs 5.2 s before it;
the item holds the head of the queue; it never goes in a class A window; a time that can no
longer be met drops it with `downlink_expired` (generateDataDownlink). All on the virtual
clock; the timeline, the webhook messages (and their `at`) and the admin API must agree.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from mockserver.core import DeviceClass
from mockserver.lorawan.class_b import ping_slot_at
from mockserver.server import MockServer
from mockserver.types import MILLISECOND, SECOND
from tests.conftest import AUTH

START = 1_767_225_600 * SECOND  # 2026-01-01T00:00:00Z, the world's clock start
PUSH = "/api/v3/as/applications/app1/webhooks/wh1/devices/{device}/down/push"
KINDS = ("queued", "scheduled", "sent", "failed")


@pytest.fixture
def server() -> MockServer:
    world: dict[str, Any] = {
        "seed": 3,
        "clock": {"start": "2026-01-01T00:00:00Z"},
        "tts": {
            "api_keys": [{"key": "NNSXS.XXXXXXXXX", "application": "app1", "placeholder": True}],
            "applications": [
                {
                    "id": "app1",
                    "webhooks": [
                        {
                            "id": "wh1",
                            "base_url": "http://127.0.0.1:9/ttn",
                            "downlink_queued": {"path": "/queued"},
                            "downlink_sent": {"path": "/sent"},
                            "downlink_failed": {"path": "/failed"},
                        }
                    ],
                    "devices": [
                        {"id": "devc", "class": "C", "session": {"dev_addr": "260B0002"}},
                        {"id": "devb", "class": "B", "session": {"dev_addr": "260B0003"}},
                        {"id": "deva", "class": "A", "session": {"dev_addr": "260B0004"}},
                    ],
                }
            ],
        },
    }
    return MockServer(world)


def rfc3339(instant: int) -> str:
    from mockserver.providers.tts.outbound import rfc3339 as tts_rfc3339

    return tts_rfc3339(instant)


def item(payload: str, when: int | None = None, **more: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"f_port": 1, "frm_payload": payload, **more}
    if when is not None:
        out["class_b_c"] = {"absolute_time": rfc3339(when)}
    return out


def push(server: MockServer, device: str, *items: dict[str, Any]) -> None:
    with server.client() as client:
        response = client.post(
            PUSH.format(device=device), headers=AUTH, content=json.dumps({"downlinks": items})
        )
    assert response.status_code == 200, response.text


def outcomes(server: MockServer, device: str) -> list[tuple[str, int, str]]:
    """(kind, at, payload) of the device's downlink events, in order."""
    return [
        (e.kind, e.at, e.downlinks[0].frm_payload.hex())
        for e in server.network.timeline(f"app1.{device}")
        if e.kind in KINDS
    ]


def sent(server: MockServer, device: str) -> list[tuple[int, str, str]]:
    return [
        (e.at, e.details["window"], e.downlinks[0].frm_payload.hex())
        for e in server.network.timeline(f"app1.{device}")
        if e.kind == "sent"
    ]


def test_class_c_goes_at_its_absolute_time_not_at_once(server):
    server.uplink("app1.devc")  # class C needs a path: the device's first uplink
    server.clock.advance(60)
    when = START + 60 * SECOND + 600 * SECOND  # ten minutes from the push
    push(server, "devc", item("AQ==", when))
    server.clock.advance(590)  # 5 s short of its decision: nothing has happened
    assert [kind for kind, *_ in outcomes(server, "devc")] == ["queued"]
    server.clock.run_until_idle()
    assert outcomes(server, "devc") == [
        ("queued", START + 60 * SECOND, "01"),
        ("scheduled", when - 5_200 * MILLISECOND, "01"),
        ("sent", when, "01"),
    ]
    (event,) = [e for e in server.network.timeline("app1.devc") if e.kind == "sent"]
    assert event.details["window"] == "RXC"
    assert event.details["transmit_at"] == when
    assert event.details["data_rate"] == 0  # EU868 RX2
    assert event.details["frequency"] == 869_525_000


def test_the_webhooks_and_the_admin_api_carry_the_same_instants(server):
    server.uplink("app1.devc")
    when = START + 600 * SECOND
    push(server, "devc", item("AQ==", when, correlation_ids=["timed"]))
    server.clock.run_until_idle()
    server.outbound.flush(timeout=30)
    messages = {
        attempt.message.kind: attempt.message
        for attempt in server.outbound.attempts()
        if attempt.message.device_id == "app1.devc"
    }
    assert set(messages) == {"downlink_queued", "downlink_sent"}
    assert messages["downlink_queued"].at == START
    assert messages["downlink_sent"].at == when
    body = json.loads(messages["downlink_sent"].body)
    assert body["received_at"] == rfc3339(when)
    assert body["downlink_sent"]["class_b_c"] == {"absolute_time": rfc3339(when)}
    with server.client() as client:
        events = client.get("/_mock/devices/app1.devc/events").json()
    shown = {e["kind"]: e for e in events if e["kind"] in KINDS}
    assert shown["sent"]["at"] == shown["sent"]["transmit_at"] == "2026-01-01T00:10:00Z"
    assert shown["scheduled"]["at"] == "2026-01-01T00:09:54.800000Z"
    assert shown["sent"]["downlinks"][0]["absolute_time"] == "2026-01-01T00:10:00Z"


def test_class_b_goes_at_its_absolute_time_in_a_ping_slot(server):
    """TTS sends at the application's time itself: the application picks one of the device's
    ping slots. What is queued behind it waits for it."""
    device = server.network.get("app1.devb")
    assert device.device_class is DeviceClass.B
    when = ping_slot_at(START + 600 * SECOND, device.session.dev_addr, 7)
    push(server, "devb", item("AQ==", when), item("Ag=="))
    server.clock.run_until_idle()
    (first, second) = sent(server, "devb")
    assert first == (when, "PING", "01")
    scheduled = [e.at for e in server.network.timeline("app1.devb") if e.kind == "scheduled"]
    assert scheduled[0] == when - 5_200 * MILLISECOND
    # the one behind: the first ping slot 5.2 s after the decision taken when the first went
    assert second[0] == ping_slot_at(when + 5_200 * MILLISECOND, device.session.dev_addr, 7)
    assert second[1:] == ("PING", "02")


@pytest.mark.parametrize("behind", [False, True])
def test_class_b_drops_a_time_no_ping_slot_leads_to(server, behind):
    """nextDataDownlinkSlot wants the next ping slot no later than the absolute time: with one
    slot per 128 s (periodicity 7), 10 s after a slot there is none, so the time cannot be
    met. Alone it waits until the last moment; with an item behind it, it is dropped at the
    decision and the item behind goes."""
    device = server.network.get("app1.devb")
    when = ping_slot_at(START + 600 * SECOND, device.session.dev_addr, 7) + 10 * SECOND
    push(server, "devb", item("AQ==", when), *([item("Ag==")] if behind else []))
    server.clock.run_until_idle()
    (failed,) = [e for e in server.network.timeline("app1.devb") if e.kind == "failed"]
    assert failed.details == {"reason": "downlink_expired"}
    decided = when - (5_200 if behind else 200) * MILLISECOND
    assert failed.at == decided
    assert [payload for _, _, payload in sent(server, "devb")] == (["02"] if behind else [])


def test_it_holds_the_head_of_the_queue_and_what_is_queued_after_it_waits(server):
    server.uplink("app1.devc")
    server.clock.advance(10)
    when = START + 10 * SECOND + 300 * SECOND
    push(server, "devc", item("AA=="), item("AQ==", when), item("Ag=="))
    server.clock.run_until_idle()
    assert sent(server, "devc") == [
        (START + 10 * SECOND + 200 * MILLISECOND, "RXC", "00"),  # before it: at once
        (when, "RXC", "01"),
        (when + SECOND, "RXC", "02"),  # after it: 1 s after the last network-initiated one
    ]


def test_it_never_takes_a_class_a_window(server):
    """A class C device's uplink opens RX1 and RX2; a timed head is not sent in them."""
    server.uplink("app1.devc")
    when = START + 120 * SECOND
    push(server, "devc", item("AQ==", when))
    server.clock.advance(30)
    server.uplink("app1.devc")  # RX1 at 35 s would be earlier than its time
    server.clock.run_until_idle()
    assert sent(server, "devc") == [(when, "RXC", "01")]


def test_class_a_keeps_it_and_drops_it_as_expired_after_its_time(server):
    push(server, "deva", item("AQ==", START + 60 * SECOND), item("Ag=="))
    server.uplink("app1.deva")  # RX1 at 5 s: before its time, so it holds the queue
    server.clock.run_until_idle()
    assert sent(server, "deva") == []
    server.clock.advance(120)
    server.uplink("app1.deva")  # past its time: dropped, and the next one takes RX1
    server.clock.run_until_idle()
    assert [(kind, payload) for kind, _, payload in outcomes(server, "deva")] == [
        ("queued", "01"),  # one event for both
        ("failed", "01"),
        ("scheduled", "02"),
        ("sent", "02"),
    ]
    (failed,) = [e for e in server.network.timeline("app1.deva") if e.kind == "failed"]
    assert failed.details == {"reason": "downlink_expired"}


def test_a_time_passed_while_the_device_was_out_of_reach_is_expired(server):
    """Time passed while the queue waited (no path: the class C device has not sent an
    uplink yet): TTS drops it with downlink_expired when it next generates a downlink."""
    when = START + 60 * SECOND
    push(server, "devc", item("AQ==", when, correlation_ids=["late"]), item("Ag=="))
    server.clock.advance(120)
    server.uplink("app1.devc")
    server.clock.run_until_idle()
    assert [(kind, payload) for kind, _, payload in outcomes(server, "devc")] == [
        ("queued", "01"),  # one event for both
        ("failed", "01"),
        ("scheduled", "02"),
        ("sent", "02"),
    ]
    server.outbound.flush(timeout=30)
    (failed,) = [a.message for a in server.outbound.attempts() if a.message.kind.endswith("failed")]
    assert failed.at == START + 120 * SECOND + 200 * MILLISECOND  # the uplink's decision
    error = json.loads(failed.body)["downlink_failed"]["error"]
    assert (error["namespace"], error["name"]) == ("pkg/networkserver", "downlink_expired")


def test_a_timed_confirmed_downlink_waits_for_the_uplink_that_settles_the_last(server):
    """A confirmed timed item behind an unanswered confirmed downlink cannot go before the
    class C timeout (5 min); alone, it waits: an uplink in time lets it go at its time."""
    server.uplink("app1.devc")
    push(server, "devc", item("AA==", confirmed=True))
    server.clock.run_until_idle()
    when = START + 60 * SECOND
    push(server, "devc", item("AQ==", when, confirmed=True))
    server.clock.advance(20)
    assert [payload for _, _, payload in sent(server, "devc")] == ["00"]
    server.uplink("app1.devc", ack=True)  # settles the first at 20 s
    server.clock.run_until_idle()
    assert sent(server, "devc")[1] == (when, "RXC", "01")


def test_a_timed_confirmed_downlink_that_nothing_settles_expires(server):
    server.uplink("app1.devc")
    push(server, "devc", item("AA==", confirmed=True))
    server.clock.run_until_idle()
    push(server, "devc", item("AQ==", START + 60 * SECOND, confirmed=True))
    server.clock.run_until_idle()
    assert [(kind, payload) for kind, _, payload in outcomes(server, "devc")][-1] == (
        "failed",
        "01",
    )
    (failed,) = [e for e in server.network.timeline("app1.devc") if e.kind == "failed"]
    assert failed.at == START + 60 * SECOND - 200 * MILLISECOND  # the last moment it had


def test_a_snapshot_keeps_the_time(server):
    server.uplink("app1.devc")
    when = START + 600 * SECOND
    push(server, "devc", item("AQ==", when))
    with server.client() as client:
        snapshot = client.get("/_mock/snapshot").json()
        assert client.post("/_mock/reset").status_code == 200
        assert client.put("/_mock/snapshot", json=snapshot).status_code == 200
    (queued,) = server.network.get("app1.devc").queue.snapshot()
    assert queued.absolute_time == when
