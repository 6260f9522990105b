"""What the timeline draws beyond the recorded events: RX windows, time on air, ping slots."""

from __future__ import annotations

from tests.conftest import AUTH, WEBHOOK_DOWN

PUSH = WEBHOOK_DOWN.format(device="dev1", op="push")
EVENTS = "/_mock/devices/app1.dev1/events"


def by_kind(events: list[dict]) -> dict[str, dict]:
    return {event["kind"]: event for event in events}


def test_an_uplink_shows_its_windows_and_both_frames_their_time_on_air(client):
    # 5 bytes of FRMPayload: an 18-byte PHYPayload; the uplink's 1 byte: 14 bytes. At SF7
    # BW125 (EU868 DR5) those are 51.456 ms and 46.336 ms on air (the Semtech formula, as
    # the TTN airtime calculator gives them).
    client.post(PUSH, headers=AUTH, json={"downlinks": [{"f_port": 2, "frm_payload": "AQIDBAU="}]})
    client.post("/_mock/devices/app1.dev1/uplinks", json={"f_port": 1, "frm_payload": "AA=="})
    client.post("/_mock/clock/run-until-idle")
    events = by_kind(client.get(EVENTS).json())
    uplink = events["uplink"]
    assert (uplink["at"], uplink["rx1_at"], uplink["rx2_at"]) == (
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:05Z",  # dev1's rx1_delay is 5 s in the default world
        "2026-01-01T00:00:06Z",
    )
    assert uplink["airtime_ms"] == 46.336
    assert events["sent"]["window"] == "RX1"
    assert events["sent"]["airtime_ms"] == events["scheduled"]["airtime_ms"] == 51.456
    assert "airtime_ms" not in events["queued"] and "rx1_at" not in events["sent"]


def test_the_windows_follow_the_device_rx1_delay_and_a_slower_rate_lasts_longer(client):
    assert client.patch("/_mock/devices/app1.dev1", json={"rx1_delay": 1}).status_code == 200
    client.post("/_mock/devices/app1.dev1/uplinks", json={"f_port": 1, "data_rate": 0})
    (uplink,) = client.get(EVENTS).json()
    assert (uplink["rx1_at"], uplink["rx2_at"]) == ("2026-01-01T00:00:01Z", "2026-01-01T00:00:02Z")
    # an empty frame with an FPort (13 bytes) at SF12 BW125, low-data-rate optimised
    assert uplink["airtime_ms"] == 1155.072
