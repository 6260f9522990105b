"""Serving part of a large vendor description: `x-mockserver-operations` in an overlay, and
grpc-gateway's dotted path parameters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from mockserver.contract import Contract, HttpRequest
from mockserver.contract.documents import SpecError, load_spec
from mockserver.contract.operations import path_aliases

ANY = {"description": "ok", "schema": {"$ref": "#/definitions/Any"}}
VENDOR = {
    "swagger": "2.0",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/things/{ids.thing_id}": {
            "parameters": [{"in": "path", "name": "ids.thing_id", "type": "string"}],
            "get": {
                "operationId": "Things_Get",
                "responses": {"200": {"description": "ok", "schema": {"$ref": "#/definitions/T"}}},
            },
            "delete": {"operationId": "Things_Delete", "responses": {"200": ANY}},
        },
        "/others": {"get": {"operationId": "Others_List", "responses": {"200": ANY}}},
    },
    "definitions": {
        "T": {"type": "object", "properties": {"part": {"$ref": "#/definitions/Part"}}},
        "Part": {"type": "object", "properties": {"n": {"type": "integer", "maximum": 3}}},
        "Any": {"type": "object"},
        "Unused": {"type": "string"},
    },
}


def _folder(tmp_path: Path, overlay: dict) -> Path:
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / "api.json").write_text(json.dumps(VENDOR))
    (folder / "api.overlay.yaml").write_text(yaml.safe_dump(overlay))
    return folder / "api.json"


def test_only_the_listed_operations_and_what_they_reach_are_loaded(tmp_path):
    spec = load_spec(_folder(tmp_path, {"x-mockserver-operations": ["Things_Get"]}), "demo")
    assert list(spec.document["paths"]) == ["/things/{ids.thing_id}"]
    item = spec.document["paths"]["/things/{ids.thing_id}"]
    assert set(item) == {"parameters", "get"}  # the path's shared parameters stay
    assert set(spec.document["definitions"]) == {"T", "Part"}  # reached through T
    contract = Contract([spec])
    assert [op.operation_id for op in contract.operations()] == ["Things_Get"]
    assert contract.index("demo").match("GET", "/others") is None


def test_kept_nodes_keep_their_pointers_into_the_vendors_file(tmp_path):
    spec = load_spec(_folder(tmp_path, {"x-mockserver-operations": ["Things_Get"]}), "demo")
    (operation,) = Contract([spec]).operations()
    assert operation.pointer == "#/paths/~1things~1{ids.thing_id}/get"
    assert spec.document["definitions"]["Part"] == VENDOR["definitions"]["Part"]


def test_the_overlay_applies_before_the_selection(tmp_path):
    overlay = {
        "x-mockserver-operations": ["Others_List"],
        "definitions": {"Any": {"properties": {"p": {"$ref": "#/definitions/Extra"}}}},
    }
    overlay["definitions"]["Extra"] = {"type": "string"}
    spec = load_spec(_folder(tmp_path, overlay), "demo")
    assert set(spec.document["definitions"]) == {"Any", "Extra"}


def test_without_the_extension_everything_is_loaded(tmp_path):
    spec = load_spec(_folder(tmp_path, {"basePath": "/v3"}), "demo")
    assert spec.document["paths"] == VENDOR["paths"]
    assert set(spec.document["definitions"]) == set(VENDOR["definitions"])


@pytest.mark.parametrize(
    ("listed", "message"),
    [(["Things_Get", "Things_Renamed"], "Things_Renamed"), ("Things_Get", "must be a list")],
)
def test_a_listed_operation_the_file_lacks_is_refused_at_load(tmp_path, listed, message):
    path = _folder(tmp_path, {"x-mockserver-operations": listed})
    with pytest.raises(SpecError, match=message):
        load_spec(path, "demo")


def test_a_dotted_path_parameter_is_also_given_by_its_last_segment(tmp_path):
    spec = load_spec(_folder(tmp_path, {}), "demo")
    operation, params = Contract([spec]).index("demo").match("GET", "/things/t-1")
    assert params == {"ids.thing_id": "t-1", "thing_id": "t-1"}
    assert operation.operation_id == "Things_Get"


def test_the_path_is_still_validated_under_its_own_name(tmp_path):
    parameter = {"in": "path", "name": "ids.thing_id", "type": "string", "pattern": "^[a-z]+$"}
    overlay = {"paths": {"/things/{ids.thing_id}": {"parameters": [parameter]}}}
    contract = Contract([load_spec(_folder(tmp_path, overlay), "demo")])
    operation, params = contract.index("demo").match("GET", "/things/T_1")
    request = HttpRequest("GET", "/things/T_1", "", {}, b"")
    (violation,) = contract.check_request(operation, params, request)
    assert (violation.where, violation.rule) == ("path.ids.thing_id", "pattern")


@pytest.mark.parametrize(
    ("names", "aliases"),
    [
        (["a.b.app_id", "a.dev_id"], {"a.b.app_id": "app_id", "a.dev_id": "dev_id"}),
        (["app_id", "x.app_id"], {}),  # the plain name is taken
        (["x.id", "y.id"], {}),  # two would share one alias
        (["plain"], {}),
    ],
)
def test_aliases_are_given_only_when_unambiguous(names, aliases):
    assert path_aliases(names) == aliases
