"""Each provider page's world-file example is a world the simulator builds: a user who
copies one gets a server, not a WorldError."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from mockserver.server import MockServer

PAGES = Path(__file__).parent.parent / "docs" / "providers"
_YAML_BLOCK = re.compile(r"```yaml\n(.*?)```", re.S)


def world_examples() -> list[tuple[str, str]]:
    """The YAML blocks that are a provider's section of a world file."""
    examples = []
    for page in sorted(PAGES.glob("*.md")):
        for block in _YAML_BLOCK.findall(page.read_text()):
            if re.match(r"(tts|ttnv2|thingpark|kpn):\n", block):
                examples.append((page.name, block))
    return examples


def test_every_provider_page_has_a_world_example() -> None:
    assert sorted({page for page, _ in world_examples()}) == sorted(
        page.name for page in PAGES.glob("*.md")
    )


@pytest.mark.parametrize(("page", "block"), world_examples(), ids=lambda v: v[:12])
def test_the_world_example_builds(page: str, block: str) -> None:
    world = {"seed": 1, **yaml.safe_load(block)}
    server = MockServer(world)
    assert {device.provider for device in server.network} == {page.removesuffix(".md")}


def test_the_readme_device_creation_example_creates_that_device() -> None:
    readme = (PAGES.parent.parent / "README.md").read_text(encoding="utf-8")
    example = re.search(
        r"curl --request POST 'http://127\.0\.0\.1:8080/_mock/devices'.*?```", readme, re.S
    )
    assert example is not None
    body = re.search(r"--data '(.*?)'", example.group(0)).group(1)
    server = MockServer()
    with server.client() as client:
        created = client.post("/_mock/devices", content=body)
        assert created.status_code == 201, created.text
        assert client.get(f"/_mock/devices/{created.json()['id']}").json() == created.json()
        assert client.post("/_mock/devices", content=body).status_code == 409
    assert server.network.get("app1.dev9").device_class.name == "C"
