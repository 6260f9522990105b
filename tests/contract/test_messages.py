"""Violation messages as a reader needs them: the rule once, in the description's own words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mockserver.contract import Contract, HttpRequest
from mockserver.server import MockServer
from tests.contract.test_dialects import contract_for
from tests.providers.kpn.helpers import bearer, body, token

FLAGGED = {
    "openapi": "3.0.3",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/things": {
            "post": {
                "operationId": "createThing",
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "urn": {"type": "string", "pattern": "^(?i)urn:[a-f0-9]+$"},
                                    "hex": {"type": "string", "pattern": r"^\d+$"},
                                },
                            }
                        }
                    }
                },
                "responses": {"200": {"description": "ok"}},
            }
        }
    },
}


@pytest.fixture
def contract(tmp_path: Path) -> Contract:
    return contract_for(tmp_path, FLAGGED)


def violations(contract: Contract, value: object) -> list[tuple[str, str, object]]:
    request = HttpRequest(
        "POST", "/things", "", {"content-type": "application/json"}, json.dumps(value).encode()
    )
    operation, params = contract.index("demo").match("POST", "/things")
    return [
        (v.where, v.message, v.expected) for v in contract.check_request(operation, params, request)
    ]


def test_a_pattern_is_shown_as_the_description_wrote_it(contract):
    """The validator runs `(?ai)^urn:…` (flags moved to the front, ASCII digits); the
    reader is shown the spec's `^(?i)urn:…`."""
    assert violations(contract, {"urn": "x"}) == [
        (
            "body.urn",
            "must match pattern ^(?i)urn:[a-f0-9]+$",
            {"type": "string", "pattern": "^(?i)urn:[a-f0-9]+$"},
        )
    ]
    ((_, message, expected),) = violations(contract, {"hex": "x"})
    assert message == r"must match pattern ^\d+$" and expected["pattern"] == r"^\d+$"


def test_the_message_does_not_repeat_where_the_value_is(contract):
    ((where, message, _),) = violations(contract, {"urn": 5})
    assert (where, message) == ("body.urn", "must be string")


def test_kpn_names_the_field_once_in_the_400_detail():
    """KPN's problem `detail` reads like its own checks' (`message.fPort: must be …`): the
    field as the body names it, then the rule, with the spec's pattern."""
    server = MockServer()
    with server.client() as client:
        auth = bearer(token(client))
        bad = body("lora", message={"payloadHex": "zz", "fPort": 1})
        response = client.post("/lora/downlinks", json=bad, headers=auth)
        assert response.status_code == 400
        assert response.json()["detail"] == "message.payloadHex: must match pattern ^[0-9a-fA-F]+$"
        response = client.get("/lora/downlinks", params={"limit": "ten"}, headers=auth)
        assert response.json()["detail"] == "limit: must be integer"
