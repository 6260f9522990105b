"""The routes under /_mock/ui: the page and its files, its live feed, and the four small
reads the admin API lacks (bundled scenarios, one exchange in full, a page of device rows,
a class B device's ping slots). Everything the page changes goes through the admin API itself."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from mockserver.clock import from_datetime, timestamp
from mockserver.contract.suggestions import nearest_valid_body
from mockserver.core import DeviceClass
from mockserver.defaults import IN_PROCESS
from mockserver.journal import JournalEntry
from mockserver.lorawan.class_b import BEACON_PERIOD, beacon_start_at, ping_slots_in_period
from mockserver.scenario.loading import bundled_scenarios
from mockserver.simulator.device_pages import page_request, select
from mockserver.types import SECOND
from mockserver.ui.stream import EventStreamResponse, Watcher
from mockserver.ui.summaries import device_summary

if TYPE_CHECKING:
    from mockserver.host import Host
    from mockserver.simulator import Simulator
    from mockserver.tenants import Tenants

STATIC = Path(__file__).resolve().parent / "static"
_MEDIA = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
#: The most ping slots one answer lists: a periodicity-0 device opens 128 per beacon period.
MAX_PING_SLOTS = 1024
#: Device rows in a page of `GET /_mock/ui/devices` when it names no `limit`.
DEVICE_PAGE = 200
#: A ping-slot window with no bounds given: the ten minutes around now.
DEFAULT_SPAN = 300 * SECOND


#: Why an in-process client gets no live feed: its transport reads a body to its end.
IN_PROCESS_STREAM = (
    "the live feed never ends, and a client without a socket (MockServer.client() before "
    "start()) reads a body to its end: read it from the served URL (server.start(), then "
    "server.url + '/_mock/ui/stream'), or poll GET /_mock/journal"
)


def _missing(message: str) -> Response:
    """A 404 saying what is missing (the admin app's 404 handler would say "no route")."""
    return JSONResponse({"error": message}, status_code=404)


def _asset(name: str) -> Response:
    """A file of the page. Only the files shipped beside this module can be named, and they
    are revalidated on each load, so an upgraded package is never shown with stale scripts."""
    path = STATIC / name
    media = _MEDIA.get(path.suffix)
    if media is None or path.parent != STATIC or not path.is_file():
        return _missing(f"no dashboard file {name!r}")
    return Response(path.read_bytes(), media_type=media, headers={"cache-control": "no-cache"})


def ui_routes(host: Host, tenants: Tenants | None) -> list[BaseRoute]:
    """The dashboard of the hosted simulator; `tenants`: the home's (None for a tenant's
    own dashboard), which the page lists and a stream may name."""
    server = host.simulator

    async def page(request: Request) -> Response:
        if not request.url.path.endswith("/"):  # relative links need the directory form
            query = f"?{request.url.query}" if request.url.query else ""
            return RedirectResponse(f"{request.url.path}/{query}", status_code=308)
        return _asset("index.html")

    async def asset(request: Request) -> Response:
        return _asset(request.path_params["name"])

    async def stream(request: Request) -> Response:
        """The live feed. EventSource cannot send headers, so `?tenant=` names the tenant."""
        if request.scope.get(IN_PROCESS):  # it would wait for the end of an endless body
            return JSONResponse({"error": IN_PROCESS_STREAM}, status_code=400)
        name = request.query_params.get("tenant") or None
        target = host
        if name is not None:
            found = tenants.find(name) if tenants is not None else None
            if found is None:
                return _missing(f"no tenant {name!r}")
            target = found.host
        return EventStreamResponse(Watcher(tenants, target, name))

    async def scenarios(request: Request) -> Response:
        return JSONResponse(
            [
                {"name": scenario.name, "description": scenario.description}
                for scenario in bundled_scenarios()
            ]
        )

    async def exchange(request: Request) -> Response:
        """One journal entry in full, with the nearest valid body when its body broke a rule."""
        sequence = request.path_params["sequence"]
        entry = next((e for e in server.journal.entries() if e.sequence == sequence), None)
        if entry is None:
            return _missing(f"no exchange {sequence} in the journal")
        return JSONResponse({**entry.to_json(), "nearest_valid_body": _nearest(server, entry)})

    async def devices(request: Request) -> Response:
        """A page of device rows, as the stream sends them, for a world larger than the
        stream lists (`MAX_DEVICES`): the page's search box and pager read it."""
        try:
            asked = page_request(request.query_params, default_limit=DEVICE_PAGE)
        except ValueError as error:
            raise HTTPException(400, str(error)) from None
        with host.lock:
            page = select(server.network, asked)
            rows = [device_summary(server, device) for device in page.devices]
        return JSONResponse(
            {"total": page.total, "offset": asked.offset, "limit": asked.limit, "devices": rows}
        )

    async def ping_slots(request: Request) -> Response:
        device_id = request.path_params["device_id"]
        device = server.network.find(device_id)
        if device is None:
            return _missing(f"no device {device_id!r}")
        now = server.clock.now_us()
        start = _instant(request, "from", now - DEFAULT_SPAN)
        end = _instant(request, "to", now + DEFAULT_SPAN)
        if end < start:
            raise HTTPException(400, "`to` must not be before `from`")
        slots: list[str] = []
        if device.device_class is DeviceClass.B and device.session is not None:
            period = beacon_start_at(start)
            while period <= end and len(slots) < MAX_PING_SLOTS:
                for slot in ping_slots_in_period(
                    period, device.session.dev_addr, device.ping_slot_periodicity
                ):
                    if start <= slot <= end and len(slots) < MAX_PING_SLOTS:
                        slots.append(timestamp(slot))
                period += BEACON_PERIOD
        return JSONResponse(
            {"periodicity": device.ping_slot_periodicity, "slots": slots},
        )

    return [
        Route("/_mock/ui", page, methods=["GET"]),
        Route("/_mock/ui/", page, methods=["GET"]),
        Route("/_mock/ui/stream", stream, methods=["GET"]),
        Route("/_mock/ui/scenarios", scenarios, methods=["GET"]),
        Route("/_mock/ui/journal/{sequence:int}", exchange, methods=["GET"]),
        Route("/_mock/ui/devices", devices, methods=["GET"]),
        Route("/_mock/ui/devices/{device_id}/ping-slots", ping_slots, methods=["GET"]),
        Route("/_mock/ui/{name}", asset, methods=["GET"]),
    ]


def _instant(request: Request, name: str, default: int) -> int:
    text = request.query_params.get(name)
    if not text:
        return default
    try:
        instant = from_datetime(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except (ValueError, OverflowError):
        instant = -1
    if instant < 0:
        raise HTTPException(400, f"`{name}` must be an ISO 8601 time from 1970 on")
    return instant


def _nearest(server: Simulator, entry: JournalEntry) -> Any:
    """As a failing test shows it: only for a request whose body broke its description."""
    if not any(v.direction == "request" and v.where.startswith("body") for v in entry.violations):
        return None
    operation = next((op for op in server.contract.operations() if op.key == entry.operation), None)
    return nearest_valid_body(operation, entry.request.body) if operation is not None else None
