"""The app's tests with the pytest fixture: a simulator per xdist worker, virtual time."""

from commands import DeviceCommands


def commands(url: str) -> DeviceCommands:
    return DeviceCommands(url, "NNSXS.XXXXXXXXX", "app1", "wh1")


def test_reboot_is_queued_and_sent_after_the_next_uplink(mockserver):
    commands(mockserver.url).reboot("dev1")
    device = mockserver.network.get("app1.dev1")
    assert [d.frm_payload for d in device.queue.snapshot()] == [b"\x01"]
    mockserver.uplink("app1.dev1")
    mockserver.clock.advance(10)  # past RX1 and RX2: class A answers the uplink
    assert device.queue.snapshot() == []


def test_a_new_interval_replaces_what_is_pending(mockserver):
    app = commands(mockserver.url)
    app.reboot("dev1")
    app.set_interval("dev1", 15)
    queue = mockserver.network.get("app1.dev1").queue.snapshot()
    assert [d.frm_payload for d in queue] == [b"\x00\x0f"]
