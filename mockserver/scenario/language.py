"""The scenario language, defined as a JSON Schema (checked with `jsonschema`).

A scenario is a name, a description, a seed, an optional world, a timeline of things that
happen to the network, and rules. A rule matches API requests (or downlinks, for delivery
faults) and acts on them. docs/scenarios.md describes every field with a runnable example.
"""

from __future__ import annotations

import math
import re
from typing import Any

from mockserver.types import MILLISECOND, SECOND, Micros

_DURATION_PART = r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)"
_DURATION_TEXT = re.compile(rf"^\s*(?:{_DURATION_PART}\s*)+$")
_UNITS = {
    "ms": MILLISECOND,
    "s": SECOND,
    "m": 60 * SECOND,
    "h": 3600 * SECOND,
    "d": 86400 * SECOND,
}

#: The longest duration a scenario takes: longer is a slip (`1e9`, `.inf`), and the clock's
#: arithmetic must stay in integers.
MAX_DURATION = 365 * _UNITS["d"]
MAX_DURATION_TEXT = "365d"
#: The longest wall-clock wait one act may put on a call (latency; a slow body's duration):
#: longer than the timeouts clients use (Node's 300 s headers timeout included), short
#: enough that a mistyped `1d` cannot hold a connection and a server's shutdown for a day.
#: The loader refuses longer values; the engine also clips a lognormal draw to it.
MAX_WIRE_DELAY = 300 * SECOND
MAX_WIRE_DELAY_TEXT = "300s"
#: The widest lognormal latency: at sigma 4 one call in six already waits 55 times the median.
MAX_SIGMA = 4

DURATION_HELP = "seconds as a number, or numbers with units: 250ms, 1.5s, 10m, 2h30m, 1d"
DURATION: dict[str, Any] = {
    "description": DURATION_HELP,
    "oneOf": [
        {"type": "number", "minimum": 0},
        {"type": "string", "pattern": _DURATION_TEXT.pattern},
    ],
    # Checked by the loader (jsonschema has no keyword for it): finite, at most MAX_DURATION.
    "durationLimit": MAX_DURATION_TEXT,
}

DELIVERY_FAULTS = (
    "nack",  # the device answers a confirmed downlink without the ACK bit
    "too_long",  # the network finds the payload too long for the data rate it must use
    "evicted",  # the network drops the downlink from the queue before it goes out
    "gateway_failure",  # the gateway fails to transmit it
    "carrier_failure",  # the SMS carrier refuses it (KPN SMS)
    "broker_down",  # the device's MQTT broker is unreachable (KPN MQTT)
)

_GLOB_MAP = {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}}

MATCH: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "provider": {"type": "string", "description": "tts, ttnv2, thingpark, kpn"},
        "operation": {
            "type": "string",
            "description": "an operationId, or METHOD and path template: POST /down/{x}",
        },
        "params": {**_GLOB_MAP, "description": "path parameters, glob patterns (* and ?)"},
        "headers": {**_GLOB_MAP, "description": "request headers (case-insensitive names)"},
        "query": {**_GLOB_MAP, "description": "query parameters"},
        "body": {
            "type": "object",
            "description": "JSON body fields by dotted path (downlinks.0.f_port): equal values",
        },
        "device": {"type": "string", "description": "delivery rules: the device id (glob)"},
        "confirmed": {"type": "boolean", "description": "delivery rules: confirmed or not"},
        "calls": {
            "type": "object",
            "description": "which of the otherwise matching calls: one of nth, every, first, after",
            "minProperties": 1,
            "maxProperties": 1,
            "additionalProperties": False,
            "properties": {
                "nth": {"type": "integer", "minimum": 1},
                "every": {"type": "integer", "minimum": 1},
                "first": {"type": "integer", "minimum": 1},
                "after": {"type": "integer", "minimum": 0},
            },
        },
        "probability": {"type": "number", "minimum": 0, "maximum": 1},
        "window": {
            "type": "object",
            "description": "on the scenario clock (time since the scenario was loaded)",
            "additionalProperties": False,
            "properties": {"from": DURATION, "to": DURATION},
        },
    },
}

LATENCY: dict[str, Any] = {
    "type": "object",
    "minProperties": 1,
    "maxProperties": 1,
    "additionalProperties": False,
    "properties": {
        "fixed": DURATION,
        "uniform": {"type": "array", "items": DURATION, "minItems": 2, "maxItems": 2},
        "lognormal": {
            "type": "object",
            "required": ["median", "sigma"],
            "additionalProperties": False,
            "properties": {
                "median": DURATION,
                "sigma": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": MAX_SIGMA,
                    "description": f"the spread of the logarithm, 0 to {MAX_SIGMA}",
                },
            },
        },
    },
}

RESPOND: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "description": "the vendor's own error by name (error: 'tts: downlink_queue_capacity'), "
    "or a literal status, body and headers",
    "properties": {
        "error": {"type": "string", "pattern": r"^\s*[a-z0-9]+\s*:\s*\S+\s*$"},
        "status": {"type": "integer", "minimum": 200, "maximum": 599},
        "body": {},
        "headers": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "oneOf": [{"required": ["error"]}, {"required": ["status"]}],
}

ACT: dict[str, Any] = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": False,
    "properties": {
        "respond": RESPOND,
        "latency": LATENCY,
        "slow_body": {
            "type": "object",
            "required": ["duration"],
            "additionalProperties": False,
            "properties": {"duration": DURATION, "chunks": {"type": "integer", "minimum": 2}},
        },
        "drop": {"enum": ["reset", "after_headers"]},
        "garbage": {"type": "integer", "minimum": 1, "maximum": 65536},
        "rate_limit": {
            "type": "object",
            "required": ["limit", "per"],
            "additionalProperties": False,
            "properties": {"limit": {"type": "integer", "minimum": 0}, "per": DURATION},
        },
        "delivery": {"enum": list(DELIVERY_FAULTS)},
    },
}

_DEVICE_REF = {
    "type": "object",
    "required": ["device"],
    "additionalProperties": False,
    "properties": {"device": {"type": "string"}},
}

TIMELINE_ENTRY: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 2,
    "properties": {
        "at": DURATION,
        "from": DURATION,
        "to": DURATION,
        "uplink": {
            "type": "object",
            "required": ["device"],
            "additionalProperties": False,
            "properties": {
                "device": {"type": "string"},
                "f_port": {"type": "integer", "minimum": 0, "maximum": 255},
                "payload": {"type": "string", "description": "base64"},
                "confirmed": {"type": "boolean"},
                "ack": {"type": "boolean"},
                "data_rate": {"type": "integer", "minimum": 0},
                "every": DURATION,
            },
        },
        "revoke_key": {
            "type": "object",
            "required": ["provider", "key"],
            "additionalProperties": False,
            "properties": {"provider": {"type": "string"}, "key": {"type": "string"}},
        },
        "session_reset": _DEVICE_REF,
        "device_silent": _DEVICE_REF,
        "gateway_outage": {"type": "object", "additionalProperties": False},
    },
}

SCENARIO: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "mockserver scenario",
    "type": "object",
    "required": ["name", "description"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9-]*$"},
        "description": {"type": "string", "minLength": 1},
        "seed": {"type": "integer"},
        "world": {"type": "object", "description": "a world description, as in world files"},
        "timeline": {"type": "array", "items": TIMELINE_ENTRY},
        "rules": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["act"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string"},
                    "match": MATCH,
                    "act": ACT,
                },
            },
        },
    },
}


def duration(value: float | str) -> Micros:
    """`1.5s`, `10m`, `2h30m`, `250ms` or a number of seconds, in microseconds.

    ValueError for anything else, and for what no clock can wait: a negative, infinite or
    NaN number, or more than MAX_DURATION.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, str):
        if _DURATION_TEXT.match(value) is None:
            raise ValueError(f"not a duration: {value!r}")
        parts = re.findall(_DURATION_PART, value)
        micros = sum(float(number) * _UNITS[unit] for number, unit in parts)
    elif not math.isfinite(value):
        raise ValueError(f"{value!r} is not a finite number of seconds")
    elif value < 0:
        raise ValueError(f"not a duration: {value!r} is negative")
    else:
        micros = value * SECOND
    if not math.isfinite(micros) or micros > MAX_DURATION:
        shown = repr(value) if len(repr(value)) <= 24 else repr(value)[:20] + "...'"
        raise ValueError(
            f"{shown} is longer than {MAX_DURATION_TEXT}, the longest a scenario takes"
        )
    return round(micros)


def duration_limit_problem(value: Any) -> str | None:
    """Why a value of the right form is still no duration (too long, not finite); None when
    it is one, or when its form is wrong (the schema's `oneOf` says that better)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    if isinstance(value, str) and _DURATION_TEXT.match(value) is None:
        return None
    if isinstance(value, int | float) and value < 0:
        return None
    try:
        duration(value)
    except ValueError as problem:
        return str(problem)
    return None
