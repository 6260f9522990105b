"""The live dashboard at /_mock/ui: static files shipped in the package (no build step, no
CDN, works offline), a server-sent-events feed of what changed, and the admin API for every
action. See docs/dashboard.md."""

from mockserver.ui.routes import ui_routes

__all__ = ["ui_routes"]
