"""Pages of downlinks: filters, `q`, `sort`, `limit`, an opaque `cursor` and absolute links.

The cursor is base64url JSON `{"o": offset, "k": fingerprint}` plus an HMAC tag: it encodes
"all necessary information to retrieve a page" (the spec's words) for the query it came
from. A cursor that was altered, or is replayed with other filters or sort, is refused with
400 rather than silently giving a wrong page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from mockserver.clock import from_datetime
from mockserver.contract import HttpRequest
from mockserver.providers.kpn.devices import DeviceBook
from mockserver.providers.kpn.problems import Problem
from mockserver.providers.kpn.records import Record, represent
from mockserver.types import Micros

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
_TAG_BYTES = 12


class Lister:
    def __init__(self, devices: DeviceBook, seed: int) -> None:
        self.devices = devices
        self._key = hashlib.sha256(f"mockserver-kpn-cursor:{seed}".encode()).digest()

    def page(self, request: HttpRequest, api: str, records: list[Record]) -> dict[str, Any]:
        """One page of `records` (in creation order) as the request's query selects it."""
        query = dict(parse_qsl(request.query, keep_blank_values=True))
        limit = _limit(query.get("limit"))
        keep = self._filter(query)
        sort = _sorter(query.get("sort"), api)
        fingerprint = self._fingerprint(query)
        offset = self._offset(query.get("cursor"), fingerprint)
        chosen = sort([represent(record) for record in records if keep(record)])
        page: dict[str, Any] = {"items": chosen[offset : offset + limit]}
        if offset + limit < len(chosen):
            page["next"] = self._link(request, query, offset + limit, fingerprint)
        if offset > 0:
            page["prev"] = self._link(request, query, max(0, offset - limit), fingerprint)
        return page

    # -- filters ---------------------------------------------------------------------------
    def _filter(self, query: Mapping[str, str]) -> Callable[[Record], bool]:
        tests: list[Callable[[Record], bool]] = []
        if "deviceId" in query:
            device = self.devices.resolve(query["deviceId"])
            tests.append(lambda record: record.device is device)
        if "status" in query:
            tests.append(lambda record: record.status == query["status"])
        for name, field, before in (
            ("createdBefore", "created_at", True),
            ("createdSince", "created_at", False),
            ("modifiedBefore", "modified_at", True),
            ("modifiedSince", "modified_at", False),
        ):
            if name in query:
                tests.append(_time_test(field, _instant(name, query[name]), before))
        if "q" in query:
            tests.append(_search(query["q"]))
        return lambda record: all(test(record) for test in tests)

    # -- cursor ----------------------------------------------------------------------------
    def _fingerprint(self, query: Mapping[str, str]) -> str:
        relevant = sorted((k, v) for k, v in query.items() if k not in ("cursor", "limit"))
        return hashlib.sha256(json.dumps(relevant).encode()).hexdigest()[:16]

    def _cursor(self, offset: int, fingerprint: str) -> str:
        body = json.dumps({"o": offset, "k": fingerprint}, separators=(",", ":")).encode()
        tag = hmac.new(self._key, body, hashlib.sha256).digest()[:_TAG_BYTES]
        return base64.urlsafe_b64encode(tag + body).rstrip(b"=").decode()

    def _offset(self, cursor: str | None, fingerprint: str) -> int:
        if cursor is None:
            return 0
        invalid = Problem(400, "The cursor is invalid, or belongs to another query")
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (binascii.Error, ValueError):
            raise invalid from None
        tag, body = raw[:_TAG_BYTES], raw[_TAG_BYTES:]
        expected = hmac.new(self._key, body, hashlib.sha256).digest()[:_TAG_BYTES]
        if not hmac.compare_digest(tag, expected):
            raise invalid
        content = json.loads(body)
        if content.get("k") != fingerprint or not isinstance(content.get("o"), int):
            raise invalid
        return max(0, content["o"])

    def _link(
        self, request: HttpRequest, query: Mapping[str, str], offset: int, fingerprint: str
    ) -> str:
        params = {k: v for k, v in query.items() if k != "cursor"}
        params["cursor"] = self._cursor(offset, fingerprint)
        host = request.headers.get("host", "api.kpnthings.com")
        scheme = request.headers.get("x-forwarded-proto", "http")
        return f"{scheme}://{host}{request.path}?{urlencode(params)}"


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise Problem(400, "limit must be an integer") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise Problem(400, f"limit must be between 1 and {MAX_LIMIT}")
    return limit


def _instant(name: str, raw: str) -> Micros:
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise Problem(400, f"{name} must be an ISO 8601 date-time") from None
    return from_datetime(moment)


def _time_test(field: str, instant: Micros, before: bool) -> Callable[[Record], bool]:
    if before:
        return lambda record: getattr(record, field) < instant
    return lambda record: getattr(record, field) >= instant


def _search(term: str) -> Callable[[Record], bool]:
    """`q`: a device tag equal to the term, or the term inside networkId or message."""

    def matches(record: Record) -> bool:
        if term in record.device.tags:
            return True
        message = json.dumps(record.message, separators=(",", ":"))
        return term in record.device_ref or term in message

    return matches


_COMMON = ("id", "status", "createdAt", "modifiedAt")
_PROTOCOL = (*_COMMON, "deviceId", "feedbackTimeout", "dryRun", "lastFailureReason")
#: The scalar fields of each API's representation: what `sort` may name.
SORTABLE: dict[str, tuple[str, ...]] = {
    "actuator": (*_COMMON, "networkId", "externalReference", "message"),
    "lora": (*_PROTOCOL, "retryLimit", "retryCount"),
    "sms": (*_PROTOCOL, "retryLimit", "retryCount", "iccId"),
    "http": _PROTOCOL,
    "mqtt": _PROTOCOL,
}


def _sorter(raw: str | None, api: str) -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]]:
    """`sort=createdAt,-status`: fields of the representation, `-` for descending. Items
    come in creation order, which also breaks ties (the sorts are stable)."""
    fields: list[tuple[str, bool]] = []
    for part in (raw or "").split(","):
        part = part.strip()
        descending = part.startswith("-")
        name = part.removeprefix("-").removeprefix("+")
        if not part:
            continue
        if name not in SORTABLE[api]:
            raise Problem(400, f"Cannot sort by {name!r}: not a field of the representation")
        fields.append((name, descending))

    def apply(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for name, descending in reversed(fields):
            items.sort(key=lambda item: _key(item.get(name)), reverse=descending)
        return items

    return apply


def _key(value: Any) -> tuple[int, Any]:
    return (0, "") if value is None else (1, value)
