"""Putting a scenario in force and taking it away: the admin API refuses what it cannot load
with a 400 and changes nothing, a name is never a path, and a scenario's own world leaves
with it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from mockserver.scenario.loading import ScenarioError
from mockserver.scenario.model import Scenario, TimelineEntry
from mockserver.server import MockServer
from mockserver.types import SECOND
from tests.conftest import AUTH, WEBHOOK_DOWN

PUSH = WEBHOOK_DOWN.format(device="dev1", op="push")
ONE = {"downlinks": [{"f_port": 1, "frm_payload": "AQ=="}]}
PROBE = {"id": "probe", "dev_eui": "70B3D57ED00000AA"}
LAB = {"tts": {"applications": [{"id": "lab", "devices": [PROBE]}]}}
OWN_WORLD = {"name": "own-world", "description": "d", "world": LAB}
DEFAULT_DEVICES = [device.id for device in MockServer().network]


def devices(server: MockServer) -> list[str]:
    return [device.id for device in server.network]


def refused(client: httpx.Client, status: int = 400, **request: object) -> str:
    """PUT /_mock/scenario is a 400 (413 past a document limit) with the admin's error body,
    and nothing changed."""
    client.delete("/_mock/devices/app1.dev1/queue")
    assert client.post(PUSH, headers=AUTH, json=ONE).status_code == 200  # a downlink queued
    response = client.put("/_mock/scenario", **request)  # type: ignore[arg-type]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert client.get("/_mock/scenario").json() == {"active": None}
    assert len(client.get("/_mock/devices/app1.dev1/queue").json()) == 1
    assert len(client.get("/_mock/devices").json()) == len(DEFAULT_DEVICES)
    return response.json()["error"]


# -- the admin API -------------------------------------------------------------------------
@pytest.mark.parametrize("name", [5, None, True, ["queue-full"], {"a": 1}])
def test_a_name_that_is_no_text_is_a_400(client: httpx.Client, name: object):
    error = refused(client, json={"name": name})
    assert error.startswith(f"no bundled scenario {name!r}: `name` is one of ")
    assert "queue-full" in error


def test_a_name_is_never_a_path(client: httpx.Client, tmp_path: Path):
    own = tmp_path / "own.yaml"
    own.write_text("name: own\ndescription: a file on the server's disk\n")
    for name in (str(own), "/etc/hostname", "../scenarios/queue-full", "queue-full.yaml"):
        error = refused(client, json={"name": name})
        assert error.startswith(f"no bundled scenario {name!r}")
    assert client.put("/_mock/scenario", json={"name": "queue-full"}).status_code == 200


def test_a_yaml_body_that_is_not_utf8_is_a_400(client: httpx.Client):
    text = "name: x\ndescription: caf\xe9\n".encode("latin-1")
    error = refused(client, content=text, headers={"Content-Type": "application/yaml"})
    assert error == "the YAML body is not UTF-8 text"


def test_a_world_that_cannot_be_built_is_a_400(client: httpx.Client):
    device = {"id": "dev1", "dev_eui": "70B3D57ED0000001"}
    world = {"tts": {"applications": [{"id": "app1", "devices": [device, device]}]}}
    error = refused(client, json={"name": "twice", "description": "d", "world": world})
    assert error == "inline: world has the device app1.dev1 more than once"


def test_json_numbers_no_clock_can_wait_are_a_400(client: httpx.Client):
    body = (
        b'{"name": "x", "description": "d", '
        b'"timeline": [{"at": Infinity, "revoke_key": {"provider": "tts", "key": "k"}}]}'
    )
    error = refused(client, content=body, headers={"Content-Type": "application/json"})
    assert error == "inline: at timeline/0/at: inf is not a finite number"


def test_a_body_nested_deeper_than_python_recurses_is_a_413(client: httpx.Client):
    deep = "[" * 5000 + "]" * 5000
    error = refused(client, content=deep, headers={"Content-Type": "application/yaml"}, status=413)
    assert error == (
        "request body:1:1001: the document nests deeper than 64 levels, the limit on a "
        "document (--max-document-depth)"
    )
    body = '{"name": "x", "description": "d", "rules": ' + "[" * 100_000 + "]" * 100_000 + "}"
    error = refused(client, content=body, headers={"Content-Type": "application/json"}, status=413)
    assert error == (
        "the body nests deeper than 256 levels (at character 298), the limit on a JSON document"
    )


# -- a scenario's own world ----------------------------------------------------------------
def test_clearing_a_scenario_brings_back_the_world_before_it(server: MockServer):
    server.load_scenario(OWN_WORLD)
    assert devices(server) == ["lab.probe"]
    assert server.world_origin == "scenario own-world"
    server.clear_scenario()
    assert devices(server) == DEFAULT_DEVICES
    assert server.world_origin == "default"
    server.reset()
    assert devices(server) == DEFAULT_DEVICES


def test_a_reset_brings_back_the_world_before_the_scenario(server: MockServer):
    server.load_scenario(OWN_WORLD)
    server.load_scenario({**OWN_WORLD, "name": "another", "world": {}})  # one after another
    server.reset()
    assert server.scenario is None
    assert devices(server) == DEFAULT_DEVICES


def test_the_admin_delete_brings_back_the_world(client: httpx.Client):
    assert client.put("/_mock/scenario", json=OWN_WORLD).status_code == 200
    assert [d["id"] for d in client.get("/_mock/devices").json()] == ["lab.probe"]
    assert client.delete("/_mock/scenario").status_code == 204
    assert [d["id"] for d in client.get("/_mock/devices").json()] == DEFAULT_DEVICES


def test_a_world_chosen_under_a_scenario_is_kept(server: MockServer):
    server.load_scenario(OWN_WORLD)
    server.reset({"tts": {"applications": [{"id": "chosen"}]}})
    server.clear_scenario()
    server.reset()
    assert devices(server) == [] and server.world_origin == "dict"


def test_the_default_scenario_with_a_world_is_rearmed_by_every_reset(server: MockServer):
    server.default_scenario = OWN_WORLD
    server.reset()
    assert devices(server) == ["lab.probe"]
    server.clear_scenario()
    assert devices(server) == DEFAULT_DEVICES and server.scenario is None
    server.reset()
    assert devices(server) == ["lab.probe"]
    assert server.scenario is not None and server.scenario.scenario.name == "own-world"


MARKED = """
import pytest

OWN = {"name": "own", "description": "d", "world": {"tts": {"applications": [{"id": "lab"}]}}}

@pytest.mark.mockserver_scenario(OWN)
def test_1_under_a_scenario_with_a_world(mockserver_inprocess):
    assert len(mockserver_inprocess.network) == 0

def test_2_later_tests_have_the_session_world(mockserver_inprocess):
    assert mockserver_inprocess.network.find("app1.dev1") is not None
    assert mockserver_inprocess.scenario is None
"""


def test_the_pytest_fixture_gives_later_tests_the_sessions_world(pytester: pytest.Pytester):
    pytester.makepyfile(MARKED)
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(passed=2)


# -- devices named exactly -------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["uplink", "session_reset"])
def test_acts_on_one_device_need_its_exact_id_in_the_world(server: MockServer, kind: str):
    """A Scenario built in Python skips the loader's refusal of globs: the check at load
    still asks for an exact id, as the act will look the device up by it."""
    entry = TimelineEntry(kind, 60 * SECOND, None, {"device": "app1.*"})
    scenario = Scenario("x", "d", 0, None, (entry,), (), "python")
    with pytest.raises(
        ScenarioError, match=r"python: timeline entry 1 \(.*\): no device .*'app1\.\*'"
    ):
        server.load_scenario(scenario)
    assert server.scenario is None
    exact = Scenario(
        "x", "d", 0, None, (TimelineEntry(kind, 0, None, {"device": "app1.dev1"}),), (), ""
    )
    server.load_scenario(exact)
