"""Class B ping slots for the timeline: the slots the scheduler itself transmits in."""

from __future__ import annotations

from datetime import timedelta

from mockserver.clock import to_datetime
from tests.conftest import AUTH
from tests.ui.test_timing import EVENTS, PUSH, by_kind


def test_ping_slots_are_the_slots_class_b_transmits_in(client, server):
    assert client.patch("/_mock/devices/app1.dev1", json={"class": "B"}).status_code == 200
    client.post(PUSH, headers=AUTH, json={"downlinks": [{"f_port": 2, "frm_payload": "AQ=="}]})
    client.post("/_mock/clock/run-until-idle")
    sent = by_kind(client.get(EVENTS).json())["sent"]
    assert sent["window"] == "PING"
    start = to_datetime(server.clock.now_us()) - timedelta(minutes=5)
    slots = client.get(
        "/_mock/ui/devices/app1.dev1/ping-slots",
        params={"from": start.isoformat(), "to": sent["transmit_at"]},
    ).json()
    assert slots["periodicity"] == 7
    assert slots["slots"][-1] == sent["transmit_at"]  # the window ends at the slot it used
    # periodicity 7: one slot per 128 s beacon period, so five minutes hold two or three
    assert 2 <= len(slots["slots"]) <= 3


def test_only_an_activated_class_b_device_has_ping_slots(client):
    assert client.get("/_mock/ui/devices/app1.dev1/ping-slots").json()["slots"] == []
    client.patch("/_mock/devices/app1.dev3", json={"class": "B"})  # no session
    assert client.get("/_mock/ui/devices/app1.dev3/ping-slots").json()["slots"] == []


def test_ping_slot_bounds_are_checked(client):
    url = "/_mock/ui/devices/app1.dev1/ping-slots"
    for params in ({"from": "yesterday"}, {"to": "0001-01-01T00:00:00Z"}):
        answer = client.get(url, params=params)
        assert answer.status_code == 400, params
        assert "ISO 8601" in answer.json()["error"]
    backwards = client.get(url, params={"from": "2026-01-02T00:00:00Z", "to": "2026-01-01"})
    assert backwards.status_code == 400
    assert client.get("/_mock/ui/devices/nope/ping-slots").status_code == 404
