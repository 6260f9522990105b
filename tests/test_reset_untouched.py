"""Issue 21: a reset with nothing to undo keeps the world instead of building it again.

The fixtures reset before every test; a test that changed nothing left the world the reset
before it built. `simulator.untouched` proves that (the world not handed out, no request,
uplink or scenario since, the virtual clock where it stood with the same timers, the
description's contents the same), and the reset then only clears the records. These tests
count the builds, and check that every way of changing the world still gets a fresh one.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import mockserver.simulator.simulator as simulator_module
from mockserver.clock import RealClock
from mockserver.server import MockServer
from tests.conftest import AUTH, WEBHOOK_DOWN

SLEEPY = {
    "seed": 1,
    "clock": {"start": "2026-01-01T00:00:00Z"},
    "tts": {
        "applications": [
            {
                "id": "app1",
                "devices": [
                    {"id": "dev1", "session": {"dev_addr": "260B0001"}},
                    {"id": "sleepy", "session": {"dev_addr": "260B0009"}, "uplink_interval": 60},
                ],
            }
        ]
    },
}


class Builds:
    def __init__(self) -> None:
        self.count = 0


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> Iterator[Builds]:
    """How many times a simulator built its world's providers (one per world built)."""
    counted = Builds()
    build = simulator_module.build_providers

    def counting(world: Any) -> Any:
        counted.count += 1
        return build(world)

    monkeypatch.setattr(simulator_module, "build_providers", counting)
    yield counted


def fresh(world: Any = None) -> MockServer:
    server = MockServer(copy.deepcopy(world) if world is not None else None)
    server.reset()  # the reset a fixture makes before the first test
    return server


def sleepy_uplinks(server: MockServer) -> int:
    timeline = server.network.timeline("app1.sleepy")
    return sum(1 for event in timeline if event.kind == "uplink")


def test_a_reset_with_nothing_to_undo_builds_nothing(builds: Builds) -> None:
    server = fresh()
    before = builds.count
    for _ in range(5):
        server.reset(clear_findings=True)
    assert builds.count == before
    server.reset()  # keeping the findings: the same
    assert builds.count == before


def test_the_kept_world_is_what_a_build_makes(builds: Builds) -> None:
    server = fresh(SLEEPY)
    server.reset()
    assert server.clock.now().isoformat() == "2026-01-01T00:00:00+00:00"
    assert server.clock.pending() == 1  # the periodic uplink's timer is still set
    server.clock.advance(150)
    assert sleepy_uplinks(server) == 2
    assert server.journal.entries() == []


def _request(server: MockServer) -> None:
    with server.client() as client:
        response = client.post(
            WEBHOOK_DOWN.format(device="dev1", op="push"),
            headers=AUTH,
            json={"downlinks": [{"f_port": 1, "frm_payload": "AQ=="}]},
        )
    assert response.status_code == 400  # no webhook wh1 in this world: refused, and journalled


def _admin_read(server: MockServer) -> None:
    with server.client() as client:
        assert client.get("/_mock/devices").status_code == 200


def _unknown_path(server: MockServer) -> None:
    with server.client() as client:
        assert client.get("/nowhere").status_code == 404


def _uplink(server: MockServer) -> None:
    server.uplink("app1.dev1", f_port=1, frm_payload=b"\x01")


def _network(server: MockServer) -> None:
    assert server.network.get("app1.dev1")


def _providers(server: MockServer) -> None:
    assert server.providers["tts"]


def _world(server: MockServer) -> None:
    assert server.world


def _simulator_world(server: MockServer) -> None:
    assert server.simulator.network


def _formatters(server: MockServer) -> None:
    server.formatters.set("app1.dev1", down_formatter="FORMATTER_NONE")


def _scenario(server: MockServer) -> None:
    server.load_scenario("queue-full")
    server.clear_scenario()


def _public_url(server: MockServer) -> None:
    server.simulator.public_url = "http://127.0.0.1:1"


def _description_in_place(server: MockServer) -> None:
    server.description["tts"]["applications"][0]["devices"].append(
        {"id": "dev9", "session": {"dev_addr": "260B0099"}}
    )


CHANGES: dict[str, Callable[[MockServer], None]] = {
    "request": _request,
    "admin read": _admin_read,
    "unknown path": _unknown_path,
    "uplink": _uplink,
    "network": _network,
    "providers": _providers,
    "world": _world,
    "simulator's network": _simulator_world,
    "formatters": _formatters,
    "scenario": _scenario,
    "public URL": _public_url,
    "description edited in place": _description_in_place,
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_whatever_may_change_the_world_gets_it_built_again(
    builds: Builds, change: Callable[[MockServer], None]
) -> None:
    server = fresh(SLEEPY)
    change(server)
    before = builds.count
    server.reset()
    assert builds.count == before + 1


def test_a_description_edited_in_place_is_the_next_world() -> None:
    server = fresh(SLEEPY)
    _description_in_place(server)
    server.reset()
    assert server.network.find("app1.dev9") is not None


def test_a_clock_held_from_before_moves_time_and_the_next_reset_undoes_it(builds: Builds) -> None:
    """The clock survives resets (it is reset in place): a test may hold it without
    touching the world, and the periodic uplinks it fires still get undone."""
    server = fresh(SLEEPY)
    clock = server.clock  # e.g. kept by a session fixture
    server.reset()
    before = builds.count
    clock.advance(150)  # two uplinks of `sleepy`, without a word to the simulator
    server.reset()
    assert builds.count == before + 1
    assert sleepy_uplinks(server) == 0
    assert server.clock.now().isoformat() == "2026-01-01T00:00:00+00:00"


@pytest.mark.parametrize(
    "touch",
    [
        lambda clock: clock.call_at(clock.now_us() + 10, lambda: None),
        lambda clock: clock.advance(0.5),  # no timer due: time alone moved
        lambda clock: clock.reset(),  # the periodic uplink's timer dropped
    ],
    ids=["a timer set", "time moved", "timers dropped"],
)
def test_a_clock_changed_directly_gets_the_world_built_again(
    builds: Builds, touch: Callable[[Any], object]
) -> None:
    server = fresh(SLEEPY)
    clock = server.clock
    server.reset()
    before = builds.count
    touch(clock)
    server.reset()
    assert builds.count == before + 1
    assert server.clock.pending() == 1
    server.clock.advance(60)
    assert sleepy_uplinks(server) == 1


def test_records_are_cleared_even_when_the_world_is_kept(builds: Builds) -> None:
    server = fresh()
    server.journal.clear()  # the journal, the outbox and the findings are not the world
    before = builds.count
    server.reset()
    assert builds.count == before
    assert server.journal.entries() == []
    assert server.contract.log.violations == []


def test_a_real_clock_always_builds_again(builds: Builds) -> None:
    server = MockServer(clock=RealClock())
    server.reset()
    before = builds.count
    server.reset()
    assert builds.count == before + 1


def test_a_default_scenario_always_builds_again(builds: Builds) -> None:
    server = fresh()
    server.default_scenario = "queue-full"
    server.reset()
    before = builds.count
    server.reset()
    assert builds.count == before + 1
    assert server.scenario is not None


def test_a_description_with_objects_of_its_own_always_builds_again(builds: Builds) -> None:
    """A caller's own mapping inside the description could change without any dict or
    list of it changing: its contents cannot be vouched for."""

    class Section(dict[str, Any]):
        pass

    world: dict[str, Any] = copy.deepcopy(SLEEPY)
    world["tts"] = Section(world["tts"])
    server = MockServer(world)
    server.reset()
    before = builds.count
    server.reset()
    assert builds.count == before + 1
