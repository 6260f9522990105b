"""The `thingpark:` world section: identifiers are checked whole, in ASCII.

jsonschema matches `pattern` with Python's `re.search`, where `$` also matches before a
trailing newline: a DevEUI or ref ending in a newline would otherwise load and then appear
in paths, reports and signatures.
"""

from __future__ import annotations

import copy

import pytest
import yaml

from mockserver.providers.thingpark import ThingParkProvider, errors
from mockserver.providers.worlds import read_world
from mockserver.server import MockServer
from mockserver.world import DEFAULT_WORLD, WorldError


def default_section() -> dict:
    world = yaml.safe_load(DEFAULT_WORLD.read_text(encoding="utf-8"))
    return copy.deepcopy(world["thingpark"])


def with_change(change) -> dict:
    section = default_section()
    change(section)
    return {"thingpark": section}


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.update(customer_id="100000000\n"),
        lambda s: s["clients"][0].update(client_id="tpe-api/demo@example.com\n"),
        lambda s: s["application_servers"][0].update(key="00112233445566778899aabbccddeeff\n"),
        lambda s: s["devices"][0].update(dev_eui="0018B20000000001\n"),
        lambda s: s["devices"][0].update(ref="1001\n"),
        lambda s: s["devices"][0].update(ref="\u0661\u0660"),
        lambda s: s["devices"][0].update(dev_addr="000003E9\n"),
    ],
    ids=["customer_id", "client_id", "as_key", "dev_eui", "ref", "ref_arabic_indic", "dev_addr"],
)
def test_identifiers_with_a_trailing_newline_are_refused(change):
    with pytest.raises(WorldError):
        read_world(with_change(change))


def test_the_default_section_still_loads():
    read_world({"thingpark": default_section()})


def test_run_time_devices_are_checked_the_same_way():
    provider = MockServer().providers["thingpark"]
    assert isinstance(provider, ThingParkProvider)
    with pytest.raises(ValueError):
        provider.create_device({"ref": "77", "dev_eui": "0018B20000000077\n"})


def test_error_names_are_ascii_digits():
    """`str.isdigit` is true for "١٢١" (Arabic-Indic 121): that is no error name."""
    assert errors.by_name("121", 409).code == 121
    with pytest.raises(KeyError):
        errors.by_name("\u0661\u0662\u0661", 409)
