"""Lists are served from the store's indexes: the same pages as before, at O(page) cost.

`reference_list` is the list code as it was before the indexes (filter and sort every
representation of the client's downlinks): on a randomized store, every list query walked
page by page must give exactly its pages, with the same `next`/`prev` links.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import pytest

from mockserver.clock import from_datetime, to_datetime
from mockserver.providers.kpn import listing
from mockserver.providers.kpn.listing import FILTERS, SORTABLE
from mockserver.providers.kpn.records import PROTOCOLS, Record, parse_duration, represent
from mockserver.server import MockServer
from tests.providers.kpn.helpers import (
    LORA_CORE_ID,
    OTHER_CLIENT_KEY,
    bearer,
    default_world,
)

SECOND_LORA = "5d1c4b2a-0e3f-4a5b-9c8d-7e6f5a4b3c2d"
OTHER_HTTP = "0a1b2c3d-4e5f-4061-8293-a4b5c6d7e8f9"
EXTRA_DEVICES = [
    {
        "uuid": SECOND_LORA,
        "client": "demo",
        "bearer": "lora",
        "dev_eui": "0004A30B001A2B3D",
        "session": {"dev_addr": "26011B3D"},
        "tags": ["second-lora", "shared-tag"],
    },
    {"uuid": OTHER_HTTP, "client": "other", "bearer": "http", "imei": "356938035643825"},
]
DEVICE_FORMS = {
    "lora": [
        "f24108fa-d102-40ff-8263-f8d46908a386",
        "urn:dev:DEVEUI:0004A30B001A2B3C:",
        "deveui:0004a30b001a2b3c",
        SECOND_LORA,
        "urn:dev:deveui:0004a30b001a2b3d",
    ],
    "mqtt": ["3fa85f64-5717-4562-b3fc-2c963f66afa6"],
    "http": ["imei:356938035643809", "7c9e6679-7425-40de-944b-e07fc1f90ae7"],
    "sms": ["9b2e3f4a-1c5d-4e6f-8a7b-0c1d2e3f4a5b"],
}
ACTUATOR_BN = {
    "LORA": ["urn:dev:DEVEUI:0004A30B001A2B3C:", "urn:dev:deveui:0004a30b001a2b3d:"],
    "MQTT": ["urn:dev:DVNUUID:3fa85f64-5717-4562-b3fc-2c963f66afa6:"],
    "HTTP": ["urn:dev:IMEI:356938035643809:"],
    "SMS": ["urn:dev:IMEI:356938035643817:"],
}
TIMEOUTS = ["PT10M", "PT2H", "P1DT0S", "PT600.5S", "PT90M", "PT1H"]


# -- the list code before the indexes, as the oracle --------------------------------------------
def _instant(raw: str) -> int:
    return from_datetime(datetime.fromisoformat(raw.replace("Z", "+00:00")))


def _values(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for item in node.values():
            yield from _values(item)
    elif isinstance(node, list):
        for item in node:
            yield from _values(item)
    elif isinstance(node, str):
        yield node
    elif node is not None:
        yield json.dumps(node)


def _old_key(name: str, value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if name == "feedbackTimeout":
        try:
            return (1, parse_duration(value))
        except ValueError:
            return (2, value)
    return (1, value)


def reference_list(server, api: str, client: str, query: dict[str, str]) -> list[dict]:
    provider = server.providers["kpn"]
    records = [r for r in provider.store if r.api == api and r.client == client]
    query = {k: v for k, v in query.items() if k in FILTERS[api] or k == "sort"}
    tests: list[Callable[[Record], bool]] = []
    if "deviceId" in query:
        device = provider.devices.resolve(query["deviceId"])
        tests.append(lambda r: r.device is device)
    if "status" in query:
        tests.append(lambda r: r.status == query["status"])
    for name, field, before in (
        ("createdBefore", "created_at", True),
        ("createdSince", "created_at", False),
        ("modifiedBefore", "modified_at", True),
        ("modifiedSince", "modified_at", False),
    ):
        if name in query:
            at = _instant(query[name])
            if before:
                tests.append(lambda r, f=field, at=at: getattr(r, f) < at)
            else:
                tests.append(lambda r, f=field, at=at: getattr(r, f) >= at)
    if "q" in query:
        term = query["q"]
        tests.append(
            lambda r: (
                term in r.device.tags
                or term in r.device_ref
                or any(term in v for v in _values(r.message))
            )
        )
    items = [represent(r) for r in records if all(t(r) for t in tests)]
    fields = []
    for part in query.get("sort", "").split(","):
        part = part.strip()
        if part:
            fields.append((part.removeprefix("-").removeprefix("+"), part.startswith("-")))
    for name, descending in reversed(fields):
        items.sort(key=lambda item, n=name: _old_key(n, item.get(n)), reverse=descending)
    return items


# -- a randomized store ----------------------------------------------------------------------------
def _random_store(server, client, rng: random.Random, steps: int) -> dict[str, dict[str, str]]:
    kpn = server.providers["kpn"]
    # Ready tokens: the random steps advance the clock past a 1-hour token.
    auth = {
        "demo": bearer(kpn.ready_token("demo-client")),
        "other": bearer(kpn.ready_token("other-client")),
    }
    created: list[tuple[str, str, str]] = []  # (api, id, client)
    for step in range(steps):
        roll = rng.random()
        if roll < 0.45:
            api = rng.choice(PROTOCOLS)
            who = "other" if api == "http" and rng.random() < 0.2 else "demo"
            device = OTHER_HTTP if who == "other" else rng.choice(DEVICE_FORMS[api])
            message = {
                "lora": {
                    "payloadHex": rng.choice(["0102", "A0B1C2", "ff"]),
                    "fPort": rng.randint(1, 5),
                },
                "mqtt": {"type": "text", "payload": rng.choice(["on", "off"]), "topic": "c"},
                "http": {"type": "text", "body": rng.choice(["abcd", "xyz"])},
                "sms": {"text": rng.choice(["hello", "wake", "hé ça"])},
            }[api]
            body: dict[str, Any] = {
                "deviceId": device,
                "message": message,
                "feedbackTimeout": rng.choice(TIMEOUTS),
                "dryRun": rng.random() < 0.1,
            }
            if api in ("lora", "sms"):
                body["retryLimit"] = rng.randint(0, 2)
            response = client.post(f"/{api}/downlinks", json=body, headers=auth[who])
            assert response.status_code == 201, response.text
            created.append((api, response.json()["id"], who))
        elif roll < 0.65:
            protocol = rng.choice(list(ACTUATOR_BN))
            instruction: list[dict[str, Any]] = [
                {
                    "bn": rng.choice(ACTUATOR_BN[protocol]),
                    "n": rng.choice(["cmd", "température"]),
                    "vs": rng.choice(["0A0B", "FFEE", "ça va", "01"]),
                },
            ]
            if rng.random() < 0.5:
                instruction.append({"n": "level", "v": rng.choice([21.5, 3, -1.25])})
            request: dict[str, Any] = {"instruction": instruction, "method": {"protocol": protocol}}
            if rng.random() < 0.3:
                request["externalReference"] = f"ref-{step}"
            if rng.random() < 0.3:
                request["feedbackTimeout"] = rng.choice(TIMEOUTS)
            response = client.post("/downlinks", json=request, headers=auth["demo"])
            assert response.status_code == 201, response.text
            created.append(("actuator", response.json()["id"], "demo"))
        elif roll < 0.75 and created:
            api, downlink_id, who = rng.choice(created)
            path = "/downlinks" if api == "actuator" else f"/{api}/downlinks"
            forced = rng.choice(["true", "false"])
            client.delete(f"{path}/{downlink_id}", params={"forced": forced}, headers=auth[who])
        elif roll < 0.85:
            server.uplink(rng.choice([LORA_CORE_ID, f"kpn.{SECOND_LORA}"]), ack=rng.random() < 0.7)
        elif roll < 0.9:
            kpn.http_request(rng.choice(["imei:356938035643809", OTHER_HTTP]))
        elif roll < 0.93:
            kpn.set_reachable("imei:356938035643817", rng.random() < 0.5)
        server.clock.advance(rng.choice([0, 0, 0.0004, 0.2, 1, 7, 400, 4000]))
    return auth


def _instant_text(at: int) -> str:
    return to_datetime(at).isoformat().replace("+00:00", "Z")


def _random_query(server, rng: random.Random, api: str) -> dict[str, str]:
    records = [r for r in server.providers["kpn"].store if r.api == api] or None
    query: dict[str, str] = {"limit": str(rng.choice([1, 2, 3, 7, 50]))}
    allowed = FILTERS[api]
    if "deviceId" in allowed and rng.random() < 0.3:
        forms = DEVICE_FORMS[api] + (["00000000-0000-4000-8000-000000000000"])
        query["deviceId"] = rng.choice(forms)
    if "status" in allowed and rng.random() < 0.3:
        query["status"] = rng.choice(["PENDING", "EXECUTING", "DONE"])
    for name in ("createdBefore", "createdSince", "modifiedBefore", "modifiedSince"):
        if records and rng.random() < 0.2:
            record = rng.choice(records)
            at = record.created_at if name.startswith("created") else record.modified_at
            query[name] = _instant_text(at + rng.choice([-1, 0, 0, 1, 500]))
    if "q" in allowed and rng.random() < 0.4:
        query["q"] = rng.choice(
            [
                "demo-lora",
                "shared-tag",
                "DEVEUI",
                "0004a30b",
                "FF",
                "ça",
                "21.5",
                "-1.25",
                "cmd",
                "é",
                "vs",
                "nothing",
            ]
        )
    roll = rng.random()
    if roll < 0.2:  # creation order's own sorts (served without sorting)
        query["sort"] = rng.choice(["-createdAt", "createdAt", "+createdAt"])
    elif roll < 0.6:
        fields = rng.sample(SORTABLE[api], rng.randint(1, 2))
        query["sort"] = ",".join(("-" if rng.random() < 0.5 else "") + f for f in fields)
    return query


def _walk(client, headers: dict[str, str], path: str, query: dict[str, str]) -> list[dict]:
    pages = []
    response = client.get(path, params=query, headers=headers)
    while True:
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
        if "next" not in page:
            return pages
        parts = urlsplit(page["next"])
        response = client.get(f"{parts.path}?{parts.query}", headers=headers)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("monotonic", [True, False], ids=["bisect", "scan"])
def test_pages_equal_the_pages_of_the_list_code_before_the_indexes(seed, monotonic):
    world = default_world()
    world["kpn"]["devices"].extend(EXTRA_DEVICES)
    world["kpn"]["api_keys"].append(OTHER_CLIENT_KEY)
    server = MockServer(world)
    rng = random.Random(seed)
    with server.client() as client:
        auth = _random_store(server, client, rng, 260)
        store = server.providers["kpn"].store
        assert len(store) > 100
        store.monotonic = monotonic and store.monotonic  # False: the created… filters scan
        for api in ("actuator", *PROTOCOLS):
            path = "/downlinks" if api == "actuator" else f"/{api}/downlinks"
            for who in ("demo", "other"):
                for _ in range(14):
                    query = _random_query(server, rng, api)
                    expected = reference_list(server, api, who, query)
                    pages = _walk(client, auth[who], path, query)
                    limit = int(query["limit"])
                    got = [item for page in pages for item in page["items"]]
                    assert got == expected, (api, query)
                    for number, page in enumerate(pages):
                        assert len(page["items"]) == (
                            limit if "next" in page else len(page["items"])
                        )
                        assert ("prev" in page) == (number > 0), (api, query)
                    assert len(pages) == max(1, -(-len(expected) // limit))
    assert not server.contract.log.violations


# -- cost: O(page), counted ---------------------------------------------------------------------
def _fill(server, count: int) -> None:
    """`count` HTTP downlinks straight into the store (the API would take a minute)."""
    kpn = server.providers["kpn"]
    device = kpn.device("imei:356938035643809")
    clock = server.clock
    for number in range(count):
        now = clock.now_us() + number * 1000
        kpn.store.add(
            Record(
                id=f"00000000-0000-4000-8000-{number:012d}",
                api="http",
                client="demo",
                device=device,
                device_ref="imei:356938035643809",
                message={"type": "text", "body": "abcd"},
                created_at=now,
                modified_at=now,
                feedback_timeout="PT10M",
                status="DONE" if number % 3 else "PENDING",
            )
        )


def test_a_page_costs_what_the_page_holds_not_what_the_store_holds(
    server, client, auth, monkeypatch
):
    _fill(server, 20_000)
    represented: list[str] = []
    monkeypatch.setattr(
        listing, "represent", lambda record: represented.append(record.id) or represent(record)
    )
    for params, size in (
        ({"limit": "50"}, 50),
        ({"limit": "1000"}, 1000),
        ({"limit": "50", "status": "PENDING"}, 50),
        ({"limit": "50", "deviceId": "imei:356938035643809", "status": "DONE"}, 50),
        ({"limit": "50", "createdSince": "2026-01-01T00:00:10Z"}, 50),
    ):
        first = client.get("/http/downlinks", params=params, headers=auth).json()
        parts = urlsplit(first["next"])
        represented.clear()
        deep = client.get(f"{parts.path}?{parts.query}", headers=auth)  # offset `size`
        assert deep.status_code == 200 and len(deep.json()["items"]) == size
        # The work a page does, counted rather than timed (no wall-clock assertion): before
        # the indexes every record was represented; measured ~2 ms (50), ~25 ms (1000).
        assert len(represented) == size, params


def test_the_index_walks_only_the_page_it_serves(server):
    """Counted on the index itself: a slice of 50 reads 50 records, whatever the offset."""
    _fill(server, 5_000)
    store = server.providers["kpn"].store
    index = store.index("http", "demo")
    reads = 0

    class Counting(list):
        def __getitem__(self, item):
            nonlocal reads
            found = super().__getitem__(item)
            reads += len(found) if isinstance(found, list) else 1
            return found

    selection = listing._Selection(Counting(index), 0, len(index), None)
    chosen, more = selection.window(4_000, 50, [], "http")
    assert len(chosen) == 50 and more and reads == 50


def test_an_index_read_after_records_leave_from_its_front_and_middle_is_exact():
    """Records leaving from an index's front only move its start (no list move per record);
    whatever mix of front and middle removals and appends, a read gives exactly the kept
    records in creation order."""
    import random

    from mockserver.providers.kpn.store import _Index

    class Rec:
        def __init__(self, seq: int) -> None:
            self.seq = seq

    rng = random.Random(21)
    index, kept, seq = _Index(), [], 0
    for step in range(5000):
        roll = rng.random()
        if roll < 0.45 or not kept:
            record = Rec(seq)
            seq += 1
            index.insert(record)  # type: ignore[arg-type]
            kept.append(record)
        elif roll < 0.85:
            index.delete(kept.pop(0))  # type: ignore[arg-type]  # the oldest
        else:
            index.delete(kept.pop(rng.randrange(len(kept))))  # type: ignore[arg-type]
        assert bool(index) == bool(kept)
        if step % 97 == 0:
            assert index.live() == kept
            assert index.start == 0
    assert index.live() == kept
