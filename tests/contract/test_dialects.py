"""The contract layer on each dialect, and the traps a naive validator falls into."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from mockserver.contract import Contract, HttpRequest, HttpResponse
from mockserver.contract.documents import load_spec

UUID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"

OPENAPI_31 = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1"},
    "servers": [{"url": "https://example.com/api/things"}],
    "paths": {
        "/messages": {
            "post": {
                "operationId": "createMessage",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Create"}}
                    },
                },
                "responses": {
                    "201": {
                        "description": "created",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Created"}}
                        },
                    }
                },
            }
        }
    },
    "components": {
        "schemas": {
            "DeviceId": {
                "oneOf": [
                    {"type": "string", "format": "uuid"},
                    {"type": "string", "pattern": "^(?i)urn:dev:deveui:[0-9a-f]{16}$"},
                ]
            },
            "Text": {
                "type": "object",
                "required": ["type", "body"],
                "properties": {"type": {"const": "text"}, "body": {"type": "string"}},
            },
            "Binary": {
                "type": "object",
                "required": ["type", "body"],
                "properties": {
                    "type": {"enum": ["binary", "text"]},
                    "body": {
                        "type": "string",
                        "contentEncoding": "base64",
                        "pattern": "^[A-Za-z0-9+/]*={0,2}$",
                    },
                },
            },
            "Message": {
                "oneOf": [
                    {"$ref": "#/components/schemas/Text"},
                    {"$ref": "#/components/schemas/Binary"},
                ],
                "discriminator": {
                    "propertyName": "type",
                    "mapping": {
                        "text": "#/components/schemas/Text",
                        "binary": "#/components/schemas/Binary",
                    },
                },
            },
            "Create": {
                "type": "object",
                "required": ["deviceId", "message"],
                "properties": {
                    "id": {"type": "string", "format": "uuid", "readOnly": True},
                    "deviceId": {"$ref": "#/components/schemas/DeviceId"},
                    "message": {"$ref": "#/components/schemas/Message"},
                    "note": {"$ref": "#/components/schemas/Note", "description": "sibling"},
                },
            },
            "Note": {"type": ["string", "null"], "maxLength": 5},
            "Created": {
                "type": "object",
                "required": ["id"],
                "properties": {
                    "id": {"type": "string", "format": "uuid", "readOnly": True},
                    "secret": {"type": "string", "writeOnly": True},
                },
            },
        }
    },
}

OPENAPI_30 = {
    "openapi": "3.0.3",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/items/{count}": {
            "get": {
                "operationId": "getItems",
                "parameters": [
                    {
                        "name": "count",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 1},
                    },
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 5}},
                    {
                        "name": "tags",
                        "in": "query",
                        "explode": False,
                        "schema": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "name": {"type": "string", "nullable": True},
                                        "size": {
                                            "type": "number",
                                            "minimum": 0,
                                            "exclusiveMinimum": True,
                                        },
                                    },
                                }
                            }
                        },
                    },
                    "4XX": {"description": "client error"},
                },
            }
        }
    },
}

SWAGGER_2 = {
    "swagger": "2.0",
    "info": {"title": "t", "version": "1"},
    "basePath": "/core/v1/api",
    "paths": {
        "/devices/{device}/messages": {
            "post": {
                "operationId": "send",
                "parameters": [
                    {"name": "device", "in": "path", "required": True, "type": "string"},
                    {"name": "confirm", "in": "query", "type": "boolean"},
                    {
                        "name": "body",
                        "in": "body",
                        "required": True,
                        "schema": {"$ref": "#/definitions/Message"},
                    },
                ],
                "responses": {
                    "200": {"description": "ok", "schema": {"$ref": "#/definitions/Message"}}
                },
            }
        },
        "/token": {
            "post": {
                "operationId": "token",
                "consumes": ["application/x-www-form-urlencoded"],
                "parameters": [
                    {
                        "name": "grant_type",
                        "in": "formData",
                        "required": True,
                        "type": "string",
                        "enum": ["client_credentials"],
                    },
                ],
                "responses": {"200": {"description": "ok"}},
            }
        },
    },
    "definitions": {
        "Message": {
            "type": "object",
            "required": ["payloadHex"],
            "properties": {
                "payloadHex": {"type": "string", "pattern": "^[0-9a-fA-F]*$"},
                "port": {"type": "integer", "x-nullable": True},
            },
        }
    },
}


def contract_for(tmp_path: Path, document: dict, provider: str = "demo") -> Contract:
    folder = tmp_path / provider
    folder.mkdir()
    path = folder / "api.yaml"
    path.write_text(yaml.safe_dump(document))
    return Contract([load_spec(path, provider)])


def check(
    contract: Contract,
    method: str,
    path: str,
    body: object = None,
    content_type: str = "application/json",
    query: str = "",
) -> list[str]:
    raw = body if isinstance(body, bytes) else (b"" if body is None else json.dumps(body).encode())
    request = HttpRequest(method, path, query, {"content-type": content_type}, raw)
    found = contract.index("demo").match(method, path)
    assert found, f"{method} {path} matched nothing"
    operation, params = found
    return [f"{v.where}:{v.rule}" for v in contract.check_request(operation, params, request)]


def response_problems(
    contract: Contract, method: str, path: str, status: int, body: object
) -> list[str]:
    operation, _ = contract.index("demo").match(method, path)
    request = HttpRequest(method, path, "", {}, b"")
    response = HttpResponse(
        status,
        {"content-type": "application/json"},
        json.dumps(body).encode() if body is not None else b"",
    )
    return [f"{v.where}:{v.rule}" for v in contract.check_response(operation, request, response)]


class TestOpenAPI31:
    @pytest.fixture
    def contract(self, tmp_path: Path) -> Contract:
        return contract_for(tmp_path, OPENAPI_31)

    def test_servers_path_is_the_base_path(self, contract):
        assert contract.index("demo").match("POST", "/api/things/messages")

    def test_a_uuid_matches_one_oneof_branch_because_formats_are_asserted(self, contract):
        body = {"deviceId": UUID, "message": {"type": "text", "body": "hi"}}
        assert check(contract, "POST", "/api/things/messages", body) == []

    def test_an_urn_is_not_taken_for_a_uuid(self, contract):
        body = {
            "deviceId": "urn:dev:DEVEUI:0004A30B001A2B3C",
            "message": {"type": "text", "body": "x"},
        }
        assert check(contract, "POST", "/api/things/messages", body) == []

    def test_inline_case_insensitive_flag_mid_pattern_is_honoured(self, contract):
        body = {
            "deviceId": "URN:DEV:DEVEUI:0004a30b001a2b3c",
            "message": {"type": "text", "body": "x"},
        }
        assert check(contract, "POST", "/api/things/messages", body) == []

    def test_discriminator_picks_the_branch_so_text_valid_as_binary_is_still_valid(self, contract):
        body = {"deviceId": UUID, "message": {"type": "text", "body": "abcd"}}
        assert check(contract, "POST", "/api/things/messages", body) == []

    def test_discriminator_rejects_what_its_branch_rejects(self, contract):
        body = {"deviceId": UUID, "message": {"type": "binary", "body": "not base64!"}}
        assert check(contract, "POST", "/api/things/messages", body) == [
            "body.message.body:pattern"
        ]

    def test_unknown_discriminator_value_is_a_violation(self, contract):
        body = {"deviceId": UUID, "message": {"type": "video", "body": "x"}}
        assert check(contract, "POST", "/api/things/messages", body) == ["body.message.type:enum"]

    def test_read_only_fields_sent_by_a_client_are_ignored(self, contract):
        body = {"id": "not-a-uuid", "deviceId": UUID, "message": {"type": "text", "body": "x"}}
        assert check(contract, "POST", "/api/things/messages", body) == []

    def test_ref_siblings_apply_in_31(self, contract):
        body = {"deviceId": UUID, "message": {"type": "text", "body": "x"}, "note": "toolong"}
        assert check(contract, "POST", "/api/things/messages", body) == ["body.note:maxLength"]
        body["note"] = None
        assert check(contract, "POST", "/api/things/messages", body) == []

    def test_write_only_fields_are_not_required_in_responses_and_read_only_are(self, contract):
        assert response_problems(contract, "POST", "/api/things/messages", 201, {"id": UUID}) == []
        assert response_problems(contract, "POST", "/api/things/messages", 201, {}) == [
            "body:required"
        ]

    def test_missing_body_and_wrong_content_type_are_violations(self, contract):
        assert check(contract, "POST", "/api/things/messages") == ["body:required"]
        assert check(contract, "POST", "/api/things/messages", b"x", "text/plain") == [
            "header.content-type:content-type"
        ]
        assert check(contract, "POST", "/api/things/messages", b"{", "application/json") == [
            "body:syntax"
        ]

    def test_undocumented_status_is_a_response_violation(self, contract):
        assert response_problems(contract, "POST", "/api/things/messages", 500, None) == [
            "status:undocumented-status"
        ]


class TestOpenAPI30:
    @pytest.fixture
    def contract(self, tmp_path: Path) -> Contract:
        return contract_for(tmp_path, OPENAPI_30)

    def test_path_and_query_strings_are_coerced_to_their_schema_types(self, contract):
        assert check(contract, "GET", "/items/3", query="limit=5&tags=a,b") == []
        assert check(contract, "GET", "/items/0", query="limit=6") == [
            "path.count:minimum",
            "query.limit:maximum",
        ]

    def test_non_numeric_path_value_is_a_violation(self, contract):
        assert check(contract, "GET", "/items/abc") == ["path.count:type"]

    def test_non_exploded_arrays_split_on_commas(self, contract):
        assert check(contract, "GET", "/items/1", query="tags=a,b,c") == ["query.tags:maxItems"]

    def test_nullable_and_boolean_exclusive_minimum(self, contract):
        assert response_problems(contract, "GET", "/items/1", 200, {"name": None}) == []
        assert response_problems(contract, "GET", "/items/1", 200, {"size": 0}) == [
            "body.size:exclusiveMinimum"
        ]

    def test_status_families_document_their_codes(self, contract):
        assert response_problems(contract, "GET", "/items/1", 404, None) == []


class TestSwagger2:
    @pytest.fixture
    def contract(self, tmp_path: Path) -> Contract:
        return contract_for(tmp_path, SWAGGER_2)

    def test_base_path_and_body_parameter(self, contract):
        assert (
            check(
                contract,
                "POST",
                "/core/v1/api/devices/d1/messages",
                {"payloadHex": "0A0b", "port": None},
                query="confirm=true",
            )
            == []
        )

    def test_body_schema_from_definitions_is_enforced(self, contract):
        assert check(
            contract, "POST", "/core/v1/api/devices/d1/messages", {"payloadHex": "zz"}
        ) == ["body.payloadHex:pattern"]

    def test_typed_query_parameters_are_validated(self, contract):
        assert check(
            contract,
            "POST",
            "/core/v1/api/devices/d1/messages",
            {"payloadHex": "00"},
            query="confirm=maybe",
        ) == ["query.confirm:type"]

    def test_form_parameters_become_a_form_body(self, contract):
        assert (
            check(
                contract,
                "POST",
                "/core/v1/api/token",
                b"grant_type=client_credentials",
                "application/x-www-form-urlencoded",
            )
            == []
        )
        assert check(
            contract,
            "POST",
            "/core/v1/api/token",
            b"grant_type=password",
            "application/x-www-form-urlencoded",
        ) == ["body.grant_type:enum"]

    def test_responses_are_validated_against_definitions(self, contract):
        path = "/core/v1/api/devices/d1/messages"
        assert response_problems(contract, "POST", path, 200, {"payloadHex": "00"}) == []
        assert response_problems(contract, "POST", path, 200, {}) == ["body:required"]


def test_overlays_are_merged_without_touching_the_vendor_file(tmp_path: Path):
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / "api.yaml").write_text(yaml.safe_dump(SWAGGER_2))
    (folder / "api.overlay.yaml").write_text(
        yaml.safe_dump(
            {"paths": {"/token": {"post": {"responses": {"401": {"description": "no"}}}}}}
        )
    )
    spec = load_spec(folder / "api.yaml", "demo")
    assert "401" in spec.document["paths"]["/token"]["post"]["responses"]
    assert (
        "401"
        not in yaml.safe_load((folder / "api.yaml").read_text())["paths"]["/token"]["post"][
            "responses"
        ]
    )
