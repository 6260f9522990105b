"""Ending the dashboards' streams with the server, without Starlette.

The server's shutdown (`server.graceful_server`) calls `end_streams` on every stop, and a
served fixture session stops once: this module imports neither Starlette nor the rest of the
dashboard, which a session that never opens one never needs (issue 21, the fixture loop).
`ui.stream` registers its open streams here and asks here whether their loop has ended.
"""

from __future__ import annotations

import asyncio
import threading
import weakref

#: Every stream being served: its event loop and the event that ends it.
_open: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
#: Loops whose server is shutting down: a stream starting on one ends at once.
_ended_loops: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()
_open_lock = threading.Lock()


def end_streams() -> None:
    """End every stream served by the running event loop, and refuse new ones on it.

    uvicorn's shutdown calls this before it waits for responses to finish: without it,
    `mockserver serve` would not stop while a dashboard is open."""
    loop = asyncio.get_running_loop()
    with _open_lock:
        _ended_loops.add(loop)
        for owner, done in _open:
            if owner is loop:
                done.set()
