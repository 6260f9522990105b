"""The `thingpark:` section of a world file, as JSON Schema (checked with jsonschema at load).

jsonschema matches `pattern` with Python's `re.search`, where `$` also matches before a
trailing newline; the patterns end in `\\Z` so an identifier is checked whole.
"""

from typing import Any

_EUI = {"type": "string", "pattern": r"^[0-9A-Fa-f]{16}\Z"}
_AS_KEY = {"type": "string", "pattern": r"^[0-9a-f]{32}\Z"}  # 128-bit, lowercase hex (A8)

WORLD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "customer_id": {"type": "string", "pattern": r"^[0-9]+\Z"},
        "band": {"enum": ["EU868", "US915"]},
        "token_lifetime": {"type": "integer", "minimum": 1},
        "rejection_status": {"enum": [400, 409]},
        "clients": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["client_id", "client_secret"],
                "properties": {
                    "client_id": {"type": "string", "pattern": r"^[^/]+/.+\Z"},
                    "client_secret": {"type": "string", "minLength": 1},
                },
            },
        },
        "application_servers": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "url", "key"],
                "properties": {
                    "id": {"type": "string", "minLength": 1},
                    "url": {"type": "string", "minLength": 1},
                    "key": _AS_KEY,
                    "downlink_sent_reports": {"type": "boolean"},
                },
            },
        },
        "devices": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["ref", "dev_eui"],
                "properties": {
                    "ref": {"type": "string", "pattern": r"^[0-9]+\Z"},
                    "dev_eui": _EUI,
                    "name": {"type": "string"},
                    "class": {"enum": ["A", "B", "C"]},
                    "band": {"enum": ["EU868", "US915"]},
                    "rx1_delay": {"type": "integer", "minimum": 1, "maximum": 15},
                    "uplink_interval": {"type": "number", "exclusiveMinimum": 0},
                    "application_server": {"type": "string"},
                    "dev_addr": {"type": "string", "pattern": r"^[0-9A-Fa-f]{8}\Z"},
                    "confirmed_downlinks": {"type": "boolean"},
                    "security_params_required": {"type": "boolean"},
                    "downlinks_disabled": {"type": "boolean"},
                },
            },
        },
    },
}
