"""Routes of the admin API. Each one is a thin call into the hosted simulator, under the
host's lock where it reads or changes more than one value."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mockserver.admin.checks import (
    advance_seconds,
    device_changes,
    journal_limit,
    only_known,
    read_object,
    since_reset,
    uplink_arguments,
)
from mockserver.admin.description import served_description_json
from mockserver.admin.errors import EXCEPTION_HANDLERS, AdminError
from mockserver.admin.guard import AdminAccess, AdminGuard
from mockserver.admin.limits import BodyLimit
from mockserver.admin.representations import (
    coverage_json,
    device_json,
    downlink_json,
    event_json,
    uplink_json,
)
from mockserver.admin.snapshot import snapshot_routes
from mockserver.clock import VirtualClock, timestamp
from mockserver.core import Device, DeviceExists, UnknownDevice
from mockserver.reports import FORMATS
from mockserver.safe_load import DEFAULT_LIMITS, DocumentLimits
from mockserver.scenario.engine import ActiveScenario
from mockserver.scenario.loading import (
    ScenarioError,
    find_bundled_scenario,
    parse_scenario,
    read_scenario,
)
from mockserver.scenario.model import Scenario
from mockserver.simulator.device_pages import page_request, select
from mockserver.tenants import TENANT_HEADER, Tenants
from mockserver.ui import ui_routes

if TYPE_CHECKING:
    from mockserver.host import Host


def build_admin_app(
    host: Host,
    tenants: Tenants | None = None,
    access: AdminAccess | None = None,
    *,
    limits: DocumentLimits = DEFAULT_LIMITS,
) -> Starlette:
    """The admin API (and dashboard) of one hosted simulator; `tenants`: the home's, for the
    routes that list and drop them (None: a tenant's own admin API); `access`: who may call
    it (`mockserver.admin.guard`; None: loopback names only, no token); `limits`: on the
    bodies it reads and the scenarios and worlds they carry (413 past them)."""
    server = host.simulator
    lock = host.lock

    def device_or_404(device_id: str) -> Device:
        try:
            return server.network.get(device_id)
        except UnknownDevice:
            raise AdminError(404, f"no device {device_id!r}") from None

    async def openapi(request: Request) -> Response:
        served = served_description_json(str(request.base_url))
        return Response(served, media_type="application/json")

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
        options = await read_object(request)  # no body: keep the findings
        only_known(options, ("clear_findings",), "a reset")
        clear = options.get("clear_findings", False)
        if not isinstance(clear, bool):
            raise AdminError(400, "clear_findings must be true or false")
        host.reset(clear_findings=clear)
        return JSONResponse({"status": "reset"})

    async def clear_findings(request: Request) -> Response:
        host.clear_findings()
        return Response(status_code=204)

    async def list_devices(request: Request) -> Response:
        """A page of the devices (`?q=&provider=&offset=&limit=`, simulator.device_pages):
        every device of a world up to the page bound when nothing is asked; `X-Total-Count`
        says how many match, and `Link: rel="next"` where the next page starts."""
        try:
            asked = page_request(request.query_params)
        except ValueError as error:
            raise AdminError(400, str(error)) from None
        with lock:
            page = select(server.network, asked)
            shown = [device_json(device) for device in page.devices]
        headers = {"x-total-count": str(page.total)}
        if page.next_offset is not None:
            headers["link"] = f'<{request.url.path}?{asked.query(page.next_offset)}>; rel="next"'
        return JSONResponse(shown, headers=headers)

    async def create_device(request: Request) -> Response:
        spec = await read_object(
            request, missing="the body must be a JSON object describing the device"
        )
        name = spec.pop("provider", "tts")
        provider = server.providers.get(name) if isinstance(name, str) else None
        if provider is None:
            raise AdminError(400, "unknown provider")
        with lock:
            try:
                device = provider.create_device(spec)
            except DeviceExists as error:
                raise AdminError(409, f"device {error} exists") from None
            except (ValueError, KeyError, NotImplementedError) as error:
                raise AdminError(400, str(error)) from None
            return JSONResponse(device_json(device), status_code=201)

    async def get_device(request: Request) -> Response:
        with lock:
            return JSONResponse(device_json(device_or_404(request.path_params["device_id"])))

    async def update_device(request: Request) -> Response:
        changes = await read_object(
            request,
            missing="the body must be a JSON object of the attributes to change "
            "(band, class, rx1_delay, session)",
        )
        with lock:
            device = device_or_404(request.path_params["device_id"])
            attributes = device_changes(changes)
            for attribute, value in attributes.items():  # all checked: none or all change
                setattr(device, attribute, value)
            return JSONResponse(device_json(device))

    async def delete_device(request: Request) -> Response:
        with lock:
            device = device_or_404(request.path_params["device_id"])
            server.providers[device.provider].delete_device(device)
        return Response(status_code=204)

    async def formatters(request: Request) -> Response:
        """A device's payload formatter scripts (docs/formatters.md)."""
        device = device_or_404(request.path_params["device_id"])
        slot = request.path_params.get("slot")
        if slot is None:
            document = await read_object(
                request, missing="the body must be a formatter document (docs/formatters.md)"
            )
        else:
            try:
                document = {"script": (await request.body()).decode("utf-8")}
            except UnicodeDecodeError:
                raise AdminError(400, "the script is not UTF-8 text") from None
        try:
            shown = host.formatters.set_from_admin(device.id, device.provider, document, slot)
        except ValueError as error:  # a script that does not parse, a field that is not one
            raise AdminError(400, str(error)) from None
        return JSONResponse(shown)

    async def device_queue(request: Request) -> Response:
        with lock:
            device = device_or_404(request.path_params["device_id"])
            if request.method == "DELETE":
                device.queue.clear()
                return Response(status_code=204)
            return JSONResponse([downlink_json(d) for d in device.queue.snapshot()])

    async def uplinks(request: Request) -> Response:
        spec = await read_object(request)  # no body: an uplink with every default
        device_id = request.path_params["device_id"]
        arguments = uplink_arguments(spec)
        with lock:
            device_or_404(device_id)
            try:
                uplink = server.uplink(device_id, **arguments)
            except (ValueError, TypeError) as error:
                raise AdminError(400, f"invalid uplink: {error}") from None
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
        limit = journal_limit(request.query_params.get("limit"))
        if limit is not None:
            entries = entries[len(entries) - limit :] if limit else []
        return JSONResponse(
            [entry.to_json() for entry in entries], headers=server.journal.stats_headers()
        )

    async def outbound(request: Request) -> Response:
        if request.method == "DELETE":
            server.outbox.clear()
            return Response(status_code=204)
        return JSONResponse([attempt.to_json() for attempt in server.outbox.attempts()])

    async def outbound_stats(request: Request) -> Response:
        return JSONResponse(host.delivery.stats())

    async def violations(request: Request) -> Response:
        log = server.contract.log
        if since_reset(request):
            found, dropped = log.violations_since_mark()
        else:
            found, dropped = log.violations, log.dropped
        return JSONResponse(
            {"violations": [violation.to_json() for violation in found], "dropped": dropped}
        )

    async def warnings(request: Request) -> Response:
        log = server.contract.log
        if since_reset(request):
            advice, dropped = log.warnings_since_mark()
        else:
            advice, dropped = log.warnings, log.warnings_dropped
        return JSONResponse(
            {"warnings": [warning.to_json() for warning in advice], "dropped": dropped}
        )

    async def coverage(request: Request) -> Response:
        return JSONResponse(coverage_json(server.contract))

    async def report(request: Request) -> Response:
        kind = request.query_params.get("format", "json")
        if kind not in FORMATS:
            raise AdminError(400, f"format must be one of {', '.join(FORMATS)}")
        providers = [name for name in request.query_params.getlist("provider") if name] or None
        try:
            body = host.report(kind, providers)
        except ValueError as error:
            raise AdminError(400, str(error)) from None
        media = {
            "json": "application/json",
            "junit": "application/xml",
            "markdown": "text/markdown; charset=utf-8",
        }[kind]
        return Response(body, media_type=media)

    async def run_until_idle(request: Request) -> Response:
        if not isinstance(server.clock, VirtualClock):
            raise AdminError(409, "the server runs on the real clock")
        with lock:
            fired = server.clock.run_until_idle()
        return JSONResponse(
            {"kind": server.clock.kind, "now": timestamp(server.clock.now_us()), "fired": fired}
        )

    async def clock(request: Request) -> Response:
        if request.method == "POST":
            if not isinstance(server.clock, VirtualClock):
                raise AdminError(409, "the server runs on the real clock")
            document = await read_object(
                request, missing='the body must be a JSON object: {"seconds": N}'
            )
            with lock:
                server.clock.advance(advance_seconds(server.clock, document))
        return JSONResponse({"kind": server.clock.kind, "now": timestamp(server.clock.now_us())})

    async def requested_scenario(request: Request) -> Scenario:
        """The scenario a PUT names (a bundled one only: never a path on this machine) or
        carries as YAML or JSON. It is read and checked on a worker thread: a large one
        (within the limits) takes seconds, and other requests go on meanwhile."""
        if "yaml" in request.headers.get("content-type", ""):
            try:
                text = (await request.body()).decode("utf-8")
            except UnicodeDecodeError:
                raise AdminError(400, "the YAML body is not UTF-8 text") from None
            return await run_in_threadpool(parse_scenario, text, "request body")
        document = await read_object(
            request,
            missing='the body must name a bundled scenario ({"name": "flaky-network"}) or be '
            "a scenario as JSON or YAML (Content-Type: application/yaml)",
        )
        if set(document) == {"name"}:
            return find_bundled_scenario(document["name"])
        return await run_in_threadpool(read_scenario, document)

    async def scenario(request: Request) -> Response:
        """GET the scenario in force (with how often each rule fired), PUT one, DELETE it."""
        if request.method == "DELETE":
            host.clear_scenario()
            return Response(status_code=204)
        active: ActiveScenario | None
        if request.method == "PUT":
            try:
                active = host.load_scenario(await requested_scenario(request))
            except ScenarioError as error:  # 413 when past a document limit
                raise AdminError(error.status, str(error)) from None
        else:
            active = server.scenario
        return JSONResponse({"active": active.to_json() if active else None})

    async def list_tenants(request: Request) -> Response:
        if tenants is None:
            raise AdminError(404, "tenants are listed by the home server (no tenant header)")
        return JSONResponse(
            {
                "header": TENANT_HEADER,
                "max": tenants.max_tenants,
                "idle_seconds": tenants.idle_seconds or None,
                "tenants": [
                    {
                        "name": name,
                        "devices": len(tenant.host.simulator.network),
                        "idle": round(tenants.idle_for(name) or 0.0, 3),
                    }
                    for name in tenants.names()
                    if (tenant := tenants.find(name)) is not None
                ],
            }
        )

    async def drop_tenant(request: Request) -> Response:
        name = request.path_params["name"]
        if tenants is None:
            raise AdminError(404, "tenants are dropped by the home server (no tenant header)")
        if not tenants.drop(name):
            raise AdminError(404, f"no tenant {name!r}")
        return Response(status_code=204)

    routes = [
        Route("/_mock/health", health),
        Route("/_mock/openapi.json", openapi, methods=["GET"]),
        Route("/_mock/reset", reset, methods=["POST"]),
        Route("/_mock/devices", list_devices, methods=["GET"]),
        Route("/_mock/devices", create_device, methods=["POST"]),
        Route("/_mock/devices/{device_id}", get_device, methods=["GET"]),
        Route("/_mock/devices/{device_id}", update_device, methods=["PATCH"]),
        Route("/_mock/devices/{device_id}", delete_device, methods=["DELETE"]),
        Route("/_mock/devices/{device_id}/formatters", formatters, methods=["PUT"]),
        Route("/_mock/devices/{device_id}/formatters/{slot}", formatters, methods=["PUT"]),
        Route("/_mock/devices/{device_id}/queue", device_queue, methods=["GET", "DELETE"]),
        Route("/_mock/devices/{device_id}/uplinks", uplinks, methods=["POST"]),
        Route("/_mock/devices/{device_id}/events", events, methods=["GET"]),
        Route("/_mock/journal", journal, methods=["GET", "DELETE"]),
        Route("/_mock/outbound", outbound, methods=["GET", "DELETE"]),
        Route("/_mock/outbound/stats", outbound_stats, methods=["GET"]),
        Route("/_mock/contract/violations", violations),
        Route("/_mock/contract/warnings", warnings),
        Route("/_mock/contract/clear", clear_findings, methods=["POST"]),
        Route("/_mock/report", report, methods=["GET"]),
        Route("/_mock/contract/coverage", coverage),
        Route("/_mock/clock", clock, methods=["GET"]),
        Route("/_mock/clock/advance", clock, methods=["POST"]),
        Route("/_mock/clock/run-until-idle", run_until_idle, methods=["POST"]),
        Route("/_mock/scenario", scenario, methods=["GET", "PUT", "DELETE"]),
        *snapshot_routes(host),
        Route("/_mock/tenants", list_tenants, methods=["GET"]),
        Route("/_mock/tenants/{name}", drop_tenant, methods=["DELETE"]),
        *ui_routes(host, tenants),
    ]
    guard = Middleware(AdminGuard, access=access or AdminAccess())  # before any route
    return Starlette(
        routes=routes,
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[guard, Middleware(BodyLimit, limits=limits)],
    )
