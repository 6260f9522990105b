"""The `kpn:` world section: checked at load, and devices added or removed at run time."""

from __future__ import annotations

import pytest

from mockserver.providers.worlds import read_world
from mockserver.world import WorldError
from tests.providers.kpn.helpers import create, default_world

NEW_DEVICE = {
    "provider": "kpn",
    "uuid": "0b6c1a9e-3f6d-4c52-9a6e-5d1f2a3b4c5d",
    "client": "demo",
    "bearer": "sms",
    "imei": "490154203237518",
}


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"uuid": "not-a-uuid"}, "kpn/devices/0/uuid"),
        ({"bearer": "nb-iot"}, "kpn/devices/0/bearer"),
        ({"dev_eui": "0004A30B"}, "kpn/devices/0/dev_eui"),
        ({"encoder": {"type": "magic"}}, "kpn/devices/0/encoder/type"),
    ],
)
def test_bad_device_entries_are_refused_with_their_location(change, where):
    world = default_world()
    world["kpn"]["devices"][0].update(change)
    with pytest.raises(WorldError, match=where):
        read_world(world)


def test_admin_adds_a_device_usable_at_once_and_removes_it(server, client, auth):
    response = client.post("/_mock/devices", json=NEW_DEVICE)
    assert response.status_code == 201, response.text
    core_id = response.json()["id"]
    assert core_id == f"kpn.{NEW_DEVICE['uuid']}"
    created = create(client, auth, "sms", deviceId="imei:490154203237518")
    assert created["status"] == "PENDING"
    assert client.post("/_mock/devices", json=NEW_DEVICE).status_code == 409  # exists
    bad = {**NEW_DEVICE, "uuid": "0b6c1a9e-3f6d-4c52-9a6e-5d1f2a3b4c5e", "bearer": "fax"}
    assert client.post("/_mock/devices", json=bad).status_code == 400
    assert client.delete(f"/_mock/devices/{core_id}").status_code in (200, 204)
    response = client.post(
        "/sms/downlinks",
        json={
            "deviceId": "imei:490154203237518",
            "message": {"text": "x"},
            "feedbackTimeout": "PT10M",
        },
        headers=auth,
    )
    assert response.status_code == 404


def test_identities_must_be_unique_in_a_world():
    world = default_world()
    world["kpn"]["devices"][3]["imei"] = "356938035643809"  # the HTTP device's IMEI
    from mockserver.server import MockServer

    with pytest.raises(ValueError, match="imei:356938035643809"):
        MockServer(world)
