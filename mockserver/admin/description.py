"""The admin API's own OpenAPI description: served at `/_mock/openapi.json`, and the contract
the admin routes are checked against (by the test suite, with the same contract layer that
checks the vendors' routes), so the document and the routes cannot drift apart."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from mockserver.contract.contract import Contract
from mockserver.contract.documents import bundled_specs_dir, load_spec
from mockserver.contract.records import ContractViolation
from mockserver.contract.validation import HttpRequest, HttpResponse

ADMIN_SPEC_NAME = "mockserver-admin.yaml"
#: The provider name the admin operations carry in the contract layer's findings.
ADMIN = "admin"


def admin_spec_path() -> Path:
    """Beside the vendors' folders, not in one: the vendors' loader reads only
    `specs/<provider>/…`, so the admin API never counts in a CI report's coverage."""
    return bundled_specs_dir() / ADMIN_SPEC_NAME


@functools.cache
def admin_description() -> dict[str, Any]:
    return load_spec(admin_spec_path(), provider=ADMIN).document


@functools.cache
def admin_description_json() -> bytes:
    return json.dumps(admin_description(), separators=(",", ":")).encode()


@functools.lru_cache(maxsize=32)
def served_description_json(url: str) -> bytes:
    """The description as `/_mock/openapi.json` serves it: `servers` is the URL the request
    came in on (`http://127.0.0.1:41234`), so that a client generated from it works on
    whatever port the server was given, not on the document's example. A server answers
    to few names (the admin guard refuses other `Host`s), so a few are cached."""
    served = {**admin_description(), "servers": [{"url": url.rstrip("/")}]}
    return json.dumps(served, separators=(",", ":")).encode()


@functools.cache
def _contract() -> Contract:
    return Contract([load_spec(admin_spec_path(), provider=ADMIN)])


def check_admin_exchange(request: HttpRequest, response: HttpResponse) -> list[ContractViolation]:
    """What an admin exchange broke of the admin description: the route itself when it is
    not described, else the request's and the response's rules."""
    contract = _contract()
    matched = contract.index(ADMIN).match(request.method, request.path)
    if matched is None:
        allowed = contract.index(ADMIN).allowed_methods(request.path)
        return contract.unknown_route(ADMIN, request, allowed)
    operation, path_params = matched
    return contract.check_request(operation, path_params, request) + contract.check_response(
        operation, request, response
    )
