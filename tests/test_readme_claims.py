"""What the README's opening promises a newcomer, exercised (issue 20, item 9): the delivery
classes as the simulator runs them, in the words the README uses."""

from __future__ import annotations

from pathlib import Path

from mockserver import MockServer

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
PUSH = "/api/v3/as/applications/app1/webhooks/wh1/devices/{device}/down/push"
AUTH = {"Authorization": "Bearer NNSXS.XXXXXXXXX"}
ONE = {"downlinks": [{"f_port": 1, "frm_payload": "AQ=="}]}


def _kinds(client, device: str) -> list[str]:
    return [event["kind"] for event in client.get(f"/_mock/devices/{device}/events").json()]


def test_class_c_goes_once_the_network_has_a_path_after_the_first_uplink():
    words = " ".join(README.split())
    claim = "class C goes as soon as the network has a path to the device, that is after its "
    assert claim + "first uplink" in words
    server = MockServer()
    with server.client() as client:
        assert client.post(PUSH.format(device="dev2"), headers=AUTH, json=ONE).status_code == 200
        server.clock.advance(60)  # no uplink yet: no path, the downlink waits
        assert len(client.get("/_mock/devices/app1.dev2/queue").json()) == 1
        assert "sent" not in _kinds(client, "app1.dev2")
        assert client.post("/_mock/devices/app1.dev2/uplinks", json={}).status_code == 201
        server.clock.advance(5)
        assert client.get("/_mock/devices/app1.dev2/queue").json() == []
        assert _kinds(client, "app1.dev2")[-2:] == ["scheduled", "sent"]


def test_class_a_waits_for_an_uplink():
    assert "class A waits for an uplink" in " ".join(README.split())
    server = MockServer()
    with server.client() as client:
        assert client.post(PUSH.format(device="dev1"), headers=AUTH, json=ONE).status_code == 200
        server.clock.advance(3600)
        assert len(client.get("/_mock/devices/app1.dev1/queue").json()) == 1
        assert client.post("/_mock/devices/app1.dev1/uplinks", json={}).status_code == 201
        server.clock.advance(5)
        assert client.get("/_mock/devices/app1.dev1/queue").json() == []
