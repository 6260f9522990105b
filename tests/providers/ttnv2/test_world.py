"""TTN v2 in the world: the default world's fixed identities, devices added at run time, the
banner, and world files the schema refuses."""

from __future__ import annotations

import pytest

from mockserver.cli import banner
from mockserver.server import MockServer
from mockserver.world import WorldError
from tests.providers.ttnv2.helpers import (
    JSON,
    assert_accepted,
    assert_text_error,
    default_world,
    down_url,
    my_app,
)


def test_the_default_worlds_identities(server: MockServer):
    device = server.network.get("my-app-id.my-dev-id")
    assert (device.provider, device.dev_eui, device.device_class) == (
        "ttnv2",
        "0102030405060708",
        "A",
    )
    assert device.rx1_delay == 1_000_000
    application = server.providers["ttnv2"].registry.applications["my-app-id"]
    assert list(application.integrations) == ["my-process-id"]
    assert "ttn-account-v2.secret" in application.access_keys


def test_devices_can_be_added_and_removed_through_the_admin_api(client, server):
    created = client.post(
        "/_mock/devices",
        json={
            "provider": "ttnv2",
            "application_id": "my-app-id",
            "id": "second-device",
            "dev_eui": "00000000000000AA",
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["id"] == "my-app-id.second-device"
    body = {"dev_id": "second-device", "payload_raw": "AQ=="}
    assert_accepted(client.post(down_url(), json=body, headers=JSON))
    refused = client.post(
        "/_mock/devices",
        json={"provider": "ttnv2", "application_id": "my-app-id", "id": "Bad Id", "dev_eui": "00"},
    )
    assert refused.status_code == 400
    assert client.delete("/_mock/devices/my-app-id.second-device").status_code in (200, 204)
    assert_text_error(
        client.post(down_url(), json=body, headers=JSON),
        404,
        "handler:device:my-app-id:second-device not found",
    )


def test_the_banner_prints_the_downlink_urls(server):
    text = banner(server, "127.0.0.1", 8080)
    assert (
        "  POST/PUT /ttn/api/v2/down/my-app-id/my-process-id?key=ttn-account-v2.secret"
        "  (downlink URL of my-app-id/my-process-id)"
    ) in text


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda app: app.update(id="My_App"), "ttnv2/applications/0/id"),
        (lambda app: app["integrations"][0].update(method="GET"), "method"),
        (lambda app: app["integrations"][0].update(headers={"A": "1", "B": "2"}), "headers"),
        (lambda app: app["encoder"].update(type="javascript"), "encoder/type"),
        (lambda app: app["access_keys"][0].update(rights=["all"]), "rights"),
    ],
)
def test_world_files_the_schema_refuses(change, where):
    world = default_world()
    change(my_app(world))
    with pytest.raises(WorldError, match=where):
        MockServer(world)
