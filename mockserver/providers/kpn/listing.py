"""Pages of downlinks: filters, `q`, `sort`, `limit`, an opaque `cursor` and absolute links.

Each list applies only the filters its published operation declares (`FILTERS`); other
query parameters are ignored, as a Spring service ignores request parameters it does not
bind. The cursor is base64url JSON `{"o": offset, "k": fingerprint}` plus an HMAC tag: it
encodes "all necessary information to retrieve a page" (the spec's words) for the query it
came from. A cursor that was altered, or is replayed with other filters or sort, is refused
with 400 rather than silently giving a wrong page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import json
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from mockserver.clock import from_datetime
from mockserver.contract import HttpRequest
from mockserver.providers.kpn.devices import DeviceBook
from mockserver.providers.kpn.problems import Problem
from mockserver.providers.kpn.records import ACTUATOR, Record, parse_duration, represent
from mockserver.types import Micros

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
_TAG_BYTES = 12
_TIMES = ("createdBefore", "createdSince", "modifiedBefore", "modifiedSince")
_PROTOCOL_FILTERS = ("deviceId", "status", *_TIMES)
#: The filters each list operation declares in its published spec (`q` only on `/downlinks`,
#: `deviceId` and `status` only on the protocol APIs).
FILTERS: dict[str, tuple[str, ...]] = {
    ACTUATOR: ("q", *_TIMES),
    "lora": _PROTOCOL_FILTERS,
    "sms": _PROTOCOL_FILTERS,
    "http": _PROTOCOL_FILTERS,
    "mqtt": _PROTOCOL_FILTERS,
}


class Lister:
    def __init__(self, devices: DeviceBook, seed: int, public_url: Callable[[], str]) -> None:
        self.devices = devices
        self._key = hashlib.sha256(f"mockserver-kpn-cursor:{seed}".encode()).digest()
        self._public_url = public_url

    def page(self, request: HttpRequest, api: str, records: list[Record]) -> dict[str, Any]:
        """One page of `records` (in creation order) as the request's query selects it."""
        given = dict(parse_qsl(request.query, keep_blank_values=True))
        limit = _limit(given.get("limit"))
        query = {name: value for name, value in given.items() if name in FILTERS[api]}
        if "sort" in given:
            query["sort"] = given["sort"]
        keep = self._filter(query)
        sort = _sorter(query.get("sort"), api)
        fingerprint = self._fingerprint(query)
        offset = self._offset(given.get("cursor"), fingerprint)
        chosen = sort([represent(record) for record in records if keep(record)])
        page: dict[str, Any] = {"items": chosen[offset : offset + limit]}
        if offset + limit < len(chosen):
            page["next"] = self._link(request, given, offset + limit, fingerprint)
        if offset > 0:
            page["prev"] = self._link(request, given, max(0, offset - limit), fingerprint)
        return page

    # -- filters ---------------------------------------------------------------------------
    def _filter(self, query: Mapping[str, str]) -> Callable[[Record], bool]:
        tests: list[Callable[[Record], bool]] = []
        if "deviceId" in query:
            device = self.devices.resolve(query["deviceId"])
            tests.append(lambda record: record.device is device)
        if "status" in query:
            tests.append(lambda record: record.status == query["status"])
        for name, field, before in zip(
            _TIMES,
            ("created_at", "created_at", "modified_at", "modified_at"),
            (True, False, True, False),
            strict=True,
        ):
            if name in query:
                tests.append(_time_test(field, _instant(name, query[name]), before))
        if "q" in query:
            tests.append(_search(query["q"]))
        return lambda record: all(test(record) for test in tests)

    # -- cursor ----------------------------------------------------------------------------
    def _fingerprint(self, query: Mapping[str, str]) -> str:
        """The declared filters and the sort: what a cursor's offset is an offset into."""
        return hashlib.sha256(json.dumps(sorted(query.items())).encode()).hexdigest()[:16]

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
        offset = content.get("o")
        if content.get("k") != fingerprint or not isinstance(offset, int):
            raise invalid
        return max(0, offset)

    def _link(
        self, request: HttpRequest, query: Mapping[str, str], offset: int, fingerprint: str
    ) -> str:
        params = {k: v for k, v in query.items() if k != "cursor"}
        params["cursor"] = self._cursor(offset, fingerprint)
        return f"{self._base_url(request)}{request.path}?{urlencode(params)}"

    def _base_url(self, request: HttpRequest) -> str:
        """Where the client reached us: `X-Forwarded-Proto` / `X-Forwarded-Host` (first
        value) from a proxy, else `http` and `Host`; a value that is not `http`/`https` or
        not a valid `host[:port]` is ignored, and without a valid host the simulator's own
        URL is used, so a link is always a valid absolute URI."""
        own = urlsplit(self._public_url())
        forwarded_scheme = _first(request.headers.get("x-forwarded-proto")).lower()
        scheme = forwarded_scheme if forwarded_scheme in ("http", "https") else "http"
        for host in (
            _first(request.headers.get("x-forwarded-host")),
            request.headers.get("host", "").strip(),
        ):
            if _valid_authority(host):
                return f"{scheme}://{host}"
        return f"{own.scheme or 'http'}://{own.netloc}"


_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_AUTHORITY = re.compile(
    rf"(?P<host>{_LABEL}(?:\.{_LABEL})*\.?|\[(?P<ipv6>[0-9A-Fa-f:.]+)\])(?::(?P<port>[0-9]{{1,5}}))?"
)


def _first(header: str | None) -> str:
    """The first of a proxy chain's comma-separated values (the client's side)."""
    return (header or "").split(",", 1)[0].strip()


def _valid_authority(text: str) -> bool:
    """`host[:port]` as a URI's authority: DNS name or IPv4, `[IPv6]`, port 0..65535."""
    found = _AUTHORITY.fullmatch(text)
    if found is None or len(found["host"]) > 255:
        return False
    if found["port"] is not None and int(found["port"]) > 65535:
        return False
    if found["ipv6"] is not None:
        try:
            ipaddress.IPv6Address(found["ipv6"])
        except ValueError:
            return False
    return True


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
    """`q`: a device tag equal to the term, or the term inside networkId or inside a value
    of the message (the SenML records' names, strings, numbers as JSON writes them; never
    their keys), case-sensitively, comparing Unicode characters."""

    def matches(record: Record) -> bool:
        if term in record.device.tags or term in record.device_ref:
            return True
        return any(term in value for value in _values(record.message))

    return matches


def _values(node: Any) -> Iterator[str]:
    """The scalar values of a JSON value, as text (strings as they are)."""
    if isinstance(node, dict):
        for item in node.values():
            yield from _values(item)
    elif isinstance(node, list):
        for item in node:
            yield from _values(item)
    elif isinstance(node, str):
        yield node
    elif node is not None:
        yield json.dumps(node)


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
            items.sort(key=lambda item: _key(name, item.get(name)), reverse=descending)
        return items

    return apply


def _key(name: str, value: Any) -> tuple[int, Any]:
    """Absent values first; durations by their length (`PT10M` before `PT2H`)."""
    if value is None:
        return (0, "")
    if name == "feedbackTimeout":
        try:
            return (1, parse_duration(value))
        except ValueError:
            return (2, value)
    return (1, value)
