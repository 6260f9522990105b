"""What KPN checks in a create's body beyond its published descriptions (all chosen; see
docs/providers/kpn.md, "Checks beyond the spec").

One function holds them so that the handler and a suggested body (the "nearest valid
body" a failing test shows) are judged by the same code.
"""

from __future__ import annotations

from typing import Any

from mockserver.contract.suggestions import BodyRules
from mockserver.providers.kpn.problems import Problem
from mockserver.providers.kpn.records import (
    ACTUATOR,
    MAX_DURATION_TEXT,
    DurationTooLong,
    parse_duration,
)
from mockserver.types import SECOND, Micros

MIN_FEEDBACK_TIMEOUT: Micros = 600 * SECOND
#: The LoRaWAN application ports KPN accepts (0 is MAC commands, 224.. are reserved).
F_PORTS = (1, 223)
_F_PORT = {"type": "integer", "minimum": F_PORTS[0], "maximum": F_PORTS[1]}
#: The rules JSON Schema can state, by API: what a suggested body aims at.
_SCHEMAS: dict[str, dict[str, Any]] = {
    "lora": {
        "properties": {
            "message": {
                "properties": {
                    "fPort": _F_PORT,
                    "payloadHex": {"type": "string", "pattern": "^([0-9a-fA-F]{2})+$"},
                }
            }
        }
    },
    ACTUATOR: {"properties": {"method": {"properties": {"fPort": _F_PORT}}}},
}


def check_create(api: str, body: dict[str, Any]) -> Micros | None:
    """Problem (400) for the first rule the body of a create in `api` breaks; else its
    `feedbackTimeout` (None when absent). The body has passed the description."""
    feedback = feedback_timeout(body.get("feedbackTimeout"))
    if api == "lora":
        message = body["message"]
        if len(message["payloadHex"]) % 2:
            raise Problem(400, "message.payloadHex: must have an even number of hex digits")
        if not _is_f_port(message["fPort"]):
            raise Problem(400, "message.fPort: must be between 1 and 223")
    if api == ACTUATOR:
        method = body["method"]
        port = method.get("fPort")
        if method["protocol"] == "LORA" and port is not None and not _is_f_port(port):
            raise Problem(400, "method.fPort: must be between 1 and 223")
        if not any("bn" in record for record in body["instruction"]):
            raise Problem(400, "instruction: a record must carry a bn that names the device")
    return feedback


def feedback_timeout(raw: Any) -> Micros | None:
    if raw is None:
        return None
    try:
        after = parse_duration(raw)
    except DurationTooLong:
        raise Problem(400, f"feedbackTimeout: must be at most {MAX_DURATION_TEXT}") from None
    except ValueError:  # the contract layer checked the pattern: only as a safety net
        raise Problem(400, "feedbackTimeout: not a SimpleDuration") from None
    if after < MIN_FEEDBACK_TIMEOUT:
        raise Problem(400, "feedbackTimeout: must be at least 10 minutes (PT10M)")
    return after


def body_rules(api: str) -> BodyRules:
    def problem(body: Any) -> str | None:
        try:
            check_create(api, body)
        except Problem as refused:
            return refused.detail
        return None

    return BodyRules(problem, _SCHEMAS.get(api))


def _is_f_port(value: float) -> bool:  # a JSON number: the body passed the description
    return F_PORTS[0] <= value <= F_PORTS[1]
