"""The `ttnv2:` section of a world file, as JSON Schema (checked with jsonschema at load)."""

from typing import Any

from mockserver.providers.ttnv2.payload_functions import SCHEMA as PAYLOAD_FUNCTION

REGIONS = ("ttn", "ttn-eu", "ttn-us-west", "ttn-brazil", "ttn-asia-se")
#: V2's `api.ValidID`.
ID_PATTERN = "^[0-9a-z](?:[_-]?[0-9a-z]){1,35}$"
RIGHTS = ("messages:up:r", "messages:down:w", "settings", "devices")

_ID = {"type": "string", "pattern": ID_PATTERN}
_EUI = {"type": "string", "pattern": "^[0-9A-Fa-f]{16}$"}

DEVICE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "dev_eui"],
    "properties": {
        "id": _ID,
        "dev_eui": _EUI,
        "app_eui": _EUI,
        "dev_addr": {"type": "string", "pattern": "^[0-9A-Fa-f]{8}$"},
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
