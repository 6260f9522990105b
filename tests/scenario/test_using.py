"""Four ways to put a scenario in force: admin API, Python, pytest marker, `serve --scenario`."""

from __future__ import annotations

import httpx
import pytest

from mockserver.server import MockServer
from tests.conftest import AUTH, WEBHOOK_DOWN
from tests.serving import wait_until_ready
from tests.test_cli import free_port, serving

PUSH = WEBHOOK_DOWN.format(device="dev1", op="push")
ONE = {"downlinks": [{"f_port": 1, "frm_payload": "AQ=="}]}


def test_admin_put_get_delete(client: httpx.Client):
    assert client.get("/_mock/scenario").json() == {"active": None}
    loaded = client.put("/_mock/scenario", json={"name": "queue-full"})
    assert loaded.status_code == 200
    assert loaded.json()["active"]["name"] == "queue-full"
    assert loaded.json() == client.get("/_mock/scenario").json()  # PUT answers as GET does
    assert client.post(PUSH, headers=AUTH, json=ONE).status_code == 429
    rules = client.get("/_mock/scenario").json()["active"]["rules"]
    assert rules == [
        {"name": "queue capacity exceeded", "kind": "request", "matched": 1, "fired": 1}
    ]
    journal = client.get("/_mock/journal").json()
    assert journal[-1]["scenario_rule"] == "queue capacity exceeded"
    assert client.delete("/_mock/scenario").status_code == 204
    assert client.post(PUSH, headers=AUTH, json=ONE).status_code == 200


def test_admin_put_of_a_whole_scenario_as_json_or_yaml(client: httpx.Client):
    document = {
        "name": "mine",
        "description": "every push fails",
        "rules": [{"act": {"respond": {"error": "tts: peer_unavailable"}}}],
    }
    assert client.put("/_mock/scenario", json=document).json()["active"]["name"] == "mine"
    text = "name: yours\ndescription: d\nrules:\n  - act: {respond: {status: 418}}\n"
    loaded = client.put(
        "/_mock/scenario", content=text, headers={"Content-Type": "application/yaml"}
    )
    assert loaded.json()["active"]["name"] == "yours"
    assert client.post(PUSH, headers=AUTH, json=ONE).status_code == 418


def test_admin_put_of_a_broken_scenario_says_where(client: httpx.Client):
    text = "name: x\ndescription: d\nrules:\n  - act: {drop: maybe}\n"
    response = client.put(
        "/_mock/scenario", content=text, headers={"Content-Type": "application/yaml"}
    )
    assert response.status_code == 400
    assert response.json()["error"].startswith("request body:4:17:")
    assert client.put("/_mock/scenario", json={"name": "nope"}).status_code == 400


def test_a_scenario_with_a_world_switches_to_it(server: MockServer):
    server.load_scenario(
        {
            "name": "own-world",
            "description": "d",
            "world": {"tts": {"applications": [{"id": "lab"}]}},
        }
    )
    assert [device.id for device in server.network] == []
    assert server.scenario is not None and server.scenario.scenario.name == "own-world"


def test_reset_rearms_the_servers_default_scenario_and_clears_others(server: MockServer):
    server.load_scenario("queue-full")
    server.reset()
    assert server.scenario is None
    server.default_scenario = "rate-limited"
    server.reset()
    assert server.scenario is not None and server.scenario.scenario.name == "rate-limited"


MARKED = """
import httpx
import pytest

PUSH = "/api/v3/as/applications/app1/webhooks/wh1/devices/dev1/down/push"
AUTH = {"Authorization": "Bearer NNSXS.XXXXXXXXX"}
ONE = {"downlinks": [{"f_port": 1, "frm_payload": "AQ=="}]}

@pytest.mark.mockserver_scenario("queue-full")
def test_with_a_full_queue(mockserver_inprocess):
    with mockserver_inprocess.client() as client:
        assert client.post(PUSH, headers=AUTH, json=ONE).status_code == 429

def test_without(mockserver_inprocess):
    with mockserver_inprocess.client() as client:
        assert client.post(PUSH, headers=AUTH, json=ONE).status_code == 200

@pytest.mark.mockserver_scenario("no-such-scenario")
def test_unknown(mockserver_inprocess):
    pass
"""


def test_the_pytest_marker(pytester: pytest.Pytester):
    pytester.makepyfile(MARKED)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "-k", "not unknown")
    result.assert_outcomes(passed=2)
    unknown = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "-k", "unknown")
    unknown.stdout.fnmatch_lines(["*no scenario 'no-such-scenario'*"])
    assert unknown.ret != 0


@pytest.mark.slow
def test_serve_with_a_scenario():
    port = free_port()
    with serving("--port", str(port), "--virtual-time", "--scenario", "queue-full") as process:
        banner = wait_until_ready(process)
        url = f"http://127.0.0.1:{port}"
        assert httpx.post(url + PUSH, headers=AUTH, json=ONE).status_code == 429
        httpx.post(url + "/_mock/reset")
        assert httpx.post(url + PUSH, headers=AUTH, json=ONE).status_code == 429  # re-armed
    assert any("scenario: queue-full (1 rule(s))" in line for line in banner)


def test_serve_refuses_a_broken_scenario(tmp_path, capsys):
    from mockserver.cli import main

    broken = tmp_path / "b.yaml"
    broken.write_text("name: b\n")
    assert main(["serve", "--scenario", str(broken)]) == 2
    assert "b.yaml:1:1:" in capsys.readouterr().err


def test_serve_refuses_a_scenario_naming_a_device_the_world_lacks(tmp_path, capsys):
    from mockserver.cli import main

    misspelt = tmp_path / "m.yaml"
    misspelt.write_text(
        "name: m\ndescription: d\n"
        "timeline:\n  - {from: 0, to: 60, device_silent: {device: thingpark:1002}}\n"
    )
    assert main(["serve", "--scenario", str(misspelt)]) == 2
    assert "no device of the world is 'thingpark:1002'" in capsys.readouterr().err


def test_a_device_the_world_does_not_have_is_refused_at_load(server: MockServer):
    from mockserver.scenario.loading import ScenarioError

    misspelt = {
        "name": "m",
        "description": "d",
        "timeline": [{"from": 0, "to": 60, "device_silent": {"device": "thingpark:1002"}}],
    }
    with pytest.raises(ScenarioError, match="no device of the world is 'thingpark:1002'"):
        server.load_scenario(misspelt)
    assert server.scenario is None
