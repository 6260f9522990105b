"""Issue 20, item 13: a gate's report a person can read, world files refused at their first
bad element or when they describe nothing, and a ThingPark ready token that does not depend
on when the server started."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from mockserver.cli import banner, main
from mockserver.clock import RealClock
from mockserver.providers.worlds import read_world
from mockserver.server import MockServer
from mockserver.world import WorldError
from tests.conftest import AUTH, WEBHOOK_DOWN

PUSH = WEBHOOK_DOWN.format(device="dev1", op="push")
README = Path(__file__).resolve().parent.parent / "README.md"
pytestmark = pytest.mark.mockserver_allow_violations


# -- --fail-on-violations without --format ----------------------------------------------------
@pytest.fixture
def served() -> MockServer:
    server = MockServer()
    server.start()
    assert server.url is not None
    bad = {"downlinks": [{"f_port": 300, "frm_payload": "AQ=="}]}
    httpx.post(server.url + PUSH, headers=AUTH, json=bad)
    typo = {"downlinks": [{"f_port": 1, "frm_payload": "AQ==", "confirmd": True}]}
    httpx.post(server.url + PUSH, headers=AUTH, json=typo)
    yield server
    server.stop()


def test_a_gate_without_a_format_prints_a_summary_not_the_json(served, capsys) -> None:
    assert main(["report", "--url", served.url, "--fail-on-violations"]) == 1
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) < 15, captured.out  # was about 550 lines of JSON
    assert lines[0] == f"mockserver contract report ({served.url})"
    assert re.fullmatch(r"  operations exercised: 1 of \d+ \(\d+\.\d %\)", lines[1])
    assert lines[2] == "  violations: 1; warnings: 1"
    assert any("f_port: must be smaller than or equal to 255 [maximum]" in x for x in lines)
    assert any("did you mean `confirmed`?" in line for line in lines)
    assert captured.err == "mockserver: 1 contract violation(s)\n"


def test_the_json_report_is_still_there_when_asked_or_without_a_gate(served, capsys) -> None:
    assert main(["report", "--url", served.url, "--fail-on-violations", "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["summary"]["violations"] == 1
    assert main(["report", "--url", served.url]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["warnings"] == 1


def test_a_gate_writing_to_a_file_keeps_json_there(served, tmp_path, capsys) -> None:
    out = tmp_path / "report.json"
    assert main(["report", "--url", served.url, "--cov-fail-under", "0", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["summary"]["violations"] == 1
    assert main(["report", "--url", served.url, "--format", "text", "--out", str(out)]) == 0
    assert out.read_text().startswith("mockserver contract report")


# -- world files -----------------------------------------------------------------------------
WRONG_SHAPE = """\
tts:
  applications:
    - id: app1
      devices:
        - {id: dev1, dev_eui: "70B3D57ED0000001"}
        - {id: 5, dev_eui: "70B3D57ED0000002"}
        - {id: dev3, dev_eui: "bad"}
        - {id: dev4, dev_eui: "also bad"}
"""


def test_a_world_of_the_wrong_shape_names_its_first_bad_element(tmp_path) -> None:
    world = tmp_path / "world.yaml"
    world.write_text(WRONG_SHAPE)
    with pytest.raises(WorldError) as refused:
        read_world(world)
    assert str(refused.value) == (
        f"{world}: at tts/applications/0/devices/1/id: 5 is not of type 'string'"
    )


def test_the_first_bad_element_also_among_sections(tmp_path) -> None:
    """Sections in the file's order, not the schema's (tts before kpn in the schema)."""
    world = tmp_path / "world.yaml"
    world.write_text("kpn: {devices: 3}\ntts: {applications: 4}\n")
    with pytest.raises(WorldError, match=r"at kpn/devices: 3 is not of type 'array'"):
        read_world(world)


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n", "{}\n", "seed: 4\n"])
def test_a_world_file_that_describes_nothing_is_refused(tmp_path, text, capsys) -> None:
    world = tmp_path / "world.yaml"
    world.write_text(text)
    with pytest.raises(WorldError, match=r"is empty|names no provider"):
        read_world(world)
    assert main(["serve", "--world", str(world), "--port", "0"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"mockserver: {world}: ")


def test_a_world_with_an_empty_section_is_meant(tmp_path) -> None:
    world = tmp_path / "world.yaml"
    world.write_text("kpn: {}\n")
    assert read_world(world) == {"kpn": {}}
    assert len(MockServer(world).network) == 0


# -- the ThingPark ready token ---------------------------------------------------------------
def test_under_a_real_clock_the_banner_prints_the_readmes_thingpark_token() -> None:
    found = re.search(r"ThingPark ready token \|.*?`(eyJ[^`]+)`", README.read_text())
    assert found is not None
    server = MockServer(clock=RealClock())
    assert server.providers["thingpark"].ready_token == found.group(1)
    assert f"ready token (validityPeriod=infinite): {found.group(1)}" in banner(
        server, "127.0.0.1", 8080
    )
    server.stop()
