"""The 20 downlink operations and the token exchange: each operationId and its handler.

Every handler checks, in the order a Spring-style service does: the bearer token and its
scope (401/403), then the request against the published description (400, 415), then the
resources it names (404), then the state they are in (409).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from mockserver.contract import HttpRequest, HttpResponse
from mockserver.contract.records import ContractViolation
from mockserver.contract.validation import UNPARSED
from mockserver.json_strict import lone_surrogate_at, may_hold_surrogates
from mockserver.providers.base import Handler, json_response
from mockserver.providers.kpn.auth import DELETE, READ, TOKEN_LIFETIME, WRITE, Caller
from mockserver.providers.kpn.devices import KpnDevice
from mockserver.providers.kpn.encoders import EncodingError, encode
from mockserver.providers.kpn.problems import Problem
from mockserver.providers.kpn.records import (
    ACTUATOR,
    CANCELLED,
    DONE,
    EXECUTING,
    FAILED,
    PENDING,
    LogEntry,
    Record,
    parse_duration,
    represent,
)
from mockserver.providers.kpn.rules import check_create
from mockserver.types import SECOND

if TYPE_CHECKING:
    from mockserver.providers.kpn.context import KPNContext

#: The largest integer an IEEE 754 double holds exactly (JavaScript's Number.MAX_SAFE_INTEGER).
MAX_SAFE_INTEGER = 2**53 - 1
DEFAULT_FEEDBACK_TIMEOUT = "PT1H"  # for the protocol downlink of an actuator downlink
_WORD = {"lora": "Lora", "http": "Http", "sms": "Sms", "mqtt": "Mqtt", ACTUATOR: ""}
_NAME = {"lora": "LoRa", "http": "HTTP", "sms": "SMS", "mqtt": "MQTT", ACTUATOR: ""}
_PROTOCOL_OF = {"LORA": "lora", "HTTP": "http", "SMS": "sms", "MQTT": "mqtt"}


class Routes:
    def __init__(self, provider: KPNContext) -> None:
        self.provider = provider

    def handlers(self) -> Mapping[str, Handler]:
        handlers: dict[str, Handler] = {"requestToken": self._guard(self.token)}
        for api in (*_WORD,):
            word = _WORD[api]
            handlers[f"search{word}Downlinks"] = self._guard(self._search(api))
            handlers[f"create{word}Downlink"] = self._guard(
                self.create_actuator if api == ACTUATOR else self._create(api)
            )
            handlers[f"get{word}Downlink"] = self._guard(self._get(api))
            handlers[f"cancel{word}Downlink"] = self._guard(self._cancel(api))
        return handlers

    def _guard(self, handler: Handler) -> Handler:
        def handle(request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
            try:
                return handler(request, params)
            except Problem as problem:
                return problem.response(request)

        return handle

    # -- token -----------------------------------------------------------------------------
    def token(self, request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
        """GRIP's client-credentials exchange (OAuth 2.0 errors, RFC 6749 §5.2)."""
        if request.oversized:
            return _oauth_error(413, "invalid_request", "the request body is too large")
        if request.violations or not isinstance(request.json, dict):
            return _oauth_error(400, "invalid_request", _first(request.violations))
        body = request.json
        if body["grant_type"] != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", "only client_credentials")
        tokens = self.provider.tokens
        key = tokens.authenticate_key(body["client_id"], body["client_secret"])
        if key is None:
            return _oauth_error(401, "invalid_client", "unknown client or wrong secret")
        now = self.provider.clock.now_us() // SECOND
        token = tokens.issue(key, now, TOKEN_LIFETIME, str(body.get("audience") or ""))
        answer = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
            "scope": " ".join(key.scopes),
        }
        return json_response(200, _dump(answer), {"cache-control": "no-store"})

    # -- common steps ----------------------------------------------------------------------
    def _caller(self, request: HttpRequest, scope: str) -> Caller:
        return self.provider.tokens.caller(request, scope)

    def _check_request(self, request: HttpRequest, needs_body: bool = False) -> None:
        if request.oversized:
            raise Problem(413, "The request body is too large")
        if needs_body and not request.body:
            # The specs leave the body optional; a create without one cannot be served.
            raise Problem(400, "Required request body is missing")
        for violation in request.violations:
            if violation.rule == "security":
                continue
            if violation.rule == "content-type":
                raise Problem(415, f"Content type not supported: {violation.message}")
            if violation.rule == "syntax":
                raise Problem(400, "Malformed JSON request body")
            raise Problem(400, _detail(violation))
        if request.json is not UNPARSED and may_hold_surrogates(request.body):
            where = lone_surrogate_at(request.json)
            if where is not None:
                # `"\ud800"` parses, but is no character: no bearer could encode it (chosen).
                raise Problem(
                    400, f"{where}: contains an unpaired UTF-16 surrogate, which is not text"
                )

    def _visible(self, caller: Caller, api: str, downlink_id: str) -> Record:
        record = self.provider.store.get(downlink_id.lower())
        if record is None or record.api != api or record.client != caller.client:
            label = f"{_NAME[api]} downlink" if _NAME[api] else "Downlink"
            raise Problem(404, f"{label} {downlink_id} not found")
        return record

    def _device(self, caller: Caller, reference: str) -> KpnDevice:
        device = self.provider.devices.resolve(reference)
        if device is None or device.client != caller.client:
            raise Problem(404, f"Device {reference} not found")
        return device

    def _sms_message_id(self) -> int:
        """An int64 id that every JSON reader keeps exact: JavaScript's numbers (and any
        client parsing JSON numbers as doubles) round integers above 2^53 - 1 (seeded)."""
        return self.provider.rng.randint(1, MAX_SAFE_INTEGER)

    def _new_id(self) -> str:
        """A random (version 4) UUID from the world's seeded generator: reproducible runs."""
        return str(uuid.UUID(int=self.provider.rng.getrandbits(128), version=4))

    # -- list, get, cancel -----------------------------------------------------------------
    def _search(self, api: str) -> Handler:
        def handle(request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
            caller = self._caller(request, READ)
            self._check_request(request)
            store = self.provider.store
            page = self.provider.lister.page(request, api, caller.client, store)
            return json_response(200, _dump(page))

        return handle

    def _get(self, api: str) -> Handler:
        def handle(request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
            caller = self._caller(request, READ)
            self._check_request(request)
            record = self._visible(caller, api, params["downlinkId"])
            return json_response(200, _dump(represent(record)))

        return handle

    def _cancel(self, api: str) -> Handler:
        def handle(request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
            caller = self._caller(request, DELETE)
            self._check_request(request)
            record = self._visible(caller, api, params["downlinkId"])
            forced = dict(parse_qsl(request.query)).get("forced") == "true"
            target = record.child if record.api == ACTUATOR else record
            if record.finished or (target is not None and target.finished):
                raise Problem(409, f"Downlink {record.id} is {_final_words(record)}")
            if record.status != PENDING and not forced:
                raise Problem(
                    409,
                    f"Downlink {record.id} is {record.status} and can only be cancelled "
                    "with forced=true",
                )
            if target is not None:
                self.provider.lifecycle.cancel(target)
            if record.api == ACTUATOR and record.status != CANCELLED:
                now = self.provider.clock.now_us()
                record.status, record.modified_at = CANCELLED, now
                record.logs.append(LogEntry(now, "DOWNLINK_FAILED", CANCELLED))
            return HttpResponse(202, {}, b"")

        return handle

    # -- create ----------------------------------------------------------------------------
    def _create(self, api: str) -> Handler:
        def handle(request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
            caller = self._caller(request, WRITE)
            self._check_request(request, needs_body=True)
            body = request.json
            feedback = check_create(api, body)
            message = dict(body["message"])
            if api == "lora":
                message["fPort"] = _whole(message["fPort"])
            if api == "sms":
                message["smsMessageId"] = self._sms_message_id()
            if api == "mqtt":
                message.setdefault("qos", "AT_MOST_ONCE")
            device = self._device(caller, body["deviceId"])
            if device.bearer != api:
                raise Problem(
                    400, f"deviceId: device {body['deviceId']} is not a {_NAME[api]} device"
                )
            record = self._record(
                api,
                device,
                body["deviceId"],
                message,
                body["feedbackTimeout"],
                dry_run=bool(body.get("dryRun", False)),
                retry_limit=int(body.get("retryLimit", 0)) if api in ("lora", "sms") else 0,
            )
            self.provider.lifecycle.start(record, feedback)
            return json_response(201, _dump(represent(record)))

        return handle

    def create_actuator(self, request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
        caller = self._caller(request, WRITE)
        self._check_request(request, needs_body=True)
        body = request.json
        feedback_text = body.get("feedbackTimeout")
        feedback = check_create(ACTUATOR, body)
        pack: list[dict[str, Any]] = [
            {**record, "bver": _whole(record["bver"])} if "bver" in record else record
            for record in body["instruction"]
        ]
        method = dict(body["method"])
        if method.get("fPort") is not None:
            method["fPort"] = _whole(method["fPort"])
        names = [record["bn"] for record in pack if "bn" in record]
        device = self._device(caller, names[0])
        if any(self.provider.devices.resolve(name) is not device for name in names[1:]):
            raise Problem(400, "instruction: every bn must name the same device")
        reference = body.get("externalReference")
        if reference is not None and self.provider.store.reference(device.client, reference):
            raise Problem(409, f"externalReference {reference!r} is already in use")
        now = self.provider.clock.now_us()
        parent = Record(
            id=self._new_id(),
            api=ACTUATOR,
            client=device.client,
            device=device,
            device_ref=names[0],
            message=pack,
            created_at=now,
            modified_at=now,
            dry_run=bool(body.get("dryRun", False)),
            retry_limit=int(body.get("retryLimit", 0)),
            external_reference=reference,
            logs=[LogEntry(now, "DOWNLINK_ACCEPTED")],
        )
        self.provider.store.add(parent)
        protocol = _PROTOCOL_OF[method["protocol"]]
        try:
            if device.bearer != protocol:
                raise EncodingError(f"the device is not reachable over {method['protocol']}")
            message = encode(device, pack, method)
        except EncodingError as error:
            parent.status = FAILED
            parent.logs.append(LogEntry(now, "DOWNLINK_REJECTED", f"ENCODING_FAILED: {error}"))
            return json_response(201, _dump(represent(parent)))
        if protocol == "sms":
            message["smsMessageId"] = self._sms_message_id()
        child = self._record(
            protocol,
            device,
            device.uuid,
            message,
            feedback_text or DEFAULT_FEEDBACK_TIMEOUT,
            dry_run=parent.dry_run,
            retry_limit=parent.retry_limit if protocol in ("lora", "sms") else 0,
        )
        child.parent, parent.child = parent, child
        self.provider.lifecycle.start(
            child, feedback if feedback_text else parse_duration(DEFAULT_FEEDBACK_TIMEOUT)
        )
        return json_response(201, _dump(represent(parent)))

    def _record(
        self,
        api: str,
        device: KpnDevice,
        reference: str,
        message: Any,
        feedback_timeout: str,
        *,
        dry_run: bool,
        retry_limit: int,
    ) -> Record:
        now = self.provider.clock.now_us()
        record = Record(
            id=self._new_id(),
            api=api,
            client=device.client,
            device=device,
            device_ref=reference,
            message=message,
            created_at=now,
            modified_at=now,
            feedback_timeout=feedback_timeout,
            dry_run=dry_run,
            retry_limit=retry_limit,
        )
        self.provider.store.add(record)
        return record


def _whole(value: Any) -> Any:
    """An `integer` field as Jackson binds it to an `int`: JSON Schema (and Jackson's default
    ACCEPT_FLOAT_AS_INT) let `1.0` through, and it is stored and echoed as `1`."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _final_words(record: Record) -> str:
    if record.api == ACTUATOR:
        return record.status if record.status != EXECUTING else "finished"
    reason = record.last_failure_reason
    return f"{DONE} ({reason})" if reason else DONE


def _first(violations: list[ContractViolation]) -> str:
    return _detail(violations[0]) if violations else "invalid request"


def _detail(violation: ContractViolation) -> str:
    """`message.payloadHex: must match pattern …`: the field as the body (or the query, the
    path) names it, then the rule, as the simulator's own checks word theirs (chosen: KPN
    publishes no validation texts; a Spring service names the field without its location)."""
    where = violation.where
    for location in ("body.", "query.", "path."):
        if where.startswith(location):
            where = where[len(location) :]
            break
    return f"{where}: {violation.message}"


def _oauth_error(status: int, error: str, description: str) -> HttpResponse:
    body = {"error": error, "error_description": description}
    return json_response(status, _dump(body), {"cache-control": "no-store"})


def _dump(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()
