"""TTN v2 in the world: the default world's fixed identities, devices added at run time, the
banner, and world files the schema refuses."""

from __future__ import annotations

import copy
import re

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


def _second_app(world: dict) -> dict:
    app = copy.deepcopy(my_app(world))
    world["ttnv2"]["applications"].append(app)
    return app


@pytest.mark.parametrize(
    ("change", "where", "what"),
    [
        (
            lambda world: _second_app(world),
            "ttnv2/applications/1/id",
            "application ID 'my-app-id' is already used by applications/0",
        ),
        (
            lambda world: my_app(world)["access_keys"].append({"key": "ttn-account-v2.secret"}),
            "ttnv2/applications/0/access_keys/1/key",
            "access key 'ttn-account-v2.secret' is already used by applications/0/access_keys/0",
        ),
        (
            lambda world: my_app(world)["integrations"].append({"process_id": "my-process-id"}),
            "ttnv2/applications/0/integrations/1/process_id",
            "Process ID 'my-process-id' is already used",
        ),
        (
            lambda world: my_app(world)["integrations"][0].update(access_key="ttn-account-v2.x"),
            "ttnv2/applications/0/integrations/0/access_key",
            "'ttn-account-v2.x' is not one of the access keys of application 'my-app-id'",
        ),
        (
            lambda world: my_app(world)["devices"].append(
                {"id": "my-dev-id", "dev_eui": "00000000000000AA"}
            ),
            "ttnv2/applications/0/devices/1/id",
            "device ID 'my-dev-id' is already used by applications/0/devices/0",
        ),
        (
            lambda world: (
                my_app(world).update(access_keys=[]),
                my_app(world)["integrations"][0].pop("access_key"),
            ),
            "ttnv2/applications/0/integrations/0",
            "the integration needs an access key: application 'my-app-id' has none",
        ),
    ],
    ids=[
        "application",
        "access key",
        "process id",
        "unknown integration key",
        "device",
        "no key at all",
    ],
)
def test_world_files_with_duplicates_or_dangling_keys_are_refused(change, where, what):
    world = default_world()
    change(world)
    with pytest.raises(WorldError, match=re.escape(f"at {where}: {what}")):
        MockServer(world)


def test_a_refused_world_leaves_the_running_one_untouched(server, client):
    world = default_world()
    _second_app(world)
    with pytest.raises(WorldError):
        server.reset(world)
    assert_accepted(client.post(down_url(), json={"dev_id": "my-dev-id", "payload_raw": "AQ=="}))


@pytest.mark.parametrize(
    "change",
    [
        lambda world: my_app(world).update(id="my-app-id\n"),
        lambda world: my_app(world)["devices"][0].update(id="my-dev-id\n"),
        lambda world: my_app(world)["devices"][0].update(dev_eui="0102030405060708\n"),
    ],
    ids=["application id", "device id", "dev_eui"],
)
def test_identifiers_with_a_trailing_newline_are_refused(change):
    world = default_world()
    change(world)
    with pytest.raises(WorldError):
        MockServer(world)


@pytest.mark.parametrize(
    ("application_id", "error"),
    [
        ("my-app-id.x", "is not a TTN v2 ID"),
        ("My-App", "is not a TTN v2 ID"),
        ("my-app-id\n", "is not a TTN v2 ID"),
        (7, "is not a TTN v2 ID"),
        ("other-app", "the world has no TTN v2 application 'other-app'"),
    ],
)
def test_run_time_devices_need_an_application_of_the_world(client, server, application_id, error):
    spec = {"id": "dev1", "dev_eui": "00000000000000AB", "application_id": application_id}
    response = client.post("/_mock/devices", json={"provider": "ttnv2", **spec})
    assert response.status_code == 400, response.text
    assert error in response.json()["error"]
    assert set(server.providers["ttnv2"].registry.applications) == {"my-app-id"}
    assert [d.id for d in server.network if d.provider == "ttnv2"] == ["my-app-id.my-dev-id"]
    assert client.get("/_mock/devices").status_code == 200


def test_removing_a_device_whose_application_is_gone_does_not_fail(client, server):
    provider = server.providers["ttnv2"]
    device = provider.create_device(
        {"application_id": "my-app-id", "id": "dev2", "dev_eui": "00000000000000AC"}
    )
    del provider.registry.applications["my-app-id"]
    assert client.delete(f"/_mock/devices/{device.id}").status_code == 204
    assert server.network.find(device.id) is None
