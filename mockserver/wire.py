"""Faults below HTTP, carried out: latency, a slow body, a dropped connection, garbage bytes.

The provider's answer (or none) is decided in `Simulator.dispatch`, which returns the
scenario's wire acts as data (`FaultyResponse`); how the answer travels is decided here, in
the serving shell, where the connection is. Over a socket served by uvicorn
the connection is reached through the `send` callable's transport: a reset is an abortive
close (RST), garbage is bytes that are not HTTP. In-process (httpx's ASGI transport) there
is no connection, so a drop raises what httpx raises when a server hangs up.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from random import Random
from typing import Any

from mockserver.scenario.engine import FaultyResponse


async def send_with_faults(send: Any, response: FaultyResponse, raw_headers: list[Any]) -> None:
    acts = response.acts
    assert acts is not None
    if acts.latency > 0 and not await _pause(send, acts.latency):
        return  # the client gave up waiting (its timeout): nothing left to send to
    if acts.garbage is not None:
        _write_and_close(send, Random(acts.garbage).randbytes(acts.garbage))
        await _until_disconnected(send)
        return
    if acts.drop == "reset":
        _reset(send)
        await _until_disconnected(send)
        return
    await send({"type": "http.response.start", "status": response.status, "headers": raw_headers})
    if acts.drop == "after_headers":
        _reset(send)
        await _until_disconnected(send)
        return
    if acts.slow_body is None or len(response.body) < 2:
        await send({"type": "http.response.body", "body": response.body})
        return
    duration, chunks = acts.slow_body
    parts = _chunks(response.body, chunks)
    gap = duration / (len(parts) - 1)
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        await send({"type": "http.response.body", "body": part, "more_body": not last})
        if not last and not await _pause(send, gap):
            return


def _chunks(body: bytes, chunks: int) -> list[bytes]:
    """The body cut into at most `chunks` near-equal parts (fewer when it is shorter)."""
    size = -(-len(body) // min(chunks, len(body)))
    return [body[i : i + size] for i in range(0, len(body), size)]


#: How often a wait checks whether the client has hung up.
_POLL_SECONDS = 0.05


async def _pause(send: Any, seconds: float) -> bool:
    """Wait `seconds` of wall time; False as soon as the client has closed the connection
    (its own timeout), so that a long latency does not outlive the call it delays."""
    transport = _transport(send)
    if transport is None:  # in-process: the client's timeout cancels the whole exchange
        await asyncio.sleep(seconds)
        return True
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not transport.is_closing():
        remaining = deadline - loop.time()
        if remaining <= 0:
            return True
        await asyncio.sleep(min(remaining, _POLL_SECONDS))
    return False


async def _until_disconnected(send: Any) -> None:
    """Return once the server has seen the connection go: a cut made on purpose then reads,
    to uvicorn, as a client that hung up, not as an app that failed to answer (which it logs
    as an error)."""
    cycle = getattr(send, "__self__", None)
    for attempt in range(200):  # the loss is reported on the next turns of the loop
        if getattr(cycle, "disconnected", True):
            return
        await asyncio.sleep(0 if attempt < 10 else 0.005)


def _transport(send: Any) -> asyncio.Transport | None:
    return getattr(getattr(send, "__self__", None), "transport", None)


def _reset(send: Any) -> None:
    transport = _transport(send)
    if transport is None:  # in process: httpx's client is the one calling
        import httpx

        raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):  # linger 0: close with RST, not FIN
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


def _write_and_close(send: Any, garbage: bytes) -> None:
    transport = _transport(send)
    if transport is None:  # in process: httpx's client is the one calling
        import httpx

        raise httpx.RemoteProtocolError("illegal status line: not an HTTP response")
    transport.write(garbage)
    transport.close()
