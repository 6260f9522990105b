"""`Host`: one simulator as the serving shell holds it.

The simulator is sequential; the shell calls it from several threads (the server's event
loop, a test's own thread through the Python API, an in-process client's loop). The host
gives it what that takes: one lock that every call into the simulator holds, the delivery
worker behind its outbox, the task that fires a real clock's timers on time, and the thread
an event loop hands its calls to (`call`), so that a formatter script never runs on the
loop's thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Collection
from functools import partial
from typing import Any, TypeVar

from mockserver.clock import RealClock, VirtualClock
from mockserver.contract import HttpRequest, HttpResponse
from mockserver.delivery import Delivery, DeliveryLimits
from mockserver.formatters.engine import scripts_seen
from mockserver.reports import build_report, render, with_delivery, with_journal
from mockserver.scenario.engine import ActiveScenario
from mockserver.scenario.loading import ScenarioReference
from mockserver.scenario.model import Scenario
from mockserver.simulator import Simulator
from mockserver.simulator.formatters import Formatters
from mockserver.worker import HostThread
from mockserver.world import WorldSource

T = TypeVar("T")

log = logging.getLogger("mockserver")


class Host:
    def __init__(self, simulator: Simulator, delivery: DeliveryLimits | None = None) -> None:
        self.simulator = simulator
        #: Held by every call into the simulator: requests, timers, the Python and admin API.
        self.lock = threading.RLock()
        clock = simulator.clock
        if isinstance(clock, VirtualClock | RealClock):
            clock.guard = self.lock  # a test thread's `clock.advance()` waits its turn too
        #: Sends what the simulator's outbox hands over (`server.outbound`).
        self.delivery = Delivery(simulator.outbox, clock, delivery)
        self._clock_task: asyncio.Task[None] | None = None
        #: Where the event loop's calls into the simulator run (`call`).
        self.thread = HostThread()

    def close(self) -> None:
        self.stop_clock()
        self.delivery.close()
        self.thread.close()

    def report(self, kind: str, providers: Collection[str] | None = None) -> str:
        """The CI report in `kind` (reports.FORMATS): the contract's findings and coverage,
        with the journal's and the delivery worker's figures. ValueError for an unknown
        provider or format."""
        with self.lock:
            simulator = self.simulator
            built = build_report(simulator.contract, providers_only=providers)
            built = with_journal(built, simulator.journal.stats())
            return render(with_delivery(built, self.delivery.stats()), kind)

    async def call(self, call: Callable[[], T]) -> T:
        """`call()` under the lock, on the simulator's thread: what a coroutine on the event
        loop uses instead of taking the lock itself, so that the loop goes on serving while
        the simulator is busy (a formatter script runs up to its time limit). Until this
        process has met a script (`engine.scripts_seen`, checked before any can run), no
        call can be long, and it runs right here: the hop costs CPU on every request."""

        def locked() -> T:
            with self.lock:
                return call()

        if not scripts_seen():
            return locked()
        return await self.thread.run(locked)

    async def dispatch(self, request: HttpRequest) -> tuple[HttpResponse, tuple[Any, ...] | None]:
        """`Simulator.dispatch` as `call` runs it, with the journal's fields of the exchange
        (`last_exchange`, read under the same lock): the one call on every request's path,
        so without the closures `call` makes while no script can run."""
        simulator = self.simulator
        if not scripts_seen():
            with self.lock:
                return simulator.dispatch(request), simulator.last_exchange
        return await self.thread.run(partial(self._dispatch_locked, request))

    def _dispatch_locked(self, request: HttpRequest) -> tuple[HttpResponse, tuple[Any, ...] | None]:
        with self.lock:
            return self.simulator.dispatch(request), self.simulator.last_exchange

    # -- the simulator's calls that change the world, one at a time --------------------------
    def reset(
        self,
        world: WorldSource | bool = False,
        *,
        keep_scenario: bool = False,
        clear_findings: bool = False,
    ) -> None:
        """The simulator's reset. Its outbox hands the old world's deliveries back to the
        worker, which cancels them at once: a reset never waits on a receiver."""
        with self.lock:
            self.simulator.reset(world, keep_scenario=keep_scenario, clear_findings=clear_findings)

    def clear_findings(self) -> None:
        """Forget the contract findings (violations, warnings, coverage), and nothing else."""
        with self.lock:
            self.simulator.contract.log.clear()

    def load_scenario(self, reference: ScenarioReference | Scenario) -> ActiveScenario:
        with self.lock:
            return self.simulator.load_scenario(reference)

    def clear_scenario(self) -> None:
        with self.lock:
            self.simulator.clear_scenario()

    @property
    def formatters(self) -> Formatters:
        return Formatters(self.simulator, guard=self.lock)

    # -- a real clock's timers -------------------------------------------------------------
    def start_clock(self) -> None:
        """Start driving a real clock on the running loop (at start-up, or for a tenant)."""
        if self._clock_task is None:
            self._clock_task = asyncio.get_running_loop().create_task(self._drive_clock())

    def stop_clock(self) -> None:
        if self._clock_task is not None:
            with contextlib.suppress(RuntimeError):  # its loop is closed: the task is gone
                self._clock_task.get_loop().call_soon_threadsafe(self._clock_task.cancel)
            self._clock_task = None

    async def _drive_clock(self) -> None:
        """Fire a real clock's timers on time; a virtual clock is moved by its owner instead.

        The driver sleeps until the next timer is due, and is woken early when a timer is
        added (from a request, the Python API or another timer), so even a sped-up clock keeps
        RX windows to the millisecond.
        """
        clock = self.simulator.clock
        if not isinstance(clock, RealClock):
            return
        loop = asyncio.get_running_loop()
        added = asyncio.Event()

        def wake() -> None:
            loop.call_soon_threadsafe(added.set)

        clock.on_timer_added = wake

        def fire_due() -> None:
            try:
                clock.fire_due()
            except Exception:  # one failing timer must not stop simulated time
                log.exception("a timer failed")

        try:
            while True:
                await self.call(fire_due)  # a timer may run a formatter script
                added.clear()
                wait = clock.seconds_until_next()
                if wait is not None and wait <= 0:
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(added.wait(), timeout=wait)
        finally:
            clock.on_timer_added = None
