"""GET and PUT /_mock/snapshot: the simulator's state saved as JSON, and restored from it
(mockserver.simulator.snapshot says what a snapshot holds and what it leaves out)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mockserver.admin.errors import AdminError
from mockserver.simulator.snapshot import SnapshotError, export_snapshot, restore_snapshot

if TYPE_CHECKING:
    from mockserver.host import Host


def snapshot_routes(host: Host) -> list[Route]:
    async def snapshot(request: Request) -> Response:
        if request.method == "PUT":
            raw = await _read_snapshot(request)
            try:  # seconds for a full journal: off the event loop, which keeps serving
                summary = await run_in_threadpool(restore, raw)
            except SnapshotError as error:
                raise AdminError(400, str(error)) from None
            return JSONResponse(summary)
        journal = request.query_params.get("journal", "true")
        if journal not in ("true", "false"):
            raise AdminError(400, "journal must be true or false")
        body = await run_in_threadpool(export, journal == "true")
        return Response(body, media_type="application/json")

    def export(journal: bool) -> bytes:
        document = export_snapshot(host.simulator, journal=journal, guard=host.lock)
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()

    def restore(raw: bytes) -> dict[str, object]:
        try:
            document = json.loads(raw)
        except (ValueError, RecursionError):
            raise SnapshotError("the body is not JSON") from None
        return restore_snapshot(host.simulator, document, guard=host.lock)

    return [Route("/_mock/snapshot", snapshot, methods=["GET", "PUT"])]


async def _read_snapshot(request: Request) -> bytes:
    """The body, which the admin app's body limit (`admin.limits`) bounds as it is read."""
    raw = await request.body()
    if not raw.strip():
        raise AdminError(400, "the body must be a snapshot (GET /_mock/snapshot gives one)")
    return raw
