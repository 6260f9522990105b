import pytest

from mockserver.clock import VirtualClock
from mockserver.core import Device, Downlink, DownlinkQueue, Network, QueueFull, UnknownDevice


def downlink(port: int) -> Downlink:
    return Downlink(f_port=port, frm_payload=bytes([port]))


def test_push_appends_and_replace_swaps():
    queue = DownlinkQueue()
    queue.push([downlink(1), downlink(2)])
    queue.push([downlink(3)])
    assert [d.f_port for d in queue] == [1, 2, 3]
    queue.replace([downlink(9)])
    assert [d.f_port for d in queue] == [9]
    queue.replace([])
    assert len(queue) == 0


def test_capacity_is_checked_before_anything_changes():
    queue = DownlinkQueue(capacity=2)
    queue.push([downlink(1)])
    with pytest.raises(QueueFull):
        queue.push([downlink(2), downlink(3)])
    assert [d.f_port for d in queue] == [1]
    with pytest.raises(QueueFull):
        queue.replace([downlink(4), downlink(5), downlink(6)])
    assert [d.f_port for d in queue] == [1]


def test_network_stamps_and_announces_queue_operations():
    clock = VirtualClock(1_000)
    network = Network(clock)
    device = network.add(Device(id="app.dev", provider="test"))
    events = []
    network.subscribe(events.append)
    network.push(device, [downlink(1)])
    clock.advance(1)
    network.replace(device, [downlink(2)])
    assert [(e.kind, e.at) for e in events] == [
        ("queued", 1_000),
        ("replaced", 1_001_000),
        ("queued", 1_001_000),
    ]
    assert device.queue.peek().queued_at == 1_001_000


def test_unknown_devices_are_reported_by_id():
    network = Network(VirtualClock(0))
    with pytest.raises(UnknownDevice):
        network.get("nope")


def test_push_first_goes_ahead_in_the_given_order():
    queue = DownlinkQueue(capacity=4)
    queue.push([downlink(1), downlink(2)])
    queue.push([downlink(8), downlink(9)], first=True)
    assert [d.f_port for d in queue] == [8, 9, 1, 2]
    with pytest.raises(QueueFull):
        queue.push([downlink(7)], first=True)
    assert [d.f_port for d in queue] == [8, 9, 1, 2]


def test_network_push_first_is_announced_as_such():
    network = Network(VirtualClock())
    device = network.add(Device(id="d", provider="test"))
    network.push(device, [downlink(1)])
    network.push(device, [downlink(2)], first=True)
    assert [d.f_port for d in device.queue] == [2, 1]
    kinds = [(e.kind, e.details.get("operation")) for e in network.timeline("d")]
    assert kinds == [("queued", "push"), ("queued", "push_first")]


def test_a_listener_may_ask_for_some_kinds_only_and_leave_while_events_are_sent():
    network = Network(VirtualClock(0))
    device = network.add(Device(id="app.dev", provider="test"))
    everything, queued_only, leaving = [], [], []
    network.subscribe(everything.append)
    network.subscribe(queued_only.append, kinds=("queued",))

    def leave_after_first(event):
        leaving.append(event)
        stop()

    stop = network.subscribe(leave_after_first, kinds=["replaced", "queued"])
    network.push(device, [downlink(1)])
    network.replace(device, [downlink(2)])
    network.emit("sent", device, [downlink(2)])
    assert [e.kind for e in everything] == ["queued", "replaced", "queued", "sent"]
    assert [e.kind for e in queued_only] == ["queued", "queued"]
    assert [e.kind for e in leaving] == ["queued"]
    network.subscribe(leaving.append, kinds=("sent",))
    network.emit("sent", device, [])
    assert [e.kind for e in leaving] == ["queued", "sent"]
    assert [e.kind for e in network.timeline("app.dev")] == [
        "queued",
        "replaced",
        "queued",
        "sent",
        "sent",
    ]


def test_a_listener_may_ask_for_the_devices_of_some_providers_only():
    network = Network(VirtualClock(0))
    mine = network.add(Device(id="a", provider="mine"))
    theirs = network.add(Device(id="b", provider="theirs"))
    heard = []
    network.subscribe(heard.append, providers=("mine",))
    network.push(mine, [downlink(1)])
    network.push(theirs, [downlink(2)])
    assert [event.device_id for event in heard] == ["a"]


def test_the_network_knows_which_device_objects_it_holds():
    """`holds` answers from the device itself; removing, clearing, or another object of
    the same id must be seen."""
    network = Network(VirtualClock())
    first = network.add(Device(id="a", provider="p"))
    assert network.holds(first)
    network.remove("a")
    assert not network.holds(first)
    second = network.add(Device(id="a", provider="p"))
    assert network.holds(second) and not network.holds(first)
    other = Network(VirtualClock())
    other.add(second)  # in two networks: the first still holds it (through its dict)
    assert network.holds(second) and other.holds(second)
    other.remove("a")
    assert network.holds(second) and not other.holds(second)
    network.clear()
    assert not network.holds(second)
