"""The nearest valid shape shown when a test's request broke a description."""

from __future__ import annotations

import json

from mockserver.contract import Contract
from mockserver.contract.suggestions import _Repair, nearest_valid_body
from mockserver.server import MockServer
from tests.conftest import AUTH, WEBHOOK_DOWN
from tests.providers.kpn.helpers import bearer, token
from tests.providers.kpn.helpers import body as kpn_body
from tests.providers.thingpark.helpers import bearer as dx_bearer
from tests.providers.thingpark.helpers import messages_url
from tests.providers.thingpark.helpers import token as dx_token

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


# -- the simulator's own rules beyond the description --------------------------------------------
def kpn_suggestion(server: MockServer, operation_id: str, body: dict) -> object:
    operation = next(op for op in server.contract.index("kpn") if op.operation_id == operation_id)
    rules = server.providers["kpn"].body_rules(operation)
    return nearest_valid_body(operation, json.dumps(body).encode(), rules)


def test_a_suggestion_passes_the_rules_the_simulator_applies_beyond_the_description():
    """KPN's LoRa spec lets `fPort` be any integer; the simulator refuses all but 1..223. A
    missing one is filled with 1, not the schema's 0, and KPN accepts the suggestion."""
    server = MockServer()
    sent = kpn_body("lora", message={"payloadHex": "zz"})
    suggested = kpn_suggestion(server, "createLoraDownlink", sent)
    assert suggested == {**sent, "message": {"payloadHex": "00", "fPort": 1}}
    with server.client() as client:
        response = client.post("/lora/downlinks", json=suggested, headers=bearer(token(client)))
    assert response.status_code == 201, response.text


def test_an_actuator_port_outside_the_lora_range_is_moved_into_it():
    server = MockServer()
    instruction = [{"bn": "urn:dev:DEVEUI:0004A30B001A2B3C:", "vs": "01"}]
    sent = {"instruction": instruction, "method": {"protocol": "LORA", "fPort": "0"}}
    suggested = kpn_suggestion(server, "createDownlink", sent)
    assert suggested == {**sent, "method": {"protocol": "LORA", "fPort": 1}}


def test_no_suggestion_when_the_simulator_would_refuse_it():
    """`PT1M` is a valid SimpleDuration but under KPN's 10 minutes: the body the repair
    finds keeps it, and the handler's own check turns the suggestion down."""
    sent = kpn_body("lora", message={"payloadHex": "zz", "fPort": 1}, feedbackTimeout="PT1M")
    assert kpn_suggestion(MockServer(), "createLoraDownlink", sent) is None


def test_a_tts_downlink_is_suggested_with_the_fport_and_payload_the_as_requires():
    """The description leaves `f_port` optional; the Application Server refuses a
    `frm_payload` without one (no_f_port) and a downlink with no payload (no_payload)."""
    server = MockServer()
    rules = server.providers["tts"].body_rules(PUSH)
    sent = b'{"downlinks":[{"frm_payload":"!!"},{"f_port":2,"confirmed":"yes"}]}'
    suggested = nearest_valid_body(PUSH, sent, rules)
    assert suggested == {
        "downlinks": [
            {"frm_payload": "AA==", "f_port": 1},
            {"f_port": 2, "confirmed": False, "frm_payload": "AA=="},
        ]
    }
    with server.client() as client:
        response = client.post(
            WEBHOOK_DOWN.format(device="dev1", op="push"), json=suggested, headers=AUTH
        )
    assert response.status_code == 200, response.text


def test_a_thingpark_suggestion_carries_the_port_the_lrc_requires():
    """The DX Core body leaves `targetPorts` optional and untyped; the LRC refuses a payload
    without one port in 1..224 (tunnel code 104)."""
    server = MockServer()
    operation = next(op for op in server.contract.index("thingpark") if op.method == "POST"
                     and op.path.endswith("/downlinkMessages"))  # fmt: skip
    rules = server.providers["thingpark"].body_rules(operation)
    suggested = nearest_valid_body(operation, b'{"payloadHex":"zz"}', rules)
    assert suggested == {"payloadHex": "00", "targetPorts": 1}
    with server.client() as client:
        auth = dx_bearer(dx_token(client))
        response = client.post(messages_url(), json=suggested, headers=auth)
    assert response.status_code == 200, response.text
