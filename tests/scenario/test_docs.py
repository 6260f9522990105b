"""Every scenario example on docs/scenarios.md is valid and loads into a server."""

from __future__ import annotations

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
