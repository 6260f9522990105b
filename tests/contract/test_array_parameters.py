"""Array parameters read the way their spec says they are written on the wire:
Swagger 2.0 `collectionFormat` (csv by default), OpenAPI 3 `style`/`explode` (query
repeats by default, headers are comma-separated), items coerced to their own type."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockserver.contract import HttpRequest
from tests.contract.test_dialects import check, contract_for

INTEGERS = {"type": "array", "items": {"type": "integer", "minimum": 1}}


def _swagger(parameters: list[dict]) -> dict:
    return {
        "swagger": "2.0",
        "info": {"title": "t", "version": "1"},
        "basePath": "/api",
        "paths": {
            "/things": {
                "get": {
                    "operationId": "list",
                    "parameters": parameters,
                    "responses": {"200": {"description": "OK"}},
                }
            }
        },
    }


def _openapi(parameter: dict) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "servers": [{"url": "https://example.com/api"}],
        "paths": {
            "/things": {
                "get": {
                    "operationId": "list",
                    "parameters": [{"name": "ids", "schema": INTEGERS, **parameter}],
                    "responses": {"200": {"description": "OK"}},
                }
            }
        },
    }


@pytest.mark.parametrize(
    ("collection_format", "query", "problems"),
    [
        (None, "ids=1,2", []),  # csv is Swagger's default
        (None, "ids=1,0", ["query.ids[1]:minimum"]),
        (None, "ids=1,x", ["query.ids[1]:type"]),
        ("pipes", "ids=1|2", []),
        ("ssv", "ids=1%202", []),
        ("tsv", "ids=1%092", []),
        ("multi", "ids=1&ids=2", []),
        ("multi", "ids=1,2", ["query.ids[0]:type"]),  # one item, "1,2", is not an integer
    ],
)
def test_swagger_collection_formats(tmp_path: Path, collection_format, query, problems):
    parameter = {"in": "query", "name": "ids", **INTEGERS}
    if collection_format:
        parameter["collectionFormat"] = collection_format
    contract = contract_for(tmp_path, _swagger([parameter]))
    assert check(contract, "GET", "/api/things", query=query) == problems


@pytest.mark.parametrize(
    ("parameter", "query", "problems"),
    [
        ({"in": "query"}, "ids=1&ids=2", []),  # form, exploded: the default
        ({"in": "query"}, "ids=1,2", ["query.ids[0]:type"]),
        ({"in": "query", "explode": False}, "ids=1,2", []),
        ({"in": "query", "style": "pipeDelimited", "explode": False}, "ids=1|2", []),
        ({"in": "query", "style": "spaceDelimited", "explode": False}, "ids=1%202", []),
    ],
)
def test_openapi_query_styles(tmp_path: Path, parameter, query, problems):
    contract = contract_for(tmp_path, _openapi(parameter))
    assert check(contract, "GET", "/api/things", query=query) == problems


@pytest.mark.parametrize(("value", "problems"), [("1,2", []), ("1,0", ["header.ids[1]:minimum"])])
def test_a_header_array_is_comma_separated(tmp_path: Path, value, problems):
    contract = contract_for(tmp_path, _openapi({"in": "header"}))
    assert check_header(contract, value) == problems


def check_header(contract, value: str) -> list[str]:
    request = HttpRequest("GET", "/api/things", "", {"ids": value}, b"")
    operation, params = contract.index("demo").match("GET", "/api/things")
    return [f"{v.where}:{v.rule}" for v in contract.check_request(operation, params, request)]


@pytest.mark.parametrize(
    ("query", "problems"),
    [("ids=" + "9" * 5000, ["query.ids[0]:type"]), ("ids=1," + "9" * 5000, ["query.ids[1]:type"])],
)
def test_integers_longer_than_python_reads_are_a_violation_not_a_crash(
    tmp_path: Path, query, problems
):
    parameter = {"in": "query", "name": "ids", **INTEGERS}
    contract = contract_for(tmp_path, _swagger([parameter]))
    assert check(contract, "GET", "/api/things", query=query) == problems


@pytest.mark.parametrize(
    ("value", "problems"),
    [
        ("42", []),
        ("\u0664\u0662", ["query.code:pattern"]),
        ("\uff14\uff12", ["query.code:pattern"]),
    ],
)
def test_a_pattern_digit_is_an_ascii_digit_as_in_json_schema(tmp_path: Path, value, problems):
    parameter = {"in": "query", "name": "code", "type": "string", "pattern": r"^\d+$"}
    contract = contract_for(tmp_path, _swagger([parameter]))
    assert check(contract, "GET", "/api/things", query=f"code={value}") == problems
