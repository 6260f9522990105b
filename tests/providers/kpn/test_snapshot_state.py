"""The KPN part of a snapshot: `snapshot_state()` is JSON, and `restore_state()` of it gives
back the same downlinks, the same pages and a lifecycle that goes on."""

from __future__ import annotations

import json
import random

import pytest

from mockserver.server import MockServer
from tests.providers.kpn.helpers import (
    HTTP_IMEI,
    LORA_CORE_ID,
    OTHER_CLIENT_KEY,
    assert_problem,
    bearer,
    create,
    default_world,
    get,
)
from tests.providers.kpn.test_list_indexes import EXTRA_DEVICES, _random_store

QUERIES = [
    {"limit": "5"},
    {"limit": "3", "sort": "-status,modifiedAt"},
    {"limit": "50", "status": "DONE"},
    {"limit": "2", "deviceId": "f24108fa-d102-40ff-8263-f8d46908a386"},
    {"limit": "4", "createdSince": "2026-01-01T01:00:00Z"},
]


def _world() -> dict:
    world = default_world()
    world["kpn"]["devices"].extend(EXTRA_DEVICES)
    world["kpn"]["api_keys"].append(OTHER_CLIENT_KEY)
    return world


def _pages(server: MockServer) -> dict[str, object]:
    auth = bearer(server.providers["kpn"].ready_token("demo-client"))
    seen: dict[str, object] = {}
    with server.client() as client:
        for path in ("/downlinks", "/lora/downlinks", "/mqtt/downlinks", "/http/downlinks"):
            for query in QUERIES:
                response = client.get(path, params=query, headers=auth)
                seen[f"{path}?{sorted(query.items())}"] = (response.status_code, response.json())
    return seen


def _restored(state: dict, now: int) -> MockServer:
    """A fresh server of the same world at the saved instant, with `state` restored (as the
    snapshot route does after it has put the clock back)."""
    server = MockServer(_world())
    server.clock.advance_to(now)
    server.providers["kpn"].restore_state(json.loads(json.dumps(state)))
    return server


def test_a_round_trip_keeps_every_record_and_every_page():
    server = MockServer(_world())
    with server.client() as client:
        _random_store(server, client, random.Random(7), 200)
    kpn = server.providers["kpn"]
    state = kpn.snapshot_state()
    assert json.loads(json.dumps(state)) == state  # JSON as it is
    assert len(state["records"]) == len(kpn.store) > 50
    copy = _restored(state, server.clock.now_us())
    assert copy.providers["kpn"].snapshot_state() == state
    assert _pages(copy) == _pages(server)


def test_restored_downlinks_in_flight_go_on_with_their_bearer():
    server = MockServer()
    auth = bearer(server.providers["kpn"].ready_token("demo-client"))
    with server.client() as client:
        lora = create(client, auth, "lora")  # PENDING, queued in the network
        http = create(client, auth, "http")
        server.clock.advance(0)  # the HTTP one is EXECUTING, waiting for the device
        sms = create(client, auth, "sms")
        server.clock.advance(1)  # with the carrier
        waiting = create(client, auth, "lora", deviceId="deveui:0004a30b001a2b3c")
    state = server.providers["kpn"].snapshot_state()
    copy = _restored(state, server.clock.now_us())
    kpn = copy.providers["kpn"]
    with copy.client() as client:
        assert kpn.http_request(HTTP_IMEI).id == http["id"]
        assert get(client, auth, "http", http["id"])["status"] == "DONE"
        copy.clock.advance(5)
        assert get(client, auth, "sms", sms["id"])["status"] == "DONE"
        queued = copy.network.get(LORA_CORE_ID).queue.snapshot()
        assert [d.extra["kpn"] for d in queued] == [lora["id"], waiting["id"]]
        copy.uplink(LORA_CORE_ID)
        copy.clock.advance(2)
        copy.uplink(LORA_CORE_ID, ack=True)
        assert get(client, auth, "lora", lora["id"])["status"] == "DONE"
        copy.clock.advance(600)  # PT10M from its creation: the feedback timer came back too
        ended = get(client, auth, "lora", waiting["id"])
        assert (ended["status"], ended["lastFailureReason"]) == ("DONE", "FEEDBACK_TIMEOUT")


def test_restored_records_expire_from_when_they_finished():
    server = MockServer()
    auth = bearer(server.providers["kpn"].ready_token("demo-client"))
    with server.client() as client:
        done = create(client, auth, "mqtt")
        server.clock.advance(10 * 86_400)
    state = server.providers["kpn"].snapshot_state()
    copy = _restored(state, server.clock.now_us())
    with copy.client() as client:
        assert get(client, auth, "mqtt", done["id"])["status"] == "DONE"
        copy.clock.advance(20 * 86_400)
        assert_problem(client.get(f"/mqtt/downlinks/{done['id']}", headers=auth), 404)


def test_restoring_replaces_what_was_there_and_its_deliveries():
    server = MockServer()
    auth = bearer(server.providers["kpn"].ready_token("demo-client"))
    kpn = server.providers["kpn"]
    empty = kpn.snapshot_state()
    with server.client() as client:
        create(client, auth, "lora")
        kpn.restore_state(empty)
        assert client.get("/lora/downlinks", headers=auth).json() == {"items": []}
    assert server.network.get(LORA_CORE_ID).queue.snapshot() == []


@pytest.mark.parametrize(
    "damage",
    [
        lambda state: state.update(version=99),
        lambda state: state.update(records="nope"),
        lambda state: state["records"][0].update(device="00000000-0000-4000-8000-000000000000"),
        lambda state: state["records"][0].update(status="LOST"),
        lambda state: state["records"][0].update(feedback_timeout="soon"),
        lambda state: state["records"][0].update(child="no-such-downlink"),
        lambda state: state["records"][0].pop("created_at"),
    ],
    ids=["version", "records", "device", "status", "feedback", "link", "missing"],
)
def test_a_state_that_does_not_fit_is_refused_and_changes_nothing(damage):
    server = MockServer()
    kpn = server.providers["kpn"]
    auth = bearer(kpn.ready_token("demo-client"))
    with server.client() as client:
        kept = create(client, auth, "mqtt")
        state = kpn.snapshot_state()
        damage(state)
        with pytest.raises(ValueError, match="KPN state"):
            kpn.restore_state(state)
        assert get(client, auth, "mqtt", kept["id"])["id"] == kept["id"]
