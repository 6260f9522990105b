"""The dashboard's live feed: server-sent events carrying what changed, in batches.

A request never pays for an open dashboard beyond one set insertion per network event: the
stream looks at the simulator every `TICK` seconds (journal cursor, devices whose events it
heard, outbound count, scenario, clock) and sends at most one event per look. A burst of a
thousand requests a second therefore reaches the page as five batches a second, each holding
the newest `MAX_ROWS` exchanges, the older ones of the batch that broke a rule (what a person
looks for), and a count of the rest.

A stream ends when its client goes away, when its tenant is dropped, and when the server
stops: uvicorn waits for every open response before shutting down, and this one would never
end by itself, so the server's shutdown (`server.graceful_server`) calls `end_streams` first
(in `ui.ending`, which imports no Starlette).
This module imports no uvicorn: the in-process fixture serves the dashboard without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from mockserver.clock import timestamp
from mockserver.core.network import NetworkEvent
from mockserver.ui.ending import _ended_loops, _open, _open_lock
from mockserver.ui.ending import end_streams as end_streams
from mockserver.ui.summaries import device_summary, exchange_summary

if TYPE_CHECKING:
    from mockserver.asgi import Receive, Scope, Send
    from mockserver.host import Host
    from mockserver.tenants import Tenants
    from mockserver.world import World

#: Seconds between two looks at the simulator: at most five batches a second reach a page.
TICK = 0.2
#: A comment line this often keeps the connection from looking idle to proxies.
HEARTBEAT = 10.0
#: A real clock's time alone is sent at most this often (a virtual clock's at once).
CLOCK_EVERY = 1.0
#: Journal rows per batch: the newest ones, and as many older ones of the batch that broke
#: a rule; the page is told how many it missed.
MAX_ROWS = 100
#: Worlds up to this size are compared device by device every `RESCAN_TICKS` looks, which
#: catches what emits no event (a PATCHed class, a silence starting); larger ones rely on
#: network events alone and list their first `MAX_DEVICES` devices (the page reads the rest
#: a page at a time from `GET /_mock/ui/devices`).
MAX_DEVICES = 2000
RESCAN_TICKS = 10
#: Devices named as having new events, per batch.
MAX_TOUCHED = 1000


class TenantGone(Exception):
    """The tenant the stream shows was dropped."""


class Watcher:
    """What one open dashboard has been told, and what changed since: one per stream."""

    def __init__(self, tenants: Tenants | None, target: Host, tenant: str | None) -> None:
        #: The home's tenants: the list the page shows, and whether `tenant` still exists.
        self.tenants = tenants
        self.target = target
        self.tenant = tenant
        self._changed: set[str] = set()
        self._changed_lock = threading.Lock()
        self._world: World | None = None
        self._unsubscribe: Any = None
        self._devices: dict[str, dict[str, Any]] = {}
        self._device_count = 0
        self._journal = (0, 0, 0)  # last sequence, length, clears
        self._outbound: tuple[Any, ...] = ()
        self._scenario: Any = None
        self._tenants: list[str] = []
        self._clock = ""
        self._looks = 0

    # -- lifecycle -------------------------------------------------------------------------
    def _hear(self, event: NetworkEvent) -> None:
        """The only cost an open dashboard adds to a request: noting which device changed."""
        with self._changed_lock:
            self._changed.add(event.device_id)

    def _follow(self, world: World) -> None:
        self.close()
        self._world = world
        self._unsubscribe = world.network.subscribe(self._hear)

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _check_tenant(self) -> None:
        if self.tenant is not None:
            tenants = self.tenants
            found = tenants.find(self.tenant) if tenants is not None else None
            if found is None or found.host is not self.target:
                raise TenantGone(self.tenant)

    # -- what is sent ----------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """Everything the page shows, as of now; the cursors start here."""
        self._check_tenant()
        server = self.target.simulator
        with self.target.lock:
            self._follow(server.world)
            with self._changed_lock:
                self._changed.clear()
            devices = [device_summary(server, d) for d in list(server.network)[:MAX_DEVICES]]
            self._device_count = len(server.network)
        self._devices = {row["id"]: row for row in devices}
        journal = server.journal
        self._journal = (journal.last_sequence, len(journal), journal.clears)
        rows = [exchange_summary(entry) for entry in journal.since(0, MAX_ROWS)]
        self._outbound = self._outbound_signature()
        self._scenario = self._scenario_json()
        self._tenants = self._tenant_names()
        self._clock = self._clock_json()["now"]
        return {
            "tenant": self.tenant,
            "tenants": self._tenants,
            "world": server.world_origin,
            "clock": self._clock_json(),
            "devices": devices,
            "devices_total": self._device_count,
            "devices_limit": MAX_DEVICES,
            "journal": rows,
            "journal_skipped": max(len(journal) - len(rows), 0),
            "outbound": {"count": self._outbound[0]},
            "scenario": self._scenario,
        }

    def look(self, clock_due: bool) -> tuple[str, dict[str, Any]] | None:
        """What changed since the last look, as one event (`update`, or `snapshot` when the
        world was rebuilt), or None. `clock_due`: send a moved real clock even alone."""
        self._check_tenant()
        server = self.target.simulator
        if server.world is not self._world:  # a reset or a scenario's world: start over
            return "snapshot", self.snapshot()
        self._looks += 1
        update: dict[str, Any] = {}
        self._devices_changed(update)
        self._journal_changed(update)
        outbound = self._outbound_signature()
        if outbound != self._outbound:
            self._outbound = outbound
            update["outbound"] = {"count": outbound[0]}
        scenario = self._scenario_json()
        if scenario != self._scenario:
            self._scenario = update["scenario"] = scenario
        tenants = self._tenant_names()
        if tenants != self._tenants:
            self._tenants = update["tenants"] = tenants
        clock = self._clock_json()
        moved = clock["now"] != self._clock
        if update or (moved and (clock["kind"] == "virtual" or clock_due)):
            self._clock = clock["now"]
            update["clock"] = clock
            return "update", update
        return None

    def _devices_changed(self, update: dict[str, Any]) -> None:
        server = self.target.simulator
        with self._changed_lock:
            changed, self._changed = self._changed, set()
        if changed:  # devices with new events: a page showing one refetches its timeline
            update["touched"] = sorted(changed)[:MAX_TOUCHED]
        with self.target.lock:
            count = len(server.network)
            rescan = count <= MAX_DEVICES and (
                self._looks % RESCAN_TICKS == 0 or count != self._device_count
            )
            if rescan:
                changed.update(device.id for device in server.network)
                changed.update(self._devices)
            rows, removed = [], []
            for device_id in sorted(changed):
                device = server.network.find(device_id)
                if device is None:
                    if self._devices.pop(device_id, None) is not None:
                        removed.append(device_id)
                    continue
                row = device_summary(server, device)
                if self._devices.get(device_id) != row:
                    self._devices[device_id] = row
                    rows.append(row)
        if rows:
            update["devices"] = rows
        if removed:
            update["removed"] = removed
        if count != self._device_count:
            self._device_count = update["devices_total"] = count

    def _journal_changed(self, update: dict[str, Any]) -> None:
        journal = self.target.simulator.journal
        last, length, clears = journal.last_sequence, len(journal), journal.clears
        seen, seen_length, seen_clears = self._journal
        if (last, length, clears) == (seen, seen_length, seen_clears):
            return
        # Emptied since the last look (a DELETE, a reset), not merely short of exchanges it
        # evicted (over its count or its bytes).
        cleared = clears != seen_clears
        after = 0 if cleared else seen
        newest = journal.since(after, MAX_ROWS)
        first = newest[0].sequence if newest else last + 1
        broken = [e for e in journal.since(after, MAX_ROWS, broken=True) if e.sequence < first]
        rows = broken + newest
        self._journal = (last, length, clears)
        if cleared:
            update["journal_cleared"] = True
        update["journal"] = [exchange_summary(entry) for entry in rows]
        new = length if cleared else min(last - seen, length)
        if new > len(rows):
            update["journal_skipped"] = new - len(rows)

    def _outbound_signature(self) -> tuple[Any, ...]:
        """Count, newest message and how many of the last ones are still in flight: a
        delivery finishing changes a message already listed."""
        attempts = self.target.simulator.outbox.attempts()
        pending = sum(1 for a in attempts[-50:] if a.status is None and a.error is None)
        return (len(attempts), id(attempts[-1]) if attempts else None, pending)

    def _scenario_json(self) -> Any:
        active = self.target.simulator.scenario
        return active.to_json() if active is not None else None

    def _tenant_names(self) -> list[str]:
        return self.tenants.names() if self.tenants is not None else []

    def _clock_json(self) -> dict[str, str]:
        clock = self.target.simulator.clock
        return {"kind": clock.kind, "now": timestamp(clock.now_us())}


# -- the response ------------------------------------------------------------------------
def _event(kind: str, data: dict[str, Any]) -> bytes:
    body = json.dumps(data, separators=(",", ":"), default=str)
    return f"event: {kind}\ndata: {body}\n\n".encode()


class EventStreamResponse(Response):
    """`text/event-stream` of a `Watcher`'s snapshot and updates, until one side stops."""

    media_type = "text/event-stream"

    def __init__(self, watcher: Watcher) -> None:
        # Not Response.__init__: that announces a Content-Length, and a stream has none.
        self.status_code = 200
        self.background = None
        self.raw_headers = [
            (b"content-type", b"text/event-stream; charset=utf-8"),
            (b"cache-control", b"no-store"),
            (b"x-accel-buffering", b"no"),  # a proxy in front must not hold the events back
        ]
        self.watcher = watcher

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        loop = asyncio.get_running_loop()
        done = asyncio.Event()
        entry = (loop, done)
        with _open_lock:
            _open.add(entry)
            if loop in _ended_loops:
                done.set()
        listening = loop.create_task(_until_disconnect(receive, done))
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            await self._run(send, done, loop)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            listening.cancel()
            with _open_lock:
                _open.discard(entry)
            self.watcher.close()

    async def _run(self, send: Send, done: asyncio.Event, loop: asyncio.AbstractEventLoop) -> None:
        async def emit(chunk: bytes) -> None:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})

        watcher = self.watcher
        try:
            await emit(b"retry: 1000\n" + _event("snapshot", watcher.snapshot()))
            last_sent = last_clock = loop.time()
            while not done.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), TICK)
                if done.is_set():
                    break
                now = loop.time()
                found = watcher.look(clock_due=now - last_clock >= CLOCK_EVERY)
                if found is not None:
                    kind, data = found
                    if "clock" in data or kind == "snapshot":
                        last_clock = now
                    await emit(_event(kind, data))
                    last_sent = now
                elif now - last_sent >= HEARTBEAT:
                    await emit(b": keep-alive\n\n")
                    last_sent = now
        except TenantGone as gone:
            await emit(_event("gone", {"tenant": str(gone)}))


async def _until_disconnect(receive: Receive, done: asyncio.Event) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    done.set()
