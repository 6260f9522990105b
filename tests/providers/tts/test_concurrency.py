"""64 clients pushing and replacing on one device at once, over a real port.

Nothing is lost or duplicated, and every replace is atomic: a concurrent reader never sees a
queue that is part one replace and part another, or a replace half applied. The network's
own event stream (emitted under the server's lock) gives the order in which operations took
effect; replaying it must give every state the reader saw and the final queue.
"""

from __future__ import annotations

import threading
from collections import Counter

import httpx

from tests.conftest import AUTH
from tests.providers.tts.helpers import (
    AS_DOWNLINK,
    app_as_url,
    body,
    list_url,
    queue,
    webhook_url,
)

THREADS = 64
OPS_PER_THREAD = 9  # phase 1: every third operation is a replace
PUSHES_AFTER = 3  # phase 2: pushes only, so all of them must still be queued at the end
REPLACE_SIZE = 5
DEVICE = "dev2"
MAX_READS = 4000


def _tags(downlinks) -> tuple[str, ...]:
    return tuple(d["correlation_ids"][0] for d in downlinks)


def test_concurrent_pushes_and_replaces_are_atomic_and_lossless(server):
    events = []
    server.network.subscribe(
        lambda event: (
            events.append(event)
            if event.device_id == f"app1.{DEVICE}" and event.kind == "queued"
            else None
        )
    )
    url = server.start()
    start = threading.Barrier(THREADS + 1, timeout=60)
    phase_two = threading.Barrier(THREADS, timeout=60)
    writers_done = threading.Event()
    issued: dict[int, list[tuple[str, str]]] = {n: [] for n in range(THREADS)}
    failures: list[str] = []
    snapshots: list[tuple[str, ...]] = []

    def writer(n: int) -> None:
        try:
            with httpx.Client(base_url=url, timeout=60) as http:
                start.wait()
                for i in range(OPS_PER_THREAD):
                    gateway = (n + i) % 2 == 1
                    if i % 3 == 2:
                        tag = f"r{n}-{i}"
                        op = "replace"
                        items = [
                            {"f_port": 1 + k, "frm_payload": "AQ==", "correlation_ids": [tag]}
                            for k in range(REPLACE_SIZE)
                        ]
                    else:
                        tag = f"p{n}-{i}"
                        op = "push"
                        items = [{"f_port": 100, "frm_payload": "Ag==", "correlation_ids": [tag]}]
                    path = app_as_url(op, DEVICE) if gateway else webhook_url(op, DEVICE)
                    response = http.post(path, content=body(*items), headers=AUTH)
                    if response.status_code != 200:
                        failures.append(f"{op} {tag}: {response.status_code} {response.text}")
                    issued[n].append((op, tag))
                phase_two.wait()
                for i in range(PUSHES_AFTER):
                    tag = f"q{n}-{i}"
                    item = {"f_port": 101, "frm_payload": "Aw==", "correlation_ids": [tag]}
                    path = app_as_url("push", DEVICE) if i % 2 else webhook_url("push", DEVICE)
                    response = http.post(path, content=body(item), headers=AUTH)
                    if response.status_code != 200:
                        failures.append(f"push {tag}: {response.status_code} {response.text}")
                    issued[n].append(("push", tag))
        except Exception as exc:  # reported below, never swallowed
            failures.append(f"writer {n}: {exc!r}")

    def reader() -> None:
        try:
            with httpx.Client(base_url=url, timeout=60) as http:
                start.wait()
                while not writers_done.is_set() and len(snapshots) < MAX_READS:
                    response = http.get(list_url(DEVICE), headers=AUTH)
                    if response.status_code != 200:
                        failures.append(f"list: {response.status_code} {response.text}")
                        return
                    snapshots.append(_tags(response.json().get("downlinks", [])))
        except Exception as exc:
            failures.append(f"reader: {exc!r}")

    try:
        threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
        watcher = threading.Thread(target=reader)
        for thread in [*threads, watcher]:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        writers_done.set()
        watcher.join(timeout=120)
        assert not any(t.is_alive() for t in [*threads, watcher]), "a client hung"
        assert not failures, failures[:5]

        with httpx.Client(base_url=url, timeout=60) as http:
            final_listed = _tags(http.get(list_url(DEVICE), headers=AUTH).json()["downlinks"])
    finally:
        server.stop()

    pushes = [tag for ops in issued.values() for op, tag in ops if op == "push"]
    replaces = [tag for ops in issued.values() for op, tag in ops if op == "replace"]
    assert len(pushes) == THREADS * (6 + PUSHES_AFTER) and len(replaces) == THREADS * 3

    # Every acknowledged operation took effect exactly once, whole.
    assert len(events) == len(pushes) + len(replaces)
    seen = Counter()
    for event in events:
        tags = [d.correlation_ids[0] for d in event.downlinks]
        if event.details["operation"] == "push":
            assert len(tags) == 1 and tags[0][0] in "pq", tags
        else:
            assert event.details["operation"] == "replace"
            assert len(tags) == REPLACE_SIZE and len(set(tags)) == 1, tags
            assert tags[0].startswith("r")
            assert [d.f_port for d in event.downlinks] == list(range(1, REPLACE_SIZE + 1))
        seen[tags[0]] += 1
    assert seen == Counter(pushes + replaces)

    # Each client's operations took effect in the order it made them.
    for n, ops in issued.items():
        own = [
            event.downlinks[0].correlation_ids[0]
            for event in events
            if event.downlinks[0].correlation_ids[0][1:].split("-")[0] == str(n)
        ]
        assert own == [tag for _, tag in ops]

    # Every downlink got its own as:downlink ULID.
    ulids = [d.correlation_ids[-1] for event in events for d in event.downlinks]
    assert all(AS_DOWNLINK.match(u) for u in ulids)
    assert len(set(ulids)) == len(ulids)

    # Replaying the operations in the order they took effect gives every state there was.
    state: tuple[str, ...] = ()
    states = {state}
    for event in events:
        tags = tuple(d.correlation_ids[0] for d in event.downlinks)
        state = state + tags if event.details["operation"] == "push" else tags
        states.add(state)

    # The final queue is the replay's end: no push after the last replace lost or doubled.
    assert final_listed == state
    assert tuple(d.correlation_ids[0] for d in queue(server, f"app1.{DEVICE}")) == state
    last_replace = max(i for i, e in enumerate(events) if e.details["operation"] == "replace")
    later_pushes = [e.downlinks[0].correlation_ids[0] for e in events[last_replace + 1 :]]
    assert list(state[REPLACE_SIZE:]) == later_pushes
    # Phase 2 came after every replace: each of its pushes is queued, once.
    final_count = Counter(final_listed)
    for tag in (f"q{n}-{i}" for n in range(THREADS) for i in range(PUSHES_AFTER)):
        assert final_count[tag] == 1, tag
    assert len(final_listed) == REPLACE_SIZE + len(later_pushes)

    # The reader only ever saw whole states: at most one replace's items, all of them, first.
    assert snapshots, "the reader saw nothing"
    for snapshot in snapshots:
        assert snapshot in states, snapshot
        replaced = [t for t in snapshot if t.startswith("r")]
        if replaced:
            assert len(replaced) == REPLACE_SIZE and len(set(replaced)) == 1, snapshot
            assert snapshot[:REPLACE_SIZE] == tuple(replaced), snapshot
        pushed = snapshot[REPLACE_SIZE:] if replaced else snapshot
        assert len(set(pushed)) == len(pushed), "a push appears twice"
