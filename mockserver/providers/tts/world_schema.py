"""The `tts:` section of a world file, as JSON Schema (checked with jsonschema at load)."""

from typing import Any

from mockserver.formatters.world import TTS_FORMATTERS_SCHEMA
from mockserver.providers.tts.message_types import MESSAGE_TYPES

_ID = {"type": "string", "pattern": "^[a-z0-9](?:[-]?[a-z0-9]){2,}$", "maxLength": 36}
_EUI = {"type": "string", "pattern": "^[0-9A-Fa-f]{16}$"}
_FORMATTER = {
    "type": "object",
    "additionalProperties": False,
    "required": ["type"],
    "properties": {
        "type": {"enum": ["bytes"]},
        "f_port": {"type": "integer", "minimum": 1, "maximum": 255},
    },
}

WORLD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "domain": {"type": "string"},
        "band": {"enum": ["EU868", "US915"]},
        "api_keys": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["key", "application"],
                "properties": {
                    "key": {"type": "string", "minLength": 1},
                    "name": {"type": "string"},
                    "application": _ID,
                    "rights": {"type": "array", "items": {"type": "string", "pattern": "^RIGHT_"}},
                    "expires_at": {"type": "string", "format": "date-time"},
                    "placeholder": {"type": "boolean"},
                },
            },
        },
        "applications": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id"],
                "properties": {
                    "id": _ID,
                    "formatter": _FORMATTER,
                    "default_formatters": TTS_FORMATTERS_SCHEMA,
                    "webhooks": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["id"],
                            "properties": {
                                "id": _ID,
                                "base_url": {"type": "string"},
                                "format": {"enum": ["json", "protobuf"]},
                                "downlink_api_key": {"type": "string", "maxLength": 128},
                                "headers": {
                                    "type": "object",
                                    "additionalProperties": {"type": "string"},
                                },
                                "paused": {"type": "boolean"},
                                **{
                                    kind: {
                                        "type": ["object", "null"],
                                        "additionalProperties": False,
                                        "properties": {"path": {"type": "string", "maxLength": 64}},
                                    }
                                    for kind in MESSAGE_TYPES
                                },
                            },
                        },
                    },
                    "devices": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["id"],
                            "properties": {
                                "id": _ID,
                                "dev_eui": _EUI,
                                "join_eui": _EUI,
                                "class": {"enum": ["A", "B", "C"]},
                                "band": {"enum": ["EU868", "US915"]},
                                "rx1_delay": {"type": "integer", "minimum": 1, "maximum": 15},
                                "uplink_interval": {"type": "number", "exclusiveMinimum": 0},
                                "formatter": _FORMATTER,
                                "formatters": TTS_FORMATTERS_SCHEMA,
                                "session": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "required": ["dev_addr"],
                                    "properties": {
                                        "dev_addr": {
                                            "type": "string",
                                            "pattern": "^[0-9A-Fa-f]{8}$",
                                        },
                                        "session_key_id": {
                                            "type": "string",
                                            "pattern": "^([0-9A-Fa-f]{2})*$",
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}
