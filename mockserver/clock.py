"""Time for the simulator: one interface, a virtual and a real implementation.

Nothing else in the package reads the wall clock. Tests get a `VirtualClock` that only
moves when told, so delivery timing is exact and reproducible; the standalone server gets a
`RealClock`, optionally sped up.

A clock knows nothing of threads. The serving shell, which calls the simulator from several
(the server's loop, a test's own thread), gives each clock its lock as `guard`: setting a
timer and firing timers then happen one at a time with every other call into the simulator.
"""

from __future__ import annotations

import gc
import heapq
import itertools
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from mockserver.types import SECOND, Micros, seconds

#: Where a virtual clock starts unless told otherwise: a fixed instant keeps runs reproducible.
DEFAULT_VIRTUAL_START = datetime(2026, 1, 1, tzinfo=UTC)


def to_datetime(instant: Micros) -> datetime:
    return datetime.fromtimestamp(instant // SECOND, UTC).replace(microsecond=instant % SECOND)


def timestamp(instant: Micros) -> str:
    """The instant as RFC 3339 UTC with a `Z`, as the admin API and dashboard show it."""
    return to_datetime(instant).isoformat().replace("+00:00", "Z")


def from_datetime(moment: datetime) -> Micros:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * SECOND + delta.microseconds


@dataclass(slots=True, eq=False)
class Timer:
    """A callback due at an instant; cancel() makes it a no-op without touching the heap."""

    when: Micros
    sequence: int
    callback: Callable[[], None]
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


_new_timer = Timer.__new__


class Clock(Protocol):
    """What the network core needs from time."""

    #: "virtual" or "real", as the admin API and the banner say.
    kind: str
    #: True while the clock fires due timers on its own (a virtual clock's advance): what a
    #: callback schedules for now then runs within the same advance, before any other call.
    firing: bool

    def now_us(self) -> Micros: ...

    def now(self) -> datetime: ...

    def call_at(self, when: Micros, callback: Callable[[], None]) -> Timer: ...


#: A calendar bucket spans 2**20 µs (about 1 s): a large network's timers spread over the
#: next quarter hour fall into buckets of a few dozen.
_BUCKET_BITS = 20
_Entry = tuple[Micros, int, "Timer"]


class _TimerHeap:
    """Timers in due order, ties in the order they were set; shared by both clocks.

    A calendar queue: timers wait unsorted in buckets of about a second, and only the
    earliest bucket is a heap. One heap of every timer was the first item of a large
    simulation's profile: with 10 000 devices it holds 20 000 timers spread over memory,
    and each pop walked 15 levels of them, missing the cache at each. A bucket is a list
    append to fill and a small heap to drain. Entries are `(when, sequence, timer)` tuples,
    so that ordering is compared in C.

    Every entry in `_current` is due no later than any entry of the buckets still waiting
    (their keys are all above `_current_key`, and an entry at or below it joins
    `_current`), so the order is exactly that of one heap of them all.
    """

    def __init__(self) -> None:
        self._sequence = itertools.count()
        self._current: list[_Entry] = []  # a heap: the earliest bucket being drained
        self._current_key = -1  # no bucket yet: every key is above it
        self._buckets: dict[int, list[_Entry]] = {}  # the later ones, unsorted
        self._keys: list[int] = []  # a heap of the keys of _buckets

    def add(self, when: Micros, callback: Callable[[], None]) -> Timer:
        sequence = next(self._sequence)
        # Timer(...) without its Python-level __init__: one frame fewer per timer, and a
        # large simulation sets millions (the same object, every field set).
        timer = _new_timer(Timer)
        timer.when = when
        timer.sequence = sequence
        timer.callback = callback
        timer.cancelled = False
        key = when >> _BUCKET_BITS
        if key <= self._current_key:
            heapq.heappush(self._current, (when, sequence, timer))
            return timer
        bucket = self._buckets.get(key)
        if bucket is None:
            self._buckets[key] = [(when, sequence, timer)]
            heapq.heappush(self._keys, key)
        else:
            bucket.append((when, sequence, timer))
        return timer

    def _head(self) -> list[_Entry]:
        """The current bucket, first refilled from the next one if drained, with no
        cancelled timer on top; empty only when no timer is left."""
        current = self._current
        while True:
            while current and current[0][2].cancelled:
                heapq.heappop(current)
            if current or not self._keys:
                return current
            key = heapq.heappop(self._keys)
            current = self._buckets.pop(key)
            heapq.heapify(current)
            self._current = current
            self._current_key = key

    def next_due(self) -> Micros | None:
        current = self._head()
        return current[0][0] if current else None

    def pop_due(self, until: Micros) -> Timer | None:
        current = self._head()
        if current and current[0][0] <= until:
            return heapq.heappop(current)[2]
        return None

    def clear(self) -> None:
        self._current.clear()
        self._current_key = -1
        self._buckets.clear()
        self._keys.clear()

    def state(self) -> tuple[object, ...]:
        """Every entry, where it waits: equal states mean that no timer was set, fired or
        cleared in between (an entry holds its timer by identity, and a sequence number is
        never used twice). Not on any timer's path: only a reset asks it."""
        buckets = tuple((key, tuple(bucket)) for key, bucket in self._buckets.items())
        return self._current_key, tuple(self._current), buckets

    def __len__(self) -> int:
        waiting = [self._current, *self._buckets.values()]
        return sum(1 for bucket in waiting for _, _, timer in tuple(bucket) if not timer.cancelled)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while simulated time runs, then restore it.

    A simulated day of a large network fires millions of timers, and each collector pass
    walks every event the device timelines keep: half the run time went there. Reference
    counting still frees everything at once; only cycles wait until the collector resumes
    (and, for those made during the pause, until its next full collection).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            _age_young_objects()
            gc.enable()


def _age_young_objects() -> None:
    """Count every object made while the collector was paused as old, without a pass.

    Otherwise the first allocation after `gc.enable()` starts a youngest-generation pass
    over everything the advance made: a simulated day of 10 000 devices leaves millions of
    events, and that one pass cost 0.5 s of a 6 h run. `freeze()` then `unfreeze()` moves
    the young generations to the oldest in constant time; the oldest is walked when Python
    decides (a full collection), as for any long-lived data. Skipped when someone else
    froze objects: `unfreeze()` would release theirs too.
    """
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()


class VirtualClock:
    """A clock that moves only when told; timers fire in due order as it passes them."""

    kind = "virtual"

    def __init__(self, start: datetime | Micros = DEFAULT_VIRTUAL_START) -> None:
        self._start = start if isinstance(start, int) else from_datetime(start)
        self._now = self._start
        self._timers = _TimerHeap()
        #: Held while a timer is set or timers fire (the shell's lock; none by default).
        self.guard: AbstractContextManager[object] = nullcontext()
        self.firing = False

    def now_us(self) -> Micros:
        return self._now

    def now(self) -> datetime:
        return to_datetime(self._now)

    def call_at(self, when: Micros, callback: Callable[[], None]) -> Timer:
        with self.guard:
            if when < self._now:
                when = self._now
            return self._timers.add(when, callback)

    def advance(self, by: float) -> int:
        """Move forward `by` seconds, firing every timer due on the way; returns how many fired."""
        if by < 0:
            raise ValueError("a clock cannot go backwards")
        return self.advance_to(self._now + seconds(by))

    def advance_to(self, instant: Micros | datetime) -> int:
        target = instant if isinstance(instant, int) else from_datetime(instant)
        if target < self._now:
            raise ValueError("a clock cannot go backwards")
        fired = 0
        timers = self._timers
        heappop = heapq.heappop
        with self.guard, _collector_paused():
            was_firing, self.firing = self.firing, True
            try:
                # _TimerHeap.pop_due, inline: this loop runs once per timer of a simulation
                while True:
                    current = timers._current
                    if not current or current[0][2].cancelled:
                        current = timers._head()
                        if not current:
                            break
                    when, _, timer = current[0]
                    if when > target:
                        break
                    heappop(current)
                    if when > self._now:
                        self._now = when
                    timer.callback()
                    fired += 1
            finally:
                self.firing = was_firing
            self._now = target
        return fired

    def run_until_idle(self, limit: float = 30 * 86_400) -> int:
        """Fire timers until none is left (or `limit` seconds pass, to stop endless periodics)."""
        with self.guard:
            horizon = self._now + seconds(limit)
            fired = 0
            while (due := self._timers.next_due()) is not None and due <= horizon:
                fired += self.advance_to(max(due, self._now))
            return fired

    def pending(self) -> int:
        return len(self._timers)

    def state(self) -> tuple[object, ...]:
        """Its start, its time and its timers (`_TimerHeap.state`): the simulator's reset
        compares two to prove that a world built on this clock was left alone in between
        (time did not move, no timer was set, fired or cleared)."""
        with self.guard:
            return self._start, self._now, self._timers.state()

    def reset(self, start: datetime | Micros | None = None) -> None:
        """Drop every timer and go back to the start (or to a new one)."""
        with self.guard:
            if start is not None:
                self._start = start if isinstance(start, int) else from_datetime(start)
            self._timers.clear()
            self._now = self._start


class RealClock:
    """Wall-clock time, optionally running `speed` times faster, for the standalone server.

    Timers are held here and fired by `fire_due()`, which the server's background task calls;
    so timer callbacks run on one thread, as with the virtual clock.
    """

    kind = "real"
    #: Never: a timer set for now fires on the driver's next pass, and calls come between.
    firing = False

    def __init__(self, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._origin_wall = time.time_ns() // 1000
        self._origin_mono = time.monotonic_ns() // 1000
        self._timers = _TimerHeap()
        #: Held while a timer is set or timers fire (the shell's lock; none by default).
        self.guard: AbstractContextManager[object] = nullcontext()
        #: Called (from any thread) when a timer is added, so the driver can re-plan its sleep.
        self.on_timer_added: Callable[[], None] | None = None

    def now_us(self) -> Micros:
        elapsed = time.monotonic_ns() // 1000 - self._origin_mono
        return self._origin_wall + round(elapsed * self.speed)

    def now(self) -> datetime:
        return to_datetime(self.now_us())

    def call_at(self, when: Micros, callback: Callable[[], None]) -> Timer:
        with self.guard:
            timer = self._timers.add(when, callback)
        if self.on_timer_added is not None:
            self.on_timer_added()
        return timer

    def fire_due(self) -> int:
        fired = 0
        now = self.now_us()
        with self.guard:
            while (timer := self._timers.pop_due(now)) is not None:
                timer.callback()
                fired += 1
        return fired

    def seconds_until_next(self) -> float | None:
        """Wall seconds until the next timer, so the driver task sleeps exactly that long."""
        with self.guard:
            due = self._timers.next_due()
        if due is None:
            return None
        return max(0.0, (due - self.now_us()) / SECOND / self.speed)

    def reset(self) -> None:
        with self.guard:
            self._timers.clear()
