"""One TLS context for the HTTP clients this package makes, per process.

httpx makes a TLS context for every client it builds, reading the whole CA bundle (about
20 ms of CPU), also for a client of `http://127.0.0.1` that never speaks TLS. The clients
made here (`MockServer.client()`, `AdminClient`, the delivery worker's) share this one, made
at the first call: a test that makes a client per test pays it once (issue 21). It is
httpx's own default context, so verification is what httpx does by default; a caller that
passes `verify=` keeps its own.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ssl


@functools.cache
def default_context() -> ssl.SSLContext:
    import httpx

    return httpx.create_ssl_context()
