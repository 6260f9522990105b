"""A queue held for a device's silence goes on as soon as the scenario is gone."""

from __future__ import annotations

from mockserver.server import MockServer
from tests.conftest import AUTH, WEBHOOK_DOWN

SILENT_FOR_AN_HOUR = {
    "name": "silent",
    "description": "app1.dev2 is out of reach for an hour",
    "timeline": [{"device_silent": {"device": "app1.dev2"}, "from": "0s", "to": "1h"}],
}
ONE = {"downlinks": [{"f_port": 1, "frm_payload": "AQ=="}]}


def _held_class_c_downlink() -> MockServer:
    server = MockServer()
    server.uplink("app1.dev2")  # class C: transmits after its first uplink
    server.clock.advance(5)
    server.load_scenario(SILENT_FOR_AN_HOUR)
    response = server.client().post(
        WEBHOOK_DOWN.format(device="dev2", op="push"), headers=AUTH, json=ONE
    )
    assert response.status_code == 200, response.text
    server.clock.advance(10)
    assert len(server.network.get("app1.dev2").queue) == 1  # held: the device is silent
    return server


def test_clearing_the_scenario_releases_a_held_queue_at_once():
    server = _held_class_c_downlink()
    server.clear_scenario()
    server.clock.advance(5)
    assert len(server.network.get("app1.dev2").queue) == 0


def test_a_new_scenario_without_the_silence_releases_it_too():
    server = _held_class_c_downlink()
    server.load_scenario({"name": "other", "description": "no silence", "rules": []})
    server.clock.advance(5)
    assert len(server.network.get("app1.dev2").queue) == 0
