"""The admin API's description (specs/mockserver-admin.yaml) is valid OpenAPI 3.1, is what
`/_mock/openapi.json` serves, describes every admin route and no other, and is the source of
docs/admin-api.md; tests/admin_contract.py checks every admin exchange of the suite by it."""

from __future__ import annotations

import json
import re
from pathlib import Path

from openapi_spec_validator import validate

from mockserver.admin.description import admin_description, check_admin_exchange
from mockserver.admin.reference import render_reference
from mockserver.contract.validation import HttpRequest, HttpResponse
from mockserver.server import MockServer

DOCS = Path(__file__).resolve().parent.parent / "docs" / "admin-api.md"
JSON_HEADERS = {"content-type": "application/json"}


def served_routes() -> set[tuple[str, str]]:
    """(method, path) of every route the admin app serves, paths in OpenAPI's template form."""
    app = MockServer().app.admin
    app = getattr(app, "app", app)  # the suite wraps it with its contract check
    routes = set()
    for route in app.routes:
        path = re.sub(r"\{(\w+)(:\w+)?\}", r"{\1}", route.path)
        for method in route.methods or ():
            if method != "HEAD":
                routes.add((method, path))
    return routes


def described_routes() -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in admin_description()["paths"].items()
        for method in item
        if method in ("get", "put", "post", "patch", "delete")
    }


def test_the_description_is_valid_openapi_3_1() -> None:
    assert admin_description()["openapi"].startswith("3.1")
    validate(admin_description())


def test_it_is_served_as_json(client) -> None:
    response = client.get("/_mock/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    served = response.json()
    assert served.pop("servers") == [{"url": "http://mockserver.invalid"}]  # the client's URL
    assert served == {
        k: v for k, v in json.loads(json.dumps(admin_description())).items() if k != "servers"
    }


def test_every_admin_route_is_described_and_every_description_served() -> None:
    assert served_routes() == described_routes()


def test_the_reference_page_is_generated_from_it() -> None:
    assert DOCS.read_text(encoding="utf-8") == render_reference(), (
        "docs/admin-api.md is stale: python -m mockserver.admin.reference > docs/admin-api.md"
    )


def test_the_check_catches_a_response_the_description_does_not_allow() -> None:
    request = HttpRequest("GET", "/_mock/health", "", {}, b"")
    wrong = HttpResponse(200, JSON_HEADERS, json.dumps({"status": "ok"}).encode())
    (violation,) = check_admin_exchange(request, wrong)
    assert (violation.direction, violation.where) == ("response", "body")
    undocumented = HttpResponse(418, JSON_HEADERS, b"{}")
    assert [v.rule for v in check_admin_exchange(request, undocumented)] == ["undocumented-status"]


def test_the_check_catches_a_route_the_description_lacks() -> None:
    request = HttpRequest("GET", "/_mock/secret", "", {}, b"")
    (violation,) = check_admin_exchange(request, HttpResponse(200, JSON_HEADERS, b"{}"))
    assert violation.rule == "unknown-route"
