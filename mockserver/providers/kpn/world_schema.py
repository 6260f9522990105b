"""The `kpn:` section of a world file, as JSON Schema (checked with jsonschema at load)."""

from typing import Any

_UUID = {"type": "string", "format": "uuid"}
_SCOPES = ["downlink.read", "downlink.write", "downlink.delete"]
_ENCODER = {
    "type": "object",
    "additionalProperties": False,
    "required": ["type"],
    "properties": {
        "type": {"enum": ["raw-hex", "senml-json", "sms-text", "table"]},
        "f_port": {"type": "integer", "minimum": 1, "maximum": 223},
        # table: "<n>=<value>" → payload (hex for LoRa, text otherwise)
        "entries": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}

WORLD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "sms_delay": {"type": "number", "minimum": 0, "description": "carrier delay, seconds"},
        "record_retention": {
            "type": "number",
            "exclusiveMinimum": 0,
            "description": "how long a finished downlink is kept, seconds (default 30 days)",
        },
        "max_records": {
            "type": "integer",
            "minimum": 2,
            "description": "how many downlinks are kept at most (default 20 000)",
        },
        "api_keys": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["client_id", "client_secret", "client"],
                "properties": {
                    "client_id": {"type": "string", "minLength": 1},
                    "client_secret": {"type": "string", "minLength": 1},
                    "client": {"type": "string", "minLength": 1},
                    "scopes": {"type": "array", "items": {"enum": _SCOPES}},
                },
            },
        },
        "devices": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["uuid", "client", "bearer"],
                "properties": {
                    "uuid": _UUID,
                    "client": {"type": "string", "minLength": 1},
                    "name": {"type": "string"},
                    "bearer": {"enum": ["lora", "mqtt", "http", "sms"]},
                    "dev_eui": {"type": "string", "pattern": "^[0-9A-Fa-f]{16}$"},
                    "imei": {"type": "string", "pattern": "^[0-9]{15,16}$"},
                    "dvnuuid": _UUID,
                    "iccid": {"type": "string", "pattern": "^[0-9]{18,22}$"},
                    "class": {"enum": ["A", "B", "C"]},
                    "band": {"enum": ["EU868", "US915"]},
                    "rx1_delay": {"type": "integer", "minimum": 1, "maximum": 15},
                    "session": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["dev_addr"],
                        "properties": {
                            "dev_addr": {"type": "string", "pattern": "^[0-9A-Fa-f]{8}$"}
                        },
                    },
                    "broker_up": {"type": "boolean"},
                    "reachable": {"type": "boolean"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "encoder": _ENCODER,
                },
            },
        },
    },
}
