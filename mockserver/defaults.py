"""Default values and names the command line and the pytest plugin show before anything runs.

They live here, on the lowest layer and importing nothing, so that `mockserver --version`,
`--help` and a pytest session that never asks for a fixture can name them without importing
the server, uvicorn, starlette, httpx or PyYAML (issue 21: start-up costs what it uses).
The modules that apply them (server, admin.guard, tenants, journal, safe_load, connections,
reports) import them from here and keep exporting them under their old names.
"""

from __future__ import annotations

# -- calls without a socket (inprocess, admin.guard, ui) ------------------------------------
#: The scope key marking a call made through the in-process transports (mockserver.inprocess).
#: Here, so that the admin guard and the dashboard can read it without importing httpx.
IN_PROCESS = "mockserver.in_process"

# -- where `serve` listens -------------------------------------------------------------------
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080

# -- who may come in (admin.guard, tenants) ----------------------------------------------------
TOKEN_HEADER = "X-Mockserver-Admin-Token"
TOKEN_ENV = "MOCKSERVER_ADMIN_TOKEN"
ALLOW_HOSTS_ENV = "MOCKSERVER_ALLOW_HOSTS"
TENANT_HEADER = "X-Mockserver-Tenant"
#: Tenants at once, and seconds unused before one is dropped.
MAX_TENANTS = 64
IDLE_SECONDS = 3600.0

# -- the journal ------------------------------------------------------------------------------
#: What the kept exchanges may weigh together (`--journal-bytes`).
DEFAULT_BYTE_BUDGET = 64 * 1024 * 1024
#: A longer body is kept truncated to this many bytes (`--journal-body-bytes`).
DEFAULT_BODY_LIMIT = 256 * 1024

# -- documents a user hands in (safe_load.DocumentLimits) --------------------------------------
MIB = 1024 * 1024
DOCUMENT_MAX_BYTES = 16 * MIB
DOCUMENT_MAX_NODES = 200_000
DOCUMENT_MAX_DEPTH = 64

# -- what a connection may cost (connections.ServingLimits) -----------------------------------
#: Open connections by default, when the process may open that many files.
MAX_CONNECTIONS = 4096
#: Bytes of request line and headers (net/http counts the same; its default is 1 MiB).
MAX_HEADER_BYTES = 64 * 1024
#: Seconds from a request's first byte to its last.
REQUEST_TIMEOUT = 30.0
#: Seconds a shutdown (SIGTERM, SIGINT, `stop()`) waits for requests in flight.
GRACEFUL_TIMEOUT = 5

# -- outbound delivery (delivery.DeliveryLimits) ----------------------------------------------
#: Messages waiting per destination (TTS's `as.webhooks.queue-size` is 1024, too).
DEFAULT_QUEUE_CAPACITY = 1024
#: Sends at a time per destination. At most the listen backlog of Python's own
#: `http.server` (5) plus one, so even a receiver built on it never sees a connection
#: dropped by its kernel; 1 000 messages to a local receiver still take about 2 s.
DEFAULT_CONCURRENCY = 4

# -- reports ----------------------------------------------------------------------------------
REPORT_FORMATS = ("json", "junit", "markdown")


def size_text(count: int) -> str:
    """A byte count as people write limits: 16 MiB, 512 KiB, 1000 bytes."""
    for unit, name in ((MIB, "MiB"), (1024, "KiB")):
        if count >= unit and count % unit == 0:
            return f"{count // unit} {name}"
    return f"{count} bytes"
