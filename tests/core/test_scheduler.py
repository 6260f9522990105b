"""Delivery timing on the virtual clock, with expected instants computed from the rules."""

from __future__ import annotations

import base64

import pytest

from mockserver.core import Device, DeviceClass, Session
from mockserver.server import MockServer
from mockserver.types import MILLISECOND, SECOND

PUSH = "/api/v3/as/applications/app1/webhooks/wh1/devices/{device}/down/push"
AUTH = {"Authorization": "Bearer NNSXS.XXXXXXXXX"}


@pytest.fixture
def server() -> MockServer:
    return MockServer()


def push(server: MockServer, device: str, payload: bytes, *, confirmed: bool = False) -> None:
    with server.client() as client:
        body = {
            "downlinks": [
                {
                    "f_port": 10,
                    "frm_payload": base64.b64encode(payload).decode(),
                    "confirmed": confirmed,
                }
            ]
        }
        assert client.post(PUSH.format(device=device), headers=AUTH, json=body).status_code == 200


def events(server: MockServer, device: str, kind: str) -> list:
    return [event for event in server.network.timeline(f"app1.{device}") if event.kind == kind]


def test_class_a_waits_for_an_uplink_and_answers_in_rx1(server):
    push(server, "dev1", b"\x01")
    server.clock.advance(3600)
    assert events(server, "dev1", "sent") == []
    uplink = server.uplink("app1.dev1", f_port=1, frm_payload=b"\x00")
    server.clock.run_until_idle()
    (scheduled,) = events(server, "dev1", "scheduled")
    (sent,) = events(server, "dev1", "sent")
    assert scheduled.at == uplink.received_at + 200 * MILLISECOND  # after deduplication
    assert sent.at == uplink.received_at + 5 * SECOND  # RX1 delay of dev1
    assert sent.details == {
        "window": "RX1",
        "transmit_at": sent.at,
        "data_rate": 5,
        "frequency": 868_100_000,
        "f_pending": False,
    }
    assert sent.downlinks[0].frm_payload == b"\x01"
    assert len(server.network.get("app1.dev1").queue) == 0


def test_one_downlink_per_uplink_with_fpending(server):
    push(server, "dev1", b"\x01")
    push(server, "dev1", b"\x02")
    server.uplink("app1.dev1")
    server.clock.run_until_idle()
    sent = events(server, "dev1", "sent")
    assert [(e.downlinks[0].frm_payload, e.details["f_pending"]) for e in sent] == [(b"\x01", True)]
    server.uplink("app1.dev1")
    server.clock.run_until_idle()
    assert [e.downlinks[0].frm_payload for e in events(server, "dev1", "sent")] == [
        b"\x01",
        b"\x02",
    ]


def test_a_late_push_uses_rx2_of_the_same_uplink_or_waits(server):
    uplink = server.uplink("app1.dev1")
    server.clock.advance(4.9)  # RX1 (5 s) is now closer than the 200 ms the NS needs
    push(server, "dev1", b"\x01")
    server.clock.run_until_idle()
    (sent,) = events(server, "dev1", "sent")
    assert sent.at == uplink.received_at + 6 * SECOND
    assert (sent.details["window"], sent.details["data_rate"], sent.details["frequency"]) == (
        "RX2",
        0,
        869_525_000,
    )
    server.uplink("app1.dev1")
    server.clock.advance(5.9)
    push(server, "dev1", b"\x02")
    server.clock.run_until_idle()
    assert len(events(server, "dev1", "sent")) == 1  # both windows gone: wait for an uplink


def test_a_network_that_decides_at_the_uplink_keeps_late_pushes_for_the_next(server):
    server.network.get("app1.dev1").late_pushes_use_windows = False
    uplink = server.uplink("app1.dev1")
    server.clock.advance(0.1)  # before the decision (200 ms in): still in time
    push(server, "dev1", b"\x01")
    server.clock.advance(1)
    push(server, "dev1", b"\x02")  # RX1 is 3.9 s away, but the decision was taken
    server.clock.run_until_idle()
    (sent,) = events(server, "dev1", "sent")
    assert (sent.at, sent.downlinks[0].frm_payload) == (uplink.received_at + 5 * SECOND, b"\x01")
    second = server.uplink("app1.dev1")
    server.clock.run_until_idle()
    assert events(server, "dev1", "sent")[-1].at == second.received_at + 5 * SECOND


def test_closed_windows_send_nothing_until_the_next_uplink(server):
    push(server, "dev1", b"\x01")
    server.uplink("app1.dev1")
    server.world.scheduler.close_windows(server.network.get("app1.dev1"))
    server.clock.run_until_idle()
    assert events(server, "dev1", "sent") == []
    second = server.uplink("app1.dev1")
    server.clock.run_until_idle()
    (sent,) = events(server, "dev1", "sent")
    assert sent.at == second.received_at + 5 * SECOND


def test_too_long_for_every_window_fails_and_the_next_item_goes(server):
    server.uplink("app1.dev1", data_rate=0)  # RX1 at DR0 and RX2 at DR0: 51 bytes at most
    push(server, "dev1", bytes(60))
    push(server, "dev1", b"\x07")
    server.clock.run_until_idle()
    (failed,) = events(server, "dev1", "failed")
    assert failed.details == {"reason": "application_downlink_too_long", "length": 60, "max": 51}
    (sent,) = events(server, "dev1", "sent")
    assert sent.downlinks[0].frm_payload == b"\x07"


def test_rx2_is_used_when_only_it_fits(server):
    server.network.get("app1.dev1").rx2_data_rate = 3  # TTN community plan: SF9 on RX2
    uplink = server.uplink("app1.dev1", data_rate=0)
    push(server, "dev1", bytes(100))  # > 51 (DR0), <= 115 (DR3)
    server.clock.run_until_idle()
    (sent,) = events(server, "dev1", "sent")
    assert (sent.at, sent.details["window"], sent.details["data_rate"]) == (
        uplink.received_at + 6 * SECOND,
        "RX2",
        3,
    )


def test_class_c_starts_after_the_first_uplink_and_spaces_downlinks(server):
    push(server, "dev2", b"\x01")
    server.clock.advance(60)
    assert events(server, "dev2", "sent") == []
    uplink = server.uplink("app1.dev2")
    server.clock.run_until_idle()
    (first,) = events(server, "dev2", "sent")
    # The uplink's own class A slot (RX1 at +5 s) comes before any class C slot (>= RX2).
    assert (first.at, first.details["window"]) == (uplink.received_at + 5 * SECOND, "RX1")
    server.clock.advance(30)
    t = server.clock.now_us()
    push(server, "dev2", b"\x02")
    push(server, "dev2", b"\x03")
    server.clock.run_until_idle()
    _, second, third = events(server, "dev2", "sent")
    assert second.at == t + 200 * MILLISECOND
    assert third.at == second.at + 1 * SECOND


def test_confirmed_downlinks_are_acknowledged_by_the_next_uplink(server):
    push(server, "dev1", b"\x01", confirmed=True)
    server.uplink("app1.dev1")
    server.clock.run_until_idle()
    server.uplink("app1.dev1", ack=True)
    assert [e.downlinks[0].frm_payload for e in events(server, "dev1", "acked")] == [b"\x01"]
    push(server, "dev1", b"\x02", confirmed=True)
    server.clock.run_until_idle()
    server.clock.advance(10)
    server.uplink("app1.dev1", ack=False)
    assert [e.downlinks[0].frm_payload for e in events(server, "dev1", "nacked")] == [b"\x02"]


def test_uplinks_and_events_over_the_admin_api(server):
    push(server, "dev1", b"\x01")
    with server.client() as client:
        uplink = client.post(
            "/_mock/devices/app1.dev1/uplinks",
            json={"f_port": 2, "frm_payload": "AQ==", "data_rate": 5},
        )
        assert uplink.status_code == 201
        assert uplink.json()["received_at"] == "2026-01-01T00:00:00Z"
        idle = client.post("/_mock/clock/run-until-idle").json()
        # the decision after deduplication, the transmission (a push to a class A device
        # with no window open sets no timer: the next uplink decides)
        assert (idle["now"], idle["fired"]) == ("2026-01-01T00:00:05Z", 2)
        timeline = client.get("/_mock/devices/app1.dev1/events").json()
        for bad in (
            {"frm_payload": "%%"},
            {"data_rate": 9},
            {"frequency": 915_000_000},
            {"f_port": 300},
        ):
            response = client.post("/_mock/devices/app1.dev1/uplinks", json=bad)
            assert response.status_code == 400, bad
    assert [(e["kind"], e["at"]) for e in timeline] == [
        ("queued", "2026-01-01T00:00:00Z"),
        ("uplink", "2026-01-01T00:00:00Z"),
        ("scheduled", "2026-01-01T00:00:00.200000Z"),
        ("sent", "2026-01-01T00:00:05Z"),
    ]


def test_class_b_uses_the_first_ping_slot_after_the_scheduling_delay(server):
    from mockserver.lorawan.class_b import ping_slot_at

    device = server.network.get("app1.dev1")
    device.device_class = DeviceClass.B
    server.clock.advance(1000)
    pushed_at = server.clock.now_us()
    push(server, "dev1", b"\x01")
    push(server, "dev1", b"\x02")
    server.clock.run_until_idle()
    first, second = events(server, "dev1", "sent")
    expected = ping_slot_at(pushed_at + 5_200 * MILLISECOND, device.session.dev_addr, 7)
    assert first.at == expected
    assert (first.details["window"], first.details["data_rate"], first.details["frequency"]) == (
        "PING",
        3,
        869_525_000,
    )
    scheduled = events(server, "dev1", "scheduled")[0]
    assert scheduled.at == max(pushed_at, expected - 5_200 * MILLISECOND)
    # decided when the first went out: the first slot 5.2 s after it (periodicity 7 has one
    # slot per 128 s beacon period, at an offset drawn anew each period)
    assert second.at == ping_slot_at(expected + 5_200 * MILLISECOND, device.session.dev_addr, 7)
    assert second.at - first.at > 5 * SECOND


def test_tts_requeues_a_nacked_confirmed_downlink_until_its_retries_run_out(server):
    push(server, "dev1", b"\x01", confirmed=True)
    for _ in range(10):
        server.uplink("app1.dev1")  # never ACKs
        server.clock.run_until_idle()
    sent = events(server, "dev1", "sent")
    nacked = events(server, "dev1", "nacked")
    (failed,) = events(server, "dev1", "failed")
    assert len(sent) == 8  # 8 attempts by default, the first transmission included
    assert [e.downlinks[0].extra["confirmed_retry"] for e in sent] == [
        {"attempt": attempt} for attempt in range(1, 9)
    ]
    assert len(nacked) == 8
    assert failed.details == {"reason": "max_retries_reached", "max_retries": 8}
    assert failed.downlinks[0].extra["confirmed_retry"] == {"attempt": 8}  # as last sent
    assert len(server.network.get("app1.dev1").queue) == 0


def test_a_request_may_lower_its_retry_attempts(server):
    with server.client() as client:
        body = {
            "downlinks": [
                {
                    "f_port": 1,
                    "frm_payload": "AQ==",
                    "confirmed": True,
                    "confirmed_retry": {"max_attempts": 1},
                }
            ]
        }
        assert client.post(PUSH.format(device="dev1"), headers=AUTH, json=body).status_code == 200
    for _ in range(3):
        server.uplink("app1.dev1")
        server.clock.run_until_idle()
    assert len(events(server, "dev1", "sent")) == 1  # one attempt: no retry at all
    (failed,) = events(server, "dev1", "failed")
    assert failed.details["max_retries"] == 1


def test_radio_metadata_is_reproducible_from_the_seed():
    first, second = MockServer(), MockServer()
    uplinks = [(first.uplink("app1.dev1"), second.uplink("app1.dev1")) for _ in range(5)]
    assert all(a == b for a, b in uplinks)
    heard = [first.world.radio.receptions("app1.dev1", uplink) for uplink, _ in uplinks]
    # read in another order on the second server: the same bytes all the same
    assert [second.world.radio.receptions("app1.dev1", u) for _, u in reversed(uplinks)] == (
        heard[::-1]
    )
    assert all(heard)
    other = MockServer(
        {
            "seed": 2,
            "tts": {
                "applications": [
                    {"id": "app1", "devices": [{"id": "dev1", "session": {"dev_addr": "260B0001"}}]}
                ]
            },
        }
    )
    assert other.world.radio.receptions("app1.dev1", uplinks[0][0]) != heard[0]


#: One TTS device that uplinks on its own every hour.
SLEEPY_WORLD = {
    "tts": {
        "applications": [
            {
                "id": "app1",
                "devices": [
                    {
                        "id": "sleepy",
                        "session": {"dev_addr": "260B0009"},
                        "uplink_interval": 3600,
                    }
                ],
            }
        ]
    }
}


def test_devices_with_an_uplink_interval_uplink_on_their_own():
    server = MockServer(SLEEPY_WORLD)
    start = server.clock.now_us()
    server.clock.advance(3 * 3600)
    uplinks = [e.at for e in server.network.timeline("app1.sleepy") if e.kind == "uplink"]
    assert uplinks == [start + n * 3600 * SECOND for n in (1, 2, 3)]
    server.reset()
    server.clock.advance(3600)
    assert [e.kind for e in server.network.timeline("app1.sleepy")] == ["uplink"]


def test_class_c_confirmed_downlinks_are_spaced_by_the_timeout_without_an_uplink(server):
    server.uplink("app1.dev2")
    server.clock.advance(10)
    start = server.clock.now_us()
    push(server, "dev2", b"\x01", confirmed=True)
    push(server, "dev2", b"\x02", confirmed=True)
    server.clock.run_until_idle()
    first, second = events(server, "dev2", "sent")
    assert first.at == start + 200 * MILLISECOND
    assert second.at == first.at + 300 * SECOND  # ClassCTimeout: 5 minutes
    assert events(server, "dev2", "nacked") == []  # only an uplink settles a confirmation
    server.uplink("app1.dev2", ack=True)
    assert [e.downlinks[0].frm_payload for e in events(server, "dev2", "acked")] == [b"\x02"]


def test_a_real_clock_sped_up_delivers_on_its_own():
    import threading

    from mockserver.clock import RealClock

    sent = threading.Event()
    server = MockServer(clock=RealClock(speed=10))
    server.network.subscribe(lambda event: event.kind == "sent" and sent.set())
    server.start()
    try:
        # Queued first, so the uplink's RX1 finds it whatever the machine's load: pushed
        # after the uplink, a push later than RX1's 0.5 s of real time waited for the next
        # uplink, which never comes.
        push(server, "dev1", b"\x01")
        server.uplink("app1.dev1")
        assert sent.wait(timeout=30), "RX1 (5 s simulated, 0.5 s real) never came"
    finally:
        server.stop()


def test_a_periodic_uplink_follows_its_device_by_id_and_stops_when_it_is_gone():
    """The periodic uplink holds the device it found, but uplinks whichever device has the
    id when it fires (another object added in its place), and stops once there is none."""
    server = MockServer(SLEEPY_WORLD)
    server.clock.advance(3600)
    first = server.network.remove("app1.sleepy")
    second = Device(id="app1.sleepy", provider="tts", session=Session(dev_addr=0x260B0009))
    server.network.add(second)
    server.clock.advance(3600)
    assert first.session is not None and first.session.last_f_cnt_up == 1
    assert second.session is not None and second.session.last_f_cnt_up == 1
    server.network.remove("app1.sleepy")
    server.clock.advance(3600)
    server.network.add(second)  # the chain ended with the device gone
    server.clock.advance(2 * 3600)
    assert [e.kind for e in server.network.timeline("app1.sleepy")] == ["uplink", "uplink"]


def test_the_rx1_parameters_kept_are_the_bands_own_and_errors_or_overflow_are_not_kept(
    monkeypatch: pytest.MonkeyPatch,
):
    from mockserver.core import scheduler
    from mockserver.lorawan.regions import band

    region = band("EU868")
    key = ("EU868", 5, 1, 868_300_000)
    data_rate = region.rx1_data_rate(5, 1)
    expected = (data_rate, region.rx1_frequency(868_300_000), region.max_frm_payload(data_rate))
    assert scheduler._rx1_parameters(region, key) == expected
    assert scheduler._RX1_PARAMETERS[key] == expected
    wrong = ("EU868", 5, 9, 868_300_000)  # no RX1DROffset 9 in EU868
    with pytest.raises(ValueError):
        scheduler._rx1_parameters(region, wrong)
    assert wrong not in scheduler._RX1_PARAMETERS
    monkeypatch.setattr(scheduler, "_RX1_PARAMETERS_BOUND", len(scheduler._RX1_PARAMETERS))
    other = ("EU868", 4, 0, 868_500_000)
    scheduler._RX1_PARAMETERS.pop(other, None)
    assert scheduler._rx1_parameters(region, other)[0] == region.rx1_data_rate(4, 0)
    assert other not in scheduler._RX1_PARAMETERS
