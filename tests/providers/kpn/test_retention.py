"""Downlinks are kept for a bounded time and number (docs/providers/kpn.md, "Retention"),
on the simulator's clock; one that is gone answers as an unknown id does."""

from __future__ import annotations

import pytest

from mockserver.providers.kpn.store import DEFAULT_CAPACITY, DEFAULT_RETENTION
from mockserver.server import MockServer
from mockserver.types import SECOND
from mockserver.world import WorldError
from tests.providers.kpn.helpers import (
    LORA_CORE_ID,
    assert_problem,
    bearer,
    create,
    default_world,
    get,
    server_with,
)

DAY = 86_400


def _auth(server) -> dict[str, str]:
    return bearer(server.providers["kpn"].ready_token("demo-client"))  # outlives the clock jumps


def _ids(client, auth, path: str) -> list[str]:
    response = client.get(path, params={"limit": 1000}, headers=auth)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_defaults_are_thirty_days_and_twenty_thousand():
    assert DEFAULT_RETENTION == 30 * DAY * SECOND
    assert DEFAULT_CAPACITY == 20_000


def test_a_finished_downlink_expires_its_retention_after_it_finished(server, client):
    auth = _auth(server)
    done = create(client, auth, "mqtt")
    server.clock.advance(0)  # published: DONE now
    assert get(client, auth, "mqtt", done["id"])["status"] == "DONE"
    server.clock.advance(30 * DAY - 1)
    assert get(client, auth, "mqtt", done["id"])["status"] == "DONE"
    assert _ids(client, auth, "/mqtt/downlinks") == [done["id"]]
    server.clock.advance(1)
    unknown = "00000000-0000-4000-8000-000000000000"
    gone = client.get(f"/mqtt/downlinks/{done['id']}", headers=auth)
    never = client.get(f"/mqtt/downlinks/{unknown}", headers=auth)
    assert_problem(gone, 404, f"MQTT downlink {done['id']} not found")
    assert gone.json()["detail"] == never.json()["detail"].replace(unknown, done["id"])
    assert _ids(client, auth, "/mqtt/downlinks") == []
    assert_problem(client.delete(f"/mqtt/downlinks/{done['id']}", headers=auth), 404)
    stats = server.providers["kpn"].store.stats()
    assert (stats.records, stats.expired, stats.evicted) == (0, 1, 0)


def test_a_downlink_in_flight_does_not_expire(server, client):
    auth = _auth(server)
    waiting = create(client, auth, "lora", feedbackTimeout="P100DT0S")  # no uplink: PENDING
    server.clock.advance(60 * DAY)
    assert get(client, auth, "lora", waiting["id"])["status"] == "PENDING"
    server.clock.advance(40 * DAY)  # the feedback timeout ends it; retention counts from now
    assert get(client, auth, "lora", waiting["id"])["lastFailureReason"] == "FEEDBACK_TIMEOUT"
    server.clock.advance(30 * DAY)
    assert_problem(client.get(f"/lora/downlinks/{waiting['id']}", headers=auth), 404)


def test_retention_is_a_world_setting_and_frees_the_external_reference():
    server = server_with({"record_retention": 60})
    auth = _auth(server)
    request = {
        "instruction": [{"bn": "urn:dev:DEVEUI:0004A30B001A2B3C:", "n": "cmd", "vs": "01"}],
        "method": {"protocol": "MQTT"},  # not the device's bearer: rejected, FAILED at once
        "externalReference": "order-1",
    }
    with server.client() as client:
        first = client.post("/downlinks", json=request, headers=auth)
        assert first.json()["status"] == "FAILED"
        assert_problem(client.post("/downlinks", json=request, headers=auth), 409)
        server.clock.advance(60)
        assert_problem(client.get(f"/downlinks/{first.json()['id']}", headers=auth), 404)
        again = client.post("/downlinks", json=request, headers=auth)
        assert again.status_code == 201, again.text


def test_the_count_bound_drops_the_downlink_that_finished_longest_ago():
    server = server_with({"max_records": 3})
    auth = _auth(server)
    with server.client() as client:
        waiting = create(client, auth, "lora")  # stays PENDING: kept
        first = create(client, auth, "mqtt")
        server.clock.advance(1)
        second = create(client, auth, "mqtt")
        server.clock.advance(1)  # both DONE, `first` a second earlier
        third = create(client, auth, "mqtt")
        assert_problem(client.get(f"/mqtt/downlinks/{first['id']}", headers=auth), 404)
        assert _ids(client, auth, "/mqtt/downlinks") == [second["id"], third["id"]]
        assert get(client, auth, "lora", waiting["id"])["status"] == "PENDING"
        assert server.providers["kpn"].store.stats().evicted == 1


def test_with_every_downlink_in_flight_the_oldest_is_evicted_and_let_go_by_its_bearer():
    server = server_with({"max_records": 3})
    auth = _auth(server)
    with server.client() as client:
        actuator = client.post(
            "/downlinks",
            json={
                "instruction": [{"bn": "urn:dev:DEVEUI:0004A30B001A2B3C:", "vs": "0A0B"}],
                "method": {"protocol": "LORA"},
            },
            headers=auth,
        ).json()
        (carried,) = _ids(client, auth, "/lora/downlinks")  # the actuator's LoRa downlink
        plain = create(client, auth, "lora")
        queued = server.network.get(LORA_CORE_ID).queue.snapshot()
        assert len(queued) == 2
        newest = create(client, auth, "lora")  # 4 > 3: the oldest (the actuator's) goes
        assert_problem(client.get(f"/downlinks/{actuator['id']}", headers=auth), 404)
        ended = get(client, auth, "lora", carried)
        assert (ended["status"], ended["lastFailureReason"]) == ("DONE", "EVICTED")
        left = server.network.get(LORA_CORE_ID).queue.snapshot()
        assert [d.extra["kpn"] for d in left] == [plain["id"], newest["id"]]
        withdrawn = [e for e in server.network.timeline(LORA_CORE_ID) if e.kind == "withdrawn"]
        assert [e.downlinks[0].extra["kpn"] for e in withdrawn] == [carried]


@pytest.mark.parametrize(
    "setting", [{"max_records": 1}, {"max_records": 2.5}, {"record_retention": 0}]
)
def test_bounds_out_of_range_are_refused_with_the_world(setting):
    world = default_world()
    world["kpn"].update(setting)
    with pytest.raises(WorldError):
        MockServer(world)


def test_at_the_count_bound_each_create_costs_the_same_whatever_waits(monkeypatch):
    """A device that never polls keeps its HTTP downlinks waiting; at the bound each create
    evicts the oldest in flight and promotes the next. That work must not walk every
    waiting downlink (it did: 8 ms per create at 20 000): counted in reads of `finished`."""
    from mockserver.providers.kpn import records

    server = server_with({"max_records": 400})
    auth = _auth(server)
    reads = 0
    finished = records.Record.finished

    def counted(self: records.Record) -> bool:
        nonlocal reads
        reads += 1
        return finished.fget(self)  # type: ignore[misc]

    with server.client() as client:
        for _ in range(400):
            create(client, auth, "http")
        server.clock.advance(1)  # the first one is promoted (EXECUTING)
        monkeypatch.setattr(records.Record, "finished", property(counted))
        for _ in range(200):
            create(client, auth, "http")
        ids = _ids(client, auth, "/http/downlinks")
    assert len(ids) == 400
    assert reads < 200 * 40, reads  # a walk of the 400 waiting would be 80 000 and more
