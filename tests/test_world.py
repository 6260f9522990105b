"""World descriptions that pass the schema but cannot be built are refused as WorldError."""

from __future__ import annotations

import pytest

from mockserver.providers.worlds import read_world
from mockserver.safe_load import load_yaml, read_file
from mockserver.scenario.loading import ScenarioError
from mockserver.server import MockServer
from mockserver.world import DEFAULT_WORLD, WorldError


def test_a_device_id_two_providers_claim_is_a_world_error_naming_the_second() -> None:
    world = {
        "tts": {
            "band": "EU868",
            "applications": [
                {"id": "app1", "devices": [{"id": "dev1", "dev_eui": "70B3D57ED0000001"}]}
            ],
        },
        "ttnv2": {
            "band": "EU868",
            "applications": [
                {
                    "id": "app1",
                    "access_keys": [{"key": "ttn-account-v2.k", "rights": ["messages:down:w"]}],
                    "devices": [{"id": "dev1", "dev_eui": "0102030405060708"}],
                }
            ],
        },
    }
    with pytest.raises(WorldError, match=r"at ttnv2: .*app1\.dev1"):
        MockServer(world)


def test_a_thingpark_device_on_an_unknown_application_server_is_a_world_error() -> None:
    world = {
        "thingpark": {
            "devices": [{"ref": "1", "dev_eui": "0000000000000001", "application_server": "nope"}]
        }
    }
    with pytest.raises(WorldError, match=r"at thingpark: device 1: unknown application server"):
        MockServer(world)


def test_switching_to_a_world_that_cannot_be_built_leaves_the_running_one_untouched() -> None:
    server = MockServer()
    before = server.description
    clash = {
        "tts": {
            "applications": [
                {"id": "app9", "devices": [{"id": "dev9", "dev_eui": "0000000000000001"}]}
            ]
        },
        "ttnv2": {
            "applications": [
                {
                    "id": "app9",
                    "access_keys": [{"key": "ttn-account-v2.k", "rights": ["messages:down:w"]}],
                    "devices": [{"id": "dev9", "dev_eui": "0000000000000002"}],
                }
            ]
        },
    }
    with pytest.raises(WorldError):
        server.reset(clash)
    assert server.description is before
    server.reset()  # the running world still rebuilds
    assert server.network.find("app1.dev1") is not None


def test_a_world_the_default_scenario_does_not_fit_is_refused_before_anything_changes() -> None:
    server = MockServer()
    server.default_scenario = {
        "name": "d",
        "description": "uplinks from the default world's dev1",
        "timeline": [{"at": "1s", "uplink": {"device": "app1.dev1"}}],
    }
    server.reset()
    with pytest.raises(ScenarioError, match=r"app1\.dev1"):
        server.reset({"tts": {"applications": [{"id": "lab"}]}})
    assert server.network.find("app1.dev1") is not None
    assert server.scenario is not None
    server.reset()  # still works, scenario re-armed
    assert server.scenario is not None
    tenant = server.client().get("/_mock/health", headers={"X-Mockserver-Tenant": "t"})
    assert tenant.status_code == 200


def test_the_bundled_world_keeps_the_world_schema() -> None:
    """A server on the bundled world does not check it against the schema at every start
    (that would import jsonschema, issue 21): this test does, once, and fails when an edit
    of mockserver/worlds/default.yaml breaks it. Read as a user's file, it is checked."""
    import jsonschema

    from mockserver.providers.worlds import read_world, world_schema
    from mockserver.world import DEFAULT_WORLD

    bundled = read_world(None)
    validator = jsonschema.Draft202012Validator(
        world_schema(), format_checker=jsonschema.FormatChecker()
    )
    assert list(validator.iter_errors(bundled)) == []
    assert read_world(DEFAULT_WORLD) == bundled
    broken = {**bundled, "seed": "not a number"}
    with pytest.raises(WorldError, match="seed"):
        read_world(broken)


def test_the_bundled_world_reads_alike_with_either_loader() -> None:
    """The bundled default is read by libyaml's whole loader (issue 21, start-up); a user's
    world by the bounded one. Both must make the same description of it."""
    assert read_world(None) == load_yaml(read_file(DEFAULT_WORLD, str(DEFAULT_WORLD)))
    assert read_world(None) == read_world(DEFAULT_WORLD)
