"""The downlink URL: `POST`/`PUT /{region}/api/v2/down/{app_id}/{process_id}?key=…`.

Order: the access key (query `key`) against the application, the key's
`messages:down:w` right, the integration (Process ID), the body (Go's JSON decoding), then
the Handler's enqueue checks. Success is 202 with no body.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from mockserver.contract import HttpRequest, HttpResponse
from mockserver.providers.base import Handler
from mockserver.providers.ttnv2 import errors
from mockserver.providers.ttnv2.applications import DOWNLINK_RIGHT, Application
from mockserver.providers.ttnv2.downlinks import decode

if TYPE_CHECKING:
    from mockserver.providers.ttnv2.context import TTNv2Context

#: The integration reads at most this much of a body (http.MaxBytesReader).
MAX_BODY = 1024 * 1024


class Routes:
    def __init__(self, provider: TTNv2Context) -> None:
        self.provider = provider

    def handlers(self) -> Mapping[str, Handler]:
        return {"DownlinkPost": self.downlink, "DownlinkPut": self.downlink}

    def downlink(self, request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
        try:
            application = self._authorize(request, params["app_id"])
            if params["process_id"] not in application.integrations:
                raise errors.not_found(f"integration {application.id}/{params['process_id']}")
            if request.oversized:
                raise errors.TTNError(413, "http: request body too large")
            self.provider.handler.enqueue(application, decode(request.body))
        except errors.TTNError as error:
            return error.response()
        return HttpResponse(202, {}, b"")

    def _authorize(self, request: HttpRequest, application_id: str) -> Application:
        keys = [
            value
            for name, value in parse_qsl(request.query, keep_blank_values=True)
            if name == "key"
        ]
        if not keys or not keys[0]:
            raise errors.unauthenticated("missing key")
        application = self.provider.registry.applications.get(application_id)
        key = application.access_keys.get(keys[0]) if application else None
        if application is None or key is None:
            raise errors.unauthenticated("invalid key")
        if DOWNLINK_RIGHT not in key.rights:
            raise errors.forbidden(f"key does not have the {DOWNLINK_RIGHT} right")
        return application
