"""The live dashboard at /_mock/ui: static files shipped in the package (no build step, no
CDN, works offline), a server-sent-events feed of what changed, and the admin API for every
action. See docs/dashboard.md.

`ui_routes` (and with it Starlette) is imported when first asked for: the server's shutdown
imports `ui.ending` alone (issue 21).
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockserver.ui.routes import ui_routes

__all__ = ["ui_routes"]


def __getattr__(name: str) -> Any:
    if name == "ui_routes":
        from mockserver.ui.routes import ui_routes

        return ui_routes
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
