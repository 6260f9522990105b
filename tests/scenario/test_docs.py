"""Every scenario example on docs/scenarios.md is valid and loads into a server."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

import pytest

from mockserver.scenario.loading import parse_scenario
from mockserver.server import MockServer

PAGE = Path(__file__).resolve().parents[2] / "docs" / "scenarios.md"
BLOCKS = [
    block
    for block in re.findall(r"```yaml\n(.*?)```", PAGE.read_text(), flags=re.S)
    if "{...}" not in block  # the outline of a file, not a scenario
]


def test_there_is_an_example_per_act():
    text = "\n".join(BLOCKS)
    for act in ("respond", "latency", "slow_body", "drop", "garbage", "rate_limit", "delivery"):
        assert f"{act}:" in text, act


@pytest.mark.parametrize("block", BLOCKS, ids=lambda block: block.split("\n")[0])
def test_each_example_validates_and_loads(block: str, server: MockServer):
    scenario = parse_scenario(block, "docs/scenarios.md")
    assert server.load_scenario(scenario).scenario.name == scenario.name


def test_the_device_globs_shown_match_devices_of_the_default_world():
    """The page's examples of a rule's `device` must name ids as the simulator spells them
    (`thingpark.1001`, not `thingpark:1001`)."""
    shown = re.search(r"a glob: ((?:`[^`]+`,?\s*)+)", " ".join(PAGE.read_text().split()))
    assert shown is not None
    globs = re.findall(r"`([^`]+)`", shown.group(1))
    assert "thingpark.*" in globs
    ids = [device.id for device in MockServer().network]
    for glob in globs:
        assert fnmatch.filter(ids, glob), f"{glob} matches no device of the default world"
