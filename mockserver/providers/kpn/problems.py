"""KPN's error shape: RFC 9457 problem+json, as the specs' `Problem` schema describes it.

`type` is `about:blank` and `title` the status's reason phrase (RFC 9457 §4.2.1): KPN's
problem type URIs are not published (docs/providers/kpn.md).
"""

from __future__ import annotations

import json
from http import HTTPStatus
from urllib.parse import quote

from mockserver.contract import HttpRequest, HttpResponse

PROBLEM_JSON = "application/problem+json"
#: RFC 3986 path characters: `instance` must stay a URI reference whatever the path held.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


class Problem(Exception):
    """Raised by handlers; rendered by the route wrapper into the vendor's error response."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}

    def response(self, request: HttpRequest) -> HttpResponse:
        return problem_response(request, self.status, self.detail, self.headers)


def problem_response(
    request: HttpRequest, status: int, detail: str, headers: dict[str, str] | None = None
) -> HttpResponse:
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": quote(request.path, safe=_PATH_SAFE),
    }
    return HttpResponse(
        status,
        {"content-type": PROBLEM_JSON, **(headers or {})},
        json.dumps(body, separators=(",", ":")).encode(),
    )
