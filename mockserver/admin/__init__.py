"""The admin API under /_mock: the Python API's operations over HTTP.

`build_admin_app` (and with it Starlette) is imported when first asked for: the server
builds its admin app at the first admin request (`server.AdminOnFirstUse`), and a session
that makes none imports neither (issue 21).
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockserver.admin.routes import build_admin_app

__all__ = ["build_admin_app"]


def __getattr__(name: str) -> Any:
    if name == "build_admin_app":
        from mockserver.admin.routes import build_admin_app

        return build_admin_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
