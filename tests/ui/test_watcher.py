"""What the live feed tells a page, look by look (the stream's logic without its socket)."""

from __future__ import annotations

import pytest

from mockserver.server import MockServer
from mockserver.ui.stream import MAX_ROWS, RESCAN_TICKS, TenantGone, Watcher
from tests.conftest import AUTH, WEBHOOK_DOWN

PUSH = WEBHOOK_DOWN.format(device="dev1", op="push")
ONE = {"downlinks": [{"f_port": 2, "frm_payload": "AQ=="}]}


@pytest.fixture
def watcher(server: MockServer) -> Watcher:
    watching = Watcher(server.tenants, server.host, None)
    watching.snapshot()
    return watching


def test_the_snapshot_lists_devices_with_their_state(server):
    snapshot = Watcher(server.tenants, server.host, None).snapshot()
    rows = {row["id"]: row for row in snapshot["devices"]}
    assert snapshot["devices_total"] == len(server.network) == len(rows)
    assert (
        rows["app1.dev1"] | {"state": "idle", "queued": 0, "last_uplink": None} == rows["app1.dev1"]
    )
    assert (rows["app1.dev1"]["class"], rows["app1.dev2"]["class"]) == ("A", "C")
    assert rows["app1.dev3"]["state"] == "no session"
    assert snapshot["clock"] == {"kind": "virtual", "now": "2026-01-01T00:00:00Z"}
    assert (snapshot["journal"], snapshot["scenario"], snapshot["tenant"]) == ([], None, None)


def test_a_push_shows_as_a_queued_device_and_a_journal_row(client, watcher):
    assert watcher.look(clock_due=False) is None  # nothing happened
    client.post(PUSH, headers=AUTH, json=ONE)
    kind, update = watcher.look(clock_due=False)
    assert kind == "update"
    (row,) = update["devices"]
    assert (row["id"], row["queued"], row["state"]) == ("app1.dev1", 1, "queued")
    assert update["touched"] == ["app1.dev1"]
    (exchange,) = update["journal"]
    assert (exchange["method"], exchange["status"], exchange["valid"]) == ("POST", 200, True)
    assert exchange["operation"] == "tts.WebhookDownlinkQueuePush"
    assert watcher.look(clock_due=False) is None


def test_an_uplink_and_its_confirmed_answer_show_in_the_state(client, watcher):
    client.post(
        PUSH,
        headers=AUTH,
        json={"downlinks": [{"f_port": 2, "frm_payload": "AQ==", "confirmed": True}]},
    )
    client.post("/_mock/devices/app1.dev1/uplinks", json={"f_port": 1})
    client.post("/_mock/clock/run-until-idle")
    _, update = watcher.look(clock_due=False)
    (row,) = update["devices"]
    assert (row["state"], row["last_uplink"], row["queued"]) == (
        "awaiting ack",
        "2026-01-01T00:00:00Z",
        0,
    )
    assert update["clock"]["now"] == "2026-01-01T00:00:05Z"


def test_a_violation_reaches_the_page_with_its_rule(client, watcher):
    client.post(PUSH, headers=AUTH, json={"downlinks": [{"f_port": 300, "frm_payload": "AQ=="}]})
    _, update = watcher.look(clock_due=False)
    (exchange,) = update["journal"]
    assert exchange["valid"] is False
    assert {(v["rule"], v["where"]) for v in exchange["violations"]} >= {
        ("maximum", "body.downlinks[0].f_port")
    }


def test_a_burst_arrives_as_one_batch_of_the_newest_rows_and_the_broken_ones(
    client, watcher, server
):
    client.post(PUSH, headers=AUTH, json={"downlinks": [{"f_port": 0, "frm_payload": "AQ=="}]})
    for _ in range(MAX_ROWS + 50):
        client.get("/no-such-api")
    _, update = watcher.look(clock_due=False)
    rows = update["journal"]
    assert len(rows) == MAX_ROWS + 1
    assert (rows[0]["valid"], rows[0]["path"]) == (False, PUSH)  # older, but it broke a rule
    assert update["journal_skipped"] == 50
    assert rows[-1]["sequence"] == server.journal.last_sequence  # the newest, oldest first
    assert [row["sequence"] for row in rows] == sorted(row["sequence"] for row in rows)


def test_a_cleared_journal_is_replaced_not_appended_to(client, watcher):
    client.get("/no-such-api")
    watcher.look(clock_due=False)
    client.delete("/_mock/journal")
    client.get("/still-no-such-api")
    _, update = watcher.look(clock_due=False)
    assert update["journal_cleared"] is True
    assert [row["path"] for row in update["journal"]] == ["/still-no-such-api"]


def test_a_change_that_emits_no_event_is_found_by_the_rescan(client, watcher):
    client.patch("/_mock/devices/app1.dev2", json={"class": "A"})
    updates = [watcher.look(clock_due=False) for _ in range(RESCAN_TICKS)]
    changed = [row for found in updates if found for row in found[1].get("devices", [])]
    assert [(row["id"], row["class"]) for row in changed] == [("app1.dev2", "A")]


def test_created_and_deleted_devices_are_added_and_removed(client, watcher):
    client.delete("/_mock/devices/app1.dev3")
    _, update = watcher.look(clock_due=False)
    assert update["removed"] == ["app1.dev3"]
    assert update["devices_total"] == len(watcher.target.simulator.network)


def test_a_reset_starts_the_page_over(client, watcher):
    client.post(PUSH, headers=AUTH, json=ONE)
    client.post("/_mock/reset")
    kind, snapshot = watcher.look(clock_due=False)
    assert kind == "snapshot"
    assert snapshot["journal"] == []
    assert {row["queued"] for row in snapshot["devices"]} == {0}


def test_a_scenario_and_the_clock_are_sent_when_they_change(client, watcher):
    assert client.put("/_mock/scenario", json={"name": "confirmed-nacked"}).status_code == 200
    _, update = watcher.look(clock_due=False)
    assert update["scenario"]["name"] == "confirmed-nacked"
    client.post("/_mock/clock/advance", json={"seconds": 1})
    _, update = watcher.look(clock_due=False)
    assert update["clock"]["now"] == "2026-01-01T00:00:01Z"
    assert "scenario" not in update
    client.delete("/_mock/scenario")
    _, update = watcher.look(clock_due=False)
    assert update["scenario"] is None


def test_a_tenant_feed_shows_the_tenant_and_ends_when_it_is_dropped(client, server):
    tenant = {"X-Mockserver-Tenant": "t1"}
    client.get("/_mock/health", headers=tenant)
    watcher = Watcher(server.tenants, server.tenants.find("t1").host, "t1")
    snapshot = watcher.snapshot()
    assert (snapshot["tenant"], snapshot["tenants"]) == ("t1", ["t1"])
    client.post(PUSH, headers={**AUTH, **tenant}, json=ONE)
    client.post(PUSH, headers=AUTH, json=ONE)  # the home's push is not the tenant's
    _, update = watcher.look(clock_due=False)
    assert [row["path"] for row in update["journal"]] == [PUSH]
    assert len(update["journal"]) == 1
    client.delete("/_mock/tenants/t1")
    with pytest.raises(TenantGone):
        watcher.look(clock_due=False)
