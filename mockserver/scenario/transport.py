"""Faults below HTTP: latency, a slow body, a dropped connection, garbage bytes.

The provider's answer (or none) is decided in `MockServer.dispatch`; how it travels is
decided here, in the ASGI layer, where the connection is. Over a socket served by uvicorn
the connection is reached through the `send` callable's transport: a reset is an abortive
close (RST), garbage is bytes that are not HTTP. In-process (httpx's ASGI transport) there
is no connection, so a drop raises what httpx raises when a server hangs up.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from dataclasses import dataclass
from random import Random
from typing import Any

import httpx

from mockserver.contract import HttpResponse
from mockserver.scenario.engine import RequestActs

#: What the journal shows when the client got no HTTP answer at all.
CONNECTION_FAILED = HttpResponse(0, {}, b"")


@dataclass(frozen=True, slots=True)
class FaultyResponse(HttpResponse):
    """A response that travels with the scenario's acts; plain responses skip all this."""

    acts: RequestActs | None = None

    @classmethod
    def of(cls, response: HttpResponse, acts: RequestActs) -> FaultyResponse:
        return cls(response.status, response.headers, response.body, acts)


async def send_with_faults(send: Any, response: FaultyResponse, raw_headers: list[Any]) -> None:
    acts = response.acts
    assert acts is not None
    if acts.latency > 0:
        await asyncio.sleep(acts.latency)
    if acts.garbage is not None:
        _write_and_close(send, Random(acts.garbage).randbytes(acts.garbage))
        return
    if acts.drop == "reset":
        _reset(send)
        return
    await send({"type": "http.response.start", "status": response.status, "headers": raw_headers})
    if acts.drop == "after_headers":
        _reset(send)
        return
    if acts.slow_body is None or len(response.body) < 2:
        await send({"type": "http.response.body", "body": response.body})
        return
    duration, chunks = acts.slow_body
    chunks = min(chunks, len(response.body))
    size = -(-len(response.body) // chunks)
    parts = [response.body[i : i + size] for i in range(0, len(response.body), size)]
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        await send({"type": "http.response.body", "body": part, "more_body": not last})
        if not last:
            await asyncio.sleep(duration / (len(parts) - 1))


def _transport(send: Any) -> asyncio.Transport | None:
    return getattr(getattr(send, "__self__", None), "transport", None)


def _reset(send: Any) -> None:
    transport = _transport(send)
    if transport is None:
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):  # linger 0: close with RST, not FIN
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


def _write_and_close(send: Any, garbage: bytes) -> None:
    transport = _transport(send)
    if transport is None:
        raise httpx.RemoteProtocolError("illegal status line: not an HTTP response")
    transport.write(garbage)
    transport.close()
