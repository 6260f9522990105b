"""The baseline: a bare Starlette app on the same uvicorn that reads the body and answers `{}`.

`make bench` (benchmarks/cpu.py) sends it the same requests as our server, so the ratio of
their CPU time per request shows what the simulation costs over a minimal JSON endpoint.
"""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


async def fixed(request: Request) -> Response:
    await request.body()
    return Response(b"{}", status_code=200, media_type="application/json")


app = Starlette(routes=[Route("/{path:path}", fixed, methods=["GET", "POST"])])
