"""The nearest valid shape shown when a test's request broke a description."""

from __future__ import annotations

from mockserver.contract import Contract
from mockserver.contract.suggestions import _Repair, nearest_valid_body

PUSH = next(op for op in Contract.load().operations() if op.key == "tts.WebhookDownlinkQueuePush")


def repair(schema: dict, value: object) -> object:
    return _Repair({}).fix(schema, value, 0)


def test_the_client_values_the_description_accepts_are_kept():
    body = b'{"downlinks":[{"f_port":300,"frm_payload":"AQ==","priority":"URGENT","x":1}]}'
    assert nearest_valid_body(PUSH, body) == {
        "downlinks": [{"f_port": 255, "frm_payload": "AQ==", "priority": "LOWEST", "x": 1}]
    }


def test_wrong_types_and_formats_get_a_value_of_the_described_shape():
    body = b'{"downlinks":[{"frm_payload":"!!","confirmed":"yes","class_b_c":{"absolute_time":1}}]}'
    assert nearest_valid_body(PUSH, body) == {
        "downlinks": [
            {
                "frm_payload": "AA==",
                "confirmed": False,
                "class_b_c": {"absolute_time": "2026-01-01T00:00:00Z"},
            }
        ]
    }


def test_required_properties_are_filled_and_forbidden_ones_dropped():
    schema = {
        "type": "object",
        "required": ["id", "count"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "count": {"type": "integer", "minimum": 3, "example": 5},
            "tag": {"type": "string"},
        },
    }
    assert repair(schema, {"tag": "t", "oops": 1}) == {"tag": "t", "id": _uuid(), "count": 5}


def test_the_nearest_branch_of_a_oneof_is_chosen():
    schema = {
        "oneOf": [
            {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}},
            {
                "type": "object",
                "required": ["hex", "port"],
                "properties": {"hex": {"type": "string"}, "port": {"type": "integer"}},
            },
        ]
    }
    assert repair(schema, {"hex": "00", "port": "1"}) == {"hex": "00", "port": 0}


def test_no_suggestion_when_none_passes_the_contract_check():
    schema = {"type": "string", "pattern": "^[Q]{3}$"}
    assert not _Repair({}).valid(schema, repair(schema, 5))  # nothing fits: not shown


def _uuid() -> str:
    return "3fa85f64-5717-4562-b3fc-2c963f66afa6"
