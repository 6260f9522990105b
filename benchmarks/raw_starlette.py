"""The baseline: a bare Starlette app that answers every request with a fixed body."""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


async def fixed(request: Request) -> Response:
    return Response(b"", status_code=200)


app = Starlette(routes=[Route("/{path:path}", fixed, methods=["GET", "POST"])])
