"""GET and PUT /_mock/snapshot: the simulator's state saved as JSON, and restored from it
(mockserver.simulator.snapshot says what a snapshot holds and what it leaves out)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mockserver.admin.errors import AdminError
from mockserver.simulator.snapshot import SnapshotError, export_snapshot, restore_snapshot

if TYPE_CHECKING:
    from mockserver.host import Host

#: The largest snapshot PUT reads: the admin API's body limit (16 MiB). A larger one is
#: refused with 413 before it is read; GET ?journal=false takes a smaller snapshot.
MAX_SNAPSHOT_BYTES = 16 * 1024 * 1024
_TOO_LARGE = (
    f"the snapshot is larger than {MAX_SNAPSHOT_BYTES} bytes (the admin body limit); "
    "take one without the journal: GET /_mock/snapshot?journal=false"
)


def snapshot_routes(host: Host) -> list[Route]:
    async def snapshot(request: Request) -> Response:
        if request.method == "PUT":
            document = await _read_snapshot(request)
            with host.lock:
                try:
                    summary = restore_snapshot(host.simulator, document)
                except SnapshotError as error:
                    raise AdminError(400, str(error)) from None
            return JSONResponse(summary)
        journal = request.query_params.get("journal", "true")
        if journal not in ("true", "false"):
            raise AdminError(400, "journal must be true or false")
        with host.lock:
            exported = export_snapshot(host.simulator, journal=journal == "true")
        return JSONResponse(exported)

    return [Route("/_mock/snapshot", snapshot, methods=["GET", "PUT"])]


async def _read_snapshot(request: Request) -> object:
    """The JSON body, read no further than the limit."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_SNAPSHOT_BYTES:
        raise AdminError(413, _TOO_LARGE)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_SNAPSHOT_BYTES:
            raise AdminError(413, _TOO_LARGE)
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        raise AdminError(400, "the body must be a snapshot (GET /_mock/snapshot gives one)")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise AdminError(400, "the body is not JSON") from None
