"""GET/PUT /_mock/snapshot: a session saved, the world reset (or a fresh server started),
the session restored, and every vendor's own answers the same as before."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from mockserver.safe_load import DEFAULT_LIMITS
from mockserver.server import MockServer
from mockserver.simulator.snapshot import FORMAT, VERSION
from tests.conftest import AUTH, WEBHOOK_DOWN
from tests.providers.kpn import helpers as kpn
from tests.providers.thingpark import helpers as thingpark
from tests.providers.ttnv2.helpers import down_url

TTS_QUEUE = "/api/v3/as/applications/app1/devices/{device}/down"
NEW_TTS_DEVICE = {
    "provider": "tts",
    "application_id": "app1",
    "id": "sensor-9",
    "dev_eui": "70B3D57ED00000A9",
    "class": "A",
    "session": {"dev_addr": "260B00A9"},
}
JS_ENCODER = "function encodeDownlink(input) { return { bytes: [input.data.n], fPort: 3 }; }"
V2_ENCODER = "function Encoder(object, port) { return [object.n, 7]; }"
NEW_THINGPARK_DEVICE = {"provider": "thingpark", "ref": "1009", "dev_eui": "0018B20000000009"}


def push(client: httpx.Client, device: str, payload: str, op: str = "push") -> None:
    response = client.post(
        WEBHOOK_DOWN.format(device=device, op=op),
        headers=AUTH,
        json={"downlinks": [{"f_port": 2, "frm_payload": payload, "confirmed": True}]},
    )
    assert response.status_code == 200, response.text


def exercise(client: httpx.Client) -> dict[str, str]:
    """A session on every vendor: queued downlinks, added devices, time moved on. Returns
    the bearer headers the vendors' list calls need afterwards."""
    assert client.post("/_mock/devices", json=NEW_TTS_DEVICE).status_code == 201
    script = client.put("/_mock/devices/app1.dev2/formatters/down", content=JS_ENCODER)
    assert script.status_code == 200, script.text
    encoder = client.put(
        "/_mock/devices/my-app-id.my-dev-id/formatters/encoder", content=V2_ENCODER
    )
    assert encoder.status_code == 200, encoder.text
    push(client, "dev1", "AQI=")
    push(client, "dev1", "AwQ=")
    push(client, "dev2", "BQY=", op="replace")
    push(client, "sensor-9", "Bwg=")
    raw = {"dev_id": "my-dev-id", "port": 1, "payload_raw": "AQIDBA=="}
    assert client.post(down_url(), json=raw).status_code == 202
    assert client.post("/_mock/devices", json=NEW_THINGPARK_DEVICE).status_code == 201
    tp = thingpark.bearer(thingpark.token(client))
    send = {"payloadHex": "0102", "targetPorts": "1"}
    for device in ("1001", "1009"):
        assert client.post(thingpark.messages_url(device), json=send, headers=tp).status_code == 200
    kp = kpn.bearer(kpn.token(client))
    kpn.create(client, kp, "lora")
    assert client.delete("/_mock/devices/app1.dev3").status_code == 204
    # time moves on: dev1 uplinks and gets its first downlink; a confirmed one is awaited
    assert client.post("/_mock/devices/app1.dev1/uplinks", json={}).status_code == 201
    assert client.post("/_mock/clock/advance", json={"seconds": 30}).status_code == 200
    return {"tp": json.dumps(tp), "kpn": json.dumps(kp)}


def views(client: httpx.Client, auth: dict[str, str]) -> dict[str, Any]:
    """What the admin API and each vendor's own list calls answer (the journal first: the
    vendor calls below are journalled too)."""
    tp, kp = json.loads(auth["tp"]), json.loads(auth["kpn"])
    seen: dict[str, Any] = {
        "journal": client.get("/_mock/journal").json(),
        "clock": client.get("/_mock/clock").json(),
        "devices": client.get("/_mock/devices").json(),
    }
    for device in seen["devices"]:
        seen[f"queue {device['id']}"] = client.get(f"/_mock/devices/{device['id']}/queue").json()
    for device in ("dev1", "dev2", "sensor-9"):
        seen[f"tts {device}"] = client.get(TTS_QUEUE.format(device=device), headers=AUTH).json()
    for device in ("1001", "1009"):
        seen[f"thingpark {device}"] = client.get(thingpark.messages_url(device), headers=tp).json()
    seen["kpn lora"] = client.get("/lora/downlinks", headers=kp).json()
    return seen


@pytest.mark.parametrize("into", ["the same server after a reset", "a fresh server"])
def test_a_session_comes_back_as_it_was(server: MockServer, client: httpx.Client, into: str):
    auth = exercise(client)
    snapshot = client.get("/_mock/snapshot")
    assert snapshot.status_code == 200, snapshot.text
    document = snapshot.json()
    before = views(client, auth)
    assert before["queue app1.dev1"], "the session must leave something queued"
    assert before["tts sensor-9"]["downlinks"]
    assert document["format"] == FORMAT and document["version"] == VERSION
    assert set(document["providers"]) | set(document["providers_not_carried"]) == {
        "tts",
        "ttnv2",
        "thingpark",
        "kpn",
    }
    assert {"tts", "ttnv2", "thingpark"} <= set(document["providers"])

    target = MockServer() if into == "a fresh server" else server
    with target.client() as other:
        if target is server:
            assert other.post("/_mock/reset").status_code == 200
            assert other.get("/_mock/devices/app1.sensor-9").status_code == 404
        restored = other.put("/_mock/snapshot", json=document)
        assert restored.status_code == 200, restored.text
        assert restored.json()["providers_not_carried"] == sorted(document["providers_not_carried"])
        after = views(other, auth)
    if "kpn" in document["providers_not_carried"]:  # until its provider carries its records
        for seen in (before, after):
            seen["devices"] = [d for d in seen["devices"] if d["provider"] != "kpn"]
            for name in [name for name in seen if name.startswith(("kpn", "queue kpn."))]:
                del seen[name]
    assert after.keys() == before.keys()
    for name in before:
        assert after[name] == before[name], name


def test_a_restored_session_goes_on_where_it_stopped(client: httpx.Client):
    """The queue left after the snapshot is sent on the next uplink, as it would have been."""
    exercise(client)
    document = client.get("/_mock/snapshot").json()
    fresh = MockServer()
    with fresh.client() as other:
        assert other.put("/_mock/snapshot", json=document).status_code == 200
        queued = len(other.get("/_mock/devices/app1.dev1/queue").json())
        assert other.post("/_mock/devices/app1.dev1/uplinks", json={"ack": True}).status_code == 201
        assert other.post("/_mock/clock/advance", json={"seconds": 30}).status_code == 200
        assert len(other.get("/_mock/devices/app1.dev1/queue").json()) == queued - 1
        kinds = [event["kind"] for event in other.get("/_mock/devices/app1.dev1/events").json()]
        assert "acked" in kinds and "sent" in kinds
        # the scripts set at run time came back too
        body = {"downlinks": [{"decoded_payload": {"n": 9}}]}
        url = WEBHOOK_DOWN.format(device="dev2", op="replace")
        assert other.post(url, headers=AUTH, json=body).status_code == 200
        assert other.get("/_mock/devices/app1.dev2/queue").json()[0]["frm_payload"] == "CQ=="
        fields = {"dev_id": "my-dev-id", "port": 1, "payload_fields": {"n": 5}}
        assert other.post(down_url(), json=fields).status_code == 202
        queue = other.get("/_mock/devices/my-app-id.my-dev-id/queue").json()
        assert queue[-1]["frm_payload"] == "BQc="


def test_without_the_journal(client: httpx.Client):
    push(client, "dev1", "AQI=")
    document = client.get("/_mock/snapshot", params={"journal": "false"}).json()
    assert document["journal"] is None
    assert client.put("/_mock/snapshot", json=document).status_code == 200
    assert client.get("/_mock/journal").json() == []
    assert len(client.get("/_mock/devices/app1.dev1/queue").json()) == 1


def _broken(document: dict[str, Any], change: str) -> Any:
    broken = json.loads(json.dumps(document))
    if change == "format":
        broken["format"] = "something-else"
    elif change == "version":
        broken["version"] = 99
    elif change == "clock":
        broken["clock"]["now_us"] = "soon"
    elif change == "device":
        broken["devices"][0]["id"] = "app1.nobody"
    elif change == "queue":
        broken["devices"][0]["queue"] = [{"f_port": 1, "frm_payload": "not base64!"}]
    elif change == "journal":
        broken["journal"]["entries"][0]["response"] = None
    elif change == "world":
        broken["world"]["description"] = {"tts": {"applications": "not a list"}}
    elif change == "provider":
        broken["providers"]["tts"]["webhooks"] = {"app1": [{"no": "id"}]}
    elif change == "formatter":
        broken["providers"]["tts"]["formatters"]["app1.dev1"] = {
            "down_formatter": "FORMATTER_JAVASCRIPT",
            "down_formatter_parameter": "function (",
        }
    elif change == "webhook type":
        broken["providers"]["tts"]["webhooks"]["app1"][0]["headers"] = ["not", "a", "map"]
    elif change == "formatter type":
        broken["providers"]["tts"]["formatters"]["app1.dev1"] = None
    elif change == "added device":
        broken["providers"]["thingpark"]["added_devices"] = [{"dev_eui": 7}]
    elif change == "not an object":
        broken = [broken]
    return broken


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ("format", "not a snapshot"),
        ("version", "version 99 is not supported"),
        ("clock", "clock.now_us must be an integer"),
        ("device", "devices[app1.nobody]"),
        ("queue", "frm_payload is not valid base64"),
        ("journal", "journal.entries[0]"),
        ("world", "world.description"),
        ("provider", "tts.webhooks[app1]"),
        ("formatter", "the snapshot cannot be restored"),
        ("webhook type", "tts.webhooks[app1]"),
        ("formatter type", "tts.formatters[app1.dev1]"),
        ("added device", "the snapshot cannot be restored"),
        ("not an object", "a snapshot is a JSON object"),
    ],
)
def test_a_bad_snapshot_is_refused_and_changes_nothing(client: httpx.Client, change, says):
    push(client, "dev1", "AQI=")
    document = client.get("/_mock/snapshot").json()
    push(client, "dev1", "AwQ=")  # the state the refusal must leave alone
    state = client.get("/_mock/snapshot").json()
    refused = client.put("/_mock/snapshot", json=_broken(document, change))
    assert refused.status_code == 400, refused.text
    assert says in refused.json()["error"]
    assert client.get("/_mock/snapshot").json() == state


def test_a_body_that_is_not_json_or_too_large(client: httpx.Client):
    assert client.put("/_mock/snapshot", content=b"{nope").status_code == 400
    assert client.put("/_mock/snapshot", content=b"").status_code == 400
    huge = b"[" + b" " * DEFAULT_LIMITS.max_bytes + b"]"
    refused = client.put("/_mock/snapshot", content=huge)
    assert refused.status_code == 413
    assert "journal=false" in refused.json()["error"]
    assert client.get("/_mock/snapshot", params={"journal": "maybe"}).status_code == 400


def test_a_provider_without_the_hooks_is_named_not_silently_empty(client, server, monkeypatch):
    """The base class refuses to export: the snapshot says which provider it lacks, and a
    restore rebuilds that provider's devices from the world rather than half of them."""
    from mockserver.providers.base import Provider

    provider = server.providers["ttnv2"]
    monkeypatch.setattr(type(provider), "snapshot_state", Provider.snapshot_state)
    assert client.post(down_url(), json={"dev_id": "my-dev-id", "port": 1, "payload_raw": "AQ=="})
    document = client.get("/_mock/snapshot").json()
    assert "ttnv2" in document["providers_not_carried"]
    assert "ttnv2" not in document["providers"]
    restored = client.put("/_mock/snapshot", json=document).json()
    assert "ttnv2" in restored["providers_not_carried"]
    assert client.get("/_mock/devices/my-app-id.my-dev-id/queue").json() == []


def test_into_a_server_on_the_real_clock(client: httpx.Client):
    """The queues come back; the real clock keeps the wall time rather than jump back."""
    from mockserver.clock import RealClock

    push(client, "dev1", "AQI=")
    document = client.get("/_mock/snapshot").json()
    real = MockServer(clock=RealClock())
    with real.client() as other:
        restored = other.put("/_mock/snapshot", json=document)
        assert restored.status_code == 200, restored.text
        assert restored.json()["clock"]["kind"] == "real"
        assert restored.json()["clock"]["now"] > document["clock"]["now"]
        queue = other.get("/_mock/devices/app1.dev1/queue").json()
        assert [downlink["frm_payload"] for downlink in queue] == ["AQI="]


def test_each_tenant_has_its_own(client: httpx.Client):
    tenant = {"X-Mockserver-Tenant": "team-a"}
    push(client, "dev1", "AQI=")
    document = client.get("/_mock/snapshot", headers=tenant).json()
    assert all(device["queue"] == [] for device in document["devices"])
    assert client.put("/_mock/snapshot", json=document, headers=tenant).status_code == 200
    assert len(client.get("/_mock/devices/app1.dev1/queue").json()) == 1


def test_a_restored_kpn_downlink_goes_on_with_its_record(client: httpx.Client):
    """KPN's record keeps its link to the queued downlink: the uplink that sends it moves
    the record on (EXECUTING), as it does in the session the snapshot was taken from."""
    kp = kpn.bearer(kpn.token(client))
    created = kpn.create(client, kp, "lora")
    device = next(
        d["id"]
        for d in client.get("/_mock/devices").json()
        if d["provider"] == "kpn" and client.get(f"/_mock/devices/{d['id']}/queue").json()
    )
    document = client.get("/_mock/snapshot").json()
    assert "kpn" in document["providers"]
    with MockServer().client() as other:
        assert other.put("/_mock/snapshot", json=document).status_code == 200
        assert other.post(f"/_mock/devices/{device}/uplinks", json={}).status_code == 201
        assert other.post("/_mock/clock/advance", json={"seconds": 30}).status_code == 200
        records = other.get("/lora/downlinks", headers=kp).json()["items"]
    assert [(r["id"], r["status"]) for r in records] == [(created["id"], "EXECUTING")]


def test_a_kpn_device_added_at_run_time_comes_back_with_its_downlink(client: httpx.Client):
    from tests.providers.kpn.test_world import NEW_DEVICE

    assert client.post("/_mock/devices", json=NEW_DEVICE).status_code == 201
    kp = kpn.bearer(kpn.token(client))
    sent = kpn.create(client, kp, "sms", deviceId=f"imei:{NEW_DEVICE['imei']}")
    document = client.get("/_mock/snapshot").json()
    with MockServer().client() as other:
        assert other.put("/_mock/snapshot", json=document).status_code == 200
        assert other.get(f"/_mock/devices/kpn.{NEW_DEVICE['uuid']}").status_code == 200
        assert kpn.get(other, kp, "sms", sent["id"])["status"] == sent["status"]
