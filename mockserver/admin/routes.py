"""Routes of the admin API. Each one is a thin call into `MockServer` under its lock."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mockserver.admin.representations import (
    coverage_json,
    device_json,
    downlink_json,
    event_json,
    timestamp,
    uplink_json,
)
from mockserver.clock import VirtualClock, to_datetime
from mockserver.core import DeviceClass, DeviceExists, Session, UnknownDevice
from mockserver.lorawan.regions import band
from mockserver.reports import FORMATS, build_report, render
from mockserver.scenario.loading import (
    ScenarioError,
    find_bundled_scenario,
    parse_scenario,
    read_scenario,
)
from mockserver.scenario.model import Scenario
from mockserver.tenants import MAX_TENANTS, TENANT_HEADER
from mockserver.types import seconds

if TYPE_CHECKING:
    from mockserver.server import MockServer


#: The longest single clock advance: a virtual-time test has no use for more, and a value
#: such as 1e300 would move the clock past what a timestamp can show.
MAX_ADVANCE_SECONDS = 100 * 365.25 * 86_400  # 100 years
RX1_DELAYS = range(1, 16)  # LoRaWAN's RxTimingSetupReq: 1..15 s
_DEV_ADDR = re.compile("[0-9A-Fa-f]{8}")


def check_advance(clock: VirtualClock, by: Any) -> None:
    """Refuse an advance before the clock moves: a failure after it would leave every later
    call (which writes the time) failing too."""
    if (
        isinstance(by, bool)
        or not isinstance(by, int | float)
        or not 0 <= by <= MAX_ADVANCE_SECONDS  # NaN and ±inf fail it too
    ):
        raise HTTPException(
            400, f"seconds must be a number from 0 to {MAX_ADVANCE_SECONDS:.0f} (100 years)"
        )
    try:
        to_datetime(clock.now_us() + seconds(by))
    except (OverflowError, ValueError):
        raise HTTPException(400, "the clock cannot go past the year 9999") from None


def device_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """The device attributes a PATCH sets, each checked, so that a refused PATCH changes
    nothing and an accepted one cannot break a later uplink."""
    attributes: dict[str, Any] = {}
    if "class" in changes:
        attributes["device_class"] = DeviceClass(changes["class"])
    if "band" in changes:
        name = changes["band"]
        if not isinstance(name, str):
            raise TypeError("band must be a string")
        band(name)  # ValueError naming the known bands
        attributes["band"] = name
    if "rx1_delay" in changes:
        delay = changes["rx1_delay"]
        if isinstance(delay, bool) or not isinstance(delay, int | float) or delay not in RX1_DELAYS:
            raise ValueError("rx1_delay must be a whole number of seconds from 1 to 15")
        attributes["rx1_delay"] = seconds(delay)
    if "session" in changes:
        session = changes["session"]
        attributes["session"] = Session(dev_addr=_dev_addr(session)) if session else None
    return attributes


def _dev_addr(session: Any) -> int:
    """`dev_addr` as the world files write it: eight hex digits."""
    if not isinstance(session, dict):
        raise TypeError("session must be an object or null")
    text = session["dev_addr"]
    if not isinstance(text, str) or _DEV_ADDR.fullmatch(text) is None:
        raise ValueError("session.dev_addr must be 8 hex digits")
    return int(text, 16)


def build_admin_app(server: MockServer) -> Starlette:
    from mockserver.ui import ui_routes  # here: the dashboard builds on this package

    async def body(request: Request) -> dict[str, Any]:
        raw = await request.body()
        if not raw:
            return {}
        try:
            document = json.loads(raw)  # Infinity parses: each route refuses it by name
        except (ValueError, RecursionError):
            raise HTTPException(400, "the body is not JSON") from None
        if not isinstance(document, dict):
            raise HTTPException(400, "the body must be a JSON object")
        return document

    def device_or_404(device_id: str):  # type: ignore[no-untyped-def]
        try:
            return server.network.get(device_id)
        except UnknownDevice:
            raise HTTPException(404, f"no device {device_id!r}") from None

    async def health(request: Request) -> Response:
        return JSONResponse(
            {
                "status": "ok",
                "providers": {name: list(p.prefixes) for name, p in server.providers.items()},
                "clock": {"kind": server.clock.kind, "now": timestamp(server.clock.now_us())},
                "devices": len(server.network),
            }
        )

    async def reset(request: Request) -> Response:
        server.reset()
        return JSONResponse({"status": "reset"})

    async def list_devices(request: Request) -> Response:
        with server.lock:
            return JSONResponse([device_json(device) for device in server.network])

    async def create_device(request: Request) -> Response:
        spec = await body(request)
        name = spec.pop("provider", "tts")
        provider = server.providers.get(name) if isinstance(name, str) else None
        if provider is None:
            raise HTTPException(400, "unknown provider")
        with server.lock:
            try:
                device = provider.create_device(spec)
            except DeviceExists as error:
                raise HTTPException(409, f"device {error} exists") from None
            except (ValueError, KeyError, NotImplementedError) as error:
                raise HTTPException(400, str(error)) from None
            return JSONResponse(device_json(device), status_code=201)

    async def get_device(request: Request) -> Response:
        with server.lock:
            return JSONResponse(device_json(device_or_404(request.path_params["device_id"])))

    async def update_device(request: Request) -> Response:
        changes = await body(request)
        with server.lock:
            device = device_or_404(request.path_params["device_id"])
            try:
                attributes = device_changes(changes)
            except (ValueError, KeyError, TypeError) as error:
                raise HTTPException(400, f"invalid change: {error}") from None
            for attribute, value in attributes.items():  # all checked: none or all change
                setattr(device, attribute, value)
            return JSONResponse(device_json(device))

    async def delete_device(request: Request) -> Response:
        with server.lock:
            device = device_or_404(request.path_params["device_id"])
            server.providers[device.provider].delete_device(device)
        return Response(status_code=204)

    async def device_queue(request: Request) -> Response:
        with server.lock:
            device = device_or_404(request.path_params["device_id"])
            if request.method == "DELETE":
                device.queue.clear()
                return Response(status_code=204)
            return JSONResponse([downlink_json(d) for d in device.queue.snapshot()])

    async def uplinks(request: Request) -> Response:
        spec = await body(request)
        device_id = request.path_params["device_id"]
        device_or_404(device_id)
        for name in ("f_port", "data_rate", "frequency"):
            value = spec.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise HTTPException(400, f"invalid uplink: {name} must be an integer")
        for name in ("confirmed", "ack"):
            if not isinstance(spec.get(name, False), bool):
                raise HTTPException(400, f"invalid uplink: {name} must be true or false")
        if not isinstance(spec.get("frm_payload", ""), str):
            raise HTTPException(400, "invalid uplink: frm_payload must be base64 text")
        try:
            payload = base64.b64decode(spec.get("frm_payload", ""), validate=True)
            uplink = server.uplink(
                device_id,
                f_port=spec.get("f_port"),
                frm_payload=payload,
                confirmed=spec.get("confirmed", False),
                ack=spec.get("ack", False),
                data_rate=spec.get("data_rate"),
                frequency=spec.get("frequency"),
            )
        except (ValueError, TypeError, binascii.Error) as error:
            raise HTTPException(400, f"invalid uplink: {error}") from None
        return JSONResponse(uplink_json(uplink), status_code=201)

    async def events(request: Request) -> Response:
        device = device_or_404(request.path_params["device_id"])
        return JSONResponse(
            [event_json(event, device) for event in server.network.timeline(device.id)]
        )

    async def journal(request: Request) -> Response:
        if request.method == "DELETE":
            server.journal.clear()
            return Response(status_code=204)
        entries = server.journal.entries()
        for name in ("provider", "operation"):
            wanted = request.query_params.get(name)
            if wanted:
                entries = [entry for entry in entries if getattr(entry, name) == wanted]
        limit = request.query_params.get("limit")
        if limit and limit.isdigit():
            entries = entries[-int(limit) :]
        return JSONResponse([entry.to_json() for entry in entries])

    async def outbound(request: Request) -> Response:
        if request.method == "DELETE":
            server.outbound.clear()
            return Response(status_code=204)
        return JSONResponse([attempt.to_json() for attempt in server.outbound.attempts()])

    async def violations(request: Request) -> Response:
        log = server.contract.log
        return JSONResponse(
            {
                "violations": [violation.to_json() for violation in log.violations],
                "dropped": log.dropped,
            }
        )

    async def coverage(request: Request) -> Response:
        return JSONResponse(coverage_json(server.contract))

    async def report(request: Request) -> Response:
        kind = request.query_params.get("format", "json")
        if kind not in FORMATS:
            raise HTTPException(400, f"format must be one of {', '.join(FORMATS)}")
        providers = request.query_params.getlist("provider") or None
        try:
            body = render(build_report(server.contract, providers_only=providers), kind)
        except ValueError as error:
            raise HTTPException(400, str(error)) from None
        media = {
            "json": "application/json",
            "junit": "application/xml",
            "markdown": "text/markdown; charset=utf-8",
        }[kind]
        return Response(body, media_type=media)

    async def run_until_idle(request: Request) -> Response:
        if not isinstance(server.clock, VirtualClock):
            raise HTTPException(409, "the server runs on the real clock")
        with server.lock:
            fired = server.clock.run_until_idle()
        return JSONResponse(
            {"kind": server.clock.kind, "now": timestamp(server.clock.now_us()), "fired": fired}
        )

    async def clock(request: Request) -> Response:
        if request.method == "POST":
            if not isinstance(server.clock, VirtualClock):
                raise HTTPException(409, "the server runs on the real clock")
            by = (await body(request)).get("seconds", 0)
            with server.lock:
                check_advance(server.clock, by)
                server.clock.advance(by)
        return JSONResponse({"kind": server.clock.kind, "now": timestamp(server.clock.now_us())})

    async def requested_scenario(request: Request) -> Scenario:
        """The scenario a PUT names (a bundled one only: never a path on this machine) or
        carries as YAML or JSON."""
        if "yaml" in request.headers.get("content-type", ""):
            try:
                text = (await request.body()).decode("utf-8")
            except UnicodeDecodeError:
                raise HTTPException(400, "the YAML body is not UTF-8 text") from None
            return parse_scenario(text, "request body")
        document = await body(request)
        if set(document) == {"name"}:
            return find_bundled_scenario(document["name"])
        return read_scenario(document)

    async def scenario(request: Request) -> Response:
        """GET the scenario in force (with how often each rule fired), PUT one, DELETE it."""
        if request.method == "DELETE":
            server.clear_scenario()
            return Response(status_code=204)
        if request.method == "PUT":
            try:
                active = server.load_scenario(await requested_scenario(request))
            except ScenarioError as error:
                raise HTTPException(400, str(error)) from None
            return JSONResponse(active.to_json())
        active = server.scenario
        return JSONResponse({"active": active.to_json() if active else None})

    async def tenants(request: Request) -> Response:
        if server.tenants is None:
            raise HTTPException(404, "tenants are listed by the home server (no tenant header)")
        return JSONResponse(
            {
                "header": TENANT_HEADER,
                "max": MAX_TENANTS,
                "tenants": [
                    {"name": name, "devices": len(tenant.network)}
                    for name in server.tenants.names()
                    if (tenant := server.tenants.find(name)) is not None
                ],
            }
        )

    async def drop_tenant(request: Request) -> Response:
        name = request.path_params["name"]
        if server.tenants is None or not server.tenants.drop(name):
            raise HTTPException(404, f"no tenant {name!r}")
        return Response(status_code=204)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)

    async def not_found(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": f"no admin route {request.url.path}"}, status_code=404)

    routes = [
        Route("/_mock/health", health),
        Route("/_mock/reset", reset, methods=["POST"]),
        Route("/_mock/devices", list_devices, methods=["GET"]),
        Route("/_mock/devices", create_device, methods=["POST"]),
        Route("/_mock/devices/{device_id}", get_device, methods=["GET"]),
        Route("/_mock/devices/{device_id}", update_device, methods=["PATCH"]),
        Route("/_mock/devices/{device_id}", delete_device, methods=["DELETE"]),
        Route("/_mock/devices/{device_id}/queue", device_queue, methods=["GET", "DELETE"]),
        Route("/_mock/devices/{device_id}/uplinks", uplinks, methods=["POST"]),
        Route("/_mock/devices/{device_id}/events", events, methods=["GET"]),
        Route("/_mock/journal", journal, methods=["GET", "DELETE"]),
        Route("/_mock/outbound", outbound, methods=["GET", "DELETE"]),
        Route("/_mock/contract/violations", violations),
        Route("/_mock/report", report, methods=["GET"]),
        Route("/_mock/contract/coverage", coverage),
        Route("/_mock/clock", clock, methods=["GET"]),
        Route("/_mock/clock/advance", clock, methods=["POST"]),
        Route("/_mock/clock/run-until-idle", run_until_idle, methods=["POST"]),
        Route("/_mock/scenario", scenario, methods=["GET", "PUT", "DELETE"]),
        Route("/_mock/tenants", tenants, methods=["GET"]),
        Route("/_mock/tenants/{name}", drop_tenant, methods=["DELETE"]),
        *ui_routes(server),
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: http_error, 404: not_found})
