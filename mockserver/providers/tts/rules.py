"""What TTS checks in a push or replace body beyond the description: the decoding and
`ValidateFields` the handler runs, and the Application Server's refusals that need no
state (no payload at all, no FPort for a `frm_payload`).

A suggested body (the "nearest valid body" a failing test shows) is judged by them, so the
simulator never suggests what it would refuse.
"""

from __future__ import annotations

from typing import Any

from mockserver.contract.suggestions import BodyRules
from mockserver.providers.tts import errors
from mockserver.providers.tts.downlinks import (
    PROTOJSON,
    TTN_JSON,
    ApplicationDownlink,
    DecodeError,
    decode_downlinks,
    validate,
)

#: What JSON Schema can say of them, for the repair to aim at: every downlink has an
#: application FPort and a payload (raw or for the formatter).
_DOWNLINK = {
    "type": "object",
    "required": ["f_port"],
    "properties": {
        "f_port": {"type": "integer", "minimum": 1, "maximum": 255, "not": {"enum": [224]}}
    },
    "anyOf": [
        {
            "type": "object",
            "required": ["frm_payload"],
            "properties": {
                "frm_payload": {"type": "string", "pattern": "^[A-Za-z0-9+/]{2,}={0,2}$"}
            },
        },
        {"type": "object", "required": ["decoded_payload"]},
    ],
}
_SCHEMA = {"properties": {"downlinks": {"type": "array", "items": _DOWNLINK}}}


def queue_body_rules(webhook_route: bool) -> BodyRules:
    dialect = PROTOJSON if webhook_route else TTN_JSON
    container = "ApplicationDownlinks" if webhook_route else "DownlinkQueueRequest"

    def problem(body: Any) -> str | None:
        try:
            items, _ = decode_downlinks(b"", dialect, body)
        except DecodeError as exception:
            return str(exception)
        invalid = validate(items, container)
        if invalid is not None:
            return invalid.message
        refused = next((error for item in items if (error := _refused(item))), None)
        return None if refused is None else refused.message

    return BodyRules(problem, _SCHEMA)


def _refused(item: ApplicationDownlink) -> errors.TTSError | None:
    """The Application Server's refusals of one downlink that hold whatever the device (a
    formatter may give a `decoded_payload` its FPort and bytes)."""
    if item.decoded_payload is not None:
        return None
    if not item.frm_payload:
        return errors.NO_PAYLOAD()
    if item.f_port == 0:
        return errors.NO_F_PORT()
    return None
