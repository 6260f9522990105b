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
import functools
import hashlib
import hmac
import ipaddress
import json
import re
from bisect import bisect_left
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from operator import attrgetter
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from mockserver.clock import from_datetime
from mockserver.contract import HttpRequest
from mockserver.providers.kpn.devices import DeviceBook, KpnDevice
from mockserver.providers.kpn.problems import Problem
from mockserver.providers.kpn.records import ACTUATOR, Record, parse_duration, represent
from mockserver.providers.kpn.store import RecordStore
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

    def page(
        self, request: HttpRequest, api: str, client: str, store: RecordStore
    ) -> dict[str, Any]:
        """One page of the client's downlinks of `api` as the request's query selects it.

        Served from the store's indexes (store.py): without `q`, the `modified…` filters or
        a `sort`, a page is a slice of one index, O(log n + page); otherwise the narrowest
        index is scanned (and sorted, for `sort`), O(what that index holds)."""
        given = dict(parse_qsl(request.query, keep_blank_values=True))
        limit = _limit(given.get("limit"))
        query = {name: value for name, value in given.items() if name in FILTERS[api]}
        if "sort" in given:
            query["sort"] = given["sort"]
        selection = self._select(query, api, client, store)
        fields = _sort_fields(query.get("sort"), api)
        fingerprint = self._fingerprint(query)
        offset = self._offset(given.get("cursor"), fingerprint)
        chosen, more = selection.window(offset, limit, fields, api)
        page: dict[str, Any] = {"items": [represent(record) for record in chosen]}
        if more:
            page["next"] = self._link(request, given, offset + limit, fingerprint)
        if offset > 0:
            page["prev"] = self._link(request, given, max(0, offset - limit), fingerprint)
        return page

    # -- filters ---------------------------------------------------------------------------
    def _select(
        self, query: Mapping[str, str], api: str, client: str, store: RecordStore
    ) -> _Selection:
        """The narrowest index holding the answer, the range of it the created… filters
        leave, and a test for what no index answers. Bad filter values raise Problem in
        the order the query's filters are checked."""
        device: KpnDevice | None = None
        if "deviceId" in query:
            device = self.devices.resolve(query["deviceId"])
        status = query.get("status")
        instants = {name: _instant(name, query[name]) for name in _TIMES if name in query}
        if "deviceId" in query and device is None:
            return _Selection([], 0, 0, None)  # names no device: an empty list
        index = store.index(api, client, device, status)
        low, high = 0, len(index)
        tests: list[Callable[[Record], bool]] = []
        for name, field, before in zip(
            _TIMES,
            ("created_at", "created_at", "modified_at", "modified_at"),
            (True, False, True, False),
            strict=True,
        ):
            if name not in instants:
                continue
            if field == "created_at" and store.monotonic:
                at = bisect_left(index, instants[name], low, high, key=_created)
                low, high = (low, at) if before else (at, high)
                high = max(low, high)
            else:
                tests.append(_time_test(field, instants[name], before))
        if "q" in query:
            tests.append(_search(query["q"]))
        test: Callable[[Record], bool] | None = None
        if len(tests) == 1:
            test = tests[0]
        elif tests:
            test = lambda record: all(check(record) for check in tests)  # noqa: E731
        return _Selection(index, low, high, test, store.monotonic)

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


def _created(record: Record) -> Micros:
    return record.created_at


def _search(term: str) -> Callable[[Record], bool]:
    """`q`: a device tag equal to the term, or the term inside networkId or inside a value
    of the message (the SenML records' names, strings, numbers as JSON writes them; never
    their keys), case-sensitively, comparing Unicode characters."""

    def matches(record: Record) -> bool:
        if term in record.device.tags or term in record.device_ref:
            return True
        return any(term in value for value in record.values)

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


def _sort_fields(raw: str | None, api: str) -> list[tuple[str, bool]]:
    """`sort=createdAt,-status`: fields of the representation, `-` for descending."""
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
    return fields


#: Each sortable field as the representation (records.represent) shows it, read from the
#: record without building the representation; `None` where the representation leaves the
#: field out. Times are compared in whole milliseconds, as their text (RFC 3339 with
#: milliseconds) compares. tests/providers/kpn/test_list_indexes.py checks these against
#: represent() on a randomized store.
_FIELDS: dict[str, Callable[[Record], Any]] = {
    "id": lambda record: record.id,
    "status": lambda record: record.status,
    "createdAt": lambda record: record.created_at // 1000,
    "modifiedAt": lambda record: record.modified_at // 1000,
    "deviceId": lambda record: record.device_ref,
    "networkId": lambda record: record.device_ref,
    "feedbackTimeout": lambda record: record.feedback_timeout,
    "dryRun": lambda record: record.dry_run,
    "lastFailureReason": lambda record: record.last_failure_reason or None,
    "retryLimit": lambda record: record.retry_limit,
    "retryCount": lambda record: record.retry_count,
    "iccId": lambda record: record.device.iccid or None,
    "externalReference": lambda record: record.external_reference,
    "message": lambda record: record.message_text,
}


#: Fields every representation carries (never absent), read in C: their sort key is the
#: value itself, which orders as `_key`'s `(1, value)` does.
_PRESENT: dict[str, Callable[[Record], Any]] = {
    "id": attrgetter("id"),
    "status": attrgetter("status"),
    "deviceId": attrgetter("device_ref"),
    "networkId": attrgetter("device_ref"),
    "dryRun": attrgetter("dry_run"),
    "retryLimit": attrgetter("retry_limit"),
    "retryCount": attrgetter("retry_count"),
    "message": attrgetter("message_text"),
    "createdAt": _FIELDS["createdAt"],
    "modifiedAt": _FIELDS["modifiedAt"],
}


class _Selection:
    """`index[low:high]`, less what `test` refuses: the records a list query selects, in
    creation order (`created_at` never decreasing along it when `monotonic`)."""

    def __init__(
        self,
        index: list[Record],
        low: int,
        high: int,
        test: Callable[[Record], bool] | None,
        monotonic: bool = True,
    ) -> None:
        self.index, self.low, self.high, self.test = index, low, high, test
        self.monotonic = monotonic

    def window(
        self, offset: int, limit: int, fields: list[tuple[str, bool]], api: str
    ) -> tuple[list[Record], bool]:
        """The records at `offset`..`offset + limit` of the selection in the requested
        order, and whether any follows them."""
        index, low, high, test = self.index, self.low, self.high, self.test
        if self.monotonic and [name for name, _ in fields] == ["createdAt"]:
            # Creation order is createdAt order: no sort needed, O(offset + page).
            if fields[0][1]:
                return _take(_newest_first(index, low, high), test, offset, limit)
            fields = []
        if fields:
            chosen = [index[i] for i in range(low, high) if test is None or test(index[i])]
            for name, descending in reversed(fields):  # stable: ties keep creation order
                chosen.sort(key=_sort_key(name), reverse=descending)
            return chosen[offset : offset + limit], offset + limit < len(chosen)
        if test is None:
            start = low + offset
            return index[start : min(start + limit, high)], start + limit < high
        return _take((index[i] for i in range(low, high)), test, offset, limit)


def _take(
    records: Iterator[Record], test: Callable[[Record], bool] | None, offset: int, limit: int
) -> tuple[list[Record], bool]:
    """The `limit` records after the first `offset` that pass `test`; whether more pass."""
    found: list[Record] = []
    skip = offset
    for record in records:
        if test is not None and not test(record):
            continue
        if skip:
            skip -= 1
        elif len(found) == limit:
            return found, True
        else:
            found.append(record)
    return found, False


def _newest_first(index: list[Record], low: int, high: int) -> Iterator[Record]:
    """`sort=-createdAt` on an index in creation order: milliseconds newest first, and
    within one millisecond creation order (the stable sort's tie order)."""
    end = high
    while end > low:
        millisecond = index[end - 1].created_at // 1000
        start = end - 1
        while start > low and index[start - 1].created_at // 1000 == millisecond:
            start -= 1
        yield from index[start:end]
        end = start


def _sort_key(name: str) -> Callable[[Record], Any]:
    if name in _PRESENT:
        return _PRESENT[name]
    value = _FIELDS[name]
    return lambda record: _key(name, value(record))


def _key(name: str, value: Any) -> tuple[int, Any]:
    """Absent values first; durations by their length (`PT10M` before `PT2H`)."""
    if value is None:
        return (0, "")
    if name == "feedbackTimeout":
        return _duration_key(value)
    return (1, value)


@functools.lru_cache(maxsize=4096)
def _duration_key(text: str) -> tuple[int, Any]:
    """A feedbackTimeout's sort key; cached, as a store holds few distinct durations."""
    try:
        return (1, parse_duration(text))
    except ValueError:
        return (2, text)
