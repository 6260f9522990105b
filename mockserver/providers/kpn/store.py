"""Where KPN downlinks are kept: by id, in indexes that serve a list page in O(page), and
for a bounded time and number.

Why indexes: a list is one client's downlinks of one API, optionally of one device and/or
one status, in creation order. Each such selection is a list of records sorted by `seq`
(creation order), kept up to date as records come, change status and go, so a page is a
slice of one of them: O(log n + page), not a scan of the store. What the indexes cannot
answer (`q`, the `modified…` filters, a sort other than creation order) is a scan of the
narrowest index that holds the answer (see listing.py).

Why bounds (docs/providers/kpn.md, "Retention"; KPN publishes none, so both are chosen):

- a finished downlink is kept for `retention` after it finished (on the simulator's clock,
  virtual in tests), then it is gone: a get or cancel answers 404 as for an unknown id, and
  lists no longer show it;
- at most `capacity` downlinks are kept. Adding one more first drops the downlink that
  finished longest ago; only when none has finished is the oldest in-flight one dropped,
  after its bearer lets go of it and it ends `DONE` with `EVICTED` (the failure reason every
  protocol spec lists), so nothing is delivered for a downlink nobody can see.

Expiry is swept lazily: every operation that reads or adds records first drops those due,
so what a client sees always follows the clock, without a timer per record.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from operator import attrgetter

from mockserver.clock import Clock
from mockserver.providers.kpn.devices import KpnDevice
from mockserver.providers.kpn.records import ACTUATOR, Record
from mockserver.types import SECOND, Micros

#: Chosen defaults (docs/providers/kpn.md, "Retention"); world `kpn.record_retention`
#: (seconds) and `kpn.max_records` change them.
DEFAULT_RETENTION = 30 * 86_400 * SECOND
DEFAULT_CAPACITY = 20_000

Key = tuple[Hashable, ...]


#: A record's `seq`, read in C by the bisections.
_seq = attrgetter("seq")


@dataclass
class StoreStats:
    """How many downlinks are kept, and how many left by expiry or by the count bound."""

    records: int
    expired: int
    evicted: int
    capacity: int
    retention_seconds: float


class RecordStore:
    def __init__(
        self,
        clock: Clock,
        *,
        retention: Micros = DEFAULT_RETENTION,
        capacity: int = DEFAULT_CAPACITY,
        evict: Callable[[Record], None] = lambda record: None,
    ) -> None:
        if capacity < 2:
            # An actuator downlink and the protocol downlink it becomes are two records.
            raise ValueError("capacity must be at least 2")
        self.clock = clock
        self.retention = retention
        self.capacity = capacity
        #: Ends an in-flight downlink (its bearer lets go of it) before it is dropped.
        self._evict_in_flight = evict
        #: One bound method for every record (a new one per record was two more long-lived
        #: objects per actuator create for the cyclic garbage collector to walk).
        self._watcher = self._status_changed
        self._by_id: dict[str, Record] = {}
        self._indexes: dict[Key, _Index] = {}
        self._references: dict[tuple[str, str], Record] = {}
        #: (finished_at, record) in the order records finished: the oldest finished first.
        #: Entries of records that left otherwise are skipped when reached.
        self._finished: deque[tuple[Micros, Record]] = deque()
        #: Every record in creation (`seq`) order, for the count bound when all are in
        #: flight: the oldest is at the left. Entries of records that left are skipped when
        #: reached, and compacted away once they outnumber the kept ones.
        self._created: deque[Record] = deque()
        self._next_seq = 0
        #: Whether `created_at` never decreases along `seq`, so that the created… filters
        #: can bisect an index (a clock never goes back; a restored state might).
        self.monotonic = True
        self._last_created: Micros | None = None
        self.expired = 0
        self.evicted = 0

    # -- reading -----------------------------------------------------------------------------
    def get(self, downlink_id: str) -> Record | None:
        self.sweep()
        return self._by_id.get(downlink_id)

    def reference(self, client: str, reference: str) -> Record | None:
        """The actuator downlink of `client` with this `externalReference`, if kept."""
        self.sweep()
        return self._references.get((client, reference))

    def index(
        self, api: str, client: str, device: KpnDevice | None = None, status: str | None = None
    ) -> list[Record]:
        """The client's downlinks of one API (of one device, in one status, when given), in
        creation order. The list is the store's own: read it, never change it."""
        self.sweep()
        index = self._indexes.get(_key(api, client, device, status))
        return [] if index is None else index.live()

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[Record]:
        """Every kept record, in creation order."""
        return iter(sorted(self._by_id.values(), key=_seq))

    def stats(self) -> StoreStats:
        self.sweep()
        return StoreStats(
            len(self._by_id), self.expired, self.evicted, self.capacity, self.retention / SECOND
        )

    # -- changing ----------------------------------------------------------------------------
    def add(self, record: Record) -> None:
        """Keep a new record (it gets the next `seq`), making room under the count bound."""
        self.sweep()
        while len(self._by_id) >= self.capacity:
            self._evict_one()
        if record.seq < 0 or record.seq < self._next_seq:
            record.seq = self._next_seq
        self._next_seq = record.seq + 1
        self._keep(record)

    def restore(self, record: Record) -> None:
        """Keep a record as a snapshot had it: its own `seq` and `finished_at`, no bound
        applied and nothing swept (restore_state sweeps once all are back)."""
        self._next_seq = max(self._next_seq, record.seq + 1)
        self._keep(record)

    def _keep(self, record: Record) -> None:
        if self._last_created is not None and record.created_at < self._last_created:
            self.monotonic = False
        self._last_created = record.created_at
        self._by_id[record.id] = record
        created = self._created
        if created and created[-1].seq > record.seq:  # a snapshot's records, out of order
            self._created = created = deque(sorted([*created, record], key=_seq))
        else:
            created.append(record)
        if len(created) > 2 * len(self._by_id) + 64:
            self._created = deque(r for r in created if self._by_id.get(r.id) is r)
        if record.api == ACTUATOR:
            # What `q` searches and `sort=message` compares, computed now (a message never
            # changes) rather than by the first list that needs it, for the whole index.
            _ = record.values, record.message_text
        _insert(self._indexes, _keys(record, record.status), record)
        if record.api == ACTUATOR and record.external_reference is not None:
            self._references[(record.client, record.external_reference)] = record
        if record.finished:
            if record.finished_at is None:
                record.finished_at = self.clock.now_us()
            self._finished.append((record.finished_at, record))
        record.watcher = self._watcher

    def remove(self, record: Record) -> None:
        if self._by_id.get(record.id) is not record:
            return
        del self._by_id[record.id]
        record.watcher = None
        _delete(self._indexes, _keys(record, record.status), record)
        if record.external_reference is not None:
            ref = (record.client, record.external_reference)
            if self._references.get(ref) is record:
                del self._references[ref]

    def clear(self) -> None:
        for record in self._by_id.values():
            record.watcher = None
        self._by_id.clear()
        self._indexes.clear()
        self._references.clear()
        self._finished.clear()
        self._created.clear()
        self._next_seq = 0
        self.monotonic, self._last_created = True, None

    def sweep(self) -> int:
        """Drop the finished records whose retention is over; how many went."""
        deadline = self.clock.now_us() - self.retention
        finished, gone = self._finished, 0
        while finished and finished[0][0] <= deadline:
            at, record = finished.popleft()
            if record.finished_at == at and self._by_id.get(record.id) is record:
                self.remove(record)
                gone += 1
        self.expired += gone
        return gone

    def _evict_one(self) -> None:
        finished = self._finished
        while finished:
            at, record = finished.popleft()
            if record.finished_at == at and self._by_id.get(record.id) is record:
                self.remove(record)
                self.evicted += 1
                return
        created = self._created  # none finished: all in flight, the oldest at the left
        while self._by_id.get(created[0].id) is not created[0]:
            created.popleft()
        oldest = created.popleft()
        # Out of the store first, then let go of: the status its bearer ends it in moves it
        # through no index (it is in none any more), and it joins no finished queue.
        self.remove(oldest)
        self._evict_in_flight(oldest)
        self.evicted += 1

    def _status_changed(self, record: Record, old: str) -> None:
        indexes = self._indexes
        _delete(indexes, _status_keys(record, old), record)
        _insert(indexes, _status_keys(record, record.status), record)
        if record.finished:
            record.finished_at = self.clock.now_us()
            self._finished.append((record.finished_at, record))
        else:
            record.finished_at = None


def _key(api: str, client: str, device: KpnDevice | None, status: str | None) -> Key:
    # A device is keyed by identity: a device removed and added again under the same UUID
    # is another device, as `deviceId` resolves it (the records keep the old one alive, so
    # its id() is not reused while any of them is kept).
    return (api, client, None if device is None else id(device), status)


def _keys(record: Record, status: str) -> tuple[Key, ...]:
    """The indexes a record in `status` is in: its API's and its device's, each whole and
    of the status (built inline: this runs several times on every create)."""
    api, client, device = record.api, record.client, record.device
    device_key = None if device is None else id(device)
    return (
        (api, client, None, None),
        (api, client, device_key, None),
        (api, client, None, status),
        (api, client, device_key, status),
    )


def _status_keys(record: Record, status: str) -> tuple[Key, ...]:
    """The two of `_keys` that a change of status moves the record between."""
    api, client, device = record.api, record.client, record.device
    device_key = None if device is None else id(device)
    return (api, client, None, status), (api, client, device_key, status)


def _insert(indexes: dict[Key, _Index], keys: tuple[Key, ...], record: Record) -> None:
    for key in keys:
        index = indexes.get(key)
        if index is None:
            indexes[key] = index = _Index()
        index.insert(record)


def _delete(indexes: dict[Key, _Index], keys: tuple[Key, ...], record: Record) -> None:
    """Take the record out of these indexes; an index left empty goes."""
    for key in keys:
        index = indexes.get(key)
        if index is not None and index.delete(record):
            del indexes[key]


class _Index:
    """One index: records in `seq` (creation) order. Records mostly leave from its front
    (the oldest finish, expire and are evicted first), and `del items[0]` on a list of
    20 000 moves every entry after it: at the count bound that was most of a KPN create's
    cost. So a record leaving from the front only moves `start` past it, and the entries
    before `start` are cut off in one move once they are half the list, or when the index
    is read (readers get a plain list: `live()`)."""

    __slots__ = ("items", "start")

    def __init__(self) -> None:
        self.items: list[Record] = []
        self.start = 0

    def live(self) -> list[Record]:
        if self.start:
            del self.items[: self.start]
            self.start = 0
        return self.items

    def insert(self, record: Record) -> None:
        items = self.items
        if not items or items[-1].seq < record.seq:
            items.append(record)  # the usual case: the newest record
        else:
            items = self.live()
            items.insert(bisect_left(items, record.seq, key=_seq), record)

    def delete(self, record: Record) -> bool:
        """Take the record out (if it is here); whether the index is now empty."""
        items, start = self.items, self.start
        if start < len(items) and items[start] is record:
            at = start  # the usual case: the oldest, no search
        else:
            at = bisect_left(items, record.seq, start, key=_seq)
        if at < len(items) and items[at] is record:
            if at == start:
                self.start = start = start + 1
                if 2 * start > len(items):
                    self.live()
                    return not items
            else:
                del items[at]
        return self.start >= len(items)

    def __bool__(self) -> bool:
        return self.start < len(self.items)
