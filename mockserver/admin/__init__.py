"""The admin API under /_mock: the Python API's operations over HTTP."""

from mockserver.admin.routes import build_admin_app

__all__ = ["build_admin_app"]
