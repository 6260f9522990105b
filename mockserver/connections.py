"""What one connection may cost the server: header bytes and the time to send a request.

uvicorn's httptools protocol (kept: it is the fast parser, issue 21) bounds neither. llhttp
has no header limit, so a client could send headers until memory runs out, and nothing
times a request that never ends, so a client that sends half a request line holds its
connection, and a graceful shutdown, for ever. `bounded_protocol` adds the two pieces
uvicorn lacks, as Go's net/http has them (TTS and KPN answer from Go servers):

- the head of a request (request line and headers) above `max_header_bytes` is answered
  431 as net/http words it, and the connection closed. While the head is still arriving its
  bytes are counted as they come, so a head that never ends is cut at the limit too;
- a request must be complete within `request_timeout` seconds of its first byte (of the
  connection, for the first request): otherwise the connection is closed, as net/http's
  `ReadTimeout` does. A request whose body never ends is not dispatched (asgi.ClientGone).

Idle kept-alive connections are closed by uvicorn's own `timeout_keep_alive`, the number of
connections by its `limit_concurrency` (503), and a shutdown's wait for requests in flight by
its `timeout_graceful_shutdown`: `server.MockServer` sets them from `ServingLimits`.

uvicorn is imported, and the protocol class defined, by the first `bounded_protocol` call:
`ServingLimits` is what the in-process fixture and `--help` need, and neither serves on a
socket (issue 21: uvicorn, with click, asyncio and ssl, is about 15 % of importing the server).
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mockserver.defaults import GRACEFUL_TIMEOUT, MAX_HEADER_BYTES, REQUEST_TIMEOUT
from mockserver.defaults import MAX_CONNECTIONS as MAX_CONNECTIONS  # re-exported: its old home

log = logging.getLogger("mockserver.connections")

#: Go's net/http refusal of a head above its MaxHeaderBytes, byte for byte.
TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Connection: close\r\n\r\n"
    b"431 Request Header Fields Too Large"
)


#: File descriptors kept for what is not a client connection (world files, delivery sockets,
#: logs) when the connection limit is derived from the process's file limit.
RESERVED_FILES = 64


@dataclass(frozen=True)
class ServingLimits:
    """What `serve` and `MockServer.start` bound (docs/reliability.md)."""

    #: Bytes of request line and headers (net/http counts the same; its default is 1 MiB).
    max_header_bytes: int = MAX_HEADER_BYTES
    #: Seconds from a request's first byte to its last.
    request_timeout: float = REQUEST_TIMEOUT
    #: Open connections; one more is answered 503. None: `MAX_CONNECTIONS`, or fewer when
    #: the process's open-file limit is lower (past it, new connections would hang unseen).
    max_connections: int | None = None
    #: Seconds a shutdown (SIGTERM, SIGINT, `stop()`) waits for requests in flight.
    graceful_timeout: int = GRACEFUL_TIMEOUT

    def connection_limit(self) -> int:
        if self.max_connections is not None:
            return self.max_connections
        try:
            import resource

            files = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        except (ImportError, OSError):  # no such limit here (Windows)
            return MAX_CONNECTIONS
        if files == resource.RLIM_INFINITY:
            return MAX_CONNECTIONS
        return max(1, min(MAX_CONNECTIONS, files - RESERVED_FILES))


if TYPE_CHECKING:
    import asyncio

    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


@functools.cache
def _bounded_base() -> type[HttpToolsProtocol]:
    """The protocol class, defined (and uvicorn imported) on first use."""
    from uvicorn.config import Config
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    from uvicorn.server import ServerState

    class BoundedHttpToolsProtocol(HttpToolsProtocol):
        """uvicorn's httptools protocol with a header limit and a request deadline."""

        limits = ServingLimits()

        def __init__(
            self,
            config: Config,
            server_state: ServerState,
            app_state: dict[str, Any],
            _loop: asyncio.AbstractEventLoop | None = None,
        ) -> None:
            super().__init__(config, server_state, app_state, _loop)
            self._in_head = True  # from a request's first byte to the end of its headers
            self._head_bytes = 0  # of this head, counted as received (an upper bound)
            self._refused = False
            #: When the request being received began (loop time); None between requests.
            self._began: float | None = None
            self._deadline: asyncio.TimerHandle | None = None

        # -- the deadline ------------------------------------------------------------------
        # One timer per connection rather than one per request: a request's begin and end
        # only note the time (issue 21: a timer armed and cancelled on every request was a
        # few µs of each). When the timer fires it closes the connection if the request then
        # in progress began `request_timeout` ago, is re-armed for that request's own
        # deadline if it began later, and lapses between requests (an idle kept-alive
        # connection is uvicorn's `timeout_keep_alive`'s).
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._began = self.loop.time()  # a connection that never sends a byte is a
            self._arm(self._began)  # request never finished

        def connection_lost(self, exc: Exception | None) -> None:
            self._began = None
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None
            super().connection_lost(exc)

        def _arm(self, began: float) -> None:
            self._deadline = self.loop.call_at(
                began + self.limits.request_timeout, self._deadline_reached
            )

        def _deadline_reached(self) -> None:
            self._deadline = None
            began = self._began
            if began is None:
                return
            if self.loop.time() < began + self.limits.request_timeout:
                self._arm(began)  # a later request than the one the timer was set for
                return
            if not self.transport.is_closing():
                log.info(
                    "closed a connection from %s: its request was not complete within %g s",
                    _peer(self.client),
                    self.limits.request_timeout,
                )
                self.transport.close()

        # -- the head ----------------------------------------------------------------------
        # Once a request is refused the connection is closing, and the rest of what was received
        # with it is parsed for nothing: each callback below then does nothing.
        def data_received(self, data: bytes) -> None:
            if self._refused:
                return
            super().data_received(data)
            if self._in_head and not self._refused and self.parser is not None:
                self._head_bytes += len(data)
                if self._head_bytes > self.limits.max_header_bytes:
                    self._refuse()

        def on_message_begin(self) -> None:
            if self._refused:
                return
            super().on_message_begin()
            self._in_head = True
            self._head_bytes = 0
            self._began = began = self.loop.time()
            if self._deadline is None:
                self._arm(began)  # the next request on a kept-alive connection

        def on_headers_complete(self) -> None:
            if self._refused:
                return
            self._in_head = False
            # The head as parsed (request target, and each header's name and value with
            # ": " and CRLF), summed once here rather than counted in a callback per header.
            size = len(self.url) + 4 * len(self.headers)
            for name, value in self.headers:
                size += len(name) + len(value)
            if size > self.limits.max_header_bytes:
                self._refuse()  # the app never sees this request
                return
            super().on_headers_complete()

        def on_body(self, body: bytes) -> None:
            if not self._refused:
                super().on_body(body)

        def on_message_complete(self) -> None:
            if self._refused:
                return
            super().on_message_complete()
            self._began = None

        def _refuse(self) -> None:
            self._refused = True
            self._began = None
            log.info(
                "refused a request from %s: its headers exceed %d bytes",
                _peer(self.client),
                self.limits.max_header_bytes,
            )
            self.transport.write(TOO_LARGE)
            self.transport.close()

    return BoundedHttpToolsProtocol


def bounded_protocol(limits: ServingLimits) -> type[HttpToolsProtocol]:
    """The protocol class for uvicorn's `http=`, with these limits: uvicorn's httptools
    protocol with a header limit and a request deadline."""
    return type("BoundedHttpToolsProtocol", (_bounded_base(),), {"limits": limits})


def _peer(client: tuple[str, int] | None) -> str:
    return f"{client[0]}:{client[1]}" if client else "a client"
