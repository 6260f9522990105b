"""The `ttnv2:` section of a world file, as JSON Schema (checked with jsonschema at load),
and the checks JSON Schema cannot express (`world_problems`: duplicates, references).

jsonschema matches `pattern` with Python's `re.search`, where `$` also matches before a
trailing newline; the patterns end in `\\Z` so that an identifier is checked whole.
"""

from collections.abc import Mapping
from typing import Any

from mockserver.formatters.world import TTNV2_FUNCTIONS_SCHEMA
from mockserver.providers.ttnv2.payload_functions import SCHEMA as PAYLOAD_FUNCTION

REGIONS = ("ttn", "ttn-eu", "ttn-us-west", "ttn-brazil", "ttn-asia-se")
#: V2's `api.ValidID` (`^[0-9a-z](?:[_-]?[0-9a-z]){1,35}$` in Go, where `$` is the end).
ID_PATTERN = r"^[0-9a-z](?:[_-]?[0-9a-z]){1,35}\Z"
RIGHTS = ("messages:up:r", "messages:down:w", "settings", "devices")

_ID = {"type": "string", "pattern": ID_PATTERN}
_EUI = {"type": "string", "pattern": r"^[0-9A-Fa-f]{16}\Z"}

DEVICE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "dev_eui"],
    "properties": {
        "id": _ID,
        "dev_eui": _EUI,
        "app_eui": _EUI,
        "dev_addr": {"type": "string", "pattern": r"^[0-9A-Fa-f]{8}\Z"},
        "band": {"enum": ["EU868", "US915"]},
        "rx1_delay": {"type": "integer", "minimum": 1, "maximum": 15},
        "uplink_interval": {"type": "number", "exclusiveMinimum": 0},
    },
}

WORLD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "band": {"enum": ["EU868", "US915"]},
        "applications": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id"],
                "properties": {
                    "id": _ID,
                    "access_keys": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["key"],
                            "properties": {
                                "key": {"type": "string", "minLength": 1},
                                "name": {"type": "string"},
                                "rights": {"type": "array", "items": {"enum": list(RIGHTS)}},
                            },
                        },
                    },
                    "encoder": PAYLOAD_FUNCTION,
                    "decoder": PAYLOAD_FUNCTION,
                    "payload_functions": TTNV2_FUNCTIONS_SCHEMA,
                    "integrations": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["process_id"],
                            "properties": {
                                "process_id": {"type": "string", "minLength": 1},
                                "url": {"type": "string"},
                                "method": {"enum": ["POST", "PUT"]},
                                "authorization": {"type": "string"},
                                "headers": {
                                    "type": "object",
                                    "additionalProperties": {"type": "string"},
                                    "maxProperties": 1,
                                },
                                "access_key": {"type": "string", "minLength": 1},
                                "region": {"enum": list(REGIONS)},
                            },
                        },
                    },
                    "devices": {"type": "array", "items": DEVICE_SCHEMA},
                },
            },
        },
    },
}


def world_problems(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Within the section: application IDs are unique; within an application, access keys,
    Process IDs and device IDs are unique, and an integration's `access_key` is one of the
    application's keys (its downlink URL would otherwise be refused with `invalid key`);
    without one, the application has a key for it to use."""
    problems: list[tuple[str, str]] = []
    first_app: dict[str, int] = {}
    for index, application in enumerate(config.get("applications") or []):
        where = f"applications/{index}"
        app_id = application["id"]
        if app_id in first_app:
            problems.append(
                (
                    f"{where}/id",
                    f"application ID {app_id!r} is already used by "
                    f"applications/{first_app[app_id]}",
                )
            )
        first_app.setdefault(app_id, index)
        keys = [key["key"] for key in application.get("access_keys") or []]
        problems += _duplicates(keys, f"{where}/access_keys", "key", "access key")
        integrations = application.get("integrations") or []
        process_ids = [integration["process_id"] for integration in integrations]
        problems += _duplicates(process_ids, f"{where}/integrations", "process_id", "Process ID")
        for number, integration in enumerate(integrations):
            key = integration.get("access_key")
            if key is None and not keys:  # its downlink URL would carry an empty key
                problems.append(
                    (
                        f"{where}/integrations/{number}",
                        f"the integration needs an access key: application {app_id!r} has "
                        "none to put in its downlink URL",
                    )
                )
            if key is not None and key not in keys:
                problems.append(
                    (
                        f"{where}/integrations/{number}/access_key",
                        f"{key!r} is not one of the access keys of application {app_id!r}",
                    )
                )
        device_ids = [device["id"] for device in application.get("devices") or []]
        problems += _duplicates(device_ids, f"{where}/devices", "id", "device ID")
    return problems


def _duplicates(values: list[str], where: str, field: str, what: str) -> list[tuple[str, str]]:
    seen: dict[str, int] = {}
    found = []
    for index, value in enumerate(values):
        if value in seen:
            found.append(
                (
                    f"{where}/{index}/{field}",
                    f"{what} {value!r} is already used by {where}/{seen[value]}",
                )
            )
        seen.setdefault(value, index)
    return found
