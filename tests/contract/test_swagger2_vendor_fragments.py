"""Swagger 2.0 as vendors publish it: front-matter wrappers, untyped query parameters,
typed form fields, one description served under several base paths."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from mockserver.contract import Contract, HttpRequest
from mockserver.contract.documents import SpecError, load_spec
from tests.contract.test_dialects import check

FRAGMENT = {
    "swagger": "2.0",
    "info": {"title": "t", "version": "1"},
    "basePath": "/core/v1/api",
    "paths": {
        "/devices/{device}/messages": {
            "post": {
                "operationId": "send",
                "parameters": [
                    {"in": "query", "name": "flush", "description": "untyped, as published"},
                    {"in": "path", "name": "device", "description": "no type, no required"},
                    {"in": "body", "name": "m", "schema": {"$ref": "#/definitions/holder"}},
                ],
                "responses": {"200": {"description": "OK"}},
            }
        },
        "/token": {
            "post": {
                "operationId": "token",
                "consumes": ["application/x-www-form-urlencoded"],
                "parameters": [
                    {"in": "formData", "name": "lifetime", "type": "integer", "minimum": 1},
                    {"in": "formData", "name": "renew", "type": "boolean"},
                    {"in": "formData", "name": "scope", "type": "string"},
                ],
                "responses": {"200": {"description": "OK"}},
            }
        },
    },
}
OVERLAY = {
    "x-mockserver-base-paths": ["/core/latest/api", "/dx/core/latest/api/"],
    "definitions": {
        "holder": {
            "type": "object",
            "required": ["payloadHex"],
            "properties": {"payloadHex": {"type": "string"}},
        }
    },
}


@pytest.fixture
def contract(tmp_path: Path) -> Contract:
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / "api.yaml").write_text("---\n" + yaml.safe_dump(FRAGMENT) + "---\n")
    (folder / "api.overlay.yaml").write_text(yaml.safe_dump(OVERLAY))
    return Contract([load_spec(folder / "api.yaml", "demo")])


def test_front_matter_markers_around_the_document_are_read_past(contract):
    assert {op.operation_id for op in contract.operations()} == {"send", "token"}


def test_two_real_documents_in_one_file_are_refused(tmp_path: Path):
    path = tmp_path / "two.yaml"
    path.write_text("swagger: '2.0'\n---\nswagger: '2.0'\n")
    with pytest.raises(SpecError, match="2 YAML documents"):
        load_spec(path, "demo")


@pytest.mark.parametrize("base", ["/core/v1/api", "/core/latest/api", "/dx/core/latest/api"])
def test_every_declared_base_path_serves_the_operations(contract, base):
    path = f"{base}/devices/e0018B20000000001/messages"
    assert check(contract, "POST", path, {"payloadHex": "00"}) == []
    assert check(contract, "POST", path, {}) == ["body:required"]


def test_unknown_base_path_matches_nothing(contract):
    assert contract.index("demo").match("POST", "/core/v2/api/devices/1/messages") is None


@pytest.mark.parametrize("value", ["true", "maybe", "", "1"])
def test_untyped_query_parameters_accept_any_string(contract, value):
    path = "/core/v1/api/devices/1001/messages"
    assert check(contract, "POST", path, {"payloadHex": "00"}, query=f"flush={value}") == []


def test_the_missing_definition_supplied_by_the_overlay_is_enforced(contract):
    path = "/core/v1/api/devices/1001/messages"
    assert check(contract, "POST", path, {"payloadHex": 1}) == ["body.payloadHex:type"]


@pytest.mark.parametrize(
    ("form", "problems"),
    [
        (b"lifetime=3600&renew=true&scope=x", []),
        (b"lifetime=0", ["body.lifetime:minimum"]),
        (b"lifetime=soon", ["body.lifetime:type"]),
        (b"renew=yes", ["body.renew:type"]),
        (b"scope=123", []),
    ],
)
def test_typed_form_fields_are_read_as_their_types(contract, form, problems):
    assert (
        check(contract, "POST", "/core/v1/api/token", form, "application/x-www-form-urlencoded")
        == problems
    )


def test_an_operation_under_several_base_paths_is_one_operation_in_reports(contract):
    assert sorted(op.operation_id for op in contract.operations()) == ["send", "token"]
    assert [op.path for op in contract.operations() if op.operation_id == "send"] == [
        "/core/v1/api/devices/{device}/messages"
    ]


def test_a_missing_required_body_points_at_the_body_parameter_not_an_openapi_3_field(
    tmp_path: Path,
):
    fragment = copy.deepcopy(FRAGMENT)
    fragment["paths"]["/devices/{device}/messages"]["post"]["parameters"][2]["required"] = True
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / "api.yaml").write_text(yaml.safe_dump(fragment))
    (folder / "api.overlay.yaml").write_text(yaml.safe_dump(OVERLAY))
    contract = Contract([load_spec(folder / "api.yaml", "demo")])
    path = "/core/v1/api/devices/1001/messages"
    operation, params = contract.index("demo").match("POST", path)
    request = HttpRequest("POST", path, "", {"content-type": "application/json"}, b"")
    [violation] = contract.check_request(operation, params, request)
    assert (violation.where, violation.rule) == ("body", "required")
    assert violation.spec_location.endswith(
        "#/paths/~1devices~1{device}~1messages/post/parameters/2"
    )
