"""mockserver: an offline, faithful simulator of IoT network servers' downlink APIs.

`from mockserver import MockServer` (a simulator in this process: a context manager with
`start()`/`stop()`) and `from mockserver import AdminClient` (the admin API of a simulator
started elsewhere). Both are imported on first use, so `import mockserver` stays cheap for
the pytest plugin and the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["AdminClient", "AdminError", "MockServer", "__version__"]

if TYPE_CHECKING:
    from mockserver.admin_client import AdminClient, AdminError
    from mockserver.server import MockServer

_LAZY = {
    "AdminClient": "mockserver.admin_client",
    "AdminError": "mockserver.admin_client",
    "MockServer": "mockserver.server",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mockserver' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
