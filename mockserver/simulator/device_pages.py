"""Pages of a world's devices, found by a search: how the admin listing
(`GET /_mock/devices`) and the dashboard (`GET /_mock/ui/devices`) reach every device of a
world too large to send at once.

A page is `limit` devices from `offset` in the world's order (the order devices were added,
which the world file and the admin API's creates decide), of those that match `q` (a
case-insensitive piece of the device's id, DevEUI or bearer) and `provider`. Pages are
bounded (`MAX_PAGE`): a world of a hundred thousand devices is read page by page, never
written into one answer. Offsets count devices, so a device added or removed between two
reads moves the ones after it by one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import islice
from urllib.parse import urlencode

from mockserver.core import Device, Network

#: The most devices one page holds, and a page's size when `limit` is not given.
MAX_PAGE = 10_000
#: The longest search text: longer than any id, DevEUI or bearer it could match.
MAX_QUERY = 200
#: Digits an offset may have: more than any world holds, fewer than a slow conversion.
_MAX_DIGITS = 12


@dataclass(frozen=True)
class PageRequest:
    q: str = ""
    provider: str | None = None
    offset: int = 0
    limit: int = MAX_PAGE

    def query(self, offset: int) -> str:
        """This request's query string at another offset (a `Link: rel=next`'s)."""
        pairs = [("q", self.q)] if self.q else []
        if self.provider:
            pairs.append(("provider", self.provider))
        pairs += [("offset", str(offset)), ("limit", str(self.limit))]
        return urlencode(pairs)


@dataclass(frozen=True)
class Page:
    total: int  # devices that match, on every page
    devices: list[Device]
    request: PageRequest

    @property
    def next_offset(self) -> int | None:
        """Where the next page starts, or None when this one reaches the last match."""
        following = self.request.offset + len(self.devices)
        return following if following < self.total and self.devices else None


def page_request(params: Mapping[str, str], default_limit: int = MAX_PAGE) -> PageRequest:
    """`q`, `provider`, `offset` and `limit` of a query string; ValueError (with the
    parameter and its bounds) for a value out of them, which the routes answer 400."""
    q = params.get("q", "")
    if len(q) > MAX_QUERY:
        raise ValueError(f"q must be at most {MAX_QUERY} characters")
    provider = params.get("provider") or None
    offset = _whole(params.get("offset"), "offset", 0)
    limit = _whole(params.get("limit"), "limit", default_limit)
    if limit > MAX_PAGE:
        raise ValueError(f"limit must be a whole number from 0 to {MAX_PAGE} (the page bound)")
    return PageRequest(q=q.strip().lower(), provider=provider, offset=offset, limit=limit)


def _whole(text: str | None, name: str, default: int) -> int:
    if text is None or text == "":
        return default
    if not (text.isascii() and text.isdigit()) or len(text) > _MAX_DIGITS:
        bound = f"0 to {MAX_PAGE}" if name == "limit" else f"0 up, at most {_MAX_DIGITS} digits"
        raise ValueError(f"{name} must be a whole number ({bound})")
    return int(text)


def _matches(device: Device, request: PageRequest) -> bool:
    if request.provider is not None and device.provider != request.provider:
        return False
    if not request.q:
        return True
    q = request.q
    return q in device.id.lower() or q in (device.dev_eui or "").lower() or q in device.bearer


def select(network: Network, request: PageRequest) -> Page:
    """The page `request` asks for, and how many devices match in all."""
    if not request.q and request.provider is None:
        total = len(network)
        stop = request.offset + request.limit
        devices = list(islice(network, request.offset, stop))
        return Page(total, devices, request)
    found = [device for device in network if _matches(device, request)]
    window = found[request.offset : request.offset + request.limit]
    return Page(len(found), window, request)
