"""Contract warnings: what a vendor accepts but silently drops, almost certainly by mistake.

The answer stays the vendor's (TTS says 200 to a push without `downlinks`); the mistake is
recorded apart from violations: in the journal, at `/_mock/contract/warnings`, in the log.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mockserver.contract import Contract, ContractWarning, HttpRequest
from mockserver.contract.fields import MAX_FINDINGS
from mockserver.contract.operations import Operation
from mockserver.server import MockServer
from tests.conftest import AUTH, WEBHOOK_DOWN
from tests.contract.test_dialects import contract_for
from tests.providers.kpn.helpers import bearer, body, token
from tests.providers.thingpark.helpers import bearer as dx_bearer
from tests.providers.thingpark.helpers import messages_url
from tests.providers.thingpark.helpers import token as dx_token
from tests.providers.ttnv2.helpers import JSON, down_url

PUSH = WEBHOOK_DOWN.format(device="dev1", op="push")
REPLACE = WEBHOOK_DOWN.format(device="dev1", op="replace")
APP_AS_PUSH = "/api/v3/as/applications/app1/devices/dev1/down/push"


def warned(server: MockServer) -> list[tuple[str, str]]:
    return [(w.where, w.message) for w in server.contract.log.warnings]


# -- TTS -----------------------------------------------------------------------------------------
def test_a_push_without_the_downlinks_wrapper_answers_200_and_warns(server, client):
    response = client.post(PUSH, json={"frm_payload": "AQ==", "f_port": 1}, headers=AUTH)
    assert response.status_code == 200  # what TTS answers
    assert server.network.get("app1.dev1").queue.snapshot() == []
    (warning,) = server.contract.log.warnings
    assert warning.where == "body"
    assert warning.field == "downlinks"
    assert warning.rule == "missing-wrapper"
    assert warning.message == (
        'no `downlinks` key: nothing was queued; did you mean `{"downlinks":[…]}`?'
    )
    assert server.contract.log.violations == []  # a warning is no violation


def test_a_replace_without_the_wrapper_says_the_queue_is_emptied(server, client):
    client.post(REPLACE, json={"fPort": 1, "frmPayload": "AQ=="}, headers=AUTH)
    assert warned(server) == [
        (
            "body",
            "no `downlinks` key: nothing is queued and the queue is emptied; "
            'did you mean `{"downlinks":[…]}`?',
        )
    ]


@pytest.mark.parametrize("url", [PUSH, APP_AS_PUSH])
def test_a_field_tts_drops_is_named_with_the_one_meant(server, client, url):
    downlink = {"fport": 1, "FPORT": 2, "payload": "AQ==", "frm_payload": "AQ=="}
    response = client.post(url, json={"downlinks": [downlink]}, headers=AUTH)
    assert response.status_code == 400  # no FPort: TTS refuses it, the warnings say why
    assert warned(server) == [
        ("body.downlinks[0].fport", "unknown field `fport`: the service ignores it; "
         "did you mean `f_port`?"),
        ("body.downlinks[0].FPORT", "unknown field `FPORT`: the service ignores it; "
         "did you mean `f_port`?"),
        ("body.downlinks[0].payload", "unknown field `payload`: the service ignores it; "
         "did you mean `frm_payload`?"),
    ]  # fmt: skip


def test_what_tts_reads_is_no_warning(server, client):
    """camelCase JSON names (at any depth, as protojson reads them), a free-form
    `decoded_payload`, a map of webhook headers."""
    downlinks = [
        {"fPort": 1, "frmPayload": "AQ==", "classBC": {"absoluteTime": "2026-01-01T01:00:00Z"}},
        {"f_port": 2, "decoded_payload": {"anything": {"at": ["all"]}}},
    ]
    url = WEBHOOK_DOWN.format(device="dev2", op="push")  # no formatter: any decoded_payload
    assert client.post(url, json={"downlinks": downlinks}, headers=AUTH).status_code == 200
    hook = {"webhook": {"ids": {"webhook_id": "hook2"}, "base_url": "https://example.com/",
                        "format": "json", "headers": {"X-Any-Name": "v"}}}  # fmt: skip
    assert client.post("/api/v3/as/webhooks/app1", json=hook, headers=AUTH).status_code == 200
    assert warned(server) == []


def test_warnings_are_in_the_journal_and_the_admin_api_and_outlive_a_reset(server, client):
    client.post(PUSH, json={"downlinks": [{"f_port": 1, "frm_payload": "AQ==", "fcnt": 3}]},
                headers=AUTH)  # fmt: skip
    (entry,) = client.get("/_mock/journal").json()
    assert entry["valid"] is True
    assert [w["where"] for w in entry["warnings"]] == ["body.downlinks[0].fcnt"]
    assert entry["warnings"][0]["suggestion"] == "f_cnt"
    listed = client.get("/_mock/contract/warnings").json()
    assert listed["dropped"] == 0
    assert [w["field"] for w in listed["warnings"]] == ["fcnt"]
    assert client.get("/_mock/contract/violations").json()["violations"] == []
    client.post("/_mock/reset")  # kept for the run's report; not the next test's
    assert [w["field"] for w in client.get("/_mock/contract/warnings").json()["warnings"]] == [
        "fcnt"
    ]
    since = client.get("/_mock/contract/warnings", params={"since": "reset"}).json()
    assert since["warnings"] == []
    client.post("/_mock/contract/clear")
    assert client.get("/_mock/contract/warnings").json()["warnings"] == []


# -- KPN, TTN v2, ThingPark ----------------------------------------------------------------------
def test_kpn_top_level_fields_it_drops_are_warned_with_where_they_belong(server, client):
    auth = bearer(token(client))
    sent = body("lora", fport=2, dryrun=True)
    assert client.post("/lora/downlinks", json=sent, headers=auth).status_code == 201
    assert warned(server) == [
        ("body.fport", "unknown field `fport`: the service ignores it; "
         "did you mean `message.fPort`?"),
        ("body.dryrun", "unknown field `dryrun`: the service ignores it; "
         "did you mean `dryRun`?"),
    ]  # fmt: skip


def test_ttn_v2_unknown_fields_are_warnings_and_any_case_is_read(server, client):
    """V2's Go decoder drops `confirm` and reads `Port` as `port`: one warning, and no
    violation (the description no longer closes the object)."""
    sent = {"dev_id": "my-dev-id", "Port": 7, "payload_raw": "AQ==", "confirm": True}
    response = client.post(down_url(), content=json.dumps(sent).encode(), headers=JSON)
    assert response.status_code == 202
    assert warned(server) == [
        ("body.confirm", "unknown field `confirm`: the service ignores it; "
         "did you mean `confirmed`?")
    ]  # fmt: skip
    assert server.contract.log.violations == []


def test_thingpark_fields_it_drops_are_warned(server, client):
    auth = dx_bearer(dx_token(client))
    sent = {"payloadHex": "01", "targetPorts": "1", "confirmed": True, "correlationId": "01"}
    assert client.post(messages_url(), json=sent, headers=auth).status_code == 200
    assert [(w.field, w.suggestion) for w in server.contract.log.warnings] == [
        ("confirmed", "confirmDownlink"),
        ("correlationId", "correlationID"),
    ]


# -- what the description says -------------------------------------------------------------------
SHAPES = {
    "openapi": "3.0.3",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/things": {
            "post": {
                "operationId": "createThing",
                "requestBody": {
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}
                    }
                },
                "responses": {"200": {"description": "ok"}},
            }
        }
    },
    "components": {
        "schemas": {
            "Thing": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "closed": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {"a": {"type": "string"}},
                    },
                    "free": {"type": "object"},
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                    "shape": {
                        "oneOf": [
                            {"type": "object", "properties": {"radius": {"type": "number"}}},
                            {"type": "object", "properties": {"side": {"type": "number"}}},
                        ]
                    },
                    "parts": {
                        "type": "array",
                        "items": {"type": "object", "properties": {"id": {"type": "string"}}},
                    },
                },
            }
        }
    },
}


class _AsSent:
    def field_key(self, name: str) -> str:
        return name

    def refine_warnings(
        self, operation: Operation, request: HttpRequest, warnings: list[ContractWarning]
    ) -> list[ContractWarning]:
        return warnings


@pytest.fixture
def shapes(tmp_path: Path) -> Contract:
    return contract_for(tmp_path, SHAPES)


def found(contract: Contract, value: object) -> list[tuple[str, str]]:
    request = HttpRequest(
        "POST", "/things", "", {"content-type": "application/json"}, json.dumps(value).encode()
    )
    operation, params = contract.index("demo").match("POST", "/things")
    contract.check_request(operation, params, request, _AsSent())
    return [(w.where, w.rule) for w in request.warnings]


def test_only_objects_that_declare_their_fields_are_judged(shapes):
    value = {
        "name": "n",
        "free": {"x": 1},
        "labels": {"any": "thing"},
        "shape": {"radius": 1, "side": 2},  # each branch declares one: both are declared
        "closed": {"b": "x"},  # a violation already, not also a warning
    }
    assert found(shapes, value) == []


def test_fields_are_found_at_any_depth(shapes):
    value = {"nmae": "n", "shape": {"radius": 1, "colour": "red"}, "parts": [{"id": "a", "x": 1}]}
    assert found(shapes, value) == [
        ("body.shape.colour", "undeclared-field"),
        ("body.parts[0].x", "undeclared-field"),
        ("body.nmae", "undeclared-field"),
    ]


def test_fields_of_an_array_items_sent_bare_are_a_missing_wrapper(shapes):
    assert found(shapes, {"id": "a"}) == [("body", "missing-wrapper")]


def test_a_request_without_a_vendor_policy_draws_no_warnings(shapes):
    request = HttpRequest(
        "POST", "/things", "", {"content-type": "application/json"}, b'{"nmae": 1}'
    )
    operation, params = shapes.index("demo").match("POST", "/things")
    shapes.check_request(operation, params, request)
    assert request.warnings == [] and shapes.log.warnings == []


def test_a_body_draws_a_bounded_number_of_warnings_and_long_names_are_cut(shapes):
    parts = [{"id": str(n), "x": n} for n in range(1000)]
    assert len(found(shapes, {"parts": parts})) == MAX_FINDINGS
    ((where, rule),) = found(shapes, {"n" * 5000: 1})
    assert rule == "undeclared-field" and where == "body." + "n" * 64 + "…"
